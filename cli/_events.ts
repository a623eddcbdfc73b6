import type {
  NetAddress,
  SocketClient,
  SocketError,
  TlsInfo,
} from "../lib/mod.ts";
import { escapeBytes, escapeInto, utf8Text } from "./_escape.ts";
import { messageOf } from "./_failure.ts";
import {
  EventOutput,
  eventOutput,
  type OutputStream,
} from "./_event_output.ts";
import { hexDump, toHex } from "./_hex_dump.ts";
import { Utf8Carry } from "./_utf8_carry.ts";
import { formatPeer, type MessageHeads, peerTextOf } from "./_peer_text.ts";
import {
  formatOscLine,
  type OscEventData,
  oscJsonFields,
} from "./_osc_format.ts";

/** Peer data longer than this is cut in human lines. */
export const HUMAN_MESSAGE_LIMIT = 256;

/** Everything a server or `send` reports, before it becomes text. */
export type SockitEvent =
  | {
    event: "listening";
    address: string;
    port: number;
    exposed: boolean;
    /** A relay's target. */
    target?: NetAddress;
    tls?: boolean;
  }
  | { event: "accepted"; peer: NetAddress; tls?: TlsInfo }
  | {
    event: "message";
    peer: NetAddress;
    data: Uint8Array;
    /** A relay's direction: `up` client → target, `down` back. */
    direction?: "up" | "down";
    /** Bytes before this chunk in its stream, so hex offsets run on. */
    offset?: number;
  }
  | { event: "closed"; peer: NetAddress; bytesIn: number; bytesOut: number }
  | { event: "closed"; peer: NetAddress; bytesUp: number; bytesDown: number }
  | { event: "rejected"; peer: NetAddress; reason: string }
  | {
    event: "error";
    peer?: NetAddress;
    target?: NetAddress;
    code: string;
    message: string;
  }
  | {
    event: "stopped";
    connections: number;
    bytesIn: number;
    bytesOut: number;
    messages: number;
  }
  | {
    event: "stopped";
    connections: number;
    bytesUp: number;
    bytesDown: number;
  }
  | {
    event: "connected";
    peer: NetAddress;
    local: NetAddress;
    /** A relay's target; `peer` is then the client. */
    target?: NetAddress;
    tls?: TlsInfo;
  }
  | { event: "sent"; peer: NetAddress; data: Uint8Array }
  | { event: "received"; peer: NetAddress; data: Uint8Array }
  | {
    event: "port";
    peer: NetAddress;
    state: "open" | "closed" | "filtered";
    /** `scan --banner`: the first bytes the port sent. */
    data?: Uint8Array;
  }
  | { event: "dropped"; count: number }
  | ({ event: "osc"; direction: "in" | "out" } & OscEventData);

/**
 * Events dropped, counted, when output backs up and its reader is a
 * terminal or stalled: then the network does not wait for output (a file
 * or a pipe that takes lines is waited for: `backlog()`). Everything else
 * is only dropped when the bounded queue is full.
 */
const DROPPABLE = new Set<SockitEvent["event"]>(["message"]);

const never = new Promise<void>(() => {});

/** The `closed` event of one connection, with its byte counts. */
export function closedEvent(
  client: Pick<SocketClient, "peer" | "bytesReceived" | "bytesSent">,
): Extract<SockitEvent, { bytesIn: number }> {
  return {
    event: "closed",
    peer: client.peer,
    bytesIn: client.bytesReceived,
    bytesOut: client.bytesSent,
  };
}

/**
 * The `error` event of a {@linkcode SocketError}: its code and message,
 * and the peer it names (or `peer`, when the caller knows better).
 */
export function errorEvent(
  error: SocketError,
  peer: NetAddress | undefined = error.peer,
): Extract<SockitEvent, { event: "error" }> {
  return {
    event: "error",
    ...(peer ? { peer } : {}),
    code: error.code,
    message: error.message,
  };
}

/** Peers whose dump offsets are remembered at most; UDP peers never close. */
const HEX_OFFSETS_KEPT = 4096;

