import type { NetAddress } from "./errors.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";
import { formatEndpoint } from "./_address.ts";
import { isUnix, pathOf, UNBOUND } from "./_unix.ts";

/** 65,535 minus the IPv4 (20) and UDP (8) headers. */
export const MAX_UDP_PAYLOAD_IPV4 = 65_507;
/** 65,535 minus the UDP header; IPv6's header is not counted. */
export const MAX_UDP_PAYLOAD_IPV6 = 65_527;
/** Larger than any payload, so a full buffer means the kernel cut one. */
export const DATAGRAM_BUFFER_SIZE = 65_536;

/**
 * The largest payload one datagram to `peer` can carry: 65,507 bytes over
 * IPv4, 65,527 over IPv6.
 *
 * @example Cut input into datagrams that fit
 * ```ts
 * import { maxDatagramPayload } from "@sockit/sockit";
 *
 * console.log(maxDatagramPayload({ address: "127.0.0.1", port: 53 })); // 65507
 * ```
 */
export function maxDatagramPayload(peer: NetAddress): number {
  return peer.address.includes(":") && !isUnix(peer)
    ? MAX_UDP_PAYLOAD_IPV6
    : MAX_UDP_PAYLOAD_IPV4;
}

/** A RangeError naming the peer, for a payload that cannot be one datagram. */
export function oversizeError(peer: NetAddress, size: number): RangeError {
  const where = formatEndpoint(peer.address, peer.port);
  return new RangeError(
    `Cannot send to "${where}": a datagram of ${size} bytes exceeds the ${
      maxDatagramPayload(peer)
    }-byte limit`,
  );
}

/**
 * Sends `bytes` to `peer` as exactly one datagram. A payload too large for
 * one is a RangeError before any I/O; a send failure is a SocketError.
 * Either way `onFailure` runs first: a caller's undo, called here rather
 * than from a `catch()` of its own, which would be a promise more per
 * datagram. Not an async function for the same reason: a server's hot path.
 * `to` is `peer` in Deno's form, when the caller has it already.
 */
export function sendDatagram(
  conn: Pick<Deno.DatagramConn, "send">,
  peer: NetAddress,
  bytes: Uint8Array,
  onFailure?: () => void,
  to: Deno.Addr = toDatagramAddr(peer),
): Promise<void> {
  const refused = bytes.length > maxDatagramPayload(peer)
    ? oversizeError(peer, bytes.length)
    : peer.address === UNBOUND
    ? socketError("failed", "send to", peer, {
      detail: "the sender has no socket path to answer",
    })
    : undefined;
  if (refused) {
    onFailure?.();
    return Promise.reject(refused);
  }
  return conn.send(bytes, to).then(ignore, (error) => {
    onFailure?.();
    throw toSocketError(error, "send to", peer);
  });
}

function ignore(): void {}

/** Deno's address form for `DatagramConn.send`: UDP or a Unix datagram path. */
export function toDatagramAddr(peer: NetAddress): Deno.Addr {
  return isUnix(peer)
    ? { transport: "unixpacket", path: pathOf(peer) }
    : { transport: "udp", hostname: peer.address, port: peer.port };
}

/** `Deno.listenDatagram`, or a TypeError that says how to enable it. */
export function listenDatagram(
  options:
    | (Deno.UdpListenOptions & { transport: "udp" })
    | Deno.UnixListenOptions & { transport: "unixpacket" },
): Deno.DatagramConn {
  if (typeof Deno.listenDatagram !== "function") {
    throw new TypeError(
      'Cannot open a UDP socket: run Deno with --unstable-net or set "unstable": ["net"] in deno.json',
    );
  }
  return options.transport === "udp"
    ? Deno.listenDatagram(options)
    : Deno.listenDatagram(options);
}
