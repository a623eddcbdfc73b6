import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { has, runCli } from "./_cli.ts";
import {
  freePort,
  hex,
  LineProcess,
  oscsend,
  PacketCatcher,
  tcpSink,
  withoutTime,
} from "./_osc.ts";
import { encodeOsc, formatTimetag, frameSize } from "../lib/mod.ts";

const MESSAGES: string[][] = [
  [
    "/x",
    "ihdsScmTFNI",
    "5",
    "-9000000000",
    "2.5",
    "str",
    "sym",
    "A",
    "01904020",
  ],
  ["/empty"],
  ["/f", "ff", "1e30", "-0.0"],
  ["/renoise/trigger/note_on", "iiii", "1", "-1", "48", "100"],
  ["/renoise/evaluate", "s", "renoise.song().transport.bpm = 234"],
  // oscdump escapes nothing in text, so an apostrophe stays one.
  ["/apos", "sSc", "it's", "it's", "'"],
  // Exactly halfway at the sixth decimal: printf's %f rounds to even.
  ["/tie", "fff", "16.0078125", "-1024.0078125", "16.0234375"],
];

Deno.test({
  name:
    "osc dump prints oscdump's line for what oscsend sends (UDP and osc.tcp://)",
  ignore: !has("oscsend") || !has("oscdump"),
  async fn() {
    const refPort = freePort("udp");
    const reference = await LineProcess.oscdump([String(refPort)]);
    // -L as oscdump scripts pass it (a no-op: lines are never held back).
    const udp = await LineProcess.sockit(["osc", "dump", "-L", "0"]);
    const tcp = await LineProcess.sockit(["osc", "dump", "-T", "0"]);
    try {
      for (const message of MESSAGES) {
        await oscsend(["127.0.0.1", String(refPort), ...message]);
        await oscsend(["127.0.0.1", String(udp.port), ...message]);
        await oscsend([`osc.tcp://127.0.0.1:${tcp.port}`, ...message]);
      }
      await reference.waitForLines(MESSAGES.length);
      await udp.waitForLines(MESSAGES.length);
      await tcp.waitForLines(MESSAGES.length);
      const expected = reference.lines.map(withoutTime);
      assertEquals(udp.lines.map(withoutTime), expected);
      assertEquals(tcp.lines.map(withoutTime), expected);
      for (const line of udp.lines) {
        assertMatch(line, /^[0-9a-f]{8}\.[0-9a-f]{8} \//);
      }
    } finally {
      await reference.stop("SIGINT");
      assertEquals(await udp.stop("SIGINT"), 0);
      assertEquals(await tcp.stop("SIGTERM"), 0);
    }
  },
});

/** Sends raw datagrams to a loopback port. */
async function sendRaw(port: number, packets: Uint8Array[]): Promise<void> {
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  for (const packet of packets) {
    await conn.send(packet, { transport: "udp", hostname: "127.0.0.1", port });
  }
  conn.close();
}

Deno.test("osc dump: bundles (future ones at arrival), escaping, blobs, errors go on", async () => {
  const dump = await LineProcess.sockit(["osc", "dump", "0"]);
  try {
    const future = 0xf0000000_80000000n;
    await sendRaw(dump.port, [
      encodeOsc({
        timetag: future,
        elements: [
          { address: "/in/future", args: [{ type: "i", value: 1 }] },
          { timetag: 1n, elements: [{ address: "/nested", args: [] }] },
        ],
      }),
      new TextEncoder().encode("hello\n\0\0"),
      encodeOsc({
        address: "/esc",
        args: [
          { type: "s", value: "\x1b[31mred\n" },
          { type: "S", value: "s\x07" },
          { type: "b", value: new Uint8Array(16).fill(0xab) },
          { type: "[", value: [{ type: "r", value: 0x11223344 }] },
        ],
      }),
    ]);
    await dump.waitForLines(3);
    await dump.waitFor(
      () => dump.errors.some((l) => l.startsWith("error:")),
      5000,
      false,
    );
    assertEquals(dump.lines[0], `${formatTimetag(future)} /in/future i 1`);
    // The nested "immediately" bundle shows its arrival time, as oscdump.
    assertEquals(withoutTime(dump.lines[1]!), "/nested ");
    assertEquals(
      withoutTime(dump.lines[2]!),
      `/esc sSb[r] "\\x1b[31mred\\n" 's\\x07 [16b${
        " ab".repeat(16)
      }] [ 11223344 ]`,
    );
    assertMatch(
      dump.errors.find((l) => l.startsWith("error:"))!,
      /^error: cannot receive from "127\.0\.0\.1:\d+": bad OSC: not an OSC packet: it must start with \/ \(a message\) or #bundle at byte 0$/,
    );
  } finally {
    assertEquals(await dump.stop("SIGINT"), 0);
  }
});

Deno.test("osc dump --json: typed arguments, timetags and enclosing bundles", async () => {
  const dump = await LineProcess.sockit(["osc", "dump", "--json", "0"]);
  try {
    await sendRaw(dump.port, [
      encodeOsc({
        timetag: 0xe9a1b2c3_80000000n,
        elements: [{
          address: "/j",
          args: [
            { type: "h", value: -9000000000n },
            { type: "b", value: new Uint8Array([0, 0xff]) },
            { type: "f", value: Infinity },
            { type: "T" },
            { type: "N" },
          ],
        }],
      }),
      new Uint8Array([0x2f, 0x61, 0, 0, 0x2c, 0x51, 0, 0]),
    ]);
    await dump.waitFor((lines) =>
      lines.filter((l) => l.includes('"osc"') || l.includes('"error"'))
        .length >= 2
    );
    const events = dump.lines.map((l) =>
      JSON.parse(l) as Record<string, unknown>
    );
    const osc = events.find((e) => e.event === "osc")!;
    assertEquals(osc.address, "/j");
    assertEquals(osc.args, [
      { type: "h", value: "-9000000000" },
      { type: "b", value: "00ff" },
      { type: "f", value: "Infinity" },
      { type: "T", value: true },
      { type: "N", value: null },
    ]);
    assertEquals(osc.timetag, {
      ntp: "e9a1b2c3.80000000",
      iso: "2024-03-17T18:19:47.500Z",
    });
    assertEquals(osc.bundle, [{
      ntp: "e9a1b2c3.80000000",
      iso: "2024-03-17T18:19:47.500Z",
    }]);
    assertEquals(osc.transport, "udp");
    const error = events.find((e) => e.event === "error")!;
    assertEquals(error.code, "malformed");
    assertMatch(String(error.message), /unknown type tag "Q" at byte 5$/);
  } finally {
    assertEquals(await dump.stop("SIGTERM"), 0);
  }
});

Deno.test("osc dump osc.tcp://:0: size prefix and SLIP (auto), a SLIP stream opening with END #bundle", async () => {
  const dump = await LineProcess.sockit(["osc", "dump", "osc.tcp://:0"]);
  try {
    const bundle = encodeOsc({
      timetag: 1n,
      elements: [{ address: "/slip/bundle", args: [] }],
    });
    const message = encodeOsc({
      address: "/size",
      args: [{ type: "i", value: 7 }],
    });
    for (
      const stream of [
        new Uint8Array([0xc0, ...bundle, 0xc0]),
        new Uint8Array([...frameSize(message), ...frameSize(message)]),
      ]
    ) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: dump.port,
      });
      for (let i = 0; i < stream.length; i += 5) {
        await conn.write(stream.subarray(i, i + 5));
      }
      conn.close();
    }
    await dump.waitForLines(3);
    assertEquals(dump.lines.map(withoutTime), [
      "/slip/bundle ",
      "/size i 7",
      "/size i 7",
    ]);
  } finally {
    assertEquals(await dump.stop(), 0);
  }
});

