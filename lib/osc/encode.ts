import type { OscArgument, OscBundle, OscMessage, OscPacket } from "./types.ts";

const utf8 = new TextEncoder();
const BUNDLE_HEADER = utf8.encode("#bundle\0");

/**
 * Packets are written into one growing scratch buffer and copied out once,
 * so encoding needs no size pass and allocates one result per packet.
 */
let scratch = new Uint8Array(4096);
const SCRATCH_KEEP = 1024 * 1024;
let view = new DataView(scratch.buffer);

function reserve(end: number): void {
  if (end <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < end) size *= 2;
  const bigger = new Uint8Array(size);
  bigger.set(scratch);
  scratch = bigger;
  view = new DataView(bigger.buffer);
}

/**
 * Encodes a message or bundle as one OSC 1.0 packet: big-endian, every
 * field padded with NULs to a multiple of 4 bytes (a string of 4n bytes
 * gets four NULs).
 *
 * Throws `TypeError` or `RangeError` for a value its type cannot hold (an
 * `i` that is not an int32, a string with a NUL, an address without `/`).
 *
 * @example The Renoise tempo message, 28 bytes
 * ```ts
 * import { encodeOsc } from "@sockit/sockit";
 *
 * const packet = encodeOsc({
 *   address: "/renoise/song/bpm",
 *   args: [{ type: "f", value: 127.5 }],
 * });
 * console.log(packet.length); // 28
 * ```
 *
 * @param packet A message or a bundle.
 * @returns The packet's bytes.
 */
export function encodeOsc(packet: OscPacket): Uint8Array {
  const end = writePacket(packet, 0, 0);
  const bytes = scratch.slice(0, end);
  // One huge packet must not pin its buffer for the life of the process.
  if (scratch.length > SCRATCH_KEEP) {
    scratch = new Uint8Array(4096);
    view = new DataView(scratch.buffer);
  }
  return bytes;
}

function writePacket(packet: OscPacket, at: number, depth: number): number {
  return "address" in packet
    ? writeMessage(packet, at)
    : writeBundle(packet, at, depth);
}

function writeBundle(bundle: OscBundle, at: number, depth: number): number {
  if (depth >= 8) {
    throw new RangeError("Cannot encode OSC: bundles nested deeper than 8");
  }
  reserve(at + 16);
  scratch.set(BUNDLE_HEADER, at);
  writeUint64(bundle.timetag, at + 8, "timetag");
  let end = at + 16;
  for (const element of bundle.elements) {
    reserve(end + 4);
    const start = end + 4;
    end = writePacket(element, start, depth + 1);
    view.setInt32(start - 4, end - start);
  }
  return end;
}

function writeMessage(message: OscMessage, at: number): number {
  const { address, args } = message;
  if (address.charCodeAt(0) !== 0x2f) {
    throw new TypeError(
      `Cannot encode OSC: address "${address}" does not start with /`,
    );
  }
  let end = writeString(address, at);
  // The type tag string: its length is the tag count plus "," and NUL.
  const tagsAt = end;
  const tagCount = countTags(args);
  const tagsEnd = tagsAt + ((tagCount + 5) & ~3);
  reserve(tagsEnd);
  scratch[tagsAt] = 0x2c;
  scratch.fill(0, tagsAt + tagCount + 1, tagsEnd);
  end = writeArgs(args, tagsAt + 1, tagsEnd);
  return end;
}

function countTags(args: OscArgument[]): number {
  let count = args.length;
  for (const arg of args) {
    // A JavaScript caller's hole or bare value: name it, not `.type`.
    if (typeof arg !== "object" || arg === null) {
      throw new TypeError(
        `Cannot encode OSC: ${
          String(arg)
        } is not an OSC argument ({ type, value }; toOscArgument makes one)`,
      );
    }
    if (arg.type === "[") count += countTags(arg.value) + 1;
  }
  return count;
}