/** The one place that turns events into human lines or NDJSON. */
export class EventPrinter {
  readonly json: boolean;
  #transport: "tcp" | "udp";
  /** JSON's `transport`: `unix` and `unixgram` (Go's names) for Unix sockets. */
  #jsonTransport: string;
  #role: "server" | "client";
  #output: EventOutput | undefined;
  #write: (line: string) => unknown;
  #dropped = 0;
  #hex: boolean;
  #lossless: boolean;
  /**
   * Bytes dumped so far per direction and peer, for events that do not
   * bring their own offset (a UDP server's datagrams, `send`'s chunks).
   */
  #offsets = new Map<string, number>();
  /** Per peer and direction: text split across TCP reads stays text. */
  #carry = new Utf8Carry();

  /**
   * @param output Where lines go: {@linkcode lineWriter}'s bounded writer,
   *   or any function (tests collect lines with one).
   * @param options `hex` shows message data as `hexdump -C` blocks (JSON: a
   *   `hex` field). `lossless`: the events carry the command's data (`send`
   *   and `listen` with `--json`), so none is dropped for a slow reader and
   *   {@linkcode EventPrinter.backlog} waits however long it takes. `unix`:
   *   the command's own socket is a Unix one, which JSON's `transport` says.
   */
  constructor(
    transport: "tcp" | "udp",
    role: "server" | "client",
    json: boolean,
    output: EventOutput | ((line: string) => void),
    { hex = false, lossless = false, unix = false }: {
      hex?: boolean;
      lossless?: boolean;
      unix?: boolean;
    } = {},
  ) {
    this.#transport = transport;
    this.#jsonTransport = unix
      ? (transport === "udp" ? "unixgram" : "unix")
      : transport;
    this.#role = role;
    this.json = json;
    if (output instanceof EventOutput) {
      this.#output = output;
      if (lossless) output.keepsData();
      this.#write = (line) => output.write(line);
    } else {
      this.#write = output;
    }
    this.#hex = hex;
    this.#lossless = lossless;
  }

  /**
   * Resolves when stdout's reader went away; a command races it with its
   * work and stops (exit 141 comes from main()).
   */
  get broken(): Promise<void> {
    return this.#output?.broken ?? never;
  }

  /**
   * Whether output is backed up: a client whose events are its data (send
   * --json) awaits {@linkcode EventPrinter.ready} rather than lose them.
   */
  get congested(): boolean {
    return this.#output?.congested ?? false;
  }

  /** Resolves once output is no longer backed up, however long it takes. */
  ready(): Promise<void> {
    return this.#output?.ready() ?? Promise.resolve();
  }

