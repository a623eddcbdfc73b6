/**
 * Waits for `promise` at most `ms` milliseconds; `Infinity` waits forever.
 * On time-out it rejects with `onTimeout()` and leaves `promise` running, so
 * a read that is still pending keeps its data for the next call.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  if (ms === Infinity) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
