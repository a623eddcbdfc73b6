import { assert, assertEquals, assertThrows } from "../../tests/_assert.ts";
import { seededRandom } from "../../tests/stress/_seeded_random.ts";
import { has } from "../../tests/_cli.ts";
import { hex } from "../../tests/_osc.ts";
import {
  compileOscPattern,
  createDeframer,
  decodeOsc,
  encodeOsc,
  formatTimetag,
  frameSize,
  frameSlip,
  matchOscAddress,
  type OscArgument,
  OscDecodeError,
  OscFramer,
  type OscPacket,
  parseTimetag,
  timetagFromDate,
  timetagToDate,
  toOscArgument,
} from "../mod.ts";

const fromHex = (text: string) =>
  new Uint8Array(
    text.replace(/\s/g, "").match(/../g)!.map((h) => parseInt(h, 16)),
  );

Deno.test("the OSC 1.0 specification's example messages, byte for byte", () => {
  const frequency = encodeOsc({
    address: "/oscillator/4/frequency",
    args: [{ type: "f", value: 440 }],
  });
  assertEquals(
    hex(frequency),
    "2f6f7363696c6c61746f722f342f6672657175656e6379002c66000043dc0000",
  );
  const foo = encodeOsc({
    address: "/foo",
    args: [
      { type: "i", value: 1000 },
      { type: "i", value: -1 },
      { type: "s", value: "hello" },
      { type: "f", value: 1.234 },
      { type: "f", value: 5.678 },
    ],
  });
  assertEquals(
    hex(foo),
    "2f666f6f000000002c69697366660000000003e8ffffffff68656c6c6f0000003f9df3b640b5b22d",
  );
  const decoded = decodeOsc(foo);
  assert("address" in decoded && decoded.args.length === 5);
  // A string of 4n bytes gets four NULs (the spec's "data").
  assertEquals(
    hex(encodeOsc({ address: "/abc", args: [{ type: "s", value: "data" }] })),
    "2f616263000000002c730000" + "6461746100000000",
  );
});

const OSCSEND_CASES: [string, string, string[], OscArgument[]][] = [
  ["/renoise/song/bpm", "f", ["127.5"], [{ type: "f", value: 127.5 }]],
  [
    "/renoise/trigger/note_on",
    "iiii",
    ["1", "-1", "48", "100"],
    [1, -1, 48, 100].map((value) => ({ type: "i", value })),
  ],
  [
    "/renoise/evaluate",
    "s",
    ["renoise.song().transport.bpm = 234"],
    [{ type: "s", value: "renoise.song().transport.bpm = 234" }],
  ],
  ["/renoise/transport/start", "", [], []],
  ["/i", "i", ["-2147483648"], [{ type: "i", value: -2147483648 }]],
  ["/h", "h", ["-9000000000"], [{ type: "h", value: -9000000000n }]],
  ["/f", "f", ["-0.5"], [{ type: "f", value: -0.5 }]],
  ["/d", "d", ["1e300"], [{ type: "d", value: 1e300 }]],
  ["/s4", "s", ["four"], [{ type: "s", value: "four" }]],
  ["/S", "S", ["sym"], [{ type: "S", value: "sym" }]],
  ["/c", "c", ["Z"], [{ type: "c", value: "Z" }]],
  ["/m", "m", ["01904020"], [{
    type: "m",
    value: new Uint8Array([1, 0x90, 0x40, 0x20]),
  }]],
  ["/tfni", "TFNI", [], [{ type: "T" }, { type: "F" }, { type: "N" }, {
    type: "I",
  }]],
  [
    "/all",
    "ihfdsScmTFNI",
    ["7", "-9000000000", "0.5", "1e300", "hi there", "sym", "X", "00904060"],
    [
      { type: "i", value: 7 },
      { type: "h", value: -9000000000n },
      { type: "f", value: 0.5 },
      { type: "d", value: 1e300 },
      { type: "s", value: "hi there" },
      { type: "S", value: "sym" },
      { type: "c", value: "X" },
      { type: "m", value: new Uint8Array([0, 0x90, 0x40, 0x60]) },
      { type: "T" },
      { type: "F" },
      { type: "N" },
      { type: "I" },
    ],
  ],
];

