import { OscDecodeError } from "./decode_error.ts";

const END = 0xc0;
const ESC = 0xdb;
const ESC_END = 0xdc;
const ESC_ESC = 0xdd;

/** Packets larger than this in a stream are refused: a bad prefix must not make us buffer gigabytes. */
const DEFAULT_MAX_PACKET = 16 * 1024 * 1024;

/**
 * How OSC packets are cut out of a TCP stream: `"size"` is OSC 1.0's int32
 * big-endian length before each packet (liblo's default); `"slip"` is OSC
 * 1.1's SLIP (RFC 1055) framing; `"auto"` (deframing only) tells them apart
 * by the first byte of the stream.
 *
 * @example
 * ```ts
 * import type { OscFraming } from "@sockit/sockit";
 *
 * const framing: OscFraming = "slip";
 * ```
 */
export type OscFraming = "size" | "slip" | "auto";

/**
 * A packet with OSC 1.0's stream framing: its length as an int32
 * big-endian, then the packet.
 *
 * @example
 * ```ts
 * import { encodeOsc, frameSize } from "@sockit/sockit";
 *
 * const framed = frameSize(encodeOsc({ address: "/a", args: [] }));
 * console.log(framed.length); // 12
 * ```
 *
 * @param packet An encoded packet.
 * @returns The prefix and the packet in one buffer.
 */
export function frameSize(packet: Uint8Array): Uint8Array {
  const framed = new Uint8Array(packet.length + 4);
  new DataView(framed.buffer).setInt32(0, packet.length);
  framed.set(packet, 4);
  return framed;
}

/**
 * A packet with SLIP framing: `END` (0xC0) and `ESC` (0xDB) escaped, an
 * `END` after the packet, and one before it when `leadingEnd` is true.
 *
 * The first packet of a connection is best sent without the leading `END`:
 * liblo takes a stream that opens with `END #bundle` for a size-prefixed
 * one and loses the connection. {@linkcode OscFramer} does that.
 *
 * @example
 * ```ts
 * import { encodeOsc, frameSlip } from "@sockit/sockit";
 *
 * const framed = frameSlip(encodeOsc({ address: "/a", args: [] }), true);
 * console.log(framed[0] === 0xc0 && framed.at(-1) === 0xc0); // true
 * ```
 *
 * @param packet An encoded packet.
 * @param leadingEnd Whether to put an `END` before the packet too.
 * @returns The framed packet.
 */
export function frameSlip(packet: Uint8Array, leadingEnd: boolean): Uint8Array {
  let specials = 0;
  for (const byte of packet) if (byte === END || byte === ESC) specials++;
  const lead = leadingEnd ? 1 : 0;
  const framed = new Uint8Array(packet.length + specials + lead + 1);
  let at = 0;
  if (leadingEnd) framed[at++] = END;
  if (specials === 0) {
    framed.set(packet, at);
    at += packet.length;
  } else {
    for (const byte of packet) {
      if (byte === END) {
        framed[at++] = ESC;
        framed[at++] = ESC_END;
      } else if (byte === ESC) {
        framed[at++] = ESC;
        framed[at++] = ESC_ESC;
      } else framed[at++] = byte;
    }
  }
  framed[at] = END;
  return framed;
}

/**
 * Frames the packets of one connection: size-prefixed, or SLIP with a
 * leading `END` on every packet but the first (double-END between packets,
 * which every SLIP reader splits, and a start liblo detects).
 *
 * @example
 * ```ts
 * import { encodeOsc, OscFramer } from "@sockit/sockit";
 *
 * const framer = new OscFramer("slip");
 * const first = framer.frame(encodeOsc({ address: "/a", args: [] }));
 * console.log(first[0]); // 47, the "/"
 * ```
 */
export class OscFramer {
  #framing: "size" | "slip";
  #first = true;

  /**
   * Constructs a new instance.
   *
   * @param framing `"size"` or `"slip"`.
   */
  constructor(framing: "size" | "slip") {
    // A typo would otherwise quietly be SLIP.
    if (framing !== "size" && framing !== "slip") {
      throw new TypeError(
        `OSC framing must be "size" or "slip", got ${JSON.stringify(framing)}`,
      );
    }
    this.#framing = framing;
  }

