import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { checkUnixPath } from "../lib/unix_path.ts";
import { messageOf } from "./_failure.ts";

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** How `--help` and the README describe a duration; printed once. */
export const DURATION_SYNTAX =
  "seconds (5, 0.5) as nc and curl, or with a unit: 500ms, 2s, 1m, 1h";

/**
 * `500ms`, `2s`, `1m`, `1h`, or a bare number of seconds, as in nc, ncat
 * and curl. Returns milliseconds (the library's unit), more than zero.
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
      `duration "${value}" must be a number of seconds, or with a ms, s, m or h unit`,
    );
  }
  const unit = (match?.[2] ?? "s") as keyof typeof UNIT_MS;
  const ms = Math.round(Number(amount) * UNIT_MS[unit]);
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`duration "${value}" is too long`);
  }
  if (ms === 0 && !allowZero) {
    throw new InvalidArgumentError(
      Number(amount) > 0
        ? `duration "${value}" is under a millisecond, the shortest there is`
        : `duration "${value}" must be more than 0`,
    );
  }
  return ms;
}

/** Milliseconds as the command line writes them: `2s`, `500ms`, `1m`. */
export function formatDuration(ms: number): string {
  for (const unit of ["h", "m", "s"] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) {
      return `${ms / UNIT_MS[unit]}${unit}`;
    }
  }
  return `${ms}ms`;
}

/**
 * A `<duration>` option whose default `--help` shows with its unit
 * (`default: 2s`), never as the bare milliseconds the parser returns.
 */
export function durationOption<Flags extends string>(
  flags: Flags,
  description: string,
  defaultMs: number,
) {
  return new Option(flags, description)
    .argParser(parseDuration)
    .default(defaultMs, formatDuration(defaultMs));
}

/**
 * nc's `-N`: half-close at the input's end, which `send` and `listen` do
 * unless `--no-shutdown` ({@linkcode noShutdownOption}) says otherwise.
 */
export function shutdownOption() {
  return new Option(
    "-N, --shutdown",
    "half-close TCP when the input ends, as nc -N",
  ).default(true);
}

/** `--no-shutdown`, the one way to keep the write side open. */
export function noShutdownOption() {
  return new Option(
    "--no-shutdown",
    "do not half-close TCP when the input ends",
  );
}

/** nc's `-n`: the host must be an address (checked by {@linkcode familyOf}). */
export function numericOption(
  description = "look up no host names, as nc -n: give addresses",
) {
  return new Option("-n, --numeric", description);
}

/**
 * Digits; spaces around them and a leading `+` are taken too, as nc
 * (strtonum) takes `+80` and ` 80`.
 */
