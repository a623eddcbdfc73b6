/**
 * `sockit listen` against clients nobody here wrote (Python sockets, ncat,
 * socat) and against `sockit send`.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  cliCommandTo,
  FULL_DISK_LINE,
  has,
  pythonExchange,
  randomBytes,
  readUntil,
  runCli,
  runPython,
  runToFullDisk,
  sha256,
  sleep,
  writeAll,
} from "./_cli.ts";
import { hexdumpC } from "./_hexdump.ts";
import { concatBytes } from "../lib/_bytes.ts";

/** `sockit listen -v … 0` with raw stdout, stdin open until `endInput()`. */
class Listener {
  readonly child: Deno.ChildProcess;
  port = 0;
  stderr = "";
  #stdout: Uint8Array[] = [];
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reading: Promise<void>;

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#writer = child.stdin.getWriter();
    this.#reading = Promise.all([
      (async () => {
        for await (const chunk of child.stdout) this.#stdout.push(chunk);
      })(),
      (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of child.stderr) {
          this.stderr += decoder.decode(chunk, { stream: true });
        }
      })(),
    ]).then(() => {});
  }

  /** Without `-v` too: port 0's listening line is printed anyway. */
  static async start(
    args: string[],
    readStdout = true,
    { verbose = true, permissions = ["--allow-net"] } = {},
  ): Promise<Listener> {
    const child = cliCommand(
      ["listen", ...(verbose ? ["-v"] : []), ...args, "0"],
      permissions,
    ).spawn();
    const listener = new Listener(child);
    if (!readStdout) child.stdout.cancel();
    await listener.waitFor(/listening on \w+ \S+:(\d+)/);
    listener.port = Number(
      /listening on \w+ \S+:(\d+)/.exec(listener.stderr)?.[1],
    );
    return listener;
  }

  /** Resolves once stderr matches `pattern`. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stderr)) {
      if (Date.now() > deadline) {
        throw new Error(`no ${pattern} in stderr:\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Resolves once stdout holds `text`. */
  async waitForOutput(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const decoder = new TextDecoder();
    while (
      !this.#stdout.map((c) => decoder.decode(c)).join("").includes(text)
    ) {
      if (Date.now() > deadline) throw new Error(`no ${text} on stdout`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async write(data: Uint8Array | string): Promise<void> {
    await this.#writer.write(
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    );
  }

  async endInput(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /** Waits for the exit (killing after `timeoutMs`); returns code and stdout. */
  async result(
    timeoutMs = 15_000,
  ): Promise<{ code: number; stdout: Uint8Array; text: string }> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const { code } = await this.child.status;
    clearTimeout(timer);
    await this.#reading;
    const stdout = new Uint8Array(
      this.#stdout.reduce((n, c) => n + c.length, 0),
    );
    let offset = 0;
    for (const chunk of this.#stdout) {
      stdout.set(chunk, offset);
      offset += chunk.length;
    }
    return { code, stdout, text: new TextDecoder().decode(stdout) };
  }

  async stop(): Promise<{ code: number; stdout: Uint8Array; text: string }> {
    this.child.kill("SIGTERM");
    await this.endInput();
    return await this.result();
  }
}

Deno.test("listen: 1 MiB each way with a Python client, byte-exact, half-closes at input EOF", async () => {
  const toClient = randomBytes(1 << 20);
  const fromClient = randomBytes(1 << 20);
  const listener = await Listener.start([]);
  const python = pythonExchange(listener.port, fromClient, false);
  await listener.write(toClient);
  // Python prints only after our EOF reached it as a FIN.
  await listener.endInput();
  const printed = await python;
  const result = await listener.result();
  assertEquals(
    printed.stdout.trim(),
    `${await sha256(toClient)} ${toClient.length}`,
    printed.stderr,
  );
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.stdout.length, fromClient.length);
  assertEquals(await sha256(result.stdout), await sha256(fromClient));
  assertMatch(listener.stderr, /client 127\.0\.0\.1:\d+ connected/);
  assertMatch(listener.stderr, /disconnected \(1048576 bytes\)/);
});

/** The Python peer of `pythonExchange` got exactly `text`, then our FIN. */
async function assertPeerGot(
  exchange: Promise<{ stdout: string; stderr: string }>,
  text: string,
): Promise<void> {
  const printed = await exchange;
  const bytes = new TextEncoder().encode(text);
  assertEquals(
    printed.stdout.trim(),
    `${await sha256(bytes)} ${bytes.length}`,
    printed.stderr,
  );
}

