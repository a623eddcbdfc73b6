/**
 * Unix-domain sockets on every command, against socat and ncat -U: stream
 * and datagram, file paths and abstract `@name`s, stale files replaced,
 * live sockets and other files refused, socket files removed on stop.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  has,
  pipeThrough,
  randomBytes,
  runCli,
  RW,
  sha256,
  SpawnedServer,
} from "./_cli.ts";

/** Unix sockets need read and write as well as net. */

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** A long-running peer; `stop()` kills it and waits. */
function spawn(tool: string, args: string[]) {
  const child = new Deno.Command(tool, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await child.status;
    },
  };
}

/** A socket file nobody listens on, as a killed server leaves it. */
async function makeStaleSocket(path: string): Promise<void> {
  const made = await new Deno.Command("python3", {
    args: [
      "-c",
      "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      path,
    ],
  }).output();
  assert(made.success);
}

async function waitForFile(path: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await exists(path))) {
    if (Date.now() > deadline) throw new Error(`${path} never appeared`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const SOCAT = { ignore: !has("socat") };

Deno.test({
  name:
    "echo-tcp --unix: send, socat and ncat -U round-trip; the file goes on SIGTERM",
  ...SOCAT,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/echo.sock`;
    const server = await SpawnedServer.start(
      ["echo-tcp", "--unix", path, "--json"],
      RW,
    );
    try {
      assertEquals(
        [
          server.events[0]?.address,
          server.events[0]?.port,
          server.events[0]?.transport,
        ],
        [`unix:${path}`, 0, "unix"],
      );
      const data = randomBytes(1_000_000);
      const sent = await runCli(["send", `unix:${path}`], {
        stdin: data,
        permissions: RW,
      });
      assertEquals(sent.code, 0, sent.stderr);
      assertEquals(await sha256(sent.stdout), await sha256(data));
      const viaSocat = await pipeThrough(
        "socat",
        ["-", `UNIX-CONNECT:${path}`],
        "socat\n",
      );
      assertEquals(viaSocat.stdout, "socat\n");
      if (has("ncat")) {
        const viaNcat = await pipeThrough("ncat", ["-U", path], "ncat\n");
        assertEquals(viaNcat.stdout, "ncat\n");
      }
      const accepted = server.events.filter((e) => e.event === "accepted");
      assert(accepted.length >= 2);
      for (const event of accepted) {
        assertEquals(event.peer, { address: "unix:-", port: 0 });
      }
    } finally {
      assertEquals(await server.stop(), 0);
    }
    assertEquals(await exists(path), false, "socket file removed");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "--unix: a stale socket file is replaced; a live socket or a plain file is exit 1",
  ...SOCAT,
  async fn() {
    const dir = await Deno.makeTempDir();
    const stale = `${dir}/stale.sock`;
    await makeStaleSocket(stale);
    const server = await SpawnedServer.start(
      ["echo-tcp", "--unix", stale, "--json"],
      RW,
    );
    try {
      const reply = await pipeThrough(
        "socat",
        ["-", `UNIX-CONNECT:${stale}`],
        "hi\n",
      );
      assertEquals(reply.stdout, "hi\n");
      const live = await runCli(["echo-tcp", "--unix", stale], {
        permissions: RW,
      });
      assertEquals(live.code, 1);
      assertEquals(
        live.stderr,
        `sockit: cannot listen on "unix:${stale}": another process is listening on this socket\n`,
      );
    } finally {
      assertEquals(await server.stop(), 0);
    }
    const plain = `${dir}/plain.txt`;
    await Deno.writeTextFile(plain, "keep me");
    for (const command of ["echo-tcp", "echo-udp"]) {
      const refused = await runCli([command, "--unix", plain], {
        permissions: RW,
      });
      assertEquals(refused.code, 1);
      assertMatch(refused.stderr, /the path exists and is not a socket/);
    }
    assertEquals(await Deno.readTextFile(plain), "keep me");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("listen --unix: a second listen on the live path is exit 1, and the first never sees its check (stream and datagram)", async () => {
  const dir = await Deno.makeTempDir();
  const streamPath = `${dir}/stream.sock`;
  const first = await SpawnedServer.start(
    ["listen", "--json", "--unix", streamPath],
    RW,
  );
  const second = await runCli(["listen", "--unix", streamPath], {
    permissions: RW,
  });
  assertEquals(second.code, 1, second.stderr);
  assertMatch(second.stderr, /another process is listening on this socket/);
  // The first listen's one client is still to come: the check was not it.
  const conn = await Deno.connect({ transport: "unix", path: streamPath });
  await conn.write(new TextEncoder().encode("real"));
  await conn.closeWrite();
  while (await conn.read(new Uint8Array(64)) !== null) {
    // To its end.
  }
  conn.close();
  assertEquals((await first.child.status).code, 0);
  assertEquals(
    first.events.filter((e) => e.event === "message").map((e) => e.text),
    ["real"],
  );
  const datagramPath = `${dir}/datagram.sock`;
  const receiver = await SpawnedServer.start(
    ["listen", "-u", "--json", "--unix", datagramPath],
    RW,
  );
  const check = await runCli(["listen", "-u", "--unix", datagramPath], {
    permissions: RW,
  });
  assertEquals(check.code, 1, check.stderr);
  // A sender with an address: the first one heard, not locked out.
  const sender = Deno.listenDatagram({
    transport: "unixpacket",
    path: `\0sockit-test-${crypto.randomUUID()}`,
  });
  await sender.send(new TextEncoder().encode("real"), {
    transport: "unixpacket",
    path: datagramPath,
  });
  sender.close();
  await receiver.waitFor((line) => line.includes('"event":"message"'));
  assertEquals(await receiver.stop(), 0);
  // The sender is named and heard; nothing else reached the receiver.
  assertEquals(
    receiver.events.filter((e) =>
      e.event !== "listening" && e.event !== "stopped"
    ).map((e) => e.event === "message" ? e.text : e.event),
    ["accepted", "real"],
  );
  assert(!receiver.lines.some((line) => line.includes("sockit-probe")));
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "abstract @names interoperate with socat's ABSTRACT-LISTEN/CONNECT",
  ...SOCAT,
  async fn() {
    const name = `sockit-test-${crypto.randomUUID()}`;
    const server = await SpawnedServer.start(
      ["echo-tcp", "--unix", `@${name}`, "--json"],
      RW,
    );
    try {
      assertEquals(server.events[0]?.address, `unix:@${name}`);
      const reply = await pipeThrough(
        "socat",
        ["-", `ABSTRACT-CONNECT:${name}`],
        "abs\n",
      );
      assertEquals(reply.stdout, "abs\n");
    } finally {
      assertEquals(await server.stop(), 0);
    }
    const other = `sockit-test-${crypto.randomUUID()}`;
    const peer = spawn("socat", [
      `ABSTRACT-LISTEN:${other}`,
      "SYSTEM:tr a-z A-Z",
    ]);
    try {
      let result;
      for (let i = 0; i < 50; i++) {
        result = await runCli(["send", "-v", `unix:@${other}`], {
          stdin: "shout\n",
          permissions: RW,
        });
        if (result.code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assertEquals(result?.code, 0, result?.stderr);
      assertEquals(result?.text, "SHOUT\n");
      assertMatch(
        result?.stderr ?? "",
        new RegExp(`^connected to unix:@${other} \\(unix\\) from unix:-\\n`),
      );
    } finally {
      await peer.stop();
    }
  },
});

Deno.test({
  name: "send unix:PATH to socat UNIX-LISTEN; a missing path is exit 1",
  ...SOCAT,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/upper.sock`;
    const peer = spawn("socat", [`UNIX-LISTEN:${path}`, "SYSTEM:tr a-z A-Z"]);
    try {
      await waitForFile(path);
      const result = await runCli(["send", `unix:${path}`, "hello", "there"], {
        permissions: RW,
      });
      assertEquals(
        [result.code, result.text],
        [0, "HELLO THERE"],
        result.stderr,
      );
    } finally {
      await peer.stop();
    }
    const missing = await runCli(["send", `unix:${dir}/none.sock`, "x"], {
      permissions: RW,
    });
    assertEquals(missing.code, 1);
    assertMatch(
      missing.stderr,
      /^sockit: cannot connect to "unix:.*none\.sock": /,
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "Unix datagrams: echo-udp --unix answers socat and send -u; every socket file is removed",
  ...SOCAT,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/dgram.sock`;
    const server = await SpawnedServer.start(
      ["echo-udp", "--unix", path, "--json"],
      RW,
    );
    const before = new Set(
      [...Deno.readDirSync(await tempDir())].map((e) => e.name),
    );
    try {
      const reply = await pipeThrough("socat", [
        "-t",
        "1",
        "-",
        `UNIX-SENDTO:${path},bind=${dir}/socat.sock`,
      ], "from socat\n");
      assertEquals(reply.stdout, "from socat\n");
      const sent = await runCli(["send", "-u", "-q", "500ms", `unix:${path}`], {
        stdin: "one\ntwo\n",
        permissions: RW,
      });
      assertEquals([sent.code, sent.text], [0, "one\ntwo\n"], sent.stderr);
      const from = server.events.filter((e) => e.event === "message").map((
        e,
      ) => (e.peer as { address: string }).address);
      assertEquals(from[0], `unix:${dir}/socat.sock`);
      assertEquals(
        new Set(server.events.map((e) => e.transport)),
        new Set(["unixgram"]),
      );
      // On Linux the reply address is abstract: nothing on disk to leave.
      assertMatch(from[1] ?? "", /^unix:@sockit-[0-9a-f-]+$/);
    } finally {
      assertEquals(await server.stop(), 0);
    }
    assertEquals(await exists(path), false, "server's socket file removed");
    const after = [...Deno.readDirSync(await tempDir())].map((e) => e.name)
      .filter((name) => !before.has(name) && /^sockit-.*\.sock$/.test(name));
    assertEquals(after, [], "send's reply path removed");

    // socat answers send -u at its reply address.
    const upper = `${dir}/upper.sock`;
    const peer = spawn("socat", [
      `UNIX-RECVFROM:${upper},fork`,
      "SYSTEM:tr a-z A-Z",
    ]);
    try {
      await waitForFile(upper);
      const shouted = await runCli(
        ["send", "-u", "-q", "500ms", `unix:${upper}`, "hello"],
        { permissions: RW },
      );
      assertEquals([shouted.code, shouted.text], [0, "HELLO"], shouted.stderr);
    } finally {
      await peer.stop();
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "Unix datagrams: a sender with no path of its own is an error event, and its bytes are not counted out",
  ignore: !has("python3"),
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/dgram.sock`;
    const server = await SpawnedServer.start(["echo-udp", "--unix", path], RW);
    try {
      // An unbound AF_UNIX datagram socket: the server cannot answer it.
      const unbound = await new Deno.Command("python3", {
        args: [
          "-c",
          "import socket, sys\n" +
          "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n" +
          "s.sendto(b'nobody', sys.argv[1])",
          path,
        ],
      }).output();
      assertEquals(unbound.code, 0);
      await server.waitFor((line) => line.startsWith("error: "));
      const sent = await runCli(["send", "-u", "-q", "300ms", `unix:${path}`], {
        stdin: "hi",
        permissions: RW,
      });
      assertEquals([sent.code, sent.text], [0, "hi"], sent.stderr);
    } finally {
      assertEquals(await server.stop(), 0);
    }
    assertEquals(
      server.lines.filter((line) => line.startsWith("error: ")),
      ['error: cannot send to "unix:-": the sender has no socket path to answer'],
    );
    assertEquals(
      server.lines.at(-1),
      "stopped: 2 datagrams, 8 bytes in, 2 bytes out",
    );
    await Deno.remove(dir, { recursive: true });
  },
});

async function tempDir(): Promise<string> {
  const file = await Deno.makeTempFile();
  await Deno.remove(file);
  return file.slice(0, file.lastIndexOf("/"));
}

Deno.test({
  name: "get --unix-socket asks a Unix-socket HTTP server (Docker style)",
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/api.sock`;
    const server = new Deno.Command("python3", {
      args: [
        "-c",
        `
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.headers.get("Host", "") + " " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class S(socketserver.UnixStreamServer):
    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("unix", 0)
S(sys.argv[1], H).handle_request()
`,
        path,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForFile(path);
      const result = await runCli([
        "get",
        "--unix-socket",
        path,
        "http://docker/v1.43/version",
      ], { permissions: RW });
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.text, "docker /v1.43/version");
    } finally {
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
    const https = await runCli([
      "get",
      "--unix-socket",
      path,
      "https://docker/",
    ], { permissions: RW });
    assertEquals(
      [https.code, https.stderr],
      [2, "sockit: --unix-socket works with http:// URLs only\n"],
    );
  },
});

Deno.test({
  name:
    "relay unix:PATH host:port and back: socat UNIX-CONNECT through to echo-tcp, 1 MiB through to socat UNIX-LISTEN; a stale file is replaced and removed on SIGTERM",
  ...SOCAT,
  async fn() {
    const dir = await Deno.makeTempDir();
    const front = `${dir}/front.sock`;
    const back = `${dir}/back.sock`;
    await makeStaleSocket(front);
    const echo = await SpawnedServer.start(["echo-tcp", "-p", "0", "-q"]);
    const toTcp = await SpawnedServer.start(
      ["relay", `unix:${front}`, `127.0.0.1:${echo.port}`],
      RW,
    );
    // EXEC:cat, not PIPE: socat's PIPE echo writes into its own pipe and
    // blocks forever once 1 MiB backs up behind a slow reader.
    const socat = spawn("socat", [`UNIX-LISTEN:${back},fork`, "EXEC:cat"]);
    await waitForFile(back);
    const toUnix = await SpawnedServer.start(
      ["relay", "--json", "-q", "0", `unix:${back}`],
      RW,
    );
    try {
      assertEquals(
        toTcp.lines[0],
        `listening on unix:${front}, relaying to 127.0.0.1:${echo.port}`,
      );
      const reply = await pipeThrough(
        "socat",
        ["-", `UNIX-CONNECT:${front}`],
        "through unix\n",
      );
      assertEquals(reply.stdout, "through unix\n", reply.stderr);
      await toTcp.waitFor((l) => l.includes("disconnected"));
      assertMatch(
        toTcp.lines.join("\n"),
        /client unix:- connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+\nclient unix:- sent 'through unix\\n'/,
      );
      const data = randomBytes(1 << 20);
      const sent = await runCli(["send", "127.0.0.1", String(toUnix.port)], {
        stdin: data,
      });
      assertEquals(sent.code, 0, sent.stderr);
      assertEquals(await sha256(sent.stdout), await sha256(data));
      assertEquals(toUnix.events[0]?.target, {
        address: `unix:${back}`,
        port: 0,
      });
      const connected = await toUnix.waitFor((l) => l.includes('"connected"'));
      assertEquals(JSON.parse(connected).target, {
        address: `unix:${back}`,
        port: 0,
      });
    } finally {
      assertEquals(await toUnix.stop(), 0);
      assertEquals(await toTcp.stop(), 0);
      await socat.stop();
      assertEquals(await echo.stop(), 0);
    }
    assertEquals(await exists(front), false, "relay's socket file removed");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "listen --unix: a socat UNIX-CONNECT client, both directions; the file goes when listen ends",
  ...SOCAT,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/listen.sock`;
    const child = cliCommand(["listen", "-v", "--unix", path], RW).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("from listen\n"));
    await writer.close();
    const stdout = new Response(child.stdout).text();
    const stderr = new Response(child.stderr).text();
    await waitForFile(path);
    const reply = await pipeThrough(
      "socat",
      ["-", `UNIX-CONNECT:${path}`],
      "from socat\n",
    );
    const { code } = await child.status;
    assertEquals(code, 0, await stderr);
    assertEquals(reply.stdout, "from listen\n", reply.stderr);
    assertEquals(await stdout, "from socat\n");
    assertMatch(
      await stderr,
      /^listening on unix:.*listen\.sock\nclient unix:- connected\n/,
    );
    assertEquals(await exists(path), false, "socket file removed");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("a Unix socket path over 107 bytes is exit 2 naming it, in every command", async () => {
  const long = `/tmp/${"a".repeat(120)}.sock`;
  const refusal =
    `cannot use "unix:${long}": the path is 130 bytes, over the 107-byte limit of a Unix socket address\n`;
  // [command line, what the line says before the refusal]
  const lines: [string[], string][] = [
    [["listen", "--unix", long], "--unix: "],
    [["echo-tcp", "--unix", long], "--unix: "],
    [["send", `unix:${long}`, "hi"], ""],
    [["relay", "0", `unix:${long}`], ""],
    [["relay", `unix:${long}`, "127.0.0.1:9"], ""],
  ];
  for (const [args, option] of lines) {
    const result = await runCli(args, { permissions: RW });
    assertEquals(
      [result.code, result.stderr],
      [2, `sockit: ${option}${refusal}`],
      args.join(" "),
    );
  }
});

Deno.test("--unix with an address flag is exit 2 naming the flag, on every server (it was ignored)", async () => {
  const path = await Deno.makeTempFile({ suffix: ".sock" });
  await Deno.remove(path);
  const cases: [string[], string][] = [
    [["echo-tcp", "--unix", path, "-p", "5"], "-p 5"],
    [["echo-tcp", "--unix", path, "--port", "5"], "-p 5"],
    [["echo-tcp", "--host", "0.0.0.0", "--unix", path], "--host 0.0.0.0"],
    [["echo-udp", "--unix", path, "-p", "7", "-4"], "-p 7 -4"],
    [["echo-udp", "--unix", path, "-6"], "-6"],
    [["listen", "--unix", path, "--host", "0.0.0.0"], "--host 0.0.0.0"],
    [["listen", "--unix", path, "-4", "-p", "9"], "-p 9 -4"],
  ];
  for (const [args, words] of cases) {
    const result = await runCli(args, { permissions: RW, stdin: "" });
    assertEquals(
      [result.code, result.text, result.stderr],
      [
        2,
        "",
        `sockit: --unix takes the place of the address: drop "${words}"\n`,
      ],
      args.join(" "),
    );
    assert(!(await exists(path)), `${args.join(" ")} bound ${path}`);
  }
});

Deno.test('a Unix socket path that does not exist is code not-found, as nc\'s "No such file or directory"', async () => {
  const dir = await Deno.makeTempDir();
  const missing = `${dir}/missing.sock`;
  try {
    const result = await runCli(["send", "--json", `unix:${missing}`, "hi"], {
      permissions: RW,
    });
    assertEquals(result.code, 1, result.stderr);
    const error = JSON.parse(result.text.trim());
    assertEquals(
      [error.event, error.code, error.transport],
      ["error", "not-found", "unix"],
    );
    assertEquals(
      result.stderr,
      `sockit: cannot connect to "unix:${missing}": no such file or directory\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP (a closed terminal) stops echo-tcp, listen and relay on a Unix socket cleanly: exit 0, a stopped line, the file removed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const args of [
        ["echo-tcp", "--unix", `${dir}/echo.sock`],
        ["listen", "-k", "--json", "--unix", `${dir}/listen.sock`],
        ["relay", `unix:${dir}/relay.sock`, "127.0.0.1:9"],
      ]
    ) {
      const path = (args.find((a) => a.includes(dir)) ?? "").replace(
        /^unix:/,
        "",
      );
      const server = await SpawnedServer.start(args, RW);
      assertEquals(await exists(path), true, path);
      assertEquals(await server.stop("SIGHUP"), 0, server.stderr);
      assert(
        [...server.lines, server.stderr].join("\n").includes("stopped"),
        `${args[0]}: ${server.stderr}`,
      );
      assertEquals(
        await exists(path),
        false,
        `${args[0]}: socket file removed`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
