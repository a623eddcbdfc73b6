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
import type { OscDumpOptions } from "../commands/osc_dump.ts";
import {
  closedEvent,
  errorEvent,
  type EventPrinter,
  eventPrinter,
} from "../_events.ts";
import { shutdownSignal } from "../_shutdown.ts";
import { listeningEvent } from "../_serving.ts";
import { familyOf } from "../_options.ts";

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
  const reportError = (error: SocketError) => news.emit(errorEvent(error));
  news.emit(listeningEvent(server));
  server.run(oscNotifier({
    oscPacket(packet) {
      packets++;
      // A datagram is its packet; a TCP stream also holds framing and bytes
      // that frame nothing, which its closed line counts (socketClosed).
      if (protocol === "udp") bytesIn += packet.length;
      return forward?.send(packet);
    },
    oscMessage(message, info) {
      // A file or pipe that falls behind paces the server, not its memory.
      return out.emitData({
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
      bytesIn += client.bytesReceived;
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
