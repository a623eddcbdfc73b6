import type { NetAddress } from "./errors.ts";
import type { ReceiveMode } from "./_receive_mode.ts";
import { stripBrackets } from "./_address.ts";
import { socketError, toSocketError } from "./_socket_error_from.ts";
import { TcpClient } from "./_tcp_client.ts";
import { resolveHost } from "./_resolve.ts";
import { validateFamily, validatePort, validateProtocol } from "./_validate.ts";
import { deadlineSignal } from "./_deadline.ts";
import { connectTcp } from "./_tcp_connect.ts";

export type { ReceiveMode } from "./_receive_mode.ts";

/** TLS settings for a TCP client; certificates are always verified. *
 *
 * @example Trust a private CA
 * ```ts ignore
 * import { createClient } from "@sockit/sockit";
 *
 * const client = await createClient("internal.test", 8443, {
 *   tls: { caCerts: [await Deno.readTextFile("ca.pem")] },
 * });
 * ```
 */
export interface TlsOptions {
  /**
   * Extra PEM CA certificates to trust, for private servers; an entry
   * without a `BEGIN CERTIFICATE` block is a TypeError.
   */
  caCerts?: string[];
  /**
   * The name sent as SNI and checked against the certificate; defaults to
   * the host.
   */
  hostname?: string;
  /** ALPN protocols to offer, for example `["http/1.1"]`. */
  alpnProtocols?: string[];
}

/** What a TLS handshake negotiated. *
 *
 * @example Print the negotiated protocol
 * ```ts ignore
 * import { createClient } from "@sockit/sockit";
 *
 * const client = await createClient("example.com", 443, { tls: true });
 * console.log(client.tls?.protocol, client.tls?.alpnProtocol);
 * ```
 */
export interface TlsInfo {
  /** `"TLSv1.3"` or `"TLSv1.2"`, where Deno says; undefined otherwise. */
  protocol?: string;
  /** The ALPN protocol the server chose, if any. */
  alpnProtocol?: string;
}

/** Options for {@linkcode createClient}. *
 *
 * @example A UDP client with a short connect timeout
 * ```ts
 * import { createClient } from "@sockit/sockit";
 *
 * const client = await createClient("127.0.0.1", 1025, { protocol: "udp", timeout: 500 });
 * client.close();
 * ```
 */
export interface ClientOptions {
  /** `"tcp"` (the default) or `"udp"`. */
  protocol?: "tcp" | "udp";
  /** Connect timeout in milliseconds; 1000 by default, as in Renoise. */
  timeout?: number;
  /** TCP only: `true` or {@linkcode TlsOptions} for a verified TLS client. */
  tls?: boolean | TlsOptions;
  /** Force IPv4 (4) or IPv6 (6) when resolving a name. */
  family?: 4 | 6;
  /** Aborts a pending connect. */
  signal?: AbortSignal;
  /**
   * TCP only: the peer's FIN fails `receive` with `"disconnected"` but
   * leaves the client open for `send`, as TCP allows (the peer may still be
   * reading). By default it closes the client, as in Renoise.
   */
  keepSendingAfterEof?: boolean;
}

/**
 * A connected TCP, TLS or UDP socket, from {@linkcode createClient} or handed
 * to a server's notifier.
 *
 * Every failure rejects with a `SocketError`; every error but `"timeout"`
 * closes the client, as in Renoise. One exception keeps data from being
 * lost: after a failed TCP `send`, `receive` still returns what the peer
 * sent before the failure, then fails and closes the client.
 *
 * @example Ask and read one line
 * ```ts ignore
 * import { createClient } from "@sockit/sockit";
 *
 * await using client = await createClient("localhost", 1025);
 * await client.send("hello\n");
 * console.log(await client.receive("*line", 500));
 * ```
 */
