/**
 * Waits for `promise` at most `ms` milliseconds; `Infinity` waits forever.
 * On time-out it rejects with `onTimeout()` and leaves `promise` running, so
 * a read that is still pending keeps its data for the next call.
 *
 * The timer is `Atomics.waitAsync` rather than `setTimeout`: in Deno 2.9
 * the first `setTimeout` loads the Node timers layer, ~30 ms of CPU, a
 * third of a one-shot `sockit send`. It is cancelled by a notify once
 * `promise` settles, and like an unref'd timer it does not by itself keep
 * the process alive: the I/O it guards does that.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  if (ms === Infinity) return promise;
  // A zero wait is a poll: what is already in the socket must win, but a
  // read settles only after a turn of the event loop, so give it one.
  if (!(ms > 0)) return Promise.race([promise, afterOneTurn(onTimeout)]);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const wait = Atomics.waitAsync(cell, 0, 0, ms);
  const expired = wait.async
    ? wait.value.then((result) => {
      if (result === "timed-out") throw onTimeout();
      return never;
    })
    : Promise.reject(onTimeout());
  return Promise.race([promise, expired]).finally(() =>
    Atomics.notify(cell, 0)
  );
}

/**
 * A pause of `ms` that `wake()` ends early: `setTimeout`'s job without
 * its first-use cost (see {@linkcode withDeadline}). Like an unref'd timer
 * it keeps nothing alive: a pending socket or stdin read does that.
 */
export function pause(ms: number): { done: Promise<void>; wake(): void } {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const wait = Atomics.waitAsync(cell, 0, 0, Math.max(0, ms));
  return {
    done: wait.async ? wait.value.then(() => {}) : Promise.resolve(),
    wake: () => void Atomics.notify(cell, 0),
  };
}

/**
 * Rejects with `onTimeout()` after one macrotask, once pending I/O has been
 * polled. A `MessageChannel`, not `setTimeout(0)`: see `withDeadline`.
 */
function afterOneTurn(onTimeout: () => Error): Promise<never> {
  const { port1, port2 } = new MessageChannel();
  return new Promise<never>((_, reject) => {
    port1.onmessage = () => {
      port1.close();
      reject(onTimeout());
    };
    port2.postMessage(null);
  });
}

const never = new Promise<never>(() => {});

/** A signal that aborts on its own after a time, and a way to stop its clock. */
export interface DeadlineSignal {
  signal: AbortSignal;
  /** Whether the time ran out (rather than the work finishing first). */
  readonly expired: boolean;
  /** Stops the clock: call it once the guarded work is done. */
  cancel(): void;
}

/**
 * An `AbortSignal` that aborts after `ms` milliseconds, as
 * `AbortSignal.timeout` does, but whose clock `cancel()` stops. Deno's
 * `AbortSignal.timeout` keeps its timer until it fires: a relay connecting
 * 3,000 clients a second with a 10 s limit held 30,000 timers.
 *
 * Every deadline shares one clock ({@linkcode DeadlineClock}): a clock of
 * its own per connect (an `Atomics.waitAsync` and its shared buffer, woken
 * from another thread on cancel) cost a relay 15–20% of its CPU per
 * connection.
 *
 * `also` aborts it too, with its own reason: the caller's signal, followed
 * by a listener that `cancel()` removes. `AbortSignal.any` measured 7–10
 * µs a call against ~1.5, and left every connect's combined signal
 * registered on the relay's one shutdown signal until collected.
 */
export function deadlineSignal(ms: number, also?: AbortSignal): DeadlineSignal {
  const deadline = new Deadline(performance.now() + ms, also);
  if (ms <= 0) deadline.expire();
  // No time limit (`Infinity`) is never due: the clock never waits for it.
  else if (Number.isFinite(ms)) clock.add(deadline);
  return deadline;
}

/**
 * One deadline on the shared clock. A class, not an object literal with
 * a getter: those are built on a slow path, several times the cost of the
 * rest of a deadline.
 */
class Deadline implements DeadlineSignal {
  readonly signal: AbortSignal;
  /** When it expires, in `performance.now()` time. */
  readonly at: number;
  expired = false;
  /** Expired or cancelled: nothing more to do. */
  done = false;
  #controller = new AbortController();
  #also: AbortSignal | undefined;

  constructor(at: number, also: AbortSignal | undefined) {
    this.at = at;
    this.signal = this.#controller.signal;
    if (also?.aborted) {
      this.#controller.abort(also.reason);
    } else if (also) {
      this.#also = also;
      // The deadline is its own listener: no closure per deadline.
      also.addEventListener("abort", this, { once: true });
    }
  }

  /** `also` aborted: pass its reason on. */
  handleEvent(): void {
    this.#controller.abort(this.#also?.reason);
  }

  expire(): void {
    this.done = true;
    this.expired = true;
    this.#controller.abort(
      new DOMException("Signal timed out.", "TimeoutError"),
    );
  }

  cancel(): void {
    this.#also?.removeEventListener("abort", this);
    clock.cancel(this);
  }
}

/**
 * Deadlines in the order they expire, and one `Atomics.waitAsync` armed
 * for the earliest. Deadlines of one command mostly share a length (`-w`),
 * so each new one goes at the end and the clock is not re-armed for it;
 * work that finishes in time marks its deadline done and is dropped from
 * the front. Cancelling never wakes the clock: a clock armed for a deadline
 * that went away fires once, finds nothing due, and re-arms for the next.
 */
class DeadlineClock {
  #queue: Deadline[] = [];
  #head = 0;
  #cell: Int32Array | undefined;
  #armedAt = Infinity;
  /** Which arming is current: a superseded wait's wake-up is ignored. */
  #generation = 0;

  add(deadline: Deadline): void {
    const queue = this.#queue;
    let i = queue.length;
    while (i > this.#head && queue[i - 1]!.at > deadline.at) i--;
    if (i === queue.length) queue.push(deadline);
    else queue.splice(i, 0, deadline);
    if (deadline.at < this.#armedAt) this.#arm(deadline.at);
  }

  cancel(deadline: Deadline): void {
    deadline.done = true;
    this.#dropDone();
  }

  #dropDone(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head]!.done) {
      this.#head++;
    }
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #arm(at: number): void {
    this.#cell ??= new Int32Array(new SharedArrayBuffer(4));
    // The wait armed before, if any, wakes now and is ignored.
    if (this.#armedAt !== Infinity) Atomics.notify(this.#cell, 0);
    this.#armedAt = at;
    const generation = ++this.#generation;
    const ms = Math.max(0, at - performance.now());
    const wait = Atomics.waitAsync(this.#cell, 0, 0, ms);
    if (!wait.async) queueMicrotask(() => this.#tick(generation));
    else wait.value.then(() => this.#tick(generation));
  }

  #tick(generation: number): void {
    if (generation !== this.#generation) return;
    this.#armedAt = Infinity;
    const now = performance.now();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const deadline = queue[this.#head]!;
      if (!deadline.done && deadline.at > now) break;
      this.#head++;
      if (!deadline.done) deadline.expire();
    }
    this.#dropDone();
    if (this.#head < queue.length) this.#arm(queue[this.#head]!.at);
  }
}

const clock = new DeadlineClock();
