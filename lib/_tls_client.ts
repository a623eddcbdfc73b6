import type { NetAddress } from "./errors.ts";
import type { StreamConn } from "./_tcp_stream.ts";
import { handshakeFailure, socketError } from "./_socket_error_from.ts";
import { NodeTlsConn, toDenoError } from "./_node_tls_conn.ts";
import { connectTcp } from "./_tcp_connect.ts";
import { resolveHost } from "./_resolve.ts";

/** What a TLS client needs to know; certificates are always verified. */
export interface TlsClientSettings {
  caCerts?: string[];
  hostname?: string;
  alpnProtocols?: string[];
}

/** A verified TLS connection and what its handshake negotiated. */
export interface TlsSession {
  conn: StreamConn;
  /** Where the addresses are: `Deno.startTls` reports empty ones. */
  addresses: Pick<StreamConn, "localAddr" | "remoteAddr">;
  /** `TLSv1.3`, `TLSv1.2`, or undefined where Deno does not say. */
  protocol: string | undefined;
  alpnProtocol: string | undefined;
}

/**
 * Connects and runs the TLS handshake under the connect deadline.
 *
 * `Deno.connect` then `Deno.startTls` (rustls, the bundled roots plus
 * `caCerts`) verifies everything, except that rustls refuses any server
 * certificate that is itself a CA (`CaUsedAsEndEntity`), and OpenSSL 3's
 * `req -x509` makes exactly that by default: a self-signed server could not
 * be trusted at all. So when one of `caCerts` is such a CA certificate and
 * is valid for the name (only then can it be the server's own), the
 * connection goes through `node:tls`, which accepts a trusted certificate
 * as its own leaf, as curl does, and still checks the name and the dates.
 * The choice is made before connecting: a second connection after a
 * refusal would cost one-shot servers (`ncat -l --ssl`) their only accept.
 */
export async function connectTls(
  endpoint: NetAddress,
  family: 4 | 6 | undefined,
  settings: TlsClientSettings,
  signal: AbortSignal,
): Promise<TlsSession> {
  const hostname = settings.hostname ?? endpoint.address;
  if (await hasSelfSignedFor(hostname, settings.caCerts ?? [])) {
    const address = family
      ? await resolveHost(
        endpoint.address,
        endpoint.port,
        family,
        "connect to",
        signal,
      )
      : endpoint.address;
    return await connectNode(address, endpoint, hostname, settings, signal);
  }
  const tcp = await connectTcp(endpoint.address, endpoint.port, family, signal);
  const tlsConn = await Deno.startTls(tcp, {
    hostname,
    caCerts: settings.caCerts,
    alpnProtocols: settings.alpnProtocols,
  });
  // A handshake cannot be aborted, but closing its connection ends it.
  const abort = () => tlsConn.close();
  signal.addEventListener("abort", abort, { once: true });
  try {
    const info = await tlsConn.handshake();
    return {
      conn: tlsConn,
      addresses: tcp,
      protocol: undefined,
      alpnProtocol: info.alpnProtocol ?? undefined,
    };
  } catch (error) {
    if (signal.aborted) throw error;
    tlsConn.close();
    // A trusted self-signed certificate that does not carry the name was
    // not chosen for node:tls above; say so rather than "not trusted".
    const trusted = settings.caCerts?.length ? "for the name" : "";
    throw tlsFailure(error, endpoint, hostname, trusted);
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

/**
 * Whether one of `caCerts` is a CA certificate valid for `hostname`: what
 * a self-signed server presents, and what rustls refuses as a leaf.
 */
async function hasSelfSignedFor(
  hostname: string,
  caCerts: string[],
): Promise<boolean> {
  if (caCerts.length === 0) return false;
  // Loaded on demand: node's compatibility layer costs start-up time.
  const { X509Certificate } = await import("node:crypto");
  return caCerts.flatMap(splitPem).some((pem) => {
    try {
      const cert = new X509Certificate(pem);
      const match = isIp(hostname)
        ? cert.checkIP(hostname)
        : cert.checkHost(hostname);
      return cert.ca && match !== undefined;
    } catch {
      // Not parseable here: rustls will say what is wrong with it.
      return false;
    }
  });
}

/** Each `BEGIN CERTIFICATE` block of a PEM bundle. */
function splitPem(pem: string): string[] {
  return pem.match(
    /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g,
  ) ?? [];
}

/** The certificate failures a user can act on, one line each. */
function tlsFailure(
  error: unknown,
  endpoint: NetAddress,
  hostname: string,
  selfSignedScope = "",
): Error {
  const text = String(error);
  const detail = /Expired|CERT_HAS_EXPIRED/.test(text)
    ? "certificate has expired"
    : /NotValidYet|CERT_NOT_YET_VALID/.test(text)
    ? "certificate is not valid yet"
    : /not valid for name|NotValidForName|ALTNAME/.test(text)
    ? `certificate is not valid for the name "${hostname}"`
    : /CaUsedAsEndEntity|SELF_SIGNED/.test(text)
    ? `certificate is self-signed and not trusted${
      selfSignedScope && ` ${selfSignedScope} "${hostname}"`
    }`
    : /UnknownIssuer|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(text)
    ? "certificate is signed by an unknown issuer"
    : undefined;
  return socketError("tls", "connect to", endpoint, {
    detail: detail === undefined
      ? handshakeFailure(error)
      : `TLS handshake failed: ${detail}`,
    cause: error,
  });
}

/**
 * `node:tls` trusting only `caCerts`. Verification failures are read from
 * `authorizationError` rather than thrown, so each gets its own line.
 */
async function connectNode(
  address: string,
  endpoint: NetAddress,
  hostname: string,
  settings: TlsClientSettings,
  signal: AbortSignal,
): Promise<TlsSession> {
  const tls = await import("node:tls");
  signal.throwIfAborted();
  const socket = tls.connect({
    host: address,
    port: endpoint.port,
    servername: isIp(hostname) ? undefined : hostname,
    // Only the given certificates: the system roots would need --allow-sys,
    // and the leaf is one of these anyway.
    ca: settings.caCerts,
    checkServerIdentity: (_host, cert) =>
      tls.checkServerIdentity(hostname, cert),
    rejectUnauthorized: false,
    ALPNProtocols: settings.alpnProtocols,
  });
  // The peer's close_notify and FIN end only its direction, as on Deno's
  // TLS: node would end ours too, and what is still sent after a server's
  // early answer would fail ("socket is closed"). Set here: node's types
  // do not list the option for `tls.connect`, though it takes it.
  socket.allowHalfOpen = true;
  const abort = () => socket.destroy();
  signal.addEventListener("abort", abort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
      socket.once("close", () => reject(new Deno.errors.ConnectionReset()));
    });
  } catch (error) {
    socket.destroy();
    if (signal.aborted) throw error;
    const code = (error as { code?: string }).code ?? "";
    // Refused, reset, unknown name: the network's failure, not TLS's.
    if (/^E[A-Z]+$/.test(code)) throw toDenoError(error as Error);
    throw tlsFailure(error, endpoint, hostname);
  } finally {
    signal.removeEventListener("abort", abort);
  }
  if (!socket.authorized) {
    socket.destroy();
    throw tlsFailure(
      new Error(String(socket.authorizationError)),
      endpoint,
      hostname,
    );
  }
  const conn = new NodeTlsConn(socket);
  return {
    conn,
    addresses: conn,
    protocol: socket.getProtocol() ?? undefined,
    alpnProtocol: typeof socket.alpnProtocol === "string"
      ? socket.alpnProtocol
      : undefined,
  };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
