import {
  maxDatagramPayload,
  type Message,
  type NetAddress,
  type SocketClient,
  SocketError,
  type SocketNotifier,
  type SocketServer,
} from "../../lib/mod.ts";
import type { ListenOptions } from "../commands/listen.ts";
import {
  closedEvent,
  errorEvent,
  type EventPrinter,
  eventPrinter,
} from "../_events.ts";
import { CrlfEncoder } from "../_crlf.ts";
import { datagramsOf } from "../_datagram_input.ts";
import { asSocketError, idleError, isCleanClose } from "../_session_end.ts";
import { readChunks, StdoutQueue } from "../_stdio.ts";
import { shutdownSignal } from "../_shutdown.ts";
import { bindServer, listeningEvent } from "../_serving.ts";
import { ExitCode, UsageError } from "../_exit.ts";
import { STALLED_MS } from "../_event_output.ts";

/**
 * After the peer's FIN, stdin this quiet counts as done: a busy pipe's
 * next read comes far sooner even on a loaded machine, and a prompt
 * still ends within a second of the peer leaving.
 */
const INPUT_QUIET_MS = 1000;

/** How soon a connection closed meanwhile ends that wait. */
const CLOSED_CHECK_MS = 100;

/** Listens, pumps stdin and the peers' data, and returns the exit code. */
export async function runListen(
  port: number,
  options: ListenOptions,
): Promise<number> {
  if (options.lines && !options.udp) {
    throw new UsageError("--lines cuts datagrams: it needs -u (UDP)");
  }
  const protocol = options.udp ? "udp" : "tcp";
  const keepOpen = options.keepOpen ?? false;
  const json = options.json ?? false;
  // With --json the events are the peer's data: none may be dropped.
  const printer = eventPrinter(
    protocol,
    "server",
    {
      json,
      hex: options.hex,
      lossless: json,
      unix: options.unix !== undefined,
    },
    Deno.stderr,
  );
  const stopping = shutdownSignal();
  const server = await bindServer(options.host, port, options, {
    protocol,
    // -k closes an idle client alone; otherwise the session watches the
    // one peer, counting stdin sent to it as activity too, as `send` does.
    idleTimeout: protocol === "tcp" && keepOpen
      ? options.idleTimeout
      : undefined,
    maxConnections: keepOpen ? options.maxConns : undefined,
    onePeer: protocol === "udp" && !keepOpen,
    allowHalfOpen: true,
  });
  const session = new ListenSession(server, options, printer);
  // Port 0 is useless unless the port taken is told, and every interface
  // is worth a warning: say both even without -v.
  const listening = listeningEvent(server);
  const portZero = port === 0 && options.unix === undefined;
  if (json || options.verbose || portZero || listening.exposed) {
    printer.emit(listening);
  }
  server.run(session);
  session.pumpStdin();
  let signalled = false;
  const outcome = await Promise.race([
    stopping.then(() => {
      signalled = true;
      return 0;
    }),
    session.ended,
  ]);
  session.stop();
  // Ends once the peers' data is on stdout: a peer's close is exit 0 only
  // then, and a stdout that fails meanwhile decides the exit instead.
  const stopped = server.stop().then(() => session.drain());
  // A signal stops at once: a peer's data stuck on its way to a stdout
  // nobody reads gets the stalled reader's time, as event output does,
  // and is then left behind (nc and ncat die at once).
  const writeFailure = await (signalled
    ? Promise.race([
      stopped,
      new Promise<undefined>((done) =>
        setTimeout(() => done(undefined), STALLED_MS)
      ),
    ])
    : stopped);
  session.report({
    event: "stopped",
    connections: session.connections,
    bytesIn: session.bytesIn,
    bytesOut: session.bytesOut,
    messages: session.messages,
  });
  const ending = writeFailure ?? outcome;
  if (typeof ending === "number") return ending;
  throw ending;
}

/**
 * The notifier behind `listen`: peers' data to stdout, stdin to the peers,
 * and the rules for when the command ends.
 */
class ListenSession implements SocketNotifier {
  connections = 0;
  messages = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Resolves with an exit code or the error to exit with. */
  readonly ended: Promise<number | Error>;
  #end!: (outcome: number | Error) => void;
  #server: SocketServer;
  #options: ListenOptions;
  #printer: EventPrinter;
  #udp: boolean;
  #keepOpen: boolean;
  /** TCP: connected clients. UDP: the most recent sender. */
  #peers = new Set<SocketClient>();
  #peerArrived: (() => void) | undefined;
  #inputEnded = false;
  #failure: SocketError | undefined;
  /** When the last byte or datagram went either way. */
  #lastActivity = Date.now();
  #watchingIdle = false;
  /** When stdin last delivered data or a send of it finished. */
  #lastInput = Date.now();
  #sending = false;
  /** Set once the command ends: stdin is no longer sent anywhere. */
  #stopping = false;
  #stdout: StdoutQueue;

