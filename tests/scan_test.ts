/**
 * `sockit scan` on loopback only: exact output for known open, closed and
 * filtered ports, banners, exit codes, and a 10,000-port scan in bounded
 * time.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  freePort,
  FULL_DISK_LINE,
  pythonOnPort,
  PythonPeer,
  runCli,
  runToFullDisk,
  SpawnedServer,
} from "./_cli.ts";

/** A listener whose accept queue is full: further SYNs get no answer. */
function silentPort() {
  return pythonOnPort(`
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(0)
port = l.getsockname()[1]
fill = []
for i in range(3):
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fill.append(s)
time.sleep(0.3)
print(port, flush=True)
time.sleep(30)
`);
}

Deno.test("scan -zvn, nc's habit: -z is taken, -v prints every port as -a does, -n takes an address", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const closed = freePort();
  try {
    const [low, high] = [echo.port, closed].sort((a, b) => a - b);
    const state = (port: number) => port === echo.port ? "open" : "closed";
    const result = await runCli([
      "scan",
      "-zvn",
      "127.0.0.1",
      String(echo.port),
      String(closed),
    ]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(
      result.text,
      `127.0.0.1:${low} ${state(low!)}\n127.0.0.1:${high} ${state(high!)}\n`,
    );
  } finally {
    await echo.stop();
  }
});

Deno.test("scan: open, closed and filtered ports in ascending order, with banners", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const banner = await PythonPeer.start(
    'c.sendall(b"SSH-2.0-test\\r\\n"); time.sleep(2)',
  );
  const silent = await silentPort();
  const closed = freePort();
  try {
    const ports = [echo.port, banner.port, silent.port, closed];
    const sorted = [...ports].sort((a, b) => a - b);
    const state = (port: number) =>
      port === closed ? "closed" : port === silent.port ? "filtered" : "open";
    const result = await runCli([
      "scan",
      "127.0.0.1",
      // Given out of order and with a repeat: printed ascending, once each.
      [...ports, echo.port].join(","),
      "-a",
      "-w",
      "500ms",
      "--banner",
      "-i",
      "1s",
    ]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(
      result.text,
      sorted.map((port) =>
        `127.0.0.1:${port} ${state(port)}${
          port === banner.port ? " 'SSH-2.0-test\\r\\n'" : ""
        }\n`
      ).join(""),
    );

    const openOnly = await runCli([
      "scan",
      "localhost",
      `${closed},${echo.port}`,
      "--json",
    ]);
    assertEquals(openOnly.code, 0, openOnly.stderr);
    const lines = openOnly.text.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 1);
    assertEquals([lines[0].event, lines[0].peer, lines[0].state], [
      "port",
      { address: "127.0.0.1", port: echo.port },
      "open",
    ]);

    const none = await runCli(["scan", "127.0.0.1", String(closed)]);
    assertEquals([none.code, none.text], [1, ""]);
  } finally {
    assertEquals(await echo.stop(), 0);
    banner.kill();
    await banner.output();
    await silent.stop();
  }
});

Deno.test("scan: bad port lists are exit 2 naming the value", async () => {
  for (
    const [ports, message] of [
      ["9-3", 'ports "9-3": range 9-3 runs backwards'],
      ["0-3", 'ports "0-3": 0 is outside 1-65535'],
      ["80,70000", 'ports "80,70000": 70000 is outside 1-65535'],
      [
        "nosuchservice",
        'ports "nosuchservice": "nosuchservice" is not a port or a range such as 8000-8100',
      ],
      [
        "++80",
        'ports "++80": "++80" is not a port or a range such as 8000-8100',
      ],
      ["1-", 'ports "1-": "1-" is not a port or a range such as 8000-8100'],
    ]
  ) {
    const result = await runCli(["scan", "127.0.0.1", ports ?? ""]);
    assertEquals([result.code, result.stderr], [2, `sockit: ${message}\n`]);
  }
});

Deno.test("scan takes ports as nc does: a leading +, a service name, several words", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  try {
    for (const ports of [`+${echo.port}`, `http, +${echo.port}`]) {
      const result = await runCli(["scan", "127.0.0.1", ports, "-w", "2s"]);
      // Port 80 (http) is the machine's: open only where something serves it.
      assertEquals(
        [result.code, result.text.replace("127.0.0.1:80 open\n", "")],
        [0, `127.0.0.1:${echo.port} open\n`],
        result.stderr,
      );
    }
    // Ports as separate words, as nc -z host 20 22 80 takes them.
    const words = await runCli([
      "scan",
      "-a",
      "127.0.0.1",
      String(echo.port),
      `${echo.port}-${echo.port}`,
      "-w",
      "2s",
    ]);
    assertEquals(
      [words.code, words.text],
      [0, `127.0.0.1:${echo.port} open\n`],
      words.stderr,
    );
    // "http" is port 80: listed with -a, closed or open as the machine has it.
    const named = await runCli(["scan", "-a", "127.0.0.1", "http", "-w", "2s"]);
    assertMatch(named.text, /^127\.0\.0\.1:80 (open|closed|filtered)\n$/);
  } finally {
    assertEquals(await echo.stop(), 0);
  }
});

Deno.test("scan: 10,000 loopback ports finish in bounded time", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  try {
    const first = Math.max(1, Math.min(echo.port - 5000, 65535 - 9999));
    const started = performance.now();
    const result = await runCli([
      "scan",
      "127.0.0.1",
      `${first}-${first + 9999}`,
      "-w",
      "2s",
    ], { timeoutMs: 60_000 });
    const seconds = (performance.now() - started) / 1000;
    assertEquals(result.code, 0, result.stderr);
    assertMatch(
      result.text,
      new RegExp(`^127\\.0\\.0\\.1:${echo.port} open$`, "m"),
    );
    // About 3 s on a busy 2-core machine; the margin is for CI.
    assert(seconds < 30, `10,000 ports took ${seconds.toFixed(1)} s`);
  } finally {
    assertEquals(await echo.stop(), 0);
  }
});

Deno.test("scan prints IPv6 ports in brackets; -6 resolves localhost to ::1", async () => {
  const echo = await SpawnedServer.start([
    "echo-tcp",
    "--host",
    "::1",
    "--port",
    "0",
    "-q",
  ]);
  try {
    const result = await runCli(["scan", "-6", "localhost", String(echo.port)]);
    assertEquals([result.code, result.text], [0, `[::1]:${echo.port} open\n`]);
  } finally {
    assertEquals(await echo.stop(), 0);
  }
});

Deno.test("scan: a stdout that cannot be written (full disk) is exit 1 with one line, as send's: the list is its data", async () => {
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  try {
    for (const args of [[], ["--json"]]) {
      const { code, stderr } = await runToFullDisk([
        "scan",
        ...args,
        "127.0.0.1",
        String(echo.port),
      ]);
      assertEquals([code, stderr], [1, FULL_DISK_LINE], args.join(" "));
    }
  } finally {
    await echo.stop();
  }
});
