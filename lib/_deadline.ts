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
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const wait = Atomics.waitAsync(cell, 0, 0, Math.max(0, ms));
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
 * 3,000 clients a second with a 10 s limit held 30,000 timers. The clock is
 * `Atomics.waitAsync`, as in {@linkcode withDeadline}.
 */
export function deadlineSignal(ms: number): DeadlineSignal {
  const controller = new AbortController();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let expired = false;
  const expire = () => {
    expired = true;
    controller.abort(new DOMException("Signal timed out.", "TimeoutError"));
  };
  const wait = Atomics.waitAsync(cell, 0, 0, Math.max(0, ms));
  if (!wait.async) expire();
  else {
    wait.value.then((result) => {
      if (result === "timed-out") expire();
    });
  }
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    cancel: () => void Atomics.notify(cell, 0),
  };
}
