import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  echoAfterHalfClose,
  randomBytes,
  runCli,
  runPython,
  sha256,
  SpawnedServer,
} from "./_cli.ts";
import { createClient } from "../lib/mod.ts";

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

Deno.test("echo-tcp prints the seed's human lines and a summary on SIGINT", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
  assertEquals(server.lines[0], `listening on tcp 127.0.0.1:${server.port}`);
  const client = await createClient("127.0.0.1", server.port);
  const peer = `127.0.0.1:${client.localPort}`;
  await client.send("hello\n");
  assertEquals(await client.receive("*line", 2000), "hello");
  client.close();
  await server.waitFor((l) => l.includes("disconnected"));
  assertEquals(await server.stop("SIGINT"), 0);
  assertEquals(server.lines, [
    `listening on tcp 127.0.0.1:${server.port}`,
    `client ${peer} connected`,
    `client ${peer} sent 'hello\\n'`,
    `client ${peer} disconnected (6 bytes)`,
    "stopped: 1 connection, 6 bytes in, 6 bytes out",
  ]);
});

Deno.test("echo-tcp --json prints one NDJSON object per event", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "--json",
  ]);
  const client = await createClient("127.0.0.1", server.port);
  const peer = { address: "127.0.0.1", port: client.localPort };
  await client.send("hi\n");
  await client.receive("*line", 2000);
  await client.send(new Uint8Array([0xff, 0x00]));
  await client.receiveBytes(2, 2000);
  client.close();
  await server.waitFor((l) => l.includes('"closed"'));
  assertEquals(await server.stop("SIGTERM"), 0);
  const events = server.events;
  for (const event of events) {
    assertMatch(String(event.time), ISO_TIME);
    assertEquals(event.transport, "tcp");
  }
  const strip = ({ time: _, ...rest }: Record<string, unknown>) => rest;
  assertEquals(events.map(strip), [
    {
      event: "listening",
      transport: "tcp",
      address: "127.0.0.1",
      port: server.port,
      exposed: false,
    },
    { event: "accepted", transport: "tcp", peer },
    { event: "message", transport: "tcp", peer, bytes: 3, text: "hi\n" },
    { event: "message", transport: "tcp", peer, bytes: 2, base64: "/wA=" },
    { event: "closed", transport: "tcp", peer, bytesIn: 5, bytesOut: 5 },
    {
      event: "stopped",
      transport: "tcp",
      connections: 1,
      bytesIn: 5,
      bytesOut: 5,
      messages: 2,
    },
  ]);
});

Deno.test("echo-tcp echoes everything pending after a half-close, then closes (nc -N)", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const python = await echoAfterHalfClose(server.port);
  assertEquals(python.stdout.trim(), "same", python.stderr);
  await server.stop();
});

Deno.test("send streams 4 MiB of random bytes through echo-tcp unchanged", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const payload = randomBytes(4 << 20);
  const result = await runCli(["send", "127.0.0.1", String(server.port)], {
    stdin: payload,
  });
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.stdout.length, payload.length);
  assertEquals(await sha256(result.stdout), await sha256(payload));
  await server.stop();
  assert(
    server.lines.at(-1)?.includes(
      `${payload.length} bytes in, ${payload.length} bytes out`,
    ),
    server.lines.at(-1),
  );
});

Deno.test("echo-tcp escapes terminal control sequences and cuts long messages", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
  const client = await createClient("127.0.0.1", server.port);
  await client.send("\x1b[2J\x1b]0;pwned\x07\u009b31m");
  await client.receive(15, 2000);
  await server.waitFor((l) => l.includes(" sent "));
  await client.send("x".repeat(1000));
  await client.receive(1000, 2000);
  await server.waitFor((l) => l.includes("+744 bytes"));
  client.close();
  await server.stop();
  const sent = server.lines.filter((l) => l.includes(" sent "));
  assert(
    sent[0]?.endsWith(`sent '\\x1b[2J\\x1b]0;pwned\\x07\\u009b31m'`),
    sent[0],
  );
  assert(
    sent[1]?.endsWith(`sent '${"x".repeat(256)}'... (+744 bytes)`),
    sent[1],
  );
  assert(
    // deno-lint-ignore no-control-regex
    !server.lines.join("\n").match(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/),
    "a raw control byte got through",
  );
});

Deno.test("echo-tcp --max-conns closes the extra client and keeps serving", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "-m",
    "1",
  ]);
  const first = await createClient("127.0.0.1", server.port);
  await first.send("a");
  assertEquals(await first.receive(1, 2000), "a");
  const second = await createClient("127.0.0.1", server.port);
  const code = await second.receive("*all", 2000).then(
    () => "data",
    (e) => e.code,
  );
  assertEquals(code, "disconnected");
  await server.waitFor((l) => l.startsWith("rejected"));
  assert(
    server.lines.includes(
      `rejected client 127.0.0.1:${second.localPort} (max-conns)`,
    ),
  );
  await first.send("b");
  assertEquals(await first.receive(1, 2000), "b");
  first.close();
  await server.stop();
});

