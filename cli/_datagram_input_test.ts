import { assertEquals } from "../tests/_assert.ts";
import { datagramsOf } from "./_datagram_input.ts";

const encoder = new TextEncoder();

async function cut(
  reads: string[],
  lines: boolean,
  max = 65_507,
): Promise<string[]> {
  async function* chunks() {
    // One reused buffer, as readChunks gives: a kept view would be clobbered.
    const buffer = new Uint8Array(1024);
    for (const read of reads) {
      const bytes = encoder.encode(read);
      buffer.set(bytes);
      yield buffer.subarray(0, bytes.length);
    }
  }
  const out: string[] = [];
  for await (const datagram of datagramsOf(chunks(), { lines, max })) {
    out.push(new TextDecoder().decode(datagram));
  }
  return out;
}

Deno.test("datagramsOf sends one datagram per read, newlines and all", async () => {
  assertEquals(await cut(["a\nb\n", "c"], false), ["a\nb\n", "c"]);
});

Deno.test("datagramsOf cuts a read longer than max into several datagrams", async () => {
  assertEquals(await cut(["abcdefg"], false, 3), ["abc", "def", "g"]);
});

Deno.test("datagramsOf --lines: a line each, newline kept, across reads", async () => {
  assertEquals(await cut(["a\nbb", "b\nc"], true), ["a\n", "bbb\n", "c"]);
});

Deno.test("datagramsOf --lines: an empty line is an empty datagram", async () => {
  assertEquals(await cut(["a\n\nb\n", "\r\n"], true), ["a\n", "", "b\n", ""]);
});

Deno.test("datagramsOf --lines: a line longer than max is sent in max-sized pieces", async () => {
  assertEquals(await cut(["abcde", "fg\n\n"], true, 3), [
    "abc",
    "def",
    "g\n",
    "",
  ]);
  // A piece that ends just before the newline leaves "\n", not an empty line.
  assertEquals(await cut(["abc\n"], true, 3), ["abc", "\n"]);
});
