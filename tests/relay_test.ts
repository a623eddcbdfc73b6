/**
 * `sockit relay` in front of sockit's echo servers, Python's http.server
 * and scripted Python servers that reset, stall or never read.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  cliCommandTo,
  echoAfterHalfClose,
  freePort,
  has,
  type JsonEvent,
  PYTHON_READ_TO_EOF,
  pythonOnPort,
  PythonPeer,
  randomBytes,
  readUntil,
  runCli,
  runPython,
  RW,
  sha256,
  sleep,
  socatEcho,
  SpawnedServer,
  writeAll,
} from "./_cli.ts";

function relay(args: string[], target: number): Promise<SpawnedServer> {
  return SpawnedServer.start(["relay", ...args, "0", `127.0.0.1:${target}`]);
}

/** Reads from `conn` until EOF. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

Deno.test("relay: 1 MiB through echo-tcp; the client's FIN reaches the target and the echo still comes back", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const server = await relay(["--json", "-q"], echo.port);
  const python = await echoAfterHalfClose(server.port);
  assertEquals(python.stdout.trim(), "same", python.stderr);
  await server.waitFor((l) => l.includes('"closed"'));
  assertEquals(await server.stop(), 0);
  await echo.stop();
  const strip = ({ time: _, ...rest }: Record<string, unknown>) => rest;
  const events = server.events.map(strip);
  const client = events[1]?.peer as { address: string; port: number };
  const connected = events[2] as Record<string, unknown>;
  assertEquals(events.map((e) => e.event), [
    "listening",
    "accepted",
    "connected",
    "closed",
    "stopped",
  ]);
  assertEquals(events[0]?.target, { address: "127.0.0.1", port: echo.port });
  assertEquals(connected.peer, client);
  assertEquals(connected.target, { address: "127.0.0.1", port: echo.port });
  assertEquals((connected.local as { address: string }).address, "127.0.0.1");
  assertEquals(events[3], {
    event: "closed",
    transport: "tcp",
    peer: client,
    bytesUp: 1 << 20,
    bytesDown: 1 << 20,
  });
  assertEquals(events[4], {
    event: "stopped",
    transport: "tcp",
    connections: 1,
    bytesUp: 1 << 20,
    bytesDown: 1 << 20,
  });
});

Deno.test("relay: the target's FIN reaches the client, and the client can still send 1 MiB", async () => {
  const target = await PythonPeer.start(`
import hashlib
c.sendall(b"hello from target\\n")
c.shutdown(socket.SHUT_WR)
${PYTHON_READ_TO_EOF}
print(hashlib.sha256(got).hexdigest(), len(got))
`);
  const server = await relay(["-q"], target.port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  assertEquals(
    new TextDecoder().decode(await readAll(conn)),
    "hello from target\n",
  );
  const payload = randomBytes(1 << 20);
  await writeAll(conn, payload);
  await conn.closeWrite();
  assertEquals(await target.output(), `${await sha256(payload)} ${1 << 20}`);
  await server.waitFor((l) => l.includes("disconnected"));
  conn.close();
  assertEquals(await server.stop(), 0);
  assertMatch(
    server.lines.join("\n"),
    /disconnected \(1048576 bytes up, 18 bytes down\)/,
  );
});

Deno.test("relay: events name the client, show direction, escape, cut at 256 bytes; -x dumps hex with running offsets", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const human = await relay([], echo.port);
  const hex = await relay(["-x"], echo.port);
  for (const server of [human, hex]) {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    const buffer = new Uint8Array(2000);
    await writeAll(conn, new TextEncoder().encode("hi\x1b[2J\n"));
    await conn.read(buffer);
    await server.waitFor((l) => l.includes("received") || l.startsWith("<"));
    await writeAll(conn, new Uint8Array(300).fill(0x41));
    let got = 0;
    while (got < 300) got += (await conn.read(buffer)) ?? 300;
    await server.waitFor((l) =>
      l.includes("(+44 bytes)") && l.includes("received") ||
      l.startsWith("< ") && l.includes("300 bytes")
    );
    conn.close();
    await server.waitFor((l) => l.includes("disconnected"));
    await server.stop();
  }
  await echo.stop();
  const client = /client (\S+) connected/.exec(human.lines[1]!)?.[1];
  assertEquals(human.lines.slice(1, 7), [
    `client ${client} connected`,
    `client ${client} connected to 127.0.0.1:${echo.port} from ${
      /from (\S+)/.exec(human.lines[2]!)?.[1]
    }`,
    `client ${client} sent 'hi\\x1b[2J\\n'`,
    `client ${client} received 'hi\\x1b[2J\\n'`,
    `client ${client} sent '${"A".repeat(256)}'... (+44 bytes)`,
    `client ${client} received '${"A".repeat(256)}'... (+44 bytes)`,
  ]);
  const hexClient = /client (\S+) connected/.exec(hex.lines[1]!)?.[1];
  const up = hex.lines.indexOf(`> ${hexClient} 300 bytes`);
  assert(up > 0, hex.lines.join("\n"));
  assertEquals(hex.lines.slice(3, 6), [
    `> ${hexClient} 7 bytes`,
    "00000000  68 69 1b 5b 32 4a 0a                              |hi.[2J.|",
    `< ${hexClient} 7 bytes`,
  ]);
  // The second chunk's rows continue at offset 7, per direction.
  assertEquals(
    hex.lines[up + 1],
    "00000007  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|",
  );
});

Deno.test("relay: a get through it is byte-identical to a direct get from python3 -m http.server", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/blob.bin`, randomBytes(3 << 20));
  const port = freePort();
  const http = new Deno.Command("python3", {
    args: ["-m", "http.server", "--bind", "127.0.0.1", "-d", dir, String(port)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server = await relay(["-q"], port);
  try {
    let direct = await runCli(["get", `http://127.0.0.1:${port}/blob.bin`], {
      permissions: RW,
    });
    for (let i = 0; i < 50 && direct.code !== 0; i++) {
      await sleep(100);
      direct = await runCli(["get", `http://127.0.0.1:${port}/blob.bin`], {
        permissions: RW,
      });
    }
    const relayed = await runCli(
      ["get", `http://127.0.0.1:${server.port}/blob.bin`],
      { permissions: RW },
    );
    assertEquals(direct.code, 0, direct.stderr);
    assertEquals(relayed.code, 0, relayed.stderr);
    assertEquals(relayed.stdout.length, 3 << 20);
    assertEquals(await sha256(relayed.stdout), await sha256(direct.stdout));
    assertEquals(
      await sha256(relayed.stdout),
      await sha256(await Deno.readFile(`${dir}/blob.bin`)),
    );
  } finally {
    await server.stop();
    http.kill("SIGTERM");
    await http.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay: a target that resets closes that client, with an error event; the next client is served", async () => {
  const target = await PythonPeer.start(
    `
for i in range(2):
    if i > 0:
        c, _ = l.accept()
    data = c.recv(100)
    if data.startswith(b"reset"):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    else:
        c.sendall(b"ok:" + data)
        c.close()
`,
  );
  const server = await relay(["--json"], target.port);
  const first = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  await writeAll(first, new TextEncoder().encode("reset me"));
  let firstEnd = "";
  try {
    firstEnd = `${(await readAll(first)).length} bytes`;
  } catch (error) {
    firstEnd = (error as Error).name;
  }
  first.close();
  const second = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  await writeAll(second, new TextEncoder().encode("hello"));
  assertEquals(new TextDecoder().decode(await readAll(second)), "ok:hello");
  second.close();
  await server.waitForCount((l) => l.includes('"closed"'), 2);
  await target.output();
  assertEquals(await server.stop(), 0);
  // The reset reached the client as a close (Deno cannot send an RST).
  assertEquals(firstEnd, "0 bytes");
  const errors = server.events.filter((e) => e.event === "error");
  assertEquals(errors.length, 1, JSON.stringify(server.events));
  assertEquals(errors[0]?.code, "disconnected");
  assertEquals(errors[0]?.target, { address: "127.0.0.1", port: target.port });
  assertMatch(String(errors[0]?.message), /reset/);
});

Deno.test("relay: a target that never reads stalls only its own pair (backpressure to the client)", async () => {
  // The first connection is never read; the second echoes.
  const target = await PythonPeer.start(
    `
stalled = c
d, _ = l.accept()
while True:
    data = d.recv(65536)
    if not data:
        break
    d.sendall(data)
d.close()
time.sleep(5)
`,
  );
  const server = await relay(["-q", "--json"], target.port);
  const python = await runPython(
    `
import socket, sys, time
port = int(sys.argv[1])
stuck = socket.create_connection(("127.0.0.1", port))
stuck.setblocking(False)
sent = 0
deadline = time.time() + 3
while time.time() < deadline:
    try:
        sent += stuck.send(b"x" * 65536)
    except BlockingIOError:
        time.sleep(0.05)
        try:
            sent += stuck.send(b"x" * 65536)
        except BlockingIOError:
            break
print("stalled after", sent)
time.sleep(0.5)
other = socket.create_connection(("127.0.0.1", port))
other.sendall(b"still served\\n")
other.settimeout(5)
print(other.recv(100))
`,
    [String(server.port)],
  );
  target.kill();
  await server.stop();
  const lines = python.stdout.trim().split("\n");
  const stalledAfter = Number(lines[0]?.split(" ").at(-1));
  // Kernel buffers on four sockets hold ~8 MiB here; a relay that read
  // ahead without bound would have taken hundreds of MiB in 3 s.
  assert(stalledAfter < 32 << 20, python.stdout + python.stderr);
  assertEquals(lines[1], "b'still served\\n'", python.stderr);
});

Deno.test("relay: SIGTERM stops at once while a pair is stuck writing to a target that never reads", async () => {
  // The target accepts, never reads and never closes: both directions of
  // the pair are blocked on it, and only the stop can end them.
  const target = await PythonPeer.start("time.sleep(60)");
  const server = await relay(["-q", "--json"], target.port);
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  const writing = writeAll(client, new Uint8Array(32 << 20)).catch(() => {});
  await server.waitFor((l) => l.includes('"connected"'));
  await sleep(1000);
  const started = Date.now();
  const stopped = server.stop();
  const code = await Promise.race([stopped, sleep(5000).then(() => "hung")]);
  target.kill();
  if (code === "hung") server.child.kill("SIGKILL");
  assertEquals(code, 0, "the relay did not exit within 5 s of SIGTERM");
  assert(Date.now() - started < 5000);
  client.close();
  await writing;
  const closed = server.events.find((e) => e.event === "closed");
  assert(closed !== undefined, JSON.stringify(server.events));
  assertEquals(server.events.at(-1)?.event, "stopped");
});

Deno.test("relay: a target that is down is an error event naming client and target; the next client is served", async () => {
  const port = freePort();
  const server = await relay(["--json", "-w", "1s"], port);
  const first = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  assertEquals((await readAll(first)).length, 0);
  first.close();
  await server.waitFor((l) => l.includes('"error"'));
  const error = server.events.find((e) => e.event === "error")!;
  assertEquals(error.code, "refused");
  assertEquals(error.target, { address: "127.0.0.1", port });
  assertEquals((error.peer as { address: string }).address, "127.0.0.1");
  // The target comes up: the relay, still running, serves the next client.
  const echo = Deno.listen({ hostname: "127.0.0.1", port });
  (async () => {
    for await (const conn of echo) {
      const data = await readAll(conn).catch(() => new Uint8Array());
      await writeAll(conn, data).catch(() => {});
      conn.close();
    }
  })();
  const second = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  await writeAll(second, new TextEncoder().encode("back up"));
  await second.closeWrite();
  assertEquals(new TextDecoder().decode(await readAll(second)), "back up");
  second.close();
  await server.waitForCount((l) => l.includes('"closed"'), 2);
  echo.close();
  assertEquals(await server.stop(), 0);
});

/**
 * What one client got back, compared with what it sent: `undefined` when
 * byte-exact, else how long it was, where it first differs, or the error.
 */