function parseInteger(value: string, what: string, min: number, max: number) {
  if (!/^\+?\d+$/.test(value.trim())) {
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

/** A port to listen on: 0 (ephemeral) to 65535, or a service name. */
export function parseListenPort(value: string): number {
  return parsePortOrService(value, 0);
}

/** A port to connect to: 1 to 65535, or a service name such as `http`. */
export function parsePort(value: string): number {
  return parsePortOrService(value, 1);
}

function parsePortOrService(value: string, min: number): number {
  const name = value.trim().toLowerCase();
  if (!/^[a-z][a-z0-9+._-]*$/.test(name)) {
    return parseInteger(value, "port", min, 65535);
  }
  const port = COMMON_SERVICES[name] ?? systemServices().get(name);
  if (port === undefined) {
    throw new InvalidArgumentError(
      `port "${value}" is not a number from ${min} to 65535 or a known service name`,
    );
  }
  return port;
}

/**
 * The services people type, so that the common case needs no file and no
 * permission; their numbers are the ones /etc/services gives.
 */
const COMMON_SERVICES: Readonly<Record<string, number>> = {
  echo: 7,
  discard: 9,
  daytime: 13,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  gopher: 70,
  finger: 79,
  http: 80,
  www: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  imap2: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  syslog: 514,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mqtt: 1883,
  mysql: 3306,
  postgresql: 5432,
  "http-alt": 8080,
};

let services: Map<string, number> | undefined;

/**
 * Names and aliases from /etc/services, when sockit may read it. Asking
 * first keeps Deno from prompting for a permission mid-parse.
 */
function systemServices(): Map<string, number> {
  if (services) return services;
  services = new Map();
  const path = "/etc/services";
  try {
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      return services;
    }
    for (const line of Deno.readTextFileSync(path).split("\n")) {
      const [name, portProto, ...aliases] = line.replace(/#.*/, "").trim()
        .split(/\s+/);
      const port = Number(portProto?.split("/")[0]);
      if (!name || !Number.isInteger(port) || port < 1 || port > 65535) {
        continue;
      }
      for (const alias of [name, ...aliases]) {
        const key = alias.toLowerCase();
        if (!services.has(key)) services.set(key, port);
      }
    }
  } catch {
    // No such file (Windows, a container): the built-in table answers.
  }
  return services;
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

/** Whether `host` is an IPv6 literal, such as `::1` or `fe80::1%2`. */
function isIpv6(host: string): boolean {
  host = host.replace(/%\d+$/, "");
  if (!/^[0-9a-f:.]+$/i.test(host) || !host.includes(":")) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A host whose last label is a number (`127.1`, `0x7f.0.0.1`, `2130706433`)
 * is an address, not a name (no top-level domain is numeric): only the
 * dotted quad is taken, where the resolver would read the others as octal,
 * hexadecimal or one 32-bit number, each its own way.
 */
const NUMERIC_LAST = /(?:^|\.)(?:\d+|0x[\da-f]*)\.?$/i;

/**
 * A name, an IPv4 address, or an IPv6 address with or without brackets.
 * Returns it without brackets.
 */
export function parseHost(value: string): string {
  const bracketed = value.startsWith("[") && value.endsWith("]");
  const host = bracketed ? value.slice(1, -1) : value;
  const zoned = /^([0-9a-f:.]+)%([\w.-]+)$/i.exec(host);
  if (zoned && isIpv6(zoned[1]!)) {
    return `${zoned[1]}%${zoneIndex(value, zoned[2]!)}`;
  }
  if (isIpv6(host)) return host;
  if (
    !bracketed &&
    (IPV4.test(host) || (HOSTNAME.test(host) && !NUMERIC_LAST.test(host)))
  ) {
    return host;
  }
  throw new InvalidArgumentError(
    !bracketed && HOSTNAME.test(host) && NUMERIC_LAST.test(host)
      ? `host "${value}" is not an IPv4 address: write four decimal numbers, as 127.0.0.1`
      : `host "${value}" is not a name, an IPv4 address or an IPv6 address`,
  );
}

/**
 * `HOST:PORT` or `[V6]:PORT` typed as one word where two were meant, as
 * [host, port]; undefined for anything else, an IPv6 address included.
 */
export function splitHostPort(value: string): [string, string] | undefined {
  const joined = /^\[([^\]]+)\]:([^:]+)$/.exec(value) ??
    /^([^:[\]]+):([^:]+)$/.exec(value);
  return joined ? [joined[1]!, joined[2]!] : undefined;
}

/**
 * socat's address types, typed before their parameters (`TCP-LISTEN:8080`,
 * `UNIX-CONNECT:/path`). Plain `unix:` is sockit's own and not among them;
 * words a host could be called (`proxy`, `file`) are left out too.
 */
const SOCAT_ADDRESS =
  /^(?:(?:tcp|udp)[46]?(?:-(?:listen|connect|sendto|recvfrom|recv|datagram))?|(?:unix|abstract)-(?:connect|listen|client|sendto|recvfrom|recv)|openssl(?:-(?:listen|connect))?):/i;

/**
 * socat's habit, `socat - TCP:host:80`, typed where sockit wants its own
 * words: refused naming the word as socat's and the form that works, where
 * it read as a host holding a port or a bad port (`8080,fork`).
 */
export function refuseSocatAddress(value: string, form: string): void {
  if (
    value === "-" || /^(?:stdio|pipe)$/i.test(value) ||
    SOCAT_ADDRESS.test(value)
  ) {
    throw new InvalidArgumentError(
      `"${value}" is a socat address: write ${form}`,
    );
  }
}

/** The forms {@linkcode refuseSocatAddress} tells each command's user. */
export const SOCAT_FORMS = {
  send: "sockit send HOST PORT (unix:PATH for a Unix socket, -u for UDP)",
  listen:
    "sockit listen [HOST] PORT (--unix PATH for a Unix socket, -u for UDP)",
  relay:
    "sockit relay [HOST:]PORT HOST:PORT (unix:PATH for a Unix socket, -u for UDP)",
} as const;

/**
 * A `send` target: `unix:PATH` (`unix:@name` for an abstract socket) as it
 * is, or a host as {@linkcode parseHost} takes it.
 */
export function parseTarget(value: string): string {
  refuseSocatAddress(value, SOCAT_FORMS.send);
  if (!value.startsWith("unix:")) {
    // socat's and curl's HOST:PORT habit: tell the form that works.
    const joined = splitHostPort(value);
    if (joined) {
      throw new InvalidArgumentError(
        `host "${value}" holds a port: give them apart, as in ${
          joined.join(" ")
        }`,
      );
    }
    return parseHost(value);
  }
  const path = value.slice("unix:".length);
  if (path === "" || path === "@") {
    throw new InvalidArgumentError(`"${value}" names no socket path`);
  }
  fitUnixPath(path);
  return value;
}

/** {@linkcode checkUnixPath}'s refusal, as a command-line error. */
function fitUnixPath(path: string): void {
  try {
    checkUnixPath(path);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

/** The path in a `unix:PATH` target, or undefined for a host. */
export function unixPathOf(target: string): string | undefined {
  return target.startsWith("unix:") ? target.slice("unix:".length) : undefined;
}

/** A `--unix` path for a server: a file path or `@name`. */
export function parseSocketPath(value: string): string {
  if (value === "" || value === "@") {
    throw new InvalidArgumentError(`socket path "${value}" is empty`);
  }
  fitUnixPath(value);
  return value;
}

/**
 * An IPv6 zone as Deno takes it. Deno connects to `fe80::1%2` but cannot
 * resolve an interface name (`%eth0`), and reading the name's number
 * would take `--allow-sys` or `--allow-all`: names are refused.
 */
function zoneIndex(value: string, zone: string): string {
  if (/^\d+$/.test(zone)) return zone;
  throw new InvalidArgumentError(
    `host "${value}": zones by interface name are not supported; use the interface number, as in fe80::1%2 (ip link lists them)`,
  );
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The family forced by `-4` or `-6`, checked against a literal host; with
 * `-n` (nc's "no DNS") the host must be an address. `localhost` passes:
 * sockit never looks it up (it is 127.0.0.1 and ::1).
 */
export function familyOf(
  host: string,
  options: { ipv4?: boolean; ipv6?: boolean; numeric?: boolean },
): 4 | 6 | undefined {
  if (options.ipv4 && options.ipv6) {
    throw new InvalidArgumentError("options -4 and -6 cannot be used together");
  }
  const family = options.ipv4 ? 4 : options.ipv6 ? 6 : undefined;
  const literal = isIpv6(host) ? 6 : IPV4.test(host) ? 4 : undefined;
  if (
    options.numeric && literal === undefined && host !== "localhost" &&
    !host.startsWith("unix:")
  ) {
    throw new InvalidArgumentError(
      `host "${host}" is a name, but -n looks up none: give its address`,
    );
  }
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
 * `host:port`, `[v6]:port`, `unix:PATH`, or with `listen` set, a bare
 * `port` that binds `localhost`. The host is checked as `parseHost` does, brackets removed;
 * the port as `parsePort` does, so service names work.
 */
function parseEndpoint(value: string, listen: boolean): Endpoint {
  refuseSocatAddress(value, SOCAT_FORMS.relay);
  // A Unix socket stands for both: its host is `unix:PATH`, as in `send`.
  if (unixPathOf(value) !== undefined) {
    return { host: parseTarget(value), port: 0 };
  }
  const match = /^(?:(.*):)?([^:\]]+)$/.exec(value.trim());
  const rawHost = match?.[1];
  const rawPort = match?.[2];
  if (rawPort === undefined || (rawHost === undefined && !listen)) {
    throw new InvalidArgumentError(
      `address "${value}" is not ${listen ? "[host:]port" : "host:port"}`,
    );
  }
  if (
    rawHost !== undefined && rawHost.startsWith("[") !== rawHost.endsWith("]")
  ) {
    throw new InvalidArgumentError(
      `address "${value}" has an unclosed [: write an IPv6 host in brackets, as in [::1]:8080`,
    );
  }
  // A bare IPv6 literal's last group would read as the port: ask for [].
  if (rawHost?.includes(":") && !rawHost.startsWith("[")) {
    throw new InvalidArgumentError(
      isIpv6(rawHost)
        ? `address "${value}" has an IPv6 host: write it as [${rawHost}]:${rawPort}`
        : `address "${value}" is not ${
          listen ? "[host:]port" : "host:port"
        }: one colon, or an IPv6 host in brackets, as in [::1]:8080`,
    );
  }
  return {
    host: rawHost === undefined ? "localhost" : parseHost(rawHost),
    port: listen ? parseListenPort(rawPort) : parsePort(rawPort),
  };
}

/** Where a relay listens: `[host:]port` (port 0 for any) or `unix:PATH`. */
export function parseListenEndpoint(value: string): Endpoint {
  return parseEndpoint(value, true);
}

/** Where a relay connects: `host:port` or `unix:PATH`. */
export function parseTargetEndpoint(value: string): Endpoint {
  return parseEndpoint(value, false);
}
