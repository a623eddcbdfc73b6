import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliArgv,
  cliCommand,
  cliCommandTo,
  FULL_DISK_LINE,
  has,
  PYTHON_READ_TO_EOF,
  PythonPeer,
  randomBytes,
  readUntil,
  runCli,
  runPython,
  runToFullDisk,
  sha256,
  sleep,
  SpawnedServer,
  writeAll,
} from "./_cli.ts";
import { concatBytes } from "../lib/_bytes.ts";

/** Reads until EOF on `c` and prints what came, as hex. */
const RECORD = `${PYTHON_READ_TO_EOF}
print(got.hex())
`;

Deno.test("send joins message arguments with spaces and adds no newline", async () => {
  const peer = await PythonPeer.start(RECORD + 'c.sendall(b"ok")');
  const result = await runCli([
    "send",
    "127.0.0.1",
    String(peer.port),
    "hello",
    "big",
    "world",
  ]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.text, "ok");
  assertEquals(
    await peer.output(),
    new TextEncoder().encode("hello big world").toHex(),
  );
});

Deno.test("send -N, nc's flag for what send does anyway: the peer reads to EOF and answers", async () => {
  const peer = await PythonPeer.start(RECORD + 'c.sendall(b"ok")');
  const result = await runCli(["send", "-N", "127.0.0.1", String(peer.port)], {
    stdin: "hello",
  });
  assertEquals([result.code, result.text], [0, "ok"], result.stderr);
  assertEquals(
    await peer.output(),
    new TextEncoder().encode("hello").toHex(),
  );
});

Deno.test("send -C turns LF into CRLF across stdin chunks and keeps CRLF", async () => {
  const peer = await PythonPeer.start(RECORD);
  const result = await runCli(["send", "-C", "127.0.0.1", String(peer.port)], {
    stdin: "GET / HTTP/1.0\nHost: x\r\n\n",
  });
  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    await peer.output(),
    new TextEncoder().encode("GET / HTTP/1.0\r\nHost: x\r\n\r\n").toHex(),
  );
});

Deno.test("send keeps sending piped stdin after the peer's FIN, then exits 0", async () => {
  // The peer half-closes at accept (as nc -N < /dev/null does) and reads on.
  const peer = await PythonPeer.start(
    'c.sendall(b"hello\\n"); c.shutdown(socket.SHUT_WR)\n' + RECORD,
  );
  const child = cliCommand(["send", "127.0.0.1", String(peer.port)]).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("before "));
  // Wait until send has printed the peer's greeting (the FIN is right
  // behind it), then longer still: the old rule had exited by now.
  const reader = child.stdout.getReader();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    printed += new TextDecoder().decode(value);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  await writer.write(new TextEncoder().encode("after")).catch(() => {});
  await writer.close().catch(() => {});
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    printed += new TextDecoder().decode(r.value);
  }
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  assertEquals(status.code, 0, stderr);
  assertEquals(printed, "hello\n");
  assertEquals(
    await peer.output(),
    new TextEncoder().encode("before after").toHex(),
  );
});

Deno.test("send ends at the peer's FIN at once when stdin is a terminal", async () => {
  const peer = await PythonPeer.start('c.sendall(b"bye\\n"); c.close()');
  // A pty as stdin, held open: an interactive user who typed nothing.
  const result = await runPython(
    `
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(slave)
try:
    out, err = p.communicate(timeout=8)
    print(p.returncode, out.hex(), err.decode().strip())
except subprocess.TimeoutExpired:
    p.kill()
    print("hung")
`,
    [
      Deno.execPath(),
      "run",
      "--quiet",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      "--allow-net",
      new URL("../cli/main.ts", import.meta.url).pathname,
      "send",
      "127.0.0.1",
      String(peer.port),
    ],
  );
  assertEquals(
    result.stdout.trim(),
    `0 ${new TextEncoder().encode("bye\n").toHex()}`,
    result.stderr,
  );
  await peer.output();
});

