import type { NetAddress } from "./errors.ts";
import type { SocketError } from "./errors.ts";
import type { SocketClient } from "./client.ts";
import type { Message } from "./message.ts";
import { stripBrackets } from "./_address.ts";
import { toSocketError } from "./_socket_error_from.ts";
import { validateFamily, validatePort, validateProtocol } from "./_validate.ts";
import { resolveHost } from "./_resolve.ts";
import { TcpServer } from "./_tcp_server.ts";
import { UdpServer } from "./_udp_server.ts";
import { listenDatagram } from "./_udp.ts";
import type { UnixAddress } from "./client.ts";
import { claimSocketPath, osPath, unixPeer } from "./_unix.ts";
import { checkUnixPath } from "./unix_path.ts";

/**
 * The callbacks a server calls, all optional. A plain object or a class
 * instance; methods are called with `this` bound. A callback may return a
 * promise: the server waits for it before reading that connection again.
 *
 * `socketClosed` and `socketRejected` go beyond Renoise, for servers that
 * report connection lifecycles.
 *
 * @example A class notifier, as in Renoise's echo server
 * ```ts
 * import type { Message, SocketClient, SocketNotifier } from "@sockit/sockit";
 *
 * class EchoServer implements SocketNotifier {
 *   socketAccepted(client: SocketClient) {
 *     console.log(`client ${client.peerAddress}:${client.peerPort} connected`);
 *   }
 *   socketMessage(client: SocketClient, message: Message) {
 *     return client.send(message);
 *   }
 * }
 * ```
 */
export interface SocketNotifier {
  /** TCP only: a new connection, ready to use. */
  socketAccepted?(client: SocketClient): void | Promise<void>;
  /**
   * One chunk (TCP) or one datagram (UDP) from `client`. The next is read
   * once this returns, or once the promise it returns settles: return or
   * await your `send` to pace a peer by its replies. Over TCP a handler
   * that returns nothing is paced all the same: its connection's pending
   * sends finish before the next read.
   */
  socketMessage?(client: SocketClient, message: Message): void | Promise<void>;
  /** A failure; `error.peer` names the peer it concerns. */
  socketError?(error: SocketError): void | Promise<void>;
  /**
   * TCP with `allowHalfOpen` only: the peer half-closed (FIN) and sends no
   * more; the connection stays open for sending until you `close()` it.
   */
  socketEnded?(client: SocketClient): void | Promise<void>;
  /** TCP only: a connection ended; its byte counters are final. */
  socketClosed?(client: SocketClient): void | Promise<void>;
  /** A peer refused by `filter` or by `maxConnections`, with the reason. */
  socketRejected?(peer: NetAddress, reason: string): void | Promise<void>;
}

/** Options for {@linkcode createServer}. *
 *
 * @example Cap connections, close silent ones, refuse a network
 * ```ts
 * import { createServer } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 0, {
 *   maxConnections: 100,
 *   idleTimeout: 30_000,
 *   filter: (peer) => peer.address.startsWith("10.") ? "denied" : undefined,
 * });
 * server.close();
 * ```
 */
export interface ServerOptions {
  /** `"tcp"` (the default) or `"udp"`. */
  protocol?: "tcp" | "udp";
  /** Bind the IPv4 (4) or IPv6 (6) address of a name such as `localhost`. */
  family?: 4 | 6;
  /**
   * TCP: close a connection after this many ms without traffic. Time in
   * which `socketMessage`'s promise waits with no write to that peer
   * pending (a slow sink of the server's own) does not count; a write the
   * peer does not read does.
   */
  idleTimeout?: number;
  /** TCP: connections over this many are accepted and closed at once. */
  maxConnections?: number;
  /**
   * Called for each new connection (TCP) or datagram (UDP); a returned
   * string refuses the peer with that reason. A refused UDP sender is
   * reported to `socketRejected` once (per address and port), not per
   * datagram; its datagrams are all dropped.
   */
  filter?: (peer: NetAddress) => string | undefined;
  /**
   * Hand `socketMessage` a view of the server's read buffer rather than a
   * copy. The message is then valid only until the callback, and the promise
   * it returns, settle: copy (`message.slice()`) what you keep, and return
   * or await your `send`. Saves a copy of every byte received, a quarter of
   * the CPU of a bulk TCP echo. Off by default.
   */
  borrowMessages?: boolean;
  /**
   * TCP: a peer's half-close (FIN) does not close the connection, as
   * Node's `allowHalfOpen`: `socketEnded` is called, and the connection
   * stays open for sending until the handler closes it. By default the
   * server answers what is pending, then closes.
   */
  allowHalfOpen?: boolean;
  /**
   * UDP: keep to the first sender that passes `filter`, as `nc -u -l`
   * does. Datagrams from any other address are dropped, and each such
   * address is reported once through `socketRejected` with `"locked"`.
   */
  onePeer?: boolean;
  /**
   * TCP: serve TLS with this PEM certificate chain and key. A client that
   * fails the handshake is a `socketError` for that peer; the server goes on.
   */
  tls?: ServerTlsOptions;
}

