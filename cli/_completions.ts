import type { CommandUnknownOpts } from "@commander-js/extra-typings";

/** The shells `sockit completions` writes scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@linkcode SHELLS}. */
export type Shell = typeof SHELLS[number];

/** A word to offer, with what it means (zsh and fish show it). */
interface Word {
  word: string;
  description: string;
}

/** What can follow one command: read off commander's tree, never listed. */
interface Node {
  /** Subcommand names from the root, joined by `/`; `""` is sockit. */
  key: string;
  subcommands: Word[];
  options: Word[];
  /** Flags that consume the next word, such as `-w`. */
  valued: string[];
  /** For a valued flag: its choices, or `FILES` for a file name. */
  values: Map<string, string[]>;
  /** For the n-th positional argument: its choices. */
  argumentValues: string[][];
}

/** Stands for "complete a file name" among a flag's values. */
const FILES = "<file>";

function nodes(command: CommandUnknownOpts, path: string[] = []): Node[] {
  const options = [...command.options];
  const help = command.createHelp().visibleOptions(command).find((o) =>
    o.long === "--help"
  );
  if (help && !options.includes(help)) options.push(help);
  const node: Node = {
    key: path.join("/"),
    subcommands: command.commands.map((sub) => ({
      word: sub.name(),
      description: sub.description(),
    })),
    options: [],
    valued: [],
    values: new Map(),
    argumentValues: [],
  };
  for (const option of options) {
    if (option.hidden) continue;
    const names = [option.short, option.long].filter((n) => n !== undefined);
    for (const name of names) {
      node.options.push({ word: name, description: option.description });
    }
    if (!option.required && !option.optional) continue;
    node.valued.push(...names);
    const values = option.argChoices ??
      (/<file>|\[file\]/.test(option.flags) ? [FILES] : []);
    for (const name of names) node.values.set(name, values);
  }
  for (const argument of command.registeredArguments) {
    // `help [command]` completes with its siblings, the other commands.
    node.argumentValues.push(
      argument.argChoices ??
        (argument.name() === "command"
          ? (command.parent?.commands ?? []).map((c) => c.name())
          : []),
    );
  }
  return [
    node,
    ...command.commands.flatMap((sub) => nodes(sub, [...path, sub.name()])),
  ];
}

/**
 * A completion script for `shell`, generated from `program`'s command
 * tree: a command or flag added to the CLI is completed without an edit
 * here. The scripts share one walk over the typed words, which finds the
 * subcommand being typed and whether the cursor is on a flag's value.
 */
