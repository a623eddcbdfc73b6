/**
 * TCP, TLS and UDP clients and servers with timeouts, shaped after the
 * Renoise socket API: `createClient`, `createServer`, a notifier with
 * `socketAccepted` / `socketMessage` / `socketError`, and
 * `receive("*line" | "*all" | n, timeoutMs)`.
 *
 * @example An echo server and a client
 * ```ts
 * import { createClient, createServer } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 0);
 * server.run({ socketMessage: (client, message) => client.send(message) });
 *
 * await using client = await createClient("localhost", server.localPort);
 * await client.send("hello\n");
 * console.log(await client.receive("*line", 1000)); // "hello"
 * await server.stop();
 * ```
 *
 * @module
 */

export { SocketError } from "./errors.ts";
export type {
  NetAddress,
  SocketErrorCode,
  SocketErrorOptions,
} from "./errors.ts";
export { Message } from "./message.ts";
export { createClient } from "./client.ts";
export type {
  ClientOptions,
  ReceiveMode,
  SocketClient,
  TlsInfo,
  TlsOptions,
  UnixAddress,
} from "./client.ts";
export { createServer } from "./server.ts";
export { scanPorts } from "./scan.ts";
export type { PortScanResult, PortState, ScanOptions } from "./scan.ts";
export { maxDatagramPayload } from "./_udp.ts";
export { checkUnixPath } from "./unix_path.ts";
export type {
  ServerOptions,
  ServerTlsOptions,
  SocketNotifier,
  SocketServer,
} from "./server.ts";
export { pipe } from "./pipe.ts";
export type { PipeDirection, PipeOptions, PipeResult } from "./pipe.ts";
export {
  basicAuthorization,
  formatGetRequest,
  HttpParseError,
  HttpResponseParser,
  parseHeaderLine,
  parseHttpUrl,
  targetOf,
} from "./http/mod.ts";
export type {
  BodyFraming,
  GetRequestOptions,
  HttpResponseHead,
  HttpResponseParserOptions,
  HttpTarget,
} from "./http/mod.ts";
export {
  compileOscPattern,
  createDeframer,
  createOscClient,
  decodeOsc,
  encodeOsc,
  formatTimetag,
  frameSize,
  frameSlip,
  matchOscAddress,
  OSC_IMMEDIATELY,
  OscDecodeError,
  OscFramer,
  oscNotifier,
  parseTimetag,
  timetagFromDate,
  timetagFromMillis,
  timetagToDate,
  timetagToMillis,
  toOscArgument,
} from "./osc/mod.ts";
export type {
  OscArgument,
  OscBundle,
  OscClient,
  OscClientOptions,
  OscDeframer,
  OscFraming,
  OscHandlers,
  OscMessage,
  OscMessageInfo,
  OscNotifierOptions,
  OscPacket,
  OscType,
  OscValue,
} from "./osc/mod.ts";
