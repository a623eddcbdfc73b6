import { concatBytes } from "../_bytes.ts";

/** A response the parser refuses: the message says what is wrong. *
 *
 * @example
 * ```ts
 * import { HttpParseError, HttpResponseParser } from "@sockit/sockit";
 *
 * try {
 *   new HttpResponseParser().push(new TextEncoder().encode("SMTP ready\r\n\r\n"));
 * } catch (error) {
 *   console.log(error instanceof HttpParseError); // true
 * }
 * ```
 */
export class HttpParseError extends SyntaxError {
  /**
   * Constructs a new instance.
   *
   * @param message What is malformed, quoting the value.
   */
  constructor(message: string) {
    super(message);
    this.name = "HttpParseError";
  }
}

/** The status line and headers of a response. *
 *
 * @example
 * ```ts
 * import { HttpResponseParser } from "@sockit/sockit";
 *
 * const parser = new HttpResponseParser();
 * parser.push(new TextEncoder().encode("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
 * console.log(parser.head?.status, parser.head?.reason); // 404 "Not Found"
 * ```
 */
export interface HttpResponseHead {
  /** `"HTTP/1.1"` or `"HTTP/1.0"`. */
  version: string;
  /** The status code, 100 to 999. */
  status: number;
  /** The reason phrase, possibly empty. */
  reason: string;
  /** Header names and values in the order received. */
  headers: [string, string][];
  /**
   * The head exactly as received, blank line included (for `-I`), after
   * any interim 1xx heads that came before it, as curl's `-i` shows them.
   */
  raw: Uint8Array;
}

/** How the end of the body is found (RFC 9112, section 6.3). *
 *
 * @example
 * ```ts
 * import { HttpResponseParser } from "@sockit/sockit";
 *
 * const parser = new HttpResponseParser();
 * parser.push(new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\n"));
 * console.log(parser.framing); // "close"
 * ```
 */
export type BodyFraming = "none" | "length" | "chunked" | "close";

/** Options for {@linkcode HttpResponseParser}. *
 *
 * @example Accept smaller heads only
 * ```ts
 * import { HttpResponseParser } from "@sockit/sockit";
 *
 * const parser = new HttpResponseParser({ maxHeaderBytes: 8 * 1024 });
 * ```
 */
export interface HttpResponseParserOptions {
  /** The largest header section (and trailer section) accepted; 64 KiB. */
  maxHeaderBytes?: number;
  /**
   * The request's method. A response to `"HEAD"` has no body, whatever its
   * `Content-Length` says.
   */
  method?: string;
}