  constructor(
    server: SocketServer,
    options: ListenOptions,
    printer: EventPrinter,
  ) {
    this.#server = server;
    this.#options = options;
    this.#printer = printer;
    this.#udp = server.protocol === "udp";
    this.#keepOpen = options.keepOpen ?? false;
    this.ended = new Promise((resolve) => this.#end = resolve);
    // `| head -c 10`: the reader is gone; end as SIGPIPE would, silently.
    // Any other failure (a full disk) ends every form too, in one line
    // naming stdout, not as a failure of this peer.
    this.#stdout = new StdoutQueue({
      onFailure: (error) =>
        this.#end(
          error instanceof Deno.errors.BrokenPipe
            ? ExitCode.BrokenPipe
            : error as Error,
        ),
    });
  }

  /**
   * Resolves once the peers' data is on stdout, with the write failure
   * that ended the command instead, if one did.
   */
  drain(): Promise<number | Error | undefined> {
    return this.#stdout.drain().then(
      () => undefined,
      (error) =>
        error instanceof Deno.errors.BrokenPipe
          ? ExitCode.BrokenPipe
          : error as Error,
    );
  }

  /** Prints `event` if `--json` or `-v` asked for events. */
  report(event: Parameters<EventPrinter["emit"]>[0]): void {
    if (this.#printer.json || this.#options.verbose) this.#printer.emit(event);
  }

  socketAccepted(client: SocketClient): void {
    // nc -l: the first client (one the filter let in) is the only one.
    if (!this.#keepOpen) this.#server.stopAccepting();
    this.connections++;
    this.#addPeer(client);
    this.report({
      event: "accepted",
      peer: client.peer,
      ...(client.tls ? { tls: client.tls } : {}),
    });
    if (this.#inputEnded && this.#options.shutdown) {
      client.closeWrite().catch(() => {});
    }
  }

  async socketMessage(client: SocketClient, message: Message): Promise<void> {
    this.messages++;
    this.bytesIn += message.length;
    this.#lastActivity = Date.now();
    if (this.#udp) {
      // Without -k the first sender is the only one heard: name it, as
      // nc -luv and ncat -luv do (with -k, --json's message events name
      // each sender).
      if (!this.#keepOpen && this.#peers.size === 0) {
        this.report({ event: "accepted", peer: client.peer });
      }
      this.#addPeer(client);
    }
    // -x: the block goes to stderr before the bytes go to stdout, as `send`.
    if (this.#printer.json || this.#options.hex) {
      await this.#printer.emitData({
        event: "message",
        peer: client.peer,
        data: message,
      });
      if (this.#printer.json) return;
    }
    // A burst of datagrams goes out in one write while the socket is read
    // on; past the queue's limit this waits, which paces a TCP peer.
    await this.#stdout.write(message).catch(() => {
      // The failure has ended the command (the queue's onFailure).
    });
  }

  /**
   * The peer half-closed: its data is all on stdout. The connection is
   * closed (which ends the command without -k) once stdin has nothing in
   * flight: at its EOF, or once it has been quiet for a moment, so that a
   * file piped in is not cut short by a peer that half-closes (nc -N,
   * `sockit send`), and an idle stdin does not hold the command open.
   */
  async socketEnded(client: SocketClient): Promise<void> {
    // Not while the client is closed: a send of stdin that failed (the
    // peer has gone) or a stop closes it, and a stdin that never goes
    // quiet must not keep a dead connection, and the command, waiting.
    while (!this.#inputEnded && client.isOpen) {
      const quietFor = Date.now() - this.#lastInput;
      if (!this.#sending && quietFor >= INPUT_QUIET_MS) break;
      await new Promise((resolve) =>
        setTimeout(
          resolve,
          Math.min(CLOSED_CHECK_MS, Math.max(10, INPUT_QUIET_MS - quietFor)),
        )
      );
    }
    client.close();
  }

  socketClosed(client: SocketClient): void {
    this.#peers.delete(client);
    this.report(closedEvent(client));
    // Everything the peer sent is on stdout by now: the server awaits each
    // socketMessage before it reads again, and before it closes.
    if (!this.#keepOpen) this.#end(this.#failure ?? 0);
  }

  socketRejected(peer: NetAddress, reason: string): void {
    this.report({ event: "rejected", peer, reason });
  }

  socketError(error: SocketError): void {
    // Lost datagrams are told even without -v: the output has a gap.
    if (error.code === "overflow") this.#printer.emit(errorEvent(error));
    else this.report(errorEvent(error));
    if (
      !this.#keepOpen && !this.#udp && !isCleanClose(error) &&
      this.#isPeers(error)
    ) {
      this.#failure ??= error;
    }
  }

  /**
   * Whether `error` concerns a connected peer, and so decides the exit. A
   * client that failed its TLS handshake was never the one client: the
   * server went on to the next, which ended with exit 1 for the first's
   * failure however well its own session went.
   */
  #isPeers(error: SocketError): boolean {
    const peer = error.peer;
    if (peer === undefined) return false;
    for (const client of this.#peers) {
      if (
        client.peer.address === peer.address && client.peer.port === peer.port
      ) return true;
    }
    return false;
  }

  /**
   * The command is ending and the server stopping: a send of stdin still
   * under way fails on the socket it closes, which is no peer's failure
   * (UDP reported each one, after `stopped` too).
   */
  stop(): void {
    this.#stopping = true;
  }

  /** Copies stdin to the peers; returns at once. */
  pumpStdin(): void {
    this.#pump().catch((error) => this.#end(error));
  }

  async #pump(): Promise<void> {
    const crlf = this.#options.crlf ? new CrlfEncoder() : undefined;
    const local = {
      address: this.#server.localAddress,
      port: this.#server.localPort,
    };
    const max = maxDatagramPayload(local);
    const chunks = encoded(
      this.#udp ? readChunks(Deno.stdin, max) : readChunks(),
      crlf,
    );
    // The same cut as `send -u`: one datagram per read, or per line.
    const input = this.#udp
      ? datagramsOf(chunks, { lines: this.#options.lines ?? false, max })
      : chunks;
    for await (const data of input) {
      if (this.#stopping) return;
      this.#lastInput = Date.now();
      this.#sending = true;
      // Input before the first peer waits for it (and stdin waits too).
      while (this.#peers.size === 0) {
        await new Promise<void>((resolve) => this.#peerArrived = resolve);
      }
      // One slow peer holds stdin back for all: nothing is dropped.
      await Promise.all([...this.#peers].map((peer) => this.#send(peer, data)));
      this.#sending = false;
      this.#lastInput = Date.now();
    }
    this.#inputEnded = true;
    if (!this.#udp && this.#options.shutdown) {
      for (const peer of this.#peers) peer.closeWrite().catch(() => {});
    }
    const quitAfter = this.#options.quitAfter;
    if (quitAfter !== undefined) {
      // nc -l -q: the count starts once somebody is there, so that
      // `listen -q 1 9000 </dev/null >upload` waits for the upload.
      while (this.#peers.size === 0) {
        await new Promise<void>((resolve) => this.#peerArrived = resolve);
      }
      this.#quitWhenQuiet(quitAfter, Date.now());
    }
  }

  /**
   * `-q`: ends the command `ms` after `from`, or after the peers' last
   * byte if later. An absolute count cut an upload that lasted longer than
   * `-q` (`listen -q 1 </dev/null >upload.bin` kept 1.3 of 5 MB), where
   * the point of `-q` there is to wait for the upload; a peer that stays
   * silent still ends it on time.
   */
  async #quitWhenQuiet(ms: number, from: number): Promise<void> {
    await this.#silence(ms, from);
    this.#end(0);
  }

  /**
   * Resolves once `ms` have passed since `from` and since the last byte
   * either way, counting no time in which stdout held the peers' data
   * back: a slow reader of stdout pauses the reading of the socket, and
   * that pause is not the peers' silence (`-q` and `-i` cut an upload
   * piped into a slow reader, with exit 0).
   */
  async #silence(ms: number, from = 0): Promise<void> {
    while (true) {
      if (this.#stdout.busy) {
        await this.#stdout.drain().catch(() => {});
        this.#lastActivity = Date.now();
        continue;
      }
      const left = Math.max(from, this.#lastActivity) + ms - Date.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, left));
    }
  }

  async #send(peer: SocketClient, data: Uint8Array): Promise<void> {
    try {
      await peer.send(data);
    } catch (error) {
      // A TCP peer's failure reaches socketError through the server; a UDP
      // send failure (ICMP unreachable) has no other way to be told.
      if (this.#udp && !this.#stopping) {
        this.socketError(asSocketError(error, peer.peer));
      }
      return;
    }
    this.bytesOut += data.length;
    this.#lastActivity = Date.now();
    if (this.#printer.json || this.#options.hex) {
      await this.#printer.emitData({ event: "sent", peer: peer.peer, data });
    }
  }

  #addPeer(peer: SocketClient): void {
    const idle = this.#options.idleTimeout;
    // Silence counts from the first peer on: waiting for one is not idle.
    if (
      idle !== undefined && !this.#watchingIdle &&
      !(this.#keepOpen && !this.#udp)
    ) {
      this.#watchingIdle = true;
      this.#lastActivity = Date.now();
      this.#watchIdle(idle);
    }
    // UDP: stdin goes to the most recent sender.
    if (this.#udp) this.#peers.clear();
    this.#peers.add(peer);
    this.#peerArrived?.();
    this.#peerArrived = undefined;
  }

  async #watchIdle(ms: number): Promise<void> {
    const local = {
      address: this.#server.localAddress,
      port: this.#server.localPort,
    };
    await this.#silence(ms);
    const [peer] = this.#peers;
    const error = idleError(peer?.peer ?? local, ms);
    // An event too, as a reset has: -v and --json say why the peer went.
    this.socketError(error);
    this.#end(error);
  }
}

/** `-C` applied to a stream of chunks, before any cut into datagrams. */
async function* encoded(
  chunks: AsyncIterable<Uint8Array>,
  crlf: CrlfEncoder | undefined,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield crlf ? crlf.encode(chunk) : chunk;
}
