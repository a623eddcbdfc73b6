import { BaseClient } from "./_base_client.ts";
import type { NetAddress } from "./errors.ts";
import type { ReceiveMode } from "./_receive_mode.ts";
import { toNetAddress } from "./_address.ts";
import { sendDatagram } from "./_udp.ts";
import { socketError } from "./_socket_error_from.ts";

/**
 * What a UDP server hands to `socketMessage`: the sender's address, and a
 * `send` that answers it through the server's own socket. It holds no OS
 * resource, so a server keeps no state per peer.
 */
export class UdpPeer extends BaseClient {
  readonly protocol = "udp";
  readonly localAddress: string;
  readonly localPort: number;
  readonly bytesReceived: number;
  bytesSent = 0;
  #conn: Deno.DatagramConn;
  #to: Deno.Addr | undefined;

  /**
   * `local` saves asking the socket for its address on every datagram;
   * `to` is the sender as Deno gave it, answered as it is: building a new
   * address object for every reply cost echo-udp 5% more CPU a datagram.
   */
  constructor(
    conn: Deno.DatagramConn,
    peer: NetAddress,
    received: number,
    local: NetAddress = toNetAddress(conn.addr),
    to?: Deno.Addr,
  ) {
    super(peer);
    this.#conn = conn;
    this.#to = to;
    this.localAddress = local.address;
    this.localPort = local.port;
    this.bytesReceived = received;
  }

  send(message: string | Uint8Array): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(socketError("closed", "send to", this.peer));
    }
    const bytes = this.encode(message);
    // The count is the one thing left to do: done before the send settles
    // and undone if it fails, it costs no promise of its own.
    this.bytesSent += bytes.length;
    return sendDatagram(this.#conn, this.peer, bytes, () => {
      this.bytesSent -= bytes.length;
    }, this.#to);
  }

  receiveBytes(_mode: ReceiveMode, _timeoutMs?: number): Promise<Uint8Array> {
    return Promise.reject(
      new TypeError(
        "Cannot receive on a UDP server's peer: datagrams arrive through socketMessage",
      ),
    );
  }

  closeWrite(): Promise<void> {
    return Promise.reject(
      new TypeError("Cannot half-close a UDP peer: UDP has no connection"),
    );
  }

  protected release(): void {
    // The socket is the server's: closing one peer's handle frees nothing.
  }
}
