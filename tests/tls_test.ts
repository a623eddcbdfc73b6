/**
 * TLS both ways: `send --tls` against `openssl s_server` and sockit's own
 * TLS echo server; `openssl s_client` and `ncat --ssl` against sockit; one
 * line per verification failure; OpenSSL 3's self-signed CA:TRUE
 * certificate trusted with `--cacert`; bad certificate files refused.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  freePort,
  has,
  PythonPeer,
  randomBytes,
  runCli,
  RW,
  sha256,
  SpawnedServer,
} from "./_cli.ts";
import { OPENSSL, startPki } from "./_pki.ts";
import { concatBytes } from "../lib/_bytes.ts";
import { sServer, verifiedClients } from "./_tls_peers.ts";

const pkiReady = startPki();

function tlsServer(pair: { cert: string; key: string }, extra: string[] = []) {
  return SpawnedServer.start([
    "echo-tcp",
    "--port",
    "0",
    "--json",
    "--tls-cert",
    pair.cert,
    "--tls-key",
    pair.key,
    ...extra,
  ], RW);
}

Deno.test({
  name: "send --tls verifies openssl s_server's certificate against --cacert",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const server = await sServer(pki.good);
    try {
      const result = await runCli([
        "send",
        "--tls",
        "--cacert",
        pki.ca,
        "-v",
        "localhost",
        String(server.port),
      ], { stdin: "hello\n", permissions: RW });
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.text, "olleh\n");
      assertMatch(
        result.stderr,
        /^connected to 127\.0\.0\.1:\d+ \(tls(?: TLSv1\.[23])?\) from 127\.0\.0\.1:\d+\n/,
      );
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "echo-tcp --tls-cert: send --tls round-trips 2 MB byte-exact",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const server = await tlsServer(pki.good);
    try {
      assertEquals(server.events[0]?.tls, true);
      const data = randomBytes(2_000_000);
      const result = await runCli([
        "send",
        "--tls",
        "--cacert",
        pki.ca,
        "--servername",
        "localhost",
        "127.0.0.1",
        String(server.port),
      ], { stdin: data, permissions: RW });
      assertEquals(result.code, 0, result.stderr);
      assertEquals(await sha256(result.stdout), await sha256(data));
    } finally {
      assertEquals(await server.stop(), 0);
    }
  },
});

Deno.test({
  name: "openssl s_client and ncat --ssl talk to sockit's TLS echo server",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const server = await tlsServer(pki.good);
    try {
      const port = String(server.port);
      assertEquals(await verifiedClients(pki.ca, port), {
        sClient: "from s_client\n",
        ncat: has("ncat") ? "from ncat\n" : undefined,
      });
      // Neither closed with close_notify; that is their EOF, not an error.
      assertEquals(server.events.filter((e) => e.event === "error"), []);
    } finally {
      assertEquals(await server.stop(), 0);
    }
  },
});

Deno.test({
  name:
    "send --tls: unknown issuer, expired and wrong name each have their own line; the server goes on",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const good = await tlsServer(pki.good);
    const expired = await tlsServer(pki.expired);
    const wrong = await tlsServer(pki.wrongName);
    const send = (port: number, ...extra: string[]) =>
      runCli(["send", "--tls", ...extra, "localhost", String(port), "x"], {
        permissions: RW,
      });
    try {
      const unknown = await send(good.port);
      assertEquals(unknown.code, 1);
      assertMatch(
        unknown.stderr,
        /^sockit: cannot connect to "localhost:\d+": TLS handshake failed: certificate is signed by an unknown issuer\n$/,
      );
      const old = await send(expired.port, "--cacert", pki.ca);
      assertEquals(old.code, 1);
      assertMatch(
        old.stderr,
        /^sockit: cannot connect to "localhost:\d+": TLS handshake failed: certificate has expired\n$/,
      );
      const name = await send(wrong.port, "--cacert", pki.ca);
      assertEquals(name.code, 1);
      assertMatch(
        name.stderr,
        /^sockit: cannot connect to "localhost:\d+": TLS handshake failed: certificate is not valid for the name "localhost"\n$/,
      );
      const sni = await send(
        good.port,
        "--cacert",
        pki.ca,
        "--servername",
        "x.test",
      );
      assertEquals(sni.code, 1);
      assertMatch(sni.stderr, /not valid for the name "x\.test"/);
      // The refused handshake was an error event; the server still serves.
      await good.waitFor((l) => l.includes('"error"'));
      const ok = await send(good.port, "--cacert", pki.ca);
      assertEquals([ok.code, ok.text], [0, "x"], ok.stderr);
    } finally {
      for (const server of [good, expired, wrong]) {
        assertEquals(await server.stop(), 0);
      }
    }
  },
});

Deno.test({
  name:
    "--cacert trusts OpenSSL 3's self-signed CA:TRUE certificate exactly (send and get)",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const server = await tlsServer(pki.self);
    const web = await sServer(pki.self, true);
    try {
      const data = randomBytes(300_000);
      const trusted = await runCli(
        [
          "send",
          "--tls",
          "--cacert",
          pki.self.cert,
          "localhost",
          String(server.port),
        ],
        { stdin: data, permissions: RW },
      );
      assertEquals(trusted.code, 0, trusted.stderr);
      assertEquals(await sha256(trusted.stdout), await sha256(data));
      // Another CA does not make this certificate trusted.
      const other = await runCli(
        [
          "send",
          "--tls",
          "--cacert",
          pki.ca,
          "localhost",
          String(server.port),
          "x",
        ],
        { permissions: RW },
      );
      assertEquals(other.code, 1);
      assertMatch(
        other.stderr,
        /certificate is self-signed and not trusted/,
      );
      // Trusted as itself, it must still carry the name.
      const byIp = await runCli(
        [
          "send",
          "--tls",
          "--cacert",
          pki.self.cert,
          "127.0.0.1",
          String(server.port),
          "x",
        ],
        { permissions: RW },
      );
      assertEquals(byIp.code, 1);
      assertMatch(
        byIp.stderr,
        /self-signed and not trusted for the name "127\.0\.0\.1"\n$/,
      );

      const page = await runCli(
        ["get", "--cacert", pki.self.cert, `https://localhost:${web.port}/`],
        { permissions: RW },
      );
      assertEquals(page.code, 0, page.stderr);
      assertMatch(page.text, /s_server/);
    } finally {
      assertEquals(await server.stop(), 0);
      await web.stop();
    }
  },
});

Deno.test({
  name: "--cacert without a certificate, or with a damaged one, is exit 2",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const empty = `${pki.dir}/empty.pem`;
    const text = `${pki.dir}/notes.txt`;
    const damaged = `${pki.dir}/damaged.pem`;
    const cut = `${pki.dir}/cut.pem`;
    await Deno.writeTextFile(empty, "");
    await Deno.writeTextFile(text, "just some text\n");
    const ca = await Deno.readTextFile(pki.ca);
    const lines = ca.split("\n");
    lines[2] = "!" + (lines[2] ?? "").slice(1);
    await Deno.writeTextFile(damaged, lines.join("\n"));
    await Deno.writeTextFile(cut, ca.slice(0, ca.length / 2));
    for (
      const [file, message] of [
        [empty, "holds no PEM certificate"],
        [text, "holds no PEM certificate"],
        [pki.good.key, "holds no PEM certificate"],
        [damaged, "is not valid PEM"],
        [cut, "is not valid PEM"],
      ] as const
    ) {
      const commands = [
        ["send", "--tls", "--cacert", file, "127.0.0.1", "9", "x"],
      ];
      // get shares the check; two cases prove it is wired in.
      if (file === empty || file === damaged) {
        commands.push(["get", "--cacert", file, "https://127.0.0.1:9/"]);
      }
      for (const args of commands) {
        const result = await runCli(args, { permissions: RW });
        assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assertEquals(
          result.stderr,
          `sockit: --cacert "${file}" ${message}${
            message === "is not valid PEM"
              ? ": a certificate in it does not decode"
              : ""
          }\n`,
        );
      }
    }
    const stray = await runCli(["send", "--cacert", pki.ca, "127.0.0.1", "9"], {
      permissions: RW,
    });
    assertEquals([stray.code, stray.stderr], [
      2,
      "sockit: --cacert needs --tls\n",
    ]);
  },
});

Deno.test({
  name: "echo-tcp refuses a bad certificate or key with exit 2 before binding",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    const port = String(freePort());
    const cases: [string[], RegExp][] = [
      [
        ["--tls-cert", pki.good.cert, "--tls-key", pki.wrongName.key],
        /--tls-key ".*wrong\.key" does not match the certificate in ".*good\.pem"/,
      ],
      [
        ["--tls-cert", pki.good.key, "--tls-key", pki.good.cert],
        /--tls-cert ".*good\.key" holds no PEM certificate/,
      ],
      [
        ["--tls-cert", pki.good.cert, "--tls-key", pki.good.cert],
        /--tls-key ".*good\.pem" holds no PEM private key/,
      ],
      [
        ["--tls-cert", pki.dir, "--tls-key", pki.good.key],
        /cannot read --tls-cert ".*": is a directory/,
      ],
      [
        ["--tls-cert", `${pki.dir}/none.pem`, "--tls-key", pki.good.key],
        /cannot read --tls-cert ".*none\.pem"/,
      ],
      [
        ["--tls-cert", pki.good.cert],
        /--tls-cert and --tls-key must be given together/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["echo-tcp", "--port", port, ...args], {
        permissions: RW,
        timeoutMs: 10_000,
      });
      assertEquals(result.code, 2, result.stderr);
      assertEquals(result.text, "", "nothing was listening");
      assertMatch(result.stderr, message);
      assert(result.stderr.split("\n").length === 2, result.stderr);
    }
  },
});

/**
 * Runs `serve` with a TLS server's first connection (handshaken) and the
 * `sockit send --tls` arguments that reach it: once with a CA's
 * certificate (Deno's own TLS path), once with a trusted self-signed one
 * (node:tls). The listener is closed after each.
 */
