import type { NetAddress } from "../lib/mod.ts";
import { SenderMemory } from "../lib/_sender_memory.ts";

/** Source ports of the classic UDP services an echo must never answer. */
const SERVICE_PORTS = new Set([7, 13, 19, 37]);

/**
 * Repeated answers per second to one source address and port. A ping-pong
 * loop between two echo servers runs at thousands per second; a person or
 * a script that waits for each reply stays far below.
 */
export const DEFAULT_ANSWER_RATE = 1000;

/** Sources tracked at most: a spoofed flood cannot grow the table. */
const MAX_TRACKED = 10_000;
/**
 * Addresses tracked at most on one source port; past it, the port's older
 * ones are forgotten (a loop among them gets `rate` more answers at worst).
 */
const MAX_PER_PORT = 16;

/** What to do with one datagram: answer it, refuse it with an event, or drop it quietly. */
export type AnswerVerdict = "answer" | "loop" | "rate" | "drop";

/** One source address and port: its last datagram and its repeats. */
interface Source {
  address: string;
  /** {@linkcode signatureOf} the last datagram. */
  last: number;
  /** Repeats since `since`. */
  repeats: number;
  /** When the first of those repeats came (ms). */
  since: number;
  /** The next source with the same port (another address). */
  next: Source | undefined;
}

/**
 * When a UDP server that answers every datagram (an echo) must stay
 * silent, so that one spoofed datagram cannot start an endless loop:
 *
 * - never answer the classic service ports 7, 13, 19 and 37 (`loop`);
 * - never answer a source that uses the server's own port: it is the
 *   server itself (a spoofed source) or a twin on another host (`loop`);
 * - refuse such a source with `loop` once, then drop its datagrams
 *   without an event: a spoofed flood is one line, not one per datagram;
 * - answer one source address and port at most `rate` times a second
 *   with the same datagram it sent last; the first datagram over it is
 *   refused with `rate`, the rest of that second's burst is dropped
 *   without an event.
 *
 * Only repeats count because a loop is a repeat: whatever bounces between
 * two echoes comes back unchanged, while a client under load (a benchmark
 * numbering its datagrams, a DNS resolver) sends something new each time
 * and is never throttled. A repeat is judged by length and the first and
 * last bytes, so the check costs the same for any datagram size.
 *
 * Every datagram goes through here, so the common case is kept to a few
 * reads: sources are found by port (a number, no key string built per
 * datagram), and the clock is read only by a repeat that starts a second's
 * count or goes over it, never for traffic that changes. Each was measured
 * on `echo-udp -q` under the benchmark's 8 ping-pong clients.
 *
 * It is a CLI policy and not a library option because it decides which
 * events to print; any server command that answers datagrams can call
 * `verdict` before it replies.
 */
export class UdpAnswerGuard {
  #local: NetAddress;
  #port: number;
  #rate: number;
  #clock: () => number;
  #sources = new Map<number, Source>();
  #tracked = 0;
  #toldLoop = new SenderMemory();

  /**
   * `rate` 0 turns the rate limit off; the loop rules always hold.
   * `clock` (ms) is for tests.
   */
  constructor(
    local: NetAddress,
    rate = DEFAULT_ANSWER_RATE,
    clock: () => number = Date.now,
  ) {
    this.#local = local;
    this.#port = local.port;
    this.#rate = rate;
    this.#clock = clock;
  }

  verdict(peer: NetAddress, data: Uint8Array): AnswerVerdict {
    // A Unix datagram peer has no port: only its own path is a loop.
    if (
      peer.address.startsWith("unix:")
        ? peer.address === this.#local.address
        : SERVICE_PORTS.has(peer.port) || peer.port === this.#port
    ) {
      return this.#toldLoop.firstTime(peer) ? "loop" : "drop";
    }
    if (this.#rate === 0) return "answer";
    const signature = signatureOf(data);
    let source = this.#sources.get(peer.port);
    let depth = 0;
    while (source !== undefined && source.address !== peer.address) {
      source = source.next;
      depth++;
    }
    if (source === undefined) {
      // A full table starts again: at worst a loop gets `rate` more answers.
      if (this.#tracked >= MAX_TRACKED) {
        this.#sources.clear();
        this.#tracked = 0;
      }
      this.#tracked++;
      this.#sources.set(peer.port, {
        address: peer.address,
        last: signature,
        repeats: 0,
        since: 0,
        // A port shared by many addresses (a spoofed flood from port 53)
        // keeps its newest few: no lookup walks a long chain.
        next: depth >= MAX_PER_PORT ? undefined : this.#sources.get(peer.port),
      });
      return "answer";
    }
    if (source.last !== signature) {
      source.last = signature;
      return "answer";
    }
    if (source.repeats === 0) source.since = this.#clock();
    const repeats = ++source.repeats;
    if (repeats <= this.#rate) return "answer";
    const now = this.#clock();
    if (now - source.since >= 1000) {
      // A new second, a new budget: this repeat is its first.
      source.since = now;
      source.repeats = 1;
      return "answer";
    }
    return repeats === this.#rate + 1 ? "rate" : "drop";
  }
}

/** Bytes compared at each end of a datagram to call it a repeat. */
const SAMPLE = 32;

/**
 * A 32-bit FNV-1a hash of a datagram's length and its first and last bytes:
 * no allocation per datagram (an array of the bytes took a verdict from
 * ~0.4 to ~0.9 µs). Two different datagrams that collide only count as a
 * repeat.
 */
function signatureOf(data: Uint8Array): number {
  let hash = Math.imul(0x811c9dc5 ^ data.length, 0x01000193);
  const headEnd = Math.min(SAMPLE, data.length);
  for (let i = 0; i < headEnd; i++) {
    hash = Math.imul(hash ^ data[i]!, 0x01000193);
  }
  for (let i = Math.max(SAMPLE, data.length - SAMPLE); i < data.length; i++) {
    hash = Math.imul(hash ^ data[i]!, 0x01000193);
  }
  return hash >>> 0;
}
