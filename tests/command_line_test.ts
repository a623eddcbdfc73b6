/**
 * The command line speaks nc's and curl's language: bare durations are
 * seconds, ports may be service names, IPv6 zones work where Deno can.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { has, PythonPeer, runCli, SpawnedServer } from "./_cli.ts";

/** Reads to EOF, answers 300 ms later, then holds the connection open. */
const LATE_REPLY = `
while c.recv(65536):
    pass
time.sleep(0.3)
c.sendall(b"late\\n")
time.sleep(4)
`;

Deno.test("send -q 1 is one second, as nc -q 1: a reply 300 ms late is printed", async () => {
  const peer = await PythonPeer.start(LATE_REPLY);
  const started = Date.now();
  const result = await runCli(
    ["send", "-q", "1", "127.0.0.1", `${peer.port}`],
    {
      stdin: "hi",
    },
  );
  const elapsed = Date.now() - started;
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.text, "late\n");
  // Quit after 1 s of the input's end, not when the peer closes (4 s on).
  assert(elapsed < 3500, `took ${elapsed} ms`);
  peer.child.kill();
  await peer.output();
});

Deno.test({
  name: "nc -N -q 1 prints the same late reply (the behaviour sockit copies)",
  ignore: !has("nc"),
  async fn() {
    const peer = await PythonPeer.start(LATE_REPLY);
    const nc = new Deno.Command("nc", {
      // -N: half-close at EOF, as sockit does by default.
      args: ["-N", "-q", "1", "127.0.0.1", `${peer.port}`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = nc.stdin.getWriter();
    await writer.write(new TextEncoder().encode("hi"));
    await writer.close();
    const output = await nc.output();
    assertEquals(new TextDecoder().decode(output.stdout), "late\n");
    await peer.output();
  },
});

Deno.test("send takes a service name for the port and names an unknown one", async () => {
  // No test may bind port 80: a refused connection to 127.0.0.1:80 proves
  // that "http" became 80 (nothing listens there in CI or here).
  const known = await runCli(["send", "-w", "2s", "127.0.0.1", "http", "x"]);
  assertMatch(known.stderr, /"127\.0\.0\.1:80"/);
  const unknown = await runCli(["send", "127.0.0.1", "nosuchservice", "x"]);
  assertEquals(unknown.code, 2);
  assertEquals(
    unknown.stderr,
    'sockit: port "nosuchservice" is not a number from 1 to 65535 or a known service name\n',
  );
});

Deno.test("send reaches ::1 with a numeric zone; a zone by name is refused", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--host",
    "::1",
    "--port",
    "0",
  ]);
  try {
    const zoned = await runCli(["send", `::1%1`, `${server.port}`, "hi"]);
    assertEquals(zoned.code, 0, zoned.stderr);
    assertEquals(zoned.text, "hi");
    const bracketed = await runCli(["send", `[::1%1]`, `${server.port}`, "yo"]);
    assertEquals(bracketed.text, "yo", bracketed.stderr);
    const named = await runCli(["send", "fe80::1%eth0", `${server.port}`]);
    assertEquals(named.code, 2);
    assertMatch(
      named.stderr,
      /^sockit: host "fe80::1%eth0": zones by interface name are not supported; .*\n$/,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("-n (nc's no-DNS) refuses a host name in send, listen and scan, naming it; localhost and addresses pass", async () => {
  const line =
    'sockit: host "nosuch.invalid" is a name, but -n looks up none: give its address';
  for (
    const args of [
      ["send", "-n", "nosuch.invalid", "9"],
      ["listen", "-n", "nosuch.invalid", "0"],
      ["scan", "-n", "nosuch.invalid", "9"],
    ]
  ) {
    const result = await runCli(args, { stdin: "" });
    assertEquals(
      [result.code, result.stderr.trim()],
      [2, line],
      args.join(" "),
    );
  }
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  try {
    for (const host of ["127.0.0.1", "localhost"]) {
      const sent = await runCli(
        ["send", "-n", host, String(server.port), "hi"],
      );
      assertEquals([sent.code, sent.text], [0, "hi"], sent.stderr);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("nc flags whose job is another command say where it is: -z scan, -l listen, -e none", async () => {
  const cases: [string[], string][] = [
    [
      ["send", "-zv", "127.0.0.1", "1"],
      "unknown option '-zv' (port scans: sockit scan HOST PORTS)",
    ],
    [
      ["send", "-l", "9000"],
      "unknown option '-l' (to wait for a connection: sockit listen PORT)",
    ],
    [
      ["send", "-e", "/bin/sh", "127.0.0.1", "1"],
      "unknown option '-e' (sockit runs no program for a peer: see Known limits)",
    ],
    [
      ["listen", "--sh-exec", "cat", "9000"],
      "unknown option '--sh-exec' (sockit runs no program for a peer: see Known limits)",
    ],
    // Anything else stays as it was.
    [["send", "-Z", "127.0.0.1", "1"], "unknown option '-Z'"],
  ];
  await assertUsageLines(cases);
});

Deno.test("nc habits that fail say what works: -U Unix, --ssl TLS, listen -w, -d/--recv-only, --send-only, send -k, proxies; curl's and oscsend's flags get no nc hint", async () => {
  const cases: [string[], string][] = [
    [
      ["send", "-U", "/tmp/app.sock"],
      "unknown option '-U' (Unix sockets: sockit send unix:PATH, sockit listen --unix PATH)",
    ],
    [
      ["listen", "-lU", "/tmp/app.sock"],
      "unknown option '-U' (Unix sockets: sockit send unix:PATH, sockit listen --unix PATH)",
    ],
    [
      ["send", "-Uu", "/tmp/app.sock"],
      "unknown option '-Uu' (Unix sockets: sockit send unix:PATH, sockit listen --unix PATH)",
    ],
    [
      ["send", "--ssl", "127.0.0.1", "1"],
      "unknown option '--ssl' (TLS: sockit send --tls, sockit listen --tls-cert FILE --tls-key FILE)",
    ],
    [
      ["listen", "-w", "5", "9000"],
      "unknown option '-w' (listen's timeouts: -i, --idle-timeout and -q, --quit-after)",
    ],
    [
      ["send", "-d", "127.0.0.1", "1"],
      "unknown option '-d' (to send nothing: < /dev/null)",
    ],
    [
      ["send", "--recv-only", "127.0.0.1", "1"],
      "unknown option '--recv-only' (to send nothing: < /dev/null)",
    ],
    [
      ["send", "-c", "cat", "127.0.0.1", "1"],
      "unknown option '-c' (sockit runs no program for a peer: see Known limits)",
    ],
    [
      ["send", "--send-only", "127.0.0.1", "1"],
      "unknown option '--send-only' (to discard what the peer sends: > /dev/null)",
    ],
    [
      ["send", "-k", "127.0.0.1", "1"],
      "unknown option '-k' (to keep accepting connections: sockit listen -k PORT)",
    ],
    [
      ["send", "--proxy", "127.0.0.1:3128", "127.0.0.1", "1"],
      "unknown option '--proxy' (sockit connects directly, through no proxy: see Known limits)",
    ],
    [
      ["send", "-X", "5", "127.0.0.1", "1"],
      "unknown option '-X' (sockit connects directly, through no proxy: see Known limits)",
    ],
    // curl's -e is --referer, -z --time-cond, -U --proxy-user: no nc hint.
    [["get", "-e", "http://a/", "http://127.0.0.1:1/"], "unknown option '-e'"],
    [["get", "-z", "x", "http://127.0.0.1:1/"], "unknown option '-z'"],
    [["get", "-U", "u:p", "http://127.0.0.1:1/"], "unknown option '-U'"],
    [["osc", "send", "-l", "127.0.0.1", "1"], "unknown option '-l'"],
    // The nc commands keep theirs.
    [
      ["scan", "-e", "x", "127.0.0.1", "1"],
      "unknown option '-e' (sockit runs no program for a peer: see Known limits)",
    ],
  ];
  await assertUsageLines(cases);
});

Deno.test("nc's -s and client -p say what sockit does instead: listen HOST PORT; send picks its own source", async () => {
  const cases: [string[], string][] = [
    [
      ["listen", "-l", "-s", "127.0.0.1", "-p", "9000"],
      "unknown option '-s' (the address to listen on: sockit listen HOST PORT, or --host HOST)",
    ],
    [
      ["send", "-s", "127.0.0.2", "127.0.0.1", "1"],
      "unknown option '-s' (send picks its own source address and port: see Known limits)",
    ],
    [
      ["send", "-p", "5555", "127.0.0.1", "1"],
      "unknown option '-p' (send picks its own source address and port: see Known limits)",
    ],
    // relay has no -p either, but nc's client -p is no habit there.
    [["relay", "-p", "1", "0", "127.0.0.1:1"], "unknown option '-p'"],
  ];
  await assertUsageLines(cases);
});

Deno.test("ncat's long flags say sockit's: --nodns, --unixsock, --source(-port), --hex-dump, -o/--output", async () => {
  const cases: [string[], string][] = [
    [
      ["send", "--nodns", "127.0.0.1", "1"],
      "unknown option '--nodns' (no name lookups: -n, --numeric)",
    ],
    [
      ["listen", "--unixsock", "/tmp/app.sock"],
      "unknown option '--unixsock' (Unix sockets: sockit send unix:PATH, sockit listen --unix PATH)",
    ],
    [
      ["send", "--source-port", "5555", "127.0.0.1", "1"],
      "unknown option '--source-port' (send picks its own source address and port: see Known limits)",
    ],
    [
      ["send", "--hex-dump", "log", "127.0.0.1", "1"],
      "unknown option '--hex-dump' (a hex dump on stderr: -x, --hex 2>FILE)",
    ],
    [
      ["listen", "-o", "log", "9000"],
      "unknown option '-o' (stdout is the data: > FILE)",
    ],
    [
      ["send", "--output", "log", "127.0.0.1", "1"],
      "unknown option '--output' (stdout is the data: > FILE)",
    ],
  ];
  await assertUsageLines(cases);
});

Deno.test("socat's address words are named as such, with sockit's form; unix:PATH and host:port still work", async () => {
  const send =
    "sockit send HOST PORT (unix:PATH for a Unix socket, -u for UDP)";
  const listen =
    "sockit listen [HOST] PORT (--unix PATH for a Unix socket, -u for UDP)";
  const relay =
    "sockit relay [HOST:]PORT HOST:PORT (unix:PATH for a Unix socket, -u for UDP)";
  const cases: [string[], string][] = [
    [
      ["relay", "TCP-LISTEN:8080,fork,reuseaddr", "TCP:127.0.0.1:80"],
      `"TCP-LISTEN:8080,fork,reuseaddr" is a socat address: write ${relay}`,
    ],
    [
      ["relay", "8080", "UNIX-CONNECT:/var/run/docker.sock"],
      `"UNIX-CONNECT:/var/run/docker.sock" is a socat address: write ${relay}`,
    ],
    [
      ["relay", "udp4-listen:5300,fork", "udp:127.0.0.1:53"],
      `"udp4-listen:5300,fork" is a socat address: write ${relay}`,
    ],
    [
      ["send", "-", "TCP:127.0.0.1:80"],
      `"-" is a socat address: write ${send}`,
    ],
    [
      ["send", "UNIX-CONNECT:/tmp/app.sock"],
      `"UNIX-CONNECT:/tmp/app.sock" is a socat address: write ${send}`,
    ],
    [
      ["listen", "TCP-LISTEN:9000"],
      `"TCP-LISTEN:9000" is a socat address: write ${listen}`,
    ],
    // sockit's own forms are untouched.
    [
      ["send", "127.0.0.1:80"],
      'host "127.0.0.1:80" holds a port: give them apart, as in 127.0.0.1 80',
    ],
  ];
  await assertUsageLines(cases);
  const path = await Deno.makeTempFile({ suffix: ".sock" });
  await Deno.remove(path);
  const refused = await runCli(["send", `unix:${path}`, "x"]);
  assertEquals(refused.code, 1);
});

/** Each command line is exit 2 with exactly its `sockit: …` line. */
async function assertUsageLines(cases: [string[], string][]): Promise<void> {
  for (const [args, line] of cases) {
    const result = await runCli(args);
    assertEquals(
      [args, result.code, result.stderr],
      [args, 2, `sockit: ${line}\n`],
    );
  }
}

Deno.test("an error line quoting a line break or an escape sequence stays one escaped line (get, send, an unknown command)", async () => {
  const cases: [string[], string][] = [
    [
      ["get", "http://127.0.0.1\n:1/"],
      'sockit: cannot fetch "http://127.0.0.1\\n:1/": not a valid URL\n',
    ],
    [
      ["send", "-w", "1\r\u202es", "127.0.0.1", "1"],
      '--wait: duration "1\\r\\u202es"',
    ],
    [["ec\x1bho"], "sockit: unknown command 'ec\\x1bho'"],
  ];
  for (const [args, shown] of cases) {
    const result = await runCli(args);
    assertEquals(result.code, 2, result.stderr);
    assert(result.stderr.includes(shown), result.stderr);
    assertEquals(result.stderr.split("\n").length, 2, result.stderr);
  }
});