Deno.test("listen -N, nc's flag for what listen does anyway: input EOF half-closes", async () => {
  const listener = await Listener.start(["-N"]);
  const python = pythonExchange(listener.port, new Uint8Array(0), false);
  await listener.write(new TextEncoder().encode("hi"));
  // Python prints only after our EOF reached it as a FIN.
  await listener.endInput();
  await assertPeerGot(python, "hi");
  assertEquals((await listener.result()).code, 0, listener.stderr);
});

Deno.test("listen -lvnp PORT, the nc line in everybody's fingers, works: -l is taken as a habit", async () => {
  const listener = await Listener.start(["-lvnp"]);
  const python = pythonExchange(
    listener.port,
    new TextEncoder().encode("from python"),
    false,
  );
  await listener.waitForOutput("from python");
  await listener.write("hi");
  await listener.endInput();
  await assertPeerGot(python, "hi");
  const { code, text } = await listener.result();
  assertEquals([code, text], [0, "from python"], listener.stderr);
});

Deno.test("listen: the peer's half-close ends it with exit 0 though stdin is still open", async () => {
  const listener = await Listener.start([]);
  const python = runPython(
    `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"request\\n")
s.shutdown(socket.SHUT_WR)
print(repr(s.recv(100)))
`,
    [String(listener.port)],
  );
  const result = await listener.result();
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.text, "request\n");
  // The listener closed its side too: the client saw EOF, not a hang.
  assertEquals((await python).stdout.trim(), "b''");
});

Deno.test("listen: a peer's reset is exit 1 after what arrived was written", async () => {
  const listener = await Listener.start([]);
  await runPython(
    `
import socket, sys, struct, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"partial data")
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
`,
    [String(listener.port)],
  );
  const result = await listener.result();
  assertEquals(result.code, 1, listener.stderr);
  assertEquals(result.text, "partial data");
  assertMatch(listener.stderr, /^sockit: .*reset/m);
});

Deno.test("listen: stdout closed early (| head -c 10) is exit 141 with nothing on stderr", async () => {
  const raw = cliCommand(["listen", "-v", "0"]).spawn();
  const errReader = raw.stderr.getReader();
  let stderr = "";
  while (!/listening on tcp \S+:\d+/.test(stderr)) {
    stderr += new TextDecoder().decode((await errReader.read()).value);
  }
  const rawPort = Number(/:(\d+)/.exec(stderr)?.[1]);
  const outReader = raw.stdout.getReader();
  const sending = runPython(
    `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    for _ in range(64):
        s.sendall(b"x" * 65536)
except OSError:
    pass
`,
    [String(rawPort)],
  );
  let head = 0;
  while (head < 10) head += (await outReader.read()).value?.length ?? 10;
  await outReader.cancel();
  const timer = setTimeout(() => raw.kill("SIGKILL"), 10_000);
  const { code } = await raw.status;
  clearTimeout(timer);
  await sending;
  while (true) {
    const { value, done } = await errReader.read();
    if (done) break;
    stderr += new TextDecoder().decode(value);
  }
  assertEquals(code, 141, stderr);
  assert(!stderr.includes("sockit:"), stderr);
});

Deno.test("listen -k: several clients at once; stdin goes to every one; SIGTERM is exit 0", async () => {
  const listener = await Listener.start(["-k"]);
  const clients = await Promise.all(
    [0, 1, 2].map(() =>
      Deno.connect({ hostname: "127.0.0.1", port: listener.port })
    ),
  );
  await listener.waitFor(/(connected[\s\S]*){3}/);
  for (const [i, conn] of clients.entries()) {
    await conn.write(new TextEncoder().encode(`line from client ${i}\n`));
  }
  await listener.write("to everyone\n");
  for (const conn of clients) {
    const buffer = new Uint8Array(100);
    let got = "";
    while (!got.endsWith("\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      got += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assertEquals(got, "to everyone\n");
  }
  clients[0]!.close();
  await listener.waitFor(/disconnected/);
  // A client that leaves does not end -k; a new one is still welcome.
  const late = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.port,
  });
  await late.write(new TextEncoder().encode("late\n"));
  await listener.waitFor(/(connected[\s\S]*){4}/);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const result = await listener.stop();
  for (const conn of [...clients.slice(1), late]) conn.close();
  assertEquals(result.code, 0, listener.stderr);
  const lines = result.text.split("\n").filter((l) => l).sort();
  assertEquals(lines, [
    "late",
    "line from client 0",
    "line from client 1",
    "line from client 2",
  ]);
  assertMatch(listener.stderr, /stopped: 4 connections/);
});

