import { assert, assertEquals } from "../_assert.ts";
import { randomBytes, sha256, SpawnedServer } from "../_cli.ts";
import { createClient, type SocketClient } from "../../lib/mod.ts";
import { mib, pool, record, rssOf, sleep } from "./_report.ts";

const MiB = 1024 * 1024;

/** Sends `payload` and reads the echo concurrently; returns the echo. */
async function roundTrip(
  client: SocketClient,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const echoed = new Uint8Array(payload.length);
  const reading = (async () => {
    let offset = 0;
    while (offset < payload.length) {
      const chunk = await client.receiveBytes("*all", 30_000);
      echoed.set(chunk, offset);
      offset += chunk.length;
    }
  })();
  for (let offset = 0; offset < payload.length; offset += 256 * 1024) {
    await client.send(payload.subarray(offset, offset + 256 * 1024));
  }
  await client.closeWrite();
  await reading;
  return echoed;
}

Deno.test("stress: 50 clients x 4 MiB of random bytes each come back exact", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "-q",
    "--json",
  ]);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const payload = randomBytes(4 * MiB);
      const client = await createClient("127.0.0.1", server.port, {
        timeout: 10_000,
      });
      const echoed = await roundTrip(client, payload);
      client.close();
      return (await sha256(echoed)) === (await sha256(payload));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  assertEquals(
    results.filter((ok) => !ok).length,
    0,
    "a client got different bytes back",
  );
  await server.waitForCount((l) => l.includes('"closed"'), 50, 30_000);
  assertEquals(await server.stop(), 0);
  const stopped = server.events.at(-1);
  assertEquals([stopped?.event, stopped?.bytesIn, stopped?.bytesOut], [
    "stopped",
    200 * MiB,
    200 * MiB,
  ]);
  record(
    "tcp integrity",
    `50 x 4 MiB echoed exact in ${seconds.toFixed(1)} s (${
      (400 / seconds).toFixed(0)
    } MiB/s both ways)`,
  );
});

Deno.test("stress: 2,000 connections held open, each echoing once; memory per idle connection", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "-q",
    "-m",
    "5000",
  ]);
  const pid = server.child.pid;
  await sleep(200);
  const before = rssOf(pid);
  const clients = await pool(
    2000,
    100,
    () => createClient("127.0.0.1", server.port, { timeout: 10_000 }),
  );
  await server.waitForCount((l) => l.endsWith(" connected"), 2000, 30_000);
  await sleep(300);
  const idle = rssOf(pid);
  const perConnection = (idle - before) / 2000;
  await pool(2000, 200, async (i) => {
    const client = clients[i]!;
    await client.send(`#${i}\n`);
    assertEquals(await client.receive("*line", 10_000), `#${i}`);
  });
  const afterEcho = rssOf(pid);
  for (const client of clients) client.close();
  await server.waitForCount((l) => l.includes("disconnected"), 2000, 30_000);
  assertEquals(await server.stop(), 0);
  record("connections held", "2000 concurrent, each echoed once");
  record(
    "rss per idle connection",
    `${(perConnection / 1024).toFixed(1)} KiB (server rss ${mib(before)} -> ${
      mib(idle)
    }; ${mib(afterEcho)} after one echo each)`,
  );
  // A 64 KiB buffer per connection would cost 125 MiB here; 1 KiB costs 2.
  assert(
    perConnection < 32 * 1024,
    `${perConnection} bytes per idle connection`,
  );
});

Deno.test("stress: a client that writes 64 MiB and never reads is held back; others still answer", async () => {
  const server = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  const pid = server.child.pid;
  await sleep(200);
  const before = rssOf(pid);
  const hog = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  let written = 0;
  const block = new Uint8Array(MiB);
  const writing = (async () => {
    try {
      while (written < 64 * MiB) written += await hog.write(block);
    } catch {
      // The hog is closed below while its write is stalled.
    }
  })();
  let peak = before;
  let worstEcho = 0;
  const other = await createClient("127.0.0.1", server.port);
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const started = performance.now();
    await other.send("ping\n");
    assertEquals(await other.receive("*line", 1000), "ping");
    worstEcho = Math.max(worstEcho, performance.now() - started);
    peak = Math.max(peak, rssOf(pid));
    await sleep(100);
  }
  const stalledAt = written;
  hog.close();
  await writing;
  other.close();
  assertEquals(await server.stop(), 0);
  record(
    "backpressure",
    `hog stalled after ${mib(stalledAt)} of 64 MiB; server rss +${
      mib(peak - before)
    } (peak ${mib(peak)}); other client's worst echo ${
      worstEcho.toFixed(0)
    } ms`,
  );
  assert(stalledAt < 64 * MiB, "the hog was never held back");
  assert(peak - before < 64 * MiB, `server grew by ${mib(peak - before)}`);
  assert(worstEcho < 1000, `an echo took ${worstEcho} ms`);
});

