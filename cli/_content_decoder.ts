import { HttpParseError } from "../lib/mod.ts";
import { messageOf } from "./_failure.ts";
import { concatBytes } from "../lib/_bytes.ts";
import { escapeBytes } from "./_escape.ts";

/** The `Content-Encoding`s `--compressed` asks for and decodes. */
export const ACCEPT_ENCODING = "deflate, gzip";

/**
 * Decodes a gzip or deflate body through the Web `DecompressionStream`,
 * handing decoded bytes to `sink` as they come. Corrupt or truncated data
 * is an {@linkcode HttpParseError}; the sink's own errors pass unchanged.
 */
export class ContentDecoder {
  #encoding: "gzip" | "deflate";
  #sink: (bytes: Uint8Array) => Promise<void>;
  #writer: WritableStreamDefaultWriter<BufferSource> | undefined;
  #reading: Promise<void> | undefined;
  #sinkError: unknown;
  /** The decoder of the coding applied before this one, ended after it. */
  #inner: ContentDecoder | undefined;
  /** A coding that cannot be decoded, refused once a body byte comes. */
  #unsupported: string | undefined;
  /** A lone first byte, held until the zlib header can be told (deflate). */
  #held: Uint8Array | undefined;
  /**
   * zlib only, with `checkEnd`: the decoded bytes' Adler-32 and the body's
   * last 4 bytes, which must be it. The Web decoder takes a zlib stream cut
   * short for a whole one (gzip's it refuses), so a body that ran until a
   * cut connection would pass (curl 7.88 passes it too).
   */
  #checkEnd: boolean;
  #adler: Adler32 | undefined;
  #tail: Uint8Array = new Uint8Array(0);

  /**
   * The decoder for a response's `Content-Encoding`, or `undefined` when
   * the body is to be written as it is. Stacked codings (`gzip, gzip`) are
   * undone last first, as curl does; a body in one that is neither gzip,
   * deflate nor identity is an {@linkcode HttpParseError}, as curl's exit 61.
   * `checkEnd` checks that a zlib stream was whole (its Adler-32, about
   * 2 ns a byte): for a body that nothing else proves whole, one that runs
   * until the connection closes.
   */
  static for(
    contentEncoding: string | undefined,
    sink: (bytes: Uint8Array) => Promise<void>,
    checkEnd = false,
  ): ContentDecoder | undefined {
    let decoder: ContentDecoder | undefined;
    for (const part of (contentEncoding ?? "").split(",")) {
      const coding = part.trim().toLowerCase();
      if (coding === "" || coding === "identity") continue;
      const encoding = coding === "gzip" || coding === "x-gzip"
        ? "gzip"
        : coding === "deflate"
        ? "deflate"
        : undefined;
      // Refused at the first body byte: a 304 or an empty body is fine.
      if (!encoding) {
        // The server's word, escaped as every peer text is.
        const shown = escapeBytes(new TextEncoder().encode(coding));
        return new ContentDecoder("gzip", sink, undefined, false, shown);
      }
      const inner = decoder;
      decoder = new ContentDecoder(
        encoding,
        inner ? (bytes) => inner.write(bytes) : sink,
        inner,
        checkEnd,
      );
    }
    return decoder;
  }

  private constructor(
    encoding: "gzip" | "deflate",
    sink: (bytes: Uint8Array) => Promise<void>,
    inner: ContentDecoder | undefined,
    checkEnd: boolean,
    unsupported?: string,
  ) {
    this.#encoding = encoding;
    this.#sink = sink;
    this.#inner = inner;
    this.#checkEnd = checkEnd;
    this.#unsupported = unsupported;
  }

  /** Feeds encoded body bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    if (this.#unsupported !== undefined) {
      throw new HttpParseError(
        `cannot decode the ${this.#unsupported} body: --compressed decodes gzip and deflate`,
      );
    }
    if (!this.#writer) {
      if (this.#held) bytes = concatBytes([this.#held, bytes]);
      if (bytes.length < 2) {
        this.#held = bytes.slice();
        return;
      }
      this.#held = undefined;
      this.#start(bytes);
    }
    if (this.#adler) this.#tail = lastFour(this.#tail, bytes);
    try {
      await this.#writer!.write(bytes.slice());
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** The body ended: flushes and checks that the stream was complete. */
  async end(): Promise<void> {
    if (this.#held) {
      const held = this.#held;
      this.#held = undefined;
      this.#start(held);
      await this.write(held);
    }
    if (this.#writer) {
      try {
        await this.#writer.close();
        await this.#reading;
      } catch (error) {
        throw this.#failure(error);
      }
      const tail = this.#tail;
      if (
        this.#adler && (tail.length < 4 ||
          this.#adler.value !==
            new DataView(tail.buffer, tail.byteOffset).getUint32(0))
      ) {
        throw new HttpParseError(
          "cannot decode the deflate body: it is cut short (its zlib stream has no end)",
        );
      }
    }
    await this.#inner?.end();
  }

  #start(first: Uint8Array): void {
    // "deflate" in HTTP means zlib, but some servers send it raw: sniff the
    // zlib header (CMF 8, check bits) as curl does.
    const format = this.#encoding === "gzip"
      ? "gzip"
      : (first[0]! & 0x0f) === 8 && first.length > 1 &&
          ((first[0]! << 8) | first[1]!) % 31 === 0
      ? "deflate"
      : "deflate-raw";
    const stream = new DecompressionStream(format);
    this.#writer = stream.writable.getWriter();
    const adler = this.#checkEnd && format === "deflate"
      ? new Adler32()
      : undefined;
    this.#adler = adler;
    this.#reading = (async () => {
      for await (const decoded of stream.readable) {
        adler?.update(decoded);
        try {
          await this.#sink(decoded);
        } catch (error) {
          this.#sinkError = error;
          throw error;
        }
      }
    })();
    this.#reading.catch(() => {});
  }

  #failure(error: unknown): unknown {
    if (this.#sinkError !== undefined) return this.#sinkError;
    // The Web decoder's words for input left over at the stream's end.
    const reason = messageOf(error) === "failed to write whole buffer"
      ? `it goes on after the end of its ${this.#encoding} stream (a second gzip member or trailing bytes)`
      : messageOf(error);
    return new HttpParseError(
      `cannot decode the ${this.#encoding} body: ${reason}`,
    );
  }
}

/** The last four bytes of `held` followed by `bytes`. */
function lastFour(held: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4) return bytes.slice(bytes.length - 4);
  return concatBytes([held, bytes]).slice(-4);
}

/** zlib's running Adler-32 (RFC 1950), over what was decoded so far. */
class Adler32 {
  #a = 1;
  #b = 0;

  update(bytes: Uint8Array): void {
    let a = this.#a;
    let b = this.#b;
    for (let i = 0; i < bytes.length;) {
      // 5,552 bytes is the most that cannot overflow before the modulo.
      const end = Math.min(i + 5552, bytes.length);
      for (; i < end; i++) {
        a += bytes[i]!;
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
    this.#a = a;
    this.#b = b;
  }

  get value(): number {
    return ((this.#b << 16) | this.#a) >>> 0;
  }
}