  /**
   * After an event with peer data: what to await before reading on, while
   * output to a file or pipe is backed up and its reader still takes lines
   * (see {@linkcode EventOutput.backlog}), or for a lossless printer while
   * output is backed up at all; `undefined` when there is nothing to wait
   * for. A command that skips it loses events, not data.
   */
  backlog(): Promise<void> | undefined {
    const output = this.#output;
    if (!this.#lossless) return output?.backlog();
    return output?.congested ? output.ready() : undefined;
  }

  /**
   * {@linkcode EventPrinter.emit} for an event that carries peer data (a
   * message, or what was sent or received), then its
   * {@linkcode EventPrinter.backlog}: what to await before reading on.
   */
  emitData(event: SockitEvent): Promise<void> | undefined {
    this.emit(event);
    return this.backlog();
  }

  /**
   * Formats and queues one event. Never blocks: with output backed up and
   * its reader a terminal or stalled, message events are dropped
   * unformatted and counted, and an `events dropped` notice precedes the
   * next event that gets through. The line is made before this returns:
   * `data` may be a view into a read buffer that the next read overwrites
   * (relay, borrowed messages).
   */
  emit(event: SockitEvent): void {
    // Hex dumps show the bytes as they came, offsets and all.
    if (this.#transport === "tcp" && !this.#hex) {
      if (event.event === "closed") {
        this.#flushCarry(event.peer, "bytesUp" in event);
      } else if (
        event.event === "message" ||
        (this.json && (event.event === "sent" || event.event === "received"))
      ) {
        // A datagram is whole; a TCP chunk may end inside a character.
        const { peer } = event;
        const direction = event.event === "sent" ||
            (event.event === "message" && event.direction === "up")
          ? ">"
          : "<";
        const data = this.#carry.join(event.data, carryKey(direction, peer));
        if (data.length === 0) return;
        if (data !== event.data) event = { ...event, data };
      }
    }
    this.#print(event);
  }

  #print(event: SockitEvent): void {
    const output = this.#output;
    if (
      output &&
      (output.full ||
        (output.shedding && !this.#lossless && DROPPABLE.has(event.event)))
    ) {
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0) {
      const count = this.#dropped;
      this.#dropped = 0;
      this.#print({ event: "dropped", count });
    }
    if (
      event.event === "message" && this.#output && !this.json && !this.#hex
    ) {
      // The hot line: peer data escaped straight into the output's queue.
      const data = event.data;
      const heads = messageHeads(event.peer);
      this.#output.writeRendered(
        heads.bytes[event.direction === "down" ? 1 : 0],
        shownPart(data),
        data.length <= HUMAN_MESSAGE_LIMIT
          ? CLOSING_QUOTE
          : utf8.encode(quoteEnd(data)),
        escapeInto,
      );
      return;
    }
    const line = this.json ? this.#toJson(event) : this.#toHuman(event);
    if (line !== undefined) this.#write(line);
  }

  /**
   * A stream that ended inside a character: show its last bytes as they
   * are. A relay's streams are its two directions.
   */
  #flushCarry(peer: NetAddress, relay: boolean): void {
    // The common case, and a relay's with -q always: no key to look up.
    if (this.#carry.isEmpty) return;
    for (const direction of [">", "<"] as const) {
      const data = this.#carry.flush(carryKey(direction, peer));
      if (data === undefined) continue;
      if (relay) {
        const way = direction === ">" ? "up" : "down";
        this.#print({ event: "message", peer, data, direction: way });
      } else if (direction === ">") this.#print({ event: "sent", peer, data });
      else if (this.#role === "server") {
        this.#print({ event: "message", peer, data });
      } else this.#print({ event: "received", peer, data });
    }
  }

  #toHuman(event: SockitEvent): string | undefined {
    switch (event.event) {
      case "listening": {
        const relaying = event.target
          ? `, relaying to ${formatPeer(event.target)}`
          : "";
        if (event.address.startsWith("unix:")) {
          return `listening on ${event.address}${
            this.#transport === "udp" ? " (datagrams)" : ""
          }${relaying}`;
        }
        return `listening on ${event.tls ? "tls" : this.#transport} ${
          formatPeer({ address: event.address, port: event.port })
        }${relaying}${event.exposed ? " (exposed: every interface)" : ""}`;
      }
      case "accepted":
        return `client ${formatPeer(event.peer)} connected${
          event.tls ? ` (${tlsLabel(event.tls)})` : ""
        }`;
      case "message":
        if (this.#hex) {
          const direction = event.direction === "up" ? ">" : "<";
          return this.#hexBlock(direction, event);
        }
        return messageHead(event.peer, event.direction) +
          escapeBytes(shownPart(event.data)) + quoteEnd(event.data);
      case "closed":
        if (this.#offsets.size > 0) {
          this.#offsets.delete(`< ${formatPeer(event.peer)}`);
          this.#offsets.delete(`> ${formatPeer(event.peer)}`);
        }
        if ("bytesUp" in event) {
          return `client ${formatPeer(event.peer)} disconnected (${
            counted(event.bytesUp, "byte")
          } up, ${counted(event.bytesDown, "byte")} down)`;
        }
        return this.#role === "server"
          ? `client ${formatPeer(event.peer)} disconnected (${
            counted(event.bytesIn, "byte")
          })`
          : `connection to ${formatPeer(event.peer)} closed (${
            counted(event.bytesIn, "byte")
          } in, ${counted(event.bytesOut, "byte")} out)`;
      case "rejected":
        return `rejected client ${formatPeer(event.peer)} (${event.reason})`;
      case "error":
        // A relay's connect failure names the target; say whose it was.
        return event.peer && event.target
          ? `error: client ${formatPeer(event.peer)}: ${
            messageOf(event.message)
          }`
          : `error: ${messageOf(event.message)}`;
      case "stopped":
        if ("bytesUp" in event) {
          return `stopped: ${counted(event.connections, "connection")}, ${
            counted(event.bytesUp, "byte")
          } up, ${counted(event.bytesDown, "byte")} down`;
        }
        return this.#transport === "tcp"
          ? `stopped: ${counted(event.connections, "connection")}, ${
            counted(event.bytesIn, "byte")
          } in, ${counted(event.bytesOut, "byte")} out`
          : `stopped: ${counted(event.messages, "datagram")}, ${
            counted(event.bytesIn, "byte")
          } in, ${counted(event.bytesOut, "byte")} out`;
      case "connected":
        if (event.target) {
          return `client ${formatPeer(event.peer)} connected to ${
            formatPeer(event.target)
          } from ${formatPeer(event.local)}${
            event.tls ? ` (${tlsLabel(event.tls)})` : ""
          }`;
        }
        return `connected to ${formatPeer(event.peer)} (${
          event.tls
            ? tlsLabel(event.tls)
            : event.peer.address.startsWith("unix:")
            ? (this.#transport === "udp" ? "unix datagrams" : "unix")
            : this.#transport
        }) from ${formatPeer(event.local)}`;
      case "port":
        return `${formatPeer(event.peer)} ${event.state}${
          event.data ? ` ${quote(event.data)}` : ""
        }`;
      case "dropped":
        return `events dropped: ${event.count} (${
          this.#output?.name ?? "output"
        } too slow)`;
      case "sent":
      case "received":
        // A client's data is its stdout, raw; only -x shows it, as hex.
        if (!this.#hex) return undefined;
        return this.#hexBlock(event.event === "sent" ? ">" : "<", event);
      case "osc":
        return formatOscLine(event);
    }
  }

  /**
   * `> 127.0.0.1:5000 6 bytes` (`>` sent or up, `<` received or down) and
   * the chunk's `hexdump -C` rows. The offset is the event's own where it
   * brings one (a connection's byte count), else the running count for
   * that direction and peer.
   */
  #hexBlock(
    direction: ">" | "<",
    event: { peer: NetAddress; data: Uint8Array; offset?: number },
  ): string {
    const key = `${direction} ${formatPeer(event.peer)}`;
    let offset = event.offset;
    if (offset === undefined) {
      offset = this.#offsets.get(key) ?? 0;
      this.#offsets.delete(key);
      if (this.#offsets.size >= HEX_OFFSETS_KEPT) {
        const oldest = this.#offsets.keys().next().value;
        if (oldest !== undefined) this.#offsets.delete(oldest);
      }
      this.#offsets.set(key, offset + event.data.length);
    }
    return [
      `${key} ${counted(event.data.length, "byte")}`,
      ...hexDump(event.data, offset),
    ].join("\n");
  }

