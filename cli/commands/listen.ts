import {
  type Command,
  InvalidArgumentError,
} from "@commander-js/extra-typings";
import {
  allowOption,
  denyOption,
  type ListenFlags,
  refuseAddressBesideUnix,
  unixOption,
} from "../_server_flags.ts";
import { tlsCertOption, tlsKeyOption } from "../_tls_options.ts";
import { UsageError } from "../_exit.ts";
import { helpFooter } from "../_help.ts";
import {
  noShutdownOption,
  numericOption,
  parseCount,
  parseDuration,
  parseDurationOrZero,
  parseHost,
  parseListenPort,
  refuseSocatAddress,
  shutdownOption,
  SOCAT_FORMS,
  splitHostPort,
} from "../_options.ts";

/** The command line of `listen`, as commander parses it. */
export interface ListenOptions extends ListenFlags {
  host: string;
  /** `-p`: the port, in place of the argument. */
  port?: number;
  udp?: boolean;
  keepOpen?: boolean;
  crlf?: boolean;
  lines?: boolean;
  shutdown: boolean;
  idleTimeout?: number;
  maxConns: number;
  quitAfter?: number;
  json?: boolean;
  verbose?: boolean;
  hex?: boolean;
}

/** `sockit listen`: nc -l, with events and honest exit codes. */
export function listenCommand(command: Command): void {
  command
    .argument("[host]", "address to bind, as --host (nc -l HOST PORT)")
    .argument("[port]", "port to listen on, 0 for any (none with --unix)")
    .option("--host <host>", "address to bind", parseHost, "localhost")
    .option(
      "-p, --port <port>",
      "port to listen on, in place of the argument (nc -l -p)",
      parseListenPort,
    )
    .addOption(unixOption())
    .option("-u, --udp", "use UDP")
    // `nc -lvnp 4444` is in everybody's fingers: -l is taken, as on nc.
    .option("-l, --listen", "taken for nc -l habits: listen always listens")
    .option(
      "-k, --keep-open",
      "serve any number of clients (TCP) or senders (UDP)",
    )
    .option(
      "-m, --max-conns <n>",
      "with -k: close TCP connections over this many at once",
      parseCount,
      100,
    )
    .option(
      "-i, --idle-timeout <duration>",
      "give up (exit 1) after this much silence from the peer",
      parseDuration,
    )
    .option(
      "-q, --quit-after <duration>",
      "end (exit 0) this long after the input ends and the peer is quiet",
      parseDurationOrZero,
    )
    .option("-C, --crlf", "send LF line endings as CRLF")
    .option("--lines", "UDP: one datagram per stdin line, not per read")
    .addOption(shutdownOption())
    .addOption(noShutdownOption())
    .addOption(allowOption())
    .addOption(denyOption())
    .option("-4, --ipv4", "bind the IPv4 address of --host")
    .option("-6, --ipv6", "bind the IPv6 address of --host")
    .addOption(
      numericOption(
        "look up no host names, as nc -n: bind an address (or localhost)",
      ),
    )
    .addOption(tlsCertOption())
    .addOption(tlsKeyOption())
    .option("--json", "print NDJSON events on stdout instead of raw data")
    .option("-x, --hex", "dump sent and received bytes as hex on stderr")
    .option("-v, --verbose", "print connection events on stderr")
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit listen 9000 > received.bin",
            "one TCP client; its bytes to a file, then exit",
          ],
          [
            "sockit listen -k -v 9000",
            "any number of clients; stdin goes to all of them",
          ],
          [
            "sockit listen --tls-cert cert.pem --tls-key key.pem 8443",
            "one TLS client (openssl s_client, sockit send --tls)",
          ],
          [
            "sockit listen -x --unix /tmp/app.sock",
            "a Unix socket; the bytes each way as hex on stderr",
          ],
        ],
      }),
    )
    .action(async (first, second, options, command) => {
      for (const word of [first, second]) {
        if (word !== undefined) {
          refuseSocatAddress(word, SOCAT_FORMS.listen);
        }
      }
      // One word is the port; two are nc's `-l HOST PORT`; with -p (nc -l
      // -p PORT [HOST]) the one word is the host.
      if (options.port !== undefined && second !== undefined) {
        throw new UsageError(
          `the port is given twice: -p ${options.port} and "${second}"`,
        );
      }
      const portFlag = options.port !== undefined;
      const [hostWord, portWord] = second !== undefined || portFlag
        ? [first, second]
        : [undefined, first];
      const port = options.port ?? listenPort(portWord, hostWord === undefined);
      if (hostWord !== undefined) {
        if (command.getOptionValueSource("host") === "cli") {
          throw new UsageError(
            `the host is given twice: --host ${options.host} and "${hostWord}"`,
          );
        }
        options.host = hostArgument(hostWord);
      }
      if (port === undefined && options.unix === undefined) {
        throw new UsageError("missing required argument 'port' (or --unix)");
      }
      refuseAddressBesideUnix(
        options,
        (flag) =>
          flag === "port"
            ? portFlag
            : command.getOptionValueSource("host") === "cli",
        [first, second].filter((word) => word !== undefined),
      );
      const { runListen } = await import("../run/listen.ts");
      Deno.exitCode = await runListen(port ?? 0, options);
    });
}

/**
 * The port word. nc's `HOST:PORT` habit, and a host with the port
 * forgotten, are told the form that works, in the user's own address.
 */
function listenPort(
  value: string | undefined,
  alone: boolean,
): number | undefined {
  if (value === undefined) return undefined;
  const joined = splitHostPort(value);
  if (joined) {
    const [host, port] = joined;
    throw new UsageError(
      `port "${value}" holds a host: give them apart, as in ${host} ${port} or --host ${host} ${port}`,
    );
  }
  try {
    return usage(() => parseListenPort(value));
  } catch (error) {
    if (alone && looksLikeHost(value)) {
      throw new UsageError(
        `port "${value}" looks like a host: give the port after it, as in ${value} 9000`,
      );
    }
    throw error;
  }
}

/** An address or a dotted name: a mistyped service name (`htp`) is not. */
function looksLikeHost(value: string): boolean {
  if (!/[.:]/.test(value) && value.toLowerCase() !== "localhost") return false;
  try {
    parseHost(value);
    return true;
  } catch {
    return false;
  }
}

function hostArgument(value: string): string {
  return usage(() => parseHost(value));
}

/** A parser's complaint, as commander would report it for a flag. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}