  /**
   * Frames the next packet of the connection.
   *
   * @param packet An encoded packet.
   * @returns The bytes to write.
   */
  frame(packet: Uint8Array): Uint8Array {
    if (this.#framing === "size") return frameSize(packet);
    const framed = frameSlip(packet, !this.#first);
    this.#first = false;
    return framed;
  }
}

/**
 * Cuts packets out of a TCP stream given in chunks of any size.
 *
 * @example Two size-prefixed packets in odd chunks
 * ```ts
 * import { createDeframer, encodeOsc, frameSize } from "@sockit/sockit";
 *
 * const one = frameSize(encodeOsc({ address: "/a", args: [] }));
 * const deframer = createDeframer("auto");
 * const stream = new Uint8Array([...one, ...one]);
 * const packets = [
 *   ...deframer.push(stream.subarray(0, 5)),
 *   ...deframer.push(stream.subarray(5)),
 * ];
 * console.log(packets.length, deframer.framing); // 2 "size"
 * ```
 */
export interface OscDeframer {
  /** The framing in use; `"auto"` until the first byte has arrived. */
  readonly framing: OscFraming;
  /** Bytes held that do not make a whole packet yet. */
  readonly pending: number;
  /**
   * Takes the next chunk of the stream; returns the packets it completes.
   * Throws {@linkcode OscDecodeError} (with the stream offset) when the
   * stream cannot be framed: the connection is then beyond repair.
   *
   * @param chunk The next bytes; they are copied where kept.
   * @returns The whole packets, in order.
   */
  push(chunk: Uint8Array): Uint8Array[];
}

/**
 * A streaming deframer for `"size"`, `"slip"` (single or double `END`) or
 * `"auto"`. Auto looks at the first byte: `END`, `/` or `#` start SLIP (a
 * size prefix could only start so for a packet over 500 MB), anything
 * else a size prefix. Unlike liblo it does not misread `END #bundle`.
 *
 * @example
 * ```ts
 * import { createDeframer, encodeOsc, frameSlip } from "@sockit/sockit";
 *
 * const deframer = createDeframer("auto");
 * const framed = frameSlip(encodeOsc({ address: "/a", args: [] }), true);
 * console.log(deframer.push(framed).length, deframer.framing); // 1 "slip"
 * ```
 *
 * @param framing The framing, or `"auto"`.
 * @param maxPacket The largest packet accepted, 16 MiB by default.
 * @returns A new deframer for one connection.
 */
export function createDeframer(
  framing: OscFraming,
  maxPacket = DEFAULT_MAX_PACKET,
): OscDeframer {
  if (framing === "size") return new SizeDeframer(maxPacket);
  if (framing === "slip") return new SlipDeframer(maxPacket);
  if (framing === "auto") return new AutoDeframer(maxPacket);
  // A JavaScript caller's typo would otherwise quietly be "auto".
  throw new TypeError(
    `OSC framing must be "size", "slip" or "auto", got ${
      JSON.stringify(framing)
    }`,
  );
}

class SizeDeframer implements OscDeframer {
  readonly framing = "size";
  #max: number;
  #buffer = new Uint8Array(0);
  #length = 0;
  /** Stream offset of `#buffer[0]`. */
  #offset = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get pending(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const packets: Uint8Array[] = [];
    let data = chunk;
    let length = chunk.length;
    if (this.#length > 0) {
      this.#append(chunk);
      data = this.#buffer;
      length = this.#length;
    }
    let at = 0;
    while (length - at >= 4) {
      const size = data[at]! << 24 | data[at + 1]! << 16 |
        data[at + 2]! << 8 | data[at + 3]!;
      if (size < 0 || size > this.#max) {
        throw new OscDecodeError(
          `size prefix ${size} is outside 0 to ${this.#max}`,
          this.#offset + at,
        );
      }
      if (length - at - 4 < size) break;
      packets.push(data.slice(at + 4, at + 4 + size));
      at += 4 + size;
    }
    this.#offset += at;
    const rest = length - at;
    if (data === chunk) {
      this.#length = 0;
      if (rest > 0) this.#append(chunk.subarray(at));
    } else {
      this.#buffer.copyWithin(0, at, length);
      this.#length = rest;
    }
    return packets;
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      const bigger = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      bigger.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = bigger;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
  }
}

class SlipDeframer implements OscDeframer {
  readonly framing = "slip";
  #max: number;
  #frame = new Uint8Array(1024);
  #length = 0;
  #escaped = false;
  #offset = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get pending(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const packets: Uint8Array[] = [];
    for (let i = 0; i < chunk.length; i++) {
      let byte = chunk[i]!;
      if (this.#escaped) {
        this.#escaped = false;
        if (byte === ESC_END) byte = END;
        else if (byte === ESC_ESC) byte = ESC;
        else {
          throw new OscDecodeError(
            `SLIP escape followed by 0x${byte.toString(16)}`,
            this.#offset + i,
          );
        }
      } else if (byte === END) {
        // Empty frames are the double-END separators: skip them.
        if (this.#length > 0) {
          packets.push(this.#frame.slice(0, this.#length));
          this.#length = 0;
        }
        continue;
      } else if (byte === ESC) {
        this.#escaped = true;
        continue;
      }
      if (this.#length === this.#frame.length) {
        if (this.#length >= this.#max) {
          throw new OscDecodeError(
            `SLIP packet longer than ${this.#max} bytes`,
            this.#offset + i,
          );
        }
        const bigger = new Uint8Array(this.#frame.length * 2);
        bigger.set(this.#frame);
        this.#frame = bigger;
      }
      this.#frame[this.#length++] = byte;
    }
    this.#offset += chunk.length;
    return packets;
  }
}

class AutoDeframer implements OscDeframer {
  #max: number;
  #inner: OscDeframer | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  get framing(): OscFraming {
    return this.#inner?.framing ?? "auto";
  }

  get pending(): number {
    return this.#inner?.pending ?? 0;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#inner === undefined) {
      if (chunk.length === 0) return [];
      const first = chunk[0];
      this.#inner = first === END || first === 0x2f || first === 0x23
        ? new SlipDeframer(this.#max)
        : new SizeDeframer(this.#max);
    }
    return this.#inner.push(chunk);
  }
}
