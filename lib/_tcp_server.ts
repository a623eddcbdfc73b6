import type { NetAddress } from "./errors.ts";
import type { SocketNotifier, SocketServer } from "./server.ts";
import { Message } from "./message.ts";
import { NotifierDispatch } from "./_notifier_dispatch.ts";
import { TcpClient } from "./_tcp_client.ts";
import { toNetAddress } from "./_address.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";

/** Settings a TCP server applies to each connection. */
export interface TcpServerSettings {
  idleTimeout: number | undefined;
  maxConnections: number;
  filter: ((peer: NetAddress) => string | undefined) | undefined;
  /** Messages are views of the read buffer (see `ServerOptions`). */
  borrowMessages?: boolean;
}

/** Back-off after a failed accept (EMFILE and kin), so it cannot spin. */
const ACCEPT_RETRY_MS = 50;

/** A concurrent TCP server: one accept loop, one read loop per connection. */
export class TcpServer implements SocketServer {
  readonly protocol = "tcp";
  readonly localAddress: string;
  readonly localPort: number;
  #listener: Deno.TcpListener;
  #settings: TcpServerSettings;
  #clients = new Set<TcpClient>();
  #tasks = new Set<Promise<void>>();
  #state: "ready" | "running" | "stopped" = "ready";

  constructor(listener: Deno.TcpListener, settings: TcpServerSettings) {
    this.#listener = listener;
    this.#settings = settings;
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
    this.#track(this.#acceptLoop(new NotifierDispatch(notifier)));
  }

  async stop(): Promise<void> {
    this.close();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  close(): void {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    for (const client of this.#clients) client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    // then(f, f), not finally(): one promise per connection, not two.
    const untrack = () => {
      this.#tasks.delete(task);
    };
    task.then(untrack, untrack);
  }

  async #acceptLoop(dispatch: NotifierDispatch): Promise<void> {
    const local = { address: this.localAddress, port: this.localPort };
    while (this.#state === "running") {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#state !== "running") return;
        const failure = toSocketError(error, "accept on", local);
        await dispatch.error(failure);
        // A peer that reset before accept() returned is that peer's
        // problem; only running out of descriptors (EMFILE) needs a pause.
        if (failure.code !== "disconnected") {
          await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        }
        continue;
      }
      this.#track(this.#serve(conn, dispatch));
    }
  }

  async #serve(conn: Deno.TcpConn, dispatch: NotifierDispatch): Promise<void> {
    const peer = toNetAddress(conn.remoteAddr);
    const reason = this.#settings.filter?.(peer) ??
      (this.#clients.size >= this.#settings.maxConnections
        ? "max-conns"
        : undefined);
    if (reason !== undefined || this.#state !== "running") {
      conn.close();
      if (reason !== undefined) await dispatch.rejected(peer, reason);
      return;
    }
    conn.setNoDelay(true);
    const client = new TcpClient(conn, true);
    this.#clients.add(client);
    const limit = this.#settings.idleTimeout;
    // No timer object at all without a limit: memory per held connection.
    const idle = limit === undefined ? NO_IDLE_LIMIT : new IdleTimer(
      limit,
      () => {
        client.close();
        return dispatch.error(
          socketError("timeout", "receive from", peer, {
            detail: `idle for ${limit} ms`,
          }),
        );
      },
    );
    try {
      await dispatch.accepted(client);
      await this.#readLoop(client, dispatch, idle);
    } catch (error) {
      if (this.#state === "running" && !idle.expired && client.isOpen) {
        await dispatch.error(toSocketError(error, "receive from", peer));
      } else if (client.writeError) {
        await dispatch.error(client.writeError);
      }
    } finally {
      idle.cancel();
      client.close();
      this.#clients.delete(client);
      await dispatch.closed(client);
    }
  }

  async #readLoop(
    client: TcpClient,
    dispatch: NotifierDispatch,
    idle: IdleTimer | typeof NO_IDLE_LIMIT,
  ): Promise<void> {
    const stream = client.stream;
    // A borrowed view is safe: the next read waits for the handler and for
    // every write it queued, so the buffer is not reused under it.
    const borrow = this.#settings.borrowMessages === true;
    while (client.isOpen) {
      const chunk = await stream.read();
      if (chunk === null) break;
      idle.touch();
      const message = borrow
        ? new Message(
          chunk.buffer as ArrayBuffer,
          chunk.byteOffset,
          chunk.length,
        )
        : new Message(chunk);
      const handled = dispatch.message(client, message);
      if (handled) await handled;
      // Backpressure even for a handler that does not await its `send`: a
      // peer that never reads stalls only its own connection.
      if (stream.hasPendingWrites) await stream.drain();
      if (client.writeError) throw client.writeError;
      idle.touch();
    }
    // Echo everything still pending after the peer's half-close, then close.
    await stream.drain();
    if (client.writeError) throw client.writeError;
  }
}

/** The idle timer of a server without `idleTimeout`: does nothing. */
const NO_IDLE_LIMIT = {
  expired: false,
  touch(): void {},
  cancel(): void {},
};

/**
 * One timer per connection that is re-armed lazily: `touch()` only stores a
 * time, so the hot path sets no timers.
 */
class IdleTimer {
  expired = false;
  #limit: number;
  #lastActivity = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onExpire: () => unknown;

  constructor(limit: number, onExpire: () => unknown) {
    this.#limit = limit;
    this.#onExpire = onExpire;
    this.#arm(limit);
  }

  touch(): void {
    this.#lastActivity = Date.now();
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    const limit = this.#limit;
    const idleFor = Date.now() - this.#lastActivity;
    if (idleFor < limit) return this.#arm(limit - idleFor);
    this.expired = true;
    this.#onExpire();
  }
}
