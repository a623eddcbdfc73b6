/**
 * `deno task bench`: sockit's echo servers against minimal reference
 * servers, measured in the same run on this machine, so the ratio means
 * something where absolute numbers do not.
 *
 * References (written inline below, started the same way):
 * - TCP: the plainest correct Deno echo, a read/write loop with a fixed
 *   64 KiB buffer per connection and no events.
 * - UDP: `receive()` into one 64 KiB buffer and `send()` straight back.
 * - get: curl against the same in-process HTTP server, one run each (so
 *   sockit's time includes Deno's start-up, about 0.2 s).
 *
 * @module
 */

const MiB = 1024 * 1024;
const TCP_CLIENTS = 8;
const TCP_BYTES_PER_CLIENT = 32 * MiB;
const UDP_DATAGRAMS = 20_000;
const IDLE_CONNECTIONS = 1000;

const REFERENCE_TCP = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: listener.addr.port }));
for await (const conn of listener) {
  (async () => {
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        let offset = 0;
        while (offset < n) offset += await conn.write(buffer.subarray(offset, n));
      }
    } catch { /* reset */ }
    try { conn.close(); } catch { /* closed */ }
  })();
}
`;

const REFERENCE_UDP = `
const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: conn.addr.port }));
const buffer = new Uint8Array(65536);
while (true) {
  const [data, addr] = await conn.receive(buffer);
  await conn.send(data, addr);
}
`;

interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(args: string[]): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...args],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const port = JSON.parse(first.split("\n")[0]!).port as number;
  // Keep draining stdout so a chatty server never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function startReference(source: string): Promise<Server> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, source);
  return startServer(["--allow-net", "--unstable-net", file]);
}

function startSockit(command: "echo-tcp" | "echo-udp"): Promise<Server> {
  const main = new URL("../cli/main.ts", import.meta.url).pathname;
  return startServer([
    "--allow-net",
    main,
    command,
    "--port",
    "0",
    "--json",
    "-q",
    // Each bench sender ping-pongs at full speed, which is exactly what the
    // per-source rate limit exists to stop: measure the echo, not the limit.
    ...(command === "echo-tcp" ? ["-m", "5000"] : ["--rate", "0"]),
  ]);
}

function rss(pid: number): number {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/status`] })
    .outputSync();
  const status = new TextDecoder().decode(output.stdout);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

/** MiB/s echoed through `port` by TCP_CLIENTS clients in parallel. */
async function tcpThroughput(port: number): Promise<number> {
  const block = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  const started = performance.now();
  await Promise.all(Array.from({ length: TCP_CLIENTS }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const reading = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      let total = 0;
      while (total < TCP_BYTES_PER_CLIENT) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error("server closed early");
        total += n;
      }
    })();
    for (let sent = 0; sent < TCP_BYTES_PER_CLIENT; sent += block.length) {
      let offset = 0;
      while (offset < block.length) {
        offset += await conn.write(block.subarray(offset));
      }
    }
    await reading;
    conn.close();
  }));
  const seconds = (performance.now() - started) / 1000;
  return (TCP_CLIENTS * TCP_BYTES_PER_CLIENT) / MiB / seconds;
}

/** Datagrams per second answered, one outstanding at a time per sender. */
async function udpRate(port: number): Promise<number> {
  const senders = 4;
  const perSender = UDP_DATAGRAMS / senders;
  const started = performance.now();
  await Promise.all(Array.from({ length: senders }, async () => {
    const conn = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    const target: Deno.NetAddr = {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    };
    const payload = new Uint8Array(512);
    const buffer = new Uint8Array(65536);
    for (let i = 0; i < perSender; i++) {
      await conn.send(payload, target);
      await conn.receive(buffer);
    }
    conn.close();
  }));
  return UDP_DATAGRAMS / ((performance.now() - started) / 1000);
}

/** Bytes of server RSS per idle connection. */
async function idleCost(server: Server): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = rss(server.pid);
  const conns = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i++) {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await conn.write(new Uint8Array([1]));
    await conn.read(new Uint8Array(1));
    conns.push(conn);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = rss(server.pid);
  for (const conn of conns) conn.close();
  return (after - before) / IDLE_CONNECTIONS;
}