Deno.test("osc dump -T: stopped counts every byte its connections sent, framing and garbage too", async () => {
  const dump = await LineProcess.sockit(["osc", "dump", "-T", "-v", "0"]);
  let code: number;
  try {
    const message = encodeOsc({ address: "/a", args: [] });
    for (
      const stream of [
        frameSize(message),
        new TextEncoder().encode("GARBAGE\r\n"),
      ]
    ) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: dump.port,
      });
      await conn.write(stream);
      conn.close();
    }
    await dump.waitFor(
      (all) => all.filter((l) => l.includes("disconnected")).length === 2,
      10_000,
      true,
    );
  } finally {
    code = await dump.stop();
  }
  assertEquals(code, 0);
  // Each connection's closed line counts what it sent; the total must too.
  const sent = dump.errors
    .map((l) => /disconnected \((\d+) bytes\)/.exec(l)?.[1])
    .reduce((sum, n) => sum + Number(n ?? 0), 0);
  assertEquals(sent, 4 + 8 + 9);
  assert(
    dump.errors.includes(
      `stopped: 2 connections, ${sent} bytes in, 0 bytes out`,
    ),
    dump.errors.join("\n"),
  );
});

Deno.test("osc dump --forward passes every packet on unchanged", async () => {
  const target = new PacketCatcher();
  const dump = await LineProcess.sockit([
    "osc",
    "dump",
    "--forward",
    `127.0.0.1:${target.port}`,
    "0",
  ]);
  try {
    const packets = [
      encodeOsc({
        address: "/renoise/song/bpm",
        args: [{ type: "f", value: 127.5 }],
      }),
      encodeOsc({
        timetag: 1n,
        elements: [{ address: "/a", args: [] }, { address: "/b", args: [] }],
      }),
      new Uint8Array([1, 2, 3, 4]),
    ];
    await sendRaw(dump.port, packets);
    await target.waitFor(3);
    assertEquals(target.packets.map(hex), packets.map(hex));
    await dump.waitForLines(3);
  } finally {
    await dump.stop();
    await target.close();
  }
});

