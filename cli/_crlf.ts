const CR = 0x0d;
const LF = 0x0a;

/**
 * `-C`: turns each bare LF into CRLF and leaves CRLF alone, also when the
 * CR ends one chunk and the LF starts the next.
 */
export class CrlfEncoder {
  #lastWasCr = false;

  encode(chunk: Uint8Array): Uint8Array {
    let bareLf = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === LF && (i > 0 ? chunk[i - 1] !== CR : !this.#lastWasCr)) {
        bareLf++;
      }
    }
    const previousCr = this.#lastWasCr;
    if (chunk.length > 0) this.#lastWasCr = chunk[chunk.length - 1] === CR;
    if (bareLf === 0) return chunk;
    const out = new Uint8Array(chunk.length + bareLf);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === LF && (i > 0 ? chunk[i - 1] !== CR : !previousCr)) {
        out[o++] = CR;
      }
      out[o++] = byte;
    }
    return out;
  }
}