function mismatch(sent: Uint8Array, got: Uint8Array): string | undefined {
  const common = Math.min(sent.length, got.length);
  let offset = 0;
  while (offset < common && sent[offset] === got[offset]) offset++;
  if (offset === sent.length && got.length === sent.length) return undefined;
  if (got.length === 0) return `got nothing of ${sent.length} bytes`;
  const differs = offset < common
    ? `first differs at offset ${offset}`
    : "every byte got matches";
  return `got ${got.length} of ${sent.length} bytes, ${differs}`;
}

Deno.test("relay: 200 concurrent pairs x 1 MiB through echo-tcp, every byte verified", async () => {
  const echo = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "-q",
    "--json",
    "-m",
    "1000",
  ]);
  // The default --wait on purpose: it must hold for a burst like this one.
  const server = await relay(["-q", "--json", "-m", "1000"], echo.port);
  const payload = randomBytes(1 << 20);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 200 }, async (_, pair) => {
      let conn: Deno.Conn | undefined;
      try {
        conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.port,
        });
        const reading = readAll(conn);
        reading.catch(() => {});
        await writeAll(conn, payload);
        await conn.closeWrite();
        const problem = mismatch(payload, await reading);
        return problem && `pair ${pair}: ${problem}`;
      } catch (error) {
        return `pair ${pair}: ${error}`;
      } finally {
        conn?.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const failed = results.filter((r) => r !== undefined);
  // A dropped pair's client only sees a close: the relay's events say why.
  const errors = () =>
    server.events.filter((e) => e.event === "error" || e.event === "rejected")
      .map((e) => `${e.event} ${e.code ?? e.reason}: ${e.message ?? ""}`);
  assertEquals(
    failed.length,
    0,
    `${failed.length} of 200 pairs not byte-exact:\n${
      failed.slice(0, 20).join("\n")
    }\nrelay events:\n${errors().slice(0, 20).join("\n")}`,
  );
  await server.waitForCount((l) => l.includes('"closed"'), 200);
  assertEquals(await server.stop(), 0);
  await echo.stop();
  assertEquals(errors(), []);
  const { time: _, ...stopped } = server.events.at(-1)!;
  assertEquals(stopped, {
    event: "stopped",
    transport: "tcp",
    connections: 200,
    bytesUp: 200 << 20,
    bytesDown: 200 << 20,
  });
  console.log(`200 pairs x 1 MiB echoed through the relay in ${seconds}s`);
});

