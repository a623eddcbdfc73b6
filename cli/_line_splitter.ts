const LF = 0x0a;

/**
 * Cuts a byte stream into lines that keep their `\n`, as nc does when it
 * turns stdin into datagrams. Bytes after the last `\n` wait for more input
 * or for `flush()`.
 */
export class LineSplitter {
  #partial: Uint8Array[] = [];

  push(chunk: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let start = 0;
    let end = chunk.indexOf(LF, start);
    while (end !== -1) {
      lines.push(this.#join(chunk.subarray(start, end + 1)));
      start = end + 1;
      end = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) this.#partial.push(chunk.slice(start));
    return lines;
  }

  /** The unterminated rest, if any. */
  flush(): Uint8Array | undefined {
    if (this.#partial.length === 0) return undefined;
    return this.#join(new Uint8Array(0));
  }

  #join(tail: Uint8Array): Uint8Array {
    const parts = [...this.#partial, tail];
    this.#partial = [];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
