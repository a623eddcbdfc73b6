import { assertRejects } from "../tests/_assert.ts";
import { scanPorts } from "./mod.ts";

async function drain(
  ...args: Parameters<typeof scanPorts>
): Promise<void> {
  for await (const _ of scanPorts(...args)) {
    // Only the validation is under test.
  }
}

Deno.test("scanPorts() refuses bad options before any probe, naming them", async () => {
  await assertRejects(
    () => drain("127.0.0.1", [1], { timeout: -1 }),
    RangeError,
    "Cannot scan: timeout must be more than 0 ms, got -1",
  );
  await assertRejects(
    () => drain("127.0.0.1", [], { timeout: 0 }),
    RangeError,
    "Cannot scan: timeout must be more than 0 ms, got 0",
  );
  // A bad banner wait was swallowed: every open port showed no banner.
  await assertRejects(
    () => drain("127.0.0.1", [1], { bannerTimeout: Number.NaN }),
    RangeError,
    "Cannot scan: banner timeout must be 0 or more ms, got NaN",
  );
  await assertRejects(
    () => drain("127.0.0.1", [1], { family: 5 as unknown as 4 }),
    TypeError,
    "Cannot scan: family must be 4 or 6, got 5",
  );
});
