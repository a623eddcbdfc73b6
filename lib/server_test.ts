import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../tests/_assert.ts";
import {
  createClient,
  createServer,
  type Message,
  type NetAddress,
  type SocketClient,
  SocketError,
  type SocketNotifier,
} from "./mod.ts";
import { makePki, OPENSSL } from "../tests/_pki.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition never became true");
    await sleep(10);
  }
}

Deno.test("run() calls a class notifier's methods with this bound", async () => {
  class Recorder implements SocketNotifier {
    seen: string[] = [];
    socketAccepted(client: SocketClient) {
      this.seen.push(
        `client ${client.peerAddress}:${client.peerPort} connected`,
      );
    }
    async socketMessage(client: SocketClient, message: Message) {
      this.seen.push(`sent '${message}'`);
      await client.send(message);
    }
  }
  const recorder = new Recorder();
  const server = await createServer("127.0.0.1", 0);
  server.run(recorder);
  await using client = await createClient("127.0.0.1", server.localPort);
  await client.send("hi");
  assertEquals(await client.receive(2, 2000), "hi");
  assertEquals(recorder.seen, [
    `client 127.0.0.1:${client.localPort} connected`,
    "sent 'hi'",
  ]);
  await server.stop();
});

Deno.test("Message is binary-safe bytes with a UTF-8 text view", async () => {
  const server = await createServer("127.0.0.1", 0, { protocol: "udp" });
  const received: Message[] = [];
  server.run({ socketMessage: (_, message) => void received.push(message) });
  await using client = await createClient("127.0.0.1", server.localPort, {
    protocol: "udp",
  });
  await client.send(new Uint8Array([0x68, 0xc3, 0xa9, 0x00, 0xff]));
  await eventually(() => received.length === 1);
  const message = received[0]!;
  assert(message instanceof Uint8Array);
  assertEquals([...message], [0x68, 0xc3, 0xa9, 0x00, 0xff]);
  assertEquals(message.text, "hé\u0000\ufffd");
  assertEquals(`${message}`, message.text);
  await server.stop();
});

Deno.test("a throwing callback reaches socketError and the server keeps serving", async () => {
  const errors: SocketError[] = [];
  const server = await createServer("127.0.0.1", 0);
  server.run({
    socketMessage(client, message) {
      if (message.text === "boom") throw new Error("handler exploded");
      return client.send(message);
    },
    socketError: (error) => void errors.push(error),
  });
  await using first = await createClient("127.0.0.1", server.localPort);
  await first.send("boom");
  await eventually(() => errors.length === 1);
  assertEquals(errors[0]?.code, "callback");
  assertEquals(errors[0]?.peer?.port, first.localPort);
  assert(errors[0]?.message.includes("handler exploded"));
  await using second = await createClient("127.0.0.1", server.localPort);
  await second.send("still here");
  assertEquals(await second.receive("*all", 2000), "still here");
  await first.send("and me");
  assertEquals(await first.receive("*all", 2000), "and me");
  await server.stop();
});

Deno.test("stop() closes connections, waits for handlers and releases the port", async () => {
  const server = await createServer("127.0.0.1", 0);
  const closed: NetAddress[] = [];
  server.run({ socketClosed: (client) => void closed.push(client.peer) });
  const client = await createClient("127.0.0.1", server.localPort);
  await eventually(() => server.connectionCount === 1);
  assert(server.isRunning);
  await server.stop();
  assert(!server.isRunning);
  assertEquals(closed.length, 1, "stop() waits for socketClosed");
  assertEquals(
    await assertRejects(() => client.receive("*all", 2000), SocketError).then(
      (e) => (e as SocketError).code,
    ),
    "disconnected",
  );
  const again = await createServer("127.0.0.1", server.localPort);
  again.close();
  assertEquals(
    assertThrows(() => server.run({}), TypeError).message,
    "Cannot run a server that is already stopped: create a new one",
  );
});

Deno.test("maxConnections closes the extra client at once and reports it", async () => {
  const rejected: string[] = [];
  const server = await createServer("127.0.0.1", 0, { maxConnections: 1 });
  server.run({
    socketMessage: (client, message) => client.send(message),
    socketRejected: (_, reason) => void rejected.push(reason),
  });
  await using kept = await createClient("127.0.0.1", server.localPort);
  await kept.send("x");
  assertEquals(await kept.receive(1, 2000), "x");
  await using extra = await createClient("127.0.0.1", server.localPort);
  const error = await assertRejects(
    () => extra.receive("*all", 2000),
    SocketError,
  );
  assertEquals((error as SocketError).code, "disconnected");
  assertEquals(rejected, ["max-conns"]);
  await kept.send("y");
  assertEquals(
    await kept.receive(1, 2000),
    "y",
    "the first client is unaffected",
  );
  await server.stop();
});

