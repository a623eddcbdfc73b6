import { BaseClient } from "./_base_client.ts";
import { type NetAddress, SocketError } from "./errors.ts";
import { type ReceiveMode, validateReceive } from "./_receive_mode.ts";
import { withDeadline } from "./_deadline.ts";
import { toNetAddress } from "./_address.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";
import { DATAGRAM_BUFFER_SIZE, listenDatagram, sendDatagram } from "./_udp.ts";
import { isUnix, pathOf, unlinkSocket } from "./_unix.ts";
import { type DatagramIo, DatagramTurns } from "./_datagram_turns.ts";
import { KernelDropWatch } from "./_kernel_drops.ts";

/**
 * A "connected" UDP client: one fixed peer, and only that peer's datagrams
 * are received. Deno has no connect() for UDP, so the filter is ours.
 */
export class UdpClient extends BaseClient {
  readonly protocol = "udp";
  readonly localAddress: string;
  readonly localPort: number;
  bytesSent = 0;
  bytesReceived = 0;
  #conn: Deno.DatagramConn;
  #io: DatagramIo;
  #turns: DatagramTurns | undefined;
  #buffer = new Uint8Array(DATAGRAM_BUFFER_SIZE);
  #pending: Promise<Uint8Array> | undefined;
  #local: NetAddress;
  #drops: KernelDropWatch;

  constructor(conn: Deno.DatagramConn, peer: NetAddress) {
    super(peer);
    this.#conn = conn;
    const local = toNetAddress(conn.addr);
    this.#local = local;
    this.#drops = new KernelDropWatch(local, "receive from", peer);
    this.#turns = isUnix(local) ? new DatagramTurns(conn) : undefined;
    this.#io = this.#turns ?? conn;
    this.localAddress = local.address;
    this.localPort = local.port;
  }

  async send(message: string | Uint8Array): Promise<void> {
    this.assertOpen("send to");
    const bytes = this.encode(message);
    try {
      await sendDatagram(this.#io, this.peer, bytes);
    } catch (error) {
      // An oversize payload is the caller's mistake: the client stays open.
      throw error instanceof SocketError ? this.fail(error) : error;
    }
    this.bytesSent += bytes.length;
  }

  /** One datagram is one message, whatever the mode; `"*line"` drops one line ending. */
  async receiveBytes(
    mode: ReceiveMode,
    timeoutMs = Infinity,
  ): Promise<Uint8Array> {
    validateReceive(mode, timeoutMs);
    this.assertOpen("receive from");
    const deadline = Date.now() + timeoutMs;
    let datagram: Uint8Array;
    while (true) {
      const pending = this.#pending ??= this.#nextFromPeer();
      try {
        datagram = await withDeadline(
          pending,
          Math.max(0, deadline - Date.now()),
          () =>
            socketError("timeout", "receive from", this.peer, {
              detail: `timed out after ${timeoutMs} ms`,
            }),
        );
      } catch (error) {
        throw this.fail(toSocketError(error, "receive from", this.peer));
      }
      // Concurrent receives wait on the same datagram: the first to wake
      // takes it, the others wait for the next rather than return it again.
      if (this.#pending === pending) break;
    }
    this.bytesReceived += datagram.length;
    // The next receive is in flight while the caller handles this one, so
    // a burst drains faster than the kernel's buffer fills. Not on a Unix
    // socket, where a waiting receive makes each send wake it first.
    if (this.#turns === undefined) {
      this.#pending = this.#nextFromPeer();
      this.#pending.catch(() => {});
    } else {
      this.#pending = undefined;
    }
    return mode === "*line" ? withoutLineEnding(datagram) : datagram;
  }

  override get datagramsDropped(): number {
    if (this.isOpen) this.#drops.check();
    return this.#drops.total;
  }

  closeWrite(): Promise<void> {
    return Promise.reject(
      new TypeError("Cannot half-close a UDP client: UDP has no connection"),
    );
  }

  protected release(): void {
    // The count goes with the socket.
    this.#drops.check();
    this.#conn.close();
    this.#turns?.close();
    // Deno leaves a Unix datagram socket's file behind: the reply path is ours.
    if (isUnix(this.#local)) unlinkSocket(pathOf(this.#local));
  }

  async #nextFromPeer(): Promise<Uint8Array> {
    while (true) {
      const [data, addr] = await this.#io.receive(this.#buffer);
      const from = toNetAddress(addr);
      if (from.address !== this.peerAddress || from.port !== this.peerPort) {
        continue;
      }
      if (data.length === this.#buffer.length) {
        throw socketError("truncated", "receive from", this.peer);
      }
      return data.slice();
    }
  }
}

function withoutLineEnding(datagram: Uint8Array): Uint8Array {
  let end = datagram.length;
  if (datagram[end - 1] === 0x0a) end--;
  if (datagram[end - 1] === 0x0d) end--;
  return datagram.subarray(0, end);
}

/**
 * Binds an ephemeral UDP port for talking to `peer`: on loopback for a
 * loopback peer (nothing else needs to reach it, and `localAddress` is then
 * real), otherwise on every interface of the peer's family.
 */
export function openUdpClient(peer: NetAddress): UdpClient {
  const hostname = peer.address === "::1"
    ? "::1"
    : peer.address.startsWith("127.")
    ? "127.0.0.1"
    : peer.address.includes(":")
    ? "::"
    : "0.0.0.0";
  const conn = listenDatagram({ transport: "udp", hostname, port: 0 });
  return new UdpClient(conn, peer);
}