Deno.test("listen: a denied client does not count as the one connection", async () => {
  const listener = await Listener.start(["--deny", "127.0.0.2"]);
  const python = await runPython(
    `
import socket, sys
port = int(sys.argv[1])
d = socket.socket(); d.bind(("127.0.0.2", 0)); d.connect(("127.0.0.1", port))
print(repr(d.recv(10)))
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"allowed\\n"); s.close()
`,
    [String(listener.port)],
  );
  const result = await listener.result();
  assertEquals(python.stdout.trim(), "b''", python.stderr);
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.text, "allowed\n");
  assertMatch(listener.stderr, /rejected client 127\.0\.0\.2:\d+ \(denied\)/);
});

Deno.test("listen HOST PORT and -p PORT HOST, nc -l's forms, bind HOST; the host or port twice, or beside --unix, is exit 2", async () => {
  // Listener.start puts the port last: `listen -v ::1 0`, `listen -v ::1 -p 0`.
  for (const form of [["::1"], ["::1", "-p"]]) {
    const listener = await Listener.start(form);
    assertMatch(listener.stderr, /listening on tcp \[::1\]:\d+/);
    await listener.write("to the client");
    await listener.endInput();
    const conn = await Deno.connect({ hostname: "::1", port: listener.port });
    await writeAll(conn, "to the listener");
    await conn.closeWrite();
    const reply = new Uint8Array(64);
    const n = await conn.read(reply);
    conn.close();
    const result = await listener.result();
    assertEquals(result.code, 0, listener.stderr);
    assertEquals(result.text, "to the listener");
    assertEquals(
      new TextDecoder().decode(reply.subarray(0, n ?? 0)),
      "to the client",
    );
  }

  for (
    const [args, error] of [
      [
        ["--host", "::1", "127.0.0.1", "9"],
        /host is given twice: --host ::1 and "127\.0\.0\.1"/,
      ],
      [
        ["--unix", "/tmp/sockit-never.sock", "127.0.0.1", "9"],
        /--unix takes the place of the address: drop "127\.0\.0\.1 9"/,
      ],
      [
        ["-p", "9", "127.0.0.1", "10"],
        /the port is given twice: -p 9 and "10"/,
      ],
      [
        ["-p", "9", "--unix", "/tmp/sockit-never.sock"],
        /--unix takes the place of the address: drop "-p 9"/,
      ],
      [["not_a_host!", "9"], /host "not_a_host!" is not/],
      [["127.0.0.1", "x9"], /port "x9" is not/],
      [
        ["[::1]:9000"],
        /port "\[::1\]:9000" holds a host: give them apart, as in ::1 9000 or --host ::1 9000/,
      ],
      [
        ["127.0.0.1"],
        /port "127\.0\.0\.1" looks like a host: give the port after it, as in 127\.0\.0\.1 9000/,
      ],
    ] as const
  ) {
    const refused = await runCli(["listen", ...args]);
    assertEquals(refused.code, 2, refused.stderr);
    assertMatch(refused.stderr, error);
    assertEquals(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  }
});

Deno.test("listen: sockit send on the other end, 1 MiB each way by sha256", async () => {
  const toSender = randomBytes(1 << 20);
  const fromSender = randomBytes(1 << 20);
  const listener = await Listener.start([]);
  const writing = listener.write(toSender).then(() => listener.endInput());
  const sent = await runCli(["send", "127.0.0.1", String(listener.port)], {
    stdin: fromSender,
  });
  await writing;
  const result = await listener.result();
  assertEquals(sent.code, 0, sent.stderr);
  assertEquals(await sha256(sent.stdout), await sha256(toSender));
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(await sha256(result.stdout), await sha256(fromSender));
});

Deno.test({
  name: "listen: ncat and socat clients, both directions",
  ignore: !has("ncat") || !has("socat"),
  async fn() {
    for (
      const client of [
        (port: number) => ["ncat", "127.0.0.1", String(port)],
        (port: number) => ["socat", "-", `TCP:127.0.0.1:${port}`],
      ]
    ) {
      const listener = await Listener.start([]);
      await listener.write("from listen\n");
      await listener.endInput();
      const [tool, ...args] = client(listener.port);
      const peer = new Deno.Command(tool!, {
        args,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = peer.stdin.getWriter();
      await writer.write(new TextEncoder().encode(`from ${tool}\n`));
      await writer.close();
      const output = await peer.output();
      const result = await listener.result();
      assertEquals(result.code, 0, listener.stderr);
      assertEquals(result.text, `from ${tool}\n`);
      assertEquals(new TextDecoder().decode(output.stdout), "from listen\n");
    }
  },
});

const PYTHON_UDP_SENDERS = `
import socket, sys, time
port = int(sys.argv[1])
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1], flush=True)
a.sendto(b"from a\\n", ("127.0.0.1", port)); time.sleep(0.2)
b.sendto(b"from b\\n", ("127.0.0.1", port)); time.sleep(0.2)
a.sendto(b"", ("127.0.0.1", port)); time.sleep(0.2)
b.sendto(b"again b\\n", ("127.0.0.1", port)); time.sleep(0.2)
for s, name in ((a, "a"), (b, "b")):
    s.settimeout(3 if name == sys.argv[2] else 0.3)
    try:
        print(name, repr(s.recv(100)), flush=True)
    except socket.timeout:
        print(name, "nothing", flush=True)
`;

Deno.test("listen -u: keeps to the first sender; others are rejected once as locked", async () => {
  const child = cliCommand(["listen", "-u", "--json", "0"]).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let pending = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  while (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
  const port = (JSON.parse(lines[0]!) as { port: number }).port;
  // Held until the first sender exists, then sent to it.
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("reply\n"));
  const python = await runPython(PYTHON_UDP_SENDERS, [String(port), "a"]);
  child.kill("SIGTERM");
  const { code } = await child.status;
  await reading;
  await writer.close().catch(() => {});
  assertEquals(code, 0);
  const [portA, portB] = python.stdout.split("\n")[0]!.split(" ").map(Number);
  assert(python.stdout.includes("a b'reply\\n'"), python.stdout);
  assert(python.stdout.includes("b nothing"), python.stdout);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const messages = events.filter((e) => e.event === "message");
  assertEquals(messages.map((e) => [e.peer, e.bytes]), [
    [{ address: "127.0.0.1", port: portA }, 7],
    [{ address: "127.0.0.1", port: portA }, 0],
  ]);
  const rejected = events.filter((e) => e.event === "rejected");
  assertEquals(rejected.map((e) => [e.peer, e.reason]), [
    [{ address: "127.0.0.1", port: portB }, "locked"],
  ]);
  assertEquals(events.filter((e) => e.event === "sent").length, 1);
});

Deno.test("listen -u: datagrams the kernel dropped from a burst faster than it reads are told on stderr, without -v, while it runs", async () => {
  const listener = await Listener.start(["-u"], true, {
    verbose: false,
    permissions: ["--allow-all"],
  });
  const burst = 10_000;
  const python = await runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"%05d\\n" % i, ("127.0.0.1", int(sys.argv[1])))
`,
    [String(listener.port), String(burst)],
  );
  assertEquals(python.code, 0, python.stderr);
  // Told within about a second, not only when it stops.
  await listener.waitFor(/the kernel dropped \d+ datagrams/, 5000);
  const { code, text } = await listener.stop();
  assertEquals(code, 0);
  const lines = text.split("\n").filter((line) => line !== "");
  const told = [
    ...listener.stderr.matchAll(/the kernel dropped (\d+) datagrams/g),
  ]
    .reduce((sum, match) => sum + Number(match[1]), 0);
  assertEquals(lines.length + told, burst, listener.stderr);
  assertMatch(
    listener.stderr,
    new RegExp(
      `^listening on udp 127\\.0\\.0\\.1:${listener.port}\\nerror: cannot receive on "127\\.0\\.0\\.1:${listener.port}": the kernel dropped \\d+ datagrams: they came faster than they were read \\(receive buffer full\\)\\n`,
    ),
  );
});

Deno.test("listen -u -v: names the sender it keeps to, once (nc -luv, ncat -luv)", async () => {
  const listener = await Listener.start(["-u"]);
  const python = await runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for data in (b"one", b"two"):
    s.sendto(data, ("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1])
`,
    [String(listener.port)],
  );
  await listener.waitForOutput("onetwo");
  const result = await listener.stop();
  assertEquals(result.code, 0, listener.stderr);
  const sender = `127.0.0.1:${python.stdout.trim()}`;
  assertEquals(
    listener.stderr.split("\n").filter((line) => line.includes(sender)),
    [`client ${sender} connected`],
  );
});

Deno.test("listen -u -k: every sender is heard; stdin goes to the most recent", async () => {
  const listener = await Listener.start(["-u", "-k"]);
  const python = runPython(PYTHON_UDP_SENDERS, [String(listener.port), "b"]);
  await listener.waitForOutput("again b");
  await listener.write("to b\n");
  const printed = await python;
  const result = await listener.stop();
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.text, "from a\nfrom b\nagain b\n");
  assert(printed.stdout.includes("b b'to b\\n'"), printed.stdout);
  assert(printed.stdout.includes("a nothing"), printed.stdout);
});

