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
import { decodeOsc, type OscBundle, type OscMessage } from "../lib/mod.ts";

const CASES: string[][] = [
  ["/renoise/song/bpm", "f", "127.5"],
  ["/renoise/trigger/note_on", "iiii", "1", "-1", "48", "100"],
  ["/renoise/evaluate", "s", "renoise.song().transport.bpm = 234"],
  ["/renoise/transport/start"],
  ["/neg", "iifh", "-4", "-6", "-0.5", "-9000000000"],
  [
    "/all",
    "ihfdsScmTFNI",
    "7",
    "-9000000000",
    "0.5",
    "1e300",
    "hi there",
    "sym",
    "X",
    "00904060",
  ],
];

Deno.test({
  name:
    "osc send: each message is the datagram `oscsend -` writes, negative values included",
  ignore: !has("oscsend"),
  async fn() {
    const catcher = new PacketCatcher();
    try {
      for (const [i, args] of CASES.entries()) {
        const result = await runCli([
          "osc",
          "send",
          ...(i % 2 ? [`osc.udp://127.0.0.1:${catcher.port}`] : [
            "127.0.0.1",
            String(catcher.port),
          ]),
          ...args,
        ]);
        assertEquals(result.stderr, "");
        assertEquals(result.code, 0);
        await catcher.waitFor(i + 1);
        assertEquals(
          hex(catcher.packets[i]!),
          hex(await oscsend(["-", ...args])),
          args[0],
        );
      }
    } finally {
      await catcher.close();
    }
  },
});

Deno.test("osc send: b, t, r, arrays and --at, which oscsend lacks", async () => {
  const catcher = new PacketCatcher();
  try {
    const result = await runCli([
      "osc",
      "send",
      "--at",
      "2030-01-01T00:00:00Z",
      "127.0.0.1",
      String(catcher.port),
      "/extra",
      "b[it]r",
      "0aff10",
      "-3",
      "00000000.00000001",
      "ff0000ff",
    ]);
    assertEquals([result.code, result.stderr], [0, ""]);
    await catcher.waitFor(1);
    const bundle = decodeOsc(catcher.packets[0]!) as OscBundle;
    assertEquals(
      new Date(Number((bundle.timetag >> 32n) - 2208988800n) * 1000)
        .toISOString(),
      "2030-01-01T00:00:00.000Z",
    );
    assertEquals(bundle.elements, [{
      address: "/extra",
      args: [
        { type: "b", value: new Uint8Array([0x0a, 0xff, 0x10]) },
        {
          type: "[",
          value: [{ type: "i", value: -3 }, { type: "t", value: 1n }],
        },
        { type: "r", value: 0xff0000ff },
      ],
    }]);
  } finally {
    await catcher.close();
  }
});

Deno.test("osc send: a bad value, type or address is exit 2 with one line naming it", async () => {
  const cases: [string[], string][] = [
    [["/a", "ii", "1", "1.5"], 'value #2 "1.5" is not an int32 (type i)'],
    [
      ["/a", "i", "3000000000"],
      'value #1 "3000000000" is not an int32 (type i)',
    ],
    [["/a", "if", "1"], 'value #2 is missing (type f in "if")'],
    [["/a", "i", "1", "2"], 'value #2 "2" is one too many for types "i"'],
    [
      ["/a", "iQ", "1", "2"],
      'type "Q" in "iQ" is not one of i h f d s S c m b t r T F N I [ ]',
    ],
    [["a", "i", "1"], 'address "a" does not start with /'],
    // Still one line, and no escape sequence reaches the terminal.
    [["bad\naddr", "i", "1"], 'address "bad\\naddr" does not start with /'],
    [
      ["/a", "i", "1\x1b[31m"],
      'value #1 "1\\x1b[31m" is not an int32 (type i)',
    ],
    [
      ["/a", "m", "0190"],
      'value #1 "0190" is not 8 hex digits of MIDI (type m)',
    ],
    [["/a", "f", "1e39"], 'value #1 "1e39" is not a float32 (type f)'],
    [["/a", "d", "-1e400"], 'value #1 "-1e400" is not a float64 (type d)'],
    // An NTP timetag (era 0) holds 1900 to 2036.
    ...["2100-01-01T00:00:00Z", "1899-12-31T00:00:00Z"].map((
      time,
    ): [string[], string] => [
      ["/a", "t", time],
      `value #1 "${time}" is not a timetag (ssssssss.ffffffff, ISO 8601 from 1900 to 2036, or immediately) (type t)`,
    ]),
    [
      ["--at", "2100-01-01T00:00:00Z", "/a"],
      '--at "2100-01-01T00:00:00Z" is not an ISO 8601 time from 1900 to 2036, a timetag or +duration',
    ],
    [
      ["--at", "+abc", "/a"],
      '--at "+abc" is not an ISO 8601 time from 1900 to 2036, a timetag or +duration',
    ],
    [
      ["--at", "+1000000h", "/a"],
      '--at "+1000000h" is not an ISO 8601 time from 1900 to 2036, a timetag or +duration',
    ],
  ];
  await Promise.all(cases.map(async ([args, message]) => {
    // Options go before the host.
    const options = args[0] === "--at" ? args.slice(0, 2) : [];
    const rest = args.slice(options.length);
    const result = await runCli([
      "osc",
      "send",
      ...options,
      "127.0.0.1",
      "9",
      ...rest,
    ]);
    assertEquals(result.code, 2, args.join(" "));
    assertEquals(result.stderr, `sockit: ${message}\n`);
  }));
});

