/**
 * `deno task bench`: sockit against reference servers measured in the same
 * run on this machine, so the ratio means something where absolute numbers
 * do not (a shared 2-core machine swings 2× between runs).
 *
 * It reports the figures of ../shared/bench (the outside harness), each
 * beside its references:
 * - TCP request/response, 64 connections × 64 B: messages/s and p99, for
 *   `echo-tcp -q`, the bare Deno loop and Node's `net` (when `node` is on
 *   PATH); and `echo-tcp` with its events on (to a file) against `-q`.
 * - TCP bulk: 8 clients × 32 MiB echoed.
 * - UDP request/response, 8 clients × 64 B: `echo-udp -q`, a bare
 *   Deno loop with one reused buffer, Node's `dgram`.
 * - 10,000 held connections: peak RSS (VmHWM) of each server, sockit both
 *   from the checkout and as the installed command runs (its bundle, its
 *   shim's flags).
 * - Start-up: `sockit --help`, a usage error and a one-shot `send`, from the
 *   checkout and installed, against `deno run` of an empty file.
 * - relay: `sockit relay` in front of the bare Deno echo, against
 *   `socat TCP-LISTEN:…,fork TCP:…` and the plainest correct Deno relay
 *   (two read/write loops per pair, FIN passed on), best of three each.
 * - `get` against curl on many tiny chunks and a trickled head.
 *
 * The load generator is the C `echoload` of ../shared/bench when it is built
 * (`ECHOLOAD=path`, or its usual places; `ECHOLOAD=none` skips it); otherwise a Deno load process in
 * the same shape. Either way the reference rows prove it is not the
 * bottleneck: it drives the bare loop (or Node) at least as fast as sockit.
 *
 * `deno task bench rr` runs only the rows whose name starts with "rr".
 *
 * @module
 */

import { codecBench, dumpBench } from "./bench_osc.ts";
import { bundle, RUN_FLAGS } from "./install.ts";

const MiB = 1024 * 1024;
const TCP_CLIENTS = 8;
const TCP_BYTES_PER_CLIENT = 32 * MiB;
const RR_SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 4);
const HELD = 10_000;
const STARTS = 15;
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const REQUEST_SECONDS = 2;
/** Linux's USER_HZ, the unit of CPU times in /proc/PID/stat. */
const CLOCK_TICKS = 100;
/** Each relay is measured this often, interleaved; the median counts. */
const RELAY_ROUNDS = 5;

/**
 * The reference scripts' copy loop, from `from` to `to` until EOF: the echo
 * server and the relay measure the same plain read/write loop.
 */
function copyLoop(from: string, to: string): string {
  return `
    while (true) {
      const n = await ${from}.read(buffer);
      if (n === null) break;
      let offset = 0;
      while (offset < n) offset += await ${to}.write(buffer.subarray(offset, n));
    }`;
}

const LISTEN = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: listener.addr.port }));`;

const DENO_TCP = `${LISTEN}
for await (const conn of listener) {
  (async () => {
    const buffer = new Uint8Array(65536);
    try {${copyLoop("conn", "conn")}
    } catch { /* reset */ }
    try { conn.close(); } catch { /* closed */ }
  })();
}
`;

const REFERENCE_RELAY = `
const target = Number(Deno.args[0]);${LISTEN}
async function copy(from: Deno.TcpConn, to: Deno.TcpConn) {
  const buffer = new Uint8Array(65536);
  try {${copyLoop("from", "to")}
    await to.closeWrite();
  } catch {
    try { from.close(); } catch { /* closed */ }
    try { to.close(); } catch { /* closed */ }
  }
}
for await (const conn of listener) {
  (async () => {
    let up: Deno.TcpConn;
    try {
      up = await Deno.connect({ hostname: "127.0.0.1", port: target });
    } catch {
      conn.close();
      return;
    }
    conn.setNoDelay(true);
    up.setNoDelay(true);
    await Promise.all([copy(conn, up), copy(up, conn)]);
    try { conn.close(); } catch { /* closed */ }
    try { up.close(); } catch { /* closed */ }
  })();
}
`;

const DENO_UDP = `
const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: conn.addr.port }));
const buffer = new Uint8Array(65536);
while (true) {
  const [data, addr] = await conn.receive(buffer);
  await conn.send(data, addr);
}
`;

const NODE_TCP = `
const server = require("net").createServer((s) => {
  s.on("error", () => s.destroy());
  s.pipe(s);
}).listen({ port: 0, host: "127.0.0.1" }, () =>
  console.log(JSON.stringify({ port: server.address().port })));
