import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { ExitCode, UsageError } from "./_exit.ts";
import { DURATION_SYNTAX } from "./_options.ts";

/** What every exit code means, as `--help` lists it. */
const EXIT_CODES: Record<number, string> = {
  [ExitCode.Ok]: "done: the session or server ended normally",
  [ExitCode.Network]:
    "network: refused, unreachable, reset, DNS failure, timeout, bad response",
  [ExitCode.Usage]:
    "usage: unknown command or flag, bad value, missing argument",
  [ExitCode.HttpError]: "get -f: the server answered 400 or above (as curl)",
  [ExitCode.WriteError]:
    "get: the output could not be written, or binary refused on a terminal",
  [ExitCode.BrokenPipe]: "stdout's reader went away (| head), silently",
};

/** The exit codes of a command that names none of its own. */
const COMMON_EXIT_CODES = [
  ExitCode.Ok,
  ExitCode.Network,
  ExitCode.Usage,
  ExitCode.BrokenPipe,
];

/** The end of one command's `--help`. */
export interface HelpFooter {
  /** 2 to 4 command lines that work as written, each with what it does. */
  examples: [commandLine: string, what: string][];
  /** The exit codes this command can end with; default 0, 1, 2, 141. */
  exitCodes?: number[];
}

/**
 * The examples and exit codes that end a command's `--help`: pass the
 * result to `.addHelpText("after", …)`. Every command builds its footer
 * here, so all of them read alike.
 */
export function helpFooter(footer: HelpFooter): string {
  return [
    "",
    "Examples:",
    ...footer.examples.flatMap(([line, what]) => [
      `  $ ${line}`,
      `      ${what}`,
    ]),
    "",
    exitCodeList(footer.exitCodes ?? COMMON_EXIT_CODES),
  ].join("\n");
}

function exitCodeList(codes: number[]): string {
  return [
    "Exit codes:",
    ...codes.map((code) =>
      `  ${String(code).padEnd(4)} ${EXIT_CODES[code] ?? ""}`.trimEnd()
    ),
  ].join("\n");
}

/** The syntax shared by every command, said once, in `sockit --help`. */
export function programHelpFooter(footer: HelpFooter): string {
  return [
    helpFooter({
      examples: footer.examples,
      exitCodes: Object.keys(EXIT_CODES).map(Number),
    }),
    "",
    "Values:",
    `  DURATION  ${DURATION_SYNTAX}`,
    "  PORT      1-65535, or a service name such as http, ssh or ntp",
    "  HOST      a name, IPv4, or IPv6 with or without brackets ([::1], fe80::1%1)",
    "",
    "Run 'sockit help <command>' for a command's options and examples.",
  ].join("\n");
}

/**
 * `sockit help [command...]`: help on stdout and exit 0, as asked; an unknown
 * command is a usage error that suggests the closest name. Replaces
 * commander's own help command, which exits 2 after `help send` and
 * answers an unknown name with the whole program help and no hint. Call
 * it after every other command: it also gives each command group (such as
 * `sockit osc`) its own `help`.
 */
export function helpCommand(program: CommandUnknownOpts): void {
  for (const group of [program, ...descendants(program)]) {
    if (group.commands.length === 0) continue;
    group.helpCommand(false);
    group
      .command("help")
      .description("display help for a command")
      .argument("[command...]", "the command to explain (osc send)")
      .action((names) => {
        // `sockit help osc send` walks down as `sockit osc send --help` does.
        let command = group;
        for (const name of names) {
          const sub = command.commands.find((c) =>
            c.name() === name || c.aliases().includes(name)
          );
          if (!sub) throw new UsageError(unknownCommand(command, name));
          command = sub;
        }
        command.outputHelp();
      });
  }
}

function descendants(command: CommandUnknownOpts): CommandUnknownOpts[] {
  return command.commands.flatMap((sub) => [sub, ...descendants(sub)]);
}

function unknownCommand(group: CommandUnknownOpts, name: string): string {
  const path = [];
  for (let c = group; c.parent; c = c.parent) path.unshift(c.name());
  const typed = [...path, name].join(" ");
  const names = group.commands.map((c) => c.name());
  if (names.length === 0) {
    return `unknown command '${typed}' (${group.name()} has no subcommands)`;
  }
  const closest = closestName(name, names);
  return closest
    ? `unknown command '${typed}' (did you mean '${closest}'?)`
    : `unknown command '${typed}' (commands: ${names.join(", ")})`;
}

/**
 * The candidate nearest `word` by edit distance (adjacent swaps count as
 * one), if it shares more than 40% with it: a typo, not a different word.
 * commander uses the same rule after `sockit snd`.
 */
export function closestName(
  word: string,
  candidates: string[],
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length > 0.4 && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i || j),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}
