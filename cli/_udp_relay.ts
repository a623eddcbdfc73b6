import {
  type Message,
  type NetAddress,
  type SocketClient,
  SocketError,
  type SocketNotifier,
} from "../lib/mod.ts";
import {
  connectTarget,
  loopError,
  reachesListener,
  type RelayTarget,
} from "./_relay_target.ts";
import { asSocketError } from "./_session_end.ts";
import type { RelayPair, RelayReport } from "./_relay_report.ts";
import { formatPeer } from "./_peer_text.ts";
import { counted } from "./_events.ts";
import { overflowError } from "../lib/_kernel_drops.ts";

/** UDP mappings are dropped after this much silence unless `-i` says. */
export const UDP_MAPPING_IDLE_MS = 60_000;

/**
 * Bytes held per client while its upstream socket is being set up: even
 * for an IP target that takes a few awaits and ~0.2 ms (the socket and its
 * 64 KiB buffer), while the server reads on through whatever the kernel
 * has queued (64 datagrams cut a burst of 200). As much as a socket's
 * default receive buffer takes, four times over; past it datagrams are
 * dropped, and counted in one `error` event once the rest have gone on.
 */
const MAX_HELD_BYTES = 1 << 20;

/** Refused client addresses remembered, so spoofed ones cannot grow memory. */
const MAX_REFUSED = 4096;

/** One client address and its own socket towards the target. */
interface Mapping {
  pair: RelayPair;
  upstream: Promise<SocketClient | undefined>;
  /** Set once `upstream` has settled. */
  ready: boolean;
  /** Datagrams waiting for `upstream`, in order, and their bytes. */
  held: number;
  heldBytes: number;
  /** Datagrams dropped since the queue last emptied. */
  dropped: number;
  queue: Promise<void>;
  lastActivity: number;
  done: Promise<void>;
}

/**
 * `relay -u`, as a NAT would do it: each client address gets its own
 * upstream socket, so the target's replies on it go back to that client
 * only; a mapping silent both ways for the idle timeout is dropped.
 */
export class UdpRelay implements SocketNotifier {
  #target: RelayTarget;
  #report: RelayReport;
  #maxMappings: number;
  #idleMs: number;
  #mappings = new Map<string, Mapping>();
  /** Clients told `max-conns` since a mapping last closed. */
  #refused = new Set<string>();
  #closing = false;
  /** Where the relay listens, to know a target that is the relay itself. */
  #listening: NetAddress;

  constructor(
    target: RelayTarget,
    report: RelayReport,
    maxMappings: number,
    listening: NetAddress,
  ) {
    this.#target = target;
    this.#report = report;
    this.#maxMappings = maxMappings;
    this.#listening = listening;
    this.#idleMs = target.idleTimeout ?? UDP_MAPPING_IDLE_MS;
  }

  socketMessage(client: SocketClient, message: Message): void | Promise<void> {
    const key = `${client.peerAddress}|${client.peerPort}`;
    let mapping = this.#mappings.get(key);
    if (mapping === undefined) {
      if (this.#mappings.size >= this.#maxMappings) {
        // Once per address while it is refused, as listen -u's `locked`.
        if (this.#refused.has(key) || this.#refused.size >= MAX_REFUSED) return;
        this.#refused.add(key);
        return this.#report.rejected(client.peer, "max-conns");
      }
      mapping = this.#open(key, client);
    }
    mapping.lastActivity = Date.now();
    if (mapping.ready && mapping.held === 0) {
      return this.#forward(mapping, client, message);
    }
    // A target name still resolving must not hold up every other client:
    // this one's datagrams wait in order, up to a limit.
    if (mapping.heldBytes + message.length > MAX_HELD_BYTES) {
      mapping.dropped++;
      return;
    }
    const waiting = mapping;
    waiting.held++;
    waiting.heldBytes += message.length;
    waiting.queue = waiting.queue
      .then(() => this.#forward(waiting, client, message))
      .finally(() => {
        waiting.heldBytes -= message.length;
        if (--waiting.held === 0 && waiting.dropped > 0) {
          this.#reportDropped(waiting, client);
        }
      });
  }

  /** One event for a burst's drops, naming the client and the target. */
  #reportDropped(mapping: Mapping, client: SocketClient): void {
    const count = mapping.dropped;
    mapping.dropped = 0;
    const { target } = this.#report;
    this.#report.error(
      new SocketError(
        "failed",
        `Cannot relay ${counted(count, "datagram")} from "${
          formatPeer(client.peer)
        }" to "${formatPeer(target)}": ${
          MAX_HELD_BYTES >> 20
        } MiB already waited for the target's socket; dropped`,
        { peer: client.peer },
      ),
      client.peer,
    );
  }