Deno.test("listen: an idle timeout is exit 1 naming the peer, and an error event as a reset is", async () => {
  const listener = await Listener.start(["-i", "300ms"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.port,
  });
  const result = await listener.result();
  conn.close();
  assertEquals(result.code, 1);
  assertMatch(listener.stderr, /^sockit: .*127\.0\.0\.1:\d+.*idle for 300 ms/m);
  // -v (and --json) record why the connection ended, before it closed.
  assertMatch(
    listener.stderr,
    /^error: .*127\.0\.0\.1:\d+.*idle for 300 ms\nclient 127\.0\.0\.1:\d+ disconnected/m,
  );
});

Deno.test("listen --json: every event on stdout with peer, sent and closed byte counts", async () => {
  const { code, python, events } = await jsonSession(
    [],
    "hi there\n",
    "\\xff\\x00bin",
  );
  assertEquals(code, 0);
  assertEquals(python.stdout.trim(), "b'hi there\\n'", python.stderr);
  const peer = events[1]?.peer;
  // Data each way races: order the two data events by name.
  const data = events.slice(2, 4).sort((a, b) =>
    String(a.event).localeCompare(String(b.event))
  );
  assertEquals([...events.slice(1, 2), ...data, ...events.slice(4)], [
    { event: "accepted", transport: "tcp", peer },
    { event: "message", transport: "tcp", peer, bytes: 5, base64: "/wBiaW4=" },
    { event: "sent", transport: "tcp", peer, bytes: 9, text: "hi there\n" },
    { event: "closed", transport: "tcp", peer, bytesIn: 5, bytesOut: 9 },
    {
      event: "stopped",
      transport: "tcp",
      connections: 1,
      bytesIn: 5,
      bytesOut: 9,
      messages: 1,
    },
  ]);
});

