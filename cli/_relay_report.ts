import type {
  NetAddress,
  SocketClient,
  SocketError,
  TlsInfo,
} from "../lib/mod.ts";
import type { EventPrinter } from "./_events.ts";

/** One client's pair in a relay, with the bytes passed each way so far. */
export class RelayPair {
  readonly peer: NetAddress;
  up = 0;
  down = 0;

  constructor(peer: NetAddress) {
    this.peer = peer;
  }
}

/**
 * The events of `relay`, TCP or UDP, and its totals: every line names the
 * client, and a failure names the target too.
 */
export class RelayReport {
  connections = 0;
  bytesUp = 0;
  bytesDown = 0;
  readonly target: NetAddress;
  readonly quiet: boolean;
  #printer: EventPrinter;

  constructor(printer: EventPrinter, target: NetAddress, quiet: boolean) {
    this.#printer = printer;
    this.target = target;
    this.quiet = quiet;
  }

  accepted(peer: NetAddress, tls?: TlsInfo): RelayPair {
    this.connections++;
    this.#printer.emit({ event: "accepted", peer, ...(tls ? { tls } : {}) });
    return new RelayPair(peer);
  }

  connected(pair: RelayPair, upstream: SocketClient): void {
    this.#printer.emit({
      event: "connected",
      peer: pair.peer,
      target: upstream.peer,
      local: { address: upstream.localAddress, port: upstream.localPort },
      ...(upstream.tls ? { tls: upstream.tls } : {}),
    });
  }

  /**
   * Counts a chunk on `pair` and, unless quiet, prints it. Returns what to
   * await before passing on more: output to a file that is backed up (see
   * {@linkcode EventPrinter.backlog}).
   */
  message(
    pair: RelayPair,
    direction: "up" | "down",
    data: Uint8Array,
  ): Promise<void> | undefined {
    const offset = pair[direction];
    pair[direction] += data.length;
    if (this.quiet) return;
    return this.#printer.emitData({
      event: "message",
      peer: pair.peer,
      direction,
      offset,
      data,
    });
  }

  /** A pair's failure names its client and the target; others their peer. */
  error(error: SocketError, client?: NetAddress): void {
    const where = client
      ? { peer: client, target: this.target }
      : error.peer
      ? { peer: error.peer }
      : {};
    this.#printer.emit({
      event: "error",
      ...where,
      code: error.code,
      message: error.message,
    });
  }

  rejected(peer: NetAddress, reason: string): void {
    this.#printer.emit({ event: "rejected", peer, reason });
  }

  closed(pair: RelayPair, bytesUp = pair.up, bytesDown = pair.down): void {
    this.bytesUp += bytesUp;
    this.bytesDown += bytesDown;
    this.#printer.emit({
      event: "closed",
      peer: pair.peer,
      bytesUp,
      bytesDown,
    });
  }

  stopped(): void {
    this.#printer.emit({
      event: "stopped",
      connections: this.connections,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
    });
  }
}