async function onBothTlsPaths(
  serve: (accepted: Promise<Deno.TlsConn>, send: string[]) => Promise<void>,
): Promise<void> {
  const pki = await pkiReady;
  for (const pair of [pki.good, pki.self]) {
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(pair.cert),
      key: await Deno.readTextFile(pair.key),
    });
    const accepted = (async () => {
      const conn = await listener.accept();
      await conn.handshake();
      return conn;
    })();
    // A case that fails before accepting: the close then rejects this.
    accepted.catch(() => {});
    const ca = pair === pki.self ? pair.cert : pki.ca;
    try {
      await serve(accepted, [
        "send",
        "--tls",
        "--cacert",
        ca,
        "localhost",
        String(listener.addr.port),
      ]);
    } finally {
      listener.close();
    }
  }
}

Deno.test({
  name:
    "send --tls: input after the server's early answer and close_notify still reaches it, with a CA's certificate and a trusted self-signed one",
  ...OPENSSL,
  async fn() {
    await onBothTlsPaths(async (accepted, send) => {
      // Answers at once, half-closes (close_notify, FIN), then reads on.
      const served = (async () => {
        const conn = await accepted;
        await conn.write(new TextEncoder().encode("early\n"));
        await conn.closeWrite();
        const chunks: Uint8Array[] = [];
        const buffer = new Uint8Array(1024);
        try {
          for (let n; (n = await conn.read(buffer)) !== null;) {
            chunks.push(buffer.slice(0, n));
          }
        } finally {
          conn.close();
        }
        return new TextDecoder().decode(concatBytes(chunks));
      })();
      const child = cliCommand(send, RW).spawn();
      // The input comes only once the answer and its close_notify did.
      const reader = child.stdout.getReader();
      const first = await reader.read();
      assertEquals(new TextDecoder().decode(first.value), "early\n");
      reader.releaseLock();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("late\n"));
      await writer.close();
      const status = await child.output();
      assertEquals(
        [status.code, await served],
        [0, "late\n"],
        new TextDecoder().decode(status.stderr),
      );
    });
  },
});