Deno.test("listen -q: ends with exit 0 that long after stdin's EOF, the peer still connected", async () => {
  const listener = await Listener.start(["-q", "300ms", "--no-shutdown"]);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.port,
  });
  await listener.write("bye\n");
  await listener.endInput();
  const started = Date.now();
  const result = await listener.result();
  conn.close();
  assertEquals(result.code, 0, listener.stderr);
  assert(Date.now() - started >= 250, `${Date.now() - started} ms`);
});

Deno.test("listen -q with stdin already ended waits for a client, then quits that long after it came (nc -l -q)", async () => {
  const listener = await Listener.start(["-q", "300ms"]);
  await listener.endInput();
  await sleep(800);
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.port,
  });
  const arrived = Date.now();
  await writeAll(conn, new TextEncoder().encode("upload\n"));
  const result = await listener.result();
  conn.close();
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.text, "upload\n");
  assert(Date.now() - arrived >= 250, `${Date.now() - arrived} ms`);
});

Deno.test("listen -q: an upload slower than -q still arrives whole; the count starts once the peer is quiet", async () => {
  const listener = await Listener.start(["-q", "300ms"]);
  await listener.endInput();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.port,
  });
  // 1.5 s of upload, a chunk every 100 ms: five times -q, never quiet.
  const upload = randomBytes(15 * 64 * 1024);
  let lastByte = 0;
  for (let offset = 0; offset < upload.length; offset += 64 * 1024) {
    await writeAll(conn, upload.subarray(offset, offset + 64 * 1024));
    lastByte = Date.now();
    await sleep(100);
  }
  const result = await listener.result();
  conn.close();
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.stdout.length, upload.length);
  assertEquals(await sha256(result.stdout), await sha256(upload));
  assert(Date.now() - lastByte >= 250, `${Date.now() - lastByte} ms`);
});