export interface SocketClient extends AsyncDisposable {
  /** `"tcp"` (TLS included) or `"udp"`. */
  readonly protocol: "tcp" | "udp";
  /** False after `close()` or after any error but a time-out or a TCP send's. */
  readonly isOpen: boolean;
  /** The local address, IPv6 without brackets. */
  readonly localAddress: string;
  /** The local port. */
  readonly localPort: number;
  /** The peer's address, IPv6 without brackets. */
  readonly peerAddress: string;
  /** The peer's port. */
  readonly peerPort: number;
  /** The peer as one value. */
  readonly peer: NetAddress;
  /** What TLS negotiated, for a TLS connection; undefined otherwise. */
  readonly tls?: TlsInfo;
  /** Bytes written to the peer so far. */
  readonly bytesSent: number;
  /**
   * Bytes received from the peer so far: for a client, those `receive`
   * has returned (line endings included), not those it holds read ahead.
   */
  readonly bytesReceived: number;
  /**
   * UDP: datagrams the kernel dropped before they were received, because
   * they came faster than they were read (its receive buffer was full).
   * Read from the system while the client is open (Linux, where
   * /proc/net/udp may be read: `--allow-all`), kept from `close()` on; 0
   * where it is not told, and always 0 over TCP. A UDP server's peer
   * handles say 0 too: the server's socket is shared, and its drops go to
   * the notifier's `socketError` as an `"overflow"` error.
   */
  readonly datagramsDropped: number;
  /**
   * Writes all of `message`; over UDP, as exactly one datagram.
   *
   * @param message Text (sent as UTF-8) or bytes.
   */
  send(message: string | Uint8Array): Promise<void>;
  /**
   * Receives as text (UTF-8). See {@linkcode SocketClient.receiveBytes}.
   *
   * @param mode `"*line"`, `"*all"` or a byte count.
   * @param timeoutMs How long to wait; `0` polls; `Infinity` by default.
   * @returns The text received.
   */
  receive(mode: ReceiveMode, timeoutMs?: number): Promise<string>;
  /**
   * Receives bytes: `"*line"` is the next line without `\n`, `\r\n` or
   * `\r`; `"*all"` is what is pending, waiting for the first chunk if none
   * is; `n` is exactly n bytes. Over UDP one datagram is one message.
   *
   * Once the TCP peer has closed, what is left is returned first, whatever
   * the mode (a last line without its ending, fewer than n bytes); the call
   * after it fails with `"disconnected"`. A timeout leaves buffered bytes
   * for the next call.
   *
   * @param mode `"*line"`, `"*all"` or a byte count.
   * @param timeoutMs How long to wait; `0` polls; `Infinity` by default.
   * @returns The bytes received.
   */
  receiveBytes(mode: ReceiveMode, timeoutMs?: number): Promise<Uint8Array>;
  /**
   * Half-closes a TCP connection: the peer sees EOF, replies still arrive.
   * A `send` after it fails with `"closed"`; a second call does nothing.
   */
  closeWrite(): Promise<void>;
  /** Closes the socket; further use fails with `"closed"`. */
  close(): void;
}

/**
 * Connects a TCP, TLS or UDP client, as Renoise's `create_client`.
 *
 * @example Connect with a timeout
 * ```ts
 * import { createClient, createServer } from "@sockit/sockit";
 *
 * const server = await createServer("127.0.0.1", 0);
 * server.run({ socketMessage: (client, message) => client.send(message) });
 * const client = await createClient("127.0.0.1", server.localPort, {
 *   timeout: 2000,
 * });
 * await client.send("ping\n");
 * console.log(await client.receive("*line", 1000)); // "ping"
 * client.close();
 * await server.stop();
 * ```
 *
 * @param host A name, an IPv4 address, or an IPv6 address with or without
 * brackets.
 * @param port 1 to 65535.
 * @param options Protocol, timeout, TLS, family and abort signal.
 * @returns A connected client.
 */