Deno.test("relay -u: each client gets its own upstream; no cross-talk; idle mappings close", async () => {
  const echo = await SpawnedServer.start(["echo-udp", "--port", "0", "-q"]);
  const server = await relay(["-u", "--json", "-i", "500ms"], echo.port);
  const python = await runPython(
    `
import socket, sys
port = int(sys.argv[1])
socks = []
for i in range(5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0)); s.settimeout(3)
    socks.append(s)
for round in range(3):
    for i, s in enumerate(socks):
        s.sendto(b"client %d round %d" % (i, round), ("127.0.0.1", port))
ok = 0
for i, s in enumerate(socks):
    for round in range(3):
        if s.recv(100) == b"client %d round %d" % (i, round):
            ok += 1
print(ok)
`,
    [String(server.port)],
  );
  assertEquals(python.stdout.trim(), "15", python.stderr);
  await server.waitForCount((l) => l.includes('"closed"'), 5);
  assertEquals(await server.stop(), 0);
  await echo.stop();
  const events = server.events;
  const connected = events.filter((e) => e.event === "connected");
  assertEquals(connected.length, 5);
  const locals = new Set(
    connected.map((e) => (e.local as { port: number }).port),
  );
  assertEquals(locals.size, 5);
  for (const closed of events.filter((e) => e.event === "closed")) {
    assertEquals([closed.bytesUp, closed.bytesDown], [48, 48]);
  }
  const stopped = events.at(-1)!;
  assertEquals(stopped.event, "stopped");
  assertEquals(stopped.connections, 5);
});

