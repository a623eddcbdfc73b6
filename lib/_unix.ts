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

/**
 * Whether something answers on the socket file at `path`. Asked with a
 * socket of the other kind: the kernel then says EPROTOTYPE for a live
 * socket of `kind` and ECONNREFUSED for a stale file, and the live one
 * sees nothing. Asked with its own kind, the check reached it: a second
 * `listen --unix` on a live path was the first's one client (it ended),
 * and a second `listen -u --unix` sent the first an empty datagram it
 * locked onto, refusing every real sender. A live socket of the other
 * kind gets the probe instead, as before; that is the rare case.
 */
async function isLive(
  path: string,
  kind: "stream" | "datagram",
): Promise<boolean> {
  // Without --unstable-net (a library user's stream server) there is no
  // datagram socket to ask with: a connection it is, as before.
  const datagrams = typeof Deno.listenDatagram === "function";
  try {
    if (kind === "datagram" || !datagrams) {
      (await Deno.connect({ transport: "unix", path })).close();
    } else {
      await sendEmptyDatagram(path);
    }
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.ConnectionRefused);
  }
}

/** An empty datagram to `path`, from a socket bound to a fresh abstract name. */
async function sendEmptyDatagram(path: string): Promise<void> {
  const probe = Deno.listenDatagram({
    transport: "unixpacket",
    path: `\0sockit-probe-${crypto.randomUUID()}`,
  });
  try {
    await probe.send(new Uint8Array(0), { transport: "unixpacket", path });
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
