import type { RelayOptions } from "../commands/relay.ts";
import { eventPrinter } from "../_events.ts";
import { shutdownSignal } from "../_shutdown.ts";
import { bindServer, listeningEvent } from "../_serving.ts";
import { RelayReport } from "../_relay_report.ts";
import { TcpRelay } from "../_tcp_relay.ts";
import { UdpRelay } from "../_udp_relay.ts";
import { UsageError } from "../_exit.ts";
import { refuseQuietHex } from "../_server_flags.ts";
import { clientTlsOf } from "../_tls_options.ts";
import { type Endpoint, familyOf, unixPathOf } from "../_options.ts";
import { targetsItself } from "../_relay_target.ts";
import { formatPeer } from "../_peer_text.ts";

/** Relays until SIGINT or SIGTERM, then closes every pair; exit code 0. */
export async function runRelay(
  listen: Endpoint,
  target: Endpoint,
  options: RelayOptions,
): Promise<number> {
  refuseQuietHex(options);
  const protocol = options.udp ? "udp" : "tcp";
  const family = familyOf(listen.host, options);
  familyOf(target.host, options);
  if (options.udp && unixPathOf(listen.host) !== undefined) {
    // A reply would be sent while the next datagram is awaited on the
    // same socket, which Deno refuses ("socket already in use").
    throw new UsageError(
      `relay -u cannot listen on a Unix datagram socket ("${listen.host}"); a Unix target works`,
    );
  }
  const tls = await clientTlsOf(options.targetTls, "--target-tls", options);
  if (tls && unixPathOf(target.host) !== undefined) {
    throw new UsageError(
      `--target-tls: TLS over a Unix socket is not supported ("${target.host}")`,
    );
  }
  const printer = eventPrinter(protocol, "server", {
    json: options.json,
    hex: options.hex,
    unix: unixPathOf(listen.host) !== undefined,
  });
  const stopping = shutdownSignal();
  const aborting = new AbortController();
  const server = await bindServer(listen.host, listen.port, {
    ...options,
    unix: unixPathOf(listen.host),
  }, { protocol, maxConnections: options.maxConns });
  const report = new RelayReport(
    printer,
    { address: target.host, port: target.port },
    options.quiet ?? false,
  );
  const relayTarget = {
    ...target,
    family,
    wait: options.wait,
    idleTimeout: options.idleTimeout,
    signal: aborting.signal,
    tls,
  };
  const listening = { address: server.localAddress, port: server.localPort };
  if (await targetsItself(target, family, listening)) {
    await server.stop();
    throw new UsageError(
      `the target "${
        formatPeer({ address: target.host, port: target.port })
      }" is this relay's own listening address: every connection would loop back to it`,
    );
  }
  const notifier = protocol === "tcp"
    ? new TcpRelay(relayTarget, report, listening)
    : new UdpRelay(relayTarget, report, options.maxConns, listening);
  printer.emit(listeningEvent(server, report.target));
  server.run(notifier);
  await stopping;
  aborting.abort();
  await server.stop();
  if (notifier instanceof UdpRelay) await notifier.close();
  report.stopped();
  return 0;
}
