#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write
/**
 * The `sockit` command: netcat's jobs, done carefully.
 *
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { SocketError } from "../lib/mod.ts";
import { echoTcpCommand } from "./commands/echo_tcp.ts";
import { echoUdpCommand } from "./commands/echo_udp.ts";
import { sendCommand } from "./commands/send.ts";
import { getCommand } from "./commands/get.ts";
import { ExitCode, UsageError } from "./_exit.ts";
import denoJson from "../deno.json" with { type: "json" };

/** Builds the command tree; exported so tests can inspect it. */
export function buildProgram(): Command {
  const program = new Command()
    .name("sockit")
    .description("Poke TCP and UDP services, run echo servers, fetch pages")
    .version(denoJson.version, "-V, --version")
    // Both are copied to subcommands only when they are created: call first.
    .exitOverride()
    // Errors are printed once, as one line, by main(). Colour detection
    // would read the environment, which needs a permission nobody asked for.
    .configureOutput({
      outputError: () => {},
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showSuggestionAfterError(true);
  echoTcpCommand(program);
  echoUdpCommand(program);
  sendCommand(program);
  getCommand(program);
  return program;
}

/** Runs sockit with `args` and resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  Deno.exitCode = ExitCode.Ok;
  try {
    await buildProgram().parseAsync(args, { from: "user" });
    return Deno.exitCode;
  } catch (error) {
    const { code, message } = describeFailure(error);
    if (message) console.error(`sockit: ${message}`);
    return code;
  }
}

/** Every failure becomes one stderr line and a documented exit code. */
function describeFailure(error: unknown): { code: number; message?: string } {
  if (error instanceof Deno.errors.BrokenPipe) {
    return { code: ExitCode.BrokenPipe };
  }
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version"
    ) return { code: ExitCode.Ok };
    if (error.code === "commander.help") return { code: ExitCode.Usage };
    return { code: ExitCode.Usage, message: oneLine(error.message) };
  }
  if (error instanceof UsageError) {
    return { code: ExitCode.Usage, message: error.message };
  }
  if (error instanceof SocketError) {
    return { code: ExitCode.Network, message: lowerFirst(error.message) };
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return { code: ExitCode.Usage, message: lowerFirst(error.message) };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { code: ExitCode.Network, message: lowerFirst(text) };
}

/**
 * commander's `error: unknown option '--prot'\n(Did you mean --port?)`
 * as `unknown option '--prot' (did you mean '--port'?)`.
 */
function oneLine(message: string): string {
  return message
    .replace(/^error: /, "")
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

function lowerFirst(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.charAt(0).toLowerCase() + line.slice(1);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
