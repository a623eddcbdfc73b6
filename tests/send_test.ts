import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { cliCommand, PythonPeer, runCli, SpawnedServer } from "./_cli.ts";

/** Reads until EOF on `c` and prints what came, as hex. */
const RECORD = `
got = b""
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    got += chunk
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

Deno.test("send exits 0 when the peer closes, even with stdin still open", async () => {
  const peer = await PythonPeer.start('c.sendall(b"bye\\n"); c.close()');
  const child = cliCommand(["send", "127.0.0.1", String(peer.port)]).spawn();
  // stdin stays open: the user never typed EOF.
  const started = Date.now();
  const output = await child.output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  assertEquals(new TextDecoder().decode(output.stdout), "bye\n");
  assert(Date.now() - started < 5000);
  await peer.output();
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

Deno.test("send -u sends one datagram per stdin line and prints each reply", async () => {
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
  const port = new TextDecoder().decode((await reader.read()).value).trim();
  const result = await runCli(["send", "-u", "127.0.0.1", port, "ping"]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(result.text, "late ping");
  reader.releaseLock();
  await python.stdout.cancel();
  await python.status;
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
    `connection to 127.0.0.1:${server.port} closed (1 bytes in, 1 bytes out)`,
  );
  await server.stop();
});
