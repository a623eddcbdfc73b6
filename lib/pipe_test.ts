import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../tests/_assert.ts";
import {
  createClient,
  createServer,
  type NetAddress,
  pipe,
  type PipeOptions,
  type PipeResult,
  type SocketClient,
} from "./mod.ts";
import { TcpClient } from "./_tcp_client.ts";

/**
 * A relay on `pipe(…, options)` in front of a raw Deno listener the test
 * drives.
 */
async function withRelay(
  test: (
    user: SocketClient,
    target: Deno.Conn,
    result: Promise<PipeResult>,
  ) => Promise<void>,
  options: PipeOptions = {},
): Promise<void> {
  const upstream = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const relay = await createServer("127.0.0.1", 0);
  let resolveResult!: (result: PipeResult) => void;
  const result = new Promise<PipeResult>((r) => resolveResult = r);
  relay.run({
    async socketAccepted(client) {
      const target = await createClient("127.0.0.1", upstream.addr.port);
      resolveResult(await pipe(client, target, options));
    },
  });
  const user = await createClient("127.0.0.1", relay.localPort);
  const target = await upstream.accept();
  try {
    await test(user, target, result);
  } finally {
    user.close();
    target.close();
    upstream.close();
    await relay.stop();
  }
}

async function readToEnd(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(1024);
  let text = "";
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return text;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
}

Deno.test("pipe passes the client's FIN on, and the target's answer still arrives", async () => {
  await withRelay(async (user, target, result) => {
    await user.send("question");
    await user.closeWrite();
    assertEquals(await readToEnd(target), "question");
    await target.write(new TextEncoder().encode("answer"));
    await target.closeWrite();
    assertEquals(await user.receive("*all", 2000), "answer");
    await assertRejects(() => user.receive("*all", 2000));
    const { bytesUp, bytesDown, error } = await result;
    assertEquals([bytesUp, bytesDown, error], [8, 6, undefined]);
  });
});

Deno.test("pipe passes the target's FIN on, and the client can still send", async () => {
  await withRelay(async (user, target, result) => {
    await target.write(new TextEncoder().encode("banner"));
    await target.closeWrite();
    assertEquals(await user.receive(6, 2000), "banner");
    await user.send("after the target's FIN");
    await user.closeWrite();
    assertEquals(await readToEnd(target), "after the target's FIN");
    assertEquals((await result).error, undefined);
  });
});

Deno.test("pipe refuses UDP clients with a TypeError", async () => {
  const udp = await createClient("127.0.0.1", 9, { protocol: "udp" });
  await assertRejects(() => pipe(udp, udp), TypeError);
  udp.close();
});

Deno.test("pipe refuses a connection piped to itself or already in a pipe", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for (let i = 0; i < 3; i++) accepted.push(await listener.accept());
  })();
  const [a, b, c] = [
    await createClient("127.0.0.1", port),
    await createClient("127.0.0.1", port),
    await createClient("127.0.0.1", port),
  ];
  await accepting;
  await assertRejects(
    () => pipe(a!, a!),
    TypeError,
    "Cannot pipe a connection to itself",
  );
  const first = pipe(a!, b!);
  // Two pipes reading one connection would split its bytes between them.
  await assertRejects(
    () => pipe(c!, b!),
    TypeError,
    'Cannot pipe "127.0.0.1:',
  );
  assert(c!.isOpen, "the refused call closes nothing");
  c!.close();
  for (const conn of accepted) conn.close();
  await first;
  listener.close();
});

Deno.test("pipe's idle timeout closes a silent pair with a timeout error", async () => {
  await withRelay(async (user, _target, result) => {
    const started = Date.now();
    const { error } = await result;
    assertEquals(error?.code, "timeout");
    // The pair was idle, so both ends are named, not only the client.
    assertMatch(
      error!.message,
      /^Cannot pipe "127\.0\.0\.1:\d+" and "127\.0\.0\.1:\d+": idle for 200 ms, no byte either way$/,
    );
    assert(Date.now() - started >= 150, `after ${Date.now() - started} ms`);
    await assertRejects(() => user.receive("*all", 2000));
  }, { idleTimeout: 200 });
});

Deno.test("stopAccepting closes the port but keeps the connection", async () => {
  const server = await createServer("127.0.0.1", 0);
  server.run({
    socketAccepted() {
      server.stopAccepting();
    },
    socketMessage: (client, message) => client.send(message),
  });
  const first = await createClient("127.0.0.1", server.localPort);
  await first.send("still here");
  assertEquals(await first.receive("*all", 2000), "still here");
  await assertRejects(() => createClient("127.0.0.1", server.localPort));
  first.close();
  await server.stop();
});