Deno.test("osc send -T: refused is exit 1 with one line", async () => {
  const port = freePort("tcp");
  const result = await runCli([
    "osc",
    "send",
    "-T",
    "127.0.0.1",
    String(port),
    "/a",
  ]);
  assertEquals(result.code, 1);
  assertMatch(
    result.stderr,
    /^sockit: cannot connect to "127\.0\.0\.1:\d+": connection refused\n$/,
  );
});

Deno.test({
  name:
    "osc send -T and --slip frame as liblo reads them (stdin lines, two packets)",
  ignore: !has("oscsend"),
  async fn() {
    const a = await oscsend(["-", "/a", "i", "1"]);
    const b = await oscsend(["-", "/b", "s", "x y"]);
    const size = tcpSink();
    const sized = await runCli([
      "osc",
      "send",
      "-T",
      "127.0.0.1",
      String(size.port),
    ], {
      stdin: '/a i 1\n/b s "x y"\n',
    });
    assertEquals(sized.code, 0, sized.stderr);
    const prefix = (n: number) => [0, 0, 0, n];
    assertEquals(
      hex(await size.received),
      hex(
        new Uint8Array([...prefix(a.length), ...a, ...prefix(b.length), ...b]),
      ),
    );
    const slip = tcpSink();
    const slipped = await runCli([
      "osc",
      "send",
      "--slip",
      "127.0.0.1",
      String(slip.port),
    ], {
      stdin: "/a i 1\n/b s 'x y'\n",
    });
    assertEquals(slipped.code, 0, slipped.stderr);
    // No END before the first packet (liblo's detection), double END after.
    assertEquals(
      hex(await slip.received),
      hex(new Uint8Array([...a, 0xc0, 0xc0, ...b, 0xc0])),
    );
  },
});

Deno.test({
  name:
    "osc send to oscdump: UDP, TCP size prefix, TCP SLIP and a bundle arrive as sent",
  ignore: !has("oscdump"),
  async fn() {
    const udpPort = freePort("udp");
    const tcpPort = freePort("tcp");
    const udp = await LineProcess.oscdump([String(udpPort)]);
    const tcp = await LineProcess.oscdump([`osc.tcp://:${tcpPort}`]);
    try {
      const send = (args: string[]) => runCli(["osc", "send", ...args]);
      const results = [
        await send([
          "127.0.0.1",
          String(udpPort),
          "/udp",
          "ifsT",
          "-5",
          "2.5",
          "two words",
        ]),
        await send([
          "--at",
          "+0ms",
          "127.0.0.1",
          String(udpPort),
          "/bundled",
          "h",
          "-9000000000",
        ]),
        await send(["-T", "127.0.0.1", String(tcpPort), "/size", "i", "1"]),
        await send(["--slip", "127.0.0.1", String(tcpPort), "/slip", "s", "x"]),
        await send([`osc.tcp://127.0.0.1:${tcpPort}`, "/url", "c", "Z"]),
      ];
      for (const result of results) {
        assertEquals([result.code, result.stderr], [0, ""]);
      }
      await udp.waitForLines(2);
      await tcp.waitForLines(3);
      assertEquals(udp.lines.map(withoutTime), [
        '/udp ifsT -5 2.500000 "two words" #T',
        "/bundled h -9000000000",
      ]);
      assertEquals(tcp.lines.map(withoutTime), [
        "/size i 1",
        '/slip s "x"',
        "/url c 'Z'",
      ]);
    } finally {
      await udp.stop("SIGINT");
      await tcp.stop("SIGINT");
    }
  },
});