`;

const NODE_UDP = `
const s = require("dgram").createSocket("udp4");
s.on("message", (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
s.bind(0, "127.0.0.1", () => console.log(JSON.stringify({ port: s.address().port })));
`;

/**
 * The fallback load generator, a process of its own: 64 TCP connections or
 * 8 UDP clients, each with one 64-byte message in flight, every echo
 * checked. Prints {"msgs_s", "p99_us"}.
 */
const DENO_LOAD = `
const [mode, port, seconds] = [Deno.args[0], Number(Deno.args[1]), Number(Deno.args[2])];
const payload = new Uint8Array(64).map((_, i) => (i * 7 + 1) & 0xff);
const latencies = [];
let stop = false;
setTimeout(() => stop = true, seconds * 1000);
function check(buffer, n) {
  if (n !== 64 || buffer.subarray(0, 64).some((b, i) => b !== payload[i])) throw new Error("bad echo");
}
async function tcp() {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const buffer = new Uint8Array(64);
  while (!stop) {
    const t = performance.now();
    await conn.write(payload);
    let got = 0;
    while (got < 64) {
      const n = await conn.read(buffer.subarray(got));
      if (n === null) throw new Error("closed");
      got += n;
    }
    check(buffer, got);
    latencies.push(performance.now() - t);
  }
  conn.close();
}
async function udp() {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target = { transport: "udp", hostname: "127.0.0.1", port };
  const buffer = new Uint8Array(65536);
  while (!stop) {
    const t = performance.now();
    await conn.send(payload, target);
    // A lost datagram must not hang the client: give up on it after 200 ms.
    let timer;
    const got = await Promise.race([
      conn.receive(buffer),
      new Promise((resolve) => timer = setTimeout(resolve, 200)),
    ]);
    clearTimeout(timer);
    if (!got) continue;
    check(got[0], got[0].length);
    latencies.push(performance.now() - t);
  }
  conn.close();
}
const started = performance.now();
await Promise.all(Array.from({ length: mode === "tcp" ? 64 : 8 }, mode === "tcp" ? tcp : udp));
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  msgs_s: latencies.length / ((performance.now() - started) / 1000),
  p99_us: 1000 * (latencies[Math.floor(latencies.length * 0.99)] ?? 0),
}));
`;

interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Servers still running: a Ctrl-C of the bench stops them too. */
const live = new Set<Deno.ChildProcess>();

/** `child`, serving on `port`, as a {@linkcode Server} that SIGTERM stops. */
function running(child: Deno.ChildProcess, port: number): Server {
  live.add(child);
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      live.delete(child);
    },
  };
}

/**
 * `command` with `args` as a server, in a session of its own as
 * ../shared/bench/bench.py starts every server (and as a service, or a
 * command in another terminal, runs). It matters with Linux's autogroup
 * scheduling: in the load generator's session, each of socat's forked
 * children competes for CPU as a process of its own; in its own session a
 * server gets one fair share, however many processes it forks.
 * `setsid` execs in place (its caller leads no process group), so the
 * server keeps the PID that /proc and `kill` are given.
 */
function serverCommand(
  command: string,
  args: string[],
  stdout: "piped" | "null",
): Deno.Command {
  const [program, argv] = SETSID
    ? ["setsid", [command, ...args]]
    : [command, args];
  return new Deno.Command(program, { args: argv, stdout, stderr: "null" });
}

/** Starts a server that prints `{"port": N}` first (or a sockit one). */
async function startServer(
  command: string,
  args: string[],
  portFrom: (line: string) => number,
  stdoutFile?: string,
): Promise<Server> {
  const child = serverCommand(command, args, "piped").spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${command} ${args.join(" ")} exited`);
    text += decoder.decode(value);
  }
  const port = portFrom(text.split("\n")[0]!);
  // Keep draining stdout (into a file for the events row) so a chatty
  // server never blocks on a full pipe.
  const file = stdoutFile
    ? await Deno.open(stdoutFile, { write: true, create: true, truncate: true })
    : undefined;
  (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      await file?.write(value);
    }
    file?.close();
  })();
  return running(child, port);
}

