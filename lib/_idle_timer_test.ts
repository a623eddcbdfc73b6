import { assert, assertEquals } from "../tests/_assert.ts";
import { IdleTimer } from "./_idle_timer.ts";

Deno.test("IdleTimer arms no timer over setTimeout's limit (Infinity re-armed every 1 ms)", () => {
  const delays: number[] = [];
  const real = globalThis.setTimeout;
  // Timers over 2^31 - 1 ms fire after 1 ms, with a warning each time: the
  // timer re-armed itself in a loop, per connection, for as long as it ran.
  globalThis.setTimeout = ((_: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return 0;
  }) as unknown as typeof setTimeout;
  try {
    for (const limit of [Infinity, 2 ** 31, 30 * 24 * 3600 * 1000]) {
      new IdleTimer(limit, () => {});
    }
  } finally {
    globalThis.setTimeout = real;
  }
  assertEquals(delays.length, 3);
  for (const delay of delays) assert(delay <= 2 ** 31 - 1, `armed ${delay}`);
});
