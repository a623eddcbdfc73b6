import type { Command } from "@commander-js/extra-typings";
import { createClient, type SocketClient, SocketError } from "../../lib/mod.ts";
import { EventPrinter, lineWriter } from "../_events.ts";
import { CrlfEncoder } from "../_crlf.ts";
import { idleError, isCleanClose } from "../_session_end.ts";
import { LineSplitter } from "../_line_splitter.ts";
import { readChunks, writeAll } from "../_stdio.ts";
import { ExitCode } from "../_exit.ts";
import {
  familyOf,
  parseDuration,
  parseDurationOrZero,
  parseHost,
  parsePort,
} from "../_options.ts";

/** How long a UDP session waits for replies after its last send. */
const UDP_QUIT_AFTER_MS = 1000;

/** The command line of `send`, as commander parses it. */
export interface SendOptions {
  udp?: boolean;
  wait: number;
  idleTimeout?: number;
  quitAfter?: number;
  crlf?: boolean;
  shutdown: boolean;
  json?: boolean;
  verbose?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

/** `sockit send`: nc's client, with the lifecycle nc users ask for. */
export function sendCommand(program: Command): void {
  program
    .command("send")
    .description(
      "Send the message (or stdin) to a TCP or UDP peer and print its replies",
    )
    .argument("<host>", "name, IPv4 or IPv6 address ([::1] or ::1)", parseHost)
    .argument("<port>", "port, 1-65535", parsePort)
    .argument(
      "[message...]",
      "sent joined by spaces, no newline added; else stdin",
    )
    .option("-u, --udp", "use UDP: one datagram per message or stdin line")
    .option("-w, --wait <duration>", "connect timeout", parseDuration, 2000)
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
    .option("--no-shutdown", "do not half-close TCP when the input ends")
    .option("--json", "print NDJSON events instead of raw data")
    .option("-v, --verbose", "print connection events on stderr")
    .option("-4, --ipv4", "use IPv4 only")
    .option("-6, --ipv6", "use IPv6 only")
    .action(async (host, port, words, options) => {
      Deno.exitCode = await runSend(host, port, words, options);
    });
}

/** Connects, pumps input and replies, and returns the exit code. */
export async function runSend(
  host: string,
  port: number,
  words: string[],
  options: SendOptions,
): Promise<number> {
  const protocol = options.udp ? "udp" : "tcp";
  const family = familyOf(host, options);
  const json = options.json ?? false;
  const printer = new EventPrinter(
    protocol,
    "client",
    json,
    lineWriter(json ? Deno.stdout : Deno.stderr),
  );
  const report = json || options.verbose ? printer : undefined;
  const client = await createClient(host, port, {
    protocol,
    family,
    timeout: options.wait,
  });
  report?.emit({
    event: "connected",
    peer: client.peer,
    local: { address: client.localAddress, port: client.localPort },
  });
  const session = new Session(client, options, printer, report);
  try {
    // A --json reader that went away (`| head`) ends the session: 141.
    return await Promise.race([
      session.run(
        words.length > 0
          ? [new TextEncoder().encode(words.join(" "))]
          : undefined,
      ),
      printer.broken.then(() => ExitCode.BrokenPipe),
    ]);
  } finally {
    client.close();
    report?.emit({
      event: "closed",
      peer: client.peer,
      bytesIn: client.bytesReceived,
      bytesOut: client.bytesSent,
    });
  }
}

/** One client session: a sender and a receiver that race to the end. */
class Session {
  #client: SocketClient;
  #options: SendOptions;
  #printer: EventPrinter;
  #report: EventPrinter | undefined;
  #lastActivity = Date.now();
  #lastSend = Date.now();
  #crlf: CrlfEncoder | undefined;

  constructor(
    client: SocketClient,
    options: SendOptions,
    printer: EventPrinter,
    report: EventPrinter | undefined,
  ) {
    this.#client = client;
    this.#options = options;
    this.#printer = printer;
    this.#report = report;
    this.#crlf = options.crlf ? new CrlfEncoder() : undefined;
  }

  /** Resolves with the exit code: whichever side finishes first decides. */
  run(message: Uint8Array[] | undefined): Promise<number> {
    const input = message ?? readChunks();
    const sending = this.#send(input).then((quitAfter) =>
      quitAfter === undefined ? never() : this.#quitAfter(quitAfter)
    );
    return Promise.race([sending, this.#receive()]);
  }

  /** Sends all input; resolves with the quit-after delay to apply, if any. */
  async #send(
    input: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<number | undefined> {
    const udp = this.#client.protocol === "udp";
    const lines = udp ? new LineSplitter() : undefined;
    for await (const chunk of input) {
      // A message argument is one datagram; only stdin is cut into lines.
      const pieces = lines && !Array.isArray(input)
        ? lines.push(chunk)
        : [chunk];
      for (const piece of pieces) await this.#sendOne(piece);
    }
    const rest = lines?.flush();
    if (rest) await this.#sendOne(rest);
    if (!udp && this.#options.shutdown) await this.#client.closeWrite();
    return this.#options.quitAfter ?? (udp ? UDP_QUIT_AFTER_MS : undefined);
  }

  async #sendOne(piece: Uint8Array): Promise<void> {
    const data = this.#crlf ? this.#crlf.encode(piece) : piece;
    await this.#client.send(data);
    this.#lastSend = this.#lastActivity = Date.now();
    this.#report?.emit({ event: "sent", peer: this.#client.peer, data });
  }

  /** Waits until `ms` have passed since the last send, then ends with 0. */
  async #quitAfter(ms: number): Promise<number> {
    while (true) {
      const left = this.#lastSend + ms - Date.now();
      if (left <= 0) return 0;
      await new Promise((resolve) => setTimeout(resolve, left));
    }
  }

  /** Prints replies until the peer closes (0) or goes silent too long (1). */
  async #receive(): Promise<number> {
    const idle = this.#options.idleTimeout;
    while (true) {
      let data: Uint8Array;
      try {
        const left = idle === undefined
          ? Infinity
          : Math.max(0, this.#lastActivity + idle - Date.now());
        data = await this.#client.receiveBytes("*all", left);
      } catch (error) {
        if (!(error instanceof SocketError)) throw error;
        if (error.code === "timeout") {
          if (idle !== undefined && Date.now() - this.#lastActivity >= idle) {
            throw idleError(this.#client.peer, idle);
          }
          continue;
        }
        if (isCleanClose(error)) return 0;
        throw error;
      }
      this.#lastActivity = Date.now();
      if (this.#printer.json) {
        this.#printer.emit({
          event: "received",
          peer: this.#client.peer,
          data,
        });
        // The events are the data here: wait for the reader, drop nothing.
        if (this.#printer.congested) await this.#printer.ready();
      } else {
        await writeAll(Deno.stdout, data);
      }
    }
  }
}

function never(): Promise<never> {
  return new Promise(() => {});
}
