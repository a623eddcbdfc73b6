import type { NetAddress, SocketError } from "../errors.ts";
import type { SocketClient } from "../client.ts";
import type { Message } from "../message.ts";
import { socketError } from "../_socket_error_from.ts";
import type { SocketNotifier } from "../server.ts";
import type { OscMessage, OscPacket } from "./types.ts";
import { decodeOsc } from "./decode.ts";
import { OscDecodeError } from "./decode_error.ts";
import {
  createDeframer,
  type OscDeframer,
  type OscFraming,
} from "./framing.ts";

/**
 * Where and when a message arrived, handed to
 * {@linkcode OscHandlers.oscMessage}.
 *
 * @example
 * ```ts
 * import type { OscMessageInfo } from "@sockit/sockit";
 *
 * function when(info: OscMessageInfo): string {
 *   return info.bundles.length > 0 ? "scheduled" : "now";
 * }
 * ```
 */
export interface OscMessageInfo {
  /** The sender. */
  peer: NetAddress;
  /** The socket it came on, to reply with `client.send`. */
  client: SocketClient;
  /** Arrival time, Unix milliseconds with a fraction. */
  arrival: number;
  /**
   * The innermost enclosing bundle's timetag (`1n` is "immediately"), or
   * `undefined` for a message that came alone.
   */
  timetag: bigint | undefined;
  /** The timetags of the enclosing bundles, outermost first; empty if none. */
  bundles: bigint[];
}

/**
 * The callbacks of an OSC server, all optional; socket callbacks pass
 * through as in {@linkcode SocketNotifier}.
 *
 * @example
 * ```ts
 * import type { OscHandlers } from "@sockit/sockit";
 *
 * const handlers: OscHandlers = {
 *   oscMessage(message, info) {
 *     console.log(info.peer.port, message.address, message.args);
 *   },
 * };
 * ```
 */
export interface OscHandlers extends
  Pick<
    SocketNotifier,
    "socketAccepted" | "socketClosed" | "socketRejected" | "socketError"
  > {
  /** Each message, bundles flattened in order. */
  oscMessage?(message: OscMessage, info: OscMessageInfo): void | Promise<void>;
  /** Each whole packet, raw, before it is decoded (to forward it unchanged). */
  oscPacket?(packet: Uint8Array, client: SocketClient): void | Promise<void>;
}

/** Options for {@linkcode oscNotifier}. *
 *
 * @example
 * ```ts
 * import type { OscNotifierOptions } from "@sockit/sockit";
 *
 * const options: OscNotifierOptions = { framing: "slip" };
 * ```
 */
export interface OscNotifierOptions {
  /** TCP framing, `"auto"` by default. */
  framing?: OscFraming;
}

/**
 * A notifier for `createServer` (UDP or TCP) that decodes OSC packets and
 * calls `oscMessage` for each message. A packet that does not decode
 * reaches `socketError` as a `"malformed"` `SocketError` whose `cause` is
 * the `OscDecodeError`, and the server goes on; a TCP stream that cannot be
 * framed is reported and that connection closed.
 *
 * @example An OSC monitor on UDP
 * ```ts
 * import { createServer, oscNotifier } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 0, { protocol: "udp" });
 * server.run(oscNotifier({
 *   oscMessage: (message, info) => console.log(info.peer, message.address),
 *   socketError: (error) => console.error(error.message),
 * }));
 * await server.stop();
 * ```
 *
 * @param handlers The callbacks.
 * @param options The TCP framing.
 * @returns A notifier to pass to `server.run`.
 */
export function oscNotifier(
  handlers: OscHandlers,
  options: OscNotifierOptions = {},
): SocketNotifier {
  return new OscReceiver(handlers, options.framing ?? "auto");
}

class OscReceiver implements SocketNotifier {
  #handlers: OscHandlers;
  #framing: OscFraming;
  #streams = new Map<SocketClient, OscDeframer>();

  constructor(handlers: OscHandlers, framing: OscFraming) {
    this.#handlers = handlers;
    this.#framing = framing;
  }

  socketAccepted(client: SocketClient): void | Promise<void> {
    this.#streams.set(client, createDeframer(this.#framing));
    return this.#handlers.socketAccepted?.(client);
  }

  socketClosed(client: SocketClient): void | Promise<void> {
    const deframer = this.#streams.get(client);
    this.#streams.delete(client);
    const pending = deframer?.pending ?? 0;
    if (pending === 0) return this.#handlers.socketClosed?.(client);
    // What went wrong with a connection comes before its end, as a reset's
    // error does.
    const reported = this.#handlers.socketError?.(
      socketError("malformed", "receive from", client.peer, {
        detail: `OSC stream closed inside a packet (${pending} byte${
          pending === 1 ? "" : "s"
        } held)`,
      }),
    );
    return Promise.resolve(reported).then(() =>
      this.#handlers.socketClosed?.(client)
    );
  }

  socketRejected(peer: NetAddress, reason: string): void | Promise<void> {
    return this.#handlers.socketRejected?.(peer, reason);
  }

  socketError(error: SocketError): void | Promise<void> {
    return this.#handlers.socketError?.(error);
  }

  socketMessage(
    client: SocketClient,
    message: Message,
  ): void | Promise<void> {
    if (client.protocol === "udp") return this.#packet(client, message);
    return this.#stream(client, message);
  }

  async #stream(client: SocketClient, chunk: Uint8Array): Promise<void> {
    const deframer = this.#streams.get(client) ??
      createDeframer(this.#framing);
    this.#streams.set(client, deframer);
    let packets: Uint8Array[];
    try {
      packets = deframer.push(chunk);
    } catch (error) {
      client.close();
      this.#streams.delete(client);
      return await this.#malformed(client, error);
    }
    for (const packet of packets) await this.#packet(client, packet);
  }

  /** Stays synchronous unless a handler returns a promise: the UDP hot path. */
  #packet(client: SocketClient, bytes: Uint8Array): void | Promise<void> {
    const arrival = performance.timeOrigin + performance.now();
    const forwarded = this.#handlers.oscPacket?.(bytes, client);
    if (forwarded instanceof Promise) {
      return forwarded.then(() => this.#decode(client, bytes, arrival));
    }
    return this.#decode(client, bytes, arrival);
  }

  #decode(
    client: SocketClient,
    bytes: Uint8Array,
    arrival: number,
  ): void | Promise<void> {
    if (!this.#handlers.oscMessage) return;
    let packet: OscPacket;
    try {
      packet = decodeOsc(bytes);
    } catch (error) {
      return this.#malformed(client, error);
    }
    const info = {
      peer: client.peer,
      client,
      arrival,
      timetag: undefined,
      bundles: [],
    };
    if ("address" in packet) return this.#handlers.oscMessage(packet, info);
    return this.#deliver(packet, info);
  }

  async #deliver(packet: OscPacket, info: OscMessageInfo): Promise<void> {
    if ("address" in packet) {
      await this.#handlers.oscMessage?.(packet, info);
      return;
    }
    const inner = {
      ...info,
      timetag: packet.timetag,
      bundles: [...info.bundles, packet.timetag],
    };
    for (const element of packet.elements) await this.#deliver(element, inner);
  }

  #malformed(client: SocketClient, error: unknown): void | Promise<void> {
    if (!(error instanceof OscDecodeError)) throw error;
    return this.#handlers.socketError?.(
      socketError("malformed", "receive from", client.peer, {
        detail: `bad OSC: ${error.message}`,
        cause: error,
      }),
    );
  }
}
