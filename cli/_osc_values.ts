import {
  type OscArgument,
  parseTimetag,
  timetagFromMillis,
} from "../lib/mod.ts";
import { UsageError } from "./_exit.ts";

/**
 * One value word: from argv (`quoted`: taken literally) or from a stdin
 * line, where unquoted words may be in oscdump's printed forms.
 */
export interface Token {
  text: string;
  quoted: boolean;
}

/** What oscdump prints for the types that take no value. */
const MARKERS: Record<string, string> = {
  T: "#T",
  F: "#F",
  N: "Nil",
  I: "Infinitum",
  "[": "[",
  "]": "]",
};

const INTEGER = /^[+-]?(?:\d+|0x[0-9a-f]+)$/i;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)$/i;
const HEX = /^(?:[0-9a-f]{2})*$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses oscsend's `TYPES VALUES…` (and oscdump's printed values) into
 * arguments. Every mistake is a {@linkcode UsageError} naming the value.
 */
export function parseOscArguments(
  types: string,
  tokens: Token[],
): OscArgument[] {
  const reader = new ValueReader(tokens);
  const [args, at] = readTypes(types, 0, reader, 0);
  if (at < types.length) {
    throw new UsageError(`types "${types}": "]" without "["`);
  }
  const extra = reader.next();
  if (extra !== undefined) {
    throw new UsageError(
      `value #${reader.count} "${extra.text}" is one too many for types "${types}"`,
    );
  }
  return args;
}

class ValueReader {
  count = 0;
  #tokens: Token[];
  #at = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  next(): Token | undefined {
    const token = this.#tokens[this.#at];
    if (token !== undefined) {
      this.#at++;
      this.count++;
    }
    return token;
  }

  /** Consumes oscdump's marker for a valueless type, if it is next. */
  skipMarker(type: string): void {
    const token = this.#tokens[this.#at];
    if (token && !token.quoted && token.text === MARKERS[type]) this.#at++;
  }

  /** Consumes words up to one that ends with `]`, for `MIDI [..]` and blobs. */
  until(first: Token): string[] {
    const words = [first.text];
    while (!words.at(-1)!.endsWith("]")) {
      const token = this.#tokens[this.#at++];
      if (token === undefined) break;
      words.push(token.text);
    }
    return words;
  }
}

function readTypes(
  types: string,
  from: number,
  reader: ValueReader,
  depth: number,
): [OscArgument[], number] {
  const args: OscArgument[] = [];
  let i = from;
  while (i < types.length) {
    const type = types[i]!;
    if (type === "]") {
      if (depth === 0) break;
      reader.skipMarker("]");
      return [args, i];
    }
    if (type === "[") {
      reader.skipMarker("[");
      const [value, close] = readTypes(types, i + 1, reader, depth + 1);
      if (types[close] !== "]") {
        throw new UsageError(`types "${types}": "[" without "]"`);
      }
      args.push({ type: "[", value });
      i = close + 1;
      continue;
    }
    if (type === "T" || type === "F" || type === "N" || type === "I") {
      reader.skipMarker(type);
      args.push({ type });
      i++;
      continue;
    }
    if (!"ihfdsScmbtr".includes(type)) {
      throw new UsageError(
        `type "${type}" in "${types}" is not one of i h f d s S c m b t r T F N I [ ]`,
      );
    }
    const token = reader.next();
    if (token === undefined) {
      throw new UsageError(
        `value #${reader.count + 1} is missing (type ${type} in "${types}")`,
      );
    }
    args.push(parseValue(type, token, reader));
    i++;
  }
  return [args, i];
}

