import type { OscArgument, OscBundle, OscMessage, OscPacket } from "./types.ts";
import { OscDecodeError } from "./decode_error.ts";

/** Deeper bundles or arrays than this are refused, so no packet can recurse without end. */
const MAX_DEPTH = 8;
const utf8 = new TextDecoder();
const BUNDLE = [0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0x00];

/**
 * Decodes one OSC 1.0 packet, strictly: every length, NUL terminator and
 * pad byte is checked, and anything that is not a well-formed packet
 * throws {@linkcode OscDecodeError} with the byte offset, never another
 * error. A message that ends after its address (no `,` type tag string)
 * has no arguments, as OSC 1.0 allows for old senders. Strings are UTF-8,
 * invalid bytes replaced by U+FFFD. Blobs and MIDI values are copies, so
 * the input buffer may be reused.
 *
 * @example
 * ```ts
 * import { decodeOsc, encodeOsc } from "@sockit/sockit";
 *
 * const packet = decodeOsc(encodeOsc({
 *   address: "/renoise/trigger/note_on",
 *   args: [1, -1, 48, 100].map((value) => ({ type: "i" as const, value })),
 * }));
 * if ("address" in packet) console.log(packet.args.length); // 4
 * ```
 *
 * @param bytes One whole packet (a datagram, or a deframed TCP packet).
 * @returns The message or bundle.
 */
export function decodeOsc(bytes: Uint8Array): OscPacket {
  return new Decoder(bytes).packet(0, bytes.length, 1);
}