Deno.test("echo-tcp --idle-timeout closes only the silent connection", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "-i",
    "400ms",
    "--json",
  ]);
  const idle = await createClient("127.0.0.1", server.port);
  const busy = await createClient("127.0.0.1", server.port);
  for (let i = 0; i < 10; i++) {
    await busy.send("x");
    assertEquals(await busy.receive(1, 1000), "x");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const idleEnd = await idle.receive("*all", 100).then(
    () => "data",
    (e) => e.code,
  );
  assertEquals(idleEnd, "disconnected");
  assert(busy.isOpen);
  busy.close();
  await server.waitForCount((l) => l.includes('"closed"'), 2);
  await server.stop();
  const errors = server.events.filter((e) => e.event === "error");
  assertEquals(errors.length, 1);
  assertEquals((errors[0]?.peer as { port: number }).port, idle.localPort);
  assertEquals(errors[0]?.code, "timeout");
});

Deno.test("echo-tcp on a port in use exits 1 naming host:port", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
  const result = await runCli(["echo-tcp", "--port", String(server.port)]);
  assertEquals(result.code, 1);
  assertEquals(
    result.stderr,
    `sockit: cannot listen on "localhost:${server.port}": address already in use\n`,
  );
  await server.stop();
});

Deno.test("echo-tcp reports a peer's reset as an error event and serves the next client", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
  const python = await runPython(
    `
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"bye")
s.recv(3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
`,
    [String(server.port)],
  );
  assertEquals(python.code, 0, python.stderr);
  await server.waitFor((l) => l.includes("disconnected"));
  const client = await createClient("127.0.0.1", server.port);
  await client.send("next");
  assertEquals(await client.receive(4, 2000), "next");
  client.close();
  assertEquals(await server.stop(), 0);
  assert(
    server.lines.some((l) =>
      /^error: cannot receive from "127\.0\.0\.1:\d+": connection reset by peer$/
        .test(l)
    ),
    server.lines.join("\n"),
  );
});

Deno.test("echo-tcp binds localhost by default and says when it is exposed", async () => {
  const local = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
  assertEquals(local.address, "127.0.0.1");
  await local.stop();
  const exposed = await SpawnedServer.start([
    "echo-tcp",
    "--host",
    "0.0.0.0",
    "--port",
    "0",
  ]);
  assertEquals(
    exposed.lines[0],
    `listening on tcp 0.0.0.0:${exposed.port} (exposed: every interface)`,
  );
  await exposed.stop();
  const v6 = await SpawnedServer.start([
    "echo-tcp",
    "--host",
    "[::1]",
    "--port",
    "0",
    "--json",
  ]);
  assertEquals(v6.address, "::1");
  const client = await createClient("::1", v6.port);
  await client.send("6");
  assertEquals(await client.receive(1, 2000), "6");
  client.close();
  await v6.waitFor((l) => l.includes('"closed"'));
  await v6.stop();
});

Deno.test("echo-tcp --deny refuses a peer with a rejected event", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "--deny",
    "127.0.0.0/8",
  ]);
  const client = await createClient("127.0.0.1", server.port);
  const end = await client.receive("*all", 2000).then(
    () => "data",
    (e) => e.code,
  );
  assertEquals(end, "disconnected");
  await server.waitFor((l) => l.startsWith("rejected"));
  assertEquals(
    server.lines[1],
    `rejected client 127.0.0.1:${client.localPort} (denied)`,
  );
  await server.stop();
});

Deno.test("a bad --allow or --deny network is exit 2 naming the flag and the value, on every server", async () => {
  const cases: [string[], string][] = [
    [
      ["echo-tcp", "--port", "0", "--allow", "10.0.0.0/33"],
      'sockit: --allow: network "10.0.0.0/33" has a bad prefix length: use 0 to 32',
    ],
    [
      ["relay", "--deny", "nonsense", "0", "127.0.0.1:9"],
      'sockit: --deny: network "nonsense" is not an address or address/prefix (CIDR)',
    ],
    [
      ["listen", "--allow", "::1/129", "0"],
      'sockit: --allow: network "::1/129" has a bad prefix length: use 0 to 128',
    ],
  ];
  for (const [args, line] of cases) {
    const result = await runCli(args, { stdin: "" });
    assertEquals([result.code, result.stderr.trim()], [2, line]);
  }
});

Deno.test("echo-tcp events keep a character split across reads readable and escape bidi controls", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
  const python = await runPython(
    `
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"caf\\xc3")
time.sleep(0.3)
s.sendall(b"\\xa9 \\xe2\\x80\\xaeevil")
time.sleep(0.3)
s.shutdown(socket.SHUT_WR)
while s.recv(100):
    pass
`,
    [String(server.port)],
  );
  assertEquals(python.code, 0, python.stderr);
  await server.waitFor((l) => l.includes("disconnected"));
  await server.stop();
  const sent = server.lines.filter((l) => l.includes(" sent "));
  assertEquals(sent.map((l) => l.replace(/^.* sent /, "")), [
    "'caf'",
    "'é \\u202eevil'",
  ]);
});

Deno.test("echo-tcp -v and echo-udp --verbose serve as without (nc -v habits were exit 2)", async () => {
  for (const protocol of ["tcp", "udp"] as const) {
    const flag = protocol === "tcp" ? "-v" : "--verbose";
    const server = await SpawnedServer.start([
      `echo-${protocol}`,
      flag,
      "--port",
      "0",
    ]);
    await using client = await createClient("127.0.0.1", server.port, {
      protocol,
    });
    await client.send("hi\n");
    assertEquals(await client.receive("*line", 2000), "hi");
    await server.waitFor((line) => line.includes("sent 'hi\\n'"));
    assertEquals(await server.stop("SIGINT"), 0, server.stderr);
    assertEquals(server.stderr, "");
  }
});
