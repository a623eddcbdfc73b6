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
