import type { NetAddress, SocketError } from "./errors.ts";
import type { SocketNotifier, SocketServer } from "./server.ts";
import { receivedMessage } from "./_received_message.ts";
import { NotifierDispatch } from "./_notifier_dispatch.ts";
import { UdpPeer } from "./_udp_peer.ts";
import { toNetAddress } from "./_address.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";
import { DATAGRAM_BUFFER_SIZE } from "./_udp.ts";
import { isUnix, pathOf, unlinkSocket } from "./_unix.ts";
import { senderKey, SenderMemory } from "./_sender_memory.ts";
import { KernelDropWatch } from "./_kernel_drops.ts";
import { pause } from "./_deadline.ts";

/** How often the kernel's drop count is read while datagrams arrive. */
const DROP_CHECK_MS = 1000;

/**
 * A UDP server: one receive loop into one reused 64 KiB buffer, faster than
 * iterating the socket when many peers send at once, and no per-peer state.
 */
export class UdpServer implements SocketServer {
  readonly protocol = "udp";
  readonly localAddress: string;
  readonly localPort: number;
  readonly connectionCount = 0;
  readonly tls = false;
  #conn: Deno.DatagramConn;
  #filter: ((peer: NetAddress) => string | undefined) | undefined;
  #state: "ready" | "running" | "stopped" = "ready";
  #loop: Promise<void> = Promise.resolve();
  #lock: PeerLock | undefined;
  #refused = new SenderMemory();
  #borrow: boolean;
  #drops: KernelDropWatch;
  /**
   * Whether the count can have grown since it was read: a datagram came,
   * or the loop is not waiting for one (a handler is slow, and the kernel
   * holds or drops what arrives meanwhile). An idle server never reads it.
   */
  #receivedSinceCheck = false;
  #waiting = false;
  #dropPause: { done: Promise<void>; wake(): void } | undefined;
  /** The last count, read before the socket (and its count) goes. */
  #dropsAtClose: SocketError | undefined;

  /** `borrowMessages`: see `ServerOptions`. */
  constructor(
    conn: Deno.DatagramConn,
    filter: ((peer: NetAddress) => string | undefined) | undefined,
    onePeer = false,
    borrowMessages = false,
  ) {
    this.#conn = conn;
    this.#filter = filter;
    this.#lock = onePeer ? new PeerLock() : undefined;
    this.#borrow = borrowMessages;
    const local = toNetAddress(conn.addr);
    this.localAddress = local.address;
    this.localPort = local.port;
    this.#drops = new KernelDropWatch(local, "receive on");
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
    const dispatch = new NotifierDispatch(notifier);
    this.#loop = this.#receiveLoop(dispatch);
    void this.#watchDrops(dispatch);
  }

  /**
   * A loss is told while the server runs, not only when it stops. Not
   * `setInterval`: its first use would cost every UDP server's start ~10 ms.
   */
  async #watchDrops(dispatch: NotifierDispatch): Promise<void> {
    while (this.#state === "running") {
      this.#dropPause = pause(DROP_CHECK_MS);
      await this.#dropPause.done;
      if (this.#state !== "running") return;
      const dropped = this.#checkDrops();
      if (dropped) await dispatch.error(dropped);
    }
  }

  stopAccepting(): void {
    // Datagrams are not connections: there is nothing to stop accepting.
  }

  async stop(): Promise<void> {
    this.close();
    await this.#loop;
  }

  close(): void {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    this.#dropPause?.wake();
    this.#dropsAtClose = this.#checkDrops();
    this.#conn.close();
    // Deno leaves a Unix datagram socket's file behind; a stream's it removes.
    const local = { address: this.localAddress, port: this.localPort };
    if (isUnix(local)) unlinkSocket(pathOf(local));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #checkDrops(): SocketError | undefined {
    if (!this.#receivedSinceCheck && this.#waiting) return undefined;
    this.#receivedSinceCheck = false;
    return this.#drops.check();
  }

  async #receiveLoop(dispatch: NotifierDispatch): Promise<void> {
    const buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
    const local = { address: this.localAddress, port: this.localPort };
    while (this.#state === "running") {
      let data: Uint8Array;
      let peer: NetAddress;
      let addr: Deno.Addr;
      try {
        this.#waiting = true;
        const [received, from] = await this.#conn.receive(buffer);
        this.#waiting = false;
        data = received;
        addr = from;
        peer = toNetAddress(addr);
      } catch (error) {
        this.#waiting = false;
        if (this.#state !== "running") break;
        await dispatch.error(toSocketError(error, "receive from", local));
        continue;
      }
      this.#receivedSinceCheck = true;
      if (data.length === buffer.length) {
        await dispatch.error(
          socketError("truncated", "receive from", peer, {
            detail:
              `datagram filled the ${buffer.length}-byte buffer and may be truncated`,
          }),
        );
      }
      let reason: string | undefined;
      try {
        reason = this.#filter?.(peer);
      } catch (error) {
        // Its datagram is dropped; the throw must not end the receive loop.
        await dispatch.filterFailed(peer, error);
        continue;
      }
      if (reason !== undefined) {
        // Once per sender, as `locked`: a refused sender's every datagram
        // would otherwise be an event.
        if (this.#refused.firstTime(peer)) {
          await dispatch.rejected(peer, reason);
        }
        continue;
      }
      const locked = this.#lock?.check(peer);
      if (locked !== undefined) {
        if (locked) await dispatch.rejected(peer, "locked");
        continue;
      }
      const client = new UdpPeer(this.#conn, peer, data.length, local, addr);
      const message = receivedMessage(data, this.#borrow);
      const handled = dispatch.message(client, message);
      if (handled !== undefined) {
        try {
          await handled;
        } catch (error) {
          await dispatch.messageFailed(client, error);
        }
      }
    }
    if (this.#dropsAtClose) await dispatch.error(this.#dropsAtClose);
  }
}

/** `onePeer`: the first sender owns the server; others are told once. */
class PeerLock {
  #owner: string | undefined;
  #refused = new SenderMemory();

  /**
   * `undefined` lets the datagram through; `true` refuses it and reports
   * the sender; `false` refuses it quietly (already reported).
   */
  check(peer: NetAddress): boolean | undefined {
    const key = senderKey(peer);
    this.#owner ??= key;
    if (key === this.#owner) return undefined;
    return this.#refused.firstTime(peer);
  }
}
