import { assertEquals } from "../tests/_assert.ts";
import { ReceiveBuffer } from "./_receive_buffer.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) =>
  data === undefined ? undefined : new TextDecoder().decode(data);

Deno.test("ReceiveBuffer.takeLine() ends lines at \\n, \\r\\n and a bare \\r", () => {
  const buffer = new ReceiveBuffer();
  buffer.push(bytes("a\nb\r\nc\rd"));
  assertEquals(text(buffer.takeLine()), "a");
  assertEquals(text(buffer.takeLine()), "b");
  assertEquals(text(buffer.takeLine()), "c");
  assertEquals(buffer.takeLine(), undefined);
  assertEquals(text(buffer.takeAll()), "d");
});

Deno.test("ReceiveBuffer.takeLine() treats a \\r\\n split across pushes as one ending", () => {
  const buffer = new ReceiveBuffer();
  buffer.push(bytes("one\r"));
  assertEquals(text(buffer.takeLine()), "one");
  buffer.push(bytes("\ntwo\n"));
  assertEquals(text(buffer.takeLine()), "two");
  assertEquals(buffer.size, 0);
});

Deno.test("ReceiveBuffer.takeLine() keeps an empty line after a bare \\r", () => {
  const buffer = new ReceiveBuffer();
  buffer.push(bytes("x\r"));
  assertEquals(text(buffer.takeLine()), "x");
  buffer.push(bytes("\r\n"));
  assertEquals(text(buffer.takeLine()), "");
});

Deno.test("ReceiveBuffer.takeExactly() waits for the whole count", () => {
  const buffer = new ReceiveBuffer();
  buffer.push(bytes("abc"));
  assertEquals(buffer.takeExactly(4), undefined);
  buffer.push(bytes("de"));
  assertEquals(text(buffer.takeExactly(4)), "abcd");
  assertEquals(text(buffer.takeAll()), "e");
  assertEquals(buffer.takeAll(), undefined);
});

Deno.test("ReceiveBuffer keeps every byte in order through growth and compaction", () => {
  const buffer = new ReceiveBuffer();
  const all: number[] = [];
  const out: number[] = [];
  for (let round = 0; round < 200; round++) {
    const chunk = Uint8Array.from(
      { length: (round * 37) % 3000 },
      (_, i) => (round + i) & 0xff,
    );
    all.push(...chunk);
    buffer.push(chunk);
    const taken = buffer.takeExactly(1000);
    if (taken) out.push(...taken);
  }
  out.push(...(buffer.takeAll() ?? []));
  assertEquals(out, all);
});
