#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --unstable-lazy-dynamic-imports --v8-flags=--max-semi-space-size=1
/**
 * The `sockit` command: netcat's jobs, done carefully.
 *
 * @module
 */
import {
  Command,
  type CommandUnknownOpts,
  Help,
} from "@commander-js/extra-typings";
import { COMMANDS } from "./_commands.ts";
import { ExitCode } from "./_exit.ts";
import { failureOf, finishedCode } from "./_failure.ts";
import { flushEventOutputs } from "./_event_output.ts";
import { stdoutFailureOf } from "./_shutdown.ts";
import { helpCommand, programHelpFooter } from "./_help.ts";
import denoJson from "../deno.json" with { type: "json" };

/**
 * Builds the command tree; exported so tests can inspect it. Given the
 * command line, it declares in full only the commands that line needs
 * (see {@linkcode needsInFull}); the others are summaries, enough for
 * `sockit --help` and for "did you mean" after a mistyped name.
 */
export async function buildProgram(args?: string[]): Promise<Command> {
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
  const inFull = args === undefined ? () => true : needsInFull(args);
  const declarations = await Promise.all(
    COMMANDS.map((summary) => inFull(summary.name) ? summary.define() : null),
  );
  const summaries = new Map<CommandUnknownOpts, string>();
  COMMANDS.forEach((summary, i) => {
    const command = program.command(summary.name)
      .description(summary.description);
    const declare = declarations[i];
    if (declare) declare(command);
    else summaries.set(command, `${summary.name} ${summary.usage}`.trimEnd());
  });
  if (summaries.size > 0) {
    program.configureHelp({
      // A summary has no arguments or flags to list: its line is written out.
      subcommandTerm(command) {
        return summaries.get(command) ?? new Help().subcommandTerm(command);
      },
    });
  }
  // Last: it lists, and suggests among, every command added before it.
  helpCommand(program);
  return program;
}

/**
 * Whether a command line needs a command declared in full: the one it runs
 * (its first word that is not an option) does, and `help` and `completions`
 * read every command. `sockit --help` and a mistyped name need none.
 */
function needsInFull(args: string[]): (name: string) => boolean {
  const named = commandWord(args);
  if (named === "help" || named === "completions") return () => true;
  return (name) => name === named;
}

/** The command a line runs: its first word that is not an option. */
function commandWord(args: string[]): string | undefined {
  return args.find((arg) => !arg.startsWith("-"));
}

/** Runs sockit with `args` and resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  Deno.exitCode = ExitCode.Ok;
  try {
    const program = await buildProgram(args);
    await program.parseAsync(args, { from: "user" });
    await flushEventOutputs();
    // A command that stopped because its events could not be written.
    const failure = stdoutFailureOf();
    if (failure) throw failure;
    return finishedCode(Deno.exitCode);
  } catch (error) {
    // Events before the error line, as they happened.
    await flushEventOutputs();
    // Events that could not be written (a full disk) are the command's lost
    // data: that is the failure to tell, even when the peer then reset
    // before the stop it caused took effect.
    const { code, message } = failureOf(
      stdoutFailureOf() ?? error,
      commandWord(args),
    );
    if (message) console.error(`sockit: ${message}`);
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
