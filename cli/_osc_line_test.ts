import { assert, assertEquals, assertThrows } from "../tests/_assert.ts";
import { seededRandom } from "../tests/stress/_seeded_random.ts";
import { encodeOsc, type OscArgument, type OscMessage } from "../lib/mod.ts";
import { formatOscLine } from "./_osc_format.ts";
import { parseOscLine } from "./_osc_line.ts";
import { parseOscArguments } from "./_osc_values.ts";
import { UsageError } from "./_exit.ts";

const random = seededRandom(0x0c5e17);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: T[]): T => items[int(items.length)]!;

/** Characters a peer may send, chosen to break a careless printer or parser. */
const CHARS = [
  ..."abcXYZ019 /.,-_",
  '"',
  "'",
  "\\",
  "\t",
  "\n",
  "\r",
  "\x1b",
  "\x7f",
  "é",
  "\u0085",
  "\u2028",
  "😀",
  "#",
  "[",
  "]",
];

function text(max: number): string {
  let out = "";
  for (let i = int(max); i > 0; i--) out += pick(CHARS);
  return out;
}

function argument(depth: number): OscArgument {
  const type = pick([..."ihfdsScmbtrTFNI", ...(depth < 2 ? ["["] : [])]);
  switch (type) {
    case "i":
      return { type, value: int(2 ** 32) - 2 ** 31 };
    case "h":
      return { type, value: BigInt(int(2 ** 53)) * pick([1n, -1n, 1024n]) };
    case "f":
      return {
        type,
        value: Math.fround((random() - 0.5) * 10 ** (int(20) - 10)),
      };
    case "d":
      return { type, value: (random() - 0.5) * 10 ** (int(40) - 20) };
    case "s":
    case "S":
      return { type, value: text(12) };
    case "c":
      return { type, value: pick(CHARS) };
    case "m":
      return {
        type,
        value: new Uint8Array([int(256), int(256), int(256), int(256)]),
      };
    case "b":
      return { type, value: new Uint8Array(int(20)).map(() => int(256)) };
    case "t":
      return {
        type,
        value: BigInt(int(2 ** 32)) << 32n | BigInt(int(2 ** 32)),
      };
    case "r":
      return { type, value: int(2 ** 32) };
    case "[":
      return {
        type,
        value: Array.from({ length: int(4) }, () => argument(depth + 1)),
      };
    default:
      return { type: type as "T" | "F" | "N" | "I" };
  }
}

function message(): OscMessage {
  const address = "/" +
    Array.from(
      { length: 1 + int(3) },
      () => text(6).replace(/[\s/]/g, "x") || "a",
    )
      .join("/");
  return { address, args: Array.from({ length: int(8) }, () => argument(0)) };
}

Deno.test("a printed line parses back to the same packet, for thousands of random messages", () => {
  for (let n = 0; n < 3000; n++) {
    const original = message();
    const line = formatOscLine({
      peer: { address: "127.0.0.1", port: 1 },
      arrival: Date.now(),
      message: original,
      bundles: [],
    });
    assert(
      ![..."\n\r\x1b\x7f\u0085"].some((c) => line.includes(c)),
      `raw control in ${line}`,
    );
    const parsed = parseOscLine(line);
    assert(parsed !== undefined);
    const again: OscMessage = {
      address: parsed.address,
      args: (() => {
        try {
          return parseOscArguments(parsed.types, parsed.values);
        } catch (error) {
          throw new Error(`${line}: ${error}`);
        }
      })(),
    };
    assertEquals(
      [...encodeOsc(again)],
      [...encodeOsc(original)],
      `line: ${line}`,
    );
  }
});

Deno.test("random lines parse or fail with a UsageError, nothing else", () => {
  const words = [
    "/a",
    "i",
    "ii",
    "f",
    "s",
    "S",
    "c",
    "m",
    "b",
    "t",
    "r",
    "[i]",
    "[",
    "]",
    "1",
    "-5",
    "1.5",
    "x",
    '"two words"',
    "'sym",
    "'A'",
    "MIDI",
    "[0x01",
    "0x90]",
    "[3b",
    "00]",
    "#T",
    "Nil",
    "e9a1b2c3.00000000",
    '"',
    "'",
    "\\",
    "immediately",
    "2030-01-01T00:00:00Z",
    "0aff",
    "ffffffff",
    "1e39",
  ];
  for (let n = 0; n < 5000; n++) {
    const line = Array.from({ length: int(7) }, () => pick(words)).join(
      pick([" ", "  ", "\t"]),
    );
    try {
      const parsed = parseOscLine(line);
      if (parsed) parseOscArguments(parsed.types, parsed.values);
    } catch (error) {
      if (!(error instanceof UsageError)) {
        throw new Error(`${JSON.stringify(line)} threw ${error}`);
      }
    }
  }
});

Deno.test("values: the forms oscsend and oscdump write, and their limits", () => {
  const parse = (types: string, ...values: string[]) =>
    parseOscArguments(types, values.map((text) => ({ text, quoted: true })));
  assertEquals(parse("i", "0x10"), [{ type: "i", value: 16 }]);
  // A sign before hex, as h takes it: Number() alone reads neither.
  assertEquals(parse("i", "-0x10"), [{ type: "i", value: -16 }]);
  assertEquals(parse("i", "+0x10"), [{ type: "i", value: 16 }]);
  assertEquals(parse("i", "-0x80000000"), [{ type: "i", value: -2147483648 }]);
  assertThrows(() => parse("i", "0x80000000"), UsageError, "int32");
  assertEquals(parse("i", "-2147483648"), [{ type: "i", value: -2147483648 }]);
  assertEquals(parse("h", "-9223372036854775808"), [{
    type: "h",
    value: -9223372036854775808n,
  }]);
  assertEquals(parse("f", "inf")[0], { type: "f", value: Infinity });
  assertEquals(parse("t", "immediately"), [{ type: "t", value: 1n }]);
  assertThrows(() => parse("h", "9223372036854775808"), UsageError, "int64");
  assertThrows(() => parse("c", "ab"), UsageError, "one character");
  assertThrows(() => parse("b", "abc"), UsageError, "even number");
  assertThrows(() => parse("[i", "1"), UsageError, '"[" without "]"');
  assertThrows(() => parse("i]", "1"), UsageError, '"]" without "["');
  // Only unquoted words from stdin take oscdump's printed forms.
  assertEquals(parse("S", "'quoted"), [{ type: "S", value: "'quoted" }]);
  const line = parseOscLine("/a S 'sym")!;
  assertEquals(parseOscArguments(line.types, line.values), [{
    type: "S",
    value: "sym",
  }]);
});