Deno.test("send prints the peer's whole answer before a write failure's exit 1", async () => {
  // The peer reads 10 bytes, answers 4 KiB and closes or resets while
  // send is still writing 8 MB: the answer must come out whole every time.
  const answer = new Uint8Array(4096).map((_, i) => i % 256);
  const input = new Uint8Array(8 * 1024 * 1024);
  for (
    const ending of [
      "",
      "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
    ]
  ) {
    for (let run = 0; run < 3; run++) {
      const peer = await PythonPeer.start(`
n = 0
while n < 10:
    n += len(c.recv(10 - n))
c.sendall(bytes(range(256)) * 16)
${ending}
c.close()
`);
      const result = await runCli(["send", "127.0.0.1", String(peer.port)], {
        stdin: input,
      });
      assertEquals(result.code, 1, result.stderr);
      assertEquals(await sha256(result.stdout), await sha256(answer));
      assertMatch(
        result.stderr,
        /^sockit: cannot \w+ (to|from) "127\.0\.0\.1:\d+": connection reset by peer\n$/,
      );
      await peer.output();
    }
  }
});

Deno.test("send -q counts from the end of input, not from the last send", async () => {
  // Input ends at 1.2 s, the reply comes at 1.6 s: -q 1s must wait for it.
  const peer = await PythonPeer.start(`
t = time.time()
c.recv(10)
time.sleep(max(0, 1.6 - (time.time() - t)))
c.sendall(b"late reply")
time.sleep(3)
`);
  const child = cliCommand([
    "send",
    "-v",
    "-q",
    "1s",
    "127.0.0.1",
    String(peer.port),
  ]).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("hi"));
  // Time from the connection, not from the spawn: Deno's start-up varies.
  const stderr = child.stderr.getReader();
  let said = "";
  while (!said.includes("connected to")) {
    const { value, done } = await stderr.read();
    if (done) break;
    said += new TextDecoder().decode(value);
  }
  await new Promise((resolve) => setTimeout(resolve, 1200));
  await writer.close();
  for (let r = await stderr.read(); !r.done; r = await stderr.read()) {
    said += new TextDecoder().decode(r.value);
  }
  const stdout = await new Response(child.stdout).text();
  const status = await child.status;
  assertEquals(status.code, 0, said);
  assertEquals(stdout, "late reply");
  peer.kill();
});

Deno.test("send --idle-timeout gives up on a silent peer with exit 1", async () => {
  const peer = await PythonPeer.start("time.sleep(5)");
  const started = Date.now();
  const result = await runCli([
    "send",
    "-i",
    "300ms",
    "--no-shutdown",
    "127.0.0.1",
    String(peer.port),
    "hi",
  ]);
  assertEquals(result.code, 1);
  assertEquals(
    result.stderr,
    `sockit: cannot receive from "127.0.0.1:${peer.port}": idle for 300 ms\n`,
  );
  assert(Date.now() - started < 3000);
  peer.kill();
});

Deno.test("send --quit-after ends 0 that long after the input, peer still open", async () => {
  const peer = await PythonPeer.start(
    'c.recv(100); c.sendall(b"partial answer"); time.sleep(5)',
  );
  const started = Date.now();
  const result = await runCli([
    "send",
    "-q",
    "400ms",
    "127.0.0.1",
    String(peer.port),
    "question",
  ]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.text, "partial answer");
  const took = Date.now() - started;
  assert(took >= 400 && took < 3000, `took ${took} ms`);
  peer.kill();
});