  #toJson(event: SockitEvent): string {
    if (event.event === "osc") {
      return jsonLine({
        event: "osc",
        direction: event.direction,
        transport: this.#jsonTransport,
        ...oscJsonFields(event),
      });
    }
    const record: Record<string, unknown> = {
      event: event.event,
      time: isoNow(),
      transport: this.#jsonTransport,
    };
    // for-in, not Object.entries: no array per field, on a relay's three
    // lines per connection.
    for (const key in event) {
      const value = event[key as keyof typeof event] as unknown;
      if (key === "data" && value instanceof Uint8Array) {
        record.bytes = value.length;
        const text = validText(value);
        if (text !== undefined) record.text = text;
        else record.base64 = toBase64(value);
        if (this.#hex) record.hex = toHex(value);
      } else if (key !== "event" && key !== "offset") {
        record[key] = value;
      }
    }
    return jsonLine(record);
  }
}

/**
 * One NDJSON line. JSON leaves C1 controls, line separators and the
 * characters that reorder or hide text raw; escape them too, as human
 * lines do.
 */
function jsonLine(record: Record<string, unknown>): string {
  return JSON.stringify(record).replace(
    /[\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function carryKey(direction: ">" | "<", peer: NetAddress): string {
  const entry = peerTextOf(peer);
  entry.carry ??= [
    `> ${peer.address} ${peer.port}`,
    `< ${peer.address} ${peer.port}`,
  ];
  return entry.carry[direction === ">" ? 0 : 1];
}

/** `1 byte`, `2 bytes`: a count and its noun, plural but for one. */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** `'…'`, escaped, cut after {@linkcode HUMAN_MESSAGE_LIMIT} bytes. */
function quote(data: Uint8Array): string {
  return `'${escapeBytes(shownPart(data))}${quoteEnd(data)}`;
}

/** What a human line shows of `data`: all of it, or its first 256 bytes. */
function shownPart(data: Uint8Array): Uint8Array {
  return data.length <= HUMAN_MESSAGE_LIMIT
    ? data
    : data.subarray(0, humanCut(data));
}

/** The closing quote, and what was cut off. */
function quoteEnd(data: Uint8Array): string {
  return data.length <= HUMAN_MESSAGE_LIMIT
    ? "'"
    : `'... (+${counted(data.length - humanCut(data), "byte")})`;
}

/** Where a long message's line is cut: not inside a UTF-8 sequence. */
function humanCut(data: Uint8Array): number {
  let cut = HUMAN_MESSAGE_LIMIT;
  // Back up to the lead byte of a sequence the limit would split.
  while (cut > HUMAN_MESSAGE_LIMIT - 3 && ((data[cut] ?? 0) & 0xc0) === 0x80) {
    cut--;
  }
  return cut;
}

/**
 * `client A:P sent '` (up, or a server's message) or `client A:P
 * received '` (down): built once per peer and direction.
 */
function messageHead(peer: NetAddress, direction?: "up" | "down"): string {
  return messageHeads(peer).text[direction === "down" ? 1 : 0];
}

/** {@linkcode messageHead}'s two texts, and as UTF-8, made once per peer. */
function messageHeads(peer: NetAddress): MessageHeads {
  const entry = peerTextOf(peer);
  if (entry.messageHeads) return entry.messageHeads;
  const text: [string, string] = [
    `client ${entry.text} sent '`,
    `client ${entry.text} received '`,
  ];
  entry.messageHeads = {
    text,
    bytes: [utf8.encode(text[0]), utf8.encode(text[1])],
  };
  return entry.messageHeads;
}

const utf8 = new TextEncoder();
const CLOSING_QUOTE = utf8.encode("'");

let isoMs = 0;
let isoText = "";

/** The time as ISO 8601, formatted once per millisecond, not per event. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

const lenientDecoder = new TextDecoder();

/**
 * `bytes` as text when they are valid UTF-8. A strict decoder throws on
 * binary data, and that throw cost ~30 µs an event; a lenient decode only
 * needs the strict one when a U+FFFD could be genuine (bytes EF BF BD).
 */
function validText(bytes: Uint8Array): string | undefined {
  const text = lenientDecoder.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  for (let i = bytes.indexOf(0xef); i >= 0; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) return utf8Text(bytes);
  }
  return undefined;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * A command's printer on the shared writers: NDJSON always goes to stdout,
 * human lines to `human` (stderr where stdout carries the peer's data).
 */
export function eventPrinter(
  transport: "tcp" | "udp",
  role: "server" | "client",
  flags: { json?: boolean; hex?: boolean; lossless?: boolean; unix?: boolean },
  human: OutputStream = Deno.stdout,
): EventPrinter {
  const json = flags.json ?? false;
  return new EventPrinter(
    transport,
    role,
    json,
    lineWriter(json ? Deno.stdout : human),
    {
      hex: flags.hex ?? false,
      lossless: flags.lossless ?? false,
      unix: flags.unix ?? false,
    },
  );
}

/**
 * The event writer of stdout or stderr: bounded, batched, never blocking
 * (see {@linkcode EventOutput}). One per stream, shared by every printer.
 */
export function lineWriter(stream: OutputStream): EventOutput {
  return eventOutput(stream);
}

/** `tls TLSv1.3, alpn h2`: what a handshake negotiated, as far as known. */
function tlsLabel(tls: TlsInfo): string {
  const label = tls.protocol ? `tls ${tls.protocol}` : "tls";
  return tls.alpnProtocol ? `${label}, alpn ${tls.alpnProtocol}` : label;
}
