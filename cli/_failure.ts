import { CommanderError } from "@commander-js/extra-typings";
import { SocketError } from "../lib/errors.ts";
import { ExitCode, HttpStatusError, UsageError, WriteError } from "./_exit.ts";
import { isStdoutBroken } from "./_shutdown.ts";

/**
 * The exit code of a command that ran to its end: stdout's reader going
 * away on the way (the command stopped because of it) is 141.
 */
export function finishedCode(code: number): number {
  return isStdoutBroken() ? ExitCode.BrokenPipe : code;
}

/**
 * Every failure becomes one stderr line and a documented exit code.
 * `command` is the command word of the line (`send`, `get`), which decides
 * whether an unknown flag gets nc's hint.
 */
export function failureOf(
  error: unknown,
  command?: string,
): { code: number; message?: string } {
  // Whatever failed after stdout's reader left is a consequence of it.
  if (error instanceof Deno.errors.BrokenPipe || isStdoutBroken()) {
    return { code: ExitCode.BrokenPipe };
  }
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version"
    ) return { code: ExitCode.Ok };
    if (error.code === "commander.help") return { code: ExitCode.Usage };
    const message = oneLine(error.message);
    return { code: ExitCode.Usage, message: withNcHint(message, command) };
  }
  if (error instanceof UsageError) {
    return { code: ExitCode.Usage, message: error.message };
  }
  if (error instanceof HttpStatusError) {
    return { code: ExitCode.HttpError, message: error.message };
  }
  if (error instanceof WriteError) {
    return { code: ExitCode.WriteError, message: error.message };
  }
  if (error instanceof SocketError) {
    return { code: ExitCode.Network, message: messageOf(error) };
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return { code: ExitCode.Usage, message: messageOf(error) };
  }
  return { code: ExitCode.Network, message: messageOf(error) };
}

/**
 * commander's `error: unknown option '--prot'\n(Did you mean --port?)`
 * as `unknown option '--prot' (did you mean '--port'?)`.
 */
function oneLine(message: string): string {
  return message
    .replace(/^error: /, "")
    // commander's own choices check names the value only in its frame.
    .replace(
      /^(?:option '(?:-\w, )?(--[\w-]+)[^']*' argument|command-argument value) '(.*?)' is invalid(?: for argument '(.*?)')?\. Allowed choices are (.*?)\.?$/s,
      (_, flag, value, argument, choices) =>
        `${
          flag ? `${flag}: ` : argument ? `${argument} ` : ""
        }"${value}" is not one of ${choices}`,
    )
    // Our parsers' messages already name the value: drop commander's frame.
    .replace(
      /^option '(?:-\w, )?(--[\w-]+)[^']*' argument '.*?' is invalid\. /s,
      "$1: ",
    )
    .replace(
      /^command-argument value '.*?' is invalid for argument '.*?'\. /s,
      "",
    )
    .replace(/\s*\(Did you mean (\S+?)\?\)/, " (did you mean '$1'?)")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

/**
 * nc, ncat and socat flags whose job is another sockit command or flag, or
 * none: an unknown option line says where that job is (`nc -zv` is
 * `sockit scan`). A third element limits a hint to those commands.
 */
const NC_HINTS: [RegExp, string, string[]?][] = [
  [/^-z/, "port scans: sockit scan HOST PORTS"],
  [/^-l/, "to wait for a connection: sockit listen PORT"],
  [
    /^(?:-e|--exec$|--sh-exec$|--lua-exec$)/,
    "sockit runs no program for a peer: see Known limits",
  ],
  [
    /^(?:-U|--unixsock$)/,
    "Unix sockets: sockit send unix:PATH, sockit listen --unix PATH",
  ],
  [
    /^--ssl/,
    "TLS: sockit send --tls, sockit listen --tls-cert FILE --tls-key FILE",
  ],
  [
    /^-w/,
    "listen's timeouts: -i, --idle-timeout and -q, --quit-after",
    ["listen"],
  ],
  [
    /^-s/,
    "the address to listen on: sockit listen HOST PORT, or --host HOST",
    ["listen"],
  ],
  // nc's client -s and -p choose the source address and port.
  [
    /^(?:-[sp]|--source$|--source-port$)/,
    "send picks its own source address and port: see Known limits",
    ["send"],
  ],
  [/^--nodns$/, "no name lookups: -n, --numeric"],
  // ncat writes these to a file; sockit writes them where a shell redirects.
  [/^--hex-dump$/, "a hex dump on stderr: -x, --hex 2>FILE"],
  [/^(?:-o|--output$)/, "stdout is the data: > FILE"],
  // OpenBSD nc's -d reads no stdin; ncat's --recv-only sends nothing.
  [/^(?:-d$|--recv-only$)/, "to send nothing: < /dev/null"],
];

/**
 * Commands whose users come from curl or oscsend, where the same letters
 * mean something else (curl's `-e` is `--referer`, `-z` `--time-cond`).
 */
const NOT_NC_COMMANDS = new Set(["get", "osc"]);

function withNcHint(message: string, command?: string): string {
  if (command !== undefined && NOT_NC_COMMANDS.has(command)) return message;
  const option = /^unknown option '(-[^']*)'$/.exec(message)?.[1];
  if (option === undefined) return message;
  const hint = NC_HINTS.find(([flag, , only]) =>
    flag.test(option) &&
    (only === undefined || (command !== undefined && only.includes(command)))
  )?.[1];
  return hint === undefined ? message : `${message} (${hint})`;
}

/** An error's message as the tail of a `sockit: …` line: one line, lower case first. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0] ?? "";
  return line.charAt(0).toLowerCase() + line.slice(1);
}

/**
 * {@linkcode messageOf} for a file error whose line already names the file:
 * without Deno's trailing `: readfile '/path'`, which named it a second time
 * (or named `get -o`'s temporary file instead of the user's).
 */
export function fileMessageOf(error: unknown): string {
  return messageOf(error).replace(/: [a-z_]+ '[^']*'$/, "");
}
