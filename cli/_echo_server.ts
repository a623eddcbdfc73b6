import { eventPrinter } from "./_events.ts";
import { EchoNotifier } from "./_echo_notifier.ts";
import { shutdownSignal } from "./_shutdown.ts";
import { bindServer, listeningEvent } from "./_serving.ts";
import { type ListenFlags, refuseQuietHex } from "./_server_flags.ts";
import { UdpAnswerGuard } from "./_udp_answer_guard.ts";

/** What `echo-tcp` and `echo-udp` share on their command lines. */
export interface EchoServerOptions extends ListenFlags {
  host: string;
  port: number;
  json?: boolean;
  quiet?: boolean;
  idleTimeout?: number;
  maxConns?: number;
  hex?: boolean;
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
  refuseQuietHex(options);
  const printer = eventPrinter(protocol, "server", {
    json: options.json,
    hex: options.hex,
    unix: options.unix !== undefined,
  });
  const stopping = shutdownSignal();
  const server = await bindServer(options.host, options.port, options, {
    protocol,
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
  printer.emit(listeningEvent(server));
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
