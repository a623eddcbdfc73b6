/**
 * The transports on `listen` and `relay`: `relay --target-tls` in front of
 * sockit's and openssl's TLS servers, relay and listen terminating TLS for
 * openssl s_client, ncat --ssl and `send --tls`, and the flags that cannot
 * go together. Unix sockets on both are in unix_test.ts.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  freePort,
  has,
  randomBytes,
  runCli,
  RW,
  sha256,
  SpawnedServer,
} from "./_cli.ts";
import { OPENSSL, startPki } from "./_pki.ts";
import { sServer, verifiedClients } from "./_tls_peers.ts";

const pkiReady = startPki();

/** Connects, writes `line`, reads as many characters back, closes. */
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

Deno.test({
  name:
    "relay --tls-cert terminates TLS in front of a plain echo-tcp for openssl s_client and ncat --ssl, both verifying",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const target = await SpawnedServer.start(["echo-tcp", "-p", "0", "-q"]);
    const relay = await SpawnedServer.start([
      "relay",
      "--tls-cert",
      pki.good.cert,
      "--tls-key",
      pki.good.key,
      "0",
      `127.0.0.1:${target.port}`,
    ], RW);
    try {
      assertMatch(
        relay.lines[0] ?? "",
        /^listening on tls 127\.0\.0\.1:\d+, relaying to 127\.0\.0\.1:\d+$/,
      );
      const port = String(relay.port);
      assertEquals(await verifiedClients(pki.ca, port), {
        sClient: "from s_client\n",
        ncat: has("ncat") ? "from ncat\n" : undefined,
      });
      // The plaintext side of the pair is what the relay shows.
      await relay.waitFor((l) => l.includes("sent 'from s_client\\n'"));
      assertMatch(
        relay.lines.join("\n"),
        /client 127\.0\.0\.1:\d+ connected \(tls/,
      );
    } finally {
      assertEquals(await relay.stop(), 0);
      assertEquals(await target.stop(), 0);
    }
  },
});

Deno.test({
  name:
    "listen --tls-cert: sockit send --tls gets the reply, the listener prints the client's bytes",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const child = cliCommand([
      "listen",
      "-v",
      "--tls-cert",
      pki.good.cert,
      "--tls-key",
      pki.good.key,
      "0",
    ], RW).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    while (!seen.includes("\n")) seen += (await stderr.read()).value ?? "";
    const port = /^listening on tls 127\.0\.0\.1:(\d+)\n/.exec(seen)?.[1];
    assert(port !== undefined, seen);
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("reply\n"));
    await writer.close();
    const sent = await runCli([
      "send",
      "--tls",
      "--cacert",
      pki.ca,
      "localhost",
      port,
      "hello",
    ], { permissions: RW });
    const stdout = new Response(child.stdout).text();
    while (true) {
      const { value, done } = await stderr.read();
      if (done) break;
      seen += value;
    }
    const { code } = await child.status;
    assertEquals(sent.code, 0, sent.stderr);
    assertEquals(sent.text, "reply\n");
    assertEquals(code, 0, seen);
    assertEquals(await stdout, "hello");
    assertMatch(seen, /client 127\.0\.0\.1:\d+ connected \(tls/);
  },
});