Deno.test({
  name: "every type oscsend supports encodes as `oscsend -` writes it",
  ignore: !has("oscsend"),
  fn() {
    for (const [address, types, values, args] of OSCSEND_CASES) {
      const reference = new Deno.Command("oscsend", {
        args: ["-", address, types, ...values],
        stdout: "piped",
      }).outputSync();
      assert(reference.success, `oscsend ${address} failed`);
      const ours = encodeOsc({ address, args });
      assertEquals(hex(ours), hex(reference.stdout), address);
      const back = decodeOsc(reference.stdout);
      assertEquals(
        JSON.stringify(back, replacer),
        JSON.stringify({ address, args }, replacer),
      );
    }
  },
});

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return hex(value);
  return value;
}

Deno.test("blobs, timetags, colours, arrays and nested bundles round-trip", () => {
  const packet: OscPacket = {
    timetag: 1n,
    elements: [
      {
        address: "/x",
        args: [
          { type: "b", value: new Uint8Array([0, 1, 0xfe]) },
          { type: "b", value: new Uint8Array(0) },
          { type: "t", value: 0x0123456789abcdefn },
          { type: "r", value: 0xff0000ff },
          {
            type: "[",
            value: [{ type: "i", value: 1 }, { type: "[", value: [] }],
          },
          { type: "i", value: 2 },
        ],
      },
      {
        timetag: 0xe9a1b2c3_00000000n,
        elements: [{ address: "/y", args: [] }],
      },
    ],
  };
  const bytes = encodeOsc(packet);
  assertEquals(bytes.length % 4, 0);
  assertEquals(
    JSON.stringify(decodeOsc(bytes), replacer),
    JSON.stringify(packet, replacer),
  );
  // r is 4 bytes (osc-min writes 16): the int after it survives.
  const colour = encodeOsc({
    address: "/c",
    args: [{ type: "r", value: 0x11223344 }, { type: "i", value: 5 }],
  });
  assertEquals(
    hex(colour),
    "2f630000" + "2c726900" + "11223344" + "00000005",
  );
});

Deno.test("plain values take their implied types; numbers are f", () => {
  assertEquals(toOscArgument(127.5), { type: "f", value: 127.5 });
  assertEquals(toOscArgument("x"), { type: "s", value: "x" });
  assertEquals(toOscArgument(true), { type: "T" });
  assertEquals(toOscArgument(null), { type: "N" });
  assertEquals(toOscArgument(5n), { type: "h", value: 5n });
  assertEquals(toOscArgument({ type: "i", value: 3 }), { type: "i", value: 3 });
});

Deno.test("the encoder refuses values their types cannot hold", () => {
  const bad: OscArgument[] = [
    { type: "i", value: 1.5 },
    { type: "i", value: 2 ** 31 },
    { type: "h", value: 2n ** 63n },
    { type: "s", value: "a\0b" },
    { type: "c", value: "ab" },
    { type: "m", value: new Uint8Array(3) },
    { type: "r", value: -1 },
  ];
  for (const arg of bad) {
    assertThrows(() => encodeOsc({ address: "/a", args: [arg] }));
  }
  assertThrows(() => encodeOsc({ address: "a", args: [] }), TypeError);
});

Deno.test("malformed packets throw OscDecodeError with the byte offset", () => {
  const cases: [string, number][] = [
    ["", 0], // empty
    ["2f6100", 3], // not a multiple of 4
    ["2f616263", 0], // address without NUL
    ["2f610000" + "2c510000", 5], // unknown tag Q
    ["2f610000" + "2c690000", 8], // int truncated
    ["2f610001", 3], // bad padding
    ["2f610000" + "78790000", 4], // no comma
    ["2f610000" + "2c620000" + "00000010" + "00000000", 8], // blob past end
    ["2f610000" + "2c620000" + "7fffffff", 8], // huge blob
    ["2f610000" + "2c5b6900" + "00000001", 5], // [ without ]
    ["2f610000" + "2c5d0000", 5], // ] without [
    ["2f610000" + "2c000000" + "00000000", 8], // bytes after the arguments
    ["2362756e646c6500" + "00000000", 12], // bundle without a full timetag
    ["2362756e646c6500" + "0000000000000001" + "00000010" + "2f610000", 16],
    ["2362756e646c6500" + "0000000000000001" + "fffffffc", 16],
    ["68656c6c6f0a0000", 0], // not OSC at all
  ];
  for (const [text, offset] of cases) {
    const bytes = text === "" ? new Uint8Array(0) : fromHex(text);
    const error = assertThrows(
      () => decodeOsc(bytes),
      OscDecodeError,
    ) as OscDecodeError;
    assertEquals(error.offset, offset, `${text}: ${error.message}`);
  }
  // A size with the sign bit set is named as negative, not as a length.
  const negative = assertThrows(
    () => decodeOsc(fromHex("2f610000" + "2c620000" + "80000000")),
    OscDecodeError,
  ) as OscDecodeError;
  assertEquals(negative.message, "blob size -2147483648 is negative at byte 8");
  // A message that ends after its address has no arguments (OSC 1.0).
  assertEquals(decodeOsc(fromHex("2f610000")), { address: "/a", args: [] });
});