Deno.test("relay: clients that reset right after connecting leave no error event that names no client", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const server = await relay(["--json", "-q"], echo.port);
  const python = await runPython(
    `
import socket, struct, sys
for i in range(30):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"after"); print(s.recv(100).decode())
`,
    [String(server.port)],
  );
  assertEquals(python.stdout.trim(), "after", python.stderr);
  await server.stop();
  await echo.stop();
  const unnamed = server.events.filter((e) =>
    e.event === "error" && e.peer === undefined
  );
  assertEquals(unnamed, []);
});

/** A UDP echo server in Python. */
function pythonUdpEcho() {
  return pythonOnPort(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(70000)
    s.sendto(data, peer)
`);
}

Deno.test("relay -u: a new client's burst of 200 datagrams all comes back, in order, though its upstream socket is still being set up", async () => {
  const echo = await pythonUdpEcho();
  const server = await relay(["-u", "--json", "-q"], echo.port);
  try {
    const python = await runPython(
      `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
for i in range(200):
    s.sendto(b"%05d" % i, ("127.0.0.1", int(sys.argv[1])))
s.settimeout(2)
got = []
try:
    while len(got) < 200:
        got.append(int(s.recv(100)))
except socket.timeout:
    pass
print(len(got), got == sorted(got))
`,
      [String(server.port)],
    );
    assertEquals(python.stdout.trim(), "200 True", python.stderr);
  } finally {
    await server.stop();
    await echo.stop();
  }
  assertEquals(server.events.filter((e) => e.event === "error"), []);
});

Deno.test({
  name: "socat: relay forwards a socat client to a socat server",
  ignore: !has("socat"),
  async fn() {
    const { port, child: socat } = socatEcho();
    const server = await relay(["-q"], port);
    try {
      let output = "";
      for (let i = 0; i < 20 && output !== "through socat\n"; i++) {
        if (i > 0) await sleep(100);
        const client = new Deno.Command("socat", {
          args: ["-t", "2", "-", `TCP:127.0.0.1:${server.port}`],
          stdin: "piped",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const writer = client.stdin.getWriter();
        await writer.write(new TextEncoder().encode("through socat\n"));
        await writer.close();
        output = new TextDecoder().decode((await client.output()).stdout);
      }
      assertEquals(output, "through socat\n");
    } finally {
      await server.stop();
      socat.kill("SIGTERM");
      await socat.status;
    }
  },
});

Deno.test("relay: --max-conns and --deny refuse clients with a rejected event", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const server = await relay(["-m", "1", "--deny", "127.0.0.2"], echo.port);
  const python = await runPython(
    `
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port))
a.sendall(b"first\\n"); print(repr(a.recv(100)))
b = socket.create_connection(("127.0.0.1", port))
print(repr(b.recv(100)))
d = socket.socket(); d.bind(("127.0.0.2", 0)); d.connect(("127.0.0.1", port))
print(repr(d.recv(100)))
`,
    [String(server.port)],
  );
  assertEquals(python.stdout.trim().split("\n"), ["b'first\\n'", "b''", "b''"]);
  await server.waitFor((l) => l.includes("(denied)"));
  await server.stop();
  await echo.stop();
  const rejected = server.lines.filter((l) => l.startsWith("rejected"));
  assertEquals(rejected.length, 2, server.lines.join("\n"));
  assertMatch(rejected[0]!, /^rejected client 127\.0\.0\.1:\d+ \(max-conns\)$/);
  assertMatch(rejected[1]!, /^rejected client 127\.0\.0\.2:\d+ \(denied\)$/);
});

Deno.test("relay -u -m 1: a second client is told max-conns once, however many datagrams it sends", async () => {
  const echo = await SpawnedServer.start(["echo-udp", "--port", "0", "-q"]);
  const server = await relay(["-u", "-m", "1"], echo.port);
  const python = await runPython(
    `
