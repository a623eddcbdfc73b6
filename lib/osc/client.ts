import type { ClientOptions, SocketClient } from "../client.ts";
import { createClient } from "../client.ts";
import type { OscPacket } from "./types.ts";
import { type OscValue, toOscArgument } from "./arguments.ts";
import { encodeOsc } from "./encode.ts";
import { OscFramer } from "./framing.ts";

/**
 * Options for {@linkcode createOscClient}: those of `createClient`, UDP by
 * default, and the TCP framing.
 *
 * @example
 * ```ts
 * import type { OscClientOptions } from "@sockit/sockit";
 *
 * const options: OscClientOptions = { protocol: "tcp", framing: "slip" };
 * ```
 */
export interface OscClientOptions extends Omit<ClientOptions, "tls"> {
  /** TCP only: `"size"` (OSC 1.0, liblo's default) or `"slip"` (OSC 1.1). */
  framing?: "size" | "slip";
}

/**
 * An OSC sender over UDP (one datagram per packet) or TCP (framed).
 *
 * @example
 * ```ts ignore
 * import { createOscClient } from "@sockit/sockit";
 *
 * await using renoise = await createOscClient("localhost", 8000);
 * await renoise.send("/renoise/song/bpm", 127.5);
 * ```
 */
export interface OscClient extends AsyncDisposable {
  /** The socket underneath. */
  readonly socket: SocketClient;
  /**
   * Sends one message; plain numbers become `f`, see {@linkcode OscValue}.
   *
   * @param address The address, starting with `/`.
   * @param values The arguments.
   */
  send(address: string, ...values: OscValue[]): Promise<void>;
  /**
   * Sends a message or bundle as it is.
   *
   * @param packet The packet.
   */
  sendPacket(packet: OscPacket): Promise<void>;
  /** Closes the socket. */
  close(): void;
}

/**
 * Connects an OSC client; UDP unless `protocol: "tcp"` is given.
 *
 * @example Set Renoise's tempo and play a note
 * ```ts ignore
 * import { createOscClient } from "@sockit/sockit";
 *
 * await using renoise = await createOscClient("localhost", 8000);
 * await renoise.send("/renoise/song/bpm", 127.5);
 * await renoise.send(
 *   "/renoise/trigger/note_on",
 *   ...[1, -1, 48, 100].map((value) => ({ type: "i" as const, value })),
 * );
 * ```
 *
 * @param host A name or address.
 * @param port 1 to 65535.
 * @param options Protocol, framing, timeout, family, signal.
 * @returns A connected client.
 */
export async function createOscClient(
  host: string,
  port: number,
  options: OscClientOptions = {},
): Promise<OscClient> {
  const { framing = "size", ...rest } = options;
  const protocol = options.protocol ?? "udp";
  const socket = await createClient(host, port, { ...rest, protocol });
  return new Sender(
    socket,
    protocol === "tcp" ? new OscFramer(framing) : undefined,
  );
}

class Sender implements OscClient {
  readonly socket: SocketClient;
  #framer: OscFramer | undefined;

  constructor(socket: SocketClient, framer: OscFramer | undefined) {
    this.socket = socket;
    this.#framer = framer;
  }

  send(address: string, ...values: OscValue[]): Promise<void> {
    return this.sendPacket({ address, args: values.map(toOscArgument) });
  }

  sendPacket(packet: OscPacket): Promise<void> {
    const bytes = encodeOsc(packet);
    return this.socket.send(this.#framer ? this.#framer.frame(bytes) : bytes);
  }

  close(): void {
    this.socket.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
