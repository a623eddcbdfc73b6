import type { NetAddress } from "./errors.ts";
import { SocketError } from "./errors.ts";
import { createClient } from "./client.ts";
import { stripBrackets } from "./_address.ts";
import { resolveHost } from "./_resolve.ts";
import { toSocketError } from "./_socket_error_from.ts";
import { validateFamily, validatePort } from "./_validate.ts";

/**
 * What a TCP connect found: `"open"` (accepted), `"closed"` (refused or
 * reset) or `"filtered"` (no answer in time, or unreachable).
 *
 * @example
 * ```ts
 * import type { PortState } from "@sockit/sockit";
 *
 * const worthALook: PortState[] = ["open", "filtered"];
 * ```
 */
export type PortState = "open" | "closed" | "filtered";

/** One port's result from {@linkcode scanPorts}. *
 *
 * @example
 * ```ts
 * import type { PortScanResult } from "@sockit/sockit";
 *
 * const result: PortScanResult = {
 *   peer: { address: "127.0.0.1", port: 22 },
 *   state: "open",
 * };
 * ```
 */
export interface PortScanResult {
  /** The numeric address and the port. */
  peer: NetAddress;
  /** What the connect found. */
  state: PortState;
  /** With `bannerTimeout`: the first bytes an open port sent, if any. */
  banner?: Uint8Array;
}

/** Options for {@linkcode scanPorts}. *
 *
 * @example
 * ```ts
 * import type { ScanOptions } from "@sockit/sockit";
 *
 * const options: ScanOptions = { timeout: 500, concurrency: 50 };
 * ```
 */
export interface ScanOptions {
  /** How long a connect may take before the port is filtered; 1000 ms. */
  timeout?: number;
  /** Connects in flight at once; 100. */
  concurrency?: number;
  /** Wait this long on each open port for the first bytes it sends. */
  bannerTimeout?: number;
  /** Resolve the host as IPv4 (4) or IPv6 (6). */
  family?: 4 | 6;
}

/**
 * TCP connect scan: resolves `host` once, connects to each port with up to
 * `concurrency` connects in flight, and yields one result per port in the
 * order of `ports`, each as soon as it and every port before it are known.
 * Scan only hosts you are allowed to scan.
 *
 * @example Which of three local ports are open
 * ```ts
 * import { scanPorts } from "@sockit/sockit";
 *
 * for await (const result of scanPorts("127.0.0.1", [22, 80, 443])) {
 *   console.log(result.peer.port, result.state);
 * }
 * ```
 *
 * @param host A name or an IP address.
 * @param ports Ports from 1 to 65535.
 * @param options Timeout, concurrency, banner wait and family.
 * @returns The results, in the order of `ports`.
 */
export async function* scanPorts(
  host: string,
  ports: number[],
  options: ScanOptions = {},
): AsyncGenerator<PortScanResult> {
  const { timeout = 1000, concurrency = 100, bannerTimeout, family } = options;
  for (const port of ports) validatePort(port, "scan", 1);
  if (!(concurrency >= 1)) {
    throw new RangeError(
      `Cannot scan: concurrency must be 1 or more, got ${concurrency}`,
    );
  }
  if (!(timeout > 0)) {
    throw new RangeError(
      `Cannot scan: timeout must be more than 0 ms, got ${timeout}`,
    );
  }
  // Checked here: a probe's receive would throw it, and that is swallowed
  // as "no banner".
  if (bannerTimeout !== undefined && !(bannerTimeout >= 0)) {
    throw new RangeError(
      `Cannot scan: banner timeout must be 0 or more ms, got ${bannerTimeout}`,
    );
  }
  validateFamily(family, "scan");
  const name = stripBrackets(host);
  const address = await resolveHost(name, ports[0] ?? 0, family, "connect to")
    .catch((error) => {
      throw toSocketError(error, "connect to", {
        address: name,
        port: ports[0] ?? 0,
      });
    });
  const results: (PortScanResult | undefined)[] = new Array(ports.length);
  let failure: unknown;
  let wake: (() => void) | undefined;
  let next = 0;
  const worker = async () => {
    while (next < ports.length && failure === undefined) {
      const index = next++;
      try {
        results[index] = await probe(
          address,
          ports[index]!,
          timeout,
          bannerTimeout,
        );
      } catch (error) {
        failure ??= error;
      }
      wake?.();
    }
  };
  const workers = Array.from(
    { length: Math.min(concurrency, ports.length) },
    worker,
  );
  const done = Promise.all(workers);
  try {
    for (let index = 0; index < ports.length; index++) {
      while (results[index] === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => wake = resolve);
      }
      yield results[index]!;
      results[index] = undefined;
    }
  } finally {
    // Stop the workers early if the caller stops reading.
    next = ports.length;
    await done;
  }
}

async function probe(
  address: string,
  port: number,
  timeout: number,
  bannerTimeout: number | undefined,
): Promise<PortScanResult> {
  const peer = { address, port };
  let client;
  try {
    client = await createClient(address, port, { timeout });
  } catch (error) {
    if (!(error instanceof SocketError)) throw error;
    switch (error.code) {
      case "refused":
      case "disconnected":
        return { peer, state: "closed" };
      case "timeout":
      case "unreachable":
        return { peer, state: "filtered" };
      default:
        throw error;
    }
  }
  try {
    if (bannerTimeout === undefined) return { peer, state: "open" };
    const banner = await client.receiveBytes("*all", bannerTimeout).catch(
      () => undefined,
    );
    return banner ? { peer, state: "open", banner } : { peer, state: "open" };
  } finally {
    client.close();
  }
}
