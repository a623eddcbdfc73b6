import { assert, assertEquals } from "./_assert.ts";
import { runCli, runPython, SpawnedServer } from "./_cli.ts";
import { createClient } from "../lib/mod.ts";

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
  const python = await runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", 19))
except PermissionError:
    print("skip")
    sys.exit(0)
s.settimeout(0.5)
s.sendto(b"chargen says hi", ("127.0.0.1", int(sys.argv[1])))
try:
    s.recvfrom(100)
    print("answered")
except socket.timeout:
    print("silent")
`,
    [String(server.port)],
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

Deno.test("echo-udp --allow refuses peers outside the network, with an event and no reply", async () => {
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
  await client.send("let me in");
  const silence = await client.receive("*all", 500).then(
    () => "reply",
    (e) => e.code,
  );
  assertEquals(silence, "timeout");
  client.close();
  await server.waitFor((l) => l.startsWith("rejected"));
  await server.stop();
  assertEquals(
    server.lines[1],
    `rejected client 127.0.0.1:${client.localPort} (denied)`,
  );
  assert(!server.lines.some((l) => l.includes(" sent ")));
});