const CR = 0x0d;
const LF = 0x0a;
/** A status code is 100 to 999: `099` is no status. */
const STATUS_LINE = /^HTTP\/(\d)\.(\d) ([1-9]\d\d)(?: ([^\r\n]*))?$/;
/** The only versions that can answer sockit's HTTP/1.x request. */
const VERSIONS = new Set(["HTTP/1.0", "HTTP/1.1"]);
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
/** Leading zeros are 1*HEXDIG too: only the digits after them are limited. */
const CHUNK_SIZE = /^0*([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?$/;
/** A chunk-size line longer than this is an attack, not an extension. */
const MAX_CHUNK_LINE = 4096;

/**
 * An incremental HTTP/1.x response parser: feed it bytes as they arrive and
 * it hands back body bytes and says when the framing says the body is done.
 * It does no I/O, so it is tested without sockets.
 *
 * @example Parse a chunked response split at an awkward place
 * ```ts
 * import { HttpResponseParser } from "@sockit/sockit";
 *
 * const parser = new HttpResponseParser();
 * const bytes = new TextEncoder().encode(
 *   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
 * );
 * const body = [...parser.push(bytes.subarray(0, 50)), ...parser.push(bytes.subarray(50))];
 * console.log(parser.head?.status, parser.done, body.length > 0); // 200 true true
 * ```
 */
export class HttpResponseParser {
  /** The head, once it has been parsed. */
  head: HttpResponseHead | undefined;
  /** How the body ends; known once the head is parsed. */
  framing: BodyFraming | undefined;
  /** Body bytes handed out so far (decoded, for chunked). */
  bodyBytes = 0;
  #maxHeaderBytes: number;
  #bodyless: boolean;
  #fault: HttpParseError | undefined;
  /** Unconsumed bytes live in `#buffer[0, #pendingLength)`. */
  #buffer = new Uint8Array(0);
  #pendingLength = 0;
  /**
   * How many pending bytes are known to hold no terminator, so a head
   * trickled a byte at a time is scanned once, not once per byte.
   */
  #scanned = 0;
  #state:
    | "head"
    | "body"
    | "chunk-size"
    | "chunk-data"
    | "chunk-crlf"
    | "trailers"
    | "done" = "head";
  #remaining = 0;
  #expectedLength: number | undefined;
  #trailerBytes = 0;
  /** A chunked body's trailer lines so far. */
  #trailerLines: Uint8Array[] = [];
  /** Interim 1xx heads so far; their bytes count against the head limit. */
  #interim: Uint8Array[] = [];
  #interimBytes = 0;

  /**
   * Constructs a new instance.
   *
   * @param options Limits.
   */
  constructor(options: HttpResponseParserOptions = {}) {
    this.#maxHeaderBytes = options.maxHeaderBytes ?? 64 * 1024;
    this.#bodyless = options.method?.toUpperCase() === "HEAD";
  }

  /**
   * The trailer lines of a chunked body as received, without the blank
   * line that ends them (curl's `-i` writes them after the body).
   */
  get trailers(): Uint8Array {
    return concatBytes(this.#trailerLines);
  }

  /** True once the framing says the whole body has arrived. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Feeds received bytes; returns the body bytes they complete, joined
   * into one piece however many chunks they held (or none). Throws
   * {@linkcode HttpParseError} on a malformed response; when body bytes came
   * before the fault in this push, they are returned first and the fault
   * waits in {@linkcode HttpResponseParser.fault}.
   *
   * @param chunk Bytes as read from the socket.
   * @returns At most one body piece, a copy the caller may keep.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const body: Uint8Array[] = [];
    let data = this.#pendingLength > 0 ? this.#append(chunk) : chunk;
    this.#pendingLength = 0;
    if (this.#fault) throw this.#fault;
    let rest: Uint8Array | undefined;
    try {
      while (data.length > 0 && this.#state !== "done") {
        const used = this.#step(data, body);
        if (used === 0) {
          rest = data;
          break;
        }
        this.#scanned = 0;
        data = data.subarray(used);
      }
    } catch (error) {
      if (!(error instanceof HttpParseError) || body.length === 0) throw error;
      // Whether the good chunks before a bad one came in an earlier read or
      // in this one must not decide what the caller gets: they go first.
      this.#fault = error;
      rest = undefined;
    }
    // One copy per push, not one array per chunk: a million one-byte
    // chunks were a million arrays (and a million writes downstream). The
    // copy comes first: keeping the rest may move it over these bytes.
    const joined = body.length === 0 ? undefined : concatBytes(body);
    if (rest) this.#keep(rest);
    if (!joined) return [];
    this.bodyBytes += joined.length;
    return [joined];
  }

  /**
   * The fault found after the body bytes the last push returned, or
   * undefined: the next `push()` or `end()` throws it. A caller that writes
   * each piece as it comes checks it after writing, rather than reading on.
   */
  get fault(): HttpParseError | undefined {
    return this.#fault;
  }

  /** Appends to the pending bytes, growing the buffer by doubling. */
  #append(chunk: Uint8Array): Uint8Array {
    const length = this.#pendingLength + chunk.length;
    if (length > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(length, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#pendingLength));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#pendingLength);
    return this.#buffer.subarray(0, length);
  }

  /** Keeps `data` (the unconsumed tail) as the pending bytes. */
  #keep(data: Uint8Array): void {
    if (data.buffer === this.#buffer.buffer) {
      this.#buffer.copyWithin(
        0,
        data.byteOffset,
        data.byteOffset + data.length,
      );
      this.#pendingLength = data.length;
    } else {
      this.#pendingLength = 0;
      this.#append(data);
      this.#pendingLength = data.length;
    }
    this.#scanned = data.length;
  }

  /**
   * The connection closed. Completes a close-delimited body, and throws
   * {@linkcode HttpParseError} when the framing says bytes are missing.
   */
  end(): void {
    if (this.#fault) throw this.#fault;
    if (this.#state === "done") return;
    if (this.#state === "head") {
      throw new HttpParseError(
        this.#pendingLength === 0
          ? "the server closed the connection without a response"
          : "the server closed the connection in the middle of the headers",
      );
    }
    if (this.framing === "close") {
      this.#state = "done";
      return;
    }
    if (this.framing === "length") {
      throw new HttpParseError(
        `the body ended early: got ${this.bodyBytes} of ${this.#expectedLength} bytes`,
      );
    }
    throw new HttpParseError(
      this.#state === "trailers"
        ? `the chunked body ended early, after its last chunk (${this.bodyBytes} bytes) and before the end of its trailers`
        : `the chunked body ended early, after ${this.bodyBytes} bytes and before the last chunk`,
    );
  }

  /** Consumes a prefix of `data`; 0 means it needs more bytes. */
  #step(data: Uint8Array, body: Uint8Array[]): number {
    switch (this.#state) {
      case "head":
        return this.#parseHead(data);
      case "body": {
        if (this.framing === "close") {
          body.push(data);
          return data.length;
        }
        const take = Math.min(this.#remaining, data.length);
        body.push(data.subarray(0, take));
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = "done";
        return take;
      }
      case "chunk-size":
        return this.#parseChunkSize(data);
      case "chunk-data": {
        const take = Math.min(this.#remaining, data.length);
        body.push(data.subarray(0, take));
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = "chunk-crlf";
        return take;
      }
      case "chunk-crlf": {
        const used = data[0] === LF
          ? 1
          : data[0] === CR && data[1] === LF
          ? 2
          : data[0] === CR && data.length === 1
          ? 0
          : -1;
        if (used === -1) {
          throw new HttpParseError("a chunk is longer than its declared size");
        }
        if (used > 0) this.#state = "chunk-size";
        return used;
      }
      case "trailers":
        return this.#parseTrailer(data);
      case "done":
        return data.length;
    }
  }

  #parseHead(data: Uint8Array): number {
    const end = headEnd(data, Math.max(0, this.#scanned - 3));
    if (end === undefined) {
      if (data.length > this.#maxHeaderBytes) {
        throw new HttpParseError(
          `the header section is over ${this.#maxHeaderBytes} bytes`,
        );
      }
      return 0;
    }
    if (this.#interimBytes + end > this.#maxHeaderBytes) {
      throw new HttpParseError(
        `the header section is over ${this.#maxHeaderBytes} bytes`,
      );
    }
    const raw = data.slice(0, end);
    const lines = latin1(raw).split(/\r?\n/).slice(0, -2);
    const statusLine = lines[0] ?? "";
    const status = STATUS_LINE.exec(statusLine);
    if (!status) {
      throw new HttpParseError(
        `malformed status line ${JSON.stringify(statusLine.slice(0, 100))}`,
      );
    }
    const version = `HTTP/${status[1]}.${status[2]}`;
    if (!VERSIONS.has(version)) {
      throw new HttpParseError(
        `unsupported version in status line ${
          JSON.stringify(statusLine.slice(0, 100))
        }: only HTTP/1.0 and HTTP/1.1 answer this request`,
      );
    }
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const last = headers.at(-1);
      if (/^[ \t]/.test(line) && last) {
        // obs-fold (RFC 9112, section 5.2): the fold becomes one space.
        const more = line.trim();
        last[1] = last[1] === ""
          ? more
          : more === ""
          ? last[1]
          : `${last[1]} ${more}`;
        continue;
      }
      const header = HEADER_LINE.exec(line);
      if (!header) {
        throw new HttpParseError(
          `malformed header line ${JSON.stringify(line.slice(0, 100))}`,
        );
      }
      headers.push([header[1]!, header[2]!]);
    }
    const code = Number(status[3]);
    if (code >= 100 && code < 200) {
      // An interim response (100 Continue): the real one follows.
      this.#interim.push(raw);
      this.#interimBytes += raw.length;
      return end;
    }
    this.head = {
      version,
      status: code,
      reason: status[4] ?? "",
      headers,
      raw: this.#interim.length === 0
        ? raw
        : concatBytes([...this.#interim.splice(0), raw]),
    };
    this.#chooseFraming(code, headers);
    return end;
  }

  #chooseFraming(status: number, headers: [string, string][]): void {
    const values = (name: string) =>
      headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    const transferEncoding = values("transfer-encoding").join(",")
      .toLowerCase();
    if (this.#bodyless || status === 204 || status === 304) {
      this.framing = "none";
      this.#state = "done";
    } else if (transferEncoding !== "") {
      const codings = transferEncoding.split(",").map((c) => c.trim());
      this.framing = codings.at(-1) === "chunked" ? "chunked" : "close";
      this.#state = this.framing === "chunked" ? "chunk-size" : "body";
    } else {
      const length = contentLength(values("content-length"));
      if (length === undefined) {
        this.framing = "close";
        this.#state = "body";
      } else {
        this.framing = "length";
        this.#expectedLength = length;
        this.#remaining = length;
        this.#state = length === 0 ? "done" : "body";
      }
    }
  }

  #parseChunkSize(data: Uint8Array): number {
    // The common `1a\r\n` without extensions, read without a string.
    let size = 0;
    let digits = 0;
    for (; digits < 15 && digits < data.length; digits++) {
      const value = hexValue(data[digits]!);
      if (value === -1) break;
      size = size * 16 + value;
    }
    const after = data[digits];
    const used = after === LF
      ? digits + 1
      : after === CR && data[digits + 1] === LF
      ? digits + 2
      : 0;
    if (digits > 0 && used > 0) {
      this.#remaining = size;
      this.#state = size === 0 ? "trailers" : "chunk-data";
      return used;
    }
    const end = lineEnd(data, MAX_CHUNK_LINE, this.#scanned);
    if (end === undefined) {
      if (data.length > MAX_CHUNK_LINE) {
        throw new HttpParseError("a chunk-size line is over 4096 bytes");
      }
      return 0;
    }
    const line = latin1(data.subarray(0, end.lineLength));
    const parsed = CHUNK_SIZE.exec(line);
    if (!parsed) {
      throw new HttpParseError(
        `malformed chunk size ${JSON.stringify(line.slice(0, 100))}`,
      );
    }
    this.#remaining = parseInt(parsed[1]!, 16);
    this.#state = this.#remaining === 0 ? "trailers" : "chunk-data";
    return end.consumed;
  }

  #parseTrailer(data: Uint8Array): number {
    const end = lineEnd(data, this.#maxHeaderBytes, this.#scanned);
    if (end === undefined) {
      if (this.#trailerBytes + data.length > this.#maxHeaderBytes) {
        throw new HttpParseError(
          `the trailer section is over ${this.#maxHeaderBytes} bytes`,
        );
      }
      return 0;
    }
    this.#trailerBytes += end.consumed;
    if (this.#trailerBytes > this.#maxHeaderBytes) {
      throw new HttpParseError(
        `the trailer section is over ${this.#maxHeaderBytes} bytes`,
      );
    }
    if (end.lineLength === 0) {
      this.#state = "done";
    } else {
      const line = latin1(data.subarray(0, end.lineLength));
      if (!HEADER_LINE.test(line)) {
        throw new HttpParseError(
          `malformed trailer line ${JSON.stringify(line.slice(0, 100))}`,
        );
      }
      this.#trailerLines.push(data.slice(0, end.consumed));
    }
    return end.consumed;
  }
}

/** One agreed Content-Length, or undefined; refuses disagreement and junk. */
function contentLength(values: string[]): number | undefined {
  if (values.length === 0) return undefined;
  const all = values.flatMap((v) => v.split(",")).map((v) => v.trim());
  for (const value of all) {
    if (!/^\d{1,15}$/.test(value)) {
      throw new HttpParseError(
        `malformed Content-Length ${JSON.stringify(value.slice(0, 100))}`,
      );
    }
  }
  const distinct = new Set(all.map(Number));
  if (distinct.size > 1) {
    throw new HttpParseError(
      `conflicting Content-Length values ${all.join(", ")}`,
    );
  }
  return [...distinct][0];
}

/**
 * Index just past the blank line ending the head, or undefined. The search
 * starts at `from`, which must be at the start of a possible terminator.
 */
function headEnd(data: Uint8Array, from: number): number | undefined {
  for (let i = data.indexOf(LF, from); i !== -1; i = data.indexOf(LF, i + 1)) {
    if (data[i + 1] === LF) return i + 2;
    if (data[i + 1] === CR && data[i + 2] === LF) return i + 3;
  }
  return undefined;
}

/**
 * The first line's length without its ending, and the bytes it used.
 * `data[0, from)` is known to hold no LF.
 */
function lineEnd(
  data: Uint8Array,
  limit: number,
  from: number,
): { lineLength: number; consumed: number } | undefined {
  const lf = data.subarray(0, limit + 2).indexOf(LF, from);
  if (lf === -1) return undefined;
  const lineLength = lf > 0 && data[lf - 1] === CR ? lf - 1 : lf;
  return { lineLength, consumed: lf + 1 };
}

/** The value of one hex digit's byte, or -1. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return text;
}
