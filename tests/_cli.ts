/**
 * Spawns the real `sockit` CLI, as a user would, with the narrowest
 * permissions the README gives (`--allow-net`, plus read/write where a
 * command needs files), so that a permission regression fails a test.
 *
 * @module
 */

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/**
 * `SOCKIT_BUNDLE=DIR` (with `--allow-env`): the tests run the bundle that
 * `deno task install` made in DIR, as the installed command runs it, instead
 * of the checkout. Read access is granted to DIR only, for the chunks.
 */
const BUNDLE = Deno.permissions.querySync({
    name: "env",
    variable: "SOCKIT_BUNDLE",
  }).state === "granted"
  ? Deno.env.get("SOCKIT_BUNDLE")
  : undefined;

/** How `deno run` is told what to run, with `permissions`. */
function runTarget(permissions: string[]): string[] {
  if (!BUNDLE) return ["--config", CONFIG, ...permissions, MAIN];
  return [
    "--no-config",
    "--no-lock",
    "--unstable-net",
    "--unstable-lazy-dynamic-imports",
    // Deno keeps the first --allow-read it is given.
    ...(permissions.includes("--allow-read") ? [] : [`--allow-read=${BUNDLE}`]),
    ...permissions,
    `${BUNDLE}/main.js`,
  ];
}

/** What a finished CLI run left behind. */
export interface CliResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  /** stdout decoded as UTF-8. */
  text: string;
}

