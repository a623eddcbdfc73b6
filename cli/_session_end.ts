import { type NetAddress, SocketError } from "../lib/errors.ts";
import { formatPeer } from "./_peer_text.ts";
import { messageOf } from "./_failure.ts";

/**
 * Whether `error` is the peer's orderly close (FIN): the normal end of a
 * session. A reset is also `"disconnected"` to the library, but to a user
 * it is a failure, exit 1.
 */
export function isCleanClose(error: unknown): boolean {
  return error instanceof SocketError && error.code === "disconnected" &&
    !(error.cause instanceof Error && error.cause.name === "ConnectionReset");
}

/** The error for `--idle-timeout`: the peer said nothing for `ms`. */
export function idleError(peer: NetAddress, ms: number): SocketError {
  return new SocketError(
    "timeout",
    `Cannot receive from "${formatPeer(peer)}": idle for ${ms} ms`,
    { peer },
  );
}

/** Any failure as a SocketError naming `peer`, for an `error` event. */
export function asSocketError(error: unknown, peer: NetAddress): SocketError {
  return error instanceof SocketError
    ? error
    : new SocketError("failed", messageOf(error), { peer, cause: error });
}