/** A TLS server's certificate and key, as PEM text. *
 *
 * @example A TLS echo server
 * ```ts ignore
 * import { createServer } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 8443, {
 *   tls: {
 *     cert: await Deno.readTextFile("cert.pem"),
 *     key: await Deno.readTextFile("key.pem"),
 *   },
 * });
 * server.run({ socketMessage: (client, message) => client.send(message) });
 * ```
 */
export interface ServerTlsOptions {
  /** The certificate chain, leaf first. */
  cert: string;
  /** The private key of the leaf. */
  key: string;
  /** ALPN protocols to accept, in order of preference. */
  alpnProtocols?: string[];
}

/**
 * A listening TCP or UDP server, from {@linkcode createServer}.
 *
 * @example Serve, then stop
 * ```ts
 * import { createServer } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 0);
 * server.run({ socketMessage: (client, message) => client.send(message) });
 * console.log(`listening on port ${server.localPort}`);
 * await server.stop();
 * ```
 */
export interface SocketServer extends AsyncDisposable {
  /** `"tcp"` or `"udp"`. */
  readonly protocol: "tcp" | "udp";
  /** True between `run()` and `stop()`/`close()`. */
  readonly isRunning: boolean;
  /** The bound address, IPv6 without brackets. */
  readonly localAddress: string;
  /** The bound port: the real one when 0 was asked for. */
  readonly localPort: number;
  /** Whether it serves TLS. */
  readonly tls: boolean;
  /** TCP connections open now; always 0 for UDP. */
  readonly connectionCount: number;
  /**
   * Starts serving in the background and returns at once.
   *
   * @param notifier The callbacks to call.
   */
  run(notifier: SocketNotifier): void;
  /**
   * TCP: closes the listening socket but lets open connections carry on,
   * as `nc -l` does once it has its one client; a TLS client still in its
   * handshake is closed when it finishes, unseen by the notifier. UDP has
   * no connections to stop accepting: nothing changes.
   */
  stopAccepting(): void;
  /** Stops, closes every connection, and resolves when handlers are done. */
  stop(): Promise<void>;
  /** Like `stop()`, without waiting. */
  close(): void;
}

/**
 * Binds a TCP or UDP server, as Renoise's `create_server`. It serves once
 * {@linkcode SocketServer.run} is called.
 *
 * @example A UDP echo server, as in the Renoise guide
 * ```ts
 * import { createServer } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 0, { protocol: "udp" });
 * server.run({
 *   socketMessage(client, message) {
 *     console.log(`client ${client.peerAddress}:${client.peerPort} sent '${message}'`);
 *     return client.send(message);
 *   },
 * });
 * await server.stop();
 * ```
 *
 * @param host The address to bind; `undefined` binds every IPv4 interface
 * (`0.0.0.0`; with `family: 6`, `::`, which Linux shares with IPv4) and
 * `"localhost"` the loopback address.
 * @param port 0 to 65535; 0 takes an ephemeral port.
 * @param options Protocol, idle timeout, connection cap and peer filter.
 * @returns A bound server, not yet running.
 */
export function createServer(
  host: string | undefined,
  port: number,
  options?: ServerOptions,
): Promise<SocketServer>;
/**
 * Binds a Unix-domain socket server: a stream (`protocol: "tcp"`) or
 * datagrams (`protocol: "udp"`). A stale socket file (nothing answers) is
 * replaced; a live socket or a path that is not a socket is a SocketError
 * `"address-in-use"`. The file is removed when the server stops. Peers
 * show as `unix:PATH` (`unix:-` for a client bound to no path).
 *
 * @example A Unix stream echo server
 * ```ts ignore
 * import { createServer } from "@sockit/sockit";
 *
 * const server = await createServer({ path: "/tmp/echo.sock" });
 * server.run({ socketMessage: (client, message) => client.send(message) });
 * ```
 *
 * @param address The path to bind; `@name` is an abstract socket (Linux).
 * @param options Protocol, idle timeout, connection cap and peer filter.
 * @returns A bound server, not yet running.
 */
