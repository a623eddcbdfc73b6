import { seededRandom } from "./_seeded_random.ts";
import { assert, assertEquals } from "../_assert.ts";
import { runCli } from "../_cli.ts";
import { runGet } from "../../cli/run/get.ts";
import { failureOf } from "../../cli/_failure.ts";
import { mib, pool, record, sleep } from "./_report.ts";

const CASES = 1000;
const IDLE_MS = 300;
const encoder = new TextEncoder();

type Step = Uint8Array | { pause: number } | "stall";

/** The hostile response for case `index`: bytes, pauses, and an ending. */
function scenario(index: number): { kind: string; steps: Step[] } {
  const rand = seededRandom(index + 1);
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const text = (s: string) => encoder.encode(s);
  const valid = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  const kinds: (() => { kind: string; steps: Step[] })[] = [
    () => ({ kind: "random bytes", steps: [bytes(int(2000))] }),
    () => ({
      kind: "truncated body",
      steps: [
        text(`HTTP/1.1 200 OK\r\nContent-Length: ${100 + int(1000)}\r\n\r\n`),
        bytes(int(100)),
      ],
    }),
    () => ({
      kind: "absurd length",
      steps: [
        text("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\n"),
        bytes(int(5000)),
      ],
    }),
    () => ({
      kind: "absurd chunk",
      steps: [
        text(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
        ),
        bytes(int(5000)),
      ],
    }),
    () => ({
      kind: "garbage chunk size",
      steps: [
        text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
        bytes(1 + int(20)),
        text("\r\n"),
      ],
    }),
    () => ({
      kind: "huge head",
      steps: [
        text("HTTP/1.1 200 OK\r\n"),
        ...Array.from(
          { length: 70 },
          () => text(`X-${int(1e6)}: ${"v".repeat(1000)}\r\n`),
        ),
      ],
    }),
    () => ({
      kind: "slowloris",
      steps: [...text(valid.slice(0, 10 + int(30)))].flatMap((
        b,
      ) => [new Uint8Array([b]), { pause: int(IDLE_MS / 3) }]),
    }),
    () => ({ kind: "valid", steps: [text(valid)] }),
    () => {
      const body = bytes(int(3000));
      const parts: Uint8Array[] = [
        text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
      ];
      for (let at = 0; at < body.length;) {
        const size = 1 + int(500);
        const piece = body.subarray(at, at + size);
        parts.push(
          text(`${piece.length.toString(16)}\r\n`),
          piece,
          text("\r\n"),
        );
        at += size;
      }
      parts.push(text("0\r\n\r\n"));
      return { kind: "valid chunked", steps: parts };
    },
    () => ({
      kind: "head then silence",
      steps: [text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), "stall"],
    }),
    () => {
      const mutated = text(valid);
      for (let k = 0; k < 1 + int(4); k++) {
        mutated[int(mutated.length)] = int(256);
      }
      return { kind: "mutated", steps: [mutated] };
    },
    () => ({
      kind: "conflicting lengths",
      steps: [
        text(
          "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        ),
      ],
    }),
    () => ({ kind: "immediate close", steps: [] }),
    () => ({
      kind: "endless 100s",
      steps: Array.from(
        { length: 200 },
        () => text("HTTP/1.1 100 Continue\r\n\r\n"),
      ),
    }),
  ];
  return kinds[int(kinds.length)]!();
}

/** A raw server that plays `scenario(n)` to whoever asks for `/case/n`. */
function startHostileServer(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) playScenario(conn);
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await serving;
    },
  };
}

async function playScenario(conn: Deno.Conn): Promise<void> {
  try {
    const buffer = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const count = await conn.read(buffer);
      if (count === null) break;
      head += new TextDecoder().decode(buffer.subarray(0, count));
    }
    const index = Number(/GET \/case\/(\d+)/.exec(head)?.[1]);
    for (const step of scenario(index).steps) {
      if (step === "stall") await sleep(IDLE_MS * 4);
      else if (step instanceof Uint8Array) {
        for (let at = 0; at < step.length;) {
          at += await conn.write(step.subarray(at));
        }
      } else await sleep(step.pause);
    }
  } catch {
    // get hung up first: the verdict is on get's side.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

Deno.test("stress: get meets 1,000 randomized hostile responses: exit 0 or 1, one line, no hang", async () => {
  const server = startHostileServer();
  const base = `http://127.0.0.1:${server.port}`;
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const outcomes = new Map<string, number>();
  let slowest = 0;
  const started = performance.now();
  await pool(CASES, 32, async (index) => {
    const caseStarted = performance.now();
    let code: number;
    let message: string | undefined;
    try {
      code = await runGet(`${base}/case/${index}`, {
        connectTimeout: 2000,
        idleTimeout: IDLE_MS,
        maxRedirs: 0,
        output: "/dev/null",
      });
    } catch (error) {
      ({ code, message } = failureOf(error));
    }
    const took = performance.now() - caseStarted;
    slowest = Math.max(slowest, took);
    peak = Math.max(peak, Deno.memoryUsage().rss);
    const { kind } = scenario(index);
    assert(
      code === 0 || code === 1,
      `case ${index} (${kind}): exit ${code}: ${message}`,
    );
    if (code === 1) {
      assert(
        message && !message.includes("\n"),
        `case ${index} (${kind}): ${message}`,
      );
    }
    if (kind === "valid" || kind === "valid chunked") {
      assertEquals(code, 0, `case ${index}: ${message}`);
    }
    // Slowloris trickles for up to 40 x 100 ms, under the idle timeout.
    assert(took < 8000, `case ${index} (${kind}) took ${took} ms`);
    const key = `${kind}: exit ${code}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  await server.close();
  record(
    "hostile http",
    `${CASES} responses in ${seconds.toFixed(1)} s; slowest ${
      slowest.toFixed(0)
    } ms; rss +${mib(peak - before)}`,
  );
  record(
    "hostile outcomes",
    [...outcomes].sort().map(([k, n]) => `${k} x${n}`).join("; "),
  );
  assert(peak - before < 64 * 1024 * 1024, `rss grew by ${mib(peak - before)}`);
});

Deno.test("stress: hostile responses through the real process: exit code and one stderr line", async () => {
  const server = startHostileServer();
  // One case of every kind, picked by seed.
  const byKind = new Map<string, number>();
  for (let index = 0; byKind.size < 14 && index < CASES; index++) {
    const { kind } = scenario(index);
    if (!byKind.has(kind)) byKind.set(kind, index);
  }
  await pool(byKind.size, 4, async (i) => {
    const [kind, index] = [...byKind][i]!;
    const result = await runCli(
      [
        "get",
        "--idle-timeout",
        `${IDLE_MS}ms`,
        "-o",
        "/dev/null",
        `http://127.0.0.1:${server.port}/case/${index}`,
      ],
      { permissions: ["--allow-net", "--allow-read", "--allow-write"] },
    );
    assert(
      result.code === 0 || result.code === 1,
      `${kind}: exit ${result.code}`,
    );
    const lines = result.stderr === ""
      ? []
      : result.stderr.trimEnd().split("\n");
    assertEquals(
      lines.length,
      result.code === 0 ? 0 : 1,
      `${kind}: ${result.stderr}`,
    );
    assert(
      !/\n\s+at /.test(result.stderr),
      `${kind}: stack trace: ${result.stderr}`,
    );
  });
  await server.close();
});
