import type { NetAddress } from "./errors.ts";
import { socketError } from "./_socket_error_from.ts";

/** A Unix peer's address starts with this; its port is 0. */
export const UNIX_PREFIX = "unix:";

/**
 * The path the OS takes: `@name` is an abstract socket (Linux), whose
 * address starts with a NUL byte instead of naming a file.
 */
export function osPath(path: string): string {
  return path.startsWith("@") ? `\0${path.slice(1)}` : path;
}

/** A Unix client bound to no path: it can send, but not be answered. */
export const UNBOUND = `${UNIX_PREFIX}-`;

/** `unix:/run/x.sock`, `unix:@name`, or `unix:-` for an unbound client. */
export function unixPeer(path: string | null | undefined): NetAddress {
  const shown = !path
    ? "-"
    : path.startsWith("\0")
    ? `@${path.slice(1)}`
    : path;
  return { address: `${UNIX_PREFIX}${shown}`, port: 0 };
}

/** Whether `peer` is a Unix socket address. */
export function isUnix(peer: NetAddress): boolean {
  return peer.address.startsWith(UNIX_PREFIX);
}

/** The OS path of a Unix peer, for sending datagrams back to it. */
export function pathOf(peer: NetAddress): string {
  return osPath(peer.address.slice(UNIX_PREFIX.length));
}

/**
 * Makes `path` ready to bind: a stale socket file (nothing answers) is
 * removed; a live socket, or a file that is not a socket, is an error.
 * Abstract names have no file and need nothing.
 */
export async function claimSocketPath(
  path: string,
  kind: "stream" | "datagram",
): Promise<void> {
  if (path.startsWith("@")) return;
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const where = unixPeer(path);
  if (!info.isSocket) {
    throw socketError("address-in-use", "listen on", where, {
      detail: "the path exists and is not a socket; not replacing it",
    });
  }
  if (await isLive(path, kind)) {
    throw socketError("address-in-use", "listen on", where, {
      detail: "another process is listening on this socket",
    });
  }
  await Deno.remove(path);
}

/** Whether something answers on the socket file at `path`. */
async function isLive(
  path: string,
  kind: "stream" | "datagram",
): Promise<boolean> {
  if (kind === "stream") {
    try {
      (await Deno.connect({ transport: "unix", path })).close();
      return true;
    } catch (error) {
      return !(error instanceof Deno.errors.ConnectionRefused);
    }
  }
  // A datagram socket cannot be connected to: send it an empty datagram
  // from an unbound (abstract, autobound-like) socket and see if it bounces.
  const probePath = `\0sockit-probe-${crypto.randomUUID()}`;
  const probe = Deno.listenDatagram({
    transport: "unixpacket",
    path: probePath,
  });
  try {
    await probe.send(new Uint8Array(0), { transport: "unixpacket", path });
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.ConnectionRefused);
  } finally {
    probe.close();
  }
}

/**
 * A fresh address for a datagram client's replies: a Unix datagram peer
 * can only answer a sender that has one. On Linux an abstract name, which
 * leaves nothing on disk even when the process is killed; elsewhere a path
 * in the temporary directory, removed on close.
 */
export async function tempSocketPath(): Promise<string> {
  if (Deno.build.os === "linux") return `\0sockit-${crypto.randomUUID()}`;
  const path = await Deno.makeTempFile({ prefix: "sockit-", suffix: ".sock" });
  await Deno.remove(path);
  return path;
}

/** Removes a socket file Deno leaves behind (datagram sockets); quietly. */
export function unlinkSocket(path: string): void {
  if (path.startsWith("\0") || path.startsWith("@")) return;
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already, or not ours to remove.
  }
}
