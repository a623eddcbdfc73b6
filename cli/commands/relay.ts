import type { Command } from "@commander-js/extra-typings";
import { allowOption, denyOption, type ListenFlags } from "../_server_flags.ts";
import { helpFooter } from "../_help.ts";
import {
  cacertOption,
  servernameOption,
  tlsCertOption,
  tlsKeyOption,
} from "../_tls_options.ts";
import {
  durationOption,
  parseCount,
  parseDuration,
  parseListenEndpoint,
  parseTargetEndpoint,
} from "../_options.ts";

/**
 * ncat's connect timeout. Not the 2 s of `send`: a relay's connects share
 * one event loop with every busy pair, and Deno sees a loopback connect
 * complete only seconds later when hundreds of pairs are copying (a bare
 * Deno loop with 200 busy pairs: median 1.8 s, max 3.1 s, while its timers
 * ran within 70 ms). At 2 s a burst of clients lost whole pairs to the
 * relay's own load, each a `timeout` error and a client that got nothing.
 */
const RELAY_CONNECT_TIMEOUT_MS = 10_000;

/** The command line of `relay`, as commander parses it. */
export interface RelayOptions extends ListenFlags {
  udp?: boolean;
  wait: number;
  idleTimeout?: number;
  maxConns: number;
  json?: boolean;
  quiet?: boolean;
  hex?: boolean;
  targetTls?: boolean;
  cacert?: string[];
  servername?: string;
}

/** `sockit relay`: socat's port forwarding, with events. */
export function relayCommand(command: Command): void {
  command
    .argument(
      "<listen>",
      "[host:]port to listen on (host: localhost; port 0 for any), or unix:PATH",
      parseListenEndpoint,
    )
    .argument(
      "<target>",
      "host:port or unix:PATH to forward to",
      parseTargetEndpoint,
    )
    .option("-u, --udp", "relay UDP: one upstream socket per client")
    .addOption(
      durationOption(
        "-w, --wait <duration>",
        "connect timeout towards the target",
        RELAY_CONNECT_TIMEOUT_MS,
      ),
    )
    .option(
      "-i, --idle-timeout <duration>",
      "close a pair after this much silence (UDP default 60s)",
      parseDuration,
    )
    .option(
      "-m, --max-conns <n>",
      "refuse clients over this many pairs at once",
      parseCount,
      100,
    )
    .addOption(
      allowOption("only accept clients in this network (repeatable)"),
    )
    .addOption(denyOption("refuse clients in this network (repeatable)"))
    .option("-4, --ipv4", "use IPv4 only")
    .option("-6, --ipv6", "use IPv6 only")
    .option("--json", "print events as NDJSON")
    .option("-q, --quiet", "do not print message events")
    .option("-x, --hex", "print messages as hexdump -C blocks")
    .addOption(tlsCertOption())
    .addOption(tlsKeyOption())
    .option(
      "--target-tls",
      "connect to the target with TLS; its certificate is always verified",
    )
    .addOption(
      cacertOption(
        "--target-tls: also trust this PEM CA or self-signed certificate (repeatable)",
      ),
    )
    .addOption(
      servernameOption("--target-tls: the SNI name and the name verified"),
    )
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit relay 8080 example.com:80",
            "forward localhost:8080 to example.com, printing the traffic",
          ],
          [
            "sockit relay -u -i 30s 0.0.0.0:5353 10.0.0.53:53",
            "UDP from every interface; mappings idle 30 s are dropped",
          ],
          [
            "sockit relay --tls-cert cert.pem --tls-key key.pem 8443 localhost:8080",
            "terminate TLS in front of a plain server",
          ],
          [
            "sockit relay -x 2375 unix:/var/run/docker.sock",
            "a Unix socket's service on localhost:2375; messages as hex dumps",
          ],
        ],
      }),
    )
    .action(async (listen, target, options) => {
      const { runRelay } = await import("../run/relay.ts");
      Deno.exitCode = await runRelay(listen, target, options);
    });
}
