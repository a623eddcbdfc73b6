/**
 * The values of OSC 1.0 packets, one type per type tag.
 *
 * @module
 */

/**
 * One OSC argument: its type tag and its value. `h` and `t` are `bigint`
 * because 64-bit integers do not fit a `number`; `r` is the colour as one
 * unsigned 32-bit `0xRRGGBBAA`; `m` is the four MIDI bytes (port, status,
 * data1, data2); `T F N I` carry no value; `[` is an array.
 *
 * @example A note for Renoise, and a colour
 * ```ts
 * import type { OscArgument } from "@sockit/sockit";
 *
 * const note: OscArgument[] = [
 *   { type: "i", value: 1 },
 *   { type: "i", value: -1 },
 *   { type: "i", value: 48 },
 *   { type: "i", value: 100 },
 * ];
 * const red: OscArgument = { type: "r", value: 0xff0000ff };
 * ```
 */
export type OscArgument =
  | { type: "i"; value: number }
  | { type: "f"; value: number }
  | { type: "d"; value: number }
  | { type: "h"; value: bigint }
  | { type: "t"; value: bigint }
  | { type: "s"; value: string }
  | { type: "S"; value: string }
  | { type: "c"; value: string }
  | { type: "r"; value: number }
  | { type: "b"; value: Uint8Array }
  | { type: "m"; value: Uint8Array }
  | { type: "T" }
  | { type: "F" }
  | { type: "N" }
  | { type: "I" }
  | { type: "["; value: OscArgument[] };

/** A type tag letter, `[` for an array. *
 *
 * @example
 * ```ts
 * import type { OscType } from "@sockit/sockit";
 *
 * const tag: OscType = "f";
 * ```
 */
export type OscType = OscArgument["type"];

/**
 * An OSC message: an address (pattern) and its arguments.
 *
 * @example
 * ```ts
 * import type { OscMessage } from "@sockit/sockit";
 *
 * const bpm: OscMessage = {
 *   address: "/renoise/song/bpm",
 *   args: [{ type: "f", value: 127.5 }],
 * };
 * ```
 */
export interface OscMessage {
  /** Starts with `/`. */
  address: string;
  /** The arguments, in order. */
  args: OscArgument[];
}

/**
 * An OSC bundle: a timetag (NTP, 64 bits; `1n` means "immediately") and its
 * elements, messages or nested bundles.
 *
 * @example
 * ```ts
 * import { OSC_IMMEDIATELY, type OscBundle } from "@sockit/sockit";
 *
 * const bundle: OscBundle = {
 *   timetag: OSC_IMMEDIATELY,
 *   elements: [{ address: "/renoise/transport/start", args: [] }],
 * };
 * ```
 */
export interface OscBundle {
  /** NTP time: seconds since 1900 in the high 32 bits, fraction in the low. */
  timetag: bigint;
  /** Messages and bundles, in order. */
  elements: OscPacket[];
}

/**
 * A message or a bundle; tell them apart with `"address" in packet`.
 *
 * @example
 * ```ts
 * import type { OscPacket } from "@sockit/sockit";
 *
 * function describe(packet: OscPacket): string {
 *   return "address" in packet ? packet.address : "#bundle";
 * }
 * ```
 */
export type OscPacket = OscMessage | OscBundle;
