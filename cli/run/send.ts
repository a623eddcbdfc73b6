// The library's modules by name, not lib/mod.ts: a one-shot send loads only
// what it runs (lib/mod.ts would load every server, HTTP and OSC module).
import { createClient, type SocketClient } from "../../lib/client.ts";
import { type NetAddress, SocketError } from "../../lib/errors.ts";
import type { SendOptions } from "../commands/send.ts";
import type { EventPrinter } from "../_events.ts";
import { ExitCode, signalExitCode, UsageError } from "../_exit.ts";
import { CrlfEncoder } from "../_crlf.ts";
import { idleError, isCleanClose } from "../_session_end.ts";
import { readChunks, StdoutQueue } from "../_stdio.ts";
import { clientTlsOf } from "../_tls_options.ts";
import { familyOf, unixPathOf } from "../_options.ts";
import { shutdownSignal } from "../_shutdown.ts";
import { pause } from "../../lib/_deadline.ts";

/** How long a UDP session waits for replies after its last send. */
const UDP_QUIT_AFTER_MS = 1000;

/** Connects, pumps input and replies, and returns the exit code. */
export async function runSend(
  host: string,
  port: number,
  words: string[],
  options: SendOptions,
): Promise<number> {
  if (options.lines && !options.udp) {
    throw new UsageError("--lines cuts datagrams: it needs -u (UDP)");
  }
  const protocol = options.udp ? "udp" : "tcp";
  const family = familyOf(host, options);
  const json = options.json ?? false;
  // Only --json, -v and -x print events: a plain session (its input to the
  // peer, the replies to stdout) starts without loading their formatting.
  const events = json || options.verbose || options.hex
    ? await import("../_events.ts")
    : undefined;
  // With --json the events are the replies: none may be dropped.
  const printer = events?.eventPrinter(
    protocol,
    "client",
    {
      json,
      hex: options.hex,
      lossless: json,
      unix: unixPathOf(host) !== undefined,
    },
    Deno.stderr,
  );
  const report = json || options.verbose ? printer : undefined;
  /** --json: why the session ended, or never began, in the stream too. */
  const reportFailure = (error: unknown, peer: NetAddress) => {
    if (json && events && error instanceof SocketError) {
      printer?.emit(events.errorEvent(error, error.peer ?? peer));
    }
  };
  const path = unixPathOf(host);
  let client: SocketClient;
  try {
    client = path !== undefined
      ? await createClient({ path }, {
        protocol,
        tls: options.tls,
        keepSendingAfterEof: true,
      })
      : await createClient(host, port, {
        protocol,
        family,
        timeout: options.wait,
        keepSendingAfterEof: true,
        tls: await clientTlsOf(options.tls, "--tls", options),
      });
  } catch (error) {
    reportFailure(error, { address: host, port });
    throw error;
  }
  report?.emit({
    event: "connected",
    peer: client.peer,
    local: { address: client.localAddress, port: client.localPort },
    ...(client.tls ? { tls: client.tls } : {}),
  });
  // With events on, a signal ends the session as its peer's close would:
  // the closed event, and lines whole (a stdout write cut by the process's
  // death left --json with half an object). Exit 128 + the signal, as a
  // killed nc; without events Deno's default death is that already.
  const signalled = printer ? shutdownSignal() : undefined;
  const session = new Session(
    client,
    options,
    printer,
    report ?? (options.hex ? printer : undefined),
  );
  try {
    // A --json reader that went away (`| head`) ends the session: 141.
    const code = await Promise.race([
      session.run(
        words.length > 0
          ? new TextEncoder().encode(words.join(" "))
          : undefined,
      ),
      ...(printer ? [printer.broken.then(() => ExitCode.BrokenPipe)] : []),
      ...(signalled ? [signalled.then(signalExitCode)] : []),
    ]);
    // Replies the kernel dropped never reached stdout: a gap, not a success.
    const dropped = client.datagramsDropped;
    if (code === ExitCode.Ok && dropped > 0) {
      const { overflowError } = await import("../../lib/_kernel_drops.ts");
      throw overflowError("receive from", client.peer, dropped);
    }
    return code;
  } catch (error) {
    // As on `listen`, whose stream says why a peer went.
    reportFailure(error, client.peer);
    throw error;
  } finally {
    client.close();
    if (events) report?.emit(events.closedEvent(client));
  }
}

/**
 * After a failed write, how long the replies already in the socket get to
 * be read and printed before the failure is reported: a reset connection
 * hands them over at once, so this only bounds a peer that never says.
 */
const DRAIN_AFTER_WRITE_FAILURE_MS = 1000;

/**
 * One client session: a sender and a receiver running side by side. The
 * receiver alone decides what is printed, so nothing the peer sent is lost
 * to a failed write; the rules of who ends the session are in `run`.
 */
class Session {
  #client: SocketClient;
  #options: SendOptions;
  #printer: EventPrinter | undefined;
  #report: EventPrinter | undefined;
  #lastActivity = Date.now();
  #crlf: CrlfEncoder | undefined;
  /**
   * Rejects when a write to stdout fails (`| head`, a full disk). The
   * receiver would hear of it only at its next write, which may never come
   * while stdin still goes to the peer; this ends the session at once.
   */
  #stdoutFailed = Promise.withResolvers<never>();
  #stdout = new StdoutQueue({ onFailure: this.#stdoutFailed.reject });

