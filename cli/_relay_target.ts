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
import { resolveAll } from "../lib/_resolve.ts";
import { withDeadline } from "../lib/_deadline.ts";

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

/**
 * How long the start waits for a target name's addresses: a resolver that
 * is slow to answer must not hold up the relay's start; such a name is
 * judged when a connection to it completes instead.
 */
const NAME_CHECK_MS = 1000;

/**
 * Whether the target is the relay's own listening socket, judged before
 * the first client: {@linkcode isListener} for what the words say, and on
 * a wildcard listener any address of the target's that this host owns (its
 * LAN address, or a name for it), which only a connection would show
 * otherwise, one client too late. A target that does not resolve now (or
 * within {@linkcode NAME_CHECK_MS}) is each client's error later, not a loop.
 */
export async function targetsItself(
  target: Endpoint,
  family: 4 | 6 | undefined,
  listening: NetAddress,
): Promise<boolean> {
  const { host, port } = target;
  if (isListener(host, port, listening)) return true;
  if (
    port !== listening.port || !isEveryInterface(listening.address) ||
    unixPathOf(host) !== undefined
  ) return false;
  let addresses: string[];
  try {
    addresses = await withDeadline(
      resolveAll(host, port, family, "connect to"),
      NAME_CHECK_MS,
      () => new Error("slow"),
    );
  } catch {
    return false;
  }
  // 0.0.0.0 takes no IPv6 connection; :: takes both.
  return addresses.some((address) =>
    (listening.address === "::" || !address.includes(":")) &&
    isOwnAddress(address)
  );
}

/**
 * Whether this host owns `address`: only an own address can be bound.
 * Binding needs no permission the relay lacks, and sends nothing.
 */
export function isOwnAddress(address: string): boolean {
  try {
    Deno.listen({ hostname: address, port: 0 }).close();
    return true;
  } catch {
    return false;
  }
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