export function completionScript(
  shell: Shell,
  program: CommandUnknownOpts,
): string {
  const name = program.name();
  const fn = `_${name.replace(/\W/g, "_")}`;
  const tree = nodes(program);
  switch (shell) {
    case "bash":
      return bashScript(name, fn, tree);
    case "zsh":
      return zshScript(name, fn, tree);
    case "fish":
      return fishScript(name, fn, tree);
  }
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The one data function each script asks: `WORDS KEY KIND` prints the
 * words of KIND for the command at KEY, one a line. With `describe`, the
 * word is followed by `separator` and its description.
 */
function wordsFunction(
  fn: string,
  tree: Node[],
  caseSyntax: "sh" | "fish",
  describe?: string,
): string {
  const entries: [string, string[]][] = [];
  const show = (words: Word[]) =>
    words.map((w) =>
      describe && w.description
        ? `${w.word}${describe}${w.description.replace(/\s+/g, " ")}`
        : w.word
    );
  for (const node of tree) {
    entries.push([`${node.key}|subs`, show(node.subcommands)]);
    entries.push([`${node.key}|opts`, show(node.options)]);
    entries.push([`${node.key}|valued`, node.valued]);
    for (const [flag, values] of node.values) {
      entries.push([`${node.key}|val:${flag}`, values]);
    }
    node.argumentValues.forEach((values, i) => {
      entries.push([`${node.key}|arg${i}`, values]);
    });
  }
  const used = entries.filter(([, words]) => words.length > 0);
  if (caseSyntax === "fish") {
    return [
      `function ${fn}_words`,
      `    switch "$argv[1]|$argv[2]"`,
      ...used.map(([key, words]) =>
        `        case ${quote(key)}\n            printf '%s\\n' ${
          words.map(quote).join(" ")
        }`
      ),
      "    end",
      "end",
    ].join("\n");
  }
  return [
    `${fn}_words() {`,
    `  case "$1|$2" in`,
    ...used.map(([key, words]) =>
      `    ${quote(key)}) printf '%s\\n' ${words.map(quote).join(" ")} ;;`
    ),
    "  esac",
    "}",
  ].join("\n");
}

/**
 * The walk, in POSIX-ish shell shared by bash and zsh: sets `cmdpath`
 * (the subcommand's key), `skip` (1 when the cursor is on a flag's value)
 * and `npos` (the positional argument being typed). `$1..` are the words
 * before the cursor, the command name excluded.
 */
function shWalk(fn: string, separator: string): string {
  return `${fn}_walk() {
  cmdpath="" skip=0 npos=0
  local word
  for word in "$@"; do
    # bash splits --wait=2s at "=": the value is the word after it.
    if [ "$skip" = 1 ]; then [ "$word" = "=" ] || skip=0; continue; fi
    case "$word" in
      --*=*) ;;
      -*) ${fn}_words "$cmdpath" valued | grep -qxF -- "$word" && skip=1 ;;
      *)
        if [ "$npos" = 0 ] &&
          ${fn}_words "$cmdpath" subs | cut -d${
    quote(separator)
  } -f1 | grep -qxF -- "$word"; then
          cmdpath="\${cmdpath:+$cmdpath/}$word"
        else
          npos=$((npos + 1))
        fi ;;
    esac
  done
}`;
}

function header(name: string, shell: Shell, install: string): string {
  return [
    `# ${shell} completion for ${name}, generated by \`${name} completions ${shell}\`.`,
    `# Install: ${install}`,
  ].join("\n");
}

function bashScript(name: string, fn: string, tree: Node[]): string {
  return `${
    header(
      name,
      "bash",
      `${name} completions bash > ~/.local/share/bash-completion/completions/${name}`,
    )
  }
${wordsFunction(fn, tree, "sh")}

${shWalk(fn, " ")}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmdpath skip npos values
  [ "$prev" = "=" ] && prev="\${COMP_WORDS[COMP_CWORD-2]}"
  ${fn}_walk "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  COMPREPLY=()
  if [ "$skip" = 1 ]; then
    values="$(${fn}_words "$cmdpath" "val:$prev")"
    if [ "$values" = ${quote(FILES)} ]; then
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
    fi
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(${fn}_words "$cmdpath" opts)" -- "$cur")
  else
    values="$(${fn}_words "$cmdpath" subs) $(${fn}_words "$cmdpath" "arg$npos")"
    mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
  fi
}
complete -F ${fn} ${name}
`;
}

function zshScript(name: string, fn: string, tree: Node[]): string {
  return `#compdef ${name}
${
    header(
      name,
      "zsh",
      `${name} completions zsh > "\${fpath[1]}/_${name}" (then compinit)`,
    )
  }
${wordsFunction(fn, tree, "sh", ":")}

${shWalk(fn, ":")}

${fn}() {
  local cmdpath skip npos
  local -a described values
  ${fn}_walk "\${(@)words[2,CURRENT-1]}"
  if [[ $skip == 1 ]]; then
    values=("\${(@f)$(${fn}_words "$cmdpath" "val:\${words[CURRENT-1]}")}")
    if [[ \${values[1]} == ${quote(FILES)} ]]; then
      _files
    elif [[ -n \${values[1]} ]]; then
      compadd -a values
    fi
  elif [[ \${words[CURRENT]} == -* ]]; then
    described=("\${(@f)$(${fn}_words "$cmdpath" opts)}")
    _describe -t options option described
  else
    described=("\${(@f)$(${fn}_words "$cmdpath" subs)}")
    values=("\${(@f)$(${fn}_words "$cmdpath" "arg$npos")}")
    [[ -n \${described[1]} ]] && _describe -t commands command described
    [[ -n \${values[1]} ]] && compadd -a values
  fi
  return 0
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fishScript(name: string, fn: string, tree: Node[]): string {
  return `${
    header(
      name,
      "fish",
      `${name} completions fish > ~/.config/fish/completions/${name}.fish`,
    )
  }
${wordsFunction(fn, tree, "fish", "\t")}

function ${fn}_candidates
    set -l typed (commandline -opc)
    set -e typed[1]
    set -l cmdpath ""
    set -l skip 0
    set -l npos 0
    for word in $typed
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case '--*=*'
            case '-*'
                contains -- $word (${fn}_words "$cmdpath" valued); and set skip 1
            case '*'
                if test $npos = 0; and contains -- $word (${fn}_words "$cmdpath" subs | string replace -r '\\t.*' '')
                    set cmdpath (string join / -- (string split -n / -- $cmdpath) $word)
                else
                    set npos (math $npos + 1)
                end
        end
    end
    set -l cur (commandline -ct)
    if test $skip = 1
        set -l values (${fn}_words "$cmdpath" "val:$typed[-1]")
        if test "$values" = ${quote(FILES)}
            __fish_complete_path $cur
        else
            printf '%s\\n' $values
        end
    else if string match -q -- '-*' $cur
        ${fn}_words "$cmdpath" opts
    else
        ${fn}_words "$cmdpath" subs
        ${fn}_words "$cmdpath" "arg$npos"
    end
end

complete -c ${name} -f -a '(${fn}_candidates)'
`;
}