import socket, sys, time
port = int(sys.argv[1])
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.settimeout(3)
a.sendto(b"first", ("127.0.0.1", port)); print(a.recv(100).decode())
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    b.sendto(b"refused", ("127.0.0.1", port))
a.sendto(b"still", ("127.0.0.1", port)); print(a.recv(100).decode())
`,
    [String(server.port)],
  );
  assertEquals(python.stdout.trim().split("\n"), ["first", "still"]);
  await server.stop();
  await echo.stop();
  const rejected = server.lines.filter((l) => l.startsWith("rejected"));
  assertEquals(rejected.length, 1, server.lines.join("\n"));
  assertMatch(rejected[0]!, /\(max-conns\)$/);
});

Deno.test("relay: SIGTERM closes every open pair (TCP and UDP), prints closed and stopped, exit 0", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const server = await relay(["--json"], echo.port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await writeAll(conn, new TextEncoder().encode("open pair"));
  await server.waitFor((l) => l.includes('"down"'));
  const ending = readAll(conn);
  assertEquals(await server.stop("SIGINT"), 0);
  assertEquals(new TextDecoder().decode(await ending), "open pair");
  conn.close();
  assertEquals(server.events.slice(-2).map((e) => e.event), [
    "closed",
    "stopped",
  ]);
  await echo.stop();

  const udpEcho = await SpawnedServer.start(["echo-udp", "--port", "0", "-q"]);
  const udp = await relay(["-u", "--json"], udpEcho.port);
  const python = await runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"ping", ("127.0.0.1", int(sys.argv[1])))
print(s.recv(100))
`,
    [String(udp.port)],
  );
  assertEquals(python.stdout.trim(), "b'ping'", python.stderr);
  await udp.waitFor((l) => l.includes('"down"'));
  assertEquals(await udp.stop(), 0);
  await udpEcho.stop();
  const tail = udp.events.slice(-2);
  assertEquals(tail.map((e) => e.event), ["closed", "stopped"]);
  assertEquals([tail[0]?.bytesUp, tail[0]?.bytesDown], [4, 4]);
});

Deno.test("listen and relay: bad command lines are exit 2 with one line naming the value", async () => {
  const cases: [string[], RegExp][] = [
    [["relay", "8080"], /missing required argument 'target'/],
    [
      ["relay", "0", "::1:80"],
      /"::1:80" has an IPv6 host: write it as \[::1\]:80/,
    ],
    [["relay", "0", "localhost:70000"], /port "70000"/],
    [
      ["relay", "127.0.0.1:80:3", "localhost:80"],
      /"127\.0\.0\.1:80:3" is not \[host:\]port: one colon, or an IPv6 host in brackets/,
    ],
    [["relay", "0", "localhost"], /"localhost" is not host:port/],
    [["relay", "-4", "0", "[::1]:80"], /"::1" is an IPv6 address/],
    [["relay", "-w", "soon", "0", "localhost:80"], /duration "soon"/],
    [["listen", "70000"], /port "70000"/],
    [["listen", "-k", "-m", "0", "0"], /count "0"/],
    [["relay", "0", "[::1"], /address "\[::1" has an unclosed \[/],
    [["relay", "-q", "-x", "0", "localhost:80"], /-q drops .* -x/],
    [["echo-udp", "-q", "-x", "-p", "0"], /-q drops .* -x/],
    [["listen", "127.0.0.1:0"], /port "127\.0\.0\.1:0" holds a host: .*--host/],
  ];
  await Promise.all(cases.map(async ([args, message]) => {
    const result = await runCli(args);
    assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    const lines = result.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, result.stderr);
    assertMatch(lines[0]!, /^sockit: /);
    assertMatch(lines[0]!, message);
  }));
});

