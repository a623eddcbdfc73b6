import type { NetAddress } from "./errors.ts";
import type { StreamConn } from "./_tcp_stream.ts";
import { describe, socketError } from "./_socket_error_from.ts";
import { NodeTlsConn } from "./_node_tls_conn.ts";

/** What a TLS client needs to know; certificates are always verified. */
export interface TlsClientSettings {
  caCerts?: string[];
  hostname?: string;
  alpnProtocols?: string[];
}

/** A verified TLS connection and what its handshake negotiated. */
export interface TlsSession {
  conn: StreamConn;
  /** `TLSv1.3`, `TLSv1.2`, or undefined where Deno does not say. */
  protocol: string | undefined;
  alpnProtocol: string | undefined;
}

/**
 * Runs the TLS handshake on `conn` under the connect deadline.
 *
 * rustls (behind `Deno.startTls`) refuses any server certificate that is a
 * CA (`CaUsedAsEndEntity`), and OpenSSL 3's `req -x509` makes exactly that
 * by default. When the server presents a certificate the caller passed in
 * `caCerts` byte for byte, that certificate is trusted as itself: a second
 * connection through `node:tls` checks it is that very certificate, still
 * valid and issued for the name. Nothing else is ever accepted.
 */
export async function startTls(
  conn: Deno.TcpConn,
  endpoint: NetAddress,
  settings: TlsClientSettings,
  signal: AbortSignal,
): Promise<TlsSession> {
  const hostname = settings.hostname ?? endpoint.address;
  const tlsConn = await Deno.startTls(conn, {
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
      protocol: undefined,
      alpnProtocol: info.alpnProtocol ?? undefined,
    };
  } catch (error) {
    if (signal.aborted) throw error;
    tlsConn.close();
    if (
      /CaUsedAsEndEntity/.test(String(error)) && settings.caCerts?.length
    ) {
      return await connectPinned(endpoint, hostname, settings, signal);
    }
    throw tlsFailure(error, endpoint, hostname);
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

/** The certificate failures a user can act on, one line each. */
function tlsFailure(
  error: unknown,
  endpoint: NetAddress,
  hostname: string,
): Error {
  const text = String(error);
  const detail = /Expired|CERT_HAS_EXPIRED/.test(text)
    ? "certificate has expired"
    : /NotValidYet|CERT_NOT_YET_VALID/.test(text)
    ? "certificate is not valid yet"
    : /UnknownIssuer|UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/
        .test(text)
    ? "certificate is signed by an unknown issuer"
    : /not valid for name|NotValidForName|ALTNAME/.test(text)
    ? `certificate is not valid for the name "${hostname}"`
    : /CaUsedAsEndEntity/.test(text)
    ? "certificate is a self-signed CA certificate that is not trusted"
    : undefined;
  return socketError("tls", "connect to", endpoint, {
    detail: detail === undefined
      ? `TLS handshake failed: ${describe(error)}`
      : `TLS handshake failed: ${detail}`,
    cause: error,
  });
}

/**
 * Connects again through `node:tls`, whose verifier accepts a trusted
 * certificate used as its own leaf, and insists that the leaf is one of
 * `caCerts` exactly: this path trusts the certificates the caller gave and
 * nothing they might have signed.
 */
async function connectPinned(
  endpoint: NetAddress,
  hostname: string,
  settings: TlsClientSettings,
  signal: AbortSignal,
): Promise<TlsSession> {
  // Loaded on demand: node's compatibility layer costs start-up time.
  const tls = await import("node:tls");
  const { X509Certificate } = await import("node:crypto");
  signal.throwIfAborted();
  const pinned = (settings.caCerts ?? []).flatMap(splitPem).map((pem) =>
    new X509Certificate(pem).raw
  );
  const socket = tls.connect({
    host: endpoint.address,
    port: endpoint.port,
    servername: isIp(hostname) ? undefined : hostname,
    // Only the given certificates: the leaf must be one of them anyway,
    // and the system roots would need --allow-sys.
    ca: settings.caCerts,
    checkServerIdentity: (_host, cert) =>
      tls.checkServerIdentity(hostname, cert),
    rejectUnauthorized: false,
    ALPNProtocols: settings.alpnProtocols,
  });
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
    throw signal.aborted ? error : tlsFailure(error, endpoint, hostname);
  } finally {
    signal.removeEventListener("abort", abort);
  }
  const leaf = socket.getPeerCertificate().raw;
  const isPinned = pinned.some((raw) => raw.equals(leaf));
  if (!isPinned || !socket.authorized) {
    socket.destroy();
    const reason = isPinned
      ? String(socket.authorizationError)
      : "CaUsedAsEndEntity";
    throw tlsFailure(new Error(reason), endpoint, hostname);
  }
  return {
    conn: new NodeTlsConn(socket),
    protocol: socket.getProtocol() ?? undefined,
    alpnProtocol: typeof socket.alpnProtocol === "string"
      ? socket.alpnProtocol
      : undefined,
  };
}

/** Each `BEGIN CERTIFICATE` block of a PEM bundle. */
export function splitPem(pem: string): string[] {
  return pem.match(
    /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g,
  ) ?? [];
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