function parseValue(
  type: string,
  token: Token,
  reader: ValueReader,
): OscArgument {
  const text = token.text;
  const bad = (what: string): never => {
    throw new UsageError(
      `value #${reader.count} "${text}" is not ${what} (type ${type})`,
    );
  };
  switch (type) {
    case "i": {
      // Through BigInt, as h: Number() reads 0x10 but not -0x10 or +0x10.
      const value = INTEGER.test(text) ? Number(toBigInt(text)) : NaN;
      if (!Number.isInteger(value) || (value | 0) !== value) bad("an int32");
      return { type, value };
    }
    case "h": {
      const value = INTEGER.test(text) ? toBigInt(text) : undefined;
      if (value === undefined || BigInt.asIntN(64, value) !== value) {
        bad("an int64");
      }
      return { type, value: value! };
    }
    case "f":
    case "d": {
      if (!FLOAT.test(text)) bad(type === "f" ? "a float32" : "a float64");
      const value = parseFloatWord(text);
      // Only a spelled-out inf is infinite: 1e400 overflows a float64 as
      // 1e39 does a float32.
      const stored = type === "f" ? Math.fround(value) : value;
      if (Math.abs(stored) === Infinity && !/inf/i.test(text)) {
        bad(type === "f" ? "a float32" : "a float64");
      }
      return { type, value };
    }
    case "s":
      return { type, value: text };
    case "S":
      // oscdump prints a symbol with one leading quote.
      return {
        type,
        value: !token.quoted && text.startsWith("'") ? text.slice(1) : text,
      };
    case "c": {
      // oscdump prints a character as 'A'.
      const chars = [
        ...(!token.quoted && /^'.+'$/su.test(text) ? text.slice(1, -1) : text),
      ];
      if (chars.length !== 1) bad("one character");
      return { type, value: chars[0]! };
    }
    case "m": {
      if (!token.quoted && text === "MIDI") {
        const words = reader.until({ text: "[", quoted: false }).slice(1);
        const bytes = words.join(" ").replace(/^\[|\]$/g, "").trim().split(
          /\s+/,
        ).map((w) => /^0x[0-9a-f]{1,2}$/i.test(w) ? Number(w) : NaN);
        if (bytes.length !== 4 || bytes.some(Number.isNaN)) {
          bad("MIDI [0xPP 0xSS 0xD1 0xD2]");
        }
        return { type, value: new Uint8Array(bytes) };
      }
      if (!/^[0-9a-f]{8}$/i.test(text)) bad("8 hex digits of MIDI");
      return { type, value: fromHex(text) };
    }
    case "b": {
      if (!token.quoted && text.startsWith("[")) {
        const words = reader.until(token).join(" ").slice(1, -1).trim()
          .split(/\s+/);
        const size = /^(\d+)b$/.exec(words[0] ?? "");
        const bytes = words.slice(1).map((w) =>
          /^(?:0x)?[0-9a-f]{1,2}$/i.test(w) ? parseInt(w, 16) : NaN
        );
        const why = words[1] === "byte" && words[2] === "blob"
          ? "is oscdump's short form of a blob, which has lost its bytes"
          : !size
          ? "is not a blob: it starts with its size, as [3b 01 02 03]"
          : bytes.some(Number.isNaN)
          ? "is not a blob: each byte is one or two hex digits"
          : Number(size[1]) !== bytes.length
          ? `is not a blob: it says ${size[1]} bytes and lists ${bytes.length}`
          : undefined;
        if (why !== undefined) {
          throw new UsageError(
            `value #${reader.count} "[${words.join(" ")}]" ${why} (type b)`,
          );
        }
        return { type, value: new Uint8Array(bytes) };
      }
      const hex = text.replace(/^0x/i, "");
      if (!HEX.test(hex)) bad("a blob as an even number of hex digits");
      return { type, value: fromHex(hex) };
    }
    case "t": {
      const value = parseTimeValue(text);
      if (value === undefined) {
        bad(
          "a timetag (ssssssss.ffffffff, ISO 8601 from 1900 to 2036, or immediately)",
        );
      }
      return { type, value: value! };
    }
    case "r": {
      const hex = text.replace(/^#/, "");
      if (!/^[0-9a-f]{8}$/i.test(hex)) bad("an RGBA colour of 8 hex digits");
      return { type, value: parseInt(hex, 16) };
    }
  }
  throw new UsageError(`type "${type}" is unknown`);
}

/** `ssssssss.ffffffff`, `immediately`, or an ISO 8601 date and time. */
export function parseTimeValue(text: string): bigint | undefined {
  if (text === "immediately") return 1n;
  const timetag = parseTimetag(text);
  if (timetag !== undefined) return timetag;
  if (!ISO_DATE.test(text)) return undefined;
  return timetagAt(Date.parse(text));
}

/**
 * The timetag of a time in Unix milliseconds, or undefined outside what
 * one holds: seconds since 1900 in 32 bits, so 1900 to February 2036.
 */
export function timetagAt(ms: number): bigint | undefined {
  if (Number.isNaN(ms)) return undefined;
  const timetag = timetagFromMillis(ms);
  return timetag >= 0n && timetag < 1n << 64n ? timetag : undefined;
}

function parseFloatWord(text: string): number {
  const lower = text.toLowerCase();
  const sign = lower.startsWith("-") ? -1 : 1;
  const bare = lower.replace(/^[+-]/, "");
  if (bare.startsWith("inf")) return sign * Infinity;
  if (bare === "nan") return NaN;
  return Number(text);
}

function toBigInt(text: string): bigint {
  const negative = text.startsWith("-");
  const value = BigInt(text.replace(/^[+-]/, ""));
  return negative ? -value : value;
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}
