import {
  type NetAddress,
  pipe,
  type SocketClient,
  SocketError,
  type SocketNotifier,
} from "../lib/mod.ts";
import type { RelayPair, RelayReport } from "./_relay_report.ts";
import {
  connectTarget,
  loopError,
  reachesListener,
  type RelayTarget,
} from "./_relay_target.ts";

/**
 * `relay` over TCP: each accepted client gets its own connection to the
 * target and one `pipe()` between the two. The server reads the client
 * only after `socketAccepted` resolves, and `pipe()` has closed it then.
 */
export class TcpRelay implements SocketNotifier {
  #target: RelayTarget;
  #report: RelayReport;
  #listening: NetAddress;
  /**
   * Set once the target turned out to be this relay: later clients are
   * told so without a connection, which ends the chain of pairs that
   * each of those connections would start.
   */
  #isLoop = false;

  constructor(target: RelayTarget, report: RelayReport, listening: NetAddress) {
    this.#target = target;
    this.#report = report;
    this.#listening = listening;
  }

  async socketAccepted(client: SocketClient): Promise<void> {
    const pair = this.#report.accepted(client.peer, client.tls);
    const { signal, idleTimeout } = this.#target;
    if (this.#isLoop) return this.#refuseLoop(client, pair);
    let upstream: SocketClient;
    try {
      upstream = await connectTarget(this.#target, "tcp");
    } catch (error) {
      client.close();
      if (signal.aborted) return this.#report.closed(pair);
      if (!(error instanceof SocketError)) throw error;
      this.#report.error(error, client.peer);
      return this.#report.closed(pair);
    }
    if (reachesListener(upstream, this.#listening)) {
      this.#isLoop = true;
      upstream.close();
      return this.#refuseLoop(client, pair);
    }
    this.#report.connected(pair, upstream);
    const report = this.#report;
    const result = await pipe(client, upstream, {
      idleTimeout,
      onData: report.quiet
        ? undefined
        : (direction, data) => report.message(pair, direction, data),
    });
    if (result.error) this.#report.error(result.error, client.peer);
    this.#report.closed(pair, result.bytesUp, result.bytesDown);
  }

  #refuseLoop(client: SocketClient, pair: RelayPair): void {
    client.close();
    this.#report.error(
      loopError(this.#report.target, client.peer),
      client.peer,
    );
    this.#report.closed(pair);
  }

  socketRejected(peer: NetAddress, reason: string): void {
    this.#report.rejected(peer, reason);
  }

  socketError(error: SocketError): void {
    this.#report.error(error);
  }
}
