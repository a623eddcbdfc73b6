/**
 * Open Sound Control 1.0: a strict codec, TCP framings, address patterns,
 * and a client and server notifier on top of sockit's sockets.
 *
 * @module
 */
export type {
  OscArgument,
  OscBundle,
  OscMessage,
  OscPacket,
  OscType,
} from "./types.ts";
export { OscDecodeError } from "./decode_error.ts";
export { encodeOsc } from "./encode.ts";
export { decodeOsc } from "./decode.ts";
export {
  formatTimetag,
  OSC_IMMEDIATELY,
  parseTimetag,
  timetagFromDate,
  timetagFromMillis,
  timetagToDate,
  timetagToMillis,
} from "./timetag.ts";
export { createDeframer, frameSize, frameSlip, OscFramer } from "./framing.ts";
export type { OscDeframer, OscFraming } from "./framing.ts";
export { compileOscPattern, matchOscAddress } from "./pattern.ts";
export { toOscArgument } from "./arguments.ts";
export type { OscValue } from "./arguments.ts";
export { createOscClient } from "./client.ts";
export type { OscClient, OscClientOptions } from "./client.ts";
export { oscNotifier } from "./notifier.ts";
export type {
  OscHandlers,
  OscMessageInfo,
  OscNotifierOptions,
} from "./notifier.ts";
