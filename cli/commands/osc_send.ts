import type { Command } from "@commander-js/extra-typings";
import { helpFooter } from "../_help.ts";
import { durationOption } from "../_options.ts";

/** The command line of `osc send`, as commander parses it. */
export interface OscSendOptions {
  tcp?: boolean;
  slip?: boolean;
  at?: string;
  timing: boolean;
  wait: number;
  json?: boolean;
  verbose?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

/** `sockit osc send`: oscsend's grammar, and more types, TCP and replay. */
export function oscSendCommand(osc: Command): void {
  osc
    .command("send")
    .description(
      "Send an OSC message (or stdin lines, with replay timing) as oscsend does",
    )
    .usage(
      "[options] <host> <port> <address> [types] [values...]\n" +
        "       sockit osc send [options] osc.udp://host:port <address> [types] [values...]\n" +
        "       sockit osc send [options] <host> <port>   (lines from stdin)",
    )
    .argument(
      "<target...>",
      "host and port, or an osc.udp:// or osc.tcp:// URL, then the message",
    )
    // Options stop at the host, so `-5` and `-4` after it are values.
    .passThroughOptions()
    .option("-T, --tcp", "use TCP with a size prefix (liblo's framing)")
    .option("--slip", "use TCP with SLIP framing (OSC 1.1)")
    .option(
      "--at <time>",
      "wrap in a bundle for this time: ISO 8601 or +500ms from now",
    )
    .option("--no-timing", "replay stdin lines as fast as possible")
    .addOption(
      durationOption("-w, --wait <duration>", "TCP connect timeout", 2000),
    )
    .option("--json", "print each sent message as an NDJSON event on stdout")
    .option("-v, --verbose", "print each sent message on stderr")
    .option("-4, --ipv4", "use IPv4 only")
    .option("-6, --ipv6", "use IPv6 only")
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit osc send localhost 8000 /renoise/song/bpm f 127.5",
            "set Renoise's tempo (UDP, oscsend's grammar)",
          ],
          [
            "sockit osc send osc.tcp://localhost:9000 /mixer/gain if 3 -0.5",
            "over TCP with a size prefix; -0.5 is a value, not an option",
          ],
          [
            "sockit osc send localhost 8000 < session.txt",
            "replay lines recorded by osc dump (or oscdump) with their timing",
          ],
        ],
      }),
    )
    .action(async (target, options) => {
      const { runOscSend } = await import("../run/osc_send.ts");
      Deno.exitCode = await runOscSend(target, options);
    });
}
