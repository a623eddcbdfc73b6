import type { NetAddress } from "./errors.ts";

/** Removes the brackets users write around IPv6 literals (`[::1]`). */
export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** `host:port`, with IPv6 in brackets so the port stays unambiguous. */
export function formatEndpoint(host: string, port: number): string {
  const bare = stripBrackets(host);
  return bare.includes(":") ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** Narrows Deno's address union to the numeric address of a TCP/UDP peer. */
export function toNetAddress(addr: Deno.Addr): NetAddress {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return { address: addr.hostname, port: addr.port };
  }
  return { address: "path" in addr ? addr.path : "", port: 0 };
}
