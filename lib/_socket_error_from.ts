import { SocketError, type SocketErrorCode } from "./errors.ts";
import type { NetAddress } from "./errors.ts";
import { formatEndpoint } from "./_address.ts";

/** What the library was doing, as the first words of a std-style message. */
export type Action =
  | "connect to"
  | "listen on"
  | "accept on"
  | "send to"
  | "receive from"
  | "receive on";

const REASONS: Record<SocketErrorCode, string> = {
  "timeout": "timed out",
  "disconnected": "connection closed by peer",
  "refused": "connection refused",
  "unreachable": "network unreachable",
  "not-found": "name or service not known",
  "address-in-use": "address already in use",
  "permission-denied": "permission denied",
  "tls": "TLS handshake failed",
  "closed": "socket is closed",
  "truncated": "datagram may be truncated",
  "overflow": "datagrams were dropped: the receive buffer was full",
  "callback": "notifier callback threw",
  "malformed": "malformed data",
  "failed": "failed",
};

/** Builds `Cannot <action> "<host:port>": <reason>` errors. */
export function socketError(
  code: SocketErrorCode,
  action: Action,
  endpoint: NetAddress,
  options: { detail?: string; cause?: unknown; peer?: NetAddress } = {},
): SocketError {
  const where = formatEndpoint(endpoint.address, endpoint.port);
  const reason = options.detail ?? REASONS[code];
  return new SocketError(code, `Cannot ${action} "${where}": ${reason}`, {
    // Listening, accepting and receiving on concern our own endpoint.
    peer: options.peer ?? (action.endsWith(" on") ? undefined : endpoint),
    cause: options.cause,
  });
}

/** Maps whatever Deno threw onto a {@linkcode SocketErrorCode}. */
export function classify(error: unknown): SocketErrorCode {
  if (error instanceof SocketError) return error.code;
  if (error instanceof DOMException) {
    return error.name === "TimeoutError" ? "timeout" : "closed";
  }
  if (error instanceof Deno.errors.ConnectionRefused) return "refused";
  if (
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof Deno.errors.NotConnected
  ) return "disconnected";
  if (error instanceof Deno.errors.TimedOut) return "timeout";
  if (error instanceof Deno.errors.AddrInUse) return "address-in-use";
  if (
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable
  ) return "permission-denied";
  if (
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted
  ) return "closed";
  if (error instanceof Deno.errors.AddrNotAvailable) return "unreachable";
  // A Unix socket path that does not exist: nothing to connect to there.
  if (error instanceof Deno.errors.NotFound) return "not-found";
  const text = error instanceof Error ? error.message : String(error);
  if (/lookup address|not known|ENOTFOUND|EAI_|No address/i.test(text)) {
    return "not-found";
  }
  if (/unreachable|os error 10[13]/i.test(text)) return "unreachable";
  // The key phrases are rustls's for a server's own pair: a key that does
  // not match its certificate, or one that does not parse.
  if (
    /certificate|handshake|tls|InvalidData|KeyMismatch|private key/i.test(text)
  ) return "tls";
  return "failed";
}

/** Lower-case, without Deno's `(os error N)` tail, for use after a colon. */
export function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const trimmed = text.replace(/\s*\(os error \d+\)$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

/**
 * The detail of a failed TLS handshake. A peer that answers in plain text
 * makes rustls say only "received corrupt message of type
 * InvalidContentType" (OpenSSL: "wrong version number"): the cause a user
 * can act on is said first.
 */
export function handshakeFailure(error: unknown): string {
  const text = describe(error);
  return /InvalidContentType|wrong version number/.test(text)
    ? `TLS handshake failed: the peer does not speak TLS (${text})`
    : `TLS handshake failed: ${text}`;
}

/** Wraps a thrown value as a {@linkcode SocketError} for `action`. */
export function toSocketError(
  error: unknown,
  action: Action,
  endpoint: NetAddress,
): SocketError {
  if (error instanceof SocketError) return error;
  const code = classify(error);
  // Deno's own words say which kind: "connection reset by peer", "broken
  // pipe", "network is unreachable", "no such file or directory" (not a
  // name that does not resolve); the generic reason would hide that.
  const detailed = code === "failed" || code === "tls" ||
    code === "disconnected" || code === "unreachable" ||
    error instanceof Deno.errors.NotFound;
  const detail = detailed ? describe(error) : undefined;
  return socketError(code, action, endpoint, { detail, cause: error });
}
