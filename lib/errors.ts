/**
 * The one error type the library rejects with for network failures.
 *
 * @module
 */

/**
 * What went wrong, as a stable string to branch on.
 *
 * - `"timeout"`: nothing arrived in time; a client stays open and usable.
 * - `"disconnected"`: the peer closed or reset the connection.
 * - `"refused"`, `"unreachable"`, `"not-found"` (DNS), `"address-in-use"`,
 *   `"permission-denied"`, `"tls"`: connect, listen or handshake failures.
 * - `"closed"`: the socket was used after `close()`, or sent to after
 *   `closeWrite()`.
 * - `"truncated"`: a datagram filled the whole receive buffer.
 * - `"overflow"`: the system dropped datagrams sent to a UDP socket because
 *   they came faster than they were read; the message says how many.
 * - `"callback"`: a notifier callback threw.
 * - `"malformed"`: a peer sent data that is not valid for the protocol
 *   spoken (an OSC packet that does not decode).
 * - `"failed"`: any other system error; the message says which.
 *
 * @example Decide what is worth a retry
 * ```ts
 * import { SocketError, type SocketErrorCode } from "@sockit/sockit";
 *
 * const retryable: SocketErrorCode[] = ["timeout", "refused"];
 * function shouldRetry(error: unknown): boolean {
 *   return error instanceof SocketError && retryable.includes(error.code);
 * }
 * ```
 */
export type SocketErrorCode =
  | "timeout"
  | "disconnected"
  | "refused"
  | "unreachable"
  | "not-found"
  | "address-in-use"
  | "permission-denied"
  | "tls"
  | "closed"
  | "truncated"
  | "overflow"
  | "callback"
  | "malformed"
  | "failed";

/** A numeric address and port, IPv6 without brackets. *
 * @example
 * ```ts
 * import type { NetAddress } from "@sockit/sockit";
 *
 * const peer: NetAddress = { address: "::1", port: 5000 };
 * ```
 */
export interface NetAddress {
  /** The address, for example `"127.0.0.1"` or `"::1"`. */
  address: string;
  /** The port number. */
  port: number;
}

/** Options for {@linkcode SocketError}. *
 * @example
 * ```ts
 * import { SocketError } from "@sockit/sockit";
 *
 * const error = new SocketError("refused", 'Cannot connect to "127.0.0.1:9": connection refused', {
 *   peer: { address: "127.0.0.1", port: 9 },
 * });
 * ```
 */
export interface SocketErrorOptions {
  /** The endpoint the error concerns, when there is one. */
  peer?: NetAddress;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A network failure with a machine-readable {@linkcode SocketErrorCode}.
 *
 * @example Branch on the code
 * ```ts
 * import { createClient, SocketError } from "@sockit/sockit";
 *
 * try {
 *   await createClient("127.0.0.1", 9);
 * } catch (error) {
 *   if (error instanceof SocketError && error.code === "refused") {
 *     console.log(error.message);
 *   }
 * }
 * ```
 */
export class SocketError extends Error {
  /** What went wrong. */
  readonly code: SocketErrorCode;
  /** The peer or endpoint the error concerns, when there is one. */
  readonly peer: NetAddress | undefined;

  /**
   * Constructs a new instance.
   *
   * @param code What went wrong.
   * @param message A std-style message, for example
   * `Cannot connect to "127.0.0.1:9": connection refused`.
   * @param options The peer and the underlying cause.
   */
  constructor(
    code: SocketErrorCode,
    message: string,
    options: SocketErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "SocketError";
    this.code = code;
    this.peer = options.peer;
  }
}