const jsonPort = (line: string) => JSON.parse(line).port as number;

async function script(source: string, suffix: string): Promise<string> {
  const file = await Deno.makeTempFile({ suffix });
  await Deno.writeTextFile(file, source);
  return file;
}

type Starter = () => Promise<Server>;

async function denoReference(
  source: string,
  ...args: string[]
): Promise<Server> {
  return startServer(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-net",
    "--unstable-net",
    await script(source, ".ts"),
    ...args,
  ], jsonPort);
}

/**
 * `sockit relay --json -q` in front of `target`, its events (three lines a
 * connection) written to /dev/null: read through a pipe by this process,
 * they would cost the load generator, not the relay, as the silent
 * minimal relay's do not.
 */
function startSockitRelay(target: number): Promise<Server> {
  return startOnFreePort(Deno.execPath(), (port) => [
    "run",
    "--quiet",
    "--allow-net",
    MAIN,
    "relay",
    "--json",
    "-q",
    "-m",
    "5000",
    `127.0.0.1:${port}`,
    `127.0.0.1:${target}`,
  ]);
}

/** Resolves once a connection to `port` gets through (or after ~2 s). */
async function untilAccepting(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** socat as a forking relay; ready once a connection gets through. */
function startSocatRelay(target: number): Promise<Server> {
  return startOnFreePort("socat", (port) => [
    `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,backlog=1024`,
    `TCP:127.0.0.1:${target}`,
  ]);
}

/**
 * Runs `command` with the arguments `args(port)` for a free port, ready
 * once a connection to that port gets through.
 */
async function startOnFreePort(
  command: string,
  args: (port: number) => string[],
): Promise<Server> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = serverCommand(command, args(port), "null").spawn();
  await untilAccepting(port);
  return running(child, port);
}

async function nodeReference(source: string): Promise<Server> {
  return startServer("node", [await script(source, ".cjs")], jsonPort);
}

/** The installed command's bundle, made once per run. */
let installedBundle: Promise<string> | undefined;
const bundleDir = Deno.makeTempDirSync({ prefix: "sockit-bundle-" });
globalThis.addEventListener("unload", () => {
  Deno.removeSync(bundleDir, { recursive: true });
});

/** `deno run` as the installed `sockit` runs: its bundle, its shim's flags. */
async function installedRun(): Promise<string[]> {
  installedBundle ??= bundle(bundleDir);
  return ["run", "--quiet", ...RUN_FLAGS, await installedBundle];
}

/** sockit as `deno run --allow-net cli/main.ts` runs it. */
const checkoutRun = ["run", "--quiet", "--allow-net", MAIN];

/**
 * sockit with `args` on a free port, run from the checkout or, `installed`,
 * as the installed command runs it.
 */
function sockit(
  args: string[],
  stdoutFile?: string,
  installed = false,
): Starter {
  return async () =>
    startServer(
      Deno.execPath(),
      [
        ...(installed ? await installedRun() : checkoutRun),
        ...args,
        "--port",
        "0",
      ],
      (line) => Number(/:(\d+)/.exec(line)?.[1]),
      stdoutFile,
    );
}

