import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { ExitCode } from "../_exit.ts";
import { helpFooter } from "../_help.ts";
import {
  durationOption,
  numericOption,
  parseCount,
  parseHost,
  parsePort,
} from "../_options.ts";

/** The command line of `scan`, as commander parses it. */
export interface ScanOptions {
  wait: number;
  concurrency: number;
  all?: boolean;
  banner?: boolean;
  idleTimeout: number;
  json?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  /** `-n`: the host must be an address. */
  numeric?: boolean;
  /** nc's `-z`: what a scan does anyway. */
  z?: boolean;
  /** nc's `-zv`: every port, as `-a`. */
  verbose?: boolean;
}

/** `sockit scan`: a TCP connect scan, loud by nature; loopback in tests. */
export function scanCommand(command: Command): void {
  command
    .argument("<host>", "name, IPv4 or IPv6 address", parseHost)
    .argument(
      "<ports...>",
      "ports and ranges: 22,80,8000-8100 (or as words: 22 80, as nc)",
      morePorts,
    )
    .addOption(
      durationOption(
        "-w, --wait <duration>",
        "a port that does not answer within this is filtered",
        1000,
      ),
    )
    .option(
      "-c, --concurrency <n>",
      "connects in flight at once",
      parseCount,
      100,
    )
    .option("-a, --all", "print closed and filtered ports too")
    .option("--banner", "wait up to -i for the first bytes an open port sends")
    .addOption(
      durationOption(
        "-i, --idle-timeout <duration>",
        "how long --banner waits",
        1000,
      ),
    )
    .option("--json", "print one NDJSON object per printed port")
    .option("-4, --ipv4", "use IPv4 only")
    .option("-6, --ipv6", "use IPv6 only")
    .addOption(numericOption())
    .option("-z", "taken for nc -z habits: a scan sends no data anyway")
    .option("-v, --verbose", "print closed and filtered ports too, as nc -zv")
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit scan 127.0.0.1 1-1024",
            "which of the first 1024 ports are open",
          ],
          [
            "sockit scan -a --banner localhost 22,25,80",
            "every port's state, and what open ones say first",
          ],
          [
            "sockit scan --json -c 500 -w 300ms ::1 8000-9000",
            "NDJSON, 500 connects at once, 300 ms per port",
          ],
        ],
        exitCodes: [
          ExitCode.Ok,
          ExitCode.Network,
          ExitCode.Usage,
          ExitCode.BrokenPipe,
        ],
      }),
    )
    .action(async (host, ports, options) => {
      const { runScan } = await import("../run/scan.ts");
      Deno.exitCode = await runScan(host, ports, options);
    });
}

/** One more word of ports, merged into those before it. */
function morePorts(value: string, previous: number[] | undefined): number[] {
  const ports = parsePorts(value);
  return previous
    ? [...new Set([...previous, ...ports])].sort((a, b) => a - b)
    : ports;
}

/**
 * `22,80,8000-8100` as ascending ports, each once. A single port may be a
 * service name or carry a leading `+`, as `nc -z host ssh` and `+22` take.
 */
export function parsePorts(value: string): number[] {
  const ports = new Set<number>();
  for (const part of value.split(",")) {
    const [first, last] = rangeOf(value, part);
    for (const port of [first, last]) {
      if (port < 1 || port > 65535) {
        throw new InvalidArgumentError(
          `ports "${value}": ${port} is outside 1-65535`,
        );
      }
    }
    if (last < first) {
      throw new InvalidArgumentError(
        `ports "${value}": range ${part.trim()} runs backwards`,
      );
    }
    for (let port = first; port <= last; port++) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** One element of the list: `80`, `+80`, `8000-8100` or `http`. */
function rangeOf(value: string, part: string): [number, number] {
  const match = /^\s*\+?(\d+)\s*(?:-\s*\+?(\d+)\s*)?$/.exec(part);
  if (match) {
    const first = Number(match[1]);
    return [first, match[2] === undefined ? first : Number(match[2])];
  }
  if (/^\s*[a-z]/i.test(part)) {
    try {
      const port = parsePort(part);
      return [port, port];
    } catch {
      // Not a service either: the list's own message says what is wanted.
    }
  }
  throw new InvalidArgumentError(
    `ports "${value}": "${part}" is not a port or a range such as 8000-8100`,
  );
}