Deno.test("relay -u: a target name that does not resolve is an error event per client; the relay keeps serving", async () => {
  const server = await SpawnedServer.start([
    "relay",
    "-u",
    "--json",
    "-w",
    "1s",
    "0",
    "no-such-host.invalid:9",
  ]);
  await runPython(
    `
import socket, sys
for i in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for j in range(3):
        s.sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
`,
    [String(server.port)],
  );
  await server.waitForCount((l) => l.includes('"closed"'), 2, 15_000);
  await sleep(200);
  assertEquals(await server.stop(), 0);
  // Each datagram of a client without a mapping is a new attempt, so a
  // client may see more than one error; both clients see at least one.
  const errors = server.events.filter((e) => e.event === "error");
  const clients = new Set(
    errors.map((e) => (e.peer as { port: number }).port),
  );
  assertEquals(clients.size, 2, JSON.stringify(server.events));
  for (const error of errors) {
    assertEquals(error.target, { address: "no-such-host.invalid", port: 9 });
    assert(
      ["not-found", "timeout"].includes(String(error.code)),
      String(error.code),
    );
  }
});

Deno.test("relay: a character split across reads stays whole, each direction apart; -i closes a silent pair", async () => {
  const target = await PythonPeer.start(`
c.sendall(b"caf\\xc3")
time.sleep(0.3)
c.sendall(b"\\xa9\\n")
time.sleep(3)
`);
  const server = await relay(["-i", "1s"], target.port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  // Up: the first half of "ü" while "é" is half-way down.
  await writeAll(conn, new Uint8Array([0x75, 0x62, 0x65, 0x72, 0xc3]));
  await sleep(100);
  await writeAll(conn, new Uint8Array([0xbc, 0x0a]));
  const got = await readAll(conn);
  conn.close();
  assertEquals(new TextDecoder().decode(got), "café\n");
  await server.waitFor((l) => l.includes("disconnected"));
  target.kill();
  await server.stop();
  const client = /client (\S+) connected/.exec(server.lines[1]!)?.[1];
  const lines = server.lines.filter((l) => / (sent|received) /.test(l));
  // The cut character moves to the next line of its own direction.
  assertEquals(lines.sort(), [
    `client ${client} received 'caf'`,
    `client ${client} received 'é\\n'`,
    `client ${client} sent 'uber'`,
    `client ${client} sent 'ü\\n'`,
  ]);
  assertMatch(
    server.lines.join("\n"),
    /error: client \S+: cannot pipe "127\.0\.0\.1:\d+" and "127\.0\.0\.1:\d+": idle for 1000 ms, no byte either way/,
  );
});

Deno.test("relay: a target that takes 3 s to answer a connect is still relayed with the default --wait", async () => {
  // A full accept queue drops SYNs; the kernel retries at 1 s and 3 s.
  // Freed at 2.5 s, it lets the relay's connect through at ~3 s: the
  // delay a burst of clients caused inside a busy relay, made exact.
  const target = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket, threading, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
port = l.getsockname()[1]
fillers = []
for _ in range(3):
    f = socket.socket(); f.setblocking(False)
    try:
        f.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fillers.append(f)
time.sleep(0.2)
print(port, flush=True)
time.sleep(2.5)
l.listen(16)
def echo(c):
    while True:
        data = c.recv(65536)
        if not data:
            break
        c.sendall(data)
    c.close()
l.settimeout(10)
while True:
    c, _ = l.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
`,
    ],
    stdout: "piped",
  }).spawn();
  const lines = target.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number((await lines.read()).value?.trim());
  const server = await relay(["--json", "-q"], port);
  try {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await writeAll(conn, new TextEncoder().encode("through a slow accept\n"));
    await conn.closeWrite();
    const got = new TextDecoder().decode(await readAll(conn));
    conn.close();
    assertEquals(got, "through a slow accept\n", server.lines.join("\n"));
    await server.waitFor((l) => l.includes('"closed"'));
  } finally {
    await server.stop();
    target.kill("SIGKILL");
    await target.status;
    await lines.cancel();
  }
  const events = server.events.map((e) => e.event);
  assertEquals(events.filter((e) => e === "error"), []);
  assert(events.includes("connected"), events.join(" "));
});

Deno.test("relay: a stdout that fails (a full disk) is said once on stderr; the relay serves on, exit 0", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const port = freePort();
  const child = cliCommandTo("/dev/full", [
    "relay",
    String(port),
    `127.0.0.1:${echo.port}`,
  ]).spawn();
  await child.stdin.close();
  const stderr = new Response(child.stderr).text();
  try {
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 2; i++) {
      let conn: Deno.Conn | undefined;
      while (conn === undefined) {
        try {
          conn = await Deno.connect({ hostname: "127.0.0.1", port });
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(50);
        }
      }
      await writeAll(conn, new TextEncoder().encode(`hello ${i}\n`));
      await conn.closeWrite();
      assertEquals(
        new TextDecoder().decode(await readAll(conn)),
        `hello ${i}\n`,
      );
      conn.close();
    }
  } finally {
    await sleep(200);
    child.kill("SIGTERM");
    await echo.stop();
  }
  const { code } = await child.status;
  assertEquals(code, 0);
  const lines = (await stderr).trim().split("\n");
  // Once, not per lost line, and naming what failed.
  assertEquals(lines.length, 1, lines.join("\n"));
  assertMatch(
    lines[0]!,
    /^sockit: cannot write events to stdout: no space left on device.*; no more are printed$/,
  );
});

Deno.test("relay: a target that is the relay itself is exit 2 naming it; it chained a pair per connection up to -m", async () => {
  const port = freePort();
  const dir = await Deno.makeTempDir();
  const socket = `unix:${dir}/relay.sock`;
  const lines: string[][] = [
    ["relay", `127.0.0.1:${port}`, `127.0.0.1:${port}`],
    ["relay", `${port}`, `localhost:${port}`],
    ["relay", "-u", `0.0.0.0:${port}`, `127.0.0.1:${port}`],
    ["relay", `[::]:${port}`, `[::1]:${port}`],
    // An address of the host's own that no rule names (as a LAN address
    // would be): found by binding it.
    ["relay", `[::]:${port}`, `[0:0:0:0:0:0:0:1]:${port}`],
    ["relay", "-u", `[::]:${port}`, `[0:0:0:0:0:0:0:1]:${port}`],
    ["relay", socket, socket],
  ];
  try {
    for (const args of lines) {
      const result = await runCli(args, { permissions: RW });
      const target = args.at(-1)!;
      assertEquals(
        [result.code, result.stdout.length, result.stderr],
        [
          2,
          0,
          `sockit: the target "${target}" is this relay's own listening address: every connection would loop back to it\n`,
        ],
        args.join(" "),
      );
    }
    // The socket file it bound for the check is gone again.
    assertEquals(await Deno.stat(`${dir}/relay.sock`).catch(() => null), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay --json: a reader that paused and reads again once SIGTERM comes gets whole NDJSON lines, closed events and stopped", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const child = cliCommand([
    "relay",
    "--json",
    "0",
    `127.0.0.1:${echo.port}`,
  ]).spawn();
  await child.stdin.close();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const first = await readUntil(reader, "relay exited before listening");
  const port = (JSON.parse(first.split("\n")[0]!) as { port: number }).port;
  // Nobody reads stdout meanwhile (a consumer busy elsewhere, `| less`
  // scrolled back): the pipe fills, the relay goes on and drops message
  // events.
  const data = randomBytes(16 << 20);
  for (let i = 0; i < 2; i++) {
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const [, echoed] = await Promise.all([
      writeAll(client, data).then(() => client.closeWrite()),
      readAll(client),
    ]);
    client.close();
    assertEquals(await sha256(echoed), await sha256(data));
  }
  await sleep(1000);
  child.kill("SIGTERM");
  let text = first;
  const decoder = new TextDecoder();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const { code } = await child.status;
  await echo.stop();
  assertEquals(code, 0);
  assertEquals(await stderr, "");
  assert(text.endsWith("\n"), `cut line: ${text.slice(-100)}`);
  const events = text.trimEnd().split("\n").map((line) =>
    JSON.parse(line) as { event: string }
  ).map((e) => e.event).filter((e) => e !== "message");
  assertEquals(events.filter((e) => e === "closed").length, 2, `${events}`);
  assertEquals(events.at(-1), "stopped");
});

