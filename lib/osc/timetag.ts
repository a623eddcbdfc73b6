/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;
const TWO_32 = 4_294_967_296;

/**
 * The special timetag "immediately": bundle contents are for now.
 *
 * @example
 * ```ts
 * import { OSC_IMMEDIATELY } from "@sockit/sockit";
 *
 * console.log(OSC_IMMEDIATELY === 1n); // true
 * ```
 */
export const OSC_IMMEDIATELY = 1n;

/**
 * A timetag for a point in time given as Unix milliseconds (fractions of a
 * millisecond are kept).
 *
 * @example Half a second from now
 * ```ts
 * import { timetagFromMillis } from "@sockit/sockit";
 *
 * const timetag = timetagFromMillis(Date.now() + 500);
 * ```
 *
 * @param ms Milliseconds since 1970-01-01 UTC.
 * @returns The NTP timetag.
 */
export function timetagFromMillis(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * TWO_32);
  return (BigInt(seconds + NTP_UNIX_OFFSET) << 32n) |
    BigInt(Math.min(fraction, TWO_32 - 1));
}

/**
 * A timetag for a `Date`.
 *
 * @example
 * ```ts
 * import { timetagFromDate } from "@sockit/sockit";
 *
 * const timetag = timetagFromDate(new Date("2026-01-01T00:00:00Z"));
 * ```
 *
 * @param date The time.
 * @returns The NTP timetag.
 */
export function timetagFromDate(date: Date): bigint {
  return timetagFromMillis(date.getTime());
}

/**
 * The Unix milliseconds a timetag stands for (sub-millisecond fraction kept).
 *
 * @example
 * ```ts
 * import { timetagFromMillis, timetagToMillis } from "@sockit/sockit";
 *
 * console.log(timetagToMillis(timetagFromMillis(1000))); // about 1000
 * ```
 *
 * @param timetag An NTP timetag.
 * @returns Milliseconds since 1970-01-01 UTC.
 */
export function timetagToMillis(timetag: bigint): number {
  const seconds = Number(timetag >> 32n) - NTP_UNIX_OFFSET;
  const fraction = Number(timetag & 0xffffffffn) / TWO_32;
  return (seconds + fraction) * 1000;
}

/**
 * The `Date` a timetag stands for, to the millisecond.
 *
 * @example
 * ```ts
 * import { timetagToDate } from "@sockit/sockit";
 *
 * console.log(timetagToDate(0xe9a1b2c3_00000000n).toISOString());
 * ```
 *
 * @param timetag An NTP timetag.
 * @returns The time as a `Date`.
 */
export function timetagToDate(timetag: bigint): Date {
  return new Date(Math.floor(timetagToMillis(timetag)));
}

/**
 * A timetag as oscdump prints it: `%08x.%08x`, seconds and fraction.
 *
 * @example
 * ```ts
 * import { formatTimetag } from "@sockit/sockit";
 *
 * console.log(formatTimetag(1n)); // "00000000.00000001"
 * ```
 *
 * @param timetag An NTP timetag.
 * @returns Sixteen hex digits with a dot in the middle.
 */
export function formatTimetag(timetag: bigint): string {
  return `${(timetag >> 32n).toString(16).padStart(8, "0")}.${
    (timetag & 0xffffffffn).toString(16).padStart(8, "0")
  }`;
}

/**
 * Reads `sssssssss.ffffffff` (as {@linkcode formatTimetag} writes it);
 * `undefined` if `text` is not one.
 *
 * @example
 * ```ts
 * import { parseTimetag } from "@sockit/sockit";
 *
 * console.log(parseTimetag("00000000.00000001")); // 1n
 * ```
 *
 * @param text Eight hex digits, a dot, eight hex digits.
 * @returns The timetag, or `undefined`.
 */
export function parseTimetag(text: string): bigint | undefined {
  if (!/^[0-9a-f]{8}\.[0-9a-f]{8}$/i.test(text)) return undefined;
  return BigInt(`0x${text.slice(0, 8)}${text.slice(9)}`);
}