Deno.test("record with osc dump, replay with osc send: the same packets again", async () => {
  const first = new PacketCatcher();
  const recorder = await LineProcess.sockit([
    "osc",
    "dump",
    "--forward",
    `127.0.0.1:${first.port}`,
    "0",
  ]);
  const packets = [
    encodeOsc({
      address: "/all",
      args: [
        { type: "i", value: -5 },
        { type: "h", value: -9000000000n },
        { type: "f", value: 0.5 },
        { type: "d", value: 0.25 },
        { type: "s", value: 'say "hi"\tthere' },
        { type: "S", value: "sym" },
        { type: "S", value: "two words' \\ end" },
        { type: "c", value: "'" },
        { type: "c", value: " " },
        { type: "m", value: new Uint8Array([1, 0x90, 0x40, 0x7f]) },
        { type: "b", value: new Uint8Array([0, 0xc0, 0xff]) },
        { type: "t", value: 0x0123456789abcdefn },
        { type: "r", value: 0xff0000ff },
        { type: "[", value: [{ type: "T" }, { type: "F" }] },
        { type: "N" },
        { type: "I" },
      ],
    }),
    encodeOsc({ address: "/empty", args: [] }),
    encodeOsc({
      timetag: 1n,
      elements: [{ address: "/b1", args: [{ type: "i", value: 1 }] }, {
        address: "/b2",
        args: [],
      }],
    }),
  ];
  let recording: string[];
  try {
    for (const packet of packets) {
      await sendRaw(recorder.port, [packet]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await recorder.waitForLines(4);
    recording = [...recorder.lines];
  } finally {
    await recorder.stop();
  }
  const second = new PacketCatcher();
  try {
    const replay = await runCli([
      "osc",
      "send",
      "127.0.0.1",
      String(second.port),
    ], {
      stdin: recording.join("\n") + "\n",
    });
    assertEquals([replay.code, replay.stderr], [0, ""]);
    await second.waitFor(3);
    assertEquals(second.packets.map(hex), packets.map(hex));
    assert(first.packets.length === 3);
  } finally {
    await first.close();
    await second.close();
  }
});

Deno.test("osc dump: a bad port or framing is exit 2", async () => {
  const results = await Promise.all([
    runCli(["osc", "dump", "70000"]),
    runCli(["osc", "dump", "-T", "--framing", "none", "0"]),
    runCli(["osc", "dump", "--forward", "nohost", "0"]),
  ]);
  assertEquals(results.map((r) => r.code), [2, 2, 2]);
  assertEquals(
    results[1]!.stderr,
    'sockit: --framing: framing "none" is not auto, size or slip\n',
  );
});

Deno.test("osc dump: a UDP URL with -T, or --framing over UDP, is exit 2, as on osc send", async () => {
  const results = await Promise.all([
    runCli(["osc", "dump", "-T", "osc.udp://:0"], { timeoutMs: 5_000 }),
    runCli(["osc", "dump", "--framing", "slip", "0"], { timeoutMs: 5_000 }),
    runCli(["osc", "dump", "--framing", "size", "osc.udp://:0"], {
      timeoutMs: 5_000,
    }),
  ]);
  assertEquals(results.map((r) => [r.code, r.stderr]), [
    [2, 'sockit: "osc.udp://:0" is a UDP URL, but -T was given\n'],
    [2, "sockit: --framing slip needs TCP (-T or osc.tcp://)\n"],
    [2, "sockit: --framing size needs TCP (-T or osc.tcp://)\n"],
  ]);
  // auto, the default, is fine either way; osc.tcp:// stands for -T.
  const tcp = await LineProcess.sockit([
    "osc",
    "dump",
    "--framing",
    "slip",
    "osc.tcp://:0",
  ]);
  assertMatch(tcp.errors.join("\n"), /listening on tcp /);
  assertEquals(await tcp.stop(), 0);
});

Deno.test("osc dump -T --forward sends each packet size-prefixed over one TCP connection", async () => {
  const sink = tcpSink();
  const dump = await LineProcess.sockit([
    "osc",
    "dump",
    "-T",
    "--forward",
    `127.0.0.1:${sink.port}`,
    "0",
  ]);
  const packets = [
    encodeOsc({ address: "/one", args: [{ type: "i", value: 1 }] }),
    encodeOsc({ address: "/two", args: [] }),
  ];
  try {
    // SLIP in, size prefix out: the packets themselves are unchanged.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: dump.port });
    await conn.write(
      new Uint8Array([...packets[0]!, 0xc0, ...packets[1]!, 0xc0]),
    );
    conn.close();
    await dump.waitForLines(2);
  } finally {
    assertEquals(await dump.stop(), 0);
    sink.close();
  }
  assertEquals(
    hex(await sink.received),
    hex(new Uint8Array([...frameSize(packets[0]!), ...frameSize(packets[1]!)])),
  );
});
