import type { Command } from "@commander-js/extra-typings";
import { oscSendCommand } from "./osc_send.ts";
import { oscDumpCommand } from "./osc_dump.ts";
import { helpFooter } from "../_help.ts";

/** `sockit osc`: Open Sound Control, as liblo's oscsend and oscdump. */
export function oscCommand(command: Command): void {
  command
    // Lets `osc send` stop option parsing at the host: values may be `-5`.
    .enablePositionalOptions()
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit osc send localhost 8000 /renoise/transport/start",
            "start Renoise's transport",
          ],
          ["sockit osc dump 9000", "print OSC messages as they arrive"],
        ],
      }),
    );
  oscSendCommand(command);
  oscDumpCommand(command);
}