Deno.test("osc send: stdin replays oscdump lines with their spacing, or at once with --no-timing", async () => {
  const catcher = new PacketCatcher();
  try {
    const lines = [
      "# a comment, then a blank line",
      "",
      'e9a1b2c3.00000000 /a s "two words"',
      "e9a1b2c3.80000000 /b Sc 'sym 'A'",
      "e9a1b2c3.80000000 /c mb MIDI [0x01 0x90 0x40 0x7f] [3b 00 0x1 0xfe]",
      "/d TFNI #T #F Nil Infinitum",
    ].join("\n");
    const started = performance.now();
    const timed = await runCli([
      "osc",
      "send",
      "127.0.0.1",
      String(catcher.port),
    ], {
      stdin: lines,
    });
    assertEquals([timed.code, timed.stderr], [0, ""]);
    await catcher.waitFor(3);
    assert(performance.now() - started >= 450, "the half second was kept");
    const packets = catcher.packets.map(decodeOsc);
    assertEquals(packets[0], {
      address: "/a",
      args: [{ type: "s", value: "two words" }],
    });
    // Lines that share a timetag go as one bundle, as oscsendfile does.
    const bundle = packets[1] as OscBundle;
    assertEquals(bundle.timetag, 1n);
    assertEquals((bundle.elements as OscMessage[]).map((m) => m.address), [
      "/b",
      "/c",
    ]);
    assertEquals((bundle.elements[0] as OscMessage).args, [
      { type: "S", value: "sym" },
      { type: "c", value: "A" },
    ]);
    assertEquals((bundle.elements[1] as OscMessage).args, [
      { type: "m", value: new Uint8Array([1, 0x90, 0x40, 0x7f]) },
      { type: "b", value: new Uint8Array([0, 1, 0xfe]) },
    ]);
    assertEquals(packets[2], {
      address: "/d",
      args: [{ type: "T" }, { type: "F" }, { type: "N" }, { type: "I" }],
    });
    const fast = await runCli(
      ["osc", "send", "--no-timing", "127.0.0.1", String(catcher.port)],
      { stdin: "e9a1b2c3.00000000 /x\ne9a1b2d3.00000000 /y\n" },
    );
    assertEquals(fast.code, 0);
    await catcher.waitFor(5);
    const bad = await runCli(
      ["osc", "send", "127.0.0.1", String(catcher.port)],
      {
        stdin: "/ok\n/bad i x\n",
      },
    );
    assertEquals(bad.code, 2);
    assertEquals(
      bad.stderr,
      'sockit: stdin line 2: value #1 "x" is not an int32 (type i)\n',
    );
    // A blob line says what is wrong with it, quoting all of it.
    for (
      const [line, why] of [
        ["[3b 00]", "is not a blob: it says 3 bytes and lists 1"],
        [
          "[13 byte blob]",
          "is oscdump's short form of a blob, which has lost its bytes",
        ],
        ["[00 01]", "is not a blob: it starts with its size, as [3b 01 02 03]"],
      ]
    ) {
      const blob = await runCli(
        ["osc", "send", "127.0.0.1", String(catcher.port)],
        { stdin: `/b b ${line}\n` },
      );
      assertEquals(
        [blob.code, blob.stderr],
        [2, `sockit: stdin line 1: value #1 "${line}" ${why} (type b)\n`],
      );
    }
    // Over 1 MiB, whether the line ends in the read or runs past it.
    const long = `/long s "${"x".repeat(1 << 20)}"`;
    for (const stdin of [`/ok\n${long}\n`, `/ok\n${long}`]) {
      const tooLong = await runCli(
        ["osc", "send", "--no-timing", "127.0.0.1", String(catcher.port)],
        { stdin },
      );
      assertEquals(
        [tooLong.code, tooLong.stderr],
        [2, "sockit: stdin line 2: the line is longer than 1 MiB\n"],
      );
    }
  } finally {
    await catcher.close();
  }
});

Deno.test("osc send --json: connected, one osc event per message, closed", async () => {
  const catcher = new PacketCatcher();
  try {
    const result = await runCli([
      "osc",
      "send",
      "--json",
      "127.0.0.1",
      String(catcher.port),
      "/renoise/song/bpm",
      "f",
      "127.5",
    ]);
    assertEquals(result.code, 0);
    const events = result.text.trim().split("\n").map((l) =>
      JSON.parse(l) as Record<string, unknown>
    );
    assertEquals(events.map((e) => e.event), ["connected", "osc", "closed"]);
    assertEquals(events[1]!.direction, "out");
    assertEquals(events[1]!.args, [{ type: "f", value: 127.5 }]);
    assertEquals(events[2]!.bytesOut, 28);
  } finally {
    await catcher.close();
  }
});

Deno.test("osc send -T --json to a refused port is an error event in the stream too, as send --json's", async () => {
  const port = freePort("tcp");
  const result = await runCli([
    "osc",
    "send",
    "-T",
    "--json",
    "127.0.0.1",
    String(port),
    "/a",
  ]);
  assertEquals(result.code, 1, result.stderr);
  const events = result.text.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(
    events.map((e) => [e.event, e.code, e.peer]),
    [["error", "refused", { address: "127.0.0.1", port }]],
  );
  assertEquals(
    result.stderr,
    `sockit: cannot connect to "127.0.0.1:${port}": connection refused\n`,
  );
});
