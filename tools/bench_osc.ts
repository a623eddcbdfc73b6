/**
 * OSC codec rates, sockit's `lib/osc` against `npm:osc-min` in the same
 * run (a bench-only import), and `osc dump` at a fixed UDP send rate.
 *
 *     deno run --allow-net --allow-run --allow-read tools/bench_osc.ts
 *
 * @module
 */
import * as oscMin from "osc-min";
import {
  decodeOsc,
  encodeOsc,
  type OscArgument,
  type OscMessage,
} from "../lib/mod.ts";

const NOTE_ON: OscMessage = {
  address: "/renoise/trigger/note_on",
  args: [1, -1, 48, 100].map((value) => ({ type: "i", value })),
};
const NOTE_ON_MIN: oscMin.OscMessageInput = {
  address: "/renoise/trigger/note_on",
  args: [1, -1, 48, 100].map((value) => ({ type: "integer", value })),
};

const blob = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const MIXED_ARGS: [OscArgument, oscMin.OscArgInput][] = [
  [{ type: "i", value: 42 }, { type: "integer", value: 42 }],
  [{ type: "f", value: 0.5 }, { type: "float", value: 0.5 }],
  [{ type: "s", value: "hello" }, { type: "string", value: "hello" }],
  [{ type: "d", value: 1e100 }, { type: "double", value: 1e100 }],
  [{ type: "h", value: -9000000000n }, { type: "bigint", value: -9000000000n }],
  [{ type: "T" }, { type: "true" }],
  [{ type: "F" }, { type: "false" }],
  [{ type: "N" }, { type: "null" }],
  [{ type: "b", value: blob }, { type: "blob", value: blob }],
  [{ type: "c", value: "A" }, { type: "character", value: "A" }],
  [{ type: "m", value: new Uint8Array([1, 0x90, 0x40, 0x7f]) }, {
    type: "midi",
    value: [1, 0x90, 0x40, 0x7f],
  }],
  [{ type: "S", value: "symbol" }, { type: "symbol", value: "symbol" }],
  [{ type: "t", value: (3_900_000_000n << 32n) | 5n }, {
    type: "timetag",
    value: [3_900_000_000, 5],
  }],
  [{ type: "i", value: -7 }, { type: "integer", value: -7 }],
  [{ type: "f", value: 127.5 }, { type: "float", value: 127.5 }],
  [{ type: "s", value: "renoise.song().transport.bpm = 234" }, {
    type: "string",
    value: "renoise.song().transport.bpm = 234",
  }],
  [{ type: "i", value: 100 }, { type: "integer", value: 100 }],
  [{ type: "f", value: -0.25 }, { type: "float", value: -0.25 }],
  [{ type: "s", value: "x" }, { type: "string", value: "x" }],
  [{ type: "I" }, { type: "bang" }],
];
const MIXED: OscMessage = {
  address: "/mixed/twenty",
  args: MIXED_ARGS.map(([ours]) => ours),
};
const MIXED_MIN: oscMin.OscMessageInput = {
  address: "/mixed/twenty",
  args: MIXED_ARGS.map(([, theirs]) => theirs),
};

/** Sends argv[4] (hex) to 127.0.0.1:argv[1], argv[2] per second, argv[3] in all. */
const SENDER = `
import socket, sys, time
port, rate, total, packet = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
batch = rate // 1000
start = time.perf_counter()
sent = 0
while sent < total:
    for _ in range(batch):
        s.sendto(packet, ("127.0.0.1", port))
    sent += batch
    delay = start + sent / rate - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
`;

function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Operations per second of `fn`, over about `ms` after a warm-up. */
function rate(fn: () => unknown, ms = 700): number {
  for (let i = 0; i < 2000; i++) fn();
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) fn();
    count += 1000;
    elapsed = performance.now() - started;
  }
  return count / (elapsed / 1000);
}