Deno.test({
  name:
    "listen and relay refuse a bad certificate pair, TLS over UDP or a Unix socket, and relay -u on a Unix socket, with exit 2 before binding",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const port = String(freePort());
    const mismatch = ["--tls-cert", pki.good.cert, "--tls-key", pki.self.key];
    const cases: [string[], RegExp][] = [
      [
        ["listen", ...mismatch, port],
        /^sockit: --tls-key ".*self\.key" does not match the certificate in ".*good\.pem"\n$/,
      ],
      [
        ["relay", ...mismatch, port, "127.0.0.1:9"],
        /^sockit: --tls-key ".*self\.key" does not match the certificate in ".*good\.pem"\n$/,
      ],
      [
        ["listen", "-u", "--tls-cert", pki.good.cert, "--tls-key", pki.good.key]
          .concat([port]),
        /^sockit: --tls-cert needs TCP, not -u\/--udp\n$/,
      ],
      [
        ["relay", "--tls-cert", pki.good.cert, "--tls-key", pki.good.key]
          .concat(["unix:/tmp/sockit-never.sock", "127.0.0.1:9"]),
        /^sockit: --tls-cert: TLS over a Unix socket is not supported/,
      ],
      [
        ["relay", "--target-tls", port, "unix:/tmp/sockit-never.sock"],
        /^sockit: --target-tls: TLS over a Unix socket is not supported/,
      ],
      [
        ["relay", "-u", "unix:/tmp/sockit-never.sock", "127.0.0.1:9"],
        /^sockit: relay -u cannot listen on a Unix datagram socket/,
      ],
      [
        ["relay", "--cacert", pki.ca, port, "127.0.0.1:9"],
        /^sockit: --cacert needs --target-tls\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { permissions: RW, timeoutMs: 10_000 });
      assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assertEquals(result.text, "", "nothing was listening");
      assertMatch(result.stderr, message);
    }
    const made = await Deno.lstat("/tmp/sockit-never.sock").then(
      () => true,
      () => false,
    );
    assert(!made, "no socket file was made");
  },
});

/** `listen --json` over TLS with stdin already ended: one client, then exit. */
async function tlsListener(pki: { good: { cert: string; key: string } }) {
  return await SpawnedServer.start([
    "listen",
    "--json",
    "--tls-cert",
    pki.good.cert,
    "--tls-key",
    pki.good.key,
    "0",
  ], RW);
}

/** Reads `conn` to its end (or its reset), as text. */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(1024);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    // A reset ends it too.
  }
  return text;
}

Deno.test({
  name:
    "listen --tls-cert: a plain client that fails the handshake is an error event, and the TLS client after it is served and ends with exit 0",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const listener = await tlsListener(pki);
    const plain = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.port,
    });
    await plain.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    await readToEnd(plain);
    plain.close();
    const failed = await listener.waitFor((line) =>
      line.includes('"event":"error"')
    );
    assertMatch(failed, /TLS handshake failed: the peer does not speak TLS/);
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: listener.port,
      caCerts: [await Deno.readTextFile(pki.ca)],
    });
    await conn.write(new TextEncoder().encode("hello"));
    await conn.closeWrite();
    await readToEnd(conn);
    conn.close();
    const { code } = await listener.child.status;
    assertEquals(code, 0, listener.lines.join("\n") + listener.stderr);
    assertEquals(listener.stderr, "");
    const texts = listener.events.filter((e) => e.event === "message")
      .map((e) => e.text);
    assertEquals(texts, ["hello"]);
  },
});

Deno.test({
  name:
    "listen --tls-cert without -k: a client whose handshake ends after the first was accepted is closed, not served as a second",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const ca = await Deno.readTextFile(pki.ca);
    const listener = await tlsListener(pki);
    // Accepted by the server, its handshake waiting for a ClientHello.
    const late = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.port,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const first = await Deno.connectTls({
      hostname: "localhost",
      port: listener.port,
      caCerts: [ca],
    });
    await first.write(new TextEncoder().encode("first"));
    await listener.waitFor((line) => line.includes('"text":"first"'));
    let lateText = "";
    try {
      const tls = await Deno.startTls(late, {
        hostname: "localhost",
        caCerts: [ca],
      });
      await tls.handshake();
      await tls.write(new TextEncoder().encode("late"));
      lateText = await readToEnd(tls);
      tls.close();
    } catch {
      // Closed during or right after its handshake: as it should be.
    }
    await first.closeWrite();
    await readToEnd(first);
    first.close();
    const { code } = await listener.child.status;
    const all = listener.lines.join("\n") + listener.stderr;
    assertEquals(code, 0, all);
    assertEquals(lateText, "", all);
    assertEquals(
      listener.events.filter((e) => e.event === "accepted").length,
      1,
      all,
    );
    const texts = listener.events.filter((e) => e.event === "message")
      .map((e) => e.text);
    assertEquals(texts, ["first"]);
  },
});

Deno.test({
  name: "relay and listen TLS tests clean up their certificates",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    await Deno.remove(pki.dir, { recursive: true });
  },
});