Deno.test("listen -u -q: datagrams that keep coming past -q are all written", async () => {
  const listener = await Listener.start(["-u", "-q", "300ms"]);
  await listener.endInput();
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const target = {
    hostname: "127.0.0.1",
    port: listener.port,
    transport: "udp" as const,
  };
  let sent = "";
  for (let i = 0; i < 12; i++) {
    const line = `datagram ${i}\n`;
    await socket.send(new TextEncoder().encode(line), target);
    sent += line;
    await sleep(100);
  }
  const result = await listener.result();
  socket.close();
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.text, sent);
});

Deno.test("listen -u -i: silence after the first datagram is exit 1; stdin sent counts as activity", async () => {
  const listener = await Listener.start(["-u", "-i", "600ms"]);
  const python = runPython(
    `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello\\n", ("127.0.0.1", int(sys.argv[1])))
time.sleep(2)
`,
    [String(listener.port)],
  );
  await listener.waitForOutput("hello\n");
  const started = Date.now();
  // Replies every 200 ms keep the session alive past 600 ms.
  for (let i = 0; i < 5; i++) {
    await listener.write(`tick ${i}\n`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const result = await listener.result();
  const elapsed = Date.now() - started;
  await python;
  assertEquals(result.code, 1, listener.stderr);
  assert(elapsed >= 1400, `ended after ${elapsed} ms`);
  assertMatch(listener.stderr, /^sockit: .*idle for 600 ms/m);
});

Deno.test("listen: after the peer half-closes, 1 MiB of stdin still reaches it in full", async () => {
  const payload = randomBytes(1 << 20);
  const listener = await Listener.start([]);
  // As \`cat file | sockit listen\`: the input is there before the client.
  const writing = listener.write(payload).then(() => listener.endInput());
  const python = pythonExchange(
    listener.port,
    new TextEncoder().encode("send me the file\n"),
  );
  const printed = await python;
  await writing;
  const result = await listener.result();
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(result.text, "send me the file\n");
  assertEquals(
    printed.stdout.trim(),
    `${await sha256(payload)} ${payload.length}`,
    printed.stderr,
  );
});

Deno.test("listen -x: hex blocks on stderr (< received, > sent, offsets per direction), stdout the raw bytes", async () => {
  const all = new Uint8Array(256 + 32).map((_, i) => i % 256);
  const listener = await Listener.start(["-x"]);
  const peer = runPython(
    `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = bytes(i % 256 for i in range(288))
s.sendall(data[:256]); got = b""
while len(got) < 3: got += s.recv(100)
s.sendall(data[256:]); s.shutdown(socket.SHUT_WR)
while True:
    chunk = s.recv(100)
    if not chunk: break
    got += chunk
print(repr(got))
`,
    [String(listener.port)],
  );
  await listener.waitFor(/< \S+ 256 bytes/);
  await listener.write("ok\n");
  await listener.waitFor(/< \S+ 32 bytes\n.*\n.*\n/);
  await listener.endInput();
  const result = await listener.result();
  const python = await peer;
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(python.stdout.trim(), "b'ok\\n'", python.stderr);
  assertEquals(result.stdout, all);
  const client = /client (\S+) connected/.exec(listener.stderr)?.[1];
  const rows = await hexdumpC(all);
  assertEquals(listener.stderr.split("\n"), [
    `listening on tcp 127.0.0.1:${listener.port}`,
    `client ${client} connected`,
    `< ${client} 256 bytes`,
    ...rows.slice(0, 16),
    `> ${client} 3 bytes`,
    "00000000  6f 6b 0a                                          |ok.|",
    `< ${client} 32 bytes`,
    ...rows.slice(16),
    `client ${client} disconnected (288 bytes)`,
    "stopped: 1 connection, 288 bytes in, 3 bytes out",
    "",
  ]);
});

Deno.test("listen --json -x: message and sent events carry hex", async () => {
  const { code, python, events } = await jsonSession(
    ["-x"],
    "hi",
    "\\xff\\x00",
  );
  assertEquals(code, 0);
  assertEquals(python.stdout.trim(), "b'hi'", python.stderr);
  const message = events.find((e) => e.event === "message");
  const sent = events.find((e) => e.event === "sent");
  assertEquals([message?.base64, message?.hex], ["/wA=", "ff00"]);
  assertEquals([sent?.text, sent?.hex], ["hi", "6869"]);
});

/**
 * `listen --json FLAGS 0` with `input` on stdin, and a Python client that
 * sends `payload` (Python bytes-literal text), prints what it got and
 * closes. The events come without their `time`.
 */
async function jsonSession(flags: string[], input: string, payload: string) {
  const child = cliCommand(["listen", "--json", ...flags, "0"]).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await reader.read()).value ?? "";
  const port = (JSON.parse(text.split("\n")[0]!) as { port: number }).port;
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const python = await runPython(
    `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"${payload}")
print(repr(s.recv(100)))
s.close()
`,
    [String(port)],
  );
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const { code } = await child.status;
  await child.stderr.cancel();
  const strip = ({ time: _, ...rest }: Record<string, unknown>) => rest;
  const events = text.trim().split("\n").map((l) =>
    strip(JSON.parse(l) as Record<string, unknown>)
  );
  return { code, python, events };
}

Deno.test("listen: a peer that half-closes and leaves ends it (exit 0) though stdin never goes quiet", async () => {
  const listener = await Listener.start([]);
  let ticking = true;
  const ticker = (async () => {
    while (ticking) {
      await listener.write("tick\n").catch(() => {});
      await sleep(50);
    }
  })();
  await runPython(
    `
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"hello")
s.shutdown(socket.SHUT_WR)
s.recv(100)
time.sleep(0.3)
s.close()
`,
    [String(listener.port)],
  );
  const result = await listener.result(10_000);
  ticking = false;
  await ticker;
  assertEquals([result.code, result.text], [0, "hello"], listener.stderr);
  assertMatch(listener.stderr, /disconnected \(5 bytes\)/);
});

Deno.test("listen: a peer that sends 16 MiB before it reads still gets 16 MiB of stdin, both in full", async () => {
  const toClient = randomBytes(16 << 20);
  const fromClient = randomBytes(16 << 20);
  const listener = await Listener.start([]);
  // sendall, half-close, then read to EOF: while it sends it does not read,
  // so our stdin waits; its data must still be read, or both sides wait.
  const python = pythonExchange(listener.port, fromClient);
  const feeding = listener.write(toClient).then(() => listener.endInput());
  const result = await listener.result(30_000);
  await feeding.catch(() => {});
  const printed = await python;
  assertEquals(result.code, 0, listener.stderr);
  assertEquals(await sha256(result.stdout), await sha256(fromClient));
  assertEquals(
    printed.stdout.trim(),
    `${await sha256(toClient)} ${toClient.length}`,
    printed.stderr,
  );
});

Deno.test("listen: SIGINT stops it at once (exit 0) while nobody reads its stdout", async () => {
  const child = cliCommand(["listen", "-v", "0"]).spawn();
  // stdout is piped and never read: once the pipe is full, writes wait.
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      stderr += new TextDecoder().decode(chunk);
    }
  })();
  while (!/listening on tcp \S+:\d+/.test(stderr)) await sleep(20);
  const port = Number(/listening on tcp \S+:(\d+)/.exec(stderr)![1]);
  const peer = await Deno.connect({ hostname: "127.0.0.1", port });
  const sending = writeAll(peer, randomBytes(4 << 20)).catch(() => {});
  await sleep(1000);
  const started = performance.now();
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const { code } = await child.status;
  clearTimeout(timer);
  const took = performance.now() - started;
  peer.close();
  await sending;
  await reading;
  await child.stdin.close().catch(() => {});
  assertEquals(code, 0, stderr);
  assert(took < 3000, `took ${took} ms to stop`);
  assertMatch(stderr, /stopped: 1 connection/);
});

