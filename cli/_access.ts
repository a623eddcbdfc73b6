import { InvalidArgumentError } from "@commander-js/extra-typings";
import type { NetAddress } from "../lib/mod.ts";
import { ipv6Groups } from "../lib/_address.ts";

/** A parsed `--allow`/`--deny` network: address bits and prefix length. */
interface Cidr {
  version: 4 | 6;
  bits: bigint;
  prefix: number;
}

/**
 * Parses `10.0.0.0/8`, `::1`, `[fe80::]/10` and bare addresses (a /32 or
 * /128). Throws a usage error that names the value.
 */
export function parseCidr(value: string): Cidr {
  const [rawAddress = "", rawPrefix, ...rest] = value.split("/");
  const address = rawAddress.replace(/^\[(.*)\]$/, "$1");
  const parsed = rest.length === 0 ? addressBits(address) : undefined;
  if (parsed === undefined) {
    throw new InvalidArgumentError(
      `network "${value}" is not an address or address/prefix (CIDR)`,
    );
  }
  const max = parsed.version === 4 ? 32 : 128;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  const prefixOk = rawPrefix === undefined || /^\d{1,3}$/.test(rawPrefix);
  if (!prefixOk || !(prefix >= 0 && prefix <= max)) {
    throw new InvalidArgumentError(
      `network "${value}" has a bad prefix length: use 0 to ${max}`,
    );
  }
  return { ...parsed, prefix };
}

/**
 * A server filter from `--allow`/`--deny` lists, ncat's rules: a peer in
 * a deny network is refused; with any allow network, a peer outside all
 * of them is refused too.
 */
export function accessFilter(
  allow: Cidr[],
  deny: Cidr[],
): ((peer: NetAddress) => string | undefined) | undefined {
  if (allow.length === 0 && deny.length === 0) return undefined;
  return (peer) => {
    const bits = addressBits(peer.address);
    if (bits === undefined) return "denied";
    if (deny.some((net) => contains(net, bits))) return "denied";
    if (allow.length > 0 && !allow.some((net) => contains(net, bits))) {
      return "denied";
    }
    return undefined;
  };
}

function contains(
  net: Cidr,
  address: { version: 4 | 6; bits: bigint },
): boolean {
  const width = net.version === 4 ? 32n : 128n;
  let candidate = address;
  // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
  if (net.version === 4 && address.version === 6) {
    if (address.bits >> 32n !== 0xffffn) return false;
    candidate = { version: 4, bits: address.bits & 0xffffffffn };
  }
  if (candidate.version !== net.version) return false;
  const shift = width - BigInt(net.prefix);
  return (candidate.bits >> shift) === (net.bits >> shift);
}

function addressBits(
  address: string,
): { version: 4 | 6; bits: bigint } | undefined {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return { version: 4, bits: v4 };
  const v6 = parseIpv6(address);
  return v6 === undefined ? undefined : { version: 6, bits: v6 };
}

function parseIpv4(address: string): bigint | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  let bits = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    bits = (bits << 8n) | BigInt(part);
  }
  return bits;
}

function parseIpv6(address: string): bigint | undefined {
  return ipv6Groups(address)?.reduce(
    (bits, group) => (bits << 16n) | BigInt(group),
    0n,
  );
}
