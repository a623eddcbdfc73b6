import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  PythonPeer,
  randomBytes,
  readUntil,
  sha256,
  SpawnedServer,
} from "./_cli.ts";
import { createClient } from "../lib/mod.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
/** Echoed round trips of {@linkcode SIZE} bytes: ~1 MB of event lines. */
const ROUNDS = 3000;
const SIZE = 256;

/**
 * `sockit echo-tcp -p 0` whose stdout is read up to the listening line and
 * then not at all, like `| sleep 25`: the pipe fills after ~64 KiB.
 */
async function stalledServer() {
  const child = cliCommand(["echo-tcp", "-p", "0"]).spawn();
  await child.stdin.close();
  const reader = child.stdout.getReader();
  const text = await readUntil(reader, "echo-tcp exited before listening");
  const port = Number(/:(\d+)\n/.exec(text)?.[1]);
  // stderr must not fill up either: nothing should be there, but drain it.
  const stderr = new Response(child.stderr).text();
  return { child, reader, port, text, stderr };
}

/** Echoes ROUNDS messages on one connection; fails on any wrong byte. */
async function pump(port: number): Promise<void> {
  const client = await createClient("127.0.0.1", port);
  const message = new Uint8Array(SIZE).fill(0x61);
  for (let i = 0; i < ROUNDS; i++) {
    await client.send(message);
    const echoed = await client.receive(SIZE, 5000) as string;
    assertEquals(echoed.length, SIZE);
  }
  client.close();
}