Deno.test("listen --json: a stdout that cannot be written (full disk) is one line naming stdout, exit 1", async () => {
  // The listening event is the first line, so the failure comes at once.
  for (const args of [["--json"], ["--json", "-k"]]) {
    const { code, stderr } = await runToFullDisk(["listen", ...args, "0"]);
    assertEquals([code, stderr], [1, FULL_DISK_LINE], args.join(" "));
  }
});

Deno.test("listen: a stdout that cannot be written (full disk) is one line naming stdout, exit 1, also with -k", async () => {
  for (const args of [[], ["-k"]]) {
    const child = cliCommandTo("/dev/full", ["listen", ...args, "0"]).spawn();
    const reader = child.stderr.getReader();
    let stderr = "";
    while (!/listening on tcp \S+:\d+\n/.test(stderr)) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += new TextDecoder().decode(value);
    }
    const port = Number(/:(\d+)\n/.exec(stderr)?.[1]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(conn, new TextEncoder().encode("data"));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const { code } = await child.status;
    clearTimeout(timer);
    conn.close();
    await child.stdin.close().catch(() => {});
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += new TextDecoder().decode(value);
    }
    assertEquals(
      [code, stderr.split("\n").slice(1).join("\n")],
      [
        1,
        "sockit: cannot write to stdout: no space left on device (os error 28)\n",
      ],
      args.join(" "),
    );
  }
});

