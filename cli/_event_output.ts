import { stdoutBroke, stdoutFailed, stopRequestedAt } from "./_shutdown.ts";
import { messageOf } from "./_failure.ts";
import { withDeadline } from "../lib/_deadline.ts";

/**
 * Queued bytes above this are "congested": message events wait for the
 * reader (a file or pipe) or are dropped (a terminal, a stalled reader)
 * rather than queue more. 256 KiB is several hundred ms of a terminal's
 * speed and well under a second of a pipe reader that keeps up.
 */
export const CONGESTED_BYTES = 256 * 1024;
/**
 * Above this every event is dropped, so the queue is bounded, unless the
 * reader is a file or pipe that still takes lines (see `full`).
 */
export const FULL_BYTES = 4 * CONGESTED_BYTES;
/** A queue buffer is made this big at first, and again after a burst. */
const FIRST_QUEUE_BYTES = 16 * 1024;
/**
 * A reader that took nothing for this long is stalled: message events no
 * longer wait for it, and an exit gives up on it.
 */
export const STALLED_MS = 500;
/**
 * A busy output whose batches stay small waits this long for more lines
 * before writing: every write is a hop to a worker thread and back
 * (~45 µs whatever its size). A relay's 3 lines per connection took one
 * write each; lingering took its CPU per connection from 294–317 µs to
 * 245–273 µs in four of five alternating runs (the fifth: no change).
 * Busy outputs with big batches (an echo server's message events) gained
 * nothing, so they do not wait.
 */
export const LINGER_MS = 5;

/**
 * The most one write call hands over: a write to a pipe returns only once
 * its reader took all of it, and the stall check sees progress only when a
 * write returns, so a batch of megabytes to a slow but steady reader looked
 * stalled and a stop cut its last line. One pipe's worth (64 KiB) a call.
 */
const WRITE_SLICE_BYTES = 64 * 1024;
/** A batch this long is big enough: the next one does not linger. */
const SMALL_BATCH = 32;

/**
 * Writes a rendering of `data` into `out` from `at`, at most `4 ×
 * data.length` bytes, and returns where it ended (an escaper such as
 * `escapeInto`).
 */
export type ByteRenderer = (
  data: Uint8Array,
  out: Uint8Array,
  at: number,
) => number;

/** What the output writes to: `Deno.stdout`, `Deno.stderr` or a test's pipe. */
export interface OutputStream {
  write(bytes: Uint8Array): Promise<number>;
  /** A terminal is watched, not kept: its events are dropped, never waited for. */
  isTerminal?(): boolean;
}

/**
 * Event lines on their way to stdout or stderr: queued as UTF-8 in one
 * buffer, written in batches by one asynchronous write at a time, so a
 * slow or stalled reader never blocks the network loop (Deno runs a pipe
 * write on a worker thread).
 *
 * Lines go into the buffer as they come ({@linkcode EventOutput.write}),
 * and peer data is rendered straight into it
 * ({@linkcode EventOutput.writeRendered}): a message event makes no string
 * of its data, none to join into a batch and none to encode again.
 *
 * The queue is bounded. Past {@linkcode CONGESTED_BYTES} a command waits
 * for a file or pipe ({@linkcode EventOutput.backlog}), as `socat -x` does,
 * so a dump into a file is whole; a terminal's events, or a reader that
 * took nothing for {@linkcode STALLED_MS}, are dropped instead
 * ({@linkcode EventOutput.shedding}), so that nobody watching can stop the
 * network. Past {@linkcode FULL_BYTES} lines are dropped and counted here.
 * A reader that went away (EPIPE) on stdout resolves
 * {@linkcode EventOutput.broken} and, through `stdoutBroke()`, stops the
 * command with exit 141.
 */
export class EventOutput {
  /** Resolves when stdout's reader went away (EPIPE); never rejects. */
  readonly broken: Promise<void>;
  /** `stdout` or `stderr`, for the drop notice. */
  readonly name: string;
  #stream: OutputStream;
  #isStdout: boolean;
  /** A file or pipe: worth waiting for while it takes lines. */
  #paced: boolean;
  /** The batch being filled: `#queued` bytes, `#lines` lines. */
  #queue = new Uint8Array(FIRST_QUEUE_BYTES);
  #queued = 0;
  #lines = 0;
  /**
   * The other buffer: the batch being written, then the next one to fill.
   * Two buffers, because the write of one batch is still running while
   * the next one fills.
   */
  #spare = new Uint8Array(FIRST_QUEUE_BYTES);
  /** Bytes handed to the current write, until it completes. */
  #inFlight = 0;
  #writing: Promise<void> | undefined;
  #isBroken = false;
  #keepsData = false;
  #onBroken!: () => void;
  #encoder = new TextEncoder();
  #progressAt = 0;
  /** When the last write finished, and how many lines it had. */
  #wroteAt = -Infinity;
  #lastBatch = 0;
  #flushing = false;
  /** Ends the current linger at once: a flush is waiting. */
  #endLinger: (() => void) | undefined;

