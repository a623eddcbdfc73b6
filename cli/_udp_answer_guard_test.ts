import { assertEquals } from "../tests/_assert.ts";
import { UdpAnswerGuard } from "./_udp_answer_guard.ts";

const local = { address: "127.0.0.1", port: 5000 };
const ping = new TextEncoder().encode("ping");

Deno.test("UdpAnswerGuard refuses service ports and the server's own port as loops", () => {
  const guard = new UdpAnswerGuard(local);
  for (const port of [7, 13, 19, 37, 5000]) {
    assertEquals(
      guard.verdict({ address: "127.0.0.1", port }, ping),
      "loop",
    );
  }
  assertEquals(
    guard.verdict({ address: "10.0.0.1", port: 5000 }, ping),
    "loop",
  );
  assertEquals(
    guard.verdict({ address: "127.0.0.1", port: 5001 }, ping),
    "answer",
  );
});

Deno.test("UdpAnswerGuard refuses a loop source once, then drops it quietly", () => {
  const guard = new UdpAnswerGuard(local);
  const chargen = { address: "127.0.0.1", port: 19 };
  assertEquals(guard.verdict(chargen, ping), "loop");
  assertEquals(guard.verdict(chargen, ping), "drop");
  assertEquals(guard.verdict(chargen, new Uint8Array([1])), "drop");
  // Another address on the same port is another source: told too.
  assertEquals(guard.verdict({ address: "::1", port: 19 }, ping), "loop");
});

Deno.test("UdpAnswerGuard refuses repeats once per burst over the rate, per source, per second", () => {
  let now = 100;
  const guard = new UdpAnswerGuard(local, 3, () => now);
  const a = { address: "127.0.0.1", port: 40000 };
  const b = { address: "127.0.0.1", port: 40001 };
  // Another address on a's port is another source.
  const c = { address: "127.0.0.2", port: 40000 };
  // The first datagram, then three repeats within budget, then over it.
  const verdicts = [1, 2, 3, 4, 5, 6].map(() => guard.verdict(a, ping));
  assertEquals(verdicts, [
    "answer",
    "answer",
    "answer",
    "answer",
    "rate",
    "drop",
  ]);
  assertEquals(guard.verdict(b, ping), "answer");
  assertEquals(
    [1, 2, 3, 4, 5].map(() => guard.verdict(c, ping)),
    ["answer", "answer", "answer", "answer", "rate"],
  );
  now = 1099;
  assertEquals(guard.verdict(a, ping), "drop");
  // A second after the first repeat, a new budget.
  now = 1100;
  assertEquals(
    [1, 2, 3, 4].map(() => guard.verdict(a, ping)),
    ["answer", "answer", "answer", "rate"],
  );
});

Deno.test("UdpAnswerGuard reads the clock only for repeats", () => {
  let reads = 0;
  const guard = new UdpAnswerGuard(local, 3, () => ++reads);
  const a = { address: "127.0.0.1", port: 40000 };
  for (let i = 0; i < 100; i++) {
    guard.verdict(a, new Uint8Array([i]));
  }
  assertEquals(reads, 0);
  guard.verdict(a, new Uint8Array([99]));
  assertEquals(reads, 1);
});

Deno.test("UdpAnswerGuard never throttles a source that sends something new each time", () => {
  const guard = new UdpAnswerGuard(local, 3);
  const a = { address: "127.0.0.1", port: 40000 };
  const numbered = (i: number) => new Uint8Array(64).fill(i % 256, 0, 16);
  for (let i = 0; i < 5000; i++) {
    assertEquals(guard.verdict(a, numbered(i)), "answer");
  }
  // A change past the sampled ends is not seen: a loop never changes at all.
  const big = new Uint8Array(4096);
  assertEquals(guard.verdict(a, big), "answer");
  for (let i = 0; i < 3; i++) {
    assertEquals(guard.verdict(a, big.slice().fill(1, 100, 200)), "answer");
  }
  assertEquals(guard.verdict(a, big), "rate");
});

Deno.test("UdpAnswerGuard with rate 0 answers everything but loops", () => {
  const guard = new UdpAnswerGuard(local, 0);
  const a = { address: "127.0.0.1", port: 40000 };
  for (let i = 0; i < 5000; i++) {
    assertEquals(guard.verdict(a, ping), "answer");
  }
  assertEquals(guard.verdict({ address: "::1", port: 19 }, ping), "loop");
});

Deno.test("UdpAnswerGuard on a Unix socket: port 0 is no loop, its own path is", () => {
  const guard = new UdpAnswerGuard({ address: "unix:/tmp/echo.sock", port: 0 });
  const data = new Uint8Array([1]);
  assertEquals(
    guard.verdict({ address: "unix:/tmp/client.sock", port: 0 }, data),
    "answer",
  );
  assertEquals(
    guard.verdict({ address: "unix:/tmp/echo.sock", port: 0 }, data),
    "loop",
  );
});

Deno.test("UdpAnswerGuard keeps the newest 16 addresses of one source port", () => {
  const guard = new UdpAnswerGuard(local, 1, () => 0);
  const first = { address: "10.0.0.1", port: 53 };
  assertEquals(guard.verdict(first, ping), "answer");
  assertEquals(guard.verdict(first, ping), "answer"); // its one repeat
  for (let i = 2; i <= 16; i++) {
    guard.verdict({ address: `10.0.0.${i}`, port: 53 }, ping);
  }
  // Still tracked among 16: the next repeat is over the rate.
  assertEquals(guard.verdict(first, ping), "rate");
  for (let i = 17; i <= 40; i++) {
    guard.verdict({ address: `10.0.0.${i}`, port: 53 }, ping);
  }
  // Forgotten once the port had more: it starts again.
  assertEquals(guard.verdict(first, ping), "answer");
});
