import { UsageError } from "./_exit.ts";
import { fileMessageOf } from "./_failure.ts";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g;

/**
 * The PEM text of each `--cacert` file, checked now so that a file with no
 * certificate is the user's mistake (exit 2), not the server's fault.
 */
export async function readCaCerts(paths: string[]): Promise<string[]> {
  return await Promise.all(paths.map(async (path) => {
    const text = await readPem(path, "--cacert");
    await certificatesIn(path, "--cacert", text);
    return text;
  }));
}

/** A server's certificate chain and key, checked to belong together. */
export interface ServerPair {
  cert: string;
  key: string;
}

/**
 * Reads `--tls-cert` and `--tls-key` and checks them before anything is
 * bound: `Deno.listenTls` binds first and only then reports a bad pair.
 */
export async function readServerPair(
  certPath: string | undefined,
  keyPath: string | undefined,
): Promise<ServerPair | undefined> {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    throw new UsageError("--tls-cert and --tls-key must be given together");
  }
  const cert = await readPem(certPath, "--tls-cert");
  const key = await readPem(keyPath, "--tls-key");
  const [leaf] = await certificatesIn(certPath, "--tls-cert", cert);
  const { createPrivateKey, X509Certificate } = await import("node:crypto");
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new UsageError(`--tls-key "${keyPath}" holds no PEM private key`);
  }
  if (!new X509Certificate(leaf).checkPrivateKey(privateKey)) {
    throw new UsageError(
      `--tls-key "${keyPath}" does not match the certificate in "${certPath}"`,
    );
  }
  return { cert, key };
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read ${flag} "${path}": ${fileMessageOf(error)}`,
    );
  }
}

/** The certificates in `text`, at least one, else the user's mistake. */
async function certificatesIn(
  path: string,
  flag: string,
  text: string,
): Promise<[string, ...string[]]> {
  const [first, ...rest] = await parseBlocks(path, flag, text, "CERTIFICATE");
  if (first === undefined) {
    throw new UsageError(`${flag} "${path}" holds no PEM certificate`);
  }
  return [first, ...rest];
}

/**
 * The blocks of `label` in `text`, each parsed, so a corrupt one is named
 * here rather than as rustls's `InvalidByte(9, 33)` at connect time.
 */
async function parseBlocks(
  path: string,
  flag: string,
  text: string,
  label: string,
): Promise<string[]> {
  const { X509Certificate } = await import("node:crypto");
  const blocks: string[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (match[1] !== label) continue;
    try {
      if (!/^[A-Za-z0-9+/=\s]*$/.test(match[2] ?? "")) throw new Error();
      new X509Certificate(match[0]);
    } catch {
      throw notPem(flag, path);
    }
    blocks.push(match[0]);
  }
  // A BEGIN line without its END is a cut or damaged file, not "no PEM".
  if (text.split(`-----BEGIN ${label}-----`).length - 1 !== blocks.length) {
    throw notPem(flag, path);
  }
  return blocks;
}

function notPem(flag: string, path: string): UsageError {
  return new UsageError(
    `${flag} "${path}" is not valid PEM: a certificate in it does not decode`,
  );
}