/** Options for {@linkcode runCli}. */
export interface RunOptions {
  stdin?: Uint8Array | string;
  permissions?: string[];
  /** Kill the CLI if it runs longer than this; a hang is a failure. */
  timeoutMs?: number;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `tool` is on PATH: tests that need a peer are ignored without it. */
export function has(tool: string): boolean {
  try {
    return new Deno.Command("which", { args: [tool], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** The permissions of a sockit that reads or writes files (certificates, `-o`). */
export const RW = ["--allow-net", "--allow-read", "--allow-write"];

/** The whole argv of the CLI with `args`, for a peer that runs it itself. */
export function cliArgv(args: string[], permissions = ["--allow-net"]) {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    ...runTarget(permissions),
    ...args,
  ];
}

/** The `deno run …` command line for the CLI with `args`. */
export function cliCommand(args: string[], permissions = ["--allow-net"]) {
  const [program, ...argv] = cliArgv(args, permissions);
  return new Deno.Command(program!, {
    args: argv,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** {@linkcode cliCommand} with stdout sent to `path` (`/dev/full`: a full disk). */
export function cliCommandTo(path: string, args: string[]) {
  return new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" > "$0"',
      path,
      Deno.execPath(),
      "run",
      "--quiet",
      ...runTarget(["--allow-net"]),
      ...args,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** The one line of a command whose stdout is on a full disk (`/dev/full`). */
export const FULL_DISK_LINE =
  "sockit: cannot write to stdout: no space left on device (os error 28)\n";

/**
 * Runs the CLI with `args`, stdout on a full disk and stdin at EOF: its
 * exit code and stderr, killed after 10 s so a hang fails the test.
 */
export async function runToFullDisk(
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const child = cliCommandTo("/dev/full", args).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await child.stdin.close().catch(() => {});
  const { code, stderr } = await child.output();
  clearTimeout(timer);
  return { code, stderr: new TextDecoder().decode(stderr) };
}

/** Runs the CLI to completion, feeding `stdin`, and collects its output. */
export async function runCli(
  args: string[],
  options: RunOptions = {},
): Promise<CliResult> {
  const child = cliCommand(args, options.permissions).spawn();
  const timer = setTimeout(
    () => child.kill("SIGKILL"),
    options.timeoutMs ?? 20_000,
  );
  const writer = child.stdin.getWriter();
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin;
  const feeding = (async () => {
    try {
      if (input) await writer.write(input);
      await writer.close();
    } catch {
      // The CLI may exit before reading all of stdin; that is its right.
    }
  })();
  const output = await child.output();
  await feeding;
  clearTimeout(timer);
  const text = new TextDecoder().decode(output.stdout);
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
    text,
  };
}

/** One NDJSON event a spawned server printed. */
export type JsonEvent = Record<string, unknown> & { event: string };

/** A CLI server running in the background, printing NDJSON or human lines. */
export class SpawnedServer {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  port = 0;
  address = "";
  #waiters: { test: (line: string) => boolean; resolve: () => void }[] = [];
  #done: Promise<void>;
  stderr = "";

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#done = Promise.all([this.#readStdout(), this.#readStderr()]).then(
      () => {},
    );
  }

  /** Starts `sockit <args>` and waits for its listening event. */
  static async start(
    args: string[],
    permissions?: string[],
  ): Promise<SpawnedServer> {
    const server = new SpawnedServer(cliCommand(args, permissions).spawn());
    await server.child.stdin.close();
    const line = await server.waitFor((l) => l.includes("listening"), 15_000);
    const json = line.startsWith("{");
    if (json) {
      const event = JSON.parse(line) as { address: string; port: number };
      server.address = event.address;
      server.port = event.port;
    } else {
      const match = /(\S+):(\d+)/.exec(line.replace(/^listening on \w+ /, ""));
      server.address = (match?.[1] ?? "").replace(/^\[|\]$/g, "");
      server.port = Number(match?.[2]);
    }
    return server;
  }

  /** Every NDJSON event so far. */
  get events(): JsonEvent[] {
    return this.lines.filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l) as JsonEvent
    );
  }

  /** Resolves with the first line (past or future) that passes `test`. */
  waitFor(
    test: (line: string) => boolean,
    timeoutMs = 10_000,
  ): Promise<string> {
    const found = this.lines.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `Timed out waiting for a line; got:\n${
              this.lines.join("\n")
            }\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.lines.find(test)!);
        },
      });
    });
  }

  /** Waits until `count` lines pass `test`. */
  async waitForCount(
    test: (line: string) => boolean,
    count: number,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.filter(test).length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out waiting for ${count} lines; got ${
            this.lines.filter(test).length
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends `signal`, waits for the exit, and returns the exit code. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    return await stopProcess(this.child, this.#done, signal);
  }

  async #readStdout(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of this.child.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.test(line)) return true;
          w.resolve();
          return false;
        });
      }
    }
  }

  async #readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.child.stderr) {
      this.stderr += decoder.decode(chunk, { stream: true });
    }
  }
}

/**
 * Sends `signal` to `child` (if it still runs), waits for its exit and for
 * `drained` (its output read), and returns the exit code.
 */
export async function stopProcess(
  child: Deno.ChildProcess,
  drained: Promise<void>,
  signal: Deno.Signal,
): Promise<number> {
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
  const status = await child.status;
  await drained;
  return status.code;
}

/** sha256 of `bytes`, as hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** `count` random bytes (crypto.getRandomValues fills 64 KiB at a time). */
export function randomBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(count, i + 65536)));
  }
  return bytes;
}

/** An HTTP request's head as read from `conn`: up to the blank line or EOF. */
export async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const count = await conn.read(buffer);
    if (count === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, count));
  }
  return text;
}

/** Writes all of `data` (a string as UTF-8) to `conn`. */
export async function writeAll(
  conn: Deno.Conn,
  data: string | Uint8Array,
): Promise<void> {
  let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/**
 * A scripted raw TCP server on a free port for the length of `test`: `serve`
 * gets each connection; what it throws is the client going away, whose exit
 * code is what is under test. At the end every connection is closed.
 */
export async function withScriptedServer(
  serve: (conn: Deno.Conn, port: number) => Promise<void>,
  test: (base: string, port: number) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const open = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      (async () => {
        try {
          await serve(conn, port);
        } catch {
          // The client went away first.
        }
        open.delete(conn);
      })();
    }
  })();
  try {
    await test(`http://127.0.0.1:${port}`, port);
  } finally {
    listener.close();
    for (const conn of open) {
      try {
        conn.close();
      } catch {
        // Closed by the script.
      }
    }
    await serving;
  }
}

/** Runs a peer tool with `input` on stdin, then its stdin closed. */
export async function pipeThrough(tool: string, args: string[], input: string) {
  const child = new Deno.Command(tool, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const output = await child.output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Runs a Python 3 snippet (a peer nobody here wrote) and returns stdout. */
export async function runPython(
  code: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Python that reads the socket `c` until EOF into `got`. */
export const PYTHON_READ_TO_EOF = `
got = bytearray()
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    got += chunk
`;

const PYTHON_EXCHANGE = `
import socket, sys, hashlib
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
payload = open(sys.argv[2], "rb").read()
c.sendall(payload)
if sys.argv[3] == "halfclose":
    c.shutdown(socket.SHUT_WR)
${PYTHON_READ_TO_EOF}
print(hashlib.sha256(got).hexdigest(), len(got))
c.close()
`;

/**
 * A Python client sends `payload` to `port`, half-closes unless `halfClose`
 * is false, and reads to EOF: stdout is `SHA-256 length` of what came back.
 */
export async function pythonExchange(
  port: number,
  payload: Uint8Array,
  halfClose = true,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeFile(file, payload);
    return await runPython(PYTHON_EXCHANGE, [
      String(port),
      file,
      halfClose ? "halfclose" : "keep",
    ]);
  } finally {
    await Deno.remove(file);
  }
}

/**
 * Python sends 1 MiB to `port`, half-closes, and reads to EOF: stdout is
 * `same` when everything came back in order, else `differs N`.
 */
export async function echoAfterHalfClose(
  port: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const payload = new Uint8Array(256 * 4096).map((_, i) => i % 256);
  const result = await pythonExchange(port, payload);
  const [hash, length] = result.stdout.trim().split(" ");
  const same = hash === await sha256(payload) &&
    Number(length) === payload.length;
  return { ...result, stdout: same ? "same\n" : `differs ${length}\n` };
}

/**
 * A scripted raw TCP server in Python, a peer nobody here wrote. The script
 * runs after `l` (listening) and `c` (the accepted connection) exist; what
 * it prints after the port line is returned by `output()`.
 */
export class PythonPeer {
  readonly child: Deno.ChildProcess;
  port = 0;
  #text = "";
  #done: Promise<void>;

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#done = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        this.#text += decoder.decode(chunk, { stream: true });
      }
    })();
  }

  static async start(script: string, accept = true): Promise<PythonPeer> {
    const code = [
      "import socket, sys, time, struct",
      'l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(16)',
      "print(l.getsockname()[1], flush=True)",
      accept ? "c, _ = l.accept()" : "",
      script,
    ].join("\n");
    const peer = new PythonPeer(
      new Deno.Command("python3", { args: ["-c", code], stdout: "piped" })
        .spawn(),
    );
    const deadline = Date.now() + 10_000;
    while (!peer.#text.includes("\n")) {
      if (Date.now() > deadline) throw new Error("python peer did not start");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    peer.port = Number(peer.#text.split("\n")[0]);
    return peer;
  }

  /** Everything printed after the port line, once the script has ended. */
  async output(): Promise<string> {
    await this.#done;
    await this.child.status;
    return this.#text.split("\n").slice(1).join("\n").trim();
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
  }
}

/**
 * Reads `reader` until its text holds `marker` (a whole first line, by
 * default), however the peer's writes were split; the text read so far.
 * A stream that ends first throws `Error(failure)`.
 */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  failure: string,
  marker = "\n",
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(failure);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/**
 * A Python 3 script (a peer nobody here wrote) that prints the port it
 * serves on as its first line, and runs until `stop()`.
 */
export async function pythonOnPort(
  script: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const child = new Deno.Command("python3", {
    args: ["-u", "-c", script],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const text = await readUntil(reader, "the python peer printed no port");
  reader.releaseLock();
  return {
    port: Number(text.split("\n")[0]),
    async stop() {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

/** A port that was free a moment ago, for peers that cannot take port 0. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** socat's forking TCP echo (`EXEC:cat`) on a free port, a peer nobody here wrote. */
export function socatEcho(): { port: number; child: Deno.ChildProcess } {
  const port = freePort();
  const child = new Deno.Command("socat", {
    args: [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, "EXEC:cat"],
    stderr: "null",
  }).spawn();
  return { port, child };
}
