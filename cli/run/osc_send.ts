import {
  createClient,
  encodeOsc,
  type OscArgument,
  OscFramer,
  type OscMessage,
  type OscPacket,
  type SocketClient,
  SocketError,
  timetagToMillis,
} from "../../lib/mod.ts";
import type { OscSendOptions } from "../commands/osc_send.ts";
import {
  closedEvent,
  errorEvent,
  type EventPrinter,
  eventPrinter,
} from "../_events.ts";
import { UsageError } from "../_exit.ts";
import { readChunks } from "../_stdio.ts";
import { parseOscLine } from "../_osc_line.ts";
import {
  parseOscArguments,
  parseTimeValue,
  timetagAt,
  type Token,
} from "../_osc_values.ts";
import {
  familyOf,
  parseDurationOrZero,
  parseHost,
  parsePort,
} from "../_options.ts";

const URL_TARGET = /^osc\.(udp|tcp):\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/;

interface Target {
  host: string;
  port: number;
  protocol: "udp" | "tcp";
  rest: string[];
}

function parseTarget(args: string[], options: OscSendOptions): Target {
  const url = URL_TARGET.exec(args[0] ?? "");
  const tcp = options.tcp || options.slip;
  if (url) {
    if (url[1] === "udp" && tcp) {
      throw new UsageError(
        `"${args[0]}" is a UDP URL, but -T or --slip was given`,
      );
    }
    return {
      host: parseHost(url[2] || "localhost"),
      port: parsePort(url[3]!),
      protocol: url[1] === "tcp" || tcp ? "tcp" : "udp",
      rest: args.slice(1),
    };
  }
  if (args[0]?.startsWith("osc.")) {
    throw new UsageError(
      `URL "${args[0]}" is not osc.udp://host:port or osc.tcp://host:port`,
    );
  }
  if (args.length < 2) throw new UsageError("missing the port after the host");
  return {
    host: parseHost(args[0]!),
    port: parsePort(args[1]!),
    protocol: tcp ? "tcp" : "udp",
    rest: args.slice(2),
  };
}

/** Builds one message from its words; every mistake is a usage error. */
function buildMessage(
  address: string,
  types: string,
  values: Token[],
): OscMessage {
  if (!address.startsWith("/")) {
    throw new UsageError(`address "${address}" does not start with /`);
  }
  const args: OscArgument[] = parseOscArguments(types, values);
  return { address, args };
}

/** `--at`: an absolute time, or `+duration` from now. */
function parseAt(text: string): bigint {
  const timetag = text.startsWith("+")
    ? timetagAt(Date.now() + laterMs(text.slice(1)))
    : parseTimeValue(text);
  if (timetag === undefined) {
    throw new UsageError(
      `--at "${text}" is not an ISO 8601 time from 1900 to 2036, a timetag or +duration`,
    );
  }
  return timetag;
}

/** The duration after `+`, or NaN when it is not one (refused above). */
function laterMs(text: string): number {
  try {
    return parseDurationOrZero(text);
  } catch {
    return NaN;
  }
}

/** Parses, connects, sends; resolves with the exit code. */
export async function runOscSend(
  args: string[],
  options: OscSendOptions,
): Promise<number> {
  const target = parseTarget(args, options);
  const family = familyOf(target.host, options);
  const at = options.at === undefined ? undefined : parseAt(options.at);
  const single = target.rest.length > 0
    ? buildMessage(
      target.rest[0]!,
      target.rest[1] ?? "",
      target.rest.slice(2).map((text) => ({ text, quoted: true })),
    )
    : undefined;
  const report = options.json || options.verbose
    ? eventPrinter(target.protocol, "client", options, Deno.stderr)
    : undefined;
  let client: SocketClient;
  try {
    client = await createClient(target.host, target.port, {
      protocol: target.protocol,
      family,
      timeout: options.wait,
    });
  } catch (error) {
    // --json: a connection that never came is in the stream too, as `send`'s.
    if (options.json && error instanceof SocketError) {
      report?.emit(
        errorEvent(
          error,
          error.peer ?? { address: target.host, port: target.port },
        ),
      );
    }
    throw error;
  }
  report?.emit({
    event: "connected",
    peer: client.peer,
    local: { address: client.localAddress, port: client.localPort },
  });
  const sender = new OscSender(client, options, at, report);
  try {
    if (single) await sender.send([single]);
    else await sender.replay(readLines());
    // A FIN after the last packet: it is flushed, and the peer sees the end.
    if (client.protocol === "tcp") await client.closeWrite();
  } finally {
    client.close();
    report?.emit(closedEvent(client));
  }
  return 0;
}

