import { assert, assertEquals } from "./_assert.ts";
import { runCli, runPython, SpawnedServer } from "./_cli.ts";
import { createClient } from "../lib/mod.ts";

/**
 * Python sends `text` from `address:sourcePort` to 127.0.0.1:`port`; stdout
 * is `answered` or `silent` (after 0.5 s), or `skip` when it may not bind.
 */
function sendFrom(
  address: string,
  sourcePort: number,
  port: number,
  text: string,
  count = 1,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except PermissionError:
    print("skip")
    sys.exit(0)
s.settimeout(0.5)
for _ in range(int(sys.argv[5])):
    s.sendto(sys.argv[4].encode(), ("127.0.0.1", int(sys.argv[3])))
try:
    s.recvfrom(100)
    print("answered")
except socket.timeout:
    print("silent")
`,
    [address, String(sourcePort), String(port), text, String(count)],
  );
}

Deno.test("echo-udp answers 10 senders at once, each with its own reply", async () => {
  const server = await SpawnedServer.start(["echo-udp", "--port", "0", "-q"]);
  const results = await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) =>
        runCli([
          "send",
          "-u",
          "-q",
          "500ms",
          "127.0.0.1",
          String(server.port),
          `sender ${i}`,
        ]),
    ),
  );
  results.forEach((result, i) => {
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.text, `sender ${i}`);
  });
  assertEquals(await server.stop(), 0);
  assertEquals(
    server.lines.at(-1),
    "stopped: 10 datagrams, 80 bytes in, 80 bytes out",
  );
});

Deno.test("echo-udp prints the seed's sent line and no connected line", async () => {
  const server = await SpawnedServer.start(["echo-udp", "--port", "0"]);
  const client = await createClient("127.0.0.1", server.port, {
    protocol: "udp",
  });
  await client.send("hello\n");
  assertEquals(await client.receive("*all", 2000), "hello\n");
  await client.send(new Uint8Array(0));
  assertEquals((await client.receiveBytes("*all", 2000)).length, 0);
  client.close();
  await server.waitForCount((l) => l.includes(" sent "), 2);
  await server.stop();
  assertEquals(server.lines.slice(1, 3), [
    `client 127.0.0.1:${client.localPort} sent 'hello\\n'`,
    `client 127.0.0.1:${client.localPort} sent ''`,
  ]);
  assert(!server.lines.some((l) => l.includes("connected")));
});

Deno.test("echo-udp echoes a full 65,507-byte datagram and reports it in JSON", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--json",
  ]);
  const client = await createClient("127.0.0.1", server.port, {
    protocol: "udp",
  });
  const payload = new Uint8Array(65_507).fill(0x61);
  await client.send(payload);
  assertEquals(await client.receiveBytes("*all", 2000), payload);
  client.close();
  await server.waitFor((l) => l.includes('"message"'));
  await server.stop();
  const message = server.events.find((e) => e.event === "message");
  assertEquals(message?.bytes, 65_507);
  assertEquals(message?.peer, { address: "127.0.0.1", port: client.localPort });
  assertEquals(message?.transport, "udp");
});

Deno.test("echo-udp never answers the classic service ports (echo loops)", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--json",
  ]);
  const python = await sendFrom(
    "127.0.0.1",
    19,
    server.port,
    "chargen says hi",
  );
  if (python.stdout.trim() !== "skip") {
    assertEquals(python.stdout.trim(), "silent", python.stderr);
    await server.waitFor((l) => l.includes('"rejected"'));
    const rejected = server.events.find((e) => e.event === "rejected");
    assertEquals(rejected?.reason, "loop");
    assertEquals(rejected?.peer, { address: "127.0.0.1", port: 19 });
  }
  await server.stop();
});

Deno.test("echo-udp --allow refuses peers outside the network, with one event per sender and no reply", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--allow",
    "10.0.0.0/8",
  ]);
  const client = await createClient("127.0.0.1", server.port, {
    protocol: "udp",
  });
  // Three datagrams, one event: a refused sender is told once.
  for (const attempt of ["let me in", "please", "now"]) {
    await client.send(attempt);
  }
  const silence = await client.receive("*all", 500).then(
    () => "reply",
    (e) => e.code,
  );
  assertEquals(silence, "timeout");
  client.close();
  await server.waitFor((l) => l.startsWith("rejected"));
  await server.stop();
  assertEquals(
    server.lines.filter((l) => l.startsWith("rejected")),
    [`rejected client 127.0.0.1:${client.localPort} (denied)`],
  );
  assert(!server.lines.some((l) => l.includes(" sent ")));
});

Deno.test("echo-udp never answers a source using its own port (itself, spoofed, or a twin), and says so once", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--json",
  ]);
  // 127.0.0.2 with the server's port: its twin on "another host". Three
  // datagrams, one event: a spoofed flood must not flood the log.
  const python = await sendFrom(
    "127.0.0.2",
    server.port,
    server.port,
    "ping from my twin",
    3,
  );
  assertEquals(python.stdout.trim(), "silent", python.stderr);
  await server.waitFor((l) => l.includes('"rejected"'));
  await server.stop();
  const rejected = server.events.filter((e) => e.event === "rejected");
  assertEquals(rejected.map((e) => [e.reason, e.peer]), [[
    "loop",
    { address: "127.0.0.2", port: server.port },
  ]]);
});

Deno.test("echo-udp breaks a loop with another echo server: a rate event per burst, then silence", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--json",
    "-q",
    // Low enough that even a loaded machine's loop runs past it in a second.
    "--rate",
    "100",
  ]);
  // Another echo server: it answers whatever comes back, as fast as it can.
  const python = await runPython(
    `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1.5)
target = ("127.0.0.1", int(sys.argv[1]))
s.sendto(b"loop", target)
count = 0
started = time.time()
try:
    while time.time() - started < 5:
        data, addr = s.recvfrom(100)
        count += 1
        s.sendto(data, addr)
except socket.timeout:
    pass
print(count, round(time.time() - started, 1))
`,
    [String(server.port)],
  );
  const [count, seconds] = python.stdout.trim().split(" ").map(Number);
  // 100 answers, or up to 200 if a window rolls over during the burst.
  assert(
    count! >= 100 && count! <= 200,
    `${count} answers in ${seconds} s: ${python.stderr}`,
  );
  assert(seconds! < 5, `the loop ran ${seconds} s`);
  // The server still answers someone else at once.
  const client = await createClient("127.0.0.1", server.port, {
    protocol: "udp",
  });
  await client.send("still here");
  assertEquals(await client.receive("*all", 1000), "still here");
  client.close();
  await server.stop();
  const rejected = server.events.filter((e) => e.event === "rejected");
  assert(rejected.length >= 1 && rejected.length <= 2, String(rejected.length));
  assert(rejected.every((e) => e.reason === "rate"));
});
