import { assert, assertEquals, assertRejects } from "../tests/_assert.ts";
import { runPython } from "../tests/_cli.ts";
import { createClient, createServer, SocketError } from "./mod.ts";
import type { SocketClient, SocketServer } from "./mod.ts";

/** A raw listener the test controls byte by byte. */
async function withRawPeer(
  serve: (conn: Deno.Conn) => Promise<void>,
  test: (port: number) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    try {
      await serve(conn);
    } finally {
      try {
        conn.close();
      } catch {
        // The test may have closed it.
      }
    }
  })();
  try {
    await test(listener.addr.port);
  } finally {
    await served;
    listener.close();
  }
}

/** A TCP server on loopback that sends every message back. */
async function tcpEchoServer(): Promise<SocketServer> {
  const server = await createServer("127.0.0.1", 0);
  server.run({ socketMessage: (client, message) => client.send(message) });
  return server;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await assertRejects(() => promise, SocketError);
  return (error as SocketError).code;
}

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("createClient() rejects with refused, naming the endpoint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await assertRejects(
    () => createClient("127.0.0.1", port),
    SocketError,
    `Cannot connect to "127.0.0.1:${port}": connection refused`,
  );
  assertEquals((error as SocketError).code, "refused");
});

Deno.test("createClient() times out against a full backlog and leaks nothing", async () => {
  const listener = Deno.listen({
    hostname: "127.0.0.1",
    port: 0,
    tcpBacklog: 0,
  });
  const first = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const started = Date.now();
  const error = await assertRejects(
    () => createClient("127.0.0.1", listener.addr.port, { timeout: 300 }),
    SocketError,
    "timed out after 300 ms",
  );
  assertEquals((error as SocketError).code, "timeout");
  assert(Date.now() - started < 2000, "the timeout was not applied");
  first.close();
  listener.close();
});

Deno.test("createClient() reports not-found for a name under .invalid", async () => {
  assertEquals(await codeOf(createClient("nothing.invalid", 80)), "not-found");
  assertEquals(
    await codeOf(createClient("nothing.invalid", 80, { protocol: "udp" })),
    "not-found",
  );
});

Deno.test("createClient() validates its arguments with TypeError and RangeError", async () => {
  await assertRejects(() => createClient("127.0.0.1", 0), RangeError, "got 0");
  await assertRejects(
    () => createClient("127.0.0.1", 70000),
    RangeError,
    "70000",
  );
  await assertRejects(
    () => createClient("127.0.0.1", 80, { protocol: "udp", tls: true }),
    TypeError,
  );
  await assertRejects(
    () => createClient("127.0.0.1", 0),
    RangeError,
    "Cannot connect: port must be an integer from 1 to 65535, got 0",
  );
  // A JavaScript caller's typo is a logic error, not a TCP connect.
  const sctp = { protocol: "sctp" } as unknown as { protocol: "tcp" };
  await assertRejects(
    () => createClient("127.0.0.1", 80, sctp),
    TypeError,
    'Cannot connect: protocol must be "tcp" or "udp", got "sctp"',
  );
  await assertRejects(
    () => createClient({ path: "/tmp/no.sock" }, sctp),
    TypeError,
    'got "sctp"',
  );
  await assertRejects(
    () => createServer("127.0.0.1", 0, sctp),
    TypeError,
    'Cannot listen: protocol must be "tcp" or "udp", got "sctp"',
  );
  // The UDP one crashed on the resolver's null address.
  for (const protocol of ["tcp", "udp"] as const) {
    await assertRejects(
      () => createClient("", 80, { protocol }),
      TypeError,
      "Cannot connect: the host is empty",
    );
  }
  await assertRejects(
    () => createServer("", 0),
    TypeError,
    "Cannot listen: the host is empty (undefined binds every interface)",
  );
  await assertRejects(
    () => createClient({ path: "" }),
    RangeError,
    'Cannot connect to "unix:": the path is empty',
  );
  // Garbage in caCerts is named, not blamed on the server's certificate.
  await assertRejects(
    () => createClient("127.0.0.1", 443, { tls: { caCerts: ["garbage"] } }),
    TypeError,
    "Cannot connect: caCerts[0] holds no PEM certificate",
  );
  const five = { family: 5 } as unknown as { family: 4 };
  await assertRejects(
    () => createClient("localhost", 80, five),
    TypeError,
    "Cannot connect: family must be 4 or 6, got 5",
  );
  await assertRejects(
    () => createServer("localhost", 0, five),
    TypeError,
    "Cannot listen: family must be 4 or 6, got 5",
  );
});

