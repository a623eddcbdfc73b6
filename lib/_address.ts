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

/**
 * An IPv6 literal's eight 16-bit groups, or `undefined` if it is not one.
 * WHATWG URL parsing validates it and rewrites an embedded IPv4 tail
 * (`::ffff:1.2.3.4`) as hex groups, which leaves only "::" to expand.
 */
export function ipv6Groups(address: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(address) || !address.includes(":")) {
    return undefined;
  }
  let normal: string;
  try {
    normal = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = "", tail] = normal.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(zeros).fill("0"), ...tailGroups]
    .map((group) => parseInt(group, 16));
}
