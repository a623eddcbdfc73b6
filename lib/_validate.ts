/** Throws a RangeError naming the value unless `port` is a usable port. */
export function validatePort(port: number, verb: string, min: number): void {
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new RangeError(
      `Cannot ${verb}: port must be an integer from ${min} to 65535, got ${port}`,
    );
  }
}

/**
 * Throws a TypeError naming `protocol` unless it is `"tcp"` or `"udp"`: a
 * JavaScript caller's typo would otherwise quietly be TCP.
 */
export function validateProtocol(protocol: unknown, verb: string): void {
  if (protocol !== undefined && protocol !== "tcp" && protocol !== "udp") {
    throw new TypeError(
      `Cannot ${verb}: protocol must be "tcp" or "udp", got ${
        JSON.stringify(protocol)
      }`,
    );
  }
}

/** Throws a TypeError naming `family` unless it is 4, 6 or not given. */
export function validateFamily(family: unknown, verb: string): void {
  if (family !== undefined && family !== 4 && family !== 6) {
    throw new TypeError(
      `Cannot ${verb}: family must be 4 or 6, got ${String(family)}`,
    );
  }
}
