import { messageOf } from "./_failure.ts";
import { concatBytes } from "../lib/_bytes.ts";

/** Size of the one reused stdin buffer: Deno's own chunk size for pipes. */
const STDIN_CHUNK = 64 * 1024;

/**
 * Yields stdin in chunks. Each chunk is a view into one reused buffer that
 * the next iteration overwrites, so the consumer must be done with it (for
 * example, have awaited the send) before asking for the next. A failed
 * read says it was stdin's (`< /` alone said "is a directory").
 */
export async function* readChunks(
  reader: { read(buffer: Uint8Array): Promise<number | null> } = Deno.stdin,
  size = STDIN_CHUNK,
): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(size);
  while (true) {
    let count: number | null;
    try {
      count = await reader.read(buffer);
    } catch (error) {
      throw new Error(`cannot read stdin: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (count === null) return;
    yield buffer.subarray(0, count);
  }
}

/** Writes all of `bytes`, looping over short writes. */
export async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await writer.write(bytes.subarray(offset));
  }
}

/**
 * Writes all of `bytes` to stdout. Its reader leaving stays a
 * `BrokenPipe` (exit 141, silently); any other failure (a full disk) says
 * that stdout failed, which the system's message alone does not.
 */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  try {
    await writeAll(Deno.stdout, bytes);
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) throw error;
    throw new Error(`cannot write to stdout: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** Bytes `StdoutQueue` holds before its writer waits for stdout. */
const STDOUT_QUEUE_LIMIT = 1024 * 1024;

/** Queued bytes up to which `StdoutQueue` joins its pieces into one write. */
const JOIN_LIMIT = 64 * 1024;

const resolved = Promise.resolve();

/**
 * Stdout, written in order without holding up the socket read: what comes
 * while a write is under way goes out joined in the next one. A burst of
 * small datagrams then costs a write per burst, not one each, and the
 * socket is read meanwhile (a write per datagram left the kernel to drop
 * seven in eight of a 2,000-datagram burst). Past `limit` bytes queued,
 * `write` waits for stdout: that is the backpressure.
 */
export class StdoutQueue {
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #flushing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  #limit: number;
  #write: (bytes: Uint8Array) => Promise<void>;
  #onFailure: ((error: unknown) => void) | undefined;
  #busyMs = 0;
  #busySince = 0;

  /**
   * `onFailure` hears of a failed write at once, though nothing may be
   * written or drained after it; `write` is stdout's by default.
   */
  constructor(
    options: {
      limit?: number;
      write?: (bytes: Uint8Array) => Promise<void>;
      onFailure?: (error: unknown) => void;
    } = {},
  ) {
    this.#limit = options.limit ?? STDOUT_QUEUE_LIMIT;
    this.#write = options.write ?? writeStdout;
    this.#onFailure = options.onFailure;
  }

  /**
   * Queues `bytes`, which must not change afterwards. Resolves at once
   * unless the queue is full; rejects once a write has failed.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    this.#chunks.push(bytes);
    this.#queued += bytes.length;
    if (this.#flushing === undefined) {
      this.#busySince = Date.now();
      this.#flushing = this.#flush();
      // Awaited by `write` or `drain`, but maybe by neither.
      this.#flushing.catch(() => {});
    }
    return this.#queued > this.#limit ? this.#flushing : resolved;
  }

  /**
   * Whether bytes are waiting to be written: while they do, a slow reader
   * of stdout, not the peer, is what holds the data back.
   */
  get busy(): boolean {
    return this.#flushing !== undefined;
  }

  /** Milliseconds spent busy so far: how long stdout held data back. */
  get busyMs(): number {
    return this.#busyMs +
      (this.#flushing === undefined ? 0 : Date.now() - this.#busySince);
  }

  /** Resolves once everything queued is written; rejects if a write failed. */
  drain(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    return this.#flushing ?? resolved;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#chunks.length > 0) {
        const chunks = this.#chunks;
        const queued = this.#queued;
        this.#chunks = [];
        this.#queued = 0;
        // Small pieces are worth a copy to save writes; a stream's big
        // chunks are not, and go out one by one.
        if (chunks.length > 1 && queued <= JOIN_LIMIT) {
          await this.#write(concatBytes(chunks));
        } else {
          for (const chunk of chunks) await this.#write(chunk);
        }
      }
    } catch (error) {
      this.#failure = { error };
      this.#chunks = [];
      this.#onFailure?.(error);
      throw error;
    } finally {
      this.#busyMs += Date.now() - this.#busySince;
      this.#flushing = undefined;
    }
  }
}