Deno.test("send --no-shutdown keeps the write side open (the peer sees no EOF)", async () => {
  const peer = await PythonPeer.start(`
c.settimeout(0.6)
data = c.recv(100)
try:
    more = c.recv(100)
    print("eof" if more == b"" else "more")
except socket.timeout:
    print("no eof")
`);
  const result = await runCli([
    "send",
    "--no-shutdown",
    "-q",
    "1s",
    "127.0.0.1",
    String(peer.port),
    "x",
  ]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(await peer.output(), "no eof");
});

Deno.test("send exits 1 on a reset, after printing what arrived", async () => {
  const peer = await PythonPeer.start(`
c.sendall(b"some data")
time.sleep(0.3)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
`);
  const result = await runCli([
    "send",
    "--no-shutdown",
    "127.0.0.1",
    String(peer.port),
  ]);
  assertEquals(result.code, 1);
  assertEquals(result.text, "some data");
  assertMatch(
    result.stderr,
    /^sockit: cannot receive from "127\.0\.0\.1:\d+": connection reset by peer\n$/,
  );
});

Deno.test("send reports refused, DNS failure and connect timeout with exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = listener.addr.port;
  listener.close();
  const refused = await runCli(["send", "127.0.0.1", String(closedPort), "x"]);
  assertEquals(refused.code, 1);
  assertEquals(
    refused.stderr,
    `sockit: cannot connect to "127.0.0.1:${closedPort}": connection refused\n`,
  );

  const dns = await runCli(["send", "nothing.invalid", "80", "x"]);
  assertEquals(dns.code, 1);
  assertEquals(
    dns.stderr,
    `sockit: cannot connect to "nothing.invalid:80": name or service not known\n`,
  );

  const full = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
  const filler = await Deno.connect({
    hostname: "127.0.0.1",
    port: full.addr.port,
  });
  const timeout = await runCli([
    "send",
    "-w",
    "300ms",
    "127.0.0.1",
    String(full.addr.port),
    "x",
  ]);
  assertEquals(timeout.code, 1);
  assertEquals(
    timeout.stderr,
    `sockit: cannot connect to "127.0.0.1:${full.addr.port}": timed out after 300 ms\n`,
  );
  filler.close();
  full.close();
});

Deno.test("send -u --lines sends one datagram per stdin line and prints each reply", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--json",
  ]);
  const started = Date.now();
  const result = await runCli([
    "send",
    "-u",
    "--lines",
    "-q",
    "300ms",
    "127.0.0.1",
    String(server.port),
  ], {
    stdin: "one\ntwo\nthree",
  });
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.text, "one\ntwo\nthree");
  assert(Date.now() - started < 5000);
  await server.waitForCount((l) => l.includes('"message"'), 3);
  await server.stop();
  const texts = server.events.filter((e) => e.event === "message").map((e) =>
    e.text
  );
  assertEquals(texts, ["one\n", "two\n", "three"]);
});

/** A UDP peer that prints the size and sha256 of each datagram it gets. */
const UDP_RECORDER = `
import hashlib, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
s.settimeout(0.8)
print(s.getsockname()[1], flush=True)
try:
    while True:
        data, _ = s.recvfrom(70000)
        print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
except socket.timeout:
    pass
`;

/** Runs `send` (argv from `sender`) into UDP_RECORDER; returns each datagram. */
async function udpDatagrams(
  sender: (port: string) => string[] | "sockit",
  extra: string[],
  stdin: Uint8Array,
): Promise<string[]> {
  const python = new Deno.Command("python3", {
    args: ["-c", UDP_RECORDER],
    stdout: "piped",
  }).spawn();
  const reader = python.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    text += new TextDecoder().decode((await reader.read()).value);
  }
  const port = text.split("\n")[0]!;
  const argv = sender(port);
  if (argv === "sockit") {
    const result = await runCli(
      ["send", "-u", ...extra, "-q", "300ms", "127.0.0.1", port],
      { stdin },
    );
    assertEquals(result.code, 0, result.stderr);
  } else {
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
    await child.status;
  }
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await python.status;
  return text.trim().split("\n").slice(1);
}

