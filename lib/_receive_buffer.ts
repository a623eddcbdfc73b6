const LF = 0x0a;
const CR = 0x0d;

/**
 * Bytes received but not yet handed out, and the framing of `"*line"`,
 * `"*all"` and exact-count reads over them.
 *
 * One contiguous region that is compacted or doubled on demand, so that a
 * line search never rescans bytes it has already looked at.
 */
export class ReceiveBuffer {
  #bytes = new Uint8Array(0);
  #start = 0;
  #end = 0;
  /** Bytes after `#start` already searched for a line ending. */
  #scanned = 0;
  /** A line ended in CR at the end of the data: a following LF belongs to it. */
  #dropLeadingLf = false;

  get size(): number {
    this.#dropSplitCrLf();
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): void {
    const size = this.#end - this.#start;
    if (this.#end + chunk.length > this.#bytes.length) {
      const needed = size + chunk.length;
      if (needed <= this.#bytes.length / 2) {
        this.#bytes.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(needed * 2, 1024));
        grown.set(this.#bytes.subarray(this.#start, this.#end));
        this.#bytes = grown;
      }
      this.#start = 0;
      this.#end = size;
    }
    this.#bytes.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** Everything buffered, or `undefined` when nothing is. */
  takeAll(): Uint8Array | undefined {
    return this.size > 0 ? this.#take(this.#end - this.#start, 0) : undefined;
  }

  /** Exactly `count` bytes, or `undefined` while fewer are buffered. */
  takeExactly(count: number): Uint8Array | undefined {
    return this.size >= count ? this.#take(count, 0) : undefined;
  }

  /** The next line without its `\n`, `\r\n` or `\r`, or `undefined`. */
  takeLine(): Uint8Array | undefined {
    this.#dropSplitCrLf();
    const bytes = this.#bytes;
    for (let i = this.#start + this.#scanned; i < this.#end; i++) {
      const byte = bytes[i];
      if (byte !== LF && byte !== CR) continue;
      const length = i - this.#start;
      if (byte === LF) return this.#take(length, 1);
      if (i + 1 < this.#end) {
        return this.#take(length, bytes[i + 1] === LF ? 2 : 1);
      }
      const line = this.#take(length, 1);
      this.#dropLeadingLf = true;
      return line;
    }
    this.#scanned = this.#end - this.#start;
    return undefined;
  }

  #dropSplitCrLf(): void {
    if (!this.#dropLeadingLf || this.#start === this.#end) return;
    this.#dropLeadingLf = false;
    if (this.#bytes[this.#start] === LF) this.#start++;
  }

  #take(length: number, skip: number): Uint8Array {
    const taken = this.#bytes.slice(this.#start, this.#start + length);
    this.#start += length + skip;
    this.#scanned = 0;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return taken;
  }
}
