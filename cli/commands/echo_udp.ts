import type { Command } from "@commander-js/extra-typings";
import { helpFooter } from "../_help.ts";
import {
  allowOption,
  denyOption,
  refuseAddressBesideUnix,
  unixOption,
  verboseHabitOption,
} from "../_server_flags.ts";
import { parseCountOrZero, parseHost, parseListenPort } from "../_options.ts";
import { DEFAULT_ANSWER_RATE } from "../_udp_answer_guard.ts";

/** `sockit echo-udp`: answers each datagram with the same payload. */
export function echoUdpCommand(command: Command): void {
  command
    .option("--host <host>", "address to bind", parseHost, "localhost")
    .option(
      "-p, --port <port>",
      "port to listen on, 0 for any",
      parseListenPort,
      1025,
    )
    .addOption(allowOption("only answer peers in this network (repeatable)"))
    .addOption(denyOption("never answer peers in this network (repeatable)"))
    .addOption(unixOption())
    .option(
      "--rate <n>",
      "answers per second to one source address and port, 0 for no limit",
      parseCountOrZero,
      DEFAULT_ANSWER_RATE,
    )
    .option("-4, --ipv4", "bind the IPv4 address of --host")
    .option("-6, --ipv6", "bind the IPv6 address of --host")
    .option("--json", "print events as NDJSON")
    .option("-x, --hex", "show message events as hex dumps")
    .option("-q, --quiet", "do not print message events")
    .addOption(verboseHabitOption())
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          ["sockit echo-udp --port 1025", "echo datagrams on localhost:1025"],
          [
            "sockit echo-udp -p 0 --json --deny 127.0.0.2/32",
            "any free port, NDJSON events, never answer 127.0.0.2",
          ],
        ],
      }),
    )
    .action(async (options, command) => {
      refuseAddressBesideUnix(
        options,
        (flag) => command.getOptionValueSource(flag) === "cli",
      );
      const { runEchoServer } = await import("../_echo_server.ts");
      Deno.exitCode = await runEchoServer("udp", options);
    });
}
