/** How much `receive` returns: a line, what is pending, or exactly n bytes. *
 *
 * @example Read a status line, then a fixed-size body
 * ```ts ignore
 * import type { ReceiveMode } from "@sockit/sockit";
 *
 * const modes: ReceiveMode[] = ["*line", 1024, "*all"];
 * ```
 */
export type ReceiveMode = "*line" | "*all" | number;

/** Throws `TypeError`/`RangeError` for what Renoise calls logic errors. */
export function validateReceive(mode: ReceiveMode, timeoutMs: number): void {
  if (typeof mode === "number") {
    if (!Number.isSafeInteger(mode) || mode <= 0) {
      throw new RangeError(
        `Cannot receive: byte count must be a positive integer, got ${mode}`,
      );
    }
  } else if (mode !== "*line" && mode !== "*all") {
    throw new TypeError(
      `Cannot receive: mode must be "*line", "*all" or a byte count, got ${
        JSON.stringify(mode)
      }`,
    );
  }
  if (
    typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0
  ) {
    throw new RangeError(
      `Cannot receive: timeout must be 0 or more milliseconds, got ${timeoutMs}`,
    );
  }
}