export function createServer(
  address: UnixAddress,
  options?: ServerOptions,
): Promise<SocketServer>;
export async function createServer(
  target: string | undefined | UnixAddress,
  portOrOptions?: number | ServerOptions,
  maybeOptions: ServerOptions = {},
): Promise<SocketServer> {
  if (typeof target === "object") {
    return await bindUnix(target.path, (portOrOptions ?? {}) as ServerOptions);
  }
  const host = target;
  const port = portOrOptions as number;
  const options = maybeOptions;
  const { family } = options;
  validateFamily(family, "listen");
  const name = host === undefined
    ? (family === 6 ? "::" : "0.0.0.0")
    : stripBrackets(host);
  if (name === "") {
    throw new TypeError(
      "Cannot listen: the host is empty (undefined binds every interface)",
    );
  }
  const hostname = family === undefined
    ? name
    : await resolveHost(name, port, family, "listen on").catch((error) => {
      throw toSocketError(error, "listen on", { address: name, port });
    });
  return bind(hostname, port, options);
}

async function bindUnix(
  path: string,
  options: ServerOptions,
): Promise<SocketServer> {
  const {
    protocol = "tcp",
    idleTimeout,
    maxConnections = Infinity,
    filter,
    onePeer = false,
    allowHalfOpen = false,
  } = options;
  if (options.tls || options.family) {
    throw new TypeError(
      "Cannot listen: TLS and address families do not apply to Unix sockets",
    );
  }
  validateServerOptions(options);
  checkUnixPath(path, "listen on");
  const where = unixPeer(path);
  try {
    await claimSocketPath(path, protocol === "udp" ? "datagram" : "stream");
    if (protocol === "udp") {
      const conn = listenDatagram({
        transport: "unixpacket",
        path: osPath(path),
      });
      return new UdpServer(conn, filter, onePeer);
    }
    const listener = Deno.listen({ transport: "unix", path: osPath(path) });
    return new TcpServer(listener, {
      idleTimeout,
      maxConnections,
      filter,
      tls: false,
      allowHalfOpen,
    });
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw toSocketError(error, "listen on", where);
  }
}

function bind(
  hostname: string,
  port: number,
  options: ServerOptions,
): SocketServer {
  const {
    protocol = "tcp",
    idleTimeout,
    maxConnections = Infinity,
    filter,
    borrowMessages = false,
    tls,
    onePeer = false,
    allowHalfOpen = false,
  } = options;
  validatePort(port, "listen", 0);
  validateServerOptions(options);
  try {
    if (protocol === "udp") {
      const conn = listenDatagram({ transport: "udp", hostname, port });
      return new UdpServer(conn, filter, onePeer, borrowMessages);
    }
    const listener = tls
      ? Deno.listenTls({ transport: "tcp", hostname, port, ...tls })
      : Deno.listen({ transport: "tcp", hostname, port });
    return new TcpServer(listener, {
      idleTimeout,
      maxConnections,
      filter,
      borrowMessages,
      tls: tls !== undefined,
      allowHalfOpen,
    });
  } catch (error) {
    // A TypeError is a setup mistake (no --unstable-net), not the network.
    if (error instanceof TypeError) throw error;
    throw toSocketError(error, "listen on", { address: hostname, port });
  }
}

/** What every server checks before binding anything. */
function validateServerOptions(options: ServerOptions): void {
  const { protocol, idleTimeout, maxConnections = Infinity, tls } = options;
  validateProtocol(protocol, "listen");
  if (idleTimeout !== undefined && !(idleTimeout > 0)) {
    throw new RangeError(
      `Cannot listen: idle timeout must be more than 0 ms, got ${idleTimeout}`,
    );
  }
  if (tls && protocol === "udp") {
    throw new TypeError("Cannot listen: TLS needs TCP, not UDP");
  }
  if (!(maxConnections >= 1)) {
    throw new RangeError(
      `Cannot listen: max connections must be 1 or more, got ${maxConnections}`,
    );
  }
}
