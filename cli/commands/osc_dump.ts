import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import type { NetAddress, OscFraming } from "../../lib/mod.ts";
import { UsageError } from "../_exit.ts";
import { helpFooter } from "../_help.ts";
import { parseHost, parseListenPort, parsePort } from "../_options.ts";

/** The command line of `osc dump`, as commander parses it. */
export interface OscDumpOptions {
  host: string;
  tcp?: boolean;
  framing: OscFraming;
  json?: boolean;
  verbose?: boolean;
  /** oscdump's `-L`: sockit's lines are never held back, so nothing to do. */
  lineBuffered?: boolean;
  forward?: NetAddress;
  ipv4?: boolean;
  ipv6?: boolean;
}

/** `sockit osc dump`: oscdump's lines, or NDJSON, on sockit's servers. */
export function oscDumpCommand(osc: Command): void {
  osc
    .command("dump")
    .description(
      "Print the OSC messages that arrive, one line each, as oscdump",
    )
    .argument(
      "<port>",
      "port to listen on (0 for any), or oscdump's osc.udp://:PORT / osc.tcp://:PORT",
      parseDumpPort,
    )
    .option("--host <host>", "address to bind", parseHost, "localhost")
    .option("-T, --tcp", "accept TCP connections instead of UDP datagrams")
    .addOption(
      // The choices are for completion and help; the parser says what is wrong.
      new Option("--framing <framing>", "TCP framing")
        .choices(["auto", "size", "slip"])
        .argParser(parseFraming)
        .default("auto" as OscFraming),
    )
    .option(
      "--forward <host:port>",
      "also send every packet, unchanged, there (UDP, or TCP with -T)",
      parseEndpoint,
    )
    .option("--json", "print NDJSON events instead of oscdump lines")
    .option("-v, --verbose", "also print TCP connections on stderr")
    .option(
      "-L, --line-buffered",
      "taken for oscdump's scripts: every line is written as it arrives",
    )
    .option("-4, --ipv4", "bind the IPv4 address of --host")
    .option("-6, --ipv6", "bind the IPv6 address of --host")
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit osc dump 9000",
            "print what arrives on UDP 9000, as oscdump",
          ],
          [
            "sockit osc dump -T --json 9000",
            "TCP (size prefix or SLIP, detected), NDJSON events",
          ],
          [
            "sockit osc dump --forward localhost:8000 9000",
            "sit between a controller and Renoise and show the traffic",
          ],
        ],
      }),
    )
    .action(async ({ port, url, text }, options) => {
      if (url === "udp" && options.tcp) {
        throw new UsageError(`"${text}" is a UDP URL, but -T was given`);
      }
      const tcp = options.tcp || url === "tcp";
      // Datagrams carry no framing: a forced one would be silently unused.
      if (!tcp && options.framing !== "auto") {
        throw new UsageError(
          `--framing ${options.framing} needs TCP (-T or osc.tcp://)`,
        );
      }
      const { runOscDump } = await import("../run/osc_dump.ts");
      Deno.exitCode = await runOscDump(port, { ...options, tcp });
    });
}

/** A port, or oscdump's URL form, whose `osc.tcp://` stands for `-T`. */
function parseDumpPort(
  value: string,
): { port: number; url?: "udp" | "tcp"; text: string } {
  const url = /^osc\.(udp|tcp):\/\/:(\d+)\/?$/.exec(value);
  if (!url) return { port: parseListenPort(value), text: value };
  const scheme = url[1] === "tcp" ? "tcp" : "udp";
  return { port: parseListenPort(url[2]!), url: scheme, text: value };
}

function parseFraming(value: string): OscFraming {
  if (value === "auto" || value === "size" || value === "slip") return value;
  throw new InvalidArgumentError(
    `framing "${value}" is not auto, size or slip`,
  );
}

function parseEndpoint(value: string): NetAddress {
  const match = /^(\[[^\]]+\]|[^:]+):([^:]+)$/.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      `"${value}" is not host:port (an IPv6 address in brackets)`,
    );
  }
  return { address: parseHost(match[1]!), port: parsePort(match[2]!) };
}