function have(command: string): boolean {
  try {
    new Deno.Command(command, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/** The C load generator of ../shared/bench, if it has been built. */
function findEcholoader(): string | undefined {
  // ECHOLOAD=none tries the Deno load process, as CI (no build) runs it.
  if (Deno.env.get("ECHOLOAD") === "none") return undefined;
  const candidates = [
    Deno.env.get("ECHOLOAD"),
    new URL("../../shared/bench/bin/echoload", import.meta.url).pathname,
    "/work/shared/bench/bin/echoload",
    "/tmp/sockit-bench/bin/echoload",
  ];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not there */ }
  }
  return undefined;
}

const ECHOLOAD = findEcholoader();
/** ../shared/bench's C epoll echo server, built beside echoload. */
const C_ECHO = ECHOLOAD && (() => {
  const path = ECHOLOAD.replace(/echoload$/, "echo_server");
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
})();
const NODE = have("node");
const SETSID = have("setsid");

interface Load {
  msgs_s: number;
  p99_us: number;
}

/** One request/response run against `port`, from echoload or DENO_LOAD. */
async function requestResponse(
  mode: "tcp" | "udp",
  port: number,
): Promise<Load> {
  const [command, args] = ECHOLOAD
    ? [
      ECHOLOAD,
      [
        `${mode}-rr`,
        "127.0.0.1",
        `${port}`,
        ...(mode === "tcp" ? ["--conns", "64"] : ["--clients", "8"]),
        "--size",
        "64",
        "--duration",
        `${RR_SECONDS}`,
        "--warmup",
        "1",
      ],
    ]
    : [Deno.execPath(), [
      "run",
      "--quiet",
      "--allow-net",
      "--unstable-net",
      await script(DENO_LOAD, ".js"),
      mode,
      `${port}`,
      `${RR_SECONDS}`,
    ]];
  const out = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const result = JSON.parse(lines.at(-1) ?? "{}");
  if (result.ok === false || !(result.msgs_s > 0)) {
    throw new Error(`load generator failed: ${lines.at(-1)}`);
  }
  return result as Load;
}

/** `/proc/PID/NAME`: Deno reads /proc only with --allow-all, so cat does. */
function procFile(pid: number, name: string): string {
  return new TextDecoder().decode(
    new Deno.Command("cat", { args: [`/proc/${pid}/${name}`] }).outputSync()
      .stdout,
  );
}

function peakRss(pid: number): number {
  const status = procFile(pid, "status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Peak RSS (MB) while HELD connections are open and each echoes once. */
async function held(server: Server): Promise<number> {
  if (ECHOLOAD) {
    const out = await new Deno.Command(ECHOLOAD, {
      args: [
        "tcp-hold",
        "127.0.0.1",
        `${server.port}`,
        "--conns",
        `${HELD}`,
        "--hold",
        "1",
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    const result = JSON.parse(
      new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "{}",
    );
    if (!result.ok) {
      throw new Error(`echoload tcp-hold failed: ${result.error}`);
    }
  } else {
    const conns: Deno.Conn[] = [];
    try {
      for (let i = 0; i < HELD; i++) {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.port,
        });
        await conn.write(new Uint8Array([1]));
        await conn.read(new Uint8Array(1));
        conns.push(conn);
      }
    } finally {
      for (const conn of conns) conn.close();
    }
  }
  return peakRss(server.pid);
}

/**
 * Median wall-clock ms of `args` run STARTS times, interleaved with the
 * rest: a median, as one start slowed by another process says nothing.
 */
async function startTimes(
  commands: Record<string, string[]>,
): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (let run = 0; run < STARTS; run++) {
    for (const [name, args] of Object.entries(commands)) {
      const started = performance.now();
      await new Deno.Command(Deno.execPath(), {
        args,
        stdout: "null",
        stderr: "null",
      }).output();
      (times[name] ??= []).push(performance.now() - started);
    }
  }
  const medians: Record<string, number> = {};
  for (const [name, list] of Object.entries(times)) {
    list.sort((a, b) => a - b);
    medians[name] = list[Math.floor(list.length / 2)]!;
  }
  return medians;
}

function row(name: string, cells: string[]): void {
  console.log(`${name.padEnd(34)} ${cells.join("  ")}`);
}

/** Measures each contender with `measure`, fresh server each, in order. */
async function contenders<T>(
  starters: Record<string, Starter>,
  measure: (server: Server) => Promise<T>,
): Promise<Record<string, T>> {
  const results: Record<string, T> = {};
  for (const [name, start] of Object.entries(starters)) {
    const server = await start();
    try {
      results[name] = await measure(server);
    } finally {
      await server.stop();
    }
  }
  return results;
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);

async function benchRequestResponse(): Promise<void> {
  if (!wanted("rr64")) return;
  const events = await Deno.makeTempFile({ suffix: ".log" });
  const starters: Record<string, Starter> = {
    "deno loop": () => denoReference(DENO_TCP),
    ...(NODE ? { node: () => nodeReference(NODE_TCP) } : {}),
    "sockit -q": sockit(["echo-tcp", "-q", "-m", "20000"]),
    "sockit events": sockit(["echo-tcp", "-m", "20000"], events),
  };
  const r = await contenders(starters, (s) => requestResponse("tcp", s.port));
  const q = r["sockit -q"]!;
  const loop = r["deno loop"]!;
  const cell = (name: string) =>
    `${name} ${r[name]!.msgs_s.toFixed(0)}/s p99 ${
      (r[name]!.p99_us / 1000).toFixed(1)
    } ms`;
  row("rr64 tcp 64 conns × 64 B", Object.keys(r).map(cell));
  row("rr64 ratios", [
    `-q/loop ${ratio(q.msgs_s, loop.msgs_s)}`,
    ...(r.node ? [`-q/node ${ratio(q.msgs_s, r.node.msgs_s)}`] : []),
    `events/-q ${ratio(r["sockit events"]!.msgs_s, q.msgs_s)}`,
    `p99 -q/loop ${ratio(q.p99_us, loop.p99_us)} (lower is better)`,
  ]);
  await Deno.remove(events);
}

async function benchUdp(): Promise<void> {
  if (!wanted("udp8")) return;
  const r = await contenders({
    "deno loop": () => denoReference(DENO_UDP),
    ...(NODE ? { node: () => nodeReference(NODE_UDP) } : {}),
    "sockit -q": sockit(["echo-udp", "-q"]),
  }, (s) => requestResponse("udp", s.port));
  const q = r["sockit -q"]!;
  row(
    "udp8 8 clients × 64 B",
    Object.entries(r).map(([n, v]) => `${n} ${v.msgs_s.toFixed(0)}/s`),
  );
  row("udp8 ratios", [
    `-q/loop ${ratio(q.msgs_s, r["deno loop"]!.msgs_s)}`,
    ...(r.node ? [`-q/node ${ratio(q.msgs_s, r.node.msgs_s)}`] : []),
  ]);
}

async function benchBulk(): Promise<void> {
  if (!wanted("bulk")) return;
  const r = await contenders({
    "deno loop": () => denoReference(DENO_TCP),
    "sockit -q": sockit(["echo-tcp", "-q"]),
  }, (s) => tcpThroughput(s.port));
  row(`bulk tcp ${TCP_CLIENTS} × 32 MiB`, [
    ...Object.entries(r).map(([n, v]) => `${n} ${v.toFixed(0)} MiB/s`),
    `ratio ${ratio(r["sockit -q"]!, r["deno loop"]!)}`,
  ]);
}

async function benchHold(): Promise<void> {
  if (!wanted("hold")) return;
  const r = await contenders({
    "deno loop": () => denoReference(DENO_TCP),
    ...(NODE ? { node: () => nodeReference(NODE_TCP) } : {}),
    "sockit -q": sockit(["echo-tcp", "-q", "-m", "20000"]),
    "installed -q": sockit(["echo-tcp", "-q", "-m", "20000"], undefined, true),
  }, held);
  row(
    `hold ${HELD} conns, peak RSS`,
    Object.entries(r).map(([n, v]) => `${n} ${v.toFixed(0)} MB`),
  );
}

async function benchStart(): Promise<void> {
  if (!wanted("start")) return;
  const empty = await script("", ".ts");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  // Echo and close, so a one-shot `send` ends as soon as it can.
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buffer = new Uint8Array(1024);
        try {
          let n;
          while ((n = await conn.read(buffer)) !== null) {
            await conn.write(buffer.subarray(0, n));
          }
        } catch { /* reset */ }
        conn.close();
      })();
    }
  })().catch(() => {});
  // As `deno run --allow-net cli/main.ts`, and as the installed `sockit`
  // command runs: its bundle, with the flags of its shim.
  const runs = {
    "deno run": checkoutRun,
    installed: await installedRun(),
  };
  const lines = {
    help: ["--help"],
    usage: ["send"],
    send: ["send", "127.0.0.1", `${port}`, "hi"],
  };
  const commands: Record<string, string[]> = {
    empty: ["run", "--quiet", empty],
  };
  for (const [how, run] of Object.entries(runs)) {
    for (const [what, args] of Object.entries(lines)) {
      commands[`${how} ${what}`] = [...run, ...args];
    }
  }
  const t = await startTimes(commands);
  listener.close();
  for (const how of Object.keys(runs)) {
    row(`start-up, ${how} (ms, median of ${STARTS})`, [
      `deno run empty ${t.empty!.toFixed(0)}`,
      ...Object.keys(lines).map((what) => {
        const ms = t[`${how} ${what}`]!;
        return `${what} ${ms.toFixed(0)} (${ratio(ms, t.empty!)}×)`;
      }),
    ]);
  }
}