class Decoder {
  #bytes: Uint8Array;
  #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  packet(start: number, end: number, depth: number): OscPacket {
    const size = end - start;
    if (size === 0) throw new OscDecodeError("empty packet", start);
    if (size % 4 !== 0) {
      throw new OscDecodeError(
        `packet size ${size} is not a multiple of 4`,
        end,
      );
    }
    const first = this.#bytes[start];
    if (first === 0x2f) return this.#message(start, end);
    if (first === 0x23) return this.#bundle(start, end, depth);
    throw new OscDecodeError(
      "not an OSC packet: it must start with / (a message) or #bundle",
      start,
    );
  }

  #bundle(start: number, end: number, depth: number): OscBundle {
    const bytes = this.#bytes;
    for (let i = 0; i < 8; i++) {
      if (bytes[start + i] !== BUNDLE[i]) {
        throw new OscDecodeError(
          "not an OSC packet: it must start with / (a message) or #bundle",
          start,
        );
      }
    }
    if (depth > MAX_DEPTH) {
      throw new OscDecodeError(
        `bundles nested deeper than ${MAX_DEPTH}`,
        start,
      );
    }
    if (end - start < 16) {
      throw new OscDecodeError("bundle truncated in its timetag", end);
    }
    const timetag = this.#view.getBigUint64(start + 8);
    const elements: OscPacket[] = [];
    let at = start + 16;
    while (at < end) {
      const size = this.#view.getInt32(at);
      if (size <= 0 || size % 4 !== 0) {
        throw new OscDecodeError(
          `bundle element size ${size} is not a positive multiple of 4`,
          at,
        );
      }
      if (at + 4 + size > end) {
        throw new OscDecodeError(
          `bundle element of ${size} bytes runs past the end (${
            end - at - 4
          } left)`,
          at,
        );
      }
      elements.push(this.packet(at + 4, at + 4 + size, depth + 1));
      at += 4 + size;
    }
    return { timetag, elements };
  }

  #message(start: number, end: number): OscMessage {
    const [address, tagsAt] = this.#string(start, end);
    if (tagsAt === end) return { address, args: [] };
    if (this.#bytes[tagsAt] !== 0x2c) {
      throw new OscDecodeError(
        "the type tag string does not start with ,",
        tagsAt,
      );
    }
    const tagsEnd = this.#terminator(tagsAt, end);
    const valuesAt = this.#padding(tagsEnd, end);
    const [args, tagAt, valuesEnd] = this.#args(
      tagsAt + 1,
      tagsEnd,
      valuesAt,
      end,
      0,
    );
    if (tagAt < tagsEnd) {
      throw new OscDecodeError("] without a matching [", tagAt);
    }
    if (valuesEnd !== end) {
      throw new OscDecodeError(
        `${end - valuesEnd} bytes after the last argument`,
        valuesEnd,
      );
    }
    return { address, args };
  }

  /** Decodes tags from `tagAt` and values from `at`; stops at `]` or `tagsEnd`. */
  #args(
    tagAt: number,
    tagsEnd: number,
    at: number,
    end: number,
    depth: number,
  ): [OscArgument[], number, number] {
    const bytes = this.#bytes;
    const view = this.#view;
    const args: OscArgument[] = [];
    let tag = tagAt;
    while (tag < tagsEnd) {
      const code = bytes[tag]!;
      const need = code === 0x64 || code === 0x68 || code === 0x74 ? 8 : 4;
      if (
        (code === 0x69 || code === 0x66 || code === 0x64 || code === 0x68 ||
          code === 0x74 || code === 0x63 || code === 0x72 ||
          code === 0x6d || code === 0x62) && at + need > end
      ) {
        throw new OscDecodeError(
          `argument ${args.length + 1} (type ${
            String.fromCharCode(code)
          }) is truncated`,
          at,
        );
      }
      switch (code) {
        case 0x69: // i
          args.push({ type: "i", value: view.getInt32(at) });
          at += 4;
          break;
        case 0x66: // f
          args.push({ type: "f", value: view.getFloat32(at) });
          at += 4;
          break;
        case 0x64: // d
          args.push({ type: "d", value: view.getFloat64(at) });
          at += 8;
          break;
        case 0x68: // h
          args.push({ type: "h", value: view.getBigInt64(at) });
          at += 8;
          break;
        case 0x74: // t
          args.push({ type: "t", value: view.getBigUint64(at) });
          at += 8;
          break;
        case 0x73: // s
        case 0x53: { // S
          const [value, next] = this.#string(at, end);
          args.push({ type: code === 0x73 ? "s" : "S", value });
          at = next;
          break;
        }
        case 0x63: { // c
          const value = view.getUint32(at);
          if (value > 0x10ffff) {
            throw new OscDecodeError(
              `character ${value} is not a Unicode code point`,
              at,
            );
          }
          args.push({ type: "c", value: String.fromCodePoint(value) });
          at += 4;
          break;
        }
        case 0x72: // r
          args.push({ type: "r", value: view.getUint32(at) });
          at += 4;
          break;
        case 0x6d: // m
          args.push({ type: "m", value: bytes.slice(at, at + 4) });
          at += 4;
          break;
        case 0x62: { // b
          const size = view.getInt32(at);
          const padded = at + 4 + size + ((4 - (size & 3)) & 3);
          if (size < 0 || size > end - at - 4 || padded > end) {
            throw new OscDecodeError(
              size < 0
                ? `blob size ${size} is negative`
                : `blob of ${size} bytes runs past the end (${
                  end - at - 4
                } left)`,
              at,
            );
          }
          const value = bytes.slice(at + 4, at + 4 + size);
          this.#zeros(at + 4 + size, padded);
          args.push({ type: "b", value });
          at = padded;
          break;
        }
        case 0x54: // T
          args.push({ type: "T" });
          break;
        case 0x46: // F
          args.push({ type: "F" });
          break;
        case 0x4e: // N
          args.push({ type: "N" });
          break;
        case 0x49: // I
          args.push({ type: "I" });
          break;
        case 0x5b: { // [
          if (depth >= MAX_DEPTH) {
            throw new OscDecodeError(
              `arrays nested deeper than ${MAX_DEPTH}`,
              tag,
            );
          }
          const [value, closeAt, next] = this.#args(
            tag + 1,
            tagsEnd,
            at,
            end,
            depth + 1,
          );
          if (closeAt >= tagsEnd) {
            throw new OscDecodeError("[ without a matching ]", tag);
          }
          args.push({ type: "[", value });
          tag = closeAt;
          at = next;
          break;
        }
        case 0x5d: // ]
          if (depth === 0) {
            throw new OscDecodeError("] without a matching [", tag);
          }
          return [args, tag, at];
        default:
          throw new OscDecodeError(
            `unknown type tag ${JSON.stringify(String.fromCharCode(code))}`,
            tag,
          );
      }
      tag++;
    }
    return [args, tag, at];
  }

  /** Reads a padded string at `at`; returns it and the offset after it. */
  #string(at: number, end: number): [string, number] {
    const nul = this.#terminator(at, end);
    const bytes = this.#bytes;
    let text: string;
    const length = nul - at;
    if (length <= 32) {
      text = "";
      for (let i = at; i < nul; i++) {
        const code = bytes[i]!;
        if (code >= 0x80) {
          text = utf8.decode(bytes.subarray(at, nul));
          break;
        }
        text += String.fromCharCode(code);
      }
    } else {
      text = utf8.decode(bytes.subarray(at, nul));
    }
    return [text, this.#padding(nul, end)];
  }

  /** The offset of the NUL that ends the string at `at`. */
  #terminator(at: number, end: number): number {
    const nul = this.#bytes.indexOf(0, at);
    if (nul === -1 || nul >= end) {
      throw new OscDecodeError("string has no NUL terminator", at);
    }
    return nul;
  }

  /** Checks the NULs from the terminator at `nul` to the 4-byte boundary. */
  #padding(nul: number, end: number): number {
    const padded = (nul + 4) & ~3;
    if (padded > end) {
      throw new OscDecodeError("string padding runs past the end", end);
    }
    this.#zeros(nul, padded);
    return padded;
  }

  #zeros(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      if (this.#bytes[i] !== 0) {
        throw new OscDecodeError("padding byte is not NUL", i);
      }
    }
  }
}
