import { Option } from "@commander-js/extra-typings";
import { collect, parseSocketPath } from "./_options.ts";
import { UsageError } from "./_exit.ts";
import { parseCidr } from "./_access.ts";

/** The `--allow`/`--deny` lists every sockit server takes. */
export interface AccessOptions {
  allow?: string[];
  deny?: string[];
}

/** Where and how a server command listens, beyond host and port. */
export interface ListenFlags extends AccessOptions {
  ipv4?: boolean;
  ipv6?: boolean;
  /** `-n` (listen): the host must be an address or localhost. */
  numeric?: boolean;
  /** `--unix PATH` (or a relay's `unix:PATH`): in place of host and port. */
  unix?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** `--unix PATH`, declared once for every server command. */
export function unixOption() {
  return new Option(
    "--unix <path>",
    "listen on a Unix socket instead (@name: abstract)",
  ).argParser(parseSocketPath);
}

/**
 * `-v, --verbose` on the echo servers, which print every event anyway:
 * taken so that nc's `-v` habit is not exit 2.
 */
export function verboseHabitOption() {
  return new Option(
    "-v, --verbose",
    "taken for nc -v habits: every event is printed anyway",
  );
}

/** `--allow CIDR` (repeatable), declared once for every server command. */
export function allowOption(
  description = "only accept peers in this network (repeatable)",
) {
  return new Option("--allow <cidr>", description).argParser(collectNetwork);
}

/** `--deny CIDR` (repeatable), declared once for every server command. */
export function denyOption(
  description = "refuse peers in this network (repeatable)",
) {
  return new Option("--deny <cidr>", description).argParser(collectNetwork);
}

/**
 * Checked as it is parsed, so that a bad network's line names its flag as
 * every other bad value's does; the server parses the list again to use it.
 */
function collectNetwork(value: string, previous?: string[]): string[] {
  parseCidr(value);
  return collect(value, previous);
}

/** `-q` with `-x` on a server: one drops the message events, one dumps them. */
export function refuseQuietHex(options: { quiet?: boolean; hex?: boolean }) {
  if (options.quiet && options.hex) {
    throw new UsageError(
      "-q drops the messages -x would dump: use one of them",
    );
  }
}

/**
 * `--unix PATH` beside an address flag (`--host`, `-p`, `-4`, `-6`) or
 * address words is exit 2 naming them: one of the two would be ignored.
 * `given` says whether a flag with a default came from the command line.
 */
export function refuseAddressBesideUnix(
  options: ListenFlags & { host?: string; port?: number },
  given: (flag: "host" | "port") => boolean,
  words: string[] = [],
): void {
  if (options.unix === undefined) return;
  const dropped = [
    ...(given("host") ? [`--host ${options.host}`] : []),
    ...(given("port") ? [`-p ${options.port}`] : []),
    ...words,
    ...(options.ipv4 ? ["-4"] : []),
    ...(options.ipv6 ? ["-6"] : []),
  ];
  if (dropped.length > 0) {
    throw new UsageError(
      `--unix takes the place of the address: drop "${dropped.join(" ")}"`,
    );
  }
}
