import { assert, assertEquals } from "../tests/_assert.ts";
import { deadlineSignal } from "./_deadline.ts";

/**
 * When `signal` aborts. A timer keeps the test alive meanwhile: like an
 * unref'd timer, the deadline clock does not.
 */
async function aborted(signal: AbortSignal): Promise<number> {
  const alive = setTimeout(() => {}, 5000);
  try {
    return await new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve(performance.now()), {
        once: true,
      })
    );
  } finally {
    clearTimeout(alive);
  }
}

Deno.test("deadlineSignal aborts with a TimeoutError once its time is up", async () => {
  const started = performance.now();
  const deadline = deadlineSignal(30);
  assert(!deadline.signal.aborted);
  const at = await aborted(deadline.signal);
  assert(at - started >= 29, `aborted after ${at - started} ms`);
  assert(deadline.expired);
  assertEquals((deadline.signal.reason as DOMException).name, "TimeoutError");
  assert(deadlineSignal(0).signal.aborted, "0 ms is over at once");
});

Deno.test("deadlineSignal: cancelled ones never abort, the others abort in order of expiry", async () => {
  const order: string[] = [];
  const started = performance.now();
  const late = deadlineSignal(80);
  const cancelled = deadlineSignal(20);
  // Earlier than every deadline before it: the shared clock re-arms.
  const early = deadlineSignal(10);
  cancelled.cancel();
  const many = Array.from({ length: 200 }, () => deadlineSignal(40));
  many.forEach((deadline, i) => i % 2 === 0 && deadline.cancel());
  for (const [name, deadline] of [["late", late], ["early", early]] as const) {
    deadline.signal.addEventListener("abort", () => order.push(name));
  }
  many[1]!.signal.addEventListener("abort", () => order.push("many"));
  const earlyAt = aborted(early.signal);
  await aborted(late.signal);
  assert((await earlyAt) - started < 60, "the early one did not wait");
  assert(performance.now() - started >= 79);
  assertEquals(order, ["early", "many", "late"]);
  assert(!cancelled.signal.aborted && !cancelled.expired);
  assertEquals(
    many.filter((deadline) => deadline.signal.aborted).length,
    100,
  );
});

Deno.test("deadlineSignal(Infinity) never aborts and never holds the clock", async () => {
  // Count the clock's waits that never end: a clock armed "for Infinity"
  // would leave one behind for every finite deadline after it.
  const realWait = Atomics.waitAsync;
  let pending = 0;
  Atomics.waitAsync = ((...args: Parameters<typeof Atomics.waitAsync>) => {
    const wait = realWait(...args);
    if (wait.async) {
      pending++;
      wait.value.then(() => pending--);
    }
    return wait;
  }) as typeof Atomics.waitAsync;
  try {
    const forever = deadlineSignal(Infinity);
    const started = performance.now();
    const at = await aborted(deadlineSignal(15).signal);
    assert(at - started < 500, `aborted after ${at - started} ms`);
    for (let i = 0; i < 20; i++) {
      deadlineSignal(1).cancel();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert(!forever.signal.aborted && !forever.expired);
    assert(pending <= 1, `${pending} waits never ended`);
    forever.cancel();
  } finally {
    Atomics.waitAsync = realWait;
  }
});

Deno.test("deadlineSignal(ms, also): aborts with also's reason, until cancelled", () => {
  const shutdown = new AbortController();
  const early = deadlineSignal(10_000, shutdown.signal);
  const cancelled = deadlineSignal(10_000, shutdown.signal);
  cancelled.cancel();
  const reason = new Error("stopping");
  shutdown.abort(reason);
  assert(early.signal.aborted, "also aborted it");
  assertEquals(early.signal.reason, reason);
  assert(!early.expired, "its own time was not up");
  assert(
    !cancelled.signal.aborted,
    "a cancelled deadline stops following also",
  );
  early.cancel();

  const late = deadlineSignal(10_000, shutdown.signal);
  assert(late.signal.aborted, "an already aborted also aborts it at once");
  assertEquals(late.signal.reason, reason);
  late.cancel();
});
