import { assert, assertEquals } from "../tests/_assert.ts";
import {
  CONGESTED_BYTES,
  EventOutput,
  FULL_BYTES,
  LINGER_MS,
  type OutputStream,
  STALLED_MS,
} from "./_event_output.ts";
import { EventPrinter } from "./_events.ts";

/**
 * A stream that takes nothing while stalled; it records each write. A
 * terminal's events are dropped at once when it backs up; a file's or a
 * pipe's are waited for until it stalls.
 */
function stalledStream(stalled = true, terminal = false) {
  const writes: string[] = [];
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  return {
    writes,
    isTerminal: () => terminal,
    release() {
      stalled = false;
      release();
    },
    async write(bytes: Uint8Array): Promise<number> {
      writes.push(new TextDecoder().decode(bytes));
      if (stalled) await gate;
      return bytes.length;
    },
  };
}

Deno.test("EventOutput writes the lines of one turn as one write", async () => {
  const stream = stalledStream(false);
  const output = new EventOutput(stream, false);
  for (let i = 0; i < 100; i++) output.write(`line ${i}`);
  await output.ready();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assertEquals(stream.writes.length, 1);
  assertEquals(stream.writes[0]!.split("\n").length, 101);
});

Deno.test("EventOutput is bounded; the printer drops and counts a terminal's message events", async () => {
  const stream = stalledStream(true, true);
  const output = new EventOutput(stream, false);
  const printer = new EventPrinter("udp", "server", false, output);
  const peer = { address: "127.0.0.1", port: 5000 };
  const data = new Uint8Array(200).fill(0x61);
  let emitted = 0;
  while (!output.congested) {
    printer.emit({ event: "message", peer, data });
    emitted++;
    // Let the first write start so later lines queue behind it.
    if (emitted === 1) await Promise.resolve();
  }
  for (let i = 0; i < 1000; i++) {
    printer.emit({ event: "message", peer, data });
  }
  // Other events still go through while congested, up to the bound.
  printer.emit({ event: "rejected", peer, reason: "loop" });
  let others = 0;
  while (!output.full) {
    printer.emit({ event: "rejected", peer, reason: "rate" });
    others++;
  }
  assert(!output.write("x"), "a full queue takes nothing");
  printer.emit({ event: "rejected", peer, reason: "rate" });
  // Congested to full is room for thousands of non-message events.
  assert(others * 100 > FULL_BYTES - CONGESTED_BYTES, `${others} others`);
  stream.release();
  await output.ready();
  printer.emit({
    event: "stopped",
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
    messages: 0,
  });
  await output.ready();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const text = stream.writes.join("");
  // The message events dropped while congested are counted before the
  // next event that gets through; the one dropped when full, before `stopped`.
  assertEquals(
    text.split("\n").filter((l) => !/ sent '|\(rate\)$/.test(l)),
    [
      "events dropped: 1000 (stderr too slow)",
      "rejected client 127.0.0.1:5000 (loop)",
      "events dropped: 1 (stderr too slow)",
      "stopped: 0 datagrams, 0 bytes in, 0 bytes out",
      "",
    ],
  );
  assertEquals(
    text.split("\n").filter((l) => l.includes(" sent '")).length,
    emitted,
  );
});

/** A file on a slow disk: every write is taken, a millisecond later. */
function slowFile() {
  const writes: string[] = [];
  return {
    writes,
    async write(bytes: Uint8Array): Promise<number> {
      writes.push(new TextDecoder().decode(bytes));
      await new Promise((resolve) => setTimeout(resolve, 1));
      return bytes.length;
    },
  };
}

/**
 * A JSON printer on `stream` and a 64 KiB chunk: JSON carries all of it,
 * ~87 KiB a line, as a relay's `--json` does.
 */
function jsonPrinter(stream: OutputStream) {
  const output = new EventOutput(stream, true);
  return {
    output,
    printer: new EventPrinter("udp", "server", true, output),
    peer: { address: "127.0.0.1", port: 5000 },
    data: new Uint8Array(64 * 1024).fill(0x61),
  };
}

Deno.test("a file that takes its lines slowly gets every message event: the emitter waits", async () => {
  const stream = slowFile();
  const { output, printer, peer, data } = jsonPrinter(stream);
  let waits = 0;
  for (let i = 0; i < 40; i++) {
    printer.emit({ event: "message", peer, data });
    const backlog = printer.backlog();
    if (backlog) {
      waits++;
      await backlog;
    }
  }
  await output.flush();
  const lines = stream.writes.join("").split("\n").filter((l) => l !== "");
  assertEquals(lines.length, 40);
  assert(
    lines.every((line) => line.includes('"event":"message"')),
    "nothing dropped",
  );
  assert(waits > 0, "the emitter was asked to wait");
});

Deno.test("a file or pipe that stops taking lines is waited for only until it stalls", async () => {
  const stream = stalledStream();
  const { output, printer, peer, data } = jsonPrinter(stream);
  // A real stalled write is a pending op that keeps the process alive.
  const alive = setTimeout(() => {}, 10_000);
  printer.emit({ event: "message", peer, data });
  await Promise.resolve();
  while (!output.congested) printer.emit({ event: "message", peer, data });
  assert(!output.shedding, "a pipe is waited for first");
  const started = performance.now();
  await printer.backlog();
  const waited = performance.now() - started;
  assert(waited >= STALLED_MS - 50, `waited ${waited} ms`);
  assert(output.shedding, "a stalled pipe's message events are dropped");
  assertEquals(printer.backlog(), undefined);
  // Lossless: the events are the data (`listen --json`), nothing is shed.
  const lossless = new EventPrinter("udp", "server", true, output, {
    lossless: true,
  });
  const before = output.congested;
  lossless.emit({ event: "message", peer, data: data.subarray(0, 10) });
  assert(before, "still congested");
  let released = false;
  const waiting = lossless.backlog()!.then(() => released = true);
  await new Promise((resolve) => setTimeout(resolve, STALLED_MS + 100));
  assert(!released, "a lossless printer waits however long it takes");
  stream.release();
  await waiting;
  await output.flush();
  clearTimeout(alive);
  const text = stream.writes.join("");
  assert(text.includes('"bytes":10'), "the lossless event was queued");
});

Deno.test("EventOutput stops quietly on a failed write that is not stdout's", async () => {
  const output = new EventOutput({
    write: () => Promise.reject(new Deno.errors.BrokenPipe("gone")),
  }, false);
  output.write("a");
  await output.flush();
  assert(output.isBroken);
  assert(!output.write("b"));
  // Only stdout's reader leaving resolves `broken` (exit 141).
  const result = await Promise.race([
    output.broken.then(() => "broken"),
    new Promise((resolve) => setTimeout(() => resolve("pending"), 50)),
  ]);
  assertEquals(result, "pending");
});

Deno.test("EventOutput: a busy output's small batches share a write; flush ends the wait", async () => {
  const stream = stalledStream(false);
  const output = new EventOutput(stream, false);
  output.write("first");
  await output.ready();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stream.writes, ["first\n"]);
  // Right after a small write, lines from separate turns wait together.
  output.write("second");
  await new Promise((resolve) => setTimeout(resolve, 0));
  output.write("third");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(stream.writes.length, 1, "still lingering");
  const started = performance.now();
  await output.flush();
  assert(performance.now() - started < LINGER_MS, "flush waits for no timer");
  assertEquals(stream.writes, ["first\n", "second\nthird\n"]);
});

