import type { Command } from "@commander-js/extra-typings";
import { helpFooter } from "../_help.ts";
import {
  allowOption,
  denyOption,
  refuseAddressBesideUnix,
  unixOption,
  verboseHabitOption,
} from "../_server_flags.ts";
import { tlsCertOption, tlsKeyOption } from "../_tls_options.ts";
import {
  parseCount,
  parseDuration,
  parseHost,
  parseListenPort,
} from "../_options.ts";

/** `sockit echo-tcp`: a concurrent RFC 862 echo server. */
export function echoTcpCommand(command: Command): void {
  command
    .option("--host <host>", "address to bind", parseHost, "localhost")
    .option(
      "-p, --port <port>",
      "port to listen on, 0 for any",
      parseListenPort,
      1025,
    )
    .option(
      "-m, --max-conns <n>",
      "close connections over this many at once",
      parseCount,
      100,
    )
    .option(
      "-i, --idle-timeout <duration>",
      "close a connection after this much silence",
      parseDuration,
    )
    .addOption(allowOption())
    .addOption(denyOption())
    .addOption(unixOption())
    .option("-4, --ipv4", "bind the IPv4 address of --host")
    .option("-6, --ipv6", "bind the IPv6 address of --host")
    .addOption(tlsCertOption())
    .addOption(tlsKeyOption())
    .option("--json", "print events as NDJSON")
    .option("-x, --hex", "show message events as hex dumps")
    .option("-q, --quiet", "do not print message events")
    .addOption(verboseHabitOption())
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          ["sockit echo-tcp --port 1025", "echo on localhost:1025"],
          [
            "sockit echo-tcp -p 0 --json -i 30s",
            "any free port, NDJSON events, close after 30 s of silence",
          ],
          [
            "sockit echo-tcp --host 0.0.0.0 --allow 192.168.0.0/16",
            "every IPv4 address, but only LAN peers get an answer",
          ],
          [
            "sockit echo-tcp --unix /tmp/echo.sock -x",
            "a Unix socket; messages as hex dumps",
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
      Deno.exitCode = await runEchoServer("tcp", options);
    });
}