/** Longer stdin lines are refused: no OSC packet needs one. */
const MAX_LINE = 1024 * 1024;

/**
 * Stdin as text lines, without their `\n`. A line over {@linkcode MAX_LINE},
 * complete or still arriving, is refused with its number.
 */
async function* readLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  let number = 0;
  const checked = (line: string) => {
    number++;
    if (line.length > MAX_LINE) {
      throw new UsageError(
        `stdin line ${number}: the line is longer than 1 MiB`,
      );
    }
    return line;
  };
  for await (const chunk of readChunks()) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) yield checked(line);
    if (pending.length > MAX_LINE) {
      checked(pending);
    }
  }
  pending += decoder.decode();
  if (pending) yield checked(pending);
}

/** Frames, sends and reports packets for one connection. */
class OscSender {
  #client: SocketClient;
  #framer: OscFramer | undefined;
  #at: bigint | undefined;
  #timing: boolean;
  #report: EventPrinter | undefined;

  constructor(
    client: SocketClient,
    options: OscSendOptions,
    at: bigint | undefined,
    report: EventPrinter | undefined,
  ) {
    this.#client = client;
    this.#framer = client.protocol === "tcp"
      ? new OscFramer(options.slip ? "slip" : "size")
      : undefined;
    this.#at = at;
    this.#timing = options.timing;
    this.#report = report;
  }

  /**
   * Sends messages as one packet: a plain message, or a bundle when there
   * are several (they shared a timetag in the recording) or `--at` is set.
   */
  async send(messages: OscMessage[]): Promise<void> {
    const timetag = this.#at ?? (messages.length > 1 ? 1n : undefined);
    const packet: OscPacket = timetag === undefined
      ? messages[0]!
      : { timetag, elements: messages };
    const bytes = encodeOsc(packet);
    await this.#client.send(this.#framer ? this.#framer.frame(bytes) : bytes);
    const arrival = Date.now();
    for (const message of messages) {
      this.#report?.emit({
        event: "osc",
        direction: "out",
        peer: this.#client.peer,
        arrival,
        message,
        bundles: timetag === undefined ? [] : [timetag],
      });
    }
  }

  /**
   * Sends stdin lines. Consecutive lines with the same timetag go as one
   * bundle; timetags set the spacing in time unless `--no-timing`.
   */
  async replay(lines: AsyncIterable<string>): Promise<void> {
    let group: OscMessage[] = [];
    let groupTime: bigint | undefined;
    let origin: { timetag: bigint; ms: number } | undefined;
    let number = 0;
    const flush = async () => {
      if (group.length === 0) return;
      if (this.#timing && groupTime !== undefined) {
        origin ??= { timetag: groupTime, ms: performance.now() };
        const due = origin.ms + timetagToMillis(groupTime) -
          timetagToMillis(origin.timetag);
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await this.send(group);
      group = [];
    };
    for await (const text of lines) {
      number++;
      let message: OscMessage;
      let timetag: bigint | undefined;
      try {
        const line = parseOscLine(text);
        if (line === undefined) continue;
        timetag = line.timetag;
        message = buildMessage(line.address, line.types, line.values);
      } catch (error) {
        if (error instanceof UsageError) {
          throw new UsageError(`stdin line ${number}: ${error.message}`);
        }
        throw error;
      }
      if (timetag === undefined || timetag !== groupTime) {
        await flush();
      }
      groupTime = timetag;
      group.push(message);
      if (timetag === undefined) await flush();
    }
    await flush();
  }
}
