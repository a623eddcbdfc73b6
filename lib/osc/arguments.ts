import type { OscArgument } from "./types.ts";
import { timetagFromDate } from "./timetag.ts";

/**
 * What {@linkcode toOscArgument} takes: a typed argument, or a plain value
 * whose type is implied (`number` → `f`, as Renoise and most OSC apps
 * expect; `string` → `s`; `boolean` → `T`/`F`; `null` → `N`; `bigint` →
 * `h`; `Uint8Array` → `b`; `Date` → `t`; an array → `[`…`]`).
 *
 * @example
 * ```ts
 * import type { OscValue } from "@sockit/sockit";
 *
 * const values: OscValue[] = [127.5, { type: "i", value: 3 }, "text", true];
 * ```
 */
export type OscValue =
  | OscArgument
  | number
  | string
  | boolean
  | null
  | bigint
  | Uint8Array
  | Date
  | OscValue[];

/**
 * A plain value as a typed OSC argument (see {@linkcode OscValue}).
 *
 * @example
 * ```ts
 * import { toOscArgument } from "@sockit/sockit";
 *
 * console.log(toOscArgument(127.5)); // { type: "f", value: 127.5 }
 * ```
 *
 * @param value A typed argument or a plain value.
 * @returns The typed argument.
 */
export function toOscArgument(value: OscValue): OscArgument {
  switch (typeof value) {
    case "number":
      return { type: "f", value };
    case "string":
      return { type: "s", value };
    case "boolean":
      return { type: value ? "T" : "F" };
    case "bigint":
      return { type: "h", value };
  }
  if (value === null) return { type: "N" };
  if (value instanceof Uint8Array) return { type: "b", value };
  if (value instanceof Date) {
    return { type: "t", value: timetagFromDate(value) };
  }
  if (Array.isArray(value)) {
    return { type: "[", value: value.map(toOscArgument) };
  }
  if (typeof value !== "object") {
    // undefined, a function or a symbol from a JavaScript caller.
    throw new TypeError(
      `Cannot encode OSC: ${String(value)} is not an OSC value`,
    );
  }
  return value;
}
