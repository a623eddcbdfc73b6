import { assert, assertEquals, assertRejects } from "../tests/_assert.ts";
import { StdoutQueue } from "./_stdio.ts";

/** A writer whose writes finish only when the test says. */
function gatedWriter() {
  const written: string[] = [];
  const gates: Array<() => void> = [];
  let failWith: Error | undefined;
  const write = (bytes: Uint8Array) => {
    written.push(new TextDecoder().decode(bytes));
    return new Promise<void>((resolve, reject) =>
      gates.push(() => failWith ? reject(failWith) : resolve())
    );
  };
  const open = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((done) => setTimeout(done, 0));
    }
  };
  const fail = (error: Error) => failWith = error;
  return { written, write, open, fail };
}

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("StdoutQueue: what comes during a write goes out joined in the next one, in order", async () => {
  const writer = gatedWriter();
  const queue = new StdoutQueue({ limit: 1024, write: writer.write });
  await queue.write(bytes("a"));
  await queue.write(bytes("b"));
  await queue.write(bytes("c"));
  assertEquals(writer.written, ["a"]);
  await writer.open();
  await queue.drain();
  assertEquals(writer.written, ["a", "bc"]);
});

Deno.test("StdoutQueue: past its limit, write waits for stdout", async () => {
  const writer = gatedWriter();
  const queue = new StdoutQueue({ limit: 4, write: writer.write });
  await queue.write(bytes("first"));
  let waited = true;
  const full = queue.write(bytes("12345")).then(() => waited = false);
  await new Promise((done) => setTimeout(done, 10));
  assertEquals(waited, true);
  await writer.open();
  await full;
  assertEquals(writer.written, ["first", "12345"]);
});

Deno.test("StdoutQueue: a failed write is told to onFailure at once, and rejects drain and every later write", async () => {
  const writer = gatedWriter();
  const heard: unknown[] = [];
  const queue = new StdoutQueue({
    limit: 1024,
    write: writer.write,
    onFailure: (error) => heard.push(error),
  });
  await queue.write(bytes("a"));
  writer.fail(new Deno.errors.BrokenPipe("gone"));
  await writer.open();
  // Told at once, before anyone writes or drains again.
  assertEquals(heard.length, 1);
  assert(heard[0] instanceof Deno.errors.BrokenPipe);
  await assertRejects(() => queue.drain(), Deno.errors.BrokenPipe);
  await assertRejects(() => queue.write(bytes("b")), Deno.errors.BrokenPipe);
  assertEquals(writer.written, ["a"]);
});
