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
  const printer = eventPrinter("tcp", "client", options);
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