/**
 * MiB/s echoed through `port` by TCP_CLIENTS clients × TCP_BYTES_PER_CLIENT,
 * every byte verified by the C echoload when it is built (so the load is
 * not what is measured), else by the Deno load below.
 */
async function verifiedThroughput(port: number): Promise<number> {
  if (!ECHOLOAD) return tcpThroughput(port, true);
  const out = await new Deno.Command(ECHOLOAD, {
    args: [
      "tcp-stream",
      "127.0.0.1",
      String(port),
      "--conns",
      String(TCP_CLIENTS),
      "--bytes",
      String(TCP_BYTES_PER_CLIENT),
    ],
    stderr: "null",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const result = JSON.parse(lines.at(-1)!);
  if (!result.ok) throw new Error(`echoload tcp-stream: ${result.error}`);
  return result.mib_s;
}

/**
 * MiB/s echoed through `port` by TCP_CLIENTS clients in parallel. With
 * `verify`, every byte that comes back is checked against what was sent.
 */
async function tcpThroughput(port: number, verify = false): Promise<number> {
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
        if (verify) {
          // The stream is bytes 0..255 repeating: byte k is k & 0xff.
          for (let i = 0; i < n; i++) {
            if (buffer[i] !== ((total + i) & 0xff)) {
              throw new Error(`byte ${total + i} differs`);
            }
          }
        }
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

/**
 * Short exchanges per second, 8 at a time: connect, send 100 bytes,
 * half-close, read the echo to EOF (checked), close. A relay pays its
 * per-connection cost on every one, as an HTTP/1.0 proxy would.
 */
async function requestRate(port: number): Promise<number> {
  const workers = 8;
  const request = new Uint8Array(100).map((_, i) => i);
  const started = performance.now();
  // Time-boxed: socat forks per connection and would take minutes.
  const deadline = started + REQUEST_SECONDS * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    const buffer = new Uint8Array(4096);
    while (performance.now() < deadline) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(request);
      await conn.closeWrite();
      let total = 0;
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        for (let j = 0; j < n; j++) {
          if (buffer[j] !== request[total + j]) throw new Error("differs");
        }
        total += n;
      }
      conn.close();
      if (total !== request.length) throw new Error(`got ${total} bytes`);
      done++;
    }
  }));
  return done / ((performance.now() - started) / 1000);
}

