import type { NetAddress, SocketError } from "./errors.ts";
import { socketError } from "./_socket_error_from.ts";
import { isUnix } from "./_unix.ts";
import { ipv6Groups } from "./_address.ts";

/**
 * How many datagrams the kernel has dropped for the UDP socket bound at
 * `local` since it opened, mostly because its receive buffer was full:
 * Linux's own count, the last column of /proc/net/udp (udp6 for IPv6).
 * `undefined` where the system does not keep it, or where it may not be
 * read: Deno gives /proc to `--allow-all` (`-A`) only, and a narrower
 * grant is never prompted for (a server must not stop to ask).
 *
 * Deno cannot enlarge a socket's receive buffer (212 KB by default: about
 * 256 small datagrams), and a burst faster than its receive loop overflows
 * it. The kernel keeps the count, so a loss can at least be told.
 */
export function kernelDrops(local: NetAddress): number | undefined {
  if (procUnreadable || Deno.build.os !== "linux" || isUnix(local)) {
    return undefined;
  }
  const v6 = local.address.includes(":");
  const table = v6 ? "/proc/net/udp6" : "/proc/net/udp";
  let text: string;
  try {
    procUnreadable =
      Deno.permissions.querySync({ name: "read", path: table }).state !==
        "granted";
    if (procUnreadable) return undefined;
    text = Deno.readTextFileSync(table);
  } catch (error) {
    // NotCapable: read access without -A. Asked once, not per datagram.
    if (error instanceof Deno.errors.NotCapable) procUnreadable = true;
    return undefined;
  }
  const wanted = `${procAddress(local.address)}:${
    local.port.toString(16).toUpperCase().padStart(4, "0")
  }`;
  let drops: number | undefined;
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // sl, local_address, rem_address, … drops: the second and the last.
    if (fields[1] !== wanted) continue;
    drops = (drops ?? 0) + Number(fields[fields.length - 1]);
  }
  return drops;
}

/**
 * An address as /proc/net prints it: each 32-bit word in the machine's
 * byte order, as hex (127.0.0.1 is `0100007F` on a little-endian host).
 */
function procAddress(address: string): string {
  const bytes = address.includes(":") ? ipv6Bytes(address) : ipv4Bytes(address);
  let text = "";
  for (let word = 0; word < bytes.length; word += 4) {
    const group = bytes.slice(word, word + 4);
    if (LITTLE_ENDIAN) group.reverse();
    for (const byte of group) {
      text += byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return text;
}

/** Set once /proc turns out to be out of reach: it stays so. */
let procUnreadable = false;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function ipv4Bytes(address: string): number[] {
  return address.split(".").map(Number);
}

function ipv6Bytes(address: string): number[] {
  // A zone (fe80::1%eth0) is not part of the address /proc prints.
  const groups = ipv6Groups(address.replace(/%.*$/, "")) ?? [];
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/**
 * The kernel's drop count of one socket, told as it grows: a `"overflow"`
 * {@linkcode SocketError} per call that finds new drops.
 */
export class KernelDropWatch {
  #local: NetAddress;
  #action: "receive on" | "receive from";
  #endpoint: NetAddress;
  #told = 0;

  /**
   * `local` is the socket's own address; errors name `endpoint` (the
   * socket's own for a server, the peer for a client).
   */
  constructor(
    local: NetAddress,
    action: "receive on" | "receive from",
    endpoint: NetAddress = local,
  ) {
    this.#local = local;
    this.#action = action;
    this.#endpoint = endpoint;
  }

  /** Datagrams dropped so far, as last counted. */
  get total(): number {
    return this.#told;
  }

  /** An error counting the drops since the last call, if there were any. */
  check(): SocketError | undefined {
    const total = kernelDrops(this.#local);
    if (total === undefined || total <= this.#told) return undefined;
    const dropped = total - this.#told;
    this.#told = total;
    return overflowError(this.#action, this.#endpoint, dropped);
  }
}

/** Says that `dropped` datagrams to a socket were lost before it read them. */
export function overflowError(
  action: "receive on" | "receive from",
  endpoint: NetAddress,
  dropped: number,
): SocketError {
  return socketError("overflow", action, endpoint, {
    detail: `the kernel dropped ${dropped} ${
      dropped === 1 ? "datagram" : "datagrams"
    }: they came faster than they were read (receive buffer full)`,
  });
}
