import { type Action, socketError } from "./_socket_error_from.ts";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether `host` is an IPv4 or IPv6 literal rather than a name. */
export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(":");
}

/**
 * A numeric address for `host`, from the system resolver (so /etc/hosts
 * counts), in `family` when one is forced.
 */
export async function resolveHost(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  action: Action,
  signal?: AbortSignal,
): Promise<string> {
  if (isIpLiteral(host)) {
    const literalFamily = host.includes(":") ? 6 : 4;
    if (family && family !== literalFamily) {
      throw socketError("not-found", action, { address: host, port }, {
        detail: `address is not IPv${family}`,
      });
    }
    return host;
  }
  if (host === "localhost") return family === 6 ? "::1" : "127.0.0.1";
  // Loaded on demand: node's compatibility layer costs start-up time.
  const { lookup } = await import("node:dns/promises");
  signal?.throwIfAborted();
  const { address } = await lookup(host, { family: family ?? 0 });
  signal?.throwIfAborted();
  return address;
}
