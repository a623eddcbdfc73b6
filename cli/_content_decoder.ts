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
   * The decoder for a response's `Content-Encoding`, or `undefined` when
   * the body is to be written as it is. Stacked codings (`gzip, gzip`) are
   * undone last first, as curl does; a body in one that is neither gzip,
   * deflate nor identity is an {@linkcode HttpParseError}, as curl's exit 61.
   */
  static for(
    contentEncoding: string | undefined,
    sink: (bytes: Uint8Array) => Promise<void>,
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
        return new ContentDecoder("gzip", sink, undefined, shown);
      }
      const inner = decoder;
      decoder = new ContentDecoder(
        encoding,
        inner ? (bytes) => inner.write(bytes) : sink,
        inner,
      );
    }
    return decoder;
  }

  private constructor(
    encoding: "gzip" | "deflate",
    sink: (bytes: Uint8Array) => Promise<void>,
    inner: ContentDecoder | undefined,
    unsupported?: string,
  ) {
    this.#encoding = encoding;
    this.#sink = sink;
    this.#inner = inner;
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
    this.#reading = (async () => {
      for await (const decoded of stream.readable) {
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
    return new HttpParseError(
      `cannot decode the ${this.#encoding} body: ${messageOf(error)}`,
    );
  }
}