Deno.test("createServer() rejects a port in use with address-in-use, naming host:port", async () => {
  const server = await createServer("127.0.0.1", 0);
  const error = await assertRejects(
    () => createServer("127.0.0.1", server.localPort),
    SocketError,
    `"127.0.0.1:${server.localPort}": address already in use`,
  );
  assertEquals((error as SocketError).code, "address-in-use");
  await server.stop();
});

Deno.test("SocketClient reports the addresses of both ends, IPv6 without brackets", async () => {
  const server = await createServer("::1", 0);
  server.run({});
  const client = await createClient("[::1]", server.localPort);
  assertEquals(client.peerAddress, "::1");
  assertEquals(client.peerPort, server.localPort);
  assertEquals(client.localAddress, "::1");
  assert(client.localPort > 0 && client.localPort !== server.localPort);
  assert(client.isOpen);
  client.close();
  assert(!client.isOpen);
  await server.stop();
});

Deno.test("receive() serves *line, *all and n from one stream", async () => {
  await withRawPeer(async (conn) => {
    await conn.write(encode("first\r"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await conn.write(encode("\nsecond\nrest"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await conn.write(encode("0123456789"));
  }, async (port) => {
    await using client = await createClient("127.0.0.1", port);
    assertEquals(await client.receive("*line", 1000), "first");
    assertEquals(await client.receive("*line", 1000), "second");
    assertEquals(await client.receive(8, 1000), "rest0123");
    assertEquals(await client.receive("*all", 1000), "456789");
  });
});

Deno.test('receive("*all") returns everything pending, not one read\'s worth', async () => {
  await withRawPeer(async (conn) => {
    await conn.write(new Uint8Array(5000).fill(0x61));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }, async (port) => {
    await using client = await createClient("127.0.0.1", port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A fresh connection reads 1 KiB at a time: 1024 bytes came back.
    assertEquals((await client.receiveBytes("*all", 1000)).length, 5000);
  });
});

Deno.test("bytesReceived counts what receive handed out, not what it holds read ahead", async () => {
  await withRawPeer(async (conn) => {
    await conn.write(encode("one\ntwo\n" + "x".repeat(3000)));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }, async (port) => {
    await using client = await createClient("127.0.0.1", port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assertEquals(await client.receive("*line", 1000), "one");
    assertEquals(client.bytesReceived, 4);
    assertEquals((await client.receiveBytes("*all", 1000)).length, 3004);
    assertEquals(client.bytesReceived, 3008);
  });
});

Deno.test("receive() returns the tail before close, then disconnected, then closed", async () => {
  await withRawPeer(async (conn) => {
    await conn.write(encode("partial"));
  }, async (port) => {
    const client = await createClient("127.0.0.1", port);
    assertEquals(await client.receive(100, 1000), "partial");
    const error = await assertRejects(
      () => client.receive("*all", 1000),
      SocketError,
      "connection closed by peer",
    );
    assertEquals((error as SocketError).code, "disconnected");
    assert(!client.isOpen, "a non-timeout error closes the client");
    assertEquals(await codeOf(client.receive("*all", 10)), "closed");
    assertEquals(await codeOf(client.send("x")), "closed");
  });
});

Deno.test("receive() times out without closing, and the data still arrives later", async () => {
  await withRawPeer(async (conn) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await conn.write(encode("late\n"));
  }, async (port) => {
    await using client = await createClient("127.0.0.1", port);
    assertEquals(await codeOf(client.receive("*line", 0)), "timeout");
    assertEquals(await codeOf(client.receive("*line", 50)), "timeout");
    assert(client.isOpen, "a timeout leaves the client open");
    assertEquals(await client.receive("*line", 2000), "late");
  });
});

Deno.test("receive(mode, 0) returns what already waits in the socket, TCP and UDP", async () => {
  const tcp = await createServer("127.0.0.1", 0);
  tcp.run({ socketMessage: (client, message) => client.send(message) });
  const udp = await createServer("127.0.0.1", 0, { protocol: "udp" });
  udp.run({ socketMessage: (client, message) => client.send(message) });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
  try {
    await using stream = await createClient("127.0.0.1", tcp.localPort);
    await stream.send("one\n");
    await settle(); // the echo is in the client's socket, never read yet
    assertEquals(await stream.receive("*line", 0), "one");
    await stream.send("two");
    await settle();
    assertEquals(await stream.receive("*all", 0), "two");
    await using datagrams = await createClient("127.0.0.1", udp.localPort, {
      protocol: "udp",
    });
    await datagrams.send("three");
    await settle();
    assertEquals(await datagrams.receive("*all", 0), "three");
    // Nothing pending is still a timeout at once.
    assertEquals(await codeOf(stream.receive("*all", 0)), "timeout");
    assertEquals(await codeOf(datagrams.receive("*all", 0)), "timeout");
  } finally {
    await tcp.stop();
    await udp.stop();
  }
});

Deno.test("receive() rejects bad modes and timeouts as logic errors", async () => {
  await withRawPeer(async () => {}, async (port) => {
    await using client = await createClient("127.0.0.1", port);
    // deno-lint-ignore no-explicit-any
    const anyMode = (mode: unknown) => mode as any;
    await assertRejects(
      () => client.receive(anyMode("*nothing"), 10),
      TypeError,
    );
    await assertRejects(() => client.receive(0, 10), RangeError);
    await assertRejects(() => client.receive(1.5, 10), RangeError);
    await assertRejects(() => client.receive("*all", -1), RangeError);
    assert(client.isOpen);
  });
});

Deno.test("a server reports a real reset (SO_LINGER 0) as disconnected", async () => {
  const server = await createServer("127.0.0.1", 0);
  const errors: SocketError[] = [];
  const closed: SocketClient[] = [];
  server.run({
    socketError: (error) => {
      errors.push(error);
    },
    socketClosed: (client) => {
      closed.push(client);
    },
  });
  const python = await runPython(
    `
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"x" * 1000)
time.sleep(0.2)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
`,
    [String(server.localPort)],
  );
  assertEquals(python.code, 0, python.stderr);
  for (let i = 0; i < 50 && closed.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await server.stop();
  assertEquals(closed.length, 1);
  assertEquals(closed[0]?.bytesReceived, 1000);
  assertEquals(errors.map((e) => e.code), ["disconnected"]);
  assert(errors[0]?.message.includes("reset"), errors[0]?.message);
});

Deno.test("a client sees a reset mid-read as disconnected after the data", async () => {
  const python = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket, struct, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
c.sendall(b"data")
time.sleep(0.3)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = python.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  const client = await createClient("127.0.0.1", port);
  assertEquals(await client.receive(4, 2000), "data");
  const error = await assertRejects(
    () => client.receive("*all", 3000),
    SocketError,
  );
  assertEquals((error as SocketError).code, "disconnected");
  assert(!client.isOpen);
  reader.releaseLock();
  await python.stdout.cancel();
  await python.status;
});

Deno.test("closeWrite() half-closes: the server still replies after EOF", async () => {
  const server = await tcpEchoServer();
  await using client = await createClient("127.0.0.1", server.localPort);
  await client.send("half");
  await client.closeWrite();
  assertEquals(await client.receive(4, 2000), "half");
  assertEquals(await codeOf(client.receive("*all", 2000)), "disconnected");
  await server.stop();
});

Deno.test("a send after our own closeWrite() is 'closed', not a peer's failure", async () => {
  const server = await tcpEchoServer();
  await using client = await createClient("127.0.0.1", server.localPort);
  await client.send("once");
  await client.closeWrite();
  // Twice is harmless, as shutdown(2) is.
  await client.closeWrite();
  const error = await assertRejects(
    () => client.send("more"),
    SocketError,
    "closeWrite()",
  );
  assertEquals((error as SocketError).code, "closed");
  // Our own mistake leaves the connection as it was: the reply still comes.
  assertEquals(await client.receive(4, 2000), "once");
  await server.stop();
});

Deno.test("TCP round-trips all 256 byte values and 1 MiB unchanged", async () => {
  const server = await tcpEchoServer();
  await using client = await createClient("127.0.0.1", server.localPort);
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  await client.send(every);
  assertEquals(await client.receiveBytes(256, 2000), every);
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i += 65536) {
    crypto.getRandomValues(big.subarray(i, i + 65536));
  }
  const sending = client.send(big);
  assertEquals(await client.receiveBytes(big.length, 5000), big);
  await sending;
  assertEquals(client.bytesSent, 256 + big.length);
  await server.stop();
});

Deno.test("UDP carries an empty datagram, 65,507 bytes, and rejects 65,508", async () => {
  const server = await createServer("127.0.0.1", 0, { protocol: "udp" });
  server.run({ socketMessage: (client, message) => client.send(message) });
  await using client = await createClient("127.0.0.1", server.localPort, {
    protocol: "udp",
  });
  await client.send(new Uint8Array(0));
  assertEquals((await client.receiveBytes("*all", 2000)).length, 0);
  const max = new Uint8Array(65_507).map((_, i) => i & 0xff);
  await client.send(max);
  assertEquals(await client.receiveBytes("*all", 2000), max);
  await assertRejects(
    () => client.send(new Uint8Array(65_508)),
    RangeError,
    "65508",
  );
  assert(client.isOpen, "an oversize datagram is refused before any I/O");
  await server.stop();
});

/** A raw UDP peer, a sockit UDP client of it, and the client's address. */
async function udpClientOfPeer() {
  const peer = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const client = await createClient(
    "127.0.0.1",
    (peer.addr as Deno.NetAddr).port,
    { protocol: "udp" },
  );
  const target: Deno.NetAddr = {
    transport: "udp",
    hostname: client.localAddress,
    port: client.localPort,
  };
  return { peer, client, target };
}

Deno.test("a UDP client only receives its own peer's datagrams", async () => {
  const { peer, client, target } = await udpClientOfPeer();
  const stranger = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  await stranger.send(encode("not for you"), target);
  await peer.send(encode("hello\r\n"), target);
  assertEquals(await client.receive("*line", 2000), "hello");
  assertEquals(await codeOf(client.receive("*all", 100)), "timeout");
  peer.close();
  stranger.close();
  client.close();
});

Deno.test("bytesSent counts what a send cut short by a reset wrote", async () => {
  await withRawPeer(async (conn) => {
    await conn.read(new Uint8Array(1024));
    // Unread data in its buffer: the close is a reset.
  }, async (port) => {
    const client = await createClient("127.0.0.1", port);
    const size = 64 << 20;
    assertEquals(
      await codeOf(client.send(new Uint8Array(size))),
      "disconnected",
    );
    // It stayed 0 until the whole send had been written.
    assert(
      client.bytesSent > 0 && client.bytesSent < size,
      `${client.bytesSent}`,
    );
    client.close();
  });
});

Deno.test("concurrent UDP receives each get their own datagram", async () => {
  const { peer, client, target } = await udpClientOfPeer();
  const first = client.receive("*all", 2000);
  const second = client.receive("*all", 2000);
  await peer.send(encode("one"), target);
  await peer.send(encode("two"), target);
  await peer.send(encode("three"), target);
  // Both returned "one", and "two" was lost.
  assertEquals([await first, await second], ["one", "two"]);
  assertEquals(await client.receive("*all", 2000), "three");
  assertEquals(client.bytesReceived, 11);
  peer.close();
  client.close();
});

Deno.test("100 TCP clients and 20 UDP peers at once each get their own replies", async () => {
  const tcp = await createServer("127.0.0.1", 0);
  tcp.run({ socketMessage: (client, message) => client.send(message) });
  const udp = await createServer("127.0.0.1", 0, { protocol: "udp" });
  udp.run({ socketMessage: (client, message) => client.send(message) });
  const tcpRuns = Array.from({ length: 100 }, async (_, i) => {
    await using client = await createClient("127.0.0.1", tcp.localPort, {
      timeout: 5000,
    });
    await client.send(`tcp client ${i}\n`);
    assertEquals(await client.receive("*line", 5000), `tcp client ${i}`);
  });
  const udpRuns = Array.from({ length: 20 }, async (_, i) => {
    await using client = await createClient("127.0.0.1", udp.localPort, {
      protocol: "udp",
    });
    for (let k = 0; k < 5; k++) {
      await client.send(`udp peer ${i} #${k}`);
      assertEquals(await client.receive("*all", 5000), `udp peer ${i} #${k}`);
    }
  });
  await Promise.all([...tcpRuns, ...udpRuns]);
  await tcp.stop();
  await udp.stop();
});

Deno.test("keepSendingAfterEof: the peer's FIN fails receive but send still reaches it", async () => {
  let got = "";
  await withRawPeer(async (conn) => {
    await conn.write(encode("bye"));
    await conn.closeWrite();
    const buffer = new Uint8Array(100);
    for (
      let n = await conn.read(buffer);
      n !== null;
      n = await conn.read(buffer)
    ) {
      got += new TextDecoder().decode(buffer.subarray(0, n));
    }
  }, async (port) => {
    const client = await createClient("127.0.0.1", port, {
      keepSendingAfterEof: true,
    });
    assertEquals(await client.receive("*all", 1000), "bye");
    assertEquals(await codeOf(client.receive("*all", 1000)), "disconnected");
    assert(client.isOpen, "a FIN ends only the peer's direction");
    await client.send("after the FIN");
    await client.closeWrite();
    client.close();
  });
  assertEquals(got, "after the FIN");
});

Deno.test("a failed TCP send leaves the peer's last words readable, then closes", async () => {
  await withRawPeer(async (conn) => {
    await conn.read(new Uint8Array(10));
    await conn.write(encode("last words"));
    // Closing with input unread makes the kernel send a reset.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }, async (port) => {
    const client = await createClient("127.0.0.1", port);
    await client.send("0123456789");
    const chunk = new Uint8Array(64 * 1024);
    let failure = "";
    for (let i = 0; i < 1000 && failure === ""; i++) {
      failure = await client.send(chunk).then(() => "", (e) => e.code);
    }
    assertEquals(failure, "disconnected");
    assertEquals(await client.receive("*all", 1000), "last words");
    assertEquals(await codeOf(client.receive("*all", 1000)), "disconnected");
    assert(!client.isOpen);
  });
});

Deno.test("a Unix socket path over 107 bytes is a RangeError naming it, before any I/O", async () => {
  const long = `/tmp/${"é".repeat(60)}.sock`; // 130 bytes in UTF-8
  const connect = await assertRejects(
    () => createClient({ path: long }),
    RangeError,
  );
  assertEquals(
    connect.message,
    `Cannot connect to "unix:${long}": the path is 130 bytes, over the 107-byte limit of a Unix socket address`,
  );
  const listen = await assertRejects(
    () => createServer({ path: long }),
    RangeError,
  );
  assert(listen.message.startsWith(`Cannot listen on "unix:${long}"`));
  // An abstract name may take all 107 bytes after its NUL.
  const server = await createServer({ path: `@${"b".repeat(107)}` });
  await server.stop();
});