Deno.test("stress: 1,000 idle connections close at --idle-timeout, active ones stay", async () => {
  const server = await SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "-q",
    "--json",
    "-m",
    "2000",
    "-i",
    "1s",
  ]);
  const idle = await pool(
    1000,
    100,
    () => createClient("127.0.0.1", server.port, { timeout: 10_000 }),
  );
  // The connect limit of the idle ones: behind 1,000 accepts on a busy
  // CI machine a connect took over the default 1 s once; the test is
  // about the idle timeout, not connect latency.
  const active = await Promise.all(
    Array.from(
      { length: 10 },
      () => createClient("127.0.0.1", server.port, { timeout: 10_000 }),
    ),
  );
  const started = Date.now();
  const pinging = Promise.all(active.map(async (client, i) => {
    while (Date.now() - started < 2500) {
      await client.send(`${i}\n`);
      assertEquals(await client.receive("*line", 1000), `${i}`);
      await sleep(200);
    }
  }));
  await Promise.all(idle.map(async (client) => {
    const code = await client.receive("*all", 5000).then(
      () => "data",
      (e) => e.code,
    );
    assertEquals(code, "disconnected");
  }));
  await pinging;
  for (const client of active) {
    assert(client.isOpen, "an active client was closed");
  }
  for (const client of active) client.close();
  assertEquals(await server.stop(), 0);
  // Judge by the server's own clock: accepted -> idle error, per peer. The
  // test process is too busy with 1,010 clients to time each close itself.
  const acceptedAt = new Map<number, number>();
  const idleFor: number[] = [];
  for (const event of server.events) {
    const port = (event.peer as { port: number } | undefined)?.port ?? 0;
    const time = Date.parse(String(event.time));
    if (event.event === "accepted") acceptedAt.set(port, time);
    if (event.event === "error" && event.code === "timeout") {
      idleFor.push(time - (acceptedAt.get(port) ?? NaN));
    }
  }
  assertEquals(idleFor.length, 1000, "every idle connection timed out once");
  const earliest = Math.min(...idleFor);
  const latest = Math.max(...idleFor);
  record(
    "idle timeouts",
    `1000 idle closed ${earliest}-${latest} ms after accept (timeout 1000 ms); 10 active kept`,
  );
  assert(
    // The accepted event is stamped just after the timer is armed.
    earliest >= 950 && latest < 2500,
    `idle closes spread ${earliest}-${latest} ms`,
  );
});

Deno.test("stress: SIGTERM and SIGINT with 50 active clients stop within 2 s with totals", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const server = await SpawnedServer.start([
      "echo-tcp",
      "--port",
      "0",
      "-q",
      "--json",
    ]);
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => createClient("127.0.0.1", server.port)),
    );
    let running = true;
    const load = Promise.all(clients.map(async (client) => {
      const block = randomBytes(64 * 1024);
      try {
        while (running) {
          await client.send(block);
          await client.receiveBytes("*all", 2000);
        }
      } catch {
        // The server went away mid-stream: that is the point.
      }
    }));
    await sleep(500);
    const started = performance.now();
    const code = await server.stop(signal);
    const took = performance.now() - started;
    running = false;
    await load;
    for (const client of clients) client.close();
    assertEquals(code, 0);
    const last = server.events.at(-1);
    assertEquals(last?.event, "stopped");
    assertEquals(last?.connections, 50);
    // Echoes cut off by the shutdown may leave bytes in without their out.
    assert(Number(last?.bytesIn) > 0, "no load reached the server");
    assert(Number(last?.bytesOut) <= Number(last?.bytesIn));
    record(
      `shutdown on ${signal}`,
      `${took.toFixed(0)} ms with 50 active clients, exit 0`,
    );
    assert(took < 2000, `${signal} took ${took} ms`);
  }
});
