import { assertEquals } from "../tests/_assert.ts";
import { hexDump, toHex } from "./_hex_dump.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("hexDump() matches hexdump -C byte for byte", async () => {
  const data = new Uint8Array(256 + 7).map((_, i) => i % 256);
  const expected = await new Deno.Command("hexdump", {
    args: ["-v", "-C"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = expected.stdin.getWriter();
  await writer.write(data);
  await writer.close();
  const output = new TextDecoder().decode((await expected.output()).stdout)
    .trimEnd().split("\n");
  // hexdump closes with the total length; a live dump has none.
  assertEquals(hexDump(data), output.slice(0, -1));
});

Deno.test("hexDump() runs the offset on from where the stream stood", () => {
  const data = new Uint8Array([
    ...utf8("Hello world\n\x00\x01\x02\x03"),
    0xff,
    ...utf8("abc"),
  ]);
  assertEquals(hexDump(data, 0x20), [
    "00000020  48 65 6c 6c 6f 20 77 6f  72 6c 64 0a 00 01 02 03  |Hello world.....|",
    "00000030  ff 61 62 63                                       |.abc|",
  ]);
  assertEquals(hexDump(new Uint8Array()), []);
});

Deno.test("toHex() gives lowercase digits, two per byte", () => {
  assertEquals(toHex(new Uint8Array([0, 0x0a, 0xff])), "000aff");
});