Deno.test("idleTimeout closes only the silent connection", async () => {
  const errors: SocketError[] = [];
  const server = await createServer("127.0.0.1", 0, { idleTimeout: 300 });
  server.run({
    socketMessage: (client, message) => client.send(message),
    socketError: (error) => void errors.push(error),
  });
  await using idle = await createClient("127.0.0.1", server.localPort);
  await using busy = await createClient("127.0.0.1", server.localPort);
  for (let i = 0; i < 8; i++) {
    await busy.send(`${i}`);
    assertEquals(await busy.receive(1, 1000), `${i}`);
    await sleep(100);
  }
  const error = await assertRejects(
    () => idle.receive("*all", 100),
    SocketError,
  );
  assertEquals((error as SocketError).code, "disconnected");
  assertEquals(errors.map((e) => [e.code, e.peer?.port]), [[
    "timeout",
    idle.localPort,
  ]]);
  await busy.send("z");
  assertEquals(await busy.receive(1, 1000), "z");
  await server.stop();
});

/**
 * A peer that sends without reading, until its writes block: the echo's
 * send is then pending when the server closes the connection.
 */
async function stallEcho(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = new Uint8Array(65536);
  while (true) {
    const wrote = await Promise.race([conn.write(chunk), sleep(300)]);
    if (wrote === undefined) return conn; // blocked: both buffers are full
  }
}

Deno.test("a send the server itself cuts short (idle timeout, stop) is no error of the peer's", async () => {
  const errors: string[] = [];
  const server = await createServer("127.0.0.1", 0, { idleTimeout: 1000 });
  server.run({
    socketMessage: (client, message) => client.send(message),
    socketError: (error) => void errors.push(error.code),
  });
  const timedOut = await stallEcho(server.localPort);
  await eventually(() => errors.length > 0);
  await sleep(200);
  assertEquals(errors, ["timeout"]);
  const stopped = await stallEcho(server.localPort);
  await server.stop();
  assertEquals(errors, ["timeout"], "stop() reported its own close");
  timedOut.close();
  stopped.close();
});

Deno.test("a filter that throws refuses the peer and reaches socketError", async () => {
  const errors: SocketError[] = [];
  const filter = () => {
    throw new Error("filter boom");
  };
  const notifier: SocketNotifier = {
    socketMessage: (client, message) => client.send(message),
    socketError: (error) => void errors.push(error),
  };
  await using tcp = await createServer("127.0.0.1", 0, { filter });
  tcp.run(notifier);
  await using udp = await createServer("127.0.0.1", 0, {
    protocol: "udp",
    filter,
  });
  udp.run(notifier);
  // The connection was left open, unserved and unreported.
  await using tcpClient = await createClient("127.0.0.1", tcp.localPort);
  const refused = await assertRejects(
    () => tcpClient.receive("*all", 2000),
    SocketError,
  );
  assertEquals((refused as SocketError).code, "disconnected");
  // The throw ended the UDP receive loop as an unhandled rejection.
  await using udpClient = await createClient("127.0.0.1", udp.localPort, {
    protocol: "udp",
  });
  await udpClient.send("one");
  await udpClient.send("two");
  await eventually(() => errors.length === 3);
  assert(udp.isRunning);
  assertEquals(errors.map((error) => error.code), [
    "callback",
    "callback",
    "callback",
  ]);
  assertEquals(
    errors[0]!.message,
    `Cannot handle "127.0.0.1:${tcpClient.localPort}": filter threw: filter boom`,
  );
});

Deno.test("filter refuses a TCP peer and a UDP peer with an event", async () => {
  const rejected: string[] = [];
  const deny = () => "denied";
  const tcp = await createServer("127.0.0.1", 0, { filter: deny });
  tcp.run({
    socketRejected: (peer, reason) =>
      void rejected.push(`tcp ${reason} ${peer.address}`),
  });
  const udp = await createServer("127.0.0.1", 0, {
    protocol: "udp",
    filter: deny,
  });
  udp.run({
    socketMessage: (client, message) => client.send(message),
    socketRejected: (peer, reason) =>
      void rejected.push(`udp ${reason} ${peer.address}`),
  });
  await using tcpClient = await createClient("127.0.0.1", tcp.localPort);
  await assertRejects(() => tcpClient.receive("*all", 2000), SocketError);
  await using udpClient = await createClient("127.0.0.1", udp.localPort, {
    protocol: "udp",
  });
  await udpClient.send("anyone?");
  const silence = await assertRejects(
    () => udpClient.receive("*all", 300),
    SocketError,
  );
  assertEquals((silence as SocketError).code, "timeout");
  assertEquals(rejected.sort(), [
    "tcp denied 127.0.0.1",
    "udp denied 127.0.0.1",
  ]);
  await tcp.stop();
  await udp.stop();
});

