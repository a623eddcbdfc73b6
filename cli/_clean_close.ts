import { SocketError } from "../lib/mod.ts";

/**
 * Whether `error` is the peer's orderly close (FIN): the normal end of a
 * session. A reset is also `"disconnected"` to the library, but to a user
 * it is a failure, exit 1.
 */
export function isCleanClose(error: unknown): boolean {
  return error instanceof SocketError && error.code === "disconnected" &&
    !(error.cause instanceof Error && error.cause.name === "ConnectionReset");
}