Deno.test("send -u sends a binary stdin read as one datagram, as nc -u does", {
  ignore: !has("nc"),
}, async () => {
  // A DNS-like query with 0x0a bytes inside: one read, one datagram.
  const query = new Uint8Array(32).map((_, i) => (i % 5 === 0 ? 0x0a : i));
  const ours = await udpDatagrams(() => "sockit", [], query);
  const nc = await udpDatagrams(
    (port) => ["nc", "-u", "-q", "0", "127.0.0.1", port],
    [],
    query,
  );
  assertEquals(ours, [`32 ${await sha256(query)}`]);
  assertEquals(ours, nc);
});

Deno.test("send -u cuts input into datagrams of at most 65,507 bytes, --lines too", async () => {
  const big = randomBytes(150_000).map((b) => (b === 0x0a ? 0x0b : b));
  const pieces = [
    big.subarray(0, 65_507),
    big.subarray(65_507, 131_014),
    big.subarray(131_014),
  ];
  const expected = await Promise.all(
    pieces.map(async (p) => `${p.length} ${await sha256(p)}`),
  );
  // One line of 150,000 bytes: never held whole, sent as it fills datagrams.
  assertEquals(
    await udpDatagrams(() => "sockit", ["--lines"], big),
    expected,
  );
  const sizes = (await udpDatagrams(() => "sockit", [], big)).map((l) =>
    Number(l.split(" ")[0])
  );
  assertEquals(sizes.reduce((a, b) => a + b, 0), 150_000);
  assert(sizes.every((n) => n <= 65_507), String(sizes));
});

Deno.test("send -u waits for a late reply, then exits 0 after --quit-after", async () => {
  const python = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
data, addr = s.recvfrom(100)
time.sleep(0.5)
s.sendto(b"late " + data, addr)
`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = python.stdout.getReader();
  const port = (await readUntil(reader, "python UDP peer did not start"))
    .trim();
  const result = await runCli(["send", "-u", "127.0.0.1", port, "ping"]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.text, "late ping");
  reader.releaseLock();
  await python.stdout.cancel();
  await python.status;
});

/** Python that answers each datagram with a burst of `argv[1]` numbered lines. */
const PYTHON_UDP_BURST = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(100)
    for i in range(int(sys.argv[1])):
        s.sendto(b"%05d\\n" % i, addr)
`;

Deno.test("send -u: a burst of replies faster than it reads is printed in order, and what the kernel dropped is told (exit 1)", async () => {
  const burst = 2000;
  const python = new Deno.Command("python3", {
    args: ["-c", PYTHON_UDP_BURST, String(burst)],
    stdout: "piped",
  }).spawn();
  const reader = python.stdout.getReader();
  const port = (await readUntil(reader, "python UDP peer did not start"))
    .trim();
  try {
    for (const permissions of [["--allow-all"], ["--allow-net"]]) {
      const result = await runCli(
        ["send", "-u", "-q", "1", "127.0.0.1", port, "go"],
        { permissions },
      );
      const lines = result.text.split("\n").filter((line) => line !== "");
      const numbers = lines.map(Number);
      assert(
        numbers.every((n, i) => i === 0 || n > numbers[i - 1]!),
        "out of order",
      );
      const told = /the kernel dropped (\d+) datagrams/.exec(result.stderr);
      if (permissions[0] === "--allow-net") {
        // Deno gives /proc to -A only: the count is not read, nor asked for.
        assertEquals([result.code, result.stderr], [0, ""]);
        continue;
      }
      const dropped = Number(told?.[1] ?? 0);
      assertEquals(lines.length + dropped, burst, result.stderr);
      if (dropped === 0) {
        assertEquals([result.code, result.stderr], [0, ""]);
      } else {
        assertEquals(result.code, 1);
        assertEquals(
          result.stderr,
          `sockit: cannot receive from "127.0.0.1:${port}": the kernel dropped ${dropped} datagrams: they came faster than they were read (receive buffer full)\n`,
        );
      }
    }
  } finally {
    reader.releaseLock();
    python.kill();
    await python.stdout.cancel();
    await python.status;
  }
});

Deno.test("send --json prints connected, sent, received and closed events", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const result = await runCli([
    "send",
    "--json",
    "127.0.0.1",
    String(server.port),
    "hey",
  ]);
  assertEquals(result.code, 0, result.stderr);
  const events = result.text.trim().split("\n").map((l) => JSON.parse(l));
  const peer = { address: "127.0.0.1", port: server.port };
  assertEquals(events.map((e) => e.event), [
    "connected",
    "sent",
    "received",
    "closed",
  ]);
  assertEquals(events[0].peer, peer);
  assertEquals(events[1].text, "hey");
  assertEquals(events[2].text, "hey");
  assertEquals([events[3].bytesIn, events[3].bytesOut], [3, 3]);
  await server.stop();
});

Deno.test("send -v prints connection events on stderr and keeps stdout raw", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const ok = await runCli([
    "send",
    "-v",
    "localhost",
    String(server.port),
    "x",
  ]);
  assertEquals(ok.code, 0, ok.stderr);
  assertEquals(ok.text, "x");
  const lines = ok.stderr.trim().split("\n");
  assertMatch(
    lines[0] ?? "",
    new RegExp(
      `^connected to 127\\.0\\.0\\.1:${server.port} \\(tcp\\) from 127\\.0\\.0\\.1:\\d+$`,
    ),
  );
  assertEquals(
    lines[1],
    `connection to 127.0.0.1:${server.port} closed (1 byte in, 1 byte out)`,
  );
  await server.stop();
});

