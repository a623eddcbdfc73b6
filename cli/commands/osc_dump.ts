import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import {
  createClient,
  createServer,
  type NetAddress,
  OscFramer,
  type OscFraming,
  oscNotifier,
  type SocketClient,
  type SocketError,
} from "../../lib/mod.ts";
import { closedEvent, type EventPrinter, eventPrinter } from "../_events.ts";
import { shutdownSignal } from "../_shutdown.ts";
import { helpFooter } from "../_help.ts";
import {
  familyOf,
  parseHost,
  parseListenPort,
  parsePort,
} from "../_options.ts";

/** The command line of `osc dump`, as commander parses it. */
export interface OscDumpOptions {
  host: string;
  tcp?: boolean;
  framing: OscFraming;
  json?: boolean;
  verbose?: boolean;
  forward?: NetAddress;
  ipv4?: boolean;
  ipv6?: boolean;
}

/** `sockit osc dump`: oscdump's lines, or NDJSON, on sockit's servers. */
export function oscDumpCommand(osc: Command): void {
  osc
    .command("dump")
    .description(
      "Print the OSC messages that arrive, one line each, as oscdump",
    )
    .argument(
      "<port>",
      "port to listen on (0 for any), or oscdump's osc.udp://:PORT / osc.tcp://:PORT",
      parseDumpPort,
    )
    .option("--host <host>", "address to bind", parseHost, "localhost")
    .option("-T, --tcp", "accept TCP connections instead of UDP datagrams")
    .option(
      "--framing <framing>",
      "TCP framing: auto, size or slip",
      parseFraming,
      "auto" as OscFraming,
    )
    .option(
      "--forward <host:port>",
      "also send every packet, unchanged, there (UDP, or TCP with -T)",
      parseEndpoint,
    )
    .option("--json", "print NDJSON events instead of oscdump lines")
    .option("-v, --verbose", "also print TCP connections on stderr")
    .option("-4, --ipv4", "bind the IPv4 address of --host")
    .option("-6, --ipv6", "bind the IPv6 address of --host")
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit osc dump 9000",
            "print what arrives on UDP 9000, as oscdump",
          ],
          [
            "sockit osc dump -T --json 9000",
            "TCP (size prefix or SLIP, detected), NDJSON events",
          ],
          [
            "sockit osc dump --forward localhost:8000 9000",
            "sit between a controller and Renoise and show the traffic",
          ],
        ],
      }),
    )
    .action(async ({ port, tcp }, options) => {
      Deno.exitCode = await runOscDump(port, {
        ...options,
        tcp: options.tcp || tcp,
      });
    });
}

/** A port, or oscdump's URL form, whose `tcp` stands for `-T`. */
function parseDumpPort(value: string): { port: number; tcp: boolean } {
  const url = /^osc\.(udp|tcp):\/\/:(\d+)\/?$/.exec(value);
  if (url) return { port: parseListenPort(url[2]!), tcp: url[1] === "tcp" };
  return { port: parseListenPort(value), tcp: false };
}

function parseFraming(value: string): OscFraming {
  if (value === "auto" || value === "size" || value === "slip") return value;
  throw new InvalidArgumentError(
    `framing "${value}" is not auto, size or slip`,
  );
}

function parseEndpoint(value: string): NetAddress {
  const match = /^(\[[^\]]+\]|[^:]+):([^:]+)$/.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      `"${value}" is not host:port (an IPv6 address in brackets)`,
    );
  }
  return { address: parseHost(match[1]!), port: parsePort(match[2]!) };
}

/** Runs the dump until SIGINT or SIGTERM; resolves with exit code 0. */
export async function runOscDump(
  port: number,
  options: OscDumpOptions,
): Promise<number> {
  const protocol = options.tcp ? "tcp" : "udp";
  const family = familyOf(options.host, options);
  const json = options.json ?? false;
  const out = eventPrinter(protocol, "server", options);
  // oscdump's stdout holds only message lines; sockit's own news goes beside it.
  const news = json ? out : eventPrinter(protocol, "server", {}, Deno.stderr);
  const stopping = shutdownSignal();
  const server = await createServer(options.host, port, { protocol, family });
  const forward = options.forward
    ? await Forwarder.open(options.forward, protocol, options.framing, news)
    : undefined;
  // Packets, not messages: the `stopped` line counts datagrams, as echo-udp's.
  let packets = 0;
  let bytesIn = 0;
  let connections = 0;
  const reportError = (error: SocketError) =>
    news.emit({
      event: "error",
      ...(error.peer ? { peer: error.peer } : {}),
      code: error.code,
      message: error.message,
    });
  news.emit({
    event: "listening",
    address: server.localAddress,
    port: server.localPort,
    exposed: server.localAddress === "0.0.0.0" || server.localAddress === "::",
  });
  server.run(oscNotifier({
    oscPacket(packet) {
      packets++;
      bytesIn += packet.length;
      return forward?.send(packet);
    },
    oscMessage(message, info) {
      out.emit({
        event: "osc",
        direction: "in",
        peer: info.peer,
        arrival: info.arrival,
        message,
        bundles: info.bundles,
      });
    },
    socketError: reportError,
    socketAccepted(client: SocketClient) {
      connections++;
      if (json || options.verbose) {
        news.emit({ event: "accepted", peer: client.peer });
      }
    },
    socketClosed(client: SocketClient) {
      if (json || options.verbose) {
        news.emit(closedEvent(client));
      }
    },
  }, { framing: options.framing }));
  await stopping;
  await server.stop();
  forward?.close();
  news.emit({
    event: "stopped",
    connections,
    bytesIn,
    bytesOut: forward?.bytesOut ?? 0,
    messages: packets,
  });
  return 0;
}

/** `--forward`: one client to the target; the first failure ends forwarding. */
class Forwarder {
  bytesOut = 0;
  #client: SocketClient | undefined;
  #framer: OscFramer | undefined;
  #news: EventPrinter;

  private constructor(
    client: SocketClient,
    framer: OscFramer | undefined,
    news: EventPrinter,
  ) {
    this.#client = client;
    this.#framer = framer;
    this.#news = news;
  }

  static async open(
    target: NetAddress,
    protocol: "tcp" | "udp",
    framing: OscFraming,
    news: EventPrinter,
  ): Promise<Forwarder> {
    const client = await createClient(target.address, target.port, {
      protocol,
    });
    const framer = protocol === "tcp"
      ? new OscFramer(framing === "slip" ? "slip" : "size")
      : undefined;
    return new Forwarder(client, framer, news);
  }

  async send(packet: Uint8Array): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const bytes = this.#framer ? this.#framer.frame(packet) : packet;
      await client.send(bytes);
      this.bytesOut += bytes.length;
    } catch (error) {
      this.#client = undefined;
      client.close();
      this.#news.emit({
        event: "error",
        peer: client.peer,
        code: "forward",
        message: `forwarding stopped: ${
          error instanceof Error ? error.message : String(error)
        }`,
      });
    }
  }

  close(): void {
    this.#client?.close();
  }
}
