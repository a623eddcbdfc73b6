import type { NetAddress } from "../lib/mod.ts";

/**
 * `127.0.0.1:80` or `[::1]:80`: events always show numeric addresses; a
 * Unix peer is `unix:PATH` already.
 */
export function formatPeer(peer: NetAddress): string {
  // Looked up, not cached on a miss: most peers formatted once (a relay's
  // target and local address, each event's own object) would only fill
  // the cache, and adding to a WeakMap costs more than the text.
  const known = peerTexts.get(peer);
  return known !== undefined && known.address === peer.address &&
      known.port === peer.port
    ? known.text
    : peerText(peer);
}

/** A peer's texts, built once per peer object. */
export interface PeerText {
  address: string;
  port: number;
  text: string;
  /** The Utf8Carry keys of its two directions, `>` then `<`. */
  carry?: [string, string];
  /** Its message lines' starts: sent (up), then received (down). */
  messageHeads?: MessageHeads;
}

/** `client A:P sent '` and `client A:P received '`, as text and UTF-8. */
export interface MessageHeads {
  text: [string, string];
  bytes: [Uint8Array, Uint8Array];
}

/**
 * A connection's peer is one object for its whole life (see the library's
 * clients), so its texts are built once, not for every message event.
 */
const peerTexts = new WeakMap<NetAddress, PeerText>();

/** The texts of `peer`, from its cache entry while it has not changed. */
export function peerTextOf(peer: NetAddress): PeerText {
  const known = peerTexts.get(peer);
  if (
    known !== undefined && known.address === peer.address &&
    known.port === peer.port
  ) {
    return known;
  }
  const entry: PeerText = {
    address: peer.address,
    port: peer.port,
    text: peerText(peer),
  };
  peerTexts.set(peer, entry);
  return entry;
}

function peerText(peer: NetAddress): string {
  return peer.address.startsWith("unix:")
    ? peer.address
    : peer.address.includes(":")
    ? `[${peer.address}]:${peer.port}`
    : `${peer.address}:${peer.port}`;
}
