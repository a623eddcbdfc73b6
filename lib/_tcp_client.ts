import type { SocketError } from "./errors.ts";
import type { TlsInfo } from "./client.ts";
import { BaseClient } from "./_base_client.ts";
import { ReceiveBuffer } from "./_receive_buffer.ts";
import { type ReceiveMode, validateReceive } from "./_receive_mode.ts";
import { withDeadline } from "./_deadline.ts";
import { MAX_READ_BUFFER, type StreamConn, TcpStream } from "./_tcp_stream.ts";
import { toNetAddress } from "./_address.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";

/** A poll that found nothing: never seen outside `#readPending`. */
const NOTHING_READY = new Error("nothing ready");

/** A TCP (or TLS) connection, made by `createClient` or accepted by a server. */
export class TcpClient extends BaseClient {
  readonly protocol = "tcp";
  readonly localAddress: string;
  readonly localPort: number;
  readonly stream: TcpStream;
  /** Made on first receive: a server's 10,000 connections never need one. */
  #received: ReceiveBuffer | undefined;
  #filling: Promise<void> | undefined;
  #ended = false;
  /** `closeWrite()` was called: sending is over, by our own choice. */
  #writeClosed = false;
  #readError: unknown;
  #serverSide: boolean;
  #keepSendingAfterEof: boolean;
  /** What TLS negotiated, for a TLS connection. */
  tls: TlsInfo | undefined;
  /** The first write failure, for a server that did not await `send`. */
  writeError: SocketError | undefined;
  #released: Promise<void> | undefined;
  #onReleased: (() => void) | undefined;

  /**
   * @param addresses Where to read the addresses from: a TLS connection
   * from `Deno.startTls` reports empty ones, its TCP connection does not.
   */
  constructor(
    conn: StreamConn,
    serverSide = false,
    keepSendingAfterEof = false,
    addresses: Pick<StreamConn, "localAddr" | "remoteAddr"> = conn,
  ) {
    super(toNetAddress(addresses.remoteAddr));
    const local = toNetAddress(addresses.localAddr);
    this.localAddress = local.address;
    this.localPort = local.port;
    this.stream = new TcpStream(conn);
    this.#serverSide = serverSide;
    this.#keepSendingAfterEof = keepSendingAfterEof;
  }

  /**
   * Resolves once `close()` has freed the connection. Made on first use: a
   * server's 10,000 connections need no promise and resolver each.
   */
  get released(): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    return this.#released ??= new Promise((resolve) =>
      this.#onReleased = resolve
    );
  }

  get bytesSent(): number {
    return this.stream.bytesWritten;
  }

  /**
   * What `receive` has handed out (line endings included): bytes read ahead
   * and still buffered (`"*all"` reads on while more is ready) are not yet
   * received, or a session cut short would count what nobody was given.
   */
  get bytesReceived(): number {
    return this.stream.bytesRead - (this.#received?.size ?? 0);
  }

  send(message: string | Uint8Array): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(socketError("closed", "send to", this.peer));
    }
    if (this.#writeClosed) {
      // Not the peer's failure, as the system's "broken pipe" would say:
      // the connection is as it was, and replies still arrive.
      return Promise.reject(
        socketError("closed", "send to", this.peer, {
          detail: "its sending side is closed: closeWrite() was called",
        }),
      );
    }
    const sent = this.stream.write(this.encode(message)).catch((error) => {
      const failure = toSocketError(error, "send to", this.peer);
      if (this.causedByClose(error)) throw failure;
      this.writeError ??= failure;
      // A client keeps its read side: what the peer sent before the reset is
      // still in the socket, and `receiveBytes` returns it before failing in
      // turn. A server connection has nobody reading it but its own loop.
      throw this.#serverSide ? this.fail(failure) : failure;
    });
    // A handler that fires and forgets `send` must not crash the process on
    // a reset: the server reports `writeError`, and awaiting callers still
    // see the rejection.
    sent.catch(() => {});
    return sent;
  }

  async receiveBytes(
    mode: ReceiveMode,
    timeoutMs = Infinity,
  ): Promise<Uint8Array> {
    validateReceive(mode, timeoutMs);
    if (this.#serverSide) {
      throw new TypeError(
        "Cannot receive on a server connection: its data arrives through socketMessage",
      );
    }
    this.assertOpen("receive from");
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (mode === "*all" && this.#buffer.size > 0) await this.#readPending();
      const taken = this.#take(mode);
      if (taken) return taken;
      if (this.#ended) {
        const rest = this.#buffer.takeAll();
        if (rest) return rest;
        const error = this.#endError();
        // A FIN ends only the peer's direction; a reset ends both.
        if (this.#keepSendingAfterEof && this.#readError === undefined) {
          throw error;
        }
        throw this.fail(error);
      }
      await withDeadline(
        this.#fill(),
        Math.max(0, deadline - Date.now()),
        () =>
          socketError("timeout", "receive from", this.peer, {
            detail: `timed out after ${timeoutMs} ms`,
          }),
      ).catch((error) => {
        throw this.fail(error);
      });
    }
  }

  async closeWrite(): Promise<void> {
    this.assertOpen("send to");
    // A second half-close is harmless, as shutdown(2) twice is.
    if (this.#writeClosed) return;
    this.#writeClosed = true;
    await this.stream.drain();
    try {
      await this.stream.conn.closeWrite();
    } catch (error) {
      // As for `send`: a client's unread replies outlive a failed write side.
      const failure = toSocketError(error, "send to", this.peer);
      throw this.#serverSide ? this.fail(failure) : failure;
    }
  }

  protected release(): void {
    this.#onReleased?.();
    try {
      this.stream.conn.close();
    } catch {
      // Already closed by the peer's reset or by Deno: nothing to free.
    }
  }

  get #buffer(): ReceiveBuffer {
    return this.#received ??= new ReceiveBuffer();
  }

  #take(mode: ReceiveMode): Uint8Array | undefined {
    if (mode === "*line") return this.#buffer.takeLine();
    if (mode === "*all") return this.#buffer.takeAll();
    return this.#buffer.takeExactly(mode);
  }

  #fill(): Promise<void> {
    this.#filling ??= this.stream.read().then(
      (chunk) => {
        if (chunk === null) this.#ended = true;
        else this.#buffer.push(chunk);
      },
      (error) => {
        this.#ended = true;
        this.#readError = error;
      },
    ).finally(() => {
      this.#filling = undefined;
    });
    return this.#filling;
  }

  /**
   * `"*all"` is everything pending, as in Renoise: one read takes at most
   * the read buffer (1 KiB on a fresh connection), so what the socket
   * still holds is read on, each read given one turn of the event loop,
   * until it has nothing more ready (or a read buffer's worth is in). A
   * read that did not fill its buffer took all there was: no turn then,
   * so a one-shot reply costs no wait (nor the first poll's ~1.5 ms).
   */
  async #readPending(): Promise<void> {
    while (
      this.stream.lastReadFilled && !this.#ended &&
      this.#buffer.size < MAX_READ_BUFFER
    ) {
      const ready = await withDeadline(this.#fill(), 0, () => NOTHING_READY)
        .then(() => true, () => false);
      if (!ready) return;
    }
  }

  #endError(): SocketError {
    return this.#readError === undefined
      ? socketError("disconnected", "receive from", this.peer)
      : toSocketError(this.#readError, "receive from", this.peer);
  }
}
