/**
 * Helpers for the OSC tests: liblo's tools as peers, a sockit or oscdump
 * process whose stdout lines are collected, and a raw UDP packet catcher.
 *
 * @module
 */
import { cliCommand, freePort as freeTcpPort, stopProcess } from "./_cli.ts";

/** A port that was free a moment ago (for tools that cannot take 0). */
export function freePort(transport: "udp" | "tcp"): number {
  if (transport === "tcp") return freeTcpPort();
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const { port } = conn.addr as Deno.NetAddr;
  conn.close();
  return port;
}

/** A running process whose stdout and stderr lines are collected. */
export class LineProcess {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  #done: Promise<void>;

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#done = Promise.all([
      collect(child.stdout, this.lines),
      collect(child.stderr, this.errors),
    ]).then(() => {});
  }

  /** `sockit <args>`; waits for its `listening` line (stderr or stdout). */
  static async sockit(args: string[]): Promise<LineProcess> {
    const process = new LineProcess(cliCommand(args).spawn());
    await process.child.stdin.close();
    await process.waitFor(
      (all) => all.some((l) => l.includes("listening")),
      15_000,
      true,
    );
    return process;
  }

  /** `oscdump -L <args>`, given a moment to bind. */
  static async oscdump(args: string[]): Promise<LineProcess> {
    const process = new LineProcess(
      new Deno.Command("oscdump", {
        args: ["-L", ...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    return process;
  }

  /** The port in the `listening` line. */
  get port(): number {
    const line =
      [...this.errors, ...this.lines].find((l) => l.includes("listening")) ??
        "";
    const json = line.startsWith("{");
    return json
      ? (JSON.parse(line) as { port: number }).port
      : Number(/:(\d+)/.exec(line)?.[1]);
  }

  /** Waits until `test` passes on the stdout lines (or stdout and stderr). */
  async waitFor(
    test: (lines: string[]) => boolean,
    timeoutMs = 10_000,
    stderrToo = false,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(stderrToo ? [...this.errors, ...this.lines] : this.lines)) {
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out; stdout:\n${this.lines.join("\n")}\nstderr:\n${
            this.errors.join("\n")
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for `count` stdout lines. */
  waitForLines(count: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor((lines) => lines.length >= count, timeoutMs);
  }

  /** Sends `signal` and resolves with the exit code once output is read. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    return await stopProcess(this.child, this.#done, signal);
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  into: string[],
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    into.push(...parts);
  }
  if (pending) into.push(pending);
}

/**
 * Accepts one TCP connection and resolves with all it received; `close()`
 * stops waiting for it (`received` then rejects).
 */
export function tcpSink(): {
  port: number;
  received: Promise<Uint8Array>;
  close(): void;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let listening = true;
  const close = () => {
    if (listening) listener.close();
    listening = false;
  };
  const received = (async () => {
    const conn = await listener.accept();
    close();
    const chunks: number[] = [];
    const buffer = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(...buffer.subarray(0, n));
    }
    conn.close();
    return new Uint8Array(chunks);
  })();
  return { port: listener.addr.port, received, close };
}

/** A line without its leading `%08x.%08x ` timestamp. */
export function withoutTime(line: string): string {
  return line.replace(/^[0-9a-f]{8}\.[0-9a-f]{8} /, "");
}

/** Runs `oscsend` and fails the test if it fails. */
export async function oscsend(args: string[]): Promise<Uint8Array> {
  const output = await new Deno.Command("oscsend", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `oscsend ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return output.stdout;
}

/** Collects raw datagrams on a loopback UDP port. */
export class PacketCatcher {
  readonly packets: Uint8Array[] = [];
  readonly port: number;
  #conn: Deno.DatagramConn;
  #loop: Promise<void>;

  constructor() {
    const conn = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    this.#conn = conn;
    this.port = (conn.addr as Deno.NetAddr).port;
    this.#loop = (async () => {
      try {
        for await (const [data] of conn) this.packets.push(data);
      } catch {
        // Closed.
      }
    })();
  }

  /** Waits for `count` packets. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out: ${this.packets.length} of ${count}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    this.#conn.close();
    await this.#loop;
  }
}

/** Bytes as lowercase hex. */
export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
