import { Command } from "@commander-js/extra-typings";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { runCli } from "./_cli.ts";
import { buildProgram } from "../cli/main.ts";
import { closestName, helpCommand, helpFooter } from "../cli/_help.ts";
import { parseDuration, parseDurationOrZero } from "../cli/_options.ts";
import { UsageError } from "../cli/_exit.ts";

/** Every command below `command`, depth first, with its words. */
function* walk(
  command: Command,
  path: string[] = [],
): Generator<[string[], Command]> {
  yield [path, command];
  for (const sub of command.commands) {
    yield* walk(sub as Command, [...path, sub.name()]);
  }
}

/** What `--help` prints for `command`, added text included. */
function helpOf(command: Command): string {
  let text = "";
  command.configureOutput({ writeOut: (s) => text += s });
  command.outputHelp();
  return text;
}

Deno.test("every command's --help ends with 2-4 examples and the exit codes", async () => {
  const program = await buildProgram();
  let checked = 0;
  for (const [path, command] of walk(program)) {
    if (command.name() === "help") continue;
    const where = `sockit ${path.join(" ")} --help`;
    const text = helpOf(command);
    const examples = text.split("\nExamples:\n")[1]?.split("\n\n")[0] ?? "";
    const lines = examples.split("\n").filter((l) => l.startsWith("  $ "));
    assert(
      lines.length >= 2 && lines.length <= 4,
      `${where}: ${lines.length} examples; add helpFooter() from cli/_help.ts`,
    );
    for (const line of lines) {
      assert(
        line.includes(`sockit ${path.join(" ")}`.trimEnd()),
        `${where}: example "${line}" does not run this command`,
      );
    }
    assertMatch(text, /\nExit codes:\n {2}0 .*\n(?: {2}1 .*\n)? {2}2 /, where);
    // Durations' defaults are shown with their unit, never as bare ms.
    for (const option of command.options) {
      const parser = option.parseArg as unknown;
      const duration = parser === parseDuration ||
        parser === parseDurationOrZero || /<duration>/.test(option.flags);
      if (!duration) continue;
      if (option.defaultValue === undefined) continue;
      assertMatch(
        option.defaultValueDescription ?? "",
        /^\d+(\.\d+)?(ms|s|m|h)$/,
        `${where} ${option.flags}: use durationOption()`,
      );
    }
    checked++;
  }
  assert(checked >= 5, `only ${checked} commands checked`);
});

Deno.test("sockit --help lists the duration syntax once, at the top level", async () => {
  const program = await buildProgram();
  assertMatch(helpOf(program), /\n {2}DURATION {2}seconds \(5, 0\.5\)/);
  for (const [path, command] of walk(program)) {
    if (path.length === 0) continue;
    assert(!helpOf(command).includes("DURATION "), path.join(" "));
  }
});

Deno.test("sockit --help from the summaries in cli/_commands.ts is the full tree's", async () => {
  const full = helpOf(await buildProgram());
  // `--help` and a mistyped name declare no command; `send` declares one.
  for (const args of [["--help"], ["snd"], ["send", "--help"]]) {
    const program = await buildProgram(args);
    assertEquals(helpOf(program), full, args.join(" "));
    const names = program.commands.map((c) => c.name());
    assertEquals(names, (await buildProgram()).commands.map((c) => c.name()));
  }
  const send = (await buildProgram(["send"])).commands.find((c) =>
    c.name() === "send"
  );
  assert(send && send.options.length > 0, "send is declared in full");
});

Deno.test("sockit help and sockit help send print help on stdout and exit 0", async () => {
  const top = await runCli(["help"]);
  assertEquals(top.code, 0, top.stderr);
  assertEquals(top.stderr, "");
  assertMatch(top.text, /^Usage: sockit /);
  assertMatch(top.text, /\nExit codes:\n/);
  const flag = await runCli(["--help"]);
  assertEquals([flag.code, flag.text], [0, top.text]);
  const send = await runCli(["help", "send"]);
  assertEquals(send.code, 0, send.stderr);
  assertMatch(send.text, /^Usage: sockit send /);
  assertMatch(send.text, /\nExamples:\n {2}\$ sockit send /);
  const sendFlag = await runCli(["send", "--help"]);
  assertEquals(sendFlag.text, send.text);
});

Deno.test("sockit help frobnicate names it, suggests the closest and exits 2", async () => {
  const typo = await runCli(["help", "snd"]);
  assertEquals(typo.code, 2);
  assertEquals(typo.text, "");
  assertEquals(
    typo.stderr,
    "sockit: unknown command 'snd' (did you mean 'send'?)\n",
  );
  const far = await runCli(["help", "frobnicate"]);
  assertEquals(far.code, 2);
  assertMatch(
    far.stderr,
    /^sockit: unknown command 'frobnicate' \(commands: echo-tcp, .*send, get.*\)\n$/,
  );
});

Deno.test("sockit help osc send explains the subcommand, as sockit osc send --help", async () => {
  const help = await runCli(["help", "osc", "send"]);
  assertEquals(help.code, 0, help.stderr);
  assertMatch(help.text, /^Usage: sockit osc send /);
  const flag = await runCli(["osc", "send", "--help"]);
  assertEquals(help.text, flag.text);
  const typo = await runCli(["help", "osc", "sned"]);
  assertEquals(typo.code, 2);
  assertEquals(
    typo.stderr,
    "sockit: unknown command 'osc sned' (did you mean 'send'?)\n",
  );
  const leaf = await runCli(["help", "send", "more"]);
  assertEquals(leaf.code, 2);
  assertEquals(
    leaf.stderr,
    "sockit: unknown command 'send more' (send has no subcommands)\n",
  );
});

Deno.test("closestName() takes typos and swaps, not different words", () => {
  const names = ["echo-tcp", "echo-udp", "send", "get", "help"];
  assertEquals(closestName("snd", names), "send");
  assertEquals(closestName("sned", names), "send");
  assertEquals(closestName("echo-tpc", names), "echo-tcp");
  assertEquals(closestName("gte", names), "get");
  assertEquals(closestName("nosuch", names), undefined);
});

Deno.test("a command group gets its own help: sockit osc help send", async () => {
  let out = "";
  const program = new Command().name("sockit").exitOverride()
    // As buildProgram(): colour detection would read the environment.
    .configureOutput({
      writeOut: (s) => out += s,
      getOutHasColors: () => false,
    });
  const osc = program.command("osc").description("OSC");
  osc.command("send").description("send one OSC message")
    .addHelpText("after", helpFooter({ examples: [["sockit osc send", "x"]] }));
  osc.command("dump").description("print OSC messages");
  helpCommand(program);
  await program.parseAsync(["osc", "help", "send"], { from: "user" });
  assertMatch(out, /^Usage: sockit osc send /);
  assertMatch(out, /\n {2}\$ sockit osc send\n/);
  let error: unknown;
  try {
    await program.parseAsync(["osc", "help", "sned"], { from: "user" });
  } catch (caught) {
    error = caught;
  }
  assert(error instanceof UsageError, String(error));
  assertEquals(
    error.message,
    "unknown command 'osc sned' (did you mean 'send'?)",
  );
});
