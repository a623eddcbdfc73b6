/** The longest delay `setTimeout` takes: a signed 32-bit count of ms. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * `ms` as a `setTimeout` delay: a longer one (`Infinity`, a month) fires
 * after 1 ms, with a warning, so it is cut to the longest that works.
 */
export function timerDelay(ms: number): number {
  return Math.min(ms, MAX_DELAY_MS);
}
