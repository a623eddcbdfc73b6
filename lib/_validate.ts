/** Throws a RangeError naming the value unless `port` is a usable port. */
export function validatePort(port: number, verb: string, min: number): void {
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new RangeError(
      `Cannot ${verb}: port must be an integer from ${min} to 65535, got ${port}`,
    );
  }
}
