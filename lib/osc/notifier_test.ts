import { assertEquals, assertMatch } from "../../tests/_assert.ts";
import {
  createOscClient,
  createServer,
  type OscMessage,
  type OscMessageInfo,
  oscNotifier,
  type SocketError,
} from "../mod.ts";

/** Runs an OSC server; resolves messages and errors as they arrive. */
async function oscServer(protocol: "udp" | "tcp") {
  const server = await createServer("127.0.0.1", 0, { protocol });
  const messages: [OscMessage, OscMessageInfo][] = [];
  const errors: SocketError[] = [];
  server.run(oscNotifier({
    oscMessage: (message, info) => {
      messages.push([message, info]);
    },
    socketError: (error) => {
      errors.push(error);
    },
  }));
  const until = async (test: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { server, messages, errors, until };
}

for (const protocol of ["udp", "tcp"] as const) {
  Deno.test(`OSC client and notifier over ${protocol}: plain numbers are f, bundles flattened, bad packets reported`, async () => {
    const { server, messages, errors, until } = await oscServer(protocol);
    const client = await createOscClient("127.0.0.1", server.localPort, {
      protocol,
      framing: "slip",
    });
    await client.send("/renoise/song/bpm", 127.5);
    await client.send("/n", { type: "i", value: 3 }, "s", true, null, 5n);
    await client.sendPacket({
      timetag: 7n,
      elements: [{ timetag: 1n, elements: [{ address: "/in", args: [] }] }],
    });
    if (protocol === "udp") {
      await client.socket.send(
        new Uint8Array([0x2f, 0x61, 0, 0, 0x2c, 0x51, 0, 0]),
      );
    }
    await client.send("/after", 1);
    await until(() => messages.length === 4);
    assertEquals(messages.map(([m]) => m), [
      { address: "/renoise/song/bpm", args: [{ type: "f", value: 127.5 }] },
      {
        address: "/n",
        args: [
          { type: "i", value: 3 },
          { type: "s", value: "s" },
          { type: "T" },
          { type: "N" },
          { type: "h", value: 5n },
        ],
      },
      { address: "/in", args: [] },
      { address: "/after", args: [{ type: "f", value: 1 }] },
    ]);
    assertEquals(messages[2]![1].bundles, [7n, 1n]);
    assertEquals(messages[2]![1].timetag, 1n);
    assertEquals(messages[0]![1].timetag, undefined);
    assertEquals(messages[0]![1].peer.port, client.socket.localPort);
    if (protocol === "udp") {
      assertEquals(errors.length, 1);
      assertEquals(errors[0]!.code, "malformed");
      assertMatch(errors[0]!.message, /unknown type tag "Q" at byte 5$/);
    }
    client.close();
    await server.stop();
  });
}

Deno.test("OSC notifier over TCP: a stream that cannot be framed is reported and closed", async () => {
  const { server, errors, until } = await oscServer("tcp");
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.localPort,
  });
  await conn.write(new Uint8Array([0x2f, 0x61, 0, 0, 0xdb, 0x01]));
  await until(() => errors.length === 1);
  assertEquals(errors[0]!.code, "malformed");
  assertMatch(errors[0]!.message, /SLIP escape followed by 0x1 at byte 5$/);
  // The server closed that connection.
  assertEquals(await conn.read(new Uint8Array(1)), null);
  conn.close();
  await server.stop();
});

Deno.test("OSC notifier over TCP: a stream that ends inside a packet is reported before it is closed", async () => {
  const server = await createServer("127.0.0.1", 0, { protocol: "tcp" });
  const order: string[] = [];
  const closed = Promise.withResolvers<void>();
  server.run(oscNotifier({
    socketError: (error) => {
      order.push(`error: ${error.message}`);
    },
    socketClosed: () => {
      order.push("closed");
      closed.resolve();
    },
  }, { framing: "size" }));
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.localPort,
  });
  // A size prefix of 16, then only 4 of its bytes.
  await conn.write(new Uint8Array([0, 0, 0, 16, 0x2f, 0x61, 0, 0]));
  conn.close();
  await closed.promise;
  await server.stop();
  assertEquals(order.length, 2);
  assertMatch(order[0]!, /^error: .*closed inside a packet \(8 bytes held\)$/);
  assertEquals(order[1], "closed");
});
