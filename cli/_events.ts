import type { NetAddress } from "../lib/mod.ts";
import { escapeBytes, utf8Text } from "./_escape.ts";
import { hexDump, toHex } from "./_hex_dump.ts";
import { Utf8Carry } from "./_utf8_carry.ts";
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
  }
  | { event: "accepted"; peer: NetAddress }
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
  }
  | { event: "sent"; peer: NetAddress; data: Uint8Array }
  | { event: "received"; peer: NetAddress; data: Uint8Array }
  | ({ event: "osc"; direction: "in" | "out" } & OscEventData);

/** `127.0.0.1:80` or `[::1]:80`: events always show numeric addresses. */
export function formatPeer(peer: NetAddress): string {
  return peer.address.includes(":")
    ? `[${peer.address}]:${peer.port}`
    : `${peer.address}:${peer.port}`;
}

/** The one place that turns events into human lines or NDJSON. */
export class EventPrinter {
  readonly json: boolean;
  #transport: "tcp" | "udp";
  #role: "server" | "client";
  #write: (line: string) => void;
  #hex: boolean;
  /** Per peer and direction: text split across TCP reads stays text. */
  #carry = new Utf8Carry();

  /** `hex` shows message data as `hexdump -C` blocks (JSON: a `hex` field). */
  constructor(
    transport: "tcp" | "udp",
    role: "server" | "client",
    json: boolean,
    write: (line: string) => void,
    { hex = false }: { hex?: boolean } = {},
  ) {
    this.#transport = transport;
    this.#role = role;
    this.json = json;
    this.#write = write;
    this.#hex = hex;
  }

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
        const data = this.#carry.join(
          event.data,
          () => carryKey(direction, peer),
        );
        if (data.length === 0) return;
        if (data !== event.data) event = { ...event, data };
      }
    }
    this.#print(event);
  }

  #print(event: SockitEvent): void {
    const line = this.json ? this.#toJson(event) : this.#toHuman(event);
    if (line !== undefined) this.#write(line);
  }

  /**
   * A stream that ended inside a character: show its last bytes as they
   * are. A relay's streams are its two directions.
   */
  #flushCarry(peer: NetAddress, relay: boolean): void {
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
      case "listening":
        return `listening on ${this.#transport} ${
          formatPeer({ address: event.address, port: event.port })
        }${event.target ? `, relaying to ${formatPeer(event.target)}` : ""}${
          event.exposed ? " (exposed: every interface)" : ""
        }`;
      case "accepted":
        return `client ${formatPeer(event.peer)} connected`;
      case "message":
        if (this.#hex) return hexBlock(event);
        return `client ${formatPeer(event.peer)} ${
          event.direction === "down" ? "received" : "sent"
        } ${quote(event.data)}`;
      case "closed":
        if ("bytesUp" in event) {
          return `client ${
            formatPeer(event.peer)
          } disconnected (${event.bytesUp} bytes up, ${event.bytesDown} bytes down)`;
        }
        return this.#role === "server"
          ? `client ${
            formatPeer(event.peer)
          } disconnected (${event.bytesIn} bytes)`
          : `connection to ${
            formatPeer(event.peer)
          } closed (${event.bytesIn} bytes in, ${event.bytesOut} bytes out)`;
      case "rejected":
        return `rejected client ${formatPeer(event.peer)} (${event.reason})`;
      case "error":
        // A relay's connect failure names the target; say whose it was.
        return event.peer && event.target
          ? `error: client ${formatPeer(event.peer)}: ${event.message}`
          : `error: ${event.message}`;
      case "stopped":
        if ("bytesUp" in event) {
          return `stopped: ${event.connections} connections, ${event.bytesUp} bytes up, ${event.bytesDown} bytes down`;
        }
        return this.#transport === "tcp"
          ? `stopped: ${event.connections} connections, ${event.bytesIn} bytes in, ${event.bytesOut} bytes out`
          : `stopped: ${event.messages} datagrams, ${event.bytesIn} bytes in, ${event.bytesOut} bytes out`;
      case "connected":
        if (event.target) {
          return `client ${formatPeer(event.peer)} connected to ${
            formatPeer(event.target)
          } from ${formatPeer(event.local)}`;
        }
        return `connected to ${
          formatPeer(event.peer)
        } (${this.#transport}) from ${formatPeer(event.local)}`;
      case "sent":
      case "received":
        // A client's data is its stdout, raw; there is no human line for it.
        return undefined;
      case "osc":
        return formatOscLine(event);
    }
  }

  #toJson(event: SockitEvent): string {
    if (event.event === "osc") {
      return jsonLine({
        event: "osc",
        direction: event.direction,
        transport: this.#transport,
        ...oscJsonFields(event),
      });
    }
    const record: Record<string, unknown> = {
      event: event.event,
      time: new Date().toISOString(),
      transport: this.#transport,
    };
    for (const [key, value] of Object.entries(event)) {
      if (key === "data" && value instanceof Uint8Array && this.#hex) {
        record.bytes = value.length;
        record.hex = toHex(value);
      } else if (key === "data" && value instanceof Uint8Array) {
        record.bytes = value.length;
        // One strict decode both validates and gives the text.
        const text = utf8Text(value);
        if (text !== undefined) record.text = text;
        else record.base64 = toBase64(value);
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
  return `${direction} ${peer.address} ${peer.port}`;
}

/**
 * A header naming the client, the direction (`>` up or sent, `<` down or
 * received) and the length, then `hexdump -C` rows.
 */
function hexBlock(
  event: {
    peer: NetAddress;
    data: Uint8Array;
    direction?: "up" | "down";
    offset?: number;
  },
): string {
  const arrow = event.direction === "up" ? ">" : "<";
  return [
    `${arrow} ${formatPeer(event.peer)} ${event.data.length} bytes`,
    ...hexDump(event.data, event.offset ?? 0),
  ].join("\n");
}

/** `'…'`, escaped, cut after {@linkcode HUMAN_MESSAGE_LIMIT} bytes. */
function quote(data: Uint8Array): string {
  if (data.length <= HUMAN_MESSAGE_LIMIT) return `'${escapeBytes(data)}'`;
  let cut = HUMAN_MESSAGE_LIMIT;
  // Do not split a UTF-8 sequence: back up to its lead byte.
  while (cut > HUMAN_MESSAGE_LIMIT - 3 && ((data[cut] ?? 0) & 0xc0) === 0x80) {
    cut--;
  }
  return `'${escapeBytes(data.subarray(0, cut))}'... (+${
    data.length - cut
  } bytes)`;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** A line writer for stdout or stderr that stops quietly once the reader is gone. */
export function lineWriter(
  stream: { writeSync(bytes: Uint8Array): number },
): (line: string) => void {
  const encoder = new TextEncoder();
  let open = true;
  return (line) => {
    if (!open) return;
    const bytes = encoder.encode(line + "\n");
    try {
      let offset = 0;
      while (offset < bytes.length) {
        offset += stream.writeSync(bytes.subarray(offset));
      }
    } catch {
      open = false;
    }
  };
}
