import { assertEquals } from "../tests/_assert.ts";
import { escapeBytes, escapeInto, isValidUtf8 } from "./_escape.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("escapeBytes() escapes C's named characters and quotes", () => {
  assertEquals(escapeBytes(utf8("a\nb\rc\td\\e'f")), "a\\nb\\rc\\td\\\\e\\'f");
});

Deno.test("escapeBytes() turns ESC and every other C0 byte and DEL into \\xNN", () => {
  assertEquals(
    escapeBytes(utf8("\x1b[2J\x1b]0;owned\x07")),
    "\\x1b[2J\\x1b]0;owned\\x07",
  );
  assertEquals(
    escapeBytes(bytes(0x00, 0x01, 0x1f, 0x7f)),
    "\\x00\\x01\\x1f\\x7f",
  );
});

Deno.test("escapeBytes() keeps printable UTF-8 and escapes C1 controls as \\uNNNN", () => {
  assertEquals(escapeBytes(utf8("héllo ✓ 🎵")), "héllo ✓ 🎵");
  assertEquals(escapeBytes(utf8("\u009b31m\u0085")), "\\u009b31m\\u0085");
});

Deno.test("escapeBytes() shows each byte of invalid UTF-8 as \\xNN", () => {
  // A lone continuation byte, an overlong "/", a surrogate, a truncated sequence.
  assertEquals(escapeBytes(bytes(0x80)), "\\x80");
  assertEquals(escapeBytes(bytes(0xc0, 0xaf)), "\\xc0\\xaf");
  assertEquals(escapeBytes(bytes(0xed, 0xa0, 0x80)), "\\xed\\xa0\\x80");
  assertEquals(escapeBytes(bytes(0x61, 0xe2, 0x82)), "a\\xe2\\x82");
  assertEquals(escapeBytes(bytes(0xff, 0x62)), "\\xffb");
});

Deno.test("escapeBytes() output never contains a control character", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const escaped = escapeBytes(all);
  // deno-lint-ignore no-control-regex
  assertEquals(/[\x00-\x1f\x7f-\x9f]/.test(escaped), false);
});

Deno.test("isValidUtf8() tells text from binary", () => {
  assertEquals(isValidUtf8(utf8("plain ✓")), true);
  assertEquals(isValidUtf8(bytes(0xff)), false);
});

Deno.test("escapeBytes() escapes the characters that reorder or hide text, not joiners", () => {
  const hidden = [
    0x061c,
    0x200b,
    0x200e,
    0x200f,
    0x2028,
    0x2029,
    0x202a,
    0x202b,
    0x202c,
    0x202d,
    0x202e,
    0x2060,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
    0xfeff,
  ];
  for (const codePoint of hidden) {
    assertEquals(
      escapeBytes(utf8(`a${String.fromCodePoint(codePoint)}b`)),
      `a\\u${codePoint.toString(16).padStart(4, "0")}b`,
    );
  }
  // Neighbours pass, and so do the joiners that scripts and emoji need.
  assertEquals(
    escapeBytes(utf8("\u200c\u200d\u2027\u202f\u2065")),
    "\u200c\u200d\u2027\u202f\u2065",
  );
  assertEquals(escapeBytes(utf8("👩‍💻")), "👩‍💻");
});

Deno.test("escapeBytes() shows each lone byte value as C would", () => {
  const named: Record<number, string> = {
    0x09: "\\t",
    0x0a: "\\n",
    0x0d: "\\r",
    0x27: "\\'",
    0x5c: "\\\\",
  };
  for (let byte = 0; byte < 256; byte++) {
    // Alone, no byte of 0x80 and above is a whole UTF-8 character.
    const expected = named[byte] ??
      (byte >= 0x20 && byte < 0x7f
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, "0")}`);
    assertEquals(escapeBytes(Uint8Array.of(byte)), expected, `byte ${byte}`);
    assertEquals(
      escapeBytes(Uint8Array.of(0x41, byte, 0x42)),
      `A${expected}B`,
      `byte ${byte} between letters`,
    );
  }
});

Deno.test("escapeInto() writes only inside the room it is given", () => {
  const encoder = new TextEncoder();
  const inputs = [
    Uint8Array.of(0x41),
    Uint8Array.of(0xff, 0x00, 0x1b),
    encoder.encode("é'\\\u200e日本😀\n"),
    Uint8Array.of(0xe6, 0x97),
  ];
  for (const input of inputs) {
    const at = 3;
    const out = new Uint8Array(at + 4 * input.length).fill(0xee);
    const end = escapeInto(input, out, at);
    assertEquals(out.subarray(0, at), Uint8Array.of(0xee, 0xee, 0xee));
    assertEquals(
      new TextDecoder().decode(out.subarray(at, end)),
      escapeBytes(input),
    );
  }
});