/** Writes the tags from `tagAt` and the values from `at`; returns the end. */
function writeArgs(args: OscArgument[], tagAt: number, at: number): number {
  let tag = tagAt;
  let end = at;
  for (const arg of args) {
    const type = arg.type;
    switch (type) {
      case "i":
        reserve(end + 4);
        view.setInt32(end, checkInt32(arg.value));
        end += 4;
        break;
      case "f":
        reserve(end + 4);
        view.setFloat32(end, checkNumber(arg.value, "f"));
        end += 4;
        break;
      case "d":
        reserve(end + 8);
        view.setFloat64(end, checkNumber(arg.value, "d"));
        end += 8;
        break;
      case "h":
        reserve(end + 8);
        if (typeof arg.value !== "bigint") notA("a bigint", "h", arg.value);
        if (arg.value !== BigInt.asIntN(64, arg.value)) {
          throw new RangeError(
            `Cannot encode OSC: ${arg.value} is not an int64 (type h)`,
          );
        }
        view.setBigInt64(end, arg.value);
        end += 8;
        break;
      case "t":
        reserve(end + 8);
        writeUint64(arg.value, end, "t");
        end += 8;
        break;
      case "s":
      case "S":
        if (typeof arg.value !== "string") notA("a string", type, arg.value);
        end = writeString(arg.value, end);
        break;
      case "c": {
        const code = typeof arg.value === "string"
          ? arg.value.codePointAt(0)
          : undefined;
        if (code === undefined || arg.value.length > (code > 0xffff ? 2 : 1)) {
          notA("one character", "c", arg.value);
        }
        reserve(end + 4);
        view.setUint32(end, code);
        end += 4;
        break;
      }
      case "r":
        if (
          !Number.isInteger(arg.value) || arg.value < 0 ||
          arg.value > 0xffffffff
        ) notA("a uint32 colour", "r", arg.value);
        reserve(end + 4);
        view.setUint32(end, arg.value);
        end += 4;
        break;
      case "m":
        if (!(arg.value instanceof Uint8Array) || arg.value.length !== 4) {
          notA("4 bytes", "m", arg.value);
        }
        reserve(end + 4);
        scratch.set(arg.value, end);
        end += 4;
        break;
      case "b": {
        if (!(arg.value instanceof Uint8Array)) {
          notA("a Uint8Array", "b", arg.value);
        }
        const length = arg.value.length;
        const padded = end + 4 + ((length + 3) & ~3);
        reserve(padded);
        view.setInt32(end, length);
        scratch.set(arg.value, end + 4);
        scratch.fill(0, end + 4 + length, padded);
        end = padded;
        break;
      }
      case "T":
      case "F":
      case "N":
      case "I":
        break;
      case "[":
        if (!Array.isArray(arg.value)) notA("an array", "[", arg.value);
        scratch[tag++] = 0x5b;
        end = writeArgs(arg.value, tag, end);
        tag += countTags(arg.value);
        scratch[tag++] = 0x5d;
        continue;
      default:
        throw new TypeError(
          `Cannot encode OSC: unknown type tag "${String(type)}"`,
        );
    }
    scratch[tag++] = type.charCodeAt(0);
  }
  return end;
}

/** Writes a NUL-terminated, NUL-padded string; returns the end. */
function writeString(text: string, at: number): number {
  const length = text.length;
  reserve(at + length + 4);
  let i = 0;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || code === 0) break;
    scratch[at + i] = code;
  }
  let end = at + i;
  if (i < length) {
    if (text.includes("\0")) {
      throw new TypeError(
        `Cannot encode OSC: string "${
          text.replaceAll("\0", "\\0")
        }" holds a NUL`,
      );
    }
    const rest = utf8.encode(text.slice(i));
    reserve(end + rest.length + 4);
    scratch.set(rest, end);
    end += rest.length;
  }
  const padded = (end - at + 4 & ~3) + at;
  scratch.fill(0, end, padded);
  return padded;
}

function writeUint64(value: bigint, at: number, type: string): void {
  if (typeof value !== "bigint" || value !== BigInt.asUintN(64, value)) {
    notA("a uint64 bigint", type, value);
  }
  view.setBigUint64(at, value);
}

function checkInt32(value: number): number {
  if ((value | 0) !== value) notA("an int32", "i", value);
  return value;
}

function checkNumber(value: number, type: string): number {
  if (typeof value !== "number") notA("a number", type, value);
  return value;
}

function notA(what: string, type: string, value: unknown): never {
  throw new TypeError(
    `Cannot encode OSC: ${String(value)} is not ${what} (type ${type})`,
  );
}