Deno.test("bundles nested deeper than 8 are refused, 8 are fine", () => {
  let packet: OscPacket = { address: "/deep", args: [] };
  for (let i = 0; i < 7; i++) packet = { timetag: 1n, elements: [packet] };
  decodeOsc(encodeOsc(packet));
  // The encoder refuses the 9th level, so build it by hand.
  const inner = encodeOsc(packet);
  const header = fromHex("2362756e646c65000000000000000001");
  let bytes = new Uint8Array([...header, ...sizeOf(inner.length), ...inner]);
  bytes = new Uint8Array([...header, ...sizeOf(bytes.length), ...bytes]);
  const error = assertThrows(
    () => decodeOsc(bytes),
    OscDecodeError,
  ) as OscDecodeError;
  assert(error.message.includes("nested"), error.message);
});

function sizeOf(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

Deno.test("fuzz: random and mutated packets decode or throw OscDecodeError, quickly", () => {
  const random = seededRandom(0x05c0de);
  const int = (n: number) => Math.floor(random() * n);
  const seeds = [
    ...OSCSEND_CASES.map(([address, , , args]) => encodeOsc({ address, args })),
    encodeOsc({
      timetag: 5n,
      elements: [
        { address: "/a", args: [{ type: "b", value: new Uint8Array(9) }] },
        {
          timetag: 1n,
          elements: [{
            address: "/b",
            args: [{ type: "[", value: [{ type: "s", value: "x" }] }],
          }],
        },
      ],
    }),
  ];
  const started = performance.now();
  let decoded = 0;
  let refused = 0;
  for (let n = 0; n < 30_000; n++) {
    let bytes: Uint8Array;
    if (n % 3 === 0) {
      bytes = new Uint8Array(int(64));
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = random() < 0.5
          ? "/#,ifsb[]\0"[int(10)]!.charCodeAt(0)
          : int(256);
      }
    } else {
      bytes = seeds[int(seeds.length)]!.slice();
      const flips = 1 + int(4);
      for (let i = 0; i < flips; i++) {
        const at = int(bytes.length);
        bytes[at] = random() < 0.5 ? int(256) : bytes[at]! ^ (1 << int(8));
      }
      if (random() < 0.2) bytes = bytes.subarray(0, int(bytes.length + 1));
    }
    try {
      decodeOsc(bytes);
      decoded++;
    } catch (error) {
      if (!(error instanceof OscDecodeError)) {
        throw new Error(`input ${hex(bytes)} threw ${error}`);
      }
      refused++;
    }
  }
  const elapsed = performance.now() - started;
  assert(
    decoded > 100 && refused > 1000,
    `${decoded} decoded, ${refused} refused`,
  );
  assert(elapsed < 10_000, `took ${elapsed} ms`);
});

