/**
 * `-x, --hex`: `hexdump -C` blocks with a direction and peer header, whose
 * offsets run on per direction and peer; JSON events gain `hex`.
 */
import { assertEquals, assertMatch } from "./_assert.ts";
import { runCli, runPython, SpawnedServer } from "./_cli.ts";
import { hexdumpC } from "./_hexdump.ts";

Deno.test("echo-tcp -x: every byte value, two chunks, offsets run on as one hexdump -C", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-x"]);
  try {
    const all = new Uint8Array(256 + 32).map((_, i) => i % 256);
    const peer = await runPython(
      `
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = bytes(i % 256 for i in range(288))
s.sendall(data[:256]); got = b""
while len(got) < 256: got += s.recv(4096)
s.sendall(data[256:])
while len(got) < 288: got += s.recv(4096)
s.close()
print(got == data)
`,
      [String(server.port)],
    );
    assertEquals(peer.stdout.trim(), "True", peer.stderr);
    await server.waitFor((l) => l.includes("disconnected"));
    const headers = server.lines.filter((l) => l.startsWith("< "));
    const port = /:(\d+) /.exec(headers[0] ?? "")?.[1];
    assertEquals(headers, [
      `< 127.0.0.1:${port} 256 bytes`,
      `< 127.0.0.1:${port} 32 bytes`,
    ]);
    const rows = server.lines.filter((l) => /^[0-9a-f]{8} {2}/.test(l));
    assertEquals(rows, await hexdumpC(all));
    // The quoted text is replaced, not repeated.
    assertEquals(server.lines.filter((l) => l.includes(" sent '")), []);
  } finally {
    assertEquals(await server.stop(), 0);
  }
});

Deno.test("send -x: > and < blocks on stderr, the data raw on stdout", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  try {
    const result = await runCli([
      "send",
      "-x",
      "127.0.0.1",
      String(server.port),
      "hello",
    ]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.text, "hello");
    const port = server.port;
    assertEquals(
      result.stderr,
      [
        `> 127.0.0.1:${port} 5 bytes`,
        "00000000  68 65 6c 6c 6f                                    |hello|",
        `< 127.0.0.1:${port} 5 bytes`,
        "00000000  68 65 6c 6c 6f                                    |hello|",
        "",
      ].join("\n"),
    );
  } finally {
    assertEquals(await server.stop(), 0);
  }
});

Deno.test("--json -x: message events carry hex beside text or base64", async () => {
  const server = await SpawnedServer.start([
    "echo-udp",
    "--port",
    "0",
    "--json",
    "-x",
  ]);
  try {
    const result = await runCli([
      "send",
      "-u",
      "--json",
      "-x",
      "-q",
      "300ms",
      "127.0.0.1",
      String(server.port),
      "hi",
    ]);
    assertEquals(result.code, 0, result.stderr);
    const events = result.text.trim().split("\n").map((l) => JSON.parse(l));
    const sent = events.find((e) => e.event === "sent");
    assertEquals([sent?.text, sent?.hex], ["hi", "6869"]);
    const message = await server.waitFor((l) => l.includes('"message"'));
    assertMatch(message, /"text":"hi","hex":"6869"/);
  } finally {
    assertEquals(await server.stop(), 0);
  }
});
