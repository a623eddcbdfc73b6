import {
  createServer,
  type NetAddress,
  type ServerOptions,
  type SocketServer,
} from "../lib/mod.ts";
import type { SockitEvent } from "./_events.ts";
import { accessFilter, parseCidr } from "./_access.ts";
import { UsageError } from "./_exit.ts";
import { familyOf } from "./_options.ts";
import type { AccessOptions, ListenFlags } from "./_server_flags.ts";
import { readServerPair } from "./_tls_files.ts";

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
    exposed: isEveryInterface(server.localAddress),
    ...(target ? { target } : {}),
    ...(server.tls ? { tls: true } : {}),
  };
}

/** Whether a server bound to `address` listens on every interface. */
export function isEveryInterface(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

/**
 * Binds a server command's socket, for `echo-tcp`, `echo-udp`, `listen`
 * and `relay` alike: flags that cannot go together are exit 2, and the
 * `--tls-cert`/`--tls-key` pair is checked, all before anything is bound.
 */
export async function bindServer(
  host: string,
  port: number,
  flags: ListenFlags,
  settings: Omit<ServerOptions, "family" | "filter" | "tls">,
): Promise<SocketServer> {
  const family = familyOf(host, flags);
  const path = flags.unix;
  if (path !== undefined && (flags.allow || flags.deny)) {
    throw new UsageError(
      `--allow and --deny take IP networks; a Unix socket ("${path}") has no peer address`,
    );
  }
  const filter = accessFilterOf(flags);
  const tls = await readServerPair(flags.tlsCert, flags.tlsKey);
  if (tls && settings.protocol === "udp") {
    throw new UsageError("--tls-cert needs TCP, not -u/--udp");
  }
  if (tls && path !== undefined) {
    throw new UsageError(
      `--tls-cert: TLS over a Unix socket is not supported ("${path}")`,
    );
  }
  const options = { ...settings, filter, tls };
  return path === undefined
    ? await createServer(host, port, { ...options, family })
    : await createServer({ path }, options);
}
