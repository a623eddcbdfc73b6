import {
  createClient,
  type SocketClient,
  type TlsOptions,
} from "../lib/mod.ts";
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