async function compare(
  name: string,
  unit: string,
  measure: (server: Server) => Promise<number>,
  startOurs: () => Promise<Server>,
  startRef: () => Promise<Server>,
  lowerIsBetter = false,
): Promise<void> {
  if (!wanted(name)) return;
  const ref = await startRef();
  const reference = await measure(ref);
  await ref.stop();
  const our = await startOurs();
  const ours = await measure(our);
  await our.stop();
  const ratio = lowerIsBetter ? reference / ours : ours / reference;
  console.log(
    `${name.padEnd(28)} sockit ${ours.toFixed(1).padStart(9)} ${
      unit.padEnd(10)
    } reference ${reference.toFixed(1).padStart(9)} ${unit.padEnd(10)} ratio ${
      ratio.toFixed(2)
    } (higher is better)`,
  );
}

/**
 * A one-shot HTTP server in this process: writes `response` to each
 * client, `trickle` bytes per write when set (each write its own segment).
 */
function startHttp(
  response: Uint8Array,
  trickle?: number,
): { port: number; stop(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        try {
          conn.setNoDelay(true);
          await conn.read(new Uint8Array(65536));
          const step = trickle ?? response.length;
          for (let at = 0; at < response.length; at += step) {
            let part = response.subarray(
              at,
              Math.min(at + step, response.length),
            );
            while (part.length > 0) {
              part = part.subarray(await conn.write(part));
            }
          }
        } catch { /* the client gave up */ }
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { port: listener.addr.port, stop: () => listener.close() };
}

/** Seconds `command` takes to fetch from `port`, its output discarded. */
async function fetchSeconds(command: string[], bytes: number): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdout: "piped",
    stderr: "null",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success || out.stdout.length !== bytes) {
    throw new Error(
      `${command.join(" ")}: exit ${out.code}, ${out.stdout.length} bytes`,
    );
  }
  return seconds;
}

/** sockit get against curl on one response; prints a row. */
async function compareGet(
  name: string,
  response: Uint8Array,
  bodyBytes: number,
  trickle?: number,
): Promise<void> {
  if (!wanted(name)) return;
  const main = new URL("../cli/main.ts", import.meta.url).pathname;
  const server = startHttp(response, trickle);
  const url = `http://127.0.0.1:${server.port}/`;
  try {
    const ours = await fetchSeconds([
      Deno.execPath(),
      "run",
      "--quiet",
      "--allow-net",
      main,
      "get",
      url,
    ], bodyBytes);
    const reference = await fetchSeconds(["curl", "-s", url], bodyBytes);
    console.log(
      `${name.padEnd(28)} sockit ${ours.toFixed(2).padStart(9)} ${
        "s".padEnd(10)
      } curl      ${reference.toFixed(2).padStart(9)} ${"s".padEnd(10)} ratio ${
        (reference / ours).toFixed(2)
      } (higher is better)`,
    );
  } finally {
    server.stop();
  }
}

/** A chunked response of `count` one-byte chunks. */
function tinyChunks(count: number): Uint8Array {
  return new TextEncoder().encode(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "1\r\nx\r\n".repeat(count) + "0\r\n\r\n",
  );
}

/** A response whose head is `headBytes` long (in 10-byte header lines). */
function bigHead(headBytes: number): Uint8Array {
  return new TextEncoder().encode(
    "HTTP/1.1 200 OK\r\n" + "X-Pad: a\r\n".repeat(headBytes / 10) +
      "Content-Length: 2\r\n\r\nok",
  );
}

/** `deno task bench get` runs only the rows whose name starts with "get". */
function wanted(name: string): boolean {
  return Deno.args.length === 0 ||
    Deno.args.some((arg) => name.startsWith(arg));
}

if (import.meta.main) {
  console.log(
    `sockit bench on ${Deno.build.target}, Deno ${Deno.version.deno}`,
  );
  await compare(
    "tcp echo throughput",
    "MiB/s",
    (s) => tcpThroughput(s.port),
    () => startSockit("echo-tcp"),
    () => startReference(REFERENCE_TCP),
  );
  await compare(
    "udp echo rate",
    "dgram/s",
    (s) => udpRate(s.port),
    () => startSockit("echo-udp"),
    () => startReference(REFERENCE_UDP),
  );
  await compare(
    "rss per idle tcp connection",
    "KiB",
    async (s) => (await idleCost(s)) / 1024,
    () => startSockit("echo-tcp"),
    () => startReference(REFERENCE_TCP),
    true,
  );
  await compareGet(
    "get 1,000,000 1-byte chunks",
    tinyChunks(1_000_000),
    1_000_000,
  );
  await compareGet("get 32 KiB head, 1 byte/write", bigHead(32 * 1024), 2, 1);
}
