import type { NetAddress, SocketServer } from "../lib/mod.ts";
import type { SockitEvent } from "./_events.ts";
import { accessFilter, parseCidr } from "./_access.ts";

/** The `--allow`/`--deny` lists every sockit server takes. */
export interface AccessOptions {
  allow?: string[];
  deny?: string[];
}

/** A server filter from `--allow`/`--deny`, or none when both are empty. */
export function accessFilterOf(
  options: AccessOptions,
): ((peer: NetAddress) => string | undefined) | undefined {
  return accessFilter(
    (options.allow ?? []).map(parseCidr),
    (options.deny ?? []).map(parseCidr),
  );
}

/**
 * The `listening` event with the real port and the `exposed` flag: a
 * server bound to every interface says so, whichever command runs it, and
 * a TLS server says `tls`.
 */
export function listeningEvent(
  server: SocketServer,
  target?: NetAddress,
): Extract<SockitEvent, { event: "listening" }> {
  return {
    event: "listening",
    address: server.localAddress,
    port: server.localPort,
    exposed: server.localAddress === "0.0.0.0" || server.localAddress === "::",
    ...(target ? { target } : {}),
    ...(server.tls ? { tls: true } : {}),
  };
}
