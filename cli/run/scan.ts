import { scanPorts } from "../../lib/mod.ts";
import type { ScanOptions } from "../commands/scan.ts";
import { eventPrinter } from "../_events.ts";
import { ExitCode } from "../_exit.ts";
import { familyOf } from "../_options.ts";

/** Scans `ports` on `host`, prints them, and returns the exit code. */
export async function runScan(
  host: string,
  ports: number[],
  options: ScanOptions,
): Promise<number> {
  // The list is the command's data, as `send --json`'s events are: a
  // stdout that fails (a full disk) ends the scan with exit 1, not exit 0
  // and an empty file.
  const printer = eventPrinter("tcp", "client", { ...options, lossless: true });
  let open = 0;
  for await (
    const result of scanPorts(host, ports, {
      timeout: options.wait,
      concurrency: options.concurrency,
      bannerTimeout: options.banner ? options.idleTimeout : undefined,
      family: familyOf(host, options),
    })
  ) {
    if (result.state === "open") open++;
    if (result.state !== "open" && !options.all && !options.verbose) continue;
    printer.emit({
      event: "port",
      peer: result.peer,
      state: result.state,
      ...(result.banner ? { data: result.banner } : {}),
    });
  }
  return open > 0 ? ExitCode.Ok : ExitCode.Network;
}
