/**
 * Keeps a UTF-8 character that TCP cut between two reads readable: the
 * incomplete start of a character at the end of one chunk is held back
 * and put in front of the next chunk of the same stream. Only the last
 * three bytes of a chunk are looked at, and nothing is copied unless a
 * chunk really ends inside a character.
 *
 * Binary data (a benchmark's random bytes) ends "inside a character" in
 * about one chunk of four, so that case allocates nothing either: the
 * held bytes are packed into a number, and a joined chunk is built in one
 * reused buffer.
 */
export class Utf8Carry {
  /** Per stream: how many bytes are held (top byte), then the bytes. */
  #held = new Map<string, number>();
  #joined = new Uint8Array(256);

  /**
   * `data` with the bytes held for `key` in front and its own incomplete
   * last character held back (possibly leaving nothing to show now).
   * `key` names one direction of one peer's stream; given as a function,
   * it is only called when something is or will be held. The result may
   * be a view of a buffer that the next `join` reuses: use it first.
   */
  join(data: Uint8Array, key: string | (() => string)): Uint8Array {
    let whole = data;
    let name: string | undefined;
    if (this.#held.size > 0) {
      name = typeof key === "string" ? key : key();
      const held = this.#held.get(name);
      if (held !== undefined) {
        this.#held.delete(name);
        const count = held >>> 24;
        const size = count + data.length;
        if (this.#joined.length < size) {
          this.#joined = new Uint8Array(
            Math.max(size, this.#joined.length * 2),
          );
        }
        whole = this.#joined.subarray(0, size);
        for (let i = 0; i < count; i++) {
          whole[i] = (held >>> (16 - 8 * i)) & 0xff;
        }
        whole.set(data, count);
      }
    }
    const tail = incompleteTail(whole);
    if (tail === 0) return whole;
    let packed = tail << 24;
    for (let i = 0; i < tail; i++) {
      packed |= whole[whole.length - tail + i]! << (16 - 8 * i);
    }
    name ??= typeof key === "string" ? key : key();
    this.#held.set(name, packed);
    return whole.subarray(0, whole.length - tail);
  }

  /** Whether nothing is held for any stream: nothing to flush. */
  get isEmpty(): boolean {
    return this.#held.size === 0;
  }

  /** What is still held for `key` (a stream that ended mid-character), forgotten. */
  flush(key: string): Uint8Array | undefined {
    const held = this.#held.get(key);
    if (held === undefined) return undefined;
    this.#held.delete(key);
    const count = held >>> 24;
    return Uint8Array.from(
      { length: count },
      (_, i) => (held >>> (16 - 8 * i)) & 0xff,
    );
  }
}

/**
 * How many bytes (0–3) at the end of `data` start a UTF-8 sequence that is
 * well formed so far (RFC 3629 table 3) but incomplete.
 */
export function incompleteTail(data: Uint8Array): number {
  const end = data.length;
  for (let back = 1; back <= 3 && back <= end; back++) {
    const byte = data[end - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xc2 && byte <= 0xdf
      ? 2
      : byte >= 0xe0 && byte <= 0xef
      ? 3
      : byte >= 0xf0 && byte <= 0xf4
      ? 4
      : 0;
    if (length <= back) return 0;
    if (back >= 2 && !secondByteFits(byte, data[end - back + 1]!)) return 0;
    return back;
  }
  return 0;
}

/** The narrower ranges of the second byte that rule out overlongs, surrogates and values past U+10FFFF. */
function secondByteFits(lead: number, second: number): boolean {
  if (lead === 0xe0) return second >= 0xa0;
  if (lead === 0xed) return second <= 0x9f;
  if (lead === 0xf0) return second >= 0x90;
  if (lead === 0xf4) return second <= 0x8f;
  return true;
}
