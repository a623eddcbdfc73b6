import type { NetAddress, OscArgument, OscMessage } from "../lib/mod.ts";
import {
  formatTimetag,
  timetagFromMillis,
  timetagToDate,
} from "../lib/osc/timetag.ts";
import { escapeBytes } from "./_escape.ts";
import { toHex } from "./_hex_dump.ts";

/** One OSC message as sockit sent or received it, before it becomes text. */
export interface OscEventData {
  peer: NetAddress;
  /** Arrival (or send) time, Unix ms. */
  arrival: number;
  message: OscMessage;
  /** Enclosing bundles' timetags, outermost first. */
  bundles: bigint[];
}

const utf8 = new TextEncoder();
/** Printable ASCII without `\`, `'` and `"`: printed as it is. */
const PLAIN = /^[\x20-\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/;

/**
 * The time oscdump shows for a message: the innermost bundle's timetag, or
 * the arrival for a plain message or an "immediately" bundle.
 */
export function shownTimetag(event: OscEventData): bigint {
  const timetag = event.bundles.at(-1);
  return timetag === undefined || timetag <= 1n
    ? timetagFromMillis(event.arrival)
    : timetag;
}

/** {@linkcode shownTimetag} as text, without bigints for the common case. */
function shownTimetagText(event: OscEventData): string {
  const timetag = event.bundles.at(-1);
  if (timetag !== undefined && timetag > 1n) return formatTimetag(timetag);
  const ms = event.arrival;
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor((ms - seconds * 1000) / 1000 * 4_294_967_296);
  return `${hex8(seconds + 2_208_988_800)}.${hex8(fraction)}`;
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}

/**
 * oscdump's line, `%08x.%08x ADDRESS TYPES ARGS…`, with peer text escaped
 * as in sockit's events and blobs in full.
 */
export function formatOscLine(event: OscEventData): string {
  const { address, args } = event.message;
  let line = `${shownTimetagText(event)} ${escapeText(address)} ${
    typeTags(args)
  }`;
  for (const arg of args) line += ` ${formatArgument(arg)}`;
  return line;
}

/** The type tag string without its comma, arrays as `[…]`. */
export function typeTags(args: OscArgument[]): string {
  let tags = "";
  for (const arg of args) {
    tags += arg.type === "[" ? `[${typeTags(arg.value)}]` : arg.type;
  }
  return tags;
}

function formatArgument(arg: OscArgument): string {
  switch (arg.type) {
    case "i":
      return String(arg.value);
    case "h":
      return arg.value.toString();
    case "f":
      return formatFloat(arg.value, Math.fround);
    case "d":
      return formatFloat(arg.value, (x) => x);
    case "s":
      return `"${escapeText(arg.value)}"`;
    case "S":
      // No closing quote (oscdump's form), so a space would end the word.
      return `'${escapeText(arg.value).replaceAll(" ", "\\x20")}`;
    case "c":
      return `'${escapeText(arg.value).replace(" ", "\\x20")}'`;
    case "t":
      return formatTimetag(arg.value);
    case "m":
      return `MIDI [${[...arg.value].map((b) => `0x${hex2(b)}`).join(" ")}]`;
    case "b":
      return `[${arg.value.length}b${
        [...arg.value].map((b) => ` ${hex2(b)}`).join("")
      }]`;
    case "r":
      return arg.value.toString(16).padStart(8, "0");
    case "T":
      return "#T";
    case "F":
      return "#F";
    case "N":
      return "Nil";
    case "I":
      return "Infinitum";
    case "[":
      return `[${arg.value.map((a) => ` ${formatArgument(a)}`).join("")} ]`;
  }
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/**
 * oscdump's `%f`, unless six decimals lose the value (`1e-7`, `0.1234567`):
 * then the shortest text that reads back to the same float, so a recording
 * replays exactly.
 */
function formatFloat(value: number, round: (x: number) => number): string {
  const fixed = formatFixed(value);
  if (!Number.isFinite(value) || round(Number(fixed)) === value) return fixed;
  for (let digits = 1; digits < 17; digits++) {
    const text = value.toPrecision(digits);
    if (round(Number(text)) === value) return String(Number(text));
  }
  return String(value);
}

/** C's `%f`: six decimals, no exponent, `inf` and `nan`. */
function formatFixed(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Object.is(value, -0)) return "-0.000000";
  if (Math.abs(value) < 1e21) return fixedSix(value);
  return `${BigInt(value)}.000000`;
}

/**
 * `toFixed(6)`, but a value exactly halfway between two results rounds to
 * the even one, as C's printf does (`16.0078125` is `16.007812`), where
 * `toFixed` rounds away from zero. Forty decimals are exact and enough to
 * tell a tie: one needs a value of at least 5e-7, whose difference from any
 * seven-decimal number it does not equal is above 1e-29.
 */
function fixedSix(value: number): string {
  const exact = Math.abs(value).toFixed(40);
  const point = exact.indexOf(".");
  const kept = exact.slice(0, point + 7);
  const tie = /^50*$/.test(exact.slice(point + 7));
  // A tie whose sixth decimal is odd goes up, as toFixed takes it.
  if (!tie || Number(kept.at(-1)) % 2 === 1) return value.toFixed(6);
  return `${value < 0 ? "-" : ""}${kept}`;
}

/**
 * Peer text, escaped as in sockit's events, with `"` escaped too and `'`
 * not: oscdump prints `"it's"`. escapeBytes writes every `'` as `\'`, so a
 * backslash before a quote in its text is always that escape.
 */
function escapeText(text: string): string {
  if (PLAIN.test(text)) return text;
  return escapeBytes(utf8.encode(text)).replaceAll("\\'", "'")
    .replaceAll('"', '\\"');
}

/** A timetag as JSON: the raw NTP value and its ISO 8601 time. */
function timetagJson(timetag: bigint): { ntp: string; iso: string | null } {
  return {
    ntp: formatTimetag(timetag),
    iso: timetag <= 1n ? null : timetagToDate(timetag).toISOString(),
  };
}

/** The fields of an `osc` NDJSON event (see the README for the forms). */
export function oscJsonFields(event: OscEventData): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    time: new Date(event.arrival).toISOString(),
    peer: event.peer,
    timetag: timetagJson(shownTimetag(event)),
    address: event.message.address,
    args: event.message.args.map(argumentJson),
  };
  if (event.bundles.length > 0) fields.bundle = event.bundles.map(timetagJson);
  return fields;
}

function argumentJson(arg: OscArgument): { type: string; value: unknown } {
  switch (arg.type) {
    case "i":
    case "f":
    case "d":
      return {
        type: arg.type,
        value: Number.isFinite(arg.value) ? arg.value : String(arg.value),
      };
    case "h":
      return { type: "h", value: arg.value.toString() };
    case "t":
      return { type: "t", value: formatTimetag(arg.value) };
    case "s":
    case "S":
    case "c":
      return { type: arg.type, value: arg.value };
    case "b":
    case "m":
      return { type: arg.type, value: toHex(arg.value) };
    case "r":
      return { type: "r", value: arg.value.toString(16).padStart(8, "0") };
    case "T":
      return { type: "T", value: true };
    case "F":
      return { type: "F", value: false };
    case "N":
    case "I":
      return { type: arg.type, value: null };
    case "[":
      return { type: "[", value: arg.value.map(argumentJson) };
  }
}
