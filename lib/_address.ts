import type { NetAddress } from "./errors.ts";
import { UNIX_PREFIX, unixPeer } from "./_unix.ts";

/** Removes the brackets users write around IPv6 literals (`[::1]`). */
export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** `host:port`, with IPv6 in brackets so the port stays unambiguous. */
export function formatEndpoint(host: string, port: number): string {
  if (host.startsWith(UNIX_PREFIX)) return host;
  const bare = stripBrackets(host);
  return bare.includes(":") ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/**
 * Narrows Deno's address union: a numeric address and port, or for a Unix
 * socket `unix:PATH` and port 0.
 */
export function toNetAddress(addr: Deno.Addr): NetAddress {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return { address: addr.hostname, port: addr.port };
  }
  return unixPeer("path" in addr ? addr.path : null);
}
