import type { NetAddress } from "../lib/mod.ts";

/** Source ports of the classic UDP services an echo must never answer. */
const SERVICE_PORTS = new Set([7, 13, 19, 37]);

/**
 * Answers per second to one source address and port. A ping-pong loop
 * between two echo servers runs at thousands per second; a person or a
 * script that waits for each reply stays far below.
 */
export const DEFAULT_ANSWER_RATE = 1000;

/** Sources tracked per second: a spoofed flood cannot grow the table. */
const MAX_TRACKED = 10_000;

/** What to do with one datagram: answer it, refuse it with an event, or drop it quietly. */
export type AnswerVerdict = "answer" | "loop" | "rate" | "drop";

/**
 * When a UDP server that answers every datagram (an echo) must stay
 * silent, so that one spoofed datagram cannot start an endless loop:
 *
 * - never answer the classic service ports 7, 13, 19 and 37 (`loop`);
 * - never answer a source that uses the server's own port: it is the
 *   server itself (a spoofed source) or a twin on another host (`loop`);
 * - answer one source address and port at most `rate` times a second;
 *   the first datagram over it is refused with `rate`, the rest of that
 *   second's burst is dropped without an event.
 *
 * It is a CLI policy and not a library option because it decides which
 * events to print; any server command that answers datagrams can call
 * `verdict` before it replies.
 */
export class UdpAnswerGuard {
  #port: number;
  #rate: number;
  #counts = new Map<string, number>();
  #windowStart = 0;

  /** `rate` 0 turns the rate limit off; the loop rules always hold. */
  constructor(local: NetAddress, rate = DEFAULT_ANSWER_RATE) {
    this.#port = local.port;
    this.#rate = rate;
  }

  verdict(peer: NetAddress, now = Date.now()): AnswerVerdict {
    if (SERVICE_PORTS.has(peer.port) || peer.port === this.#port) {
      return "loop";
    }
    if (this.#rate === 0) return "answer";
    if (now - this.#windowStart >= 1000) {
      this.#counts.clear();
      this.#windowStart = now;
    }
    const key = `${peer.address} ${peer.port}`;
    const count = (this.#counts.get(key) ?? 0) + 1;
    if (count === 1 && this.#counts.size >= MAX_TRACKED) return "answer";
    this.#counts.set(key, count);
    if (count <= this.#rate) return "answer";
    return count === this.#rate + 1 ? "rate" : "drop";
  }
}