Deno.test("a message line rendered into the queue equals the one made as a string", async () => {
  const stream = stalledStream(false);
  const output = new EventOutput(stream, false);
  const queued = new EventPrinter("udp", "server", false, output);
  const lines: string[] = [];
  const made = new EventPrinter("udp", "server", false, (l) => lines.push(l));
  const utf8 = new TextEncoder();
  const long = utf8.encode("x".repeat(255) + "é" + "y".repeat(40));
  const samples = [
    utf8.encode("hello\r\n\t'quoted' \\ back"),
    new Uint8Array([0, 1, 0x1b, 0x7f, 0x80, 0xc3, 0xff, 0xe2, 0x82]),
    utf8.encode("ünïcødé \u0085 \u202e bidi \u200b zw €"),
    new Uint8Array(0),
    long,
    new Uint8Array(1000).map((_, i) => (i * 37) & 0xff),
  ];
  for (const data of samples) {
    for (const direction of [undefined, "up", "down"] as const) {
      const peer = { address: "::1", port: 40000 };
      const event = direction
        ? { event: "message" as const, peer, data, direction }
        : { event: "message" as const, peer, data };
      queued.emit(event);
      made.emit(event);
    }
  }
  await output.flush();
  assertEquals(stream.writes.join(""), lines.map((l) => l + "\n").join(""));
  assert(lines.some((l) => l.endsWith("'... (+42 bytes)")), lines.join("\n"));
  assert(lines.some((l) => l.startsWith("client [::1]:40000 received '")));
});