Deno.test({
  name:
    "send --tls: a server that resets mid-input is exit 1 in the system's words on both TLS paths, not node's \"write EPIPE\"",
  ...OPENSSL,
  async fn() {
    await onBothTlsPaths(async (accepted, send) => {
      // Reads a little, then closes with input unread: the kernel resets.
      const served = (async () => {
        const conn = await accepted;
        await conn.read(new Uint8Array(10));
        conn.close();
      })();
      const result = await runCli(send, {
        permissions: RW,
        stdin: new Uint8Array(8 * 1024 * 1024),
        timeoutMs: 20_000,
      });
      await served;
      assertEquals(result.code, 1, result.stderr);
      assertMatch(
        result.stderr,
        /^sockit: cannot (send to|receive from) "127\.0\.0\.1:\d+": (connection reset by peer|broken pipe)\n$/,
      );
    });
  },
});

Deno.test({
  name:
    "send --tls to a plain-text server says the peer does not speak TLS, on both TLS paths (curl: wrong version number)",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    // Deno's TLS path (a CA's certificate), then node:tls (a trusted
    // self-signed one): each words the failure its own way.
    for (const ca of [pki.ca, pki.self.cert]) {
      // Answers a ClientHello as a plain HTTP server would.
      const peer = await PythonPeer.start(
        'c.recv(1024); c.sendall(b"HTTP/1.0 400 Bad Request\\r\\n\\r\\n"); c.close()',
      );
      try {
        const result = await runCli(
          ["send", "--tls", "--cacert", ca, "localhost", String(peer.port)],
          { permissions: RW, stdin: "hi\n" },
        );
        assertEquals(result.code, 1, result.stderr);
        assertMatch(
          result.stderr,
          /^sockit: cannot connect to "localhost:\d+": TLS handshake failed: the peer does not speak TLS \(.+\)\n$/,
        );
      } finally {
        peer.kill();
        await peer.child.status;
      }
    }
  },
});

Deno.test({
  name: "tls tests clean up their certificates",
  ...OPENSSL,
  async fn() {
    const pki = await pkiReady;
    await Deno.remove(pki.dir, { recursive: true });
  },
});
