import { type NetAddress, SocketError } from "./errors.ts";
import type { SocketNotifier, SocketServer } from "./server.ts";
import { receivedMessage } from "./_received_message.ts";
import { NotifierDispatch } from "./_notifier_dispatch.ts";
import { TcpClient } from "./_tcp_client.ts";
import { toNetAddress } from "./_address.ts";
import {
  handshakeFailure,
  socketError,
  toSocketError,
} from "./_socket_error_from.ts";
import { IdleTimer } from "./_idle_timer.ts";
import { timerDelay } from "./_timer_delay.ts";
import { isTlsTruncation } from "./_tcp_stream.ts";

/** Settings a TCP server applies to each connection. */
export interface TcpServerSettings {
  idleTimeout: number | undefined;
  maxConnections: number;
  filter: ((peer: NetAddress) => string | undefined) | undefined;
  tls: boolean;
  allowHalfOpen: boolean;
  /** Messages are views of the read buffer (see `ServerOptions`). */
  borrowMessages?: boolean;
}

/** How long a TLS client may take over its handshake without an idle timeout. */
const HANDSHAKE_MS = 10_000;

/** Back-off after a failed accept (EMFILE and kin), so it cannot spin. */
const ACCEPT_RETRY_MS = 50;

/** A concurrent TCP server: one accept loop, one read loop per connection. */
export class TcpServer implements SocketServer {
  readonly protocol = "tcp";
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: boolean;
  #listener: Deno.Listener;
  #settings: TcpServerSettings;
  #clients = new Set<TcpClient>();
  #acceptLoop: Promise<void> = Promise.resolve();
  /**
   * Connections whose task has not finished, and who waits for none to be
   * left. A count, not a set of their promises: 10,000 connections then
   * hold no entry, closure or promise each for it.
   */
  #serving = 0;
  #drained: PromiseWithResolvers<void> | undefined;
  #served = (): void => {
    if (--this.#serving === 0) this.#drained?.resolve();
  };
  #state: "ready" | "running" | "stopped" = "ready";
  #accepting = true;

  constructor(listener: Deno.Listener, settings: TcpServerSettings) {
    this.#listener = listener;
    this.#settings = settings;
    this.tls = settings.tls;
    const local = toNetAddress(listener.addr);
    this.localAddress = local.address;
    this.localPort = local.port;
  }

  get isRunning(): boolean {
    return this.#state === "running";
  }

  get connectionCount(): number {
    return this.#clients.size;
  }

  run(notifier: SocketNotifier): void {
    if (this.#state !== "ready") {
      throw new TypeError(
        `Cannot run a server that is already ${this.#state}: create a new one`,
      );
    }
    this.#state = "running";
    this.#acceptLoop = this.#accept(new NotifierDispatch(notifier));
  }

  stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }

  async stop(): Promise<void> {
    this.close();
    // The accept loop counts a connection before it ends, so none is missed.
    await this.#acceptLoop;
    if (this.#serving === 0) return;
    this.#drained ??= Promise.withResolvers();
    await this.#drained.promise;
  }

  close(): void {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    this.stopAccepting();
    for (const client of this.#clients) client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #accept(dispatch: NotifierDispatch): Promise<void> {
    const local = { address: this.localAddress, port: this.localPort };
    while (this.#state === "running" && this.#accepting) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#state !== "running" || !this.#accepting) return;
        const failure = toSocketError(error, "accept on", local);
        // A peer that reset before accept() returned is gone, and nothing
        // can name it: no event, as nc, ncat and socat say nothing.
        if (failure.code === "disconnected") continue;
        await dispatch.error(failure);
        // Out of descriptors (EMFILE) and kin: a pause, so it cannot spin.
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      this.#serving++;
      this.#serve(conn, dispatch).then(this.#served, this.#served);
    }
  }

  async #serve(conn: Deno.Conn, dispatch: NotifierDispatch): Promise<void> {
    const peer = toNetAddress(conn.remoteAddr);
    let reason: string | undefined;
    try {
      reason = this.#settings.filter?.(peer) ??
        (this.#clients.size >= this.#settings.maxConnections
          ? "max-conns"
          : undefined);
    } catch (error) {
      // Refused: served by nobody, the connection would stay open unseen.
      conn.close();
      await dispatch.filterFailed(peer, error);
      return;
    }
    if (
      reason !== undefined || this.#state !== "running" || !this.#accepting
    ) {
      conn.close();
      if (reason !== undefined) await dispatch.rejected(peer, reason);
      return;
    }
    const client = new TcpClient(conn, true);
    // Counted from the start, so that stop() also ends handshakes.
    this.#clients.add(client);
    if (this.tls) {
      const info = await this.#handshake(conn as Deno.TlsConn, peer, dispatch);
      if (info === undefined) {
        this.#clients.delete(client);
        return;
      }
      // stopAccepting() while this handshake ran (`listen` took the client
      // that finished first): a client that finishes later is one too many.
      // A plain client arriving then is never accepted at all, so this one
      // is closed without an event either.
      if (this.#state !== "running" || !this.#accepting) {
        client.close();
        this.#clients.delete(client);
        return;
      }
      client.tls = { alpnProtocol: info.alpnProtocol ?? undefined };
    } else if (conn.remoteAddr.transport === "tcp") {
      (conn as Deno.TcpConn).setNoDelay(true);
    }
    const idle = this.#idleTimer(client, dispatch);
    try {
      await dispatch.accepted(client);
      // The read loop is inline, not a method of its own: an idle
      // connection then waits in one async frame, not two.
      const stream = client.stream;
      // A borrowed view is safe: the next read waits for the handler and
      // for every write queued, so the buffer is not reused under it (even
      // an unawaited `send(message)` is safe; keeping the message longer
      // is not).
      const borrow = this.#settings.borrowMessages === true;
      while (client.isOpen) {
        let count: number | null;
        try {
          count = await stream.fill();
        } catch (error) {
          if (isTlsTruncation(error)) break;
          throw error;
        }
        if (count === null) break;
        const chunk = stream.take(count);
        idle?.touch();
        const message = receivedMessage(chunk, borrow);
        // Awaited here rather than through a catching then(): one promise
        // less per message.
        const handled = dispatch.message(client, message);
        if (handled !== undefined) {
          if (idle) idle.handling = true;
          try {
            await handled;
          } catch (error) {
            if (!this.#cutByUs(client, idle, error)) {
              await dispatch.messageFailed(client, error);
            }
          }
          if (idle) idle.handling = false;
        }
        // Backpressure even for a handler that returns nothing: its sends
        // finish before the next read, so a peer that never reads stalls
        // only its own connection (and a borrowed message outlives them).
        // A handler that returns a promise paces the reads itself: writes
        // it did not wait for (`listen` sends stdin from elsewhere) must
        // not stop the peer's data, or a peer that sends everything before
        // it reads would deadlock with us.
        if ((handled === undefined || borrow) && stream.hasPendingWrites) {
          await stream.drain();
        }
        if (client.writeError) throw client.writeError;
        idle?.touch();
      }
      // Echo everything still pending after the peer's half-close.
      await stream.drain();
      if (client.writeError) throw client.writeError;
      if (this.#settings.allowHalfOpen && client.isOpen) {
        // The peer can send nothing more, so silence is no longer idleness.
        idle?.cancel();
        await dispatch.ended(client);
        await client.released;
      }
    } catch (error) {
      if (this.#state === "running" && !idle?.expired && client.isOpen) {
        await dispatch.error(toSocketError(error, "receive from", client.peer));
      } else if (client.writeError) {
        await dispatch.error(client.writeError);
      }
    } finally {
      idle?.cancel();
      client.close();
      this.#clients.delete(client);
      await dispatch.closed(client);
    }
  }

  /**
   * Whether `error` is only a handler's send cut short by the server's own
   * close (`stop()`, the idle timeout): no failure of the peer's, and the
   * idle timeout has its own error already.
   */
  #cutByUs(
    client: TcpClient,
    idle: IdleTimer | undefined,
    error: unknown,
  ): boolean {
    return error instanceof SocketError && error.code === "closed" &&
      !client.isOpen && (this.#state !== "running" || idle?.expired === true);
  }

  /**
   * Without an idle timeout there is nothing to time: no timer, closure or
   * clock read per connection or per message. Made here, not in `#serve`,
   * so that `#serve` captures nothing and needs no context object.
   */
  #idleTimer(
    client: TcpClient,
    dispatch: NotifierDispatch,
  ): IdleTimer | undefined {
    const idleTimeout = this.#settings.idleTimeout;
    if (idleTimeout === undefined) return undefined;
    return new IdleTimer(
      idleTimeout,
      () => {
        client.close();
        return dispatch.error(
          socketError("timeout", "receive from", client.peer, {
            detail: `idle for ${idleTimeout} ms`,
          }),
        );
      },
      // A handler that waits with no write to this peer pending waits on
      // something of its own (`listen -k`: a slow reader of its stdout),
      // which is not the peer's silence; one whose write to the peer is
      // stuck (an echo the peer does not read) is.
      () => !client.stream.hasPendingWrites,
    );
  }

  /**
   * The handshake, within the idle timeout (or 10 s): a client that fails
   * it, or never finishes it, is an error event and nothing more.
   */
  async #handshake(
    conn: Deno.TlsConn,
    peer: NetAddress,
    dispatch: NotifierDispatch,
  ): Promise<Deno.TlsHandshakeInfo | undefined> {
    const limit = this.#settings.idleTimeout ?? HANDSHAKE_MS;
    const timer = setTimeout(() => conn.close(), timerDelay(limit));
    try {
      return await conn.handshake();
    } catch (error) {
      try {
        conn.close();
      } catch {
        // Closed by the timer.
      }
      if (this.#state === "running") {
        await dispatch.error(
          socketError("tls", "receive from", peer, {
            detail: handshakeFailure(error),
            cause: error,
          }),
        );
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