Deno.test("send --lines without -u is a usage error (exit 2)", async () => {
  const result = await runCli(["send", "--lines", "127.0.0.1", "9", "x"]);
  assertEquals(result.code, 2);
  assertEquals(
    result.stderr,
    "sockit: --lines cuts datagrams: it needs -u (UDP)\n",
  );
});

Deno.test("send: a stdout that cannot be written (full disk) is one line naming stdout, exit 1, also with --json", async () => {
  for (const args of [[], ["--json"]]) {
    const peer = await PythonPeer.start(`c.sendall(b"reply")`);
    const { code, stderr } = await runToFullDisk([
      "send",
      ...args,
      "127.0.0.1",
      String(peer.port),
      "hi",
    ]);
    assertEquals([code, stderr], [1, FULL_DISK_LINE], args.join(" "));
  }
});

Deno.test("send --json to a full disk: the disk is the failure told, even when the peer resets right after its reply", async () => {
  // Which comes first, the reset or the failed event write, is a race, so
  // ten runs: before the fix, 5 of 12 such tests failed (3 of 4 under load).
  const runs = 10;
  const peer = await PythonPeer.start(
    `for _ in range(${runs}):
    c, _ = l.accept()
    c.sendall(b"reply")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()`,
    false,
  );
  for (let run = 0; run < runs; run++) {
    const { code, stderr } = await runToFullDisk([
      "send",
      "--json",
      "127.0.0.1",
      String(peer.port),
      "hi",
    ]);
    assertEquals([code, stderr], [1, FULL_DISK_LINE], `run ${run + 1}`);
  }
  await peer.output();
});

Deno.test("send HOST:PORT in one word (socat's, curl's habit) is exit 2 with the form that works", async () => {
  for (
    const [target, form] of [
      ["127.0.0.1:9000", "127.0.0.1 9000"],
      ["[::1]:9000", "::1 9000"],
      ["localhost:http", "localhost http"],
    ]
  ) {
    const result = await runCli(["send", target!, "hi"]);
    assertEquals(
      [result.code, result.stderr],
      [
        2,
        `sockit: host "${target}" holds a port: give them apart, as in ${form}\n`,
      ],
    );
  }
  // An IPv6 address is not taken for one.
  const v6 = await runCli(["send", "-w", "1", "::1", "1", "hi"]);
  assertMatch(v6.stderr, /^sockit: cannot connect to "\[::1\]:1"/);
});

