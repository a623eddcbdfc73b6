import { createServer } from "../lib/mod.ts";
import { EventPrinter, lineWriter } from "./_events.ts";
import { EchoNotifier } from "./_echo_notifier.ts";
import { shutdownSignal } from "./_shutdown.ts";
import { accessFilter, parseCidr } from "./_access.ts";
import { familyOf } from "./_options.ts";
import { UdpAnswerGuard } from "./_udp_answer_guard.ts";

/** What `echo-tcp` and `echo-udp` share on their command lines. */
export interface EchoServerOptions {
  host: string;
  port: number;
  json?: boolean;
  quiet?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  allow?: string[];
  deny?: string[];
  idleTimeout?: number;
  maxConns?: number;
  /** UDP: answers per second to one source; 0 for no limit. */
  rate?: number;
}

/**
 * Runs an echo server until SIGINT or SIGTERM, then stops it, prints the
 * `stopped` totals and resolves with exit code 0.
 */
export async function runEchoServer(
  protocol: "tcp" | "udp",
  options: EchoServerOptions,
): Promise<number> {
  const family = familyOf(options.host, options);
  const access = accessFilter(
    (options.allow ?? []).map(parseCidr),
    (options.deny ?? []).map(parseCidr),
  );
  const printer = new EventPrinter(
    protocol,
    "server",
    options.json ?? false,
    lineWriter(Deno.stdout),
  );
  const stopping = shutdownSignal();
  const server = await createServer(options.host, options.port, {
    protocol,
    family,
    filter: access,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConns,
    // EchoNotifier formats its event and returns its send before the next
    // read: no copy of each message needed.
    borrowMessages: true,
  });
  const guard = protocol === "udp"
    ? new UdpAnswerGuard(
      { address: server.localAddress, port: server.localPort },
      options.rate,
    )
    : undefined;
  const notifier = new EchoNotifier(printer, options.quiet ?? false, guard);
  printer.emit({
    event: "listening",
    address: server.localAddress,
    port: server.localPort,
    exposed: server.localAddress === "0.0.0.0" || server.localAddress === "::",
  });
  server.run(notifier);
  await stopping;
  await server.stop();
  printer.emit({
    event: "stopped",
    connections: notifier.connections,
    bytesIn: notifier.bytesIn,
    bytesOut: notifier.bytesOut,
    messages: notifier.messages,
  });
  return 0;
}
