import { CommanderError } from "@commander-js/extra-typings";
import { SocketError } from "../lib/errors.ts";
import {
  ExitCode,
  HttpStatusError,
  InterruptedError,
  signalExitCode,
  UsageError,
  WriteError,
} from "./_exit.ts";
import { isStdoutBroken } from "./_shutdown.ts";
import { withNcHint } from "./_nc_hints.ts";
import { escapeControls } from "./_escape.ts";

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
  const { code, message } = classified(error, command);
  // One line whatever it quotes: a value the user typed, a peer's words.
  return message === undefined
    ? { code }
    : { code, message: escapeControls(message) };
}

function classified(
  error: unknown,
  command?: string,
): { code: number; message?: string } {
  // Whatever failed after stdout's reader left is a consequence of it.
  if (error instanceof Deno.errors.BrokenPipe || isStdoutBroken()) {
    return { code: ExitCode.BrokenPipe };
  }
  if (error instanceof InterruptedError) {
    return { code: signalExitCode(error.signal) };
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

/** An error's message as the tail of a `sockit: …` line: one line, lower case first. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = escapeControls(text);
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
