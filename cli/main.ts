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
import { scanCommand } from "./commands/scan.ts";
import { listenCommand } from "./commands/listen.ts";
import { relayCommand } from "./commands/relay.ts";
import { oscCommand } from "./commands/osc.ts";
import { completionsCommand } from "./commands/completions.ts";
import { ExitCode } from "./_exit.ts";
import { failureOf, finishedCode } from "./_failure.ts";
import { flushEventOutputs } from "./_event_output.ts";
import { helpCommand, programHelpFooter } from "./_help.ts";
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
    .showSuggestionAfterError(true)
    // Program options only before the command, so `osc send` can take `-5`.
    .enablePositionalOptions()
    .addHelpText(
      "after",
      programHelpFooter({
        examples: [
          ["sockit echo-tcp --port 1025", "an echo server on localhost:1025"],
          [
            "sockit send localhost 1025 hello",
            "send hello, print the reply until the server closes",
          ],
          [
            "echo ping | sockit send -u -q 2 localhost 1025",
            "one UDP datagram; print replies for 2 seconds",
          ],
          [
            "sockit get -L -o page.html https://example.com/",
            "fetch a page, following redirects, into a file",
          ],
        ],
      }),
    );
  echoTcpCommand(program);
  echoUdpCommand(program);
  sendCommand(program);
  getCommand(program);
  scanCommand(program);
  listenCommand(program);
  relayCommand(program);
  oscCommand(program);
  completionsCommand(program);
  // Last: it lists, and suggests among, every command added before it.
  helpCommand(program);
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
