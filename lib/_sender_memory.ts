import type { NetAddress } from "./errors.ts";

/** Most senders remembered, so spoofed ones cannot grow memory. */
const MAX_REMEMBERED = 4096;

/**
 * Which datagram senders (address and port) were already told something,
 * a refusal or a loop: each is told once, not once per datagram, so a
 * flood from one source is one event.
 */
export class SenderMemory {
  #told = new Set<string>();

  /** True the first time `peer` is seen (again after 4096 others). */
  firstTime(peer: NetAddress): boolean {
    const key = senderKey(peer);
    if (this.#told.has(key)) return false;
    if (this.#told.size >= MAX_REMEMBERED) this.#told.clear();
    this.#told.add(key);
    return true;
  }
}

/** One key per sender address and port. */
export function senderKey(peer: NetAddress): string {
  return `${peer.address}|${peer.port}`;
}