Deno.test("send localhost reaches a server on ::1 only, and one on 127.0.0.1 only, as nc tries each address", async () => {
  for (const hostname of ["::1", "127.0.0.1"]) {
    const listener = Deno.listen({ hostname, port: 0 });
    const served = (async () => {
      const conn = await listener.accept();
      const buffer = new Uint8Array(16);
      const count = await conn.read(buffer);
      await conn.write(new TextEncoder().encode(`hello from ${hostname}`));
      conn.close();
      return new TextDecoder().decode(buffer.subarray(0, count ?? 0));
    })();
    try {
      const result = await runCli([
        "send",
        "localhost",
        String(listener.addr.port),
        "hi",
      ]);
      assertEquals(
        [result.code, result.text],
        [0, `hello from ${hostname}`],
        result.stderr,
      );
      assertEquals(await served, "hi");
    } finally {
      listener.close();
    }
  }
});

Deno.test("send --json: a refused connect is an error event on stdout too, naming the target", async () => {
  // A port just bound and closed again: nothing listens there.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const result = await runCli(["send", "--json", "127.0.0.1", String(port)], {
    stdin: "",
  });
  assertEquals(result.code, 1, result.stderr);
  const events = result.text.trim().split("\n").map((line) =>
    JSON.parse(line) as Record<string, unknown>
  );
  assertEquals(events.length, 1, result.text);
  assertEquals(
    [events[0]!.event, events[0]!.code, events[0]!.peer],
    ["error", "refused", { address: "127.0.0.1", port }],
  );
  assertEquals(
    result.stderr.trim(),
    `sockit: cannot connect to "127.0.0.1:${port}": connection refused`,
  );
});

Deno.test("send --json: a reset or an idle timeout is an error event before closed, as on listen", async () => {
  for (
    const [script, args, code] of [
      [
        `c.sendall(b"x")
time.sleep(0.3)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()`,
        ["--no-shutdown"],
        "disconnected",
      ],
      [`time.sleep(3)`, ["-i", "300ms"], "timeout"],
    ] as const
  ) {
    const peer = await PythonPeer.start(script);
    const result = await runCli([
      "send",
      "--json",
      ...args,
      "127.0.0.1",
      String(peer.port),
    ]);
    assertEquals(result.code, 1, result.stderr);
    const events = result.text.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(events.map((e) => e.event).slice(-2), ["error", "closed"]);
    const error = events.at(-2);
    assertEquals(
      [error.peer, error.code],
      [{ address: "127.0.0.1", port: peer.port }, code],
    );
    assertEquals(
      `sockit: ${error.message.charAt(0).toLowerCase()}${
        error.message.slice(1)
      }\n`,
      result.stderr,
    );
  }
});

/**
 * Runs the CLI (argv after the signal's name) with stdin from /dev/zero,
 * reads its stdout 4 KiB every 20 ms, a reader that keeps taking but slower
 * than the events come, and sends it the signal after 1 s: stdout is what
 * was read, stderr the exit code (negative: killed by the signal).
 */
const SLOW_READER_SIGNAL = `
import signal, subprocess, sys, time
p = subprocess.Popen(sys.argv[2:], stdin=open("/dev/zero", "rb"),
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
start, signalled = time.time(), False
while True:
    d = p.stdout.read1(4096)
    if not d: break
    sys.stdout.buffer.write(d)
    if not signalled and time.time() - start > 1:
        p.send_signal(getattr(signal, sys.argv[1])); signalled = True
    time.sleep(0.02)
sys.stderr.write(str(p.wait()))
`;

