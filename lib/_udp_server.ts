import type { NetAddress } from "./errors.ts";
import type { SocketNotifier, SocketServer } from "./server.ts";
import { Message } from "./message.ts";
import { NotifierDispatch } from "./_notifier_dispatch.ts";
import { UdpPeer } from "./_udp_peer.ts";
import { toNetAddress } from "./_address.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";
import { DATAGRAM_BUFFER_SIZE } from "./_udp.ts";

/**
 * A UDP server: one receive loop into one reused 64 KiB buffer, faster than
 * iterating the socket when many peers send at once, and no per-peer state.
 */
export class UdpServer implements SocketServer {
  readonly protocol = "udp";
  readonly localAddress: string;
  readonly localPort: number;
  readonly connectionCount = 0;
  #conn: Deno.DatagramConn;
  #filter: ((peer: NetAddress) => string | undefined) | undefined;
  #state: "ready" | "running" | "stopped" = "ready";
  #loop: Promise<void> = Promise.resolve();

  #borrow: boolean;

  /** `borrowMessages`: see `ServerOptions`. */
  constructor(
    conn: Deno.DatagramConn,
    filter: ((peer: NetAddress) => string | undefined) | undefined,
    borrowMessages = false,
  ) {
    this.#conn = conn;
    this.#filter = filter;
    this.#borrow = borrowMessages;
    const local = toNetAddress(conn.addr);
    this.localAddress = local.address;
    this.localPort = local.port;
  }

  get isRunning(): boolean {
    return this.#state === "running";
  }

  run(notifier: SocketNotifier): void {
    if (this.#state !== "ready") {
      throw new TypeError(
        `Cannot run a server that is already ${this.#state}: create a new one`,
      );
    }
    this.#state = "running";
    this.#loop = this.#receiveLoop(new NotifierDispatch(notifier));
  }

  async stop(): Promise<void> {
    this.close();
    await this.#loop;
  }

  close(): void {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    this.#conn.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #receiveLoop(dispatch: NotifierDispatch): Promise<void> {
    const buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
    const local = { address: this.localAddress, port: this.localPort };
    while (this.#state === "running") {
      let data: Uint8Array;
      let peer: NetAddress;
      try {
        const [received, addr] = await this.#conn.receive(buffer);
        data = received;
        peer = toNetAddress(addr);
      } catch (error) {
        if (this.#state !== "running") return;
        await dispatch.error(toSocketError(error, "receive from", local));
        continue;
      }
      if (data.length === buffer.length) {
        await dispatch.error(
          socketError("truncated", "receive from", peer, {
            detail:
              `datagram filled the ${buffer.length}-byte buffer and may be truncated`,
          }),
        );
      }
      const reason = this.#filter?.(peer);
      if (reason !== undefined) {
        await dispatch.rejected(peer, reason);
        continue;
      }
      const client = new UdpPeer(this.#conn, peer, data.length, local);
      const message = this.#borrow
        ? new Message(data.buffer as ArrayBuffer, data.byteOffset, data.length)
        : new Message(data);
      const handled = dispatch.message(client, message);
      if (handled) await handled;
    }
  }
}