Deno.test("listen -u -v: SIGTERM while stdin still flows to the sender ends with stopped, no error for its own closed socket", async () => {
  const listener = await Listener.start(["-u"]);
  // The sender makes itself the peer, then stays for the replies.
  const sender = await Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  await sender.send(new TextEncoder().encode("hi"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port: listener.port,
  });
  await listener.waitFor(/client \S+ connected/);
  let flowing = true;
  const feeding = (async () => {
    const chunk = new Uint8Array(4096).fill(0x73);
    while (flowing) await listener.write(chunk).catch(() => flowing = false);
  })();
  const receiving = (async () => {
    try {
      for await (const _ of sender) { /* the replies */ }
    } catch { /* closed at the end */ }
  })();
  await sleep(500);
  listener.child.kill("SIGTERM");
  const result = await listener.result();
  flowing = false;
  await feeding;
  sender.close();
  await receiving;
  assertEquals(result.code, 0, listener.stderr);
  const lines = listener.stderr.trimEnd().split("\n");
  assertEquals(lines.filter((line) => /closed|error/.test(line)), []);
  assertMatch(lines.at(-1)!, /^stopped: /);
});

/**
 * `sockit listen ARGS 0` with a client uploading `payload` while nothing
 * reads listen's stdout for 2.5 s: listen cannot read the socket either,
 * and that pause is its own, not the peer's silence.
 */
async function uploadBehindPausedReader(args: string[], payload: Uint8Array) {
  const child = cliCommand(["listen", ...args, "0"]).spawn();
  await child.stdin.close();
  const stderr = child.stderr.getReader();
  const first = await readUntil(stderr, "listen printed no listening line");
  const port = Number(/listening on tcp \S+:(\d+)/.exec(first)?.[1]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const uploaded = writeAll(conn, payload).then(() => conn.closeWrite());
  await sleep(2500);
  /** Once the upload is done: closes the client, resolves with stderr. */
  const finish = async () => {
    await uploaded;
    conn.close();
    let text = first;
    for (let r = await stderr.read(); !r.done; r = await stderr.read()) {
      text += new TextDecoder().decode(r.value);
    }
    return text;
  };
  return { child, finish };
}

Deno.test("listen -q 1 and -i 1 keep a whole upload while stdout's reader pauses longer than either (ncat -l -i 1 does)", async () => {
  const payload = randomBytes(3 << 20);
  for (const flag of ["-q", "-i"]) {
    const { child, finish } = await uploadBehindPausedReader(
      [flag, "1"],
      payload,
    );
    const chunks: Uint8Array[] = [];
    for await (const chunk of child.stdout) chunks.push(chunk);
    const { code } = await child.status;
    const rest = await finish();
    assertEquals(code, 0, `${flag}: ${rest}`);
    const received = concatBytes(chunks);
    assertEquals(received.length, payload.length, flag);
    assertEquals(await sha256(received), await sha256(payload), flag);
  }
});

Deno.test("listen -k -i 1 keeps a client whose data waits for a paused stdout reader: that wait is not the client's silence", async () => {
  const payload = randomBytes(3 << 20);
  const { child, finish } = await uploadBehindPausedReader(
    ["-k", "-v", "-i", "1"],
    payload,
  );
  const received = new Uint8Array(payload.length);
  let at = 0;
  const stdout = child.stdout.getReader();
  // -k never ends stdout: a client cut short leaves the rest missing.
  const timer = setTimeout(() => stdout.cancel(), 15_000);
  while (at < payload.length) {
    const { value, done } = await stdout.read();
    if (done) break;
    received.set(value.subarray(0, payload.length - at), at);
    at += value.length;
  }
  clearTimeout(timer);
  child.kill("SIGTERM");
  assertEquals((await child.status).code, 0);
  const rest = await finish();
  await stdout.cancel();
  assertEquals(at, payload.length, rest);
  assertEquals(await sha256(received), await sha256(payload));
  assert(!rest.includes("idle"), rest);
});