Deno.test("a UDP server's peer handle answers but cannot receive", async () => {
  let handle: SocketClient | undefined;
  const server = await createServer("127.0.0.1", 0, { protocol: "udp" });
  server.run({
    async socketMessage(client, message) {
      handle = client;
      await client.send(message);
    },
  });
  await using client = await createClient("127.0.0.1", server.localPort, {
    protocol: "udp",
  });
  await client.send("ping");
  assertEquals(await client.receive("*all", 2000), "ping");
  assertEquals(handle?.peerPort, client.localPort);
  await assertRejects(() => handle!.receive("*all", 10), TypeError);
  await server.stop();
});

Deno.test("the read buffer starts at 1 KiB, grows to 256 KiB under load, and shrinks when quiet", async () => {
  const { TcpStream } = await import("./_tcp_stream.ts");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const writer = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const stream = new TcpStream(await listener.accept());
  assertEquals(stream.readBufferSize, 1024);
  const big = new Uint8Array(4 << 20);
  const writing = (async () => {
    let offset = 0;
    while (offset < big.length) {
      offset += await writer.write(big.subarray(offset));
    }
  })();
  let total = 0;
  let largest = 0;
  while (total < big.length) {
    total += (await stream.read())?.length ?? 0;
    largest = Math.max(largest, stream.readBufferSize);
  }
  await writing;
  assertEquals(largest, 256 * 1024);
  // A burst of small reads is not quiet: the buffer stays large.
  await writer.write(new Uint8Array([1]));
  await stream.read();
  assertEquals(stream.readBufferSize, 256 * 1024);
  // A read that had to wait is: the memory goes back.
  setTimeout(() => writer.write(new Uint8Array([1])), 700);
  await stream.read();
  assertEquals(
    stream.readBufferSize,
    1024,
    "a quiet connection gives memory back",
  );
  writer.close();
  stream.conn.close();
  listener.close();
});

Deno.test("borrowMessages hands out views of the read buffer, echoed intact", async () => {
  for (const protocol of ["tcp", "udp"] as const) {
    const server = await createServer("127.0.0.1", 0, {
      protocol,
      borrowMessages: true,
    });
    let borrowed = true;
    server.run({
      socketMessage(client, message) {
        // A copy owns exactly its bytes; a view sits in a larger buffer.
        borrowed &&= message.buffer.byteLength > message.length;
        return client.send(message);
      },
    });
    const client = await createClient("127.0.0.1", server.localPort, {
      protocol,
    });
    for (const word of ["first", "second", "third"]) {
      await client.send(`${word}\n`);
      assertEquals(await client.receive("*line", 2000), word);
    }
    assert(borrowed, `${protocol}: messages were copies`);
    client.close();
    await server.stop();
  }
});

Deno.test({
  name:
    "createServer() refuses a certificate and a key that do not match as a tls error",
  ...OPENSSL,
  async fn() {
    const pki = await makePki();
    try {
      const error = await assertRejects(
        async () =>
          await createServer("127.0.0.1", 0, {
            tls: {
              cert: await Deno.readTextFile(pki.good.cert),
              key: await Deno.readTextFile(pki.wrongName.key),
            },
          }),
        SocketError,
      );
      assertEquals((error as SocketError).code, "tls", error.message);
      const cert = await Deno.readTextFile(pki.good.cert);
      const unparsable = await assertRejects(
        () =>
          createServer("127.0.0.1", 0, {
            tls: {
              cert,
              key:
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            },
          }),
        SocketError,
      );
      assertEquals((unparsable as SocketError).code, "tls");
    } finally {
      await Deno.remove(pki.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a TLS server with idleTimeout Infinity completes handshakes (its limit fired after 1 ms)",
  ...OPENSSL,
  async fn() {
    const pki = await makePki();
    const server = await createServer("127.0.0.1", 0, {
      idleTimeout: Infinity,
      tls: {
        cert: await Deno.readTextFile(pki.good.cert),
        key: await Deno.readTextFile(pki.good.key),
      },
    });
    try {
      server.run({ socketMessage: (client, message) => client.send(message) });
      await using client = await createClient("localhost", server.localPort, {
        tls: { caCerts: [await Deno.readTextFile(pki.ca)] },
      });
      await client.send("hi");
      assertEquals(await client.receive(2, 2000), "hi");
    } finally {
      await server.stop();
      await Deno.remove(pki.dir, { recursive: true });
    }
  },
});
