/**
 * The differential matrix for `send` over TCP (issue 8, "Proof"): five
 * receivers, two input sizes and three ways to end, each asserting the
 * bytes the receiver got (sha256), what `send` printed and its exit code,
 * as the README's table says. Wherever OpenBSD nc (-N) or ncat deliver the
 * whole input to a receiver, sockit must too.
 *
 * @module
 */
import { assert, assertEquals } from "./_assert.ts";
import { has, randomBytes, runCli, sha256 } from "./_cli.ts";

/** Bytes (c) and (d) read before they answer and go. */
const N = 10;
/** What every receiver that answers sends: 4 KiB, as in the issue. */
const REPLY = "bytes(range(256)) * 16";

type Receiver = "a" | "b" | "c" | "d" | "e";

/** Each receiver as the body of a Python function of `c`, the accepted socket. */
const RECEIVERS: Record<Receiver, string> = {
  // (a) reads everything, answers, closes.
  a: `data = read_all(c); c.sendall(${REPLY}); c.close(); return data`,
  // (b) answers and half-closes at accept (nc -l -N < /dev/null), reads all.
  b: `c.sendall(${REPLY}); c.shutdown(socket.SHUT_WR); data = read_all(c); c.close(); return data`,
  // (c) reads N bytes, answers, closes with input unread (the kernel resets).
  c: `data = read_n(c, ${N}); c.sendall(${REPLY}); c.close(); return data`,
  // (d) reads N bytes, answers, resets.
  d: `data = read_n(c, ${N}); c.sendall(${REPLY}); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close(); return data`,
  // (e) never reads; goes after 2.5 s, well after -q 1s has ended small input.
  e: `time.sleep(2.5); c.close(); return b""`,
};

/**
 * One Python process for every cell (Python's start-up is the slowest part
 * of a cell on a loaded machine): one listener per cell, each served once
 * in its own thread, reporting `port bytes sha256` when done.
 */
const FARM = `
import hashlib, socket, struct, sys, threading, time
def read_all(c):
    got = bytearray()
    while True:
        chunk = c.recv(1 << 20)
        if not chunk:
            return bytes(got)
        got += chunk
def read_n(c, n):
    got = bytearray()
    while len(got) < n:
        chunk = c.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return bytes(got)
${
  Object.entries(RECEIVERS).map(([name, body]) =>
    `def receiver_${name}(c):\n    ${body.replaceAll("; ", "\n    ")}`
  ).join("\n")
}
lock = threading.Lock()
def serve(listener, kind):
    c, _ = listener.accept()
    try:
        data = globals()["receiver_" + kind](c)
    except OSError:
        data = b""
    with lock:
        print(listener.getsockname()[1], len(data), hashlib.sha256(data).hexdigest(), flush=True)
ports = []
for kind in sys.argv[1:]:
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
    ports.append(str(l.getsockname()[1]))
    threading.Thread(target=serve, args=(l, kind)).start()
print(" ".join(ports), flush=True)
`;

/** The receivers of a whole test, started at once. */
class ReceiverFarm {
  #child: Deno.ChildProcess;
  #lines: string[] = [];
  #ports: number[] = [];
  #done: Promise<void>;