export function createClient(
  host: string,
  port: number,
  options?: ClientOptions,
): Promise<SocketClient>;
/**
 * Connects to a Unix-domain socket: a stream (`protocol: "tcp"`, the
 * default) or datagrams (`protocol: "udp"`, which binds a temporary path
 * for replies and removes it on `close()`). Its peer's address is
 * `unix:PATH` and its port 0.
 *
 * @example Talk to a Unix stream socket
 * ```ts ignore
 * import { createClient } from "@sockit/sockit";
 *
 * await using client = await createClient({ path: "/run/app.sock" });
 * await client.send("ping\n");
 * console.log(await client.receive("*line", 1000));
 * ```
 *
 * @param address The socket's path; `@name` is an abstract socket (Linux).
 * @param options Protocol and abort signal; TLS and family do not apply.
 * @returns A connected client.
 */
export function createClient(
  address: UnixAddress,
  options?: ClientOptions,
): Promise<SocketClient>;
export async function createClient(
  target: string | UnixAddress,
  portOrOptions?: number | ClientOptions,
  options: ClientOptions = {},
): Promise<SocketClient> {
  if (typeof target === "string") {
    return connectNet(target, portOrOptions as number, options);
  }
  // Unix sockets, like UDP and TLS below, are loaded when first used: a
  // program that only makes plain TCP connections starts without them.
  const { connectUnix } = await import("./_unix_client.ts");
  return connectUnix(target.path, (portOrOptions ?? {}) as ClientOptions);
}

/** A Unix-domain socket address. *
 *
 * @example An abstract socket
 * ```ts
 * import type { UnixAddress } from "@sockit/sockit";
 *
 * const address: UnixAddress = { path: "@sockit-demo" };
 * ```
 */
export interface UnixAddress {
  /** A file path, or `@name` for an abstract socket (Linux). */
  path: string;
}

async function connectNet(
  host: string,
  port: number,
  options: ClientOptions,
): Promise<SocketClient> {
  const { protocol = "tcp", timeout = 1000, tls, family, signal } = options;
  const keepSending = options.keepSendingAfterEof ?? false;
  validatePort(port, "connect", 1);
  validateProtocol(protocol, "connect");
  validateFamily(family, "connect");
  if (!(timeout > 0)) {
    throw new RangeError(
      `Cannot connect: timeout must be more than 0 ms, got ${timeout}`,
    );
  }
  if (tls && protocol === "udp") {
    throw new TypeError("Cannot connect: TLS needs TCP, not UDP");
  }
  // A caCerts entry with no certificate in it would surface only as the
  // server's certificate not being trusted.
  const caCerts = tls === true || !tls ? [] : tls.caCerts ?? [];
  caCerts.forEach((pem, index) => {
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) {
      throw new TypeError(
        `Cannot connect: caCerts[${index}] holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      );
    }
  });
  const name = stripBrackets(host);
  if (name === "") throw new TypeError("Cannot connect: the host is empty");
  const endpoint = { address: name, port };
  const deadline = deadlineSignal(timeout, signal);
  const aborted = deadline.signal;
  try {
    if (protocol === "udp") {
      const address = await resolveHost(
        name,
        port,
        family,
        "connect to",
        aborted,
      );
      const { openUdpClient } = await import("./_udp_client.ts");
      return openUdpClient({ address, port });
    }
    if (!tls) {
      const conn = await connectTcp(name, port, family, aborted);
      conn.setNoDelay(true);
      return new TcpClient(conn, false, keepSending);
    }
    const settings = tls === true ? {} : tls;
    const { connectTls } = await import("./_tls_client.ts");
    const session = await connectTls(endpoint, family, settings, aborted);
    const client = new TcpClient(
      session.conn,
      false,
      keepSending,
      session.addresses,
    );
    client.tls = {
      protocol: session.protocol,
      alpnProtocol: session.alpnProtocol,
    };
    return client;
  } catch (error) {
    if (error instanceof TypeError) throw error;
    if (signal?.aborted && !deadline.expired) throw signal.reason;
    if (deadline.expired) {
      throw socketError("timeout", "connect to", endpoint, {
        detail: `timed out after ${timeout} ms`,
        cause: error,
      });
    }
    throw toSocketError(error, "connect to", endpoint);
  } finally {
    deadline.cancel();
  }
}