/**
 * sockit's relay against socat and a minimal Deno relay, same echo target:
 * the C echo server when ../shared/bench is built, else the bare Deno
 * loop. "direct" is the load against the target with no relay between:
 * the ceiling of every relay on this machine.
 */
async function compareRelays(
  name: string,
  unit: string,
  load: string,
  measure: (port: number) => Promise<number>,
): Promise<void> {
  if (!wanted(name)) return;
  const echo = C_ECHO
    ? await startCEcho(C_ECHO)
    : await denoReference(DENO_TCP);
  const runs: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const record = (who: string, value: number) => (runs[who] ??= []).push(value);
  /** `measure`, and the relay's CPU µs per unit of work while it ran. */
  const measured = async (who: string, relay: Server) => {
    const cpuBefore = cpuSeconds(relay.pid);
    const started = performance.now();
    const value = await measure(relay.port);
    const seconds = (performance.now() - started) / 1000;
    record(who, value);
    (cpu[who] ??= []).push(
      (cpuSeconds(relay.pid) - cpuBefore) * 1e6 / (value * seconds),
    );
  };
  const contenders: [string, () => Promise<Server>][] = [
    ["minimal", () => denoReference(REFERENCE_RELAY, String(echo.port))],
    ["socat", () => startSocatRelay(echo.port)],
    ["sockit", () => startSockitRelay(echo.port)],
  ];
  // Interleaved rounds, medians: on a shared machine one slow (or lucky)
  // moment would otherwise decide the ratio. Each round in another order,
  // as the machine's state drifts within a round: every request leaves
  // connections in TIME_WAIT (tens of thousands a round), and a loopback
  // connect and echo took 101 µs with 6,000 of them, 108 with 20,000. A
  // fixed order could tax whoever comes last.
  for (let round = 0; round < RELAY_ROUNDS; round++) {
    record("direct", await measure(echo.port));
    const turn = round % contenders.length;
    for (
      const [who, start] of [
        ...contenders.slice(turn),
        ...contenders.slice(0, turn),
      ]
    ) {
      const relay = await start();
      await measured(who, relay);
      await relay.stop();
    }
  }
  await echo.stop();
  const results = Object.fromEntries(
    Object.entries(runs).map(([who, values]) => [who, median(values)]),
  );
  const ours = results.sockit!;
  console.log(
    `${name.padEnd(28)} sockit ${ours.toFixed(1).padStart(9)} ${
      unit.padEnd(10)
    } socat ${results.socat!.toFixed(1).padStart(9)} (x${
      (ours / results.socat!).toFixed(2)
    }) minimal deno ${results.minimal!.toFixed(1).padStart(9)} (ratio ${
      (ours / results.minimal!).toFixed(2)
    }) direct ${results.direct!.toFixed(1)} (${
      C_ECHO ? "C echo" : "Deno echo"
    }, ${load})`,
  );
  const cpuOf = (who: string) => median(cpu[who]!).toFixed(0);
  console.log(
    `${"".padEnd(28)} relay CPU µs per ${unit.split("/")[0]}: sockit ${
      cpuOf("sockit")
    }  socat ${cpuOf("socat")}  minimal deno ${cpuOf("minimal")}`,
  );
}