Deno.test("relay -u: a reply too big for the client's family is dropped with an error event; the mapping stays and counts only what was passed", async () => {
  // An IPv6 target may send 65,527 bytes; an IPv4 client can take 65,507.
  const target = await pythonOnPort(`
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(70000)
    s.sendto(b"B" * 65527 if data == b"big" else data, peer)
`);
  const server = await SpawnedServer.start([
    "relay",
    "-u",
    "--json",
    "-q",
    "127.0.0.1:0",
    `[::1]:${target.port}`,
  ]);
  try {
    assertEquals(
      await threeDatagrams("127.0.0.1", server.port, 'b"big"'),
      ["3", "none", "3"],
    );
  } finally {
    await server.stop();
    await target.stop();
  }
  const events = server.events;
  assertOneMappingOneDrop(events, [9, 6]);
  assertEquals([events.at(-1)?.bytesUp, events.at(-1)?.bytesDown], [9, 6]);
});

Deno.test("relay -u: a datagram too big for the target's family is dropped with an error event; the mapping stays", async () => {
  const echo = await pythonUdpEcho();
  const server = await SpawnedServer.start([
    "relay",
    "-u",
    "--json",
    "-q",
    "[::1]:0",
    `127.0.0.1:${echo.port}`,
  ]);
  try {
    assertEquals(
      await threeDatagrams("::1", server.port, 'b"B" * 65527'),
      ["3", "none", "3"],
    );
  } finally {
    await server.stop();
    await echo.stop();
  }
  assertOneMappingOneDrop(server.events, [6, 6]);
});

