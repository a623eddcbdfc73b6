import { Argument, type Command } from "@commander-js/extra-typings";
import { completionScript, SHELLS } from "../_completions.ts";
import { helpFooter } from "../_help.ts";
import { ExitCode } from "../_exit.ts";
import { writeAll } from "../_stdio.ts";

/** `sockit completions`: a completion script for bash, zsh or fish. */
export function completionsCommand(command: Command): void {
  command
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "source <(sockit completions bash)",
            "complete sockit in this bash session",
          ],
          [
            "sockit completions zsh > ~/.zfunc/_sockit",
            "for zsh: ~/.zfunc in fpath before compinit",
          ],
          [
            "sockit completions fish > ~/.config/fish/completions/sockit.fish",
            "for fish, from the next shell on",
          ],
        ],
        exitCodes: [ExitCode.Ok, ExitCode.Usage, ExitCode.BrokenPipe],
      }),
    )
    .action(async (shell) => {
      // Built when asked, so it covers every command of the whole tree
      // (main() builds all of them for `completions`).
      const script = completionScript(shell, command.parent ?? command);
      await writeAll(Deno.stdout, new TextEncoder().encode(script));
    });
}
