import { type Action, socketError } from "./_socket_error_from.ts";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether `host` is an IPv4 or IPv6 literal rather than a name. */
export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(":");
}

/**
 * Every numeric address of `host`, in the system resolver's order (so
 * /etc/hosts counts), in `family` when one is forced. `localhost` is
 * 127.0.0.1 then ::1 without asking: whichever the system lists first, a
 * server on either loopback is then found.
 */
export async function resolveAll(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  action: Action,
  signal?: AbortSignal,
): Promise<string[]> {
  if (isIpLiteral(host)) {
    const literalFamily = host.includes(":") ? 6 : 4;
    if (family && family !== literalFamily) {
      throw socketError("not-found", action, { address: host, port }, {
        detail: `address is not IPv${family}`,
      });
    }
    return [host];
  }
  if (host === "localhost") {
    if (family === 4) return ["127.0.0.1"];
    return family === 6 ? ["::1"] : ["127.0.0.1", "::1"];
  }
  // Loaded on demand: node's compatibility layer costs start-up time.
  const { lookup } = await import("node:dns/promises");
  signal?.throwIfAborted();
  const found = await lookup(host, { family: family ?? 0, all: true });
  signal?.throwIfAborted();
  if (found.length === 0) {
    throw socketError("not-found", action, { address: host, port });
  }
  // One entry per socket type on some systems: each address once.
  return [...new Set(found.map((entry) => entry.address))];
}

/** The first of {@linkcode resolveAll}: where a datagram or a scan goes. */
export async function resolveHost(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  action: Action,
  signal?: AbortSignal,
): Promise<string> {
  const [first] = await resolveAll(host, port, family, action, signal);
  return first!;
}
