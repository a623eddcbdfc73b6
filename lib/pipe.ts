import { SocketError } from "./errors.ts";
import type { SocketClient } from "./client.ts";
import { TcpClient } from "./_tcp_client.ts";
import { IdleTimer } from "./_idle_timer.ts";
import { type Action, describe, toSocketError } from "./_socket_error_from.ts";
import { formatEndpoint } from "./_address.ts";

/** Connections a pipe() has taken, so that no second one reads them too. */
const piped = new WeakSet<TcpClient>();

/** `"up"` is client → target, `"down"` target → client. */
export type PipeDirection = "up" | "down";

/** Options for {@linkcode pipe}. *
 *
 * @example Watch the traffic and give up on a silent pair
 * ```ts
 * import type { PipeOptions } from "@sockit/sockit";
 *
 * const options: PipeOptions = {
 *   idleTimeout: 30_000,
 *   onData: (direction, data) => console.log(direction, data.length),
 * };
 * ```
 */
export interface PipeOptions {
  /**
   * Called with each chunk before it is passed on, and awaited: the chunk
   * is a view into a reused buffer, so copy what you keep.
   */
  onData?: (direction: PipeDirection, data: Uint8Array) => void | Promise<void>;
  /** Close both sides after this many ms without traffic either way. */
  idleTimeout?: number;
}

/** How a {@linkcode pipe} ended. *
 *
 * @example
 * ```ts
 * import type { PipeResult } from "@sockit/sockit";
 *
 * function report(result: PipeResult): string {
 *   return `${result.bytesUp} up, ${result.bytesDown} down`;
 * }
 * ```
 */
export interface PipeResult {
  /** Bytes passed from the client to the target. */
  bytesUp: number;
  /** Bytes passed from the target to the client. */
  bytesDown: number;
  /**
   * The first failure (a reset, a write error, the idle timeout), if the
   * pair did not end with both sides closing in order.
   */
  error?: SocketError;
}

/**
 * Copies bytes both ways between two TCP connections until both are done,
 * then closes both: a relay's inner loop.
 *
 * Each direction reads one chunk, writes it all, then reads the next, so
 * a side that never reads stalls only this pair. A FIN travels through:
 * when one side half-closes, the other side's write half is closed and
 * the answer still flows back. A reset or write failure on either side
 * closes both at once. Resolves with byte counts and the first failure;
 * rejects only a call it refuses (UDP sides, a bad idle timeout, one
 * connection on both sides, or one already in a pipe).
 *
 * @example A one-connection port forwarder
 * ```ts
 * import { createClient, createServer, pipe } from "@sockit/sockit";
 *
 * const echo = await createServer("127.0.0.1", 0);
 * echo.run({ socketMessage: (client, message) => client.send(message) });
 * const relay = await createServer("127.0.0.1", 0);
 * relay.run({
 *   // The server reads the client again only after this resolves, and
 *   // pipe() has closed it by then.
 *   async socketAccepted(client) {
 *     const target = await createClient("127.0.0.1", echo.localPort);
 *     const { bytesUp, bytesDown } = await pipe(client, target);
 *     console.log(`${bytesUp} bytes up, ${bytesDown} bytes down`);
 *   },
 * });
 * await using user = await createClient("127.0.0.1", relay.localPort);
 * await user.send("hello\n");
 * console.log(await user.receive("*line", 1000)); // "hello"
 * user.close();
 * await relay.stop();
 * await echo.stop();
 * ```
 *
 * @param client One TCP connection, usually accepted by a server.
 * @param target The other TCP connection, usually from `createClient`.
 * @param options A chunk callback and an idle timeout.
 * @returns Byte counts each way and the first failure, once both are closed.
 */
export async function pipe(
  client: SocketClient,
  target: SocketClient,
  options: PipeOptions = {},
): Promise<PipeResult> {
  if (!(client instanceof TcpClient) || !(target instanceof TcpClient)) {
    throw new TypeError("Cannot pipe: both sides must be TCP connections");
  }
  const { idleTimeout, onData } = options;
  if (idleTimeout !== undefined && !(idleTimeout > 0)) {
    throw new RangeError(
      `Cannot pipe: idle timeout must be more than 0 ms, got ${idleTimeout}`,
    );
  }
  if (client === target) {
    throw new TypeError("Cannot pipe a connection to itself");
  }
  for (const side of [client, target]) {
    // Two loops reading one connection would each get some of its bytes.
    if (piped.has(side)) {
      throw new TypeError(
        `Cannot pipe "${
          formatEndpoint(side.peerAddress, side.peerPort)
        }": it is already in a pipe`,
      );
    }
  }
  // Never taken out: pipe() closes both sides when it ends.
  piped.add(client);
  piped.add(target);
  const result: PipeResult = { bytesUp: 0, bytesDown: 0 };
  const fail = (error: SocketError) => {
    result.error ??= error;
    client.close();
    target.close();
  };
  // The pair is idle, not either side: the message names both.
  const idle = new IdleTimer(
    idleTimeout,
    () =>
      fail(
        new SocketError(
          "timeout",
          `Cannot pipe "${
            formatEndpoint(client.peerAddress, client.peerPort)
          }" and "${
            formatEndpoint(target.peerAddress, target.peerPort)
          }": idle for ${idleTimeout} ms, no byte either way`,
          { peer: client.peer },
        ),
      ),
  );
  const copy = async (
    from: TcpClient,
    to: TcpClient,
    direction: PipeDirection,
  ) => {
    let failing: [Action, TcpClient] = ["receive from", from];
    try {
      while (true) {
        failing = ["receive from", from];
        // `chunk` is a view into `from`'s read buffer, valid until the next
        // read: onData is awaited and the write finished before reading on
        // (pipe_test.ts has a slow fake writer that catches a read-ahead).
        const chunk = await from.stream.read();
        if (chunk === null) break;
        idle.touch();
        if (onData) await callOnData(onData, direction, chunk, from);
        failing = ["send to", to];
        await to.stream.write(chunk);
        if (direction === "up") result.bytesUp += chunk.length;
        else result.bytesDown += chunk.length;
        idle.touch();
      }
      failing = ["send to", to];
      await to.stream.drain();
      await to.stream.conn.closeWrite();
    } catch (error) {
      // Once either side is closed (by a failure, the idle timer or the
      // owner), the other direction's errors are only echoes of that.
      if (client.isOpen && target.isOpen) {
        const [action, side] = failing;
        fail(toSocketError(error, action, side.peer));
      }
      client.close();
      target.close();
    }
  };
  // A side closed from outside (a server's stop closes its clients) must
  // close the other too: both directions may be blocked on the other side,
  // reading a target that says nothing or writing to one that never reads.
  client.released.then(() => target.close());
  target.released.then(() => client.close());
  try {
    await Promise.all([
      copy(client, target, "up"),
      copy(target, client, "down"),
    ]);
  } finally {
    idle.cancel();
    client.close();
    target.close();
  }
  return result;
}

/** A throwing `onData` is the caller's failure, reported as `"callback"`. */
async function callOnData(
  onData: NonNullable<PipeOptions["onData"]>,
  direction: PipeDirection,
  chunk: Uint8Array,
  from: TcpClient,
): Promise<void> {
  try {
    await onData(direction, chunk);
  } catch (error) {
    throw new SocketError(
      "callback",
      `Cannot relay from "${
        formatEndpoint(from.peerAddress, from.peerPort)
      }": onData threw: ${describe(error)}`,
      { peer: from.peer, cause: error },
    );
  }
}
