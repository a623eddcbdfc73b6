/**
 * `sockit completions` scripts, run by the shells themselves. bash is
 * always there; zsh and fish tests are reported as ignored without them.
 */
import { Option } from "@commander-js/extra-typings";
import { assertEquals, assertMatch } from "./_assert.ts";
import { has, runCli } from "./_cli.ts";
import { buildProgram } from "../cli/main.ts";
import { completionScript } from "../cli/_completions.ts";

async function script(shell: string): Promise<string> {
  const result = await runCli(["completions", shell], { permissions: [] });
  assertEquals(result.code, 0, result.stderr);
  return result.text;
}

/** Runs `shell -c code` and returns its stdout lines. */
async function run(shell: string, code: string): Promise<string[]> {
  const output = await new Deno.Command(shell, {
    args: ["-c", code],
    stdout: "piped",
    stderr: "piped",
    env: { HOME: Deno.makeTempDirSync() },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, stderr);
  assertEquals(stderr, "");
  return new TextDecoder().decode(output.stdout).trimEnd().split("\n");
}

/**
 * What bash's completion offers after typing `line` (the cursor at its
 * end), as bash calls the function: COMP_WORDS, COMP_CWORD, then the
 * function `complete -p` registered for the command.
 */
async function bashComplete(text: string, lines: string[]) {
  const file = await Deno.makeTempFile({ suffix: ".bash" });
  await Deno.writeTextFile(file, text);
  const calls = lines.map((line) => {
    const words = line.split(" ").map((w) => `'${w}'`).join(" ");
    return `COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); ` +
      `COMPREPLY=(); $fn; echo "\${COMPREPLY[*]}"`;
  });
  try {
    return await run(
      "bash",
      `source '${file}'; fn=$(complete -p sockit | sed -E 's/.*-F ([^ ]+).*/\\1/'); ${
        calls.join("\n")
      }`,
    );
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("bash: completes commands, flags, flag values, files and help's argument", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/page.html`, "");
  try {
    const cases: [string, string][] = [
      ["sockit comp", "completions"],
      ["sockit e", "echo-tcp echo-udp"],
      ["sockit completions ", "bash zsh fish"],
      ["sockit completions f", "fish"],
      ["sockit send --w", "--wait"],
      ["sockit send -6 -w 2s --ip", "--ipv4 --ipv6"],
      // A flag's value is not a subcommand: nothing to offer for a duration.
      ["sockit send -w ", ""],
      [`sockit get -o ${dir}/pa`, `${dir}/page.html`],
      // bash splits --output=… at "=" into three words.
      [`sockit get --output = ${dir}/pa`, `${dir}/page.html`],
      ["sockit send --wait = 2s -4 --ipv", "--ipv4 --ipv6"],
      ["sockit help s", "send scan"],
      ["sockit --v", "--version"],
      ["sockit osc dump --framing ", "auto size slip"],
      ["sockit osc dump -T --framing s", "size slip"],
    ];
    const got = await bashComplete(
      await script("bash"),
      cases.map(([line]) => line),
    );
    assertEquals(
      got.map((reply, i) => [cases[i]![0], reply]),
      cases,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("completions follow the command tree: a new command needs no edit", async () => {
  const program = await buildProgram();
  program.command("zz-new").addOption(
    new Option("--colour <when>", "").choices(["auto", "never"]),
  ).command("deeper").option("--flag");
  const got = await bashComplete(completionScript("bash", program), [
    "sockit zz",
    "sockit zz-new --colour ",
    "sockit zz-new --colour auto de",
    "sockit zz-new deeper --f",
    "sockit help zz",
  ]);
  assertEquals(got, ["zz-new", "auto never", "deeper", "--flag", "zz-new"]);
});

Deno.test("completions refuses an unknown shell in one line, exit 2", async () => {
  const result = await runCli(["completions", "tcsh"], { permissions: [] });
  assertEquals(result.code, 2);
  assertEquals(result.text, "");
  assertEquals(
    result.stderr,
    'sockit: shell "tcsh" is not one of bash, zsh, fish\n',
  );
});

Deno.test({
  name: "fish: complete -C offers what the bash script offers",
  ignore: !has("fish"),
  async fn() {
    const file = await Deno.makeTempFile({ suffix: ".fish" });
    await Deno.writeTextFile(file, await script("fish"));
    try {
      const got = await run(
        "fish",
        `source '${file}'
complete -C 'sockit comp'
echo ==
complete -C 'sockit completions '
echo ==
complete -C 'sockit send -w 2s --ipv'`,
      );
      assertEquals(got.join("\n").split("\n==\n"), [
        "completions\tPrint a completion script for bash, zsh or fish",
        "bash\nfish\nzsh",
        "--ipv4\tuse IPv4 only\n--ipv6\tuse IPv6 only",
      ]);
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test({
  name: "zsh: the completion function offers subcommands, values and flags",
  ignore: !has("zsh"),
  async fn() {
    const file = await Deno.makeTempFile({ suffix: ".zsh" });
    await Deno.writeTextFile(file, await script("zsh"));
    // zsh's completion widgets only run inside a line editor: stand-ins
    // record what the function hands them.
    const stubs = `compdef() { :; }
_describe() { print -rl -- "\${(@P)4}"; }
compadd() { print -rl -- "\${(@P)2}"; }
_files() { print files; }`;
    const call = (line: string) =>
      `words=(${line}); CURRENT=\${#words}; _sockit; print SEP`;
    try {
      const got = await run(
        "zsh",
        [
          stubs,
          `source '${file}'`,
          call("sockit comp"),
          call("sockit completions ''"),
          call("sockit send -w 2s -4 --ipv"),
          call("sockit get -o ''"),
        ].join("\n"),
      );
      const replies = got.join("\n").split("\nSEP").map((r) => r.trim());
      assertMatch(replies[0]!, /^echo-tcp:Run a concurrent TCP/);
      assertMatch(replies[0]!, /\ncompletions:Print a completion script/);
      assertEquals(replies[1], "bash\nzsh\nfish");
      assertMatch(replies[2]!, /\n--ipv6:use IPv6 only\n/);
      assertEquals(replies[3], "files");
    } finally {
      await Deno.remove(file);
    }
  },
});
