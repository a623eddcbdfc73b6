import { assertEquals } from "../tests/_assert.ts";
import { UdpAnswerGuard } from "./_udp_answer_guard.ts";

const local = { address: "127.0.0.1", port: 5000 };

Deno.test("UdpAnswerGuard refuses service ports and the server's own port as loops", () => {
  const guard = new UdpAnswerGuard(local);
  for (const port of [7, 13, 19, 37, 5000]) {
    assertEquals(guard.verdict({ address: "127.0.0.1", port }, 0), "loop");
  }
  assertEquals(guard.verdict({ address: "10.0.0.1", port: 5000 }, 0), "loop");
  assertEquals(
    guard.verdict({ address: "127.0.0.1", port: 5001 }, 0),
    "answer",
  );
});

Deno.test("UdpAnswerGuard refuses once per burst over the rate, per source, per second", () => {
  const guard = new UdpAnswerGuard(local, 3);
  const a = { address: "127.0.0.1", port: 40000 };
  const b = { address: "127.0.0.1", port: 40001 };
  const verdicts = [1, 2, 3, 4, 5, 6].map(() => guard.verdict(a, 100));
  assertEquals(verdicts, [
    "answer",
    "answer",
    "answer",
    "rate",
    "drop",
    "drop",
  ]);
  assertEquals(guard.verdict(b, 200), "answer");
  // A new second, a new budget.
  assertEquals(guard.verdict(a, 1100), "answer");
});

Deno.test("UdpAnswerGuard with rate 0 answers everything but loops", () => {
  const guard = new UdpAnswerGuard(local, 0);
  const a = { address: "127.0.0.1", port: 40000 };
  for (let i = 0; i < 5000; i++) assertEquals(guard.verdict(a, 0), "answer");
  assertEquals(guard.verdict({ address: "::1", port: 19 }, 0), "loop");
});