  async #forward(
    mapping: Mapping,
    client: SocketClient,
    message: Message,
  ): Promise<void> {
    const upstream = await mapping.upstream;
    if (upstream === undefined || !upstream.isOpen) return;
    try {
      await upstream.send(message);
    } catch (error) {
      // One datagram the target's family cannot carry (65,527 bytes from an
      // IPv6 client to an IPv4 target) is dropped and said; the mapping,
      // and its source port towards the target, stay.
      this.#report.error(asSocketError(error, client.peer), client.peer);
      return;
    }
    // Counted and shown once sent: `closed` counts what was relayed.
    const backlog = this.#report.message(mapping.pair, "up", message);
    if (backlog) await backlog;
  }

  socketRejected(peer: NetAddress, reason: string): void {
    this.#report.rejected(peer, reason);
  }

  socketError(error: SocketError): void {
    this.#report.error(error);
  }

  /** Drops every mapping, each with its `closed` event. */
  async close(): Promise<void> {
    this.#closing = true;
    const mappings = [...this.#mappings.values()];
    for (const mapping of mappings) (await mapping.upstream)?.close();
    await Promise.all(mappings.map((mapping) => mapping.done));
  }

  #open(key: string, client: SocketClient): Mapping {
    const pair = this.#report.accepted(client.peer);
    const { signal } = this.#target;
    const upstream = connectTarget(this.#target, "udp").then((socket) => {
      if (reachesListener(socket, this.#listening)) {
        // Nothing was forwarded, so no datagram goes round: this client
        // is told, as of a target that does not resolve.
        socket.close();
        const error = loopError(this.#report.target, client.peer);
        this.#report.error(error, client.peer);
        return undefined;
      }
      this.#report.connected(pair, socket);
      return socket;
    }, (error) => {
      // Aborted by shutdown: nothing failed. Otherwise the target is named.
      if (!signal.aborted) {
        this.#report.error(asSocketError(error, client.peer), client.peer);
      }
      return undefined;
    });
    const mapping: Mapping = {
      pair,
      upstream,
      ready: false,
      held: 0,
      heldBytes: 0,
      dropped: 0,
      queue: Promise.resolve(),
      lastActivity: Date.now(),
      done: Promise.resolve(),
    };
    upstream.then(() => mapping.ready = true);
    mapping.done = this.#downstream(mapping, client).finally(() => {
      this.#mappings.delete(key);
      // Room again: a client refused before may now get in, or be told anew.
      this.#refused.clear();
      this.#report.closed(pair);
    });
    this.#mappings.set(key, mapping);
    return mapping;
  }

  /** Replies from the target go back to the one client of this mapping. */
  async #downstream(mapping: Mapping, client: SocketClient): Promise<void> {
    const upstream = await mapping.upstream;
    if (upstream === undefined) return;
    try {
      while (upstream.isOpen) {
        const left = mapping.lastActivity + this.#idleMs - Date.now();
        if (left <= 0) return;
        let data: Uint8Array;
        try {
          data = await upstream.receiveBytes("*all", left);
        } catch (error) {
          if (error instanceof SocketError && error.code === "timeout") {
            continue;
          }
          throw error;
        }
        mapping.lastActivity = Date.now();
        try {
          await client.send(data);
        } catch (error) {
          // The relay's own socket closed (a stop: replies still come in
          // until the mappings close): the mapping ends, and nothing failed.
          if (error instanceof SocketError && error.code === "closed") {
            return;
          }
          // A reply the client cannot take (too big for its family) is
          // dropped and said, as upstream; the mapping stays.
          this.#report.error(asSocketError(error, client.peer), client.peer);
          continue;
        }
        const backlog = this.#report.message(mapping.pair, "down", data);
        if (backlog) await backlog;
      }
    } catch (error) {
      // Our own close() on shutdown is not a failure worth an event.
      if (!this.#closing) {
        this.#report.error(asSocketError(error, client.peer), client.peer);
      }
    } finally {
      upstream.close();
      // Replies lost before they could be relayed: said once, at the end.
      const dropped = upstream.datagramsDropped;
      if (dropped > 0) {
        this.#report.error(
          overflowError("receive from", upstream.peer, dropped),
          client.peer,
        );
      }
    }
  }
}