Deno.test("deframers take any chunking: size prefix, SLIP single and double END", () => {
  const packets = [
    encodeOsc({ address: "/a", args: [{ type: "i", value: 0xc0 }] }),
    encodeOsc({
      timetag: 1n,
      elements: [{
        address: "/b",
        args: [{ type: "b", value: new Uint8Array([0xc0, 0xdb, 1]) }],
      }],
    }),
    encodeOsc({ address: "/c", args: [] }),
  ];
  const streams: [string, Uint8Array][] = [
    ["size", concat(packets.map(frameSize))],
    ["slip", concat(packets.map((p) => frameSlip(p, true)))],
    ["slip", concat(packets.map((p) => frameSlip(p, false)))],
  ];
  const framer = new OscFramer("slip");
  streams.push(["slip", concat(packets.map((p) => framer.frame(p)))]);
  for (const [framing, stream] of streams) {
    for (const mode of [framing, "auto"] as const) {
      for (const step of [1, 3, 7, stream.length]) {
        const deframer = createDeframer(mode as "size" | "slip" | "auto");
        const out: Uint8Array[] = [];
        for (let i = 0; i < stream.length; i += step) {
          out.push(...deframer.push(stream.subarray(i, i + step)));
        }
        assertEquals(
          out.map(hex),
          packets.map(hex),
          `${framing} ${mode} ${step}`,
        );
        assertEquals(deframer.framing, framing);
      }
    }
  }
  // liblo's bug: a SLIP stream that opens with END #bundle is still SLIP.
  const auto = createDeframer("auto");
  assertEquals(auto.push(frameSlip(packets[1]!, true)).length, 1);
  assertEquals(auto.framing, "slip");
  // A bad escape and an absurd size prefix are errors with the stream offset.
  const slip = createDeframer("slip");
  assertEquals(
    (assertThrows(
      () => slip.push(new Uint8Array([0x2f, 0xdb, 0x01])),
      OscDecodeError,
    ) as OscDecodeError).offset,
    2,
  );
  const size = createDeframer("size");
  assertThrows(
    () => size.push(new Uint8Array([0x7f, 0, 0, 0])),
    OscDecodeError,
  );
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

Deno.test("address patterns: ? * [a-z] [!a] {foo,bar}, never across /", () => {
  const yes: [string, string][] = [
    ["/a/?", "/a/b"],
    ["/a/*", "/a/bcd"],
    ["/*/x", "/abc/x"],
    ["/track/[0-9]", "/track/7"],
    ["/track/[!0-4]", "/track/7"],
    ["/note_{on,off}", "/note_off"],
    ["/a.b", "/a.b"],
    ["/x[-a]", "/x-"],
  ];
  const no: [string, string][] = [
    ["/a/?", "/a/bc"],
    ["/a/*", "/a/b/c"],
    ["/track/[!0-9]", "/track/7"],
    ["/note_{on,off}", "/note_of"],
    ["/a.b", "/aXb"],
    ["/a/?", "/a//"],
  ];
  for (const [pattern, address] of yes) {
    assert(matchOscAddress(pattern, address), `${pattern} ${address}`);
  }
  for (const [pattern, address] of no) {
    assert(!matchOscAddress(pattern, address), `${pattern} ${address}`);
  }
  assertThrows(() => compileOscPattern("/a/[bc"), SyntaxError);
});

Deno.test("timetags: Date round trip, oscdump's text form, immediately", () => {
  const date = new Date("2026-11-30T02:00:00.250Z");
  assertEquals(
    timetagToDate(timetagFromDate(date)).toISOString(),
    date.toISOString(),
  );
  assertEquals(formatTimetag(1n), "00000000.00000001");
  assertEquals(parseTimetag("eeb7307e.3c2fa508"), 0xeeb7307e3c2fa508n);
  assertEquals(parseTimetag("nope"), undefined);
  // 1970 is NTP second 2208988800 = 0x83aa7e80.
  assertEquals(
    formatTimetag(timetagFromDate(new Date(0))),
    "83aa7e80.00000000",
  );
});

Deno.test("a JavaScript caller's bad framing or value is a TypeError naming it", () => {
  assertThrows(
    () => createDeframer("sl1p" as "slip"),
    TypeError,
    'OSC framing must be "size", "slip" or "auto", got "sl1p"',
  );
  assertThrows(
    () => new OscFramer("sl1p" as "slip"),
    TypeError,
    'OSC framing must be "size" or "slip", got "sl1p"',
  );
  assertThrows(
    () =>
      encodeOsc({
        address: "/a",
        args: [undefined as unknown as OscArgument],
      }),
    TypeError,
    "Cannot encode OSC: undefined is not an OSC argument",
  );
  assertThrows(
    () => toOscArgument(undefined as unknown as number),
    TypeError,
    "Cannot encode OSC: undefined is not an OSC value",
  );
});
