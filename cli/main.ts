#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write
/**
 * The `sockit` command: netcat's jobs, done carefully.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { echoTcpCommand } from "./commands/echo_tcp.ts";
import { echoUdpCommand } from "./commands/echo_udp.ts";
import { sendCommand } from "./commands/send.ts";
import { getCommand } from "./commands/get.ts";
import { ExitCode } from "./_exit.ts";
import { failureOf, finishedCode } from "./_failure.ts";
import { flushEventOutputs } from "./_event_output.ts";
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
    await flushEventOutputs();
    return finishedCode(Deno.exitCode);
  } catch (error) {
    // Events before the error line, as they happened.
    await flushEventOutputs();
    const { code, message } = failureOf(error);
    if (message) console.error(`sockit: ${message}`);
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
