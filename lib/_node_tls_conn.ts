import type { TLSSocket } from "node:tls";
import type { StreamConn } from "./_tcp_stream.ts";

/**
 * A `node:tls` socket behind the `read()`/`write()` interface of a Deno
 * connection, so the one TCP read/write loop serves it unchanged.
 *
 * It reads in flowing mode and never pauses: under Deno 2.9 a socket that
 * was paused once (`pause()`, or paused mode with `read()`) never reported
 * the peer's EOF, and a lost EOF hangs a session. The price is that what
 * the peer sends faster than it is consumed waits here in memory.
 */
export class NodeTlsConn implements StreamConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  #socket: TLSSocket;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= toDenoError(error);
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0]!;
    const count = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, count));
    if (count === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(count);
    return count;
  }

  async write(data: Uint8Array): Promise<number> {
    if (this.#error) throw this.#error;
    if (this.#socket.destroyed) throw new Deno.errors.BadResource();
    // node keeps a reference to what it is given: hand it a copy.
    if (!this.#socket.write(data.slice())) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          this.#socket.off("drain", done);
          this.#socket.off("close", done);
          if (this.#error) reject(this.#error);
          else resolve();
        };
        this.#socket.on("drain", done);
        this.#socket.on("close", done);
      });
    }
    return data.length;
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  close(): void {
    this.#socket.destroy();
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function netAddr(
  hostname: string | undefined,
  port: number | undefined,
): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/** node's error codes as the Deno errors the library classifies. */
export function toDenoError(error: Error): Error {
  const code = (error as Error & { code?: string }).code;
  if (code === "ECONNREFUSED") {
    return new Deno.errors.ConnectionRefused(error.message);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new Deno.errors.NotFound(`name or service not known`);
  }
  if (code === "ETIMEDOUT") return new Deno.errors.TimedOut(error.message);
  // In the system's words, as Deno's own TLS path says them: node's
  // "read ECONNRESET" and "write EPIPE" name a call, not what happened.
  if (code === "ECONNRESET") {
    return new Deno.errors.ConnectionReset("Connection reset by peer");
  }
  if (code === "EPIPE") return new Deno.errors.BrokenPipe("Broken pipe");
  return error;
}