Deno.test("allowHalfOpen: socketEnded, then the server can still send", async () => {
  const server = await createServer("127.0.0.1", 0, { allowHalfOpen: true });
  server.run({
    async socketEnded(client) {
      await client.send("reply after your FIN");
      client.close();
    },
  });
  const client = await createClient("127.0.0.1", server.localPort);
  await client.send("request");
  await client.closeWrite();
  assertEquals(await client.receive("*all", 2000), "reply after your FIN");
  client.close();
  await server.stop();
});

Deno.test("onePeer: the first sender owns a UDP server; others are rejected once", async () => {
  const server = await createServer("127.0.0.1", 0, {
    protocol: "udp",
    onePeer: true,
  });
  const heard: string[] = [];
  const rejected: [NetAddress, string][] = [];
  server.run({
    socketMessage: (client, message) => {
      heard.push(message.text);
      return client.send(message);
    },
    socketRejected: (peer, reason) => {
      rejected.push([peer, reason]);
    },
  });
  const first = await createClient("127.0.0.1", server.localPort, {
    protocol: "udp",
  });
  const second = await createClient("127.0.0.1", server.localPort, {
    protocol: "udp",
  });
  await first.send("one");
  assertEquals(await first.receive("*all", 2000), "one");
  await second.send("two");
  await second.send("three");
  await first.send("four");
  assertEquals(await first.receive("*all", 2000), "four");
  await assertRejects(() => second.receive("*all", 200));
  assertEquals(heard, ["one", "four"]);
  assertEquals(rejected, [[
    { address: "127.0.0.1", port: second.localPort },
    "locked",
  ]]);
  first.close();
  second.close();
  await server.stop();
});

Deno.test("pipe reports a throwing onData as a callback error and closes both", async () => {
  await withRelay(async (user, _target, result) => {
    await user.send("x");
    const { error } = await result;
    assertEquals(error?.code, "callback");
    assert(error?.message.includes("onData threw: boom"), error?.message);
    await assertRejects(() => user.receive("*all", 2000));
  }, {
    onData: () => {
      throw new Error("boom");
    },
  });
});

/**
 * A connection that reads from `source` in chunks of the sizes given
 * (filling the caller's buffer at once) and writes slowly: a write takes a
 * timer tick and at most 1,000 bytes, and copies them only then.
 */
class SlowConn {
  readonly sink: number[] = [];
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  writeClosed = false;
  #source: Uint8Array;
  #sizes: number[];
  #offset = 0;

  constructor(source: Uint8Array, sizes: number[], port: number) {
    this.#source = source;
    this.#sizes = sizes;
    this.localAddr = { transport: "tcp", hostname: "127.0.0.1", port };
    this.remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#offset === this.#source.length) return Promise.resolve(null);
    const size = this.#sizes[this.#offset % this.#sizes.length]!;
    const chunk = this.#source.subarray(
      this.#offset,
      Math.min(
        this.#source.length,
        this.#offset + size,
        this.#offset + buffer.length,
      ),
    );
    buffer.set(chunk);
    this.#offset += chunk.length;
    return Promise.resolve(chunk.length);
  }

  async write(data: Uint8Array): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const count = Math.min(data.length, 1000);
    this.sink.push(...data.subarray(0, count));
    return count;
  }

  closeWrite(): Promise<void> {
    this.writeClosed = true;
    return Promise.resolve();
  }

  close(): void {}
}

Deno.test("pipe writes each chunk whole before reading the next into the same buffer, and onData's view holds until it resolves", async () => {
  // Chunk sizes that fill, grow and underfill the reused read buffer.
  const sizes = [1024, 7, 65536, 3000, 65536, 1];
  const pattern = (seed: number) =>
    Uint8Array.from({ length: 100_000 }, (_, i) => (i * seed + (i >> 8)) & 255);
  const up = pattern(7);
  const down = pattern(13);
  const clientConn = new SlowConn(up, sizes, 1001);
  const targetConn = new SlowConn(down, sizes.toReversed(), 1002);
  const seen = { up: [] as number[], down: [] as number[] };
  const result = await pipe(
    new TcpClient(clientConn, true),
    new TcpClient(targetConn),
    {
      async onData(direction, data) {
        // Longer than a small chunk's write: a pipe that did not wait for
        // this would read the next chunk over `data` meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen[direction].push(...data);
      },
    },
  );
  assertEquals(result, { bytesUp: up.length, bytesDown: down.length });
  assert(targetConn.sink.every((byte, i) => byte === up[i]), "up corrupted");
  assert(
    clientConn.sink.every((byte, i) => byte === down[i]),
    "down corrupted",
  );
  assertEquals(targetConn.sink.length, up.length);
  assertEquals(clientConn.sink.length, down.length);
  assert(seen.up.every((byte, i) => byte === up[i]), "onData up corrupted");
  assert(seen.down.every((byte, i) => byte === down[i]), "onData down");
  assert(targetConn.writeClosed && clientConn.writeClosed);
});
