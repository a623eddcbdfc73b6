import { HttpParseError } from "../lib/mod.ts";
import { messageOf } from "./_failure.ts";

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

  /**
   * The decoder for a response's `Content-Encoding`, or `undefined` when
   * the body is to be written as it is.
   */
  static for(
    contentEncoding: string | undefined,
    sink: (bytes: Uint8Array) => Promise<void>,
  ): ContentDecoder | undefined {
    const coding = contentEncoding?.trim().toLowerCase();
    if (coding === "gzip" || coding === "x-gzip") {
      return new ContentDecoder("gzip", sink);
    }
    if (coding === "deflate") return new ContentDecoder("deflate", sink);
    return undefined;
  }

  private constructor(
    encoding: "gzip" | "deflate",
    sink: (bytes: Uint8Array) => Promise<void>,
  ) {
    this.#encoding = encoding;
    this.#sink = sink;
  }

  /** Feeds encoded body bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    if (!this.#writer) this.#start(bytes);
    try {
      await this.#writer!.write(bytes.slice());
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** The body ended: flushes and checks that the stream was complete. */
  async end(): Promise<void> {
    if (!this.#writer) return;
    try {
      await this.#writer.close();
      await this.#reading;
    } catch (error) {
      throw this.#failure(error);
    }
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
