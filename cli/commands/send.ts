import type { Command } from "@commander-js/extra-typings";
import { UsageError } from "../_exit.ts";
import { helpFooter } from "../_help.ts";
import { cacertOption, servernameOption } from "../_tls_options.ts";
import {
  durationOption,
  noShutdownOption,
  numericOption,
  parseDuration,
  parseDurationOrZero,
  parsePort,
  parseTarget,
  shutdownOption,
  unixPathOf,
} from "../_options.ts";

/** The command line of `send`, as commander parses it. */
export interface SendOptions {
  udp?: boolean;
  wait: number;
  idleTimeout?: number;
  quitAfter?: number;
  crlf?: boolean;
  lines?: boolean;
  shutdown: boolean;
  json?: boolean;
  verbose?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  /** `-n`: the host must be an address. */
  numeric?: boolean;
  tls?: boolean;
  cacert?: string[];
  servername?: string;
  hex?: boolean;
}

/** `sockit send`: nc's client, with the lifecycle nc users ask for. */
export function sendCommand(command: Command): void {
  command
    .argument(
      "<host>",
      "name, IPv4 or IPv6 address ([::1] or ::1), or unix:PATH",
      parseTarget,
    )
    .argument("[port]", "port, 1-65535 (none after unix:PATH)")
    .argument(
      "[message...]",
      "sent joined by spaces, no newline added; else stdin",
    )
    .option("-u, --udp", "use UDP: one datagram per message or stdin read")
    .option("--lines", "UDP: one datagram per stdin line, newline kept")
    .addOption(durationOption("-w, --wait <duration>", "connect timeout", 2000))
    .option(
      "-i, --idle-timeout <duration>",
      "give up (exit 1) after this much silence",
      parseDuration,
    )
    .option(
      "-q, --quit-after <duration>",
      "end (exit 0) this long after the input ends; UDP default 1s",
      parseDurationOrZero,
    )
    .option("-C, --crlf", "send LF line endings as CRLF")
    .addOption(shutdownOption())
    .addOption(noShutdownOption())
    .option("--json", "print NDJSON events instead of raw data")
    .option("-x, --hex", "dump sent and received bytes as hex on stderr")
    .option("-v, --verbose", "print connection events on stderr")
    .option("-4, --ipv4", "use IPv4 only")
    .option("-6, --ipv6", "use IPv6 only")
    .addOption(numericOption())
    .option("--tls", "connect with TLS; the certificate is always verified")
    .addOption(cacertOption())
    .addOption(servernameOption())
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit send localhost 1025 hello",
            "send hello, print replies until the peer closes",
          ],
          [
            String
              .raw`printf 'HEAD / HTTP/1.0\r\n\r\n' | sockit send example.com http`,
            "a request typed by hand; the port as a service name",
          ],
          [
            "sockit send -u -q 2 localhost 1025 ping",
            "one UDP datagram; print replies for 2 seconds",
          ],
          [
            "sockit send --tls --cacert self.pem localhost 8443 hello",
            "TLS, trusting a private CA or a self-signed server certificate",
          ],
        ],
      }),
    )
    .action(async (host, portArg, words, options) => {
      let port = 0;
      let message = words;
      if (unixPathOf(host) !== undefined) {
        // A Unix target takes no port: what stands there is the message.
        if (portArg !== undefined) message = [portArg, ...words];
      } else if (portArg === undefined) {
        throw new UsageError("missing required argument 'port'");
      } else {
        port = parsePort(portArg);
      }
      const { runSend } = await import("../run/send.ts");
      Deno.exitCode = await runSend(host, port, message, options);
    });
}