Deno.test("relay -u: target replies the kernel dropped before the relay read them are an error event naming the client when the mapping closes", async () => {
  const burst = 10_000;
  const target = await pythonOnPort(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(100)
    for i in range(${burst}):
        s.sendto(b"%05d" % i, peer)
`);
  const server = await SpawnedServer.start([
    "relay",
    "-u",
    "--json",
    "-q",
    "-i",
    "1",
    "127.0.0.1:0",
    `127.0.0.1:${target.port}`,
  ], ["--allow-all"]);
  let client: number;
  try {
    const python = await runPython(
      `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"go", ("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1])
`,
      [String(server.port)],
    );
    client = Number(python.stdout.trim());
    await server.waitFor((line) => line.includes(`"event":"closed"`));
  } finally {
    await server.stop();
    await target.stop();
  }
  const events = server.events;
  const closed = events.filter((e) => e.event === "closed");
  const errors = events.filter((e) => e.event === "error");
  assertEquals(errors.map((e) => [e.code, e.peer]), [
    ["overflow", { address: "127.0.0.1", port: client }],
  ], JSON.stringify(errors));
  const dropped = Number(
    /the kernel dropped (\d+) datagrams/.exec(String(errors[0]!.message))?.[1],
  );
  // Five bytes a reply: what was relayed and what was dropped add up.
  assertEquals(Number(closed[0]!.bytesDown) / 5 + dropped, burst);
});

/**
 * Sends "one", then `middle` (a Python bytes expression), then "two" from
 * a Python socket of `address`'s family to the relay, each answer's length
 * or "none" when none came within 1 s.
 */
async function threeDatagrams(
  address: string,
  port: number,
  middle: string,
): Promise<string[]> {
  const family = address.includes(":") ? "AF_INET6" : "AF_INET";
  const python = await runPython(
    `
import socket, sys
s = socket.socket(socket.${family}, socket.SOCK_DGRAM)
s.settimeout(1)
for data in (b"one", ${middle}, b"two"):
    s.sendto(data, ("${address}", int(sys.argv[1])))
    try:
        print(len(s.recv(70000)))
    except socket.timeout:
        print("none")
`,
    [String(port)],
  );
  return python.stdout.trimEnd().split("\n");
}

/**
 * One mapping throughout (the target saw one source port), one error
 * event for the 65,527-byte datagram, and `closed` counting only what was
 * passed: `[bytesUp, bytesDown]`.
 */
function assertOneMappingOneDrop(
  events: JsonEvent[],
  bytes: [number, number],
): void {
  assertEquals(events.filter((e) => e.event === "connected").length, 1);
  const errors = events.filter((e) => e.event === "error");
  assertEquals(errors.length, 1, JSON.stringify(events));
  assertMatch(String(errors[0]!.message), /65527 bytes exceeds/);
  const closed = events.filter((e) => e.event === "closed");
  assertEquals(closed.map((e) => [e.bytesUp, e.bytesDown]), [bytes]);
}

Deno.test("relay -u: SIGTERM while replies stream to 50 mappings is exit 0 with no error event for the relay's own closed socket", async () => {
  // The target answers every client it has heard from, without pause.
  const target = await pythonOnPort(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.001)
print(s.getsockname()[1], flush=True)
peers = set()
while True:
    try:
        peers.add(s.recvfrom(100)[1])
    except socket.timeout:
        pass
    for peer in peers:
        s.sendto(b"tick", peer)
`);
  try {
    // The replies must come in the moment the stop closes the listening
    // socket, which they do in most runs: three runs, so that nearly
    // every test run has one.
    for (let run = 0; run < 3; run++) {
      const server = await relay(["-u", "--json", "-q"], target.port);
      const clients = Array.from(
        { length: 50 },
        () =>
          Deno.listenDatagram({
            transport: "udp",
            hostname: "127.0.0.1",
            port: 0,
          }),
      );
      for (const client of clients) {
        await client.send(new TextEncoder().encode("hi"), {
          transport: "udp",
          hostname: "127.0.0.1",
          port: server.port,
        });
      }
      await server.waitForCount((l) => l.includes('"connected"'), 50);
      await sleep(300);
      assertEquals(await server.stop(), 0);
      for (const client of clients) client.close();
      const events = server.events;
      assertEquals(events.filter((e) => e.event === "error"), [], `run ${run}`);
      assertEquals(events.filter((e) => e.event === "closed").length, 50);
      assertEquals(events.at(-1)?.event, "stopped");
    }
  } finally {
    await target.stop();
  }
});
