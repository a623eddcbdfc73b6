import {
  type NetAddress,
  pipe,
  type SocketClient,
  SocketError,
  type SocketNotifier,
} from "../lib/mod.ts";
import type { RelayReport } from "./_relay_report.ts";
import { connectTarget, type RelayTarget } from "./_relay_target.ts";

/**
 * `relay` over TCP: each accepted client gets its own connection to the
 * target and one `pipe()` between the two. The server reads the client
 * only after `socketAccepted` resolves, and `pipe()` has closed it then.
 */
export class TcpRelay implements SocketNotifier {
  #target: RelayTarget;
  #report: RelayReport;

  constructor(target: RelayTarget, report: RelayReport) {
    this.#target = target;
    this.#report = report;
  }

  async socketAccepted(client: SocketClient): Promise<void> {
    const pair = this.#report.accepted(client.peer, client.tls);
    const { signal, idleTimeout } = this.#target;
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

  socketRejected(peer: NetAddress, reason: string): void {
    this.#report.rejected(peer, reason);
  }

  socketError(error: SocketError): void {
    this.#report.error(error);
  }
}
