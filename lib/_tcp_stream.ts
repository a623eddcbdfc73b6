/**
 * An idle connection holds this much; 10,000 of them cost 10 MB. 256 bytes
 * saved 7 MB of that, but split a fresh connection's first message of
 * 257–1024 bytes (a typical HTTP request) into two reads and two events.
 */
export const INITIAL_READ_BUFFER = 1024;
/**
 * A read that fills the small buffer swaps it for one this size. 256 KiB,
 * not 64: `relay` moved 3.25× socat's bytes instead of 2.5× (C load and
 * echo target, 5 rounds), as each read now takes what a loopback socket
 * holds; echoing speed was unchanged.
 */
export const MAX_READ_BUFFER = 256 * 1024;
/**
 * A read that waited this long for a small chunk means the connection went
 * quiet: a grown buffer is given back. Counting small reads instead shrank
 * busy connections whose reads come back short under load, and cost a
 * third of the throughput in `deno task bench`.
 */
const QUIET_MS = 500;

function ignore(): void {}

/** One settled promise shared by every idle stream, not one each. */
const settled = Promise.resolve();

/**
 * The part of a Deno connection the loop uses; a `node:tls` socket can
 * stand behind it too.
 */
export type StreamConn = Pick<
  Deno.Conn,
  "read" | "write" | "closeWrite" | "close" | "localAddr" | "remoteAddr"
>;

/**
 * The one TCP read/write loop, shared by clients and servers.
 *
 * It uses `read()`/`write()` rather than `readable`/`writable`: reading
 * `readable` to EOF closes the whole connection (denoland/deno#22258), which
 * would make replying after a peer's half-close impossible.
 */
export class TcpStream {
  readonly conn: StreamConn;
  bytesRead = 0;
  bytesWritten = 0;
  /**
   * Whether the last read filled the buffer: only then can the socket hold
   * more right now (a shorter read took all it had).
   */
  lastReadFilled = false;
  #buffer = new Uint8Array(INITIAL_READ_BUFFER);
  #writes: Promise<void> = settled;
  #pendingWrites = 0;
  #started = 0;

  constructor(conn: StreamConn) {
    this.conn = conn;
  }

  /** The size of the read buffer now, for tests and benchmarks. */
  get readBufferSize(): number {
    return this.#buffer.length;
  }

  /**
   * The next chunk, or `null` at EOF. The chunk is a view into a reused
   * buffer that the next `read()` overwrites: copy what you keep.
   */
  async read(): Promise<Uint8Array | null> {
    let count: number | null;
    try {
      count = await this.fill();
    } catch (error) {
      if (isTlsTruncation(error)) return null;
      throw error;
    }
    return count === null ? null : this.take(count);
  }

  /**
   * `read()` in two halves for the server loop: `fill()` is the bare read
   * into the buffer (a TLS truncation rejects: see `isTlsTruncation`),
   * `take(count)` counts it and gives its view. Wrapping the read in an
   * async `read()` cost a promise and an async frame per message.
   */
  fill(): Promise<number | null> {
    const buffer = this.#buffer;
    // Only a grown buffer needs the wait timed (to give it back): small
    // request/response traffic never reads the clock.
    this.#started = buffer.length > INITIAL_READ_BUFFER ? performance.now() : 0;
    return this.conn.read(buffer);
  }

  /** The view of the `count` bytes the last `fill()` read. */
  take(count: number): Uint8Array {
    const buffer = this.#buffer;
    const started = this.#started;
    this.bytesRead += count;
    this.lastReadFilled = count === buffer.length;
    if (count === buffer.length || started !== 0) {
      this.#resize(count, started === 0 ? 0 : performance.now() - started);
    }
    return buffer.subarray(0, count);
  }

  /**
   * Queues `data` behind earlier writes and resolves once all of it is
   * written: `write()` may take fewer bytes than asked, so this loops.
   */
  write(data: Uint8Array): Promise<void> {
    // With nothing queued the write starts at once: chaining it behind a
    // settled promise cost a promise and a turn per message.
    const write = () => this.#writeAll(data);
    const written = this.#pendingWrites++ === 0
      ? write()
      : this.#writes.then(write, write);
    this.#writes = written;
    return written;
  }

  /** Resolves once every queued write has finished, failed or not. */
  drain(): Promise<void> {
    return this.#writes.then(ignore, ignore);
  }

  /**
   * Lets the server skip awaiting an empty queue. Looks derivable, but
   * always awaiting `drain()` measured ~9% slower TCP echo in `deno task
   * bench` (mean ratio 0.71 against 0.78 over six alternating runs).
   */
  get hasPendingWrites(): boolean {
    return this.#pendingWrites > 0;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    try {
      let offset = 0;
      while (offset < data.length) {
        const written = await this.conn.write(
          offset === 0 ? data : data.subarray(offset),
        );
        offset += written;
        // Counted per write: a large send cut short by a reset has still
        // put its first megabytes on the wire, and `bytesSent` says so.
        this.bytesWritten += written;
      }
    } finally {
      this.#pendingWrites--;
    }
  }

  #resize(count: number, waitedMs: number): void {
    const size = this.#buffer.length;
    if (count === size && size < MAX_READ_BUFFER) {
      // Straight to the maximum: doubling step by step through 2, 4, 8...
      // KiB cost a quarter of the throughput in `deno task bench`.
      this.#buffer = new Uint8Array(MAX_READ_BUFFER);
    } else if (
      size > INITIAL_READ_BUFFER && waitedMs > QUIET_MS &&
      count <= INITIAL_READ_BUFFER
    ) {
      this.#buffer = new Uint8Array(INITIAL_READ_BUFFER);
    }
  }
}

/**
 * A TLS peer that closes TCP without a close_notify alert: `openssl
 * s_client`, `ncat --ssl` and many servers do it on every close. It is the
 * peer's EOF; treating it as an error would report every such session as
 * failed.
 */
export function isTlsTruncation(error: unknown): boolean {
  return error instanceof Deno.errors.UnexpectedEof &&
    /close_notify/.test(error.message);
}
