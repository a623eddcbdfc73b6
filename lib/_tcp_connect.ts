/**
 * `Deno.connect` over TCP, where `localhost` means both loopbacks: Deno
 * connects a name to the first address the resolver gives, so on a system
 * whose `localhost` is ::1 first, a server on 127.0.0.1 only (most of them)
 * would be refused, and the reverse where it is 127.0.0.1 only. As nc tries
 * each address of a name, 127.0.0.1 is tried, then ::1 after a refusal;
 * if both fail, the first failure is the one reported.
 */
export async function connectTcp(
  hostname: string,
  port: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  if (hostname !== "localhost") {
    return await Deno.connect({ hostname, port, signal });
  }
  try {
    return await Deno.connect({ hostname: "127.0.0.1", port, signal });
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    try {
      return await Deno.connect({ hostname: "::1", port, signal });
    } catch {
      throw error;
    }
  }
}