Deno.test("a stalled stdout reader never stops the network; events are dropped and counted", async () => {
  const server = await stalledServer();
  const started = Date.now();
  await pump(server.port);
  const elapsed = Date.now() - started;
  // Before the fix every client froze after ~64 KiB of events: this would
  // time out. Generous, for a loaded 2-core machine.
  assert(elapsed < 20_000, `echo took ${elapsed} ms`);
  // The reader comes back: the queue drains, and the next event that gets
  // through is preceded by the count of what was dropped.
  let text = server.text;
  const decoder = new TextDecoder();
  const readUntil = async (count: number) => {
    while (text.split(" disconnected (").length <= count) {
      const { value, done } = await server.reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  };
  await readUntil(1);
  const late = await createClient("127.0.0.1", server.port);
  await late.send("late\n");
  assertEquals(await late.receive("*line", 5000), "late");
  late.close();
  await readUntil(2);
  const notices = [
    ...text.matchAll(/^events dropped: (\d+) \(stdout too slow\)$/gm),
  ];
  assert(notices.length > 0, `no drop notice in:\n${text.slice(-2000)}`);
  const dropped = notices.reduce((sum, match) => sum + Number(match[1]), 0);
  const printed = text.split("\n").filter((l) => l.includes(" sent '"));
  // Every message is either printed or counted, never both, never lost.
  assertEquals(printed.length + dropped, ROUNDS + 1);
  assert(printed.at(-1)?.endsWith(" sent 'late\\n'"), printed.at(-1));
  server.child.kill("SIGTERM");
  while (!(await server.reader.read()).done) {
    // Read to the end, so the `stopped` line finds its reader.
  }
  assertEquals((await server.child.status).code, 0);
  assertEquals(await server.stderr, "");
});

Deno.test("SIGTERM stops a server promptly, exit 0, with its stdout full", async () => {
  const server = await stalledServer();
  await pump(server.port);
  const started = Date.now();
  server.child.kill("SIGTERM");
  const status = await server.child.status;
  const elapsed = Date.now() - started;
  assertEquals(status.code, 0);
  assert(elapsed < 3000, `stop took ${elapsed} ms`);
  await server.reader.cancel();
  assertEquals(await server.stderr, "");
});

/** A bash script with `sockit` defined as the CLI as the tests run it. */
function bashArgs(script: string): string[] {
  return [
    "-c",
    `sockit() { "$DENO" run --quiet --config "$CONFIG" --allow-net "$MAIN" "$@"; }\n${script}`,
  ];
}

const BASH_ENV = {
  DENO: Deno.execPath(),
  CONFIG,
  MAIN,
  NO_COLOR: "1",
};

/** Runs `script` in bash, where `$SOCKIT` is the CLI; returns its stdout. */
async function bash(script: string): Promise<string> {
  const output = await new Deno.Command("bash", {
    args: bashArgs(script),
    env: BASH_ENV,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout);
}

Deno.test("echo-tcp | head -n 1: the server stops with 141 once its reader is gone", async () => {
  // The server's first line goes to head; once a client makes an event,
  // the write fails with EPIPE, and the server must stop, not serve on.
  const child = new Deno.Command("bash", {
    args: bashArgs(
      `sockit echo-tcp -p 0 | head -n 1; echo "code \${PIPESTATUS[0]}"`,
    ),
    env: BASH_ENV,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const port = Number(/listening on tcp 127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
  assert(port > 0, `no listening line: ${text}`);
  // The `connected` event's write may already stop the server: the echo
  // itself is not the point here.
  const client = await createClient("127.0.0.1", port);
  await client.send("hi").catch(() => {});
  const deadline = setTimeout(() => child.kill("SIGKILL"), 10_000);
  while (!text.includes("code ")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(deadline);
  client.close();
  await child.status;
  await new Response(child.stderr).text();
  assertMatch(text, /code 141\n/);
});

Deno.test("send --json | head -c 50: exit 141 while the peer still talks", async () => {
  const peer = await PythonPeer.start(`
c.recv(100)
try:
    for i in range(200):
        c.sendall(b"line %d\\n" % i)
        time.sleep(0.01)
    time.sleep(10)
except OSError:
    pass
`);
  const started = Date.now();
  const out = await bash(
    `sockit send --json 127.0.0.1 ${peer.port} hi | head -c 50 >/dev/null; echo "\${PIPESTATUS[0]}"`,
  );
  const elapsed = Date.now() - started;
  peer.kill();
  await peer.output();
  assertEquals(out.trim(), "141");
  assert(elapsed < 8000, `send took ${elapsed} ms to notice`);
});

/** Bytes back from hex rows (`00000000  68 69 ... |hi|`), in order. */
function unhex(rows: string[]): Uint8Array {
  const bytes: number[] = [];
  for (const row of rows) {
    const hex = row.slice(10, 59).trim();
    for (const pair of hex.split(/\s+/)) bytes.push(parseInt(pair, 16));
  }
  return new Uint8Array(bytes);
}

Deno.test("relay -x into a file: every byte of 1 MiB each way is in the dump", async () => {
  const payload = randomBytes(1 << 20);
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/payload`, payload);
  const echo = await SpawnedServer.start(["echo-tcp", "--port", "0", "-q"]);
  // A file never stalls: the relay waits for it rather than drop rows
  // (socat -x). The client sends it all, half-closes, reads the echo.
  const out = await bash(`
sockit relay -x 0 127.0.0.1:${echo.port} > "${dir}/dump" &
relay=$!
for i in $(seq 200); do grep -q listening "${dir}/dump" && break; sleep 0.05; done
port=$(grep -o '127.0.0.1:[0-9]*' "${dir}/dump" | head -1 | cut -d: -f2)
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
n = 0
while True:
    b = s.recv(65536)
    if not b: break
    n += len(b)
print(n)
' "$port" "${dir}/payload"
for i in $(seq 200); do grep -q disconnected "${dir}/dump" && break; sleep 0.05; done
# $relay is the subshell running the sockit function: signal its deno.
pkill -TERM -P $relay; wait $relay; echo "exit $?"
`);
  await echo.stop();
  assertEquals(out.trim().split("\n"), [String(1 << 20), "exit 0"]);
  const lines = (await Deno.readTextFile(`${dir}/dump`)).split("\n");
  await Deno.remove(dir, { recursive: true });
  assert(!lines.some((l) => l.includes("dropped")), "no event dropped");
  const rows = { ">": [] as string[], "<": [] as string[] };
  let direction: ">" | "<" | undefined;
  for (const line of lines) {
    if (/^[<>] /.test(line)) direction = line[0] as ">" | "<";
    else if (/^[0-9a-f]{8} {2}/.test(line)) rows[direction!].push(line);
    else direction = undefined;
  }
  const want = await sha256(payload);
  assertEquals(await sha256(unhex(rows[">"])), want, "up");
  assertEquals(await sha256(unhex(rows["<"])), want, "down");
});

Deno.test("listen --json into a file: the events hold every byte of a 1 MiB upload", async () => {
  const payload = randomBytes(1 << 20);
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/payload`, payload);
  const out = await bash(`
sockit listen --json 0 < /dev/null > "${dir}/events" &
listen=$!
for i in $(seq 200); do grep -q '"port"' "${dir}/events" && break; sleep 0.05; done
port=$(grep -o '"port":[0-9]*' "${dir}/events" | head -1 | cut -d: -f2)
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.close()
' "$port" "${dir}/payload"
wait $listen; echo "exit $?"
`);
  assertEquals(out.trim(), "exit 0");
  const events = (await Deno.readTextFile(`${dir}/events`)).trim().split("\n")
    .map((line) => JSON.parse(line));
  await Deno.remove(dir, { recursive: true });
  assertEquals(events.filter((e) => e.event === "dropped"), []);
  const chunks = events.filter((e) => e.event === "message").map((e) =>
    e.base64 !== undefined
      ? Uint8Array.from(atob(e.base64), (c) => c.charCodeAt(0))
      : new TextEncoder().encode(e.text)
  );
  const received = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    received.set(chunk, offset);
    offset += chunk.length;
  }
  assertEquals(await sha256(received), await sha256(payload));
});