  private constructor(kinds: Receiver[]) {
    const child = new Deno.Command("python3", {
      args: ["-c", FARM, ...kinds],
      stdout: "piped",
    }).spawn();
    this.#child = child;
    this.#done = (async () => {
      let pending = "";
      for await (const chunk of child.stdout) {
        pending += new TextDecoder().decode(chunk);
        const parts = pending.split("\n");
        pending = parts.pop()!;
        this.#lines.push(...parts);
      }
    })();
  }

  static async start(kinds: Receiver[]): Promise<ReceiverFarm> {
    const farm = new ReceiverFarm(kinds);
    const deadline = Date.now() + 20_000;
    while (farm.#lines.length === 0) {
      if (Date.now() > deadline) throw new Error("receivers did not start");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    farm.#ports = farm.#lines[0]!.split(" ").map(Number);
    return farm;
  }

  port(index: number): number {
    return this.#ports[index]!;
  }

  /** `bytes sha256` of what the receiver on `port` got, once it is done. */
  async got(port: number): Promise<string> {
    const deadline = Date.now() + 20_000;
    while (true) {
      const line = this.#lines.slice(1).find((l) => l.startsWith(`${port} `));
      if (line) return line.slice(`${port} `.length);
      if (Date.now() > deadline) return "no report";
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
    await this.#done;
    await this.#child.status;
  }
}

type Mode = "default" | "-q" | "--no-shutdown";

const MODE_ARGS: Record<Mode, string[]> = {
  default: [],
  "-q": ["-q", "1s"],
  // Bounded by -q: without it, (a) and sockit would wait for each other
  // forever, as with nc without -N.
  "--no-shutdown": ["--no-shutdown", "-q", "1s"],
};

/** What the receiver got ("all" or a byte count), what send printed, its exit code. */
interface Expected {
  delivered: "all" | number;
  printed: "reply" | "";
  code: number;
}

const SMALL = 1000;
/** 20 MB where it matters (a half-closing peer, a peer that never reads); a few MB elsewhere. */
const BIG: Record<Receiver, number> = {
  a: 4_000_000,
  b: 20_000_000,
  c: 4_000_000,
  d: 4_000_000,
  e: 20_000_000,
};

/** The README's table, cell by cell. */
function expected(receiver: Receiver, big: boolean, mode: Mode): Expected {
  switch (receiver) {
    case "a":
      // Without a half-close (a) never answers: -q ends the wait.
      return mode === "--no-shutdown"
        ? { delivered: "all", printed: "", code: 0 }
        : { delivered: "all", printed: "reply", code: 0 };
    case "b":
      return { delivered: "all", printed: "reply", code: 0 };
    case "c":
    case "d":
      return { delivered: N, printed: "reply", code: 1 };
    case "e":
      // Small input is written at once and -q ends the session before the
      // peer goes; 20 MB never finishes writing, so the reset ends it.
      return {
        delivered: 0,
        printed: "",
        code: !big && mode !== "default" ? 0 : 1,
      };
  }
}

const inputs = new Map<number, Uint8Array>();
function input(size: number): Uint8Array {
  let bytes = inputs.get(size);
  if (!bytes) inputs.set(size, bytes = randomBytes(size));
  return bytes;
}

async function replySha(): Promise<string> {
  return await sha256(Uint8Array.from({ length: 4096 }, (_, i) => i % 256));
}

/** Runs one sender against receiver `index` of `farm`; returns what each side saw. */
async function cell(
  farm: ReceiverFarm,
  index: number,
  size: number,
  sender: (port: number, stdin: Uint8Array) => Promise<SenderResult>,
): Promise<{ got: string; sender: SenderResult }> {
  const port = farm.port(index);
  const result = await sender(port, input(size));
  return { got: await farm.got(port), sender: result };
}

interface SenderResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

function sockit(mode: Mode) {
  return (port: number, stdin: Uint8Array) =>
    runCli(["send", ...MODE_ARGS[mode], "127.0.0.1", String(port)], {
      stdin,
      timeoutMs: 15_000,
    });
}

function peerSender(command: string, args: string[]) {
  return async (port: number, stdin: Uint8Array): Promise<SenderResult> => {
    const child = new Deno.Command(command, {
      args: [...args, "127.0.0.1", String(port)],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const writer = child.stdin.getWriter();
    const feeding = writer.write(stdin).then(() => writer.close()).catch(
      () => {},
    );
    const output = await child.output();
    await feeding;
    clearTimeout(timer);
    return {
      code: output.code,
      stdout: output.stdout,
      stderr: new TextDecoder().decode(output.stderr),
    };
  };
}

/** Runs `tasks` two at a time: the machine is shared. */
async function inPairs(tasks: (() => Promise<void>)[]): Promise<void> {
  const queue = [...tasks];
  await Promise.all(
    [0, 1].map(async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await task();
    }),
  );
}

const RECEIVER_NAMES = Object.keys(RECEIVERS) as Receiver[];
const MODES = Object.keys(MODE_ARGS) as Mode[];

Deno.test("send matrix: receivers a-e x small and big stdin x default, -q, --no-shutdown", async () => {
  const reply = await replySha();
  const cells = RECEIVER_NAMES.flatMap((receiver) =>
    [false, true].flatMap((big) =>
      MODES.map((mode) => ({ receiver, big, mode }))
    )
  );
  const farm = await ReceiverFarm.start(cells.map((c) => c.receiver));
  const failures: string[] = [];
  try {
    await inPairs(cells.map(({ receiver, big, mode }, index) => async () => {
      const size = big ? BIG[receiver] : SMALL;
      const want = expected(receiver, big, mode);
      const { got, sender } = await cell(farm, index, size, sockit(mode));
      const wantGot = want.delivered === "all"
        ? `${size} ${await sha256(input(size))}`
        : `${want.delivered} ${await sha256(
          input(size).subarray(0, want.delivered),
        )}`;
      const printed = sender.stdout.length === 0
        ? ""
        : await sha256(sender.stdout) === reply
        ? "reply"
        : `${sender.stdout.length} other bytes`;
      const name = `(${receiver}) ${big ? size : "small"} ${mode}`;
      if (got !== wantGot) {
        failures.push(`${name}: receiver got ${got}, want ${wantGot}`);
      }
      if (printed !== want.printed) {
        failures.push(`${name}: printed ${printed}, want ${want.printed}`);
      }
      if (sender.code !== want.code) {
        failures.push(
          `${name}: exit ${sender.code}, want ${want.code}: ${sender.stderr}`,
        );
      }
    }));
  } finally {
    await farm.stop();
  }
  assertEquals(failures, []);
});

Deno.test({
  name:
    "send matrix: wherever nc -N or ncat deliver the whole input, the table has sockit do it too",
  ignore: !has("nc") || !has("ncat"),
  async fn() {
    // sockit's own cells are the first test's; this one runs the peers
    // against the same receivers and holds the table to them.
    const cells = RECEIVER_NAMES.flatMap((receiver) =>
      [false, true].map((big) => ({ receiver, big }))
    );
    const farm = await ReceiverFarm.start(
      cells.flatMap((c) => [c.receiver, c.receiver]),
    );
    // One line per cell, for the failure message (and the README's table).
    const rows: string[] = [];
    try {
      await inPairs(cells.map(({ receiver, big }, index) => async () => {
        const size = big ? BIG[receiver] : SMALL;
        const all = `${size} ${await sha256(input(size))}`;
        const [nc, ncat] = await Promise.all([
          cell(farm, 2 * index, size, peerSender("nc", ["-N"])),
          cell(farm, 2 * index + 1, size, peerSender("ncat", [])),
        ]);
        const ours = expected(receiver, big, "default").delivered === "all";
        rows.push(
          `(${receiver}) ${size}: nc ${nc.got === all} ${
            nc.got.split(" ")[0]
          } out ${nc.sender.stdout.length} exit ${nc.sender.code} | ncat ${
            ncat.got === all
          } ${
            ncat.got.split(" ")[0]
          } out ${ncat.sender.stdout.length} exit ${ncat.sender.code}`,
        );
        if (nc.got === all || ncat.got === all) {
          assert(ours, `nc or ncat delivered all: ${rows.at(-1)}`);
        }
      }));
    } finally {
      await farm.stop();
    }
  },
});
