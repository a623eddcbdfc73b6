import { createServer } from "../lib/mod.ts";
import { EventPrinter, lineWriter } from "./_events.ts";
import { EchoNotifier } from "./_echo_notifier.ts";
import { shutdownSignal } from "./_shutdown.ts";
import { accessFilterOf, listeningEvent } from "./_serving.ts";
import { familyOf } from "./_options.ts";
import { readServerPair } from "./_tls_files.ts";
import { UsageError } from "./_exit.ts";
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
  tlsCert?: string;
  tlsKey?: string;
  unix?: string;
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
  const family = familyOf(options.host, options);
  if (options.unix !== undefined && (options.allow || options.deny)) {
    throw new UsageError("--allow and --deny take IP networks, not --unix");
  }
  const access = accessFilterOf(options);
  const printer = new EventPrinter(
    protocol,
    "server",
    options.json ?? false,
    lineWriter(Deno.stdout),
    { hex: options.hex ?? false },
  );
  const tls = await readServerPair(options.tlsCert, options.tlsKey);
  const stopping = shutdownSignal();
  const settings = {
    protocol,
    filter: access,
    idleTimeout: options.idleTimeout,
    maxConnections: options.maxConns,
    tls,
    // EchoNotifier formats its event and returns its send before the next
    // read: no copy of each message needed.
    borrowMessages: true,
  };
  const server = options.unix === undefined
    ? await createServer(options.host, options.port, { ...settings, family })
    : await createServer({ path: options.unix }, settings);
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