  constructor(
    client: SocketClient,
    options: SendOptions,
    printer: EventPrinter | undefined,
    report: EventPrinter | undefined,
  ) {
    this.#client = client;
    this.#options = options;
    this.#printer = printer;
    this.#report = report;
    this.#crlf = options.crlf ? new CrlfEncoder() : undefined;
  }

  /**
   * Resolves with the exit code. A receive failure (reset, idle timeout)
   * ends the session at once, after everything before it was printed. The
   * peer's FIN only means it sends nothing more: unless stdin is a terminal,
   * the input is still sent to its end, and the exit is 0 once all of it
   * was written. A failed write waits for the replies already received.
   */
  async run(message: Uint8Array | undefined): Promise<number> {
    const udp = this.#client.protocol === "udp";
    const receiving = this.#receive();
    const sending = this.#send(message);
    // Whichever loses the race must not become an unhandled rejection.
    receiving.catch(() => {});
    sending.catch(() => {});
    this.#stdoutFailed.promise.catch(() => {});
    const first = await Promise.race([
      receiving.then(() => "peer closed" as const),
      sending.then(() => "input sent" as const, () => "send failed" as const),
      this.#stdoutFailed.promise,
    ]);
    if (first === "peer closed") {
      if (message === undefined && Deno.stdin.isTerminal()) return 0;
      await sending;
      return 0;
    }
    if (first === "send failed") {
      const failure = await sending.catch((error: unknown) => error);
      if (udp || !(failure instanceof SocketError)) throw failure;
      const drained = await Promise.race([
        receiving.then(() => undefined, (error: unknown) => error),
        delay(DRAIN_AFTER_WRITE_FAILURE_MS).then(() => undefined),
      ]);
      // The receiver's error (a reset) says why the write failed.
      throw drained ?? failure;
    }
    const quitAfter = this.#options.quitAfter ??
      (udp ? UDP_QUIT_AFTER_MS : undefined);
    if (quitAfter === undefined) {
      await receiving;
      return 0;
    }
    // Counted from the end of the input, not from the last send.
    await Promise.race([receiving, this.#quitWindow(quitAfter)]);
    await this.#stdout.drain();
    return 0;
  }

  /**
   * Resolves `ms` from now, counting no time in which stdout held replies
   * back: a slow reader of stdout pauses the reading of the socket, and
   * what the peer sent meanwhile is what `-q` waits for (it dropped a
   * quarter of a megabyte that had arrived, with exit 0).
   */
  async #quitWindow(ms: number): Promise<void> {
    const start = Date.now();
    const busyBefore = this.#stdout.busyMs;
    while (true) {
      const counted = Date.now() - start - (this.#stdout.busyMs - busyBefore);
      if (counted >= ms) return;
      if (this.#stdout.busy) await this.#stdout.drain().catch(() => {});
      else await delay(ms - counted);
    }
  }

  /** Sends the message, or all of stdin, then half-closes a TCP session. */
  async #send(message: Uint8Array | undefined): Promise<void> {
    const udp = this.#client.protocol === "udp";
    if (message !== undefined) {
      // A message argument is sent as one piece: one datagram over UDP.
      await this.#sendOne(this.#crlf ? this.#crlf.encode(message) : message);
    } else if (udp) {
      // Loaded here, so that a TCP session starts without them.
      const [{ maxDatagramPayload }, { datagramsOf }] = await Promise.all([
        import("../../lib/_udp.ts"),
        import("../_datagram_input.ts"),
      ]);
      const max = maxDatagramPayload(this.#client.peer);
      const input = datagramsOf(this.#encoded(readChunks(Deno.stdin, max)), {
        lines: this.#options.lines ?? false,
        max,
      });
      for await (const datagram of input) await this.#sendOne(datagram);
    } else {
      for await (const chunk of this.#encoded(readChunks())) {
        await this.#sendOne(chunk);
      }
    }
    if (!udp && this.#options.shutdown) await this.#client.closeWrite();
  }

  async *#encoded(
    chunks: AsyncIterable<Uint8Array>,
  ): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      yield this.#crlf ? this.#crlf.encode(chunk) : chunk;
    }
  }

  async #sendOne(data: Uint8Array): Promise<void> {
    await this.#client.send(data);
    this.#lastActivity = Date.now();
    await this.#report?.emitData({
      event: "sent",
      peer: this.#client.peer,
      data,
    });
  }

  /**
   * Prints replies until the peer closes (resolves) or fails (rejects),
   * once what came before is on stdout. A stdout failure wins: it is why
   * the session ended.
   */
  async #receive(): Promise<void> {
    const received = await this.#receiveAll().then(
      () => undefined,
      (error) => ({ error }),
    );
    await this.#stdout.drain();
    if (received) throw received.error;
  }

  async #receiveAll(): Promise<void> {
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
        if (isCleanClose(error)) return;
        throw error;
      }
      this.#lastActivity = Date.now();
      if (this.#printer?.json || this.#options.hex) {
        await this.#printer?.emitData({
          event: "received",
          peer: this.#client.peer,
          data,
        });
      }
      // With --json the events are the data; -x's block goes to stderr
      // before the bytes go to stdout. A write that waited for a slow
      // reader of stdout ends a pause of ours, not a silence of the peer.
      if (!this.#printer?.json) {
        await this.#stdout.write(data);
        this.#lastActivity = Date.now();
      }
    }
  }
}

/**
 * Not `setTimeout`: its first use loads Deno's Node timers layer, ~10 ms
 * in which a UDP reply burst that has just begun fills the socket's buffer.
 */
function delay(ms: number): Promise<void> {
  return pause(ms).done;
}
