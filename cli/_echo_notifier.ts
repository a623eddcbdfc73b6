import type {
  Message,
  NetAddress,
  SocketClient,
  SocketError,
  SocketNotifier,
} from "../lib/mod.ts";
import { closedEvent, errorEvent, type EventPrinter } from "./_events.ts";
import type { UdpAnswerGuard } from "./_udp_answer_guard.ts";

/**
 * The seed's EchoServer with better output: every byte goes back to its
 * sender, and each accept, message, close, refusal and error is an event.
 */
export class EchoNotifier implements SocketNotifier {
  connections = 0;
  messages = 0;
  bytesIn = 0;
  #bytesOut = 0;
  /**
   * The latest datagram's handle. It counts its own bytes out and takes
   * back a send that failed; a UDP server hands over the next datagram
   * only once this one's send has settled, so its count is final then.
   * Adding it up then costs no promise per datagram, as a `then()` would.
   */
  #lastDatagram: SocketClient | undefined;
  #printer: EventPrinter;
  #quiet: boolean;
  #guard: UdpAnswerGuard | undefined;

  constructor(printer: EventPrinter, quiet: boolean, guard?: UdpAnswerGuard) {
    this.#printer = printer;
    this.#quiet = quiet;
    this.#guard = guard;
  }

  /** Bytes echoed so far: TCP connections closed, datagrams sent. */
  get bytesOut(): number {
    return this.#bytesOut + (this.#lastDatagram?.bytesSent ?? 0);
  }

  socketAccepted(client: SocketClient): void {
    this.connections++;
    this.#printer.emit({
      event: "accepted",
      peer: client.peer,
      ...(client.tls ? { tls: client.tls } : {}),
    });
  }

  socketMessage(client: SocketClient, message: Message): Promise<void> | void {
    const verdict = this.#guard?.verdict(client.peer, message) ?? "answer";
    if (verdict !== "answer") {
      if (verdict !== "drop") this.socketRejected(client.peer, verdict);
      return;
    }
    this.messages++;
    this.bytesIn += message.length;
    let backlog: Promise<void> | undefined;
    if (!this.#quiet) {
      backlog = this.#printer.emitData({
        event: "message",
        peer: client.peer,
        data: message,
        // A connection's own count: hex offsets run on per connection,
        // even for Unix clients that all show as unix:-. Not a spread:
        // two objects less per message.
        offset: client.protocol === "tcp"
          ? client.bytesReceived - message.length
          : undefined,
      });
    }
    // A TCP connection's bytes out are added up once, when it closes.
    if (client.protocol === "udp") {
      this.#bytesOut += this.#lastDatagram?.bytesSent ?? 0;
      this.#lastDatagram = client;
    }
    const sent = client.send(message);
    // The server reads on once this settles: output to a file that is
    // backed up paces the peer instead of losing its events.
    return backlog ? Promise.all([sent, backlog]).then(() => {}) : sent;
  }

  socketClosed(client: SocketClient): void {
    this.#bytesOut += client.bytesSent;
    this.#printer.emit(closedEvent(client));
  }

  socketRejected(peer: NetAddress, reason: string): void {
    this.#printer.emit({ event: "rejected", peer, reason });
  }

  socketError(error: SocketError): void {
    this.#printer.emit(errorEvent(error));
  }
}