/**
 * CPU seconds (user + system, with reaped children: socat forks one per
 * connection) that process `pid` has used so far.
 */
function cpuSeconds(pid: number): number {
  const stat = procFile(pid, "stat");
  // Fields after the command name, which may hold spaces: state is [0].
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / CLOCK_TICKS;
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The C echo server of ../shared/bench on a free port. */
function startCEcho(path: string): Promise<Server> {
  return startOnFreePort(path, (port) => ["tcp", String(port)]);
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
  // Servers run in sessions of their own: a terminal's Ctrl-C reaches only
  // this process, which stops them before it goes.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      for (const child of live) child.kill("SIGTERM");
      Deno.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
  console.log(
    `sockit bench on ${Deno.build.target}, Deno ${Deno.version.deno}; load: ${
      ECHOLOAD ?? "Deno load process (../shared/bench not built)"
    }; node: ${NODE ? "yes" : "not installed"}`,
  );
  await benchRequestResponse();
  await benchUdp();
  await benchBulk();
  await benchHold();
  await benchStart();
  await compareRelays(
    "relay echo throughput",
    "MiB/s",
    ECHOLOAD ? "C load" : "Deno load",
    verifiedThroughput,
  );
  await compareRelays(
    "relay request rate",
    "req/s",
    "Deno load",
    requestRate,
  );
  await compareGet(
    "get 1,000,000 1-byte chunks",
    tinyChunks(1_000_000),
    1_000_000,
  );
  await compareGet("get 32 KiB head, 1 byte/write", bigHead(32 * 1024), 2, 1);
  if (wanted("osc")) {
    codecBench();
    await dumpBench();
  }
}
