import { isIpLiteral, resolveAll } from "./_resolve.ts";
import { classify } from "./_socket_error_from.ts";

/**
 * `Deno.connect` over TCP to every address of a name in turn, as nc does:
 * Deno connects a name to the first address the resolver gives only, so a
 * server on 127.0.0.1 alone was refused wherever a name (`localhost` too)
 * lists ::1 first, and the reverse. A refusal, an unreachable network or
 * the system's own timeout moves on to the next address; the caller's
 * deadline (`signal`) bounds them all. If every address fails, the first
 * failure is the one reported.
 */
export async function connectTcp(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  let first: unknown;
  if (family === undefined && !isIpLiteral(host) && host !== "localhost") {
    // Deno's resolver first: most names answer at their first address, and
    // asking for every address loads node:dns, which costs start-up time.
    try {
      return await Deno.connect({ hostname: host, port, signal });
    } catch (error) {
      if (!tryNextAddress(error, signal)) throw error;
      first = error;
    }
  }
  let addresses: string[];
  try {
    addresses = await resolveAll(host, port, family, "connect to", signal);
  } catch (error) {
    throw first ?? error;
  }
  return await connectInTurn(addresses, port, signal, first);
}

/**
 * The first of `addresses` (at least one) that accepts a connection on
 * `port`; `first` is an earlier failure to report if none does.
 */
export async function connectInTurn(
  addresses: readonly string[],
  port: number,
  signal: AbortSignal,
  first?: unknown,
): Promise<Deno.TcpConn> {
  for (const hostname of addresses) {
    try {
      return await Deno.connect({ hostname, port, signal });
    } catch (error) {
      if (!tryNextAddress(error, signal)) throw error;
      first ??= error;
    }
  }
  throw first;
}

/** Whether a failed connect is this address's, not the whole attempt's. */
function tryNextAddress(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  const code = classify(error);
  return code === "refused" || code === "unreachable" || code === "timeout" ||
    code === "disconnected";
}