function line(name: string, ours: number, theirs: number): void {
  console.log(
    `${name.padEnd(28)} sockit ${
      (ours / 1000).toFixed(0).padStart(7)
    } k/s  osc-min ${(theirs / 1000).toFixed(0).padStart(7)} k/s  ratio ${
      (ours / theirs).toFixed(2)
    } (higher is better)`,
  );
}

/** Encode and decode rates for both messages, both codecs. */
export function codecBench(): void {
  for (
    const [name, ours, theirs] of [
      ["note_on ,iiii", NOTE_ON, NOTE_ON_MIN],
      ["20-argument mixed", MIXED, MIXED_MIN],
    ] as const
  ) {
    const bytes = encodeOsc(ours);
    const theirBytes = new Uint8Array(
      oscMin.toBuffer(theirs).buffer as ArrayBuffer,
    );
    if (bytes.length !== theirBytes.length) {
      throw new Error(`${name}: ${bytes.length} vs ${theirBytes.length} bytes`);
    }
    line(
      `osc encode ${name}`,
      rate(() => encodeOsc(ours)),
      rate(() => oscMin.toBuffer(theirs)),
    );
    line(
      `osc decode ${name}`,
      rate(() => decodeOsc(bytes)),
      rate(() => oscMin.fromBuffer(bytes)),
    );
  }
}

/** The plainest Deno UDP printer: one receive, one synchronous line write. */
const REFERENCE_DUMP = `
const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
console.error("listening on udp 127.0.0.1:" + conn.addr.port);
const buffer = new Uint8Array(65536);
const encoder = new TextEncoder();
while (true) {
  const [data] = await conn.receive(buffer);
  Deno.stdout.writeSync(encoder.encode("message " + data.length + "\\n"));
}
`;

/**
 * Sends `total` note_on datagrams at `perSecond` to a printer whose stdout
 * is a pipe that is read and counted; returns the share of lines printed
 * and the send rate reached.
 */
async function dumpRun(
  args: string[],
  perSecond: number,
  total: number,
): Promise<{ share: number; sendRate: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", "--unstable-net", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = child.stderr.getReader();
  const banner = new TextDecoder().decode((await errors.read()).value);
  const port = Number(/:(\d+)/.exec(banner)?.[1]);
  let lines = 0;
  let lastLine = performance.now();
  const counting = (async () => {
    for await (const chunk of child.stdout) {
      for (const byte of chunk) if (byte === 10) lines++;
      lastLine = performance.now();
    }
  })();
  // Deno awaits each send; python's sendto keeps the pace on a busy machine.
  const started = performance.now();
  const sender = await new Deno.Command("python3", {
    args: [
      "-c",
      SENDER,
      String(port),
      String(perSecond),
      String(total),
      hexOf(encodeOsc(NOTE_ON)),
    ],
  }).output();
  if (!sender.success) {
    throw new Error(new TextDecoder().decode(sender.stderr));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  while (performance.now() - lastLine < 500 && lines < total) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGTERM");
  await child.status;
  await counting;
  errors.releaseLock();
  await child.stderr.cancel();
  return { share: lines / total, sendRate: total / sendSeconds };
}

/**
 * `osc dump` against {@linkcode REFERENCE_DUMP} at `perSecond` note_on
 * datagrams per second: the share of messages printed by each.
 */
export async function dumpBench(
  perSecond = 50_000,
  total = 150_000,
): Promise<void> {
  const main = new URL("../cli/main.ts", import.meta.url).pathname;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, REFERENCE_DUMP);
  const reference = await dumpRun([file], perSecond, total);
  const ours = await dumpRun([main, "osc", "dump", "0"], perSecond, total);
  await Deno.remove(file);
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  console.log(
    `${"osc dump lines printed".padEnd(28)} sockit ${
      percent(ours.share).padStart(7)
    } at ${(ours.sendRate / 1000).toFixed(1)}k msg/s  reference ${
      percent(reference.share).padStart(7)
    } at ${(reference.sendRate / 1000).toFixed(1)}k msg/s (asked ${
      perSecond / 1000
    }k/s)`,
  );
}

if (import.meta.main) {
  codecBench();
  await dumpBench();
}