Deno.test("send --json: SIGINT or SIGTERM mid-transfer, a slow but steady reader: whole lines, closed last, exit 130 or 143", async () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    // A peer that streams until we go, while stdin streams to it too.
    const peer = await PythonPeer.start(`
try:
    while True: c.sendall(b"z" * 65536)
except OSError: pass`);
    const result = await runPython(SLOW_READER_SIGNAL, [
      signal,
      ...cliArgv(["send", "--json", "127.0.0.1", String(peer.port)]),
    ]);
    peer.kill();
    assertEquals(result.stderr, String(code), signal);
    const text = result.stdout;
    assert(text.endsWith("\n"), `${signal}: the last line was cut`);
    const events = text.trimEnd().split("\n").map((l) => JSON.parse(l));
    const closed = events.at(-1);
    assertEquals(closed.event, "closed", signal);
    const sum = (name: string) =>
      events.filter((e) => e.event === name)
        .reduce((sum, e) => sum + e.bytes, 0);
    assertEquals([closed.bytesIn, closed.bytesOut], [
      sum("received"),
      sum("sent"),
    ], signal);
  }
});

Deno.test("send -q 1 and -i 1 print all the peer sent while stdout's reader paused longer than either (nc -N -q 1 does)", async () => {
  const payload = randomBytes(3 << 20);
  for (const flag of ["-q", "-i"]) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const served = (async () => {
      const conn = await listener.accept();
      await writeAll(conn, payload);
      conn.close();
    })();
    const child = cliCommand([
      "send",
      flag,
      "1",
      "127.0.0.1",
      String(listener.addr.port),
    ]).spawn();
    await child.stdin.close();
    const stderr = new Response(child.stderr).text();
    // Nothing reads stdout for 2.5 s: send cannot read the socket either.
    await sleep(2500);
    const chunks: Uint8Array[] = [];
    for await (const chunk of child.stdout) chunks.push(chunk);
    const { code } = await child.status;
    await served;
    listener.close();
    assertEquals(code, 0, `${flag}: ${await stderr}`);
    const received = concatBytes(chunks);
    assertEquals(received.length, payload.length, flag);
    assertEquals(await sha256(received), await sha256(payload), flag);
  }
});

Deno.test("send ends as soon as stdout fails, not at the next read of a stdin that stays open (ncat and socat do)", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const child = cliCommandTo("/dev/full", [
    "send",
    "127.0.0.1",
    String(echo.port),
  ]).spawn();
  const stderr = new Response(child.stderr).text();
  const input = child.stdin.getWriter();
  try {
    await input.write(new TextEncoder().encode("a\n"));
    // The echo's write to a full disk fails; stdin stays open.
    const ended = await Promise.race([
      child.status.then(({ code }) => code),
      sleep(5000).then(() => "still running"),
    ]);
    assertEquals(ended, 1, await Promise.race([stderr, sleep(100)]) ?? "");
    assertEquals(await stderr, FULL_DISK_LINE);
  } finally {
    await input.close().catch(() => {});
    try {
      child.kill();
    } catch {
      // Ended.
    }
    await child.status;
    assertEquals(await echo.stop(), 0);
  }
});

Deno.test("a stdin that cannot be read (a directory) is one line that says it was stdin, exit 1 (send, listen, osc send)", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  try {
    for (
      const args of [
        ["send", "127.0.0.1", String(echo.port)],
        ["listen", "127.0.0.1", "0"],
        ["osc", "send", "127.0.0.1", String(echo.port)],
      ]
    ) {
      const { code, stderr } = await new Deno.Command("sh", {
        args: ["-c", 'exec "$@" < /', "sh", ...cliArgv(args)],
        stdout: "null",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(stderr);
      assertEquals(code, 1, text);
      assertMatch(
        text,
        /^(?:listening on .*\n)?sockit: cannot read stdin: is a directory \(os error 21\)\n$/,
      );
    }
  } finally {
    assertEquals(await echo.stop(), 0);
  }
});