  constructor(stream: OutputStream, isStdout: boolean) {
    this.#stream = stream;
    this.#isStdout = isStdout;
    this.name = isStdout ? "stdout" : "stderr";
    this.#paced = !(stream.isTerminal?.() ?? false);
    this.broken = new Promise((resolve) => this.#onBroken = resolve);
  }

  /**
   * Marks these events as the command's data (`send --json`): a write that
   * fails then ends the command with exit 1, where a server serves on.
   */
  keepsData(): void {
    this.#keepsData = true;
  }

  /** Whether the queue is long enough that droppable events should go. */
  get congested(): boolean {
    return this.#queued + this.#inFlight > CONGESTED_BYTES;
  }

  /**
   * Whether droppable events should go: the queue is congested and its
   * reader is a terminal or stalled.
   */
  get shedding(): boolean {
    return this.congested && (!this.#paced || this.#stalled);
  }

  /**
   * While congested, for a file or pipe: resolves once the queue is below
   * {@linkcode CONGESTED_BYTES} again or the reader stalls. Otherwise
   * `undefined`, so the hot path makes no promise. A command awaits it
   * before reading on.
   */
  backlog(): Promise<void> | undefined {
    return this.#paced && this.congested && !this.#stalled
      ? this.#whileTaking()
      : undefined;
  }

  /**
   * Whether the queue is at its bound: nothing more is taken. A file or
   * pipe still taking lines has none: its emitters wait after each event
   * ({@linkcode EventOutput.backlog}), which bounds it, and a hex dump of
   * one 256 KiB read alone is 1.3 MB.
   */
  get full(): boolean {
    return this.#queued + this.#inFlight > FULL_BYTES &&
      (!this.#paced || this.#stalled);
  }

  get isBroken(): boolean {
    return this.#isBroken;
  }

  /**
   * Queues `line` (without its newline); a write starts if none runs.
   * Returns false when the line was not taken: the queue is full or the
   * reader is gone.
   */
  write(line: string): boolean {
    if (this.#isBroken || this.full) return false;
    // A UTF-16 unit takes at most 3 bytes.
    this.#reserve(line.length * 3 + 1);
    const { written } = this.#encoder.encodeInto(
      line,
      this.#queue.subarray(this.#queued),
    );
    this.#queued += written;
    this.#endLine();
    return true;
  }

  /**
   * Queues the line `head`, `data` as `render` writes it, `tail` (both
   * UTF-8): the same as writing `head + render(data) + tail` without
   * making a string of the data. `render` runs before this returns, so
   * `data` may be a view that the next read overwrites.
   */
  writeRendered(
    head: Uint8Array,
    data: Uint8Array,
    tail: Uint8Array,
    render: ByteRenderer,
  ): boolean {
    if (this.#isBroken || this.full) return false;
    this.#reserve(head.length + data.length * 4 + tail.length + 1);
    const queue = this.#queue;
    let at = this.#queued;
    // By hand: `set` costs more than these few bytes.
    for (let i = 0; i < head.length; i++) queue[at++] = head[i]!;
    at = render(data, queue, at);
    for (let i = 0; i < tail.length; i++) queue[at++] = tail[i]!;
    this.#queued = at;
    this.#endLine();
    return true;
  }

  /**
   * Resolves once the queue is below {@linkcode CONGESTED_BYTES} again (or
   * the reader went away), however long that takes: backpressure for a
   * command whose events are its data.
   */
  async ready(): Promise<void> {
    while (this.congested && this.#writing) await this.#writing;
  }

  /**
   * Resolves once everything queued is written, the reader went away, or
   * the reader took nothing for {@linkcode STALLED_MS}: a stop or an exit
   * is never held up by a stalled reader.
   */
  async flush(): Promise<void> {
    this.#flushing = true;
    this.#endLinger?.();
    while (this.#writing && !this.#isBroken && await this.#progressed()) {
      // Until the queue is empty.
    }
  }

  get #stalled(): boolean {
    return this.#writing !== undefined &&
      performance.now() - this.#lastProgress > STALLED_MS;
  }

  /**
   * When the reader last took something, or the stop began if later: a
   * reader that paused and reads again when it stops the command (a
   * consumer busy elsewhere) gets the closing events whole, `stopped`
   * last, not a line cut mid-way and nothing after it; one that stays
   * stalled holds the exit up by {@linkcode STALLED_MS} at most.
   */
  get #lastProgress(): number {
    return Math.max(this.#progressAt, stopRequestedAt());
  }

  async #whileTaking(): Promise<void> {
    while (this.congested && this.#writing && await this.#progressed()) {
      // Until the queue is short again.
    }
  }

  /**
   * Waits for the running write to finish; false, at once or later, when
   * the reader took nothing for {@linkcode STALLED_MS}.
   */
  async #progressed(): Promise<boolean> {
    const left = this.#lastProgress + STALLED_MS - performance.now();
    if (left <= 0 || !this.#writing) return false;
    // Not setTimeout: its first use costs a one-shot command ~30 ms.
    return await withDeadline(this.#writing, left, () => new Error("stalled"))
      .then(() => true, () => !this.#stalled);
  }

  /** Room for `bytes` more in the queue buffer. */
  #reserve(bytes: number): void {
    const needed = this.#queued + bytes;
    if (needed <= this.#queue.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#queue.length * 2));
    grown.set(this.#queue.subarray(0, this.#queued));
    this.#queue = grown;
  }

  #endLine(): void {
    this.#queue[this.#queued++] = 0x0a;
    this.#lines++;
    this.#writing ??= this.#drain();
  }

  /**
   * Waits {@linkcode LINGER_MS} when the last write, a small one, finished
   * less than that ago: unless the queue is long or a flush waits. A quiet
   * output (a one-shot command's few events) writes at once and never
   * starts a timer: the first `setTimeout` costs a process ~20 ms.
   */
  async #linger(): Promise<void> {
    if (this.#flushing || this.congested) return;
    if (this.#lastBatch >= SMALL_BATCH) return;
    if (performance.now() - this.#wroteAt > LINGER_MS) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LINGER_MS);
      this.#endLinger = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#endLinger = undefined;
  }

  /** Writes batches until the queue is empty. */
  async #drain(): Promise<void> {
    this.#progressAt = performance.now();
    // Lines written in the same turn of the event loop share one write.
    await Promise.resolve();
    try {
      while (this.#queued > 0) {
        await this.#linger();
        const filled = this.#queue;
        const batch = filled.subarray(0, this.#queued);
        this.#lastBatch = this.#lines;
        this.#inFlight = this.#queued;
        // Lines that come during the write fill the other buffer; one a
        // burst made big is not kept.
        this.#queue = this.#spare.length > CONGESTED_BYTES
          ? new Uint8Array(FIRST_QUEUE_BYTES)
          : this.#spare;
        this.#spare = filled;
        this.#queued = this.#lines = 0;
        let offset = 0;
        while (offset < batch.length) {
          offset += await this.#stream.write(
            batch.subarray(offset, offset + WRITE_SLICE_BYTES),
          );
          this.#progressAt = performance.now();
        }
        this.#wroteAt = this.#progressAt;
        this.#inFlight = 0;
      }
    } catch (error) {
      this.#queued = this.#lines = this.#inFlight = 0;
      this.#isBroken = true;
      // Only stdout's reader leaving ends the command; a closed stderr just
      // silences the events, as it did before.
      if (this.#isStdout && error instanceof Deno.errors.BrokenPipe) {
        stdoutBroke();
        this.#onBroken();
      } else if (this.#isStdout && this.#keepsData) {
        // The events are the command's data: it fails as a raw write does.
        stdoutFailed(
          new Error(`cannot write to stdout: ${messageOf(error)}`, {
            cause: error,
          }),
        );
        this.#onBroken();
      } else if (this.#isStdout) {
        // A full disk under `relay -x > dump.txt`: the network must not
        // stop for its record, but a record that silently ends is worse
        // than none. Said once: no later line is written.
        console.error(
          `sockit: cannot write events to stdout: ${
            messageOf(error)
          }; no more are printed`,
        );
      }
    } finally {
      this.#writing = undefined;
    }
  }
}

const outputs = new Map<OutputStream, EventOutput>();

/** The one {@linkcode EventOutput} of `stream`, so writes never interleave. */
export function eventOutput(stream: OutputStream): EventOutput {
  let output = outputs.get(stream);
  if (!output) {
    output = new EventOutput(stream, stream === Deno.stdout);
    outputs.set(stream, output);
  }
  return output;
}

/** Writes out every queued event line before exit, within the stall limit. */
export async function flushEventOutputs(): Promise<void> {
  await Promise.all([...outputs.values()].map((output) => output.flush()));
}
