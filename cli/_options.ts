import { InvalidArgumentError } from "@commander-js/extra-typings";

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/**
 * `500ms`, `2s`, `1m`, or a bare number of milliseconds (Renoise's unit).
 * Returns milliseconds, more than zero.
 */
export function parseDuration(value: string): number {
  return toMilliseconds(value, false);
}

/** The same as {@linkcode parseDuration}, but `0` is a valid answer. */
export function parseDurationOrZero(value: string): number {
  return toMilliseconds(value, true);
}

function toMilliseconds(value: string, allowZero: boolean): number {
  const match = DURATION.exec(value.trim());
  const amount = match?.[1];
  if (amount === undefined) {
    throw new InvalidArgumentError(
      `duration "${value}" is not a number with an optional ms, s or m unit`,
    );
  }
  const unit = (match?.[2] ?? "ms") as keyof typeof UNIT_MS;
  const ms = Math.round(Number(amount) * UNIT_MS[unit]);
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`duration "${value}" is too long`);
  }
  if (ms === 0 && !allowZero) {
    throw new InvalidArgumentError(`duration "${value}" must be more than 0`);
  }
  return ms;
}

function parseInteger(value: string, what: string, min: number, max: number) {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(
      `${what} "${value}" is not a whole number from ${min} to ${max}`,
    );
  }
  const number = Number(value);
  if (number < min || number > max) {
    throw new InvalidArgumentError(
      `${what} "${value}" is out of range: use ${min} to ${max}`,
    );
  }
  return number;
}

/** A port to listen on: 0 (ephemeral) to 65535. */
export function parseListenPort(value: string): number {
  return parseInteger(value, "port", 0, 65535);
}

/** A port to connect to: 1 to 65535. */
export function parsePort(value: string): number {
  return parseInteger(value, "port", 1, 65535);
}

/** A positive count, such as a connection cap or a redirect limit. */
export function parseCount(value: string): number {
  return parseInteger(value, "count", 1, 1_000_000);
}

/** A count that may be zero. */
export function parseCountOrZero(value: string): number {
  return parseInteger(value, "count", 0, 1_000_000);
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Whether `host` is an IPv6 literal, such as `::1` or `fe80::1`. */
function isIpv6(host: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(host) || !host.includes(":")) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A name, an IPv4 address, or an IPv6 address with or without brackets.
 * Returns it without brackets.
 */
export function parseHost(value: string): string {
  const bracketed = value.startsWith("[") && value.endsWith("]");
  const host = bracketed ? value.slice(1, -1) : value;
  if (isIpv6(host)) return host;
  if (
    !bracketed &&
    (IPV4.test(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host)))
  ) {
    return host;
  }
  throw new InvalidArgumentError(
    `host "${value}" is not a name, an IPv4 address or an IPv6 address`,
  );
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The family forced by `-4` or `-6`, checked against a literal host. */
export function familyOf(
  host: string,
  options: { ipv4?: boolean; ipv6?: boolean },
): 4 | 6 | undefined {
  if (options.ipv4 && options.ipv6) {
    throw new InvalidArgumentError("options -4 and -6 cannot be used together");
  }
  const family = options.ipv4 ? 4 : options.ipv6 ? 6 : undefined;
  const literal = isIpv6(host) ? 6 : IPV4.test(host) ? 4 : undefined;
  if (family && literal && family !== literal) {
    throw new InvalidArgumentError(
      `host "${host}" is an IPv${literal} address, but -${family} was given`,
    );
  }
  return family;
}

/** A host and port from one command-line word. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * `host:port`, `[v6]:port`, or with `listen` set, a bare `port` that binds
 * `localhost`. The host is checked as `parseHost` does, brackets removed.
 */
function parseEndpoint(value: string, listen: boolean): Endpoint {
  const match = /^(?:(.*):)?(\d+)$/.exec(value.trim());
  const rawHost = match?.[1];
  const rawPort = match?.[2];
  if (rawPort === undefined || (rawHost === undefined && !listen)) {
    throw new InvalidArgumentError(
      `address "${value}" is not ${listen ? "[host:]port" : "host:port"}`,
    );
  }
  // A bare IPv6 literal's last group would read as the port: ask for [].
  if (rawHost?.includes(":") && !rawHost.startsWith("[")) {
    throw new InvalidArgumentError(
      `address "${value}" has an IPv6 host: write it as [${rawHost}]:${rawPort}`,
    );
  }
  return {
    host: rawHost === undefined ? "localhost" : parseHost(rawHost),
    port: listen ? parseListenPort(rawPort) : parsePort(rawPort),
  };
}

/** Where a relay listens: `[host:]port`, port 0 for any. */
export function parseListenEndpoint(value: string): Endpoint {
  return parseEndpoint(value, true);
}

/** Where a relay connects: `host:port`. */
export function parseTargetEndpoint(value: string): Endpoint {
  return parseEndpoint(value, false);
}
