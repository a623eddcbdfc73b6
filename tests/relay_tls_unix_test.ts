/**
 * The transports on `listen` and `relay`: `relay --target-tls` in front of
 * sockit's and openssl's TLS servers, relay and listen terminating TLS for
 * openssl s_client, ncat --ssl and `send --tls`, and Unix sockets both
 * ways against socat.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  freePort,
  have,
  randomBytes,
  runCli,
  sha256,
  SpawnedServer,
} from "./_cli.ts";
import { makePki, type Pki } from "./_pki.ts";

const RW = ["--allow-net", "--allow-read", "--allow-write"];
const OPENSSL = { ignore: !have("openssl") };
const pkiReady: Promise<Pki> = have("openssl")
  ? makePki()
  : Promise.reject(new Error("openssl missing"));
pkiReady.catch(() => {});

/** Connects, writes `line`, reads until it has `expected`'s length, closes. */
async function roundTrip(port: number, line: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(line));
    let seen = "";
    const buffer = new Uint8Array(1024);
    while (seen.length < line.length) {
      const n = await conn.read(buffer);
      if (n === null) break;
      seen += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return seen;
  } finally {
    conn.close();
  }
}

/** `openssl s_server -rev` on a free port: it answers lines reversed. */
async function sServer(pair: { cert: string; key: string }) {
  const port = freePort();
  const child = new Deno.Command("openssl", {
    args: ["s_server", "-accept", String(port), "-cert", pair.cert, "-key"]
      .concat([pair.key, "-rev"]),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ACCEPT")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("s_server did not start");
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const drained = child.stdout.pipeTo(new WritableStream());
  return {
    port,
    async stop() {
      child.kill("SIGKILL");
      await child.status;
      await drained.catch(() => {});
    },
  };
}

Deno.test({
  name:
    "relay --target-tls: 1 MiB through to echo-tcp --tls-cert, verified by --cacert and --servername; an unverified target is an error event and the relay goes on",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const target = await SpawnedServer.start([
      "echo-tcp",
      "-p",
      "0",
      "-q",
      "--tls-cert",
      pki.good.cert,
      "--tls-key",
      pki.good.key,
    ], RW);
    const trusted = await SpawnedServer.start([
      "relay",
      "--json",
      "-q",
      "--target-tls",
      "--cacert",
      pki.ca,
      "--servername",
      "localhost",
      "0",
      `127.0.0.1:${target.port}`,
    ], RW);
    const untrusted = await SpawnedServer.start([
      "relay",
      "--target-tls",
      "0",
      `127.0.0.1:${target.port}`,
    ], RW);
    try {
      const data = randomBytes(1 << 20);
      const sent = await runCli(
        ["send", "127.0.0.1", String(trusted.port)],
        { stdin: data },
      );
      assertEquals(sent.code, 0, sent.stderr);
      assertEquals(await sha256(sent.stdout), await sha256(data));
      const connected = trusted.events.find((e) => e.event === "connected");
      assertEquals(connected?.tls !== undefined, true, trusted.lines.join());
      // No --cacert: the private CA is not trusted, and nothing gets through.
      const refused = await runCli(
        ["send", "127.0.0.1", String(untrusted.port), "hi"],
      );
      assertEquals(refused.text, "");
      const error = await untrusted.waitFor((l) => l.startsWith("error"));
      assertMatch(
        error,
        /^error: client 127\.0\.0\.1:\d+: .*certificate is signed by an unknown issuer/,
      );
      assertEquals(await roundTrip(trusted.port, "again\n"), "again\n");
    } finally {
      assertEquals(await untrusted.stop(), 0);
      assertEquals(await trusted.stop(), 0);
      assertEquals(await target.stop(), 0);
    }
  },
});

Deno.test({
  name:
    "relay --target-tls --cacert self.pem trusts openssl s_server's self-signed CA:TRUE certificate",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const target = await sServer(pki.self);
    const relay = await SpawnedServer.start([
      "relay",
      "--target-tls",
      "--cacert",
      pki.self.cert,
      "0",
      `localhost:${target.port}`,
    ], RW);
    try {
      assertEquals(await roundTrip(relay.port, "hello\n"), "olleh\n");
      await relay.waitFor((l) => l.includes("disconnected"));
      assertMatch(
        relay.lines.join("\n"),
        /connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+ \(tls/,
      );
    } finally {
      assertEquals(await relay.stop(), 0);
      await target.stop();
    }
  },
});
