import {
  createClient,
  type NetAddress,
  type SocketClient,
  SocketError,
  type TlsOptions,
} from "../lib/mod.ts";
import { formatPeer } from "./_peer_text.ts";
import { isEveryInterface } from "./_serving.ts";
import { type Endpoint, unixPathOf } from "./_options.ts";

/** How a relay reaches its target: `host:port` or `unix:PATH`. */
export interface RelayTarget extends Endpoint {
  family: 4 | 6 | undefined;
  /** Connect timeout, ms. */
  wait: number;
  /** Close a pair after this much silence both ways, ms. */
  idleTimeout: number | undefined;
  /** Aborted on shutdown, so no connect outlives the relay. */
  signal: AbortSignal;
  /** `--target-tls`: the target is spoken to over verified TLS. */
  tls?: TlsOptions;
}

/**
 * One connection (TCP) or upstream socket (UDP) to the target, through
 * the same `createClient` paths as `send`: TLS and a `unix:` path
 * included.
 */
export function connectTarget(
  target: RelayTarget,
  protocol: "tcp" | "udp",
): Promise<SocketClient> {
  const { host, port, family, wait, signal, tls } = target;
  const path = unixPathOf(host);
  if (path !== undefined) return createClient({ path }, { protocol, signal });
  return createClient(host, port, {
    protocol,
    timeout: wait,
    family,
    signal,
    tls,
  });
}

/**
 * Whether `address:port` is the relay's own listening socket: a target
 * that names the relay itself (`relay 8080 localhost:8080`) makes every
 * pair's connection a new client, and so on until `-m` (socat forks until
 * it runs out of descriptors). `localhost` is both loopbacks; on a
 * wildcard listener any loopback address, or `ownAddress` (the address a
 * connection to the target came from), is the relay too.
 */
export function isListener(
  address: string,
  port: number,
  listening: NetAddress,
  ownAddress?: string,
): boolean {
  if (port !== listening.port) return false;
  const candidates = address === "localhost"
    ? ["127.0.0.1", "::1"]
    : [address.replace(/^::ffff:/, "")];
  const wildcard = isEveryInterface(listening.address);
  return candidates.some((candidate) =>
    candidate === listening.address ||
    (wildcard && (candidate === ownAddress || /^127\.|^::1$/.test(candidate)))
  );
}

/** Whether a connection made to the target reached the relay itself. */
export function reachesListener(
  upstream: SocketClient,
  listening: NetAddress,
): boolean {
  return isListener(
    upstream.peerAddress,
    upstream.peerPort,
    listening,
    upstream.localAddress,
  );
}

/** What a client of a relay whose target is the relay itself is told. */
export function loopError(target: NetAddress, peer: NetAddress): SocketError {
  return new SocketError(
    "failed",
    `Cannot relay to "${
      formatPeer(target)
    }": it is this relay's own listening address (a loop)`,
    { peer },
  );
}
