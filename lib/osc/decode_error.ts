/**
 * The one error OSC decoding and deframing throw.
 *
 * @example Report where a packet went wrong
 * ```ts
 * import { decodeOsc, OscDecodeError } from "@sockit/sockit";
 *
 * try {
 *   decodeOsc(new Uint8Array([0x2f, 0x61, 0, 0, 0x2c, 0x51, 0, 0]));
 * } catch (error) {
 *   if (error instanceof OscDecodeError) console.log(error.offset); // 5
 * }
 * ```
 */
export class OscDecodeError extends Error {
  /** The byte offset in the packet (or stream) where decoding failed. */
  readonly offset: number;

  /**
   * Constructs a new instance.
   *
   * @param message What is wrong, without the offset.
   * @param offset The byte offset where it went wrong.
   */
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "OscDecodeError";
    this.offset = offset;
  }
}
