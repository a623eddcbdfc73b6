import { assert, assertEquals, assertMatch } from "../tests/_assert.ts";
import { kernelDrops, KernelDropWatch } from "./_kernel_drops.ts";
import { createServer, type SocketError } from "./mod.ts";

const SENT = 1000;

/**
 * Sends `SENT` small datagrams to a socket that reads none of them, then
 * reads what the kernel kept: its buffer holds a few hundred.
 */
async function overflow(hostname: "127.0.0.1" | "::1") {
  const receiver = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const sender = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const to = receiver.addr as Deno.NetAddr;
  for (let i = 0; i < SENT; i++) {
    await sender.send(new TextEncoder().encode(`${i}`), to);
  }
  sender.close();
  const local = { address: to.hostname, port: to.port };
  const dropped = kernelDrops(local);
  let kept = 0;
  while (true) {
    const next = await Promise.race([
      receiver.receive(),
      new Promise<undefined>((done) => setTimeout(() => done(undefined), 200)),
    ]);
    if (next === undefined) break;
    kept++;
  }
  receiver.close();
  return { dropped, kept, local };
}

for (const hostname of ["127.0.0.1", "::1"] as const) {
  Deno.test({
    name:
      `kernelDrops: what the kernel kept and what it dropped add up (${hostname})`,
    ignore: Deno.build.os !== "linux",
    async fn() {
      const { dropped, kept } = await overflow(hostname);
      assert(dropped !== undefined && dropped > 0, `dropped: ${dropped}`);
      assertEquals(kept + dropped, SENT);
    },
  });
}

Deno.test({
  name: "KernelDropWatch: an overflow error naming the new drops, once",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const receiver = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    const local = {
      address: "127.0.0.1",
      port: (receiver.addr as Deno.NetAddr).port,
    };
    const watch = new KernelDropWatch(local, "receive on");
    assertEquals(watch.check(), undefined);
    const sender = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    for (let i = 0; i < SENT; i++) {
      await sender.send(new Uint8Array(1), receiver.addr);
    }
    sender.close();
    const error = watch.check();
    receiver.close();
    assertEquals(error?.code, "overflow");
    assertEquals(error?.peer, undefined);
    assertMatch(
      error?.message ?? "",
      new RegExp(
        `^Cannot receive on "127\\.0\\.0\\.1:${local.port}": the kernel dropped ${watch.total} datagrams: `,
      ),
    );
    assert(watch.total > 0);
    assertEquals(watch.check(), undefined, "the same drops told twice");
  },
});

Deno.test("kernelDrops: undefined for a socket that does not exist, and for a Unix path", () => {
  assertEquals(kernelDrops({ address: "127.0.0.1", port: 1 }), undefined);
  assertEquals(kernelDrops({ address: "unix:/tmp/x", port: 0 }), undefined);
});

Deno.test({
  name:
    "a UDP server whose handler stalls tells its notifier what the kernel dropped meanwhile, while it runs",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const server = await createServer("127.0.0.1", 0, { protocol: "udp" });
    let messages = 0;
    let release!: () => void;
    const stalled = new Promise<void>((done) => release = done);
    const errors: SocketError[] = [];
    server.run({
      async socketMessage() {
        messages++;
        if (messages === 1) await stalled;
      },
      socketError(error) {
        errors.push(error);
      },
    });
    const sender = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    const to: Deno.NetAddr = {
      transport: "udp",
      hostname: "127.0.0.1",
      port: server.localPort,
    };
    for (let i = 0; i < SENT; i++) await sender.send(new Uint8Array(1), to);
    sender.close();
    const deadline = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
    }
    release();
    await new Promise((done) => setTimeout(done, 300));
    await server.stop();
    assertEquals(errors.map((e) => e.code), ["overflow"]);
    const dropped = Number(
      /dropped (\d+) datagrams/.exec(errors[0]!.message)?.[1],
    );
    assertEquals(messages + dropped, SENT);
  },
});
