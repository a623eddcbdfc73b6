/**
 * `get` against curl: the same flags, the same server, the same bytes and
 * exit codes (curl's exit 7 and 28 are sockit's 1). Plus the holes of
 * issue 8: credentials across origins, `-o` through a temporary file,
 * escaped reason phrases, strict status lines and URLs.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  cliCommand,
  has,
  readHead,
  runCli,
  RW,
  sha256,
  sleep,
  withScriptedServer,
  writeAll,
} from "./_cli.ts";
import { concatBytes } from "../lib/_bytes.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
/** `deno` arguments that run `sockit get`, for a child process or a shell. */
const SOCKIT_GET = [
  "run",
  "--quiet",
  "--config",
  CONFIG,
  ...RW,
  MAIN,
  "get",
];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const noCurl = !has("curl");

interface Ran {
  code: number;
  stdout: Uint8Array;
  text: string;
  stderr: string;
}

/** Runs sockit get or curl with the same arguments, in `cwd`. */
async function run(
  tool: "sockit" | "curl",
  args: string[],
  cwd?: string,
): Promise<Ran> {
  const command = tool === "curl"
    ? new Deno.Command("curl", { args, cwd, stdout: "piped", stderr: "piped" })
    : new Deno.Command(Deno.execPath(), {
      args: [...SOCKIT_GET, ...args],
      cwd,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
  const out = await command.output();
  return {
    code: out.code,
    stdout: out.stdout,
    text: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

function get(args: string[]) {
  return runCli(["get", ...args], { permissions: RW });
}

/** The requests a raw server saw, by path. */
type Seen = Map<string, string>;

/**
 * A raw HTTP server: `respond` returns the bytes for a request path (or
 * writes them itself and returns nothing). Every request head is kept.
 */
function withServer(
  respond: (
    path: string,
    conn: Deno.Conn,
    port: number,
  ) => Promise<string | Uint8Array | void> | string | Uint8Array,
  test: (base: string, seen: Seen, port: number) => Promise<void>,
): Promise<void> {
  const seen: Seen = new Map();
  return withScriptedServer(async (conn, port) => {
    const head = await readHead(conn);
    const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? "/";
    seen.set(path, head);
    const reply = await respond(path, conn, port);
    if (reply !== undefined) await writeAll(conn, reply);
    conn.close();
  }, (base, port) => test(base, seen, port));
}

/** A header's value in a raw request head, or undefined. */
/** Every value of the header `name` in `head`, a line each; undefined if none. */
function header(head: string | undefined, name: string): string | undefined {
  const pattern = new RegExp(`\r\n${name}: ?([^\r]*)(?=\r\n)`, "gi");
  const values = [...(head ?? "").matchAll(pattern)].map((match) => match[1]);
  return values.length === 0 ? undefined : values.join("\n");
}

async function compress(text: string, format: CompressionFormat) {
  const stream = new Blob([text]).stream().pipeThrough(
    new CompressionStream(format),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function response(
  status: string,
  headers: string[],
  body: string | Uint8Array = "",
): Uint8Array {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const head = encoder.encode(
    `HTTP/1.1 ${status}\r\n${
      [...headers, `Content-Length: ${bytes.length}`].map((h) => `${h}\r\n`)
        .join("")
    }\r\n`,
  );
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/** Routes of the differential server. */
async function routes(path: string, port: number) {
  switch (path) {
    case "/a.txt":
      return response("200 OK", ["Content-Type: text/plain"], "hello\n");
    case "/missing":
      return response("404 Not Found", [], "no such page\n");
    case "/big":
      return response("200 OK", [], "x".repeat(3_000_000));
    case "/gzip":
      return response(
        "200 OK",
        ["Content-Encoding: gzip"],
        await compress("zipped body\n".repeat(100), "gzip"),
      );
    case "/deflate":
      return response(
        "200 OK",
        ["Content-Encoding: deflate"],
        await compress("deflated body\n".repeat(100), "deflate"),
      );
    case "/folded":
      return "HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\nContent-Length: 3\r\n\r\nok\n";
    case "/trailers":
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nbody.\n\r\n0\r\nX-Sum: 1\r\nX-Two: 2\r\n\r\n";
    case "/bad-chunk":
      // One write: the good chunks and the bad one arrive in one read.
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabcXX6\r\nworld!\r\n0\r\n\r\n";
    case "/continue": {
      // An interim 1xx head first: curl -i, -I and -v show it, and count it.
      const interim = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
      const final = response("200 OK", [], "after 100\n");
      const out = new Uint8Array(interim.length + final.length);
      out.set(interim);
      out.set(final, interim.length);
      return out;
    }
    case "/redirect":
      return response("302 Found", ["Location: /a.txt"], "moved\n");
    case "/away":
      return response("302 Found", [
        `Location: http://localhost:${port}/a.txt`,
      ]);
    default:
      return response("404 Not Found", []);
  }
}

Deno.test({
  name: "get matches curl's stdout and exit code flag for flag",
  ignore: noCurl,
  async fn() {
    await withServer((path, _, port) => routes(path, port), async (base) => {
      const cases: string[][] = [
        [`${base}/a.txt`],
        ["-i", `${base}/a.txt`],
        ["-I", `${base}/big`],
        ["-f", `${base}/missing`],
        ["--fail-with-body", `${base}/missing`],
        ["-s", "-f", `${base}/missing`],
        ["-sS", "-f", `${base}/missing`],
        [
          "-w",
          "%{http_code} %{size_download} %{url_effective}\\n",
          `${base}/a.txt`,
        ],
        ["-w", "%{http_code}|%{content_type}|%%\\t\\n", `${base}/missing`],
        ["-f", "-w", "%{http_code} %{size_download}", `${base}/missing`],
        ["-o", "-", `${base}/a.txt`],
        ["-L", `${base}/redirect`],
        ["-L", "-i", `${base}/redirect`],
        ["-L", "-w", "%{num_redirects} %{url_effective}", `${base}/redirect`],
        [`${base}/redirect`],
        ["--compressed", `${base}/gzip`],
        ["--compressed", `${base}/deflate`],
        [`${base}/gzip`],
        [`${base}/folded`],
        ["-A", "", `${base}/a.txt`],
        ["-s", "-w", "%{http_code}", "http://127.0.0.1:1/"],
        // curl's words for "no limit".
        ["-L", "--max-redirs", "-1", `${base}/redirect`],
        ["-m", "0", `${base}/a.txt`],
        // curl -i writes a chunked body's trailers after it.
        [`${base}/trailers`],
        ["-i", `${base}/trailers`],
        [`${base}/continue`],
        ["-i", `${base}/continue`],
        ["-I", `${base}/continue`],
        ["-w", "%{size_header}", "-o", "/dev/null", `${base}/continue`],
        // No peer: curl prints the port as 0, not empty.
        ["-s", "-w", "[%{remote_ip}|%{remote_port}]", "http://127.0.0.1:1/"],
      ];
      for (const args of cases) {
        const [ours, theirs] = [
          await run("sockit", args),
          await run("curl", args),
        ];
        const what = `sockit get ${args.join(" ")}: ${ours.stderr}`;
        assertEquals(ours.code, theirs.code === 7 ? 1 : theirs.code, what);
        assertEquals(
          await sha256(ours.stdout),
          await sha256(theirs.stdout),
          what,
        );
        // Without -s curl draws a progress meter on stderr.
        if (args.some((a) => /^-s/.test(a))) {
          assertEquals(ours.stderr === "", theirs.stderr === "", what);
        }
      }
    });
  },
});

Deno.test({
  name: "get -A, -u, URL userinfo, -H 'Host:' and -I send what curl sends",
  ignore: noCurl,
  async fn() {
    await withServer(
      (path, _, port) => routes(path, port),
      async (base, seen, port) => {
        const cases: [string[], string[]][] = [
          [["-A", "probe/2", `${base}/a.txt`], ["User-Agent"]],
          [["-u", "user:pa ss:x", `${base}/a.txt`], ["Authorization"]],
          [[`http://us%20er:p%40ss@127.0.0.1:${port}/a.txt`], [
            "Authorization",
          ]],
          // A % that escapes nothing is sent as written.
          [[`http://a%zz:b%@127.0.0.1:${port}/a.txt`], ["Authorization"]],
          [["-H", "Host:", "-H", "X-Empty;", `${base}/a.txt`], [
            "Host",
            "X-Empty",
          ]],
          [["--compressed", `${base}/a.txt`], ["Accept-Encoding"]],
          [["-I", `${base}/a.txt`], []],
          // Every -H is sent, two of one name too; the first of a name
          // stands in for what -A and -u would have sent.
          [[
            "-H",
            "X-A: 1",
            "-H",
            "X-A: 2",
            "-H",
            "X-B: 1",
            "-H",
            "X-B:",
            `${base}/a.txt`,
          ], [
            "X-A",
            "X-B",
          ]],
          [["-A", "probe/2", "-H", "User-Agent: u/3", `${base}/a.txt`], [
            "User-Agent",
          ]],
          [[
            "-u",
            "a:b",
            "-H",
            "Authorization: Bearer t",
            "-H",
            "authorization: Bearer u",
            `${base}/a.txt`,
          ], [
            "Authorization",
          ]],
        ];
        for (const [args, names] of cases) {
          await run("curl", args);
          const theirs = seen.get("/a.txt")!;
          const ours = await run("sockit", args);
          assertEquals(ours.code, 0, ours.stderr);
          const mine = seen.get("/a.txt")!;
          assertEquals(mine.split(" ")[0], theirs.split(" ")[0], "method");
          for (const name of names) {
            assertEquals(
              header(mine, name),
              name === "Accept-Encoding"
                ? "deflate, gzip"
                : header(theirs, name),
              `${args.join(" ")}: ${name}\n${mine}`,
            );
          }
        }
      },
    );
  },
});

Deno.test({
  name:
    "get -L follows a Location of UTF-8 and latin1 bytes to the path curl asks for",
  ignore: noCurl,
  async fn() {
    const asked: string[] = [];
    // "/café/" in UTF-8, then a lone latin1 "é": raw bytes, as servers send.
    const location = concatBytes([
      encoder.encode("Location: /caf"),
      new Uint8Array([0xc3, 0xa9, 0x2f, 0xe9]),
    ]);
    await withServer((path) => {
      asked.push(path);
      if (path !== "/moved") return response("200 OK", [], "here\n");
      // The Location line goes in after the status line.
      const head = response("302 Found", []);
      const at = decoder.decode(head).indexOf("\r\n") + 2;
      return concatBytes([
        head.subarray(0, at),
        location,
        encoder.encode("\r\n"),
        head.subarray(at),
      ]);
    }, async (base) => {
      for (const tool of ["curl", "sockit"] as const) {
        const result = await run(tool, ["-sS", "-L", `${base}/moved`]);
        assertEquals([result.code, result.text], [0, "here\n"], result.stderr);
      }
    });
    const [, theirs, , ours] = asked;
    assertEquals(theirs?.toLowerCase(), "/caf%c3%a9/%e9");
    assertEquals(ours?.toLowerCase(), theirs?.toLowerCase());
  },
});

Deno.test({
  name:
    "get writes the body before a malformed chunk, as curl does, and exits 1 (curl 56)",
  ignore: noCurl,
  async fn() {
    await withServer((path, _, port) => routes(path, port), async (base) => {
      const args = ["-sS", `${base}/bad-chunk`];
      const [ours, theirs] = [
        await run("sockit", args),
        await run("curl", args),
      ];
      assertEquals([ours.code, theirs.code], [1, 56], ours.stderr);
      assertEquals(ours.text, "helloabc");
      assertEquals(theirs.text, "helloabc");
      assertMatch(ours.stderr, /a chunk is longer than its declared size/);
    });
  },
});

Deno.test("get -I sends HEAD and stops at the head whatever Content-Length says", async () => {
  // No body follows, and the connection stays open: only HEAD framing
  // ends this response.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let method = "";
  let held: Deno.Conn | undefined;
  const serving = (async () => {
    held = await listener.accept();
    method = (await readHead(held)).split(" ")[0]!;
    await writeAll(
      held,
      encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n"),
    );
  })();
  const started = Date.now();
  const result = await get(["-I", `127.0.0.1:${listener.addr.port}/`]);
  const ms = Date.now() - started;
  await serving;
  held?.close();
  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    result.text,
    "HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n",
  );
  assertEquals(method, "HEAD");
  assert(ms < 5000, "waited for a body that never comes");
  listener.close();
});

Deno.test({
  name:
    "get -L drops Authorization, Cookie and -u on a hop to another origin, as curl",
  ignore: noCurl,
  async fn() {
    await withServer(
      (path, _, port) => routes(path, port),
      async (base, seen, port) => {
        const credentials = [
          "-u",
          "me:secret",
          "-H",
          "Cookie: id=1",
          "-H",
          "X-Keep: yes",
          // A Host of the user's own is for the host the user named only.
          "-H",
          "Host: example.test",
        ];
        for (const tool of ["curl", "sockit"] as const) {
          // Same host, same port: credentials follow.
          seen.clear();
          const same = await run(tool, [
            "-L",
            ...credentials,
            `${base}/redirect`,
          ]);
          assertEquals(same.code, 0, same.stderr);
          assert(header(seen.get("/a.txt"), "Authorization"), tool);
          assertEquals(header(seen.get("/a.txt"), "Cookie"), "id=1", tool);
          assertEquals(header(seen.get("/a.txt"), "Host"), "example.test");
          // localhost is another host: they stay behind.
          seen.clear();
          const away = await run(tool, [
            "-L",
            "-v",
            ...credentials,
            "-H",
            "Authorization: Bearer t",
            `${base}/away`,
          ]);
          assertEquals(away.code, 0, away.stderr);
          assertEquals(away.text, "hello\n");
          assert(header(seen.get("/away"), "Authorization"), tool);
          const hop = seen.get("/a.txt");
          assertEquals(
            header(hop, "Authorization"),
            undefined,
            `${tool}: ${hop}`,
          );
          assertEquals(header(hop, "Cookie"), undefined, `${tool}: ${hop}`);
          assertEquals(header(hop, "X-Keep"), "yes", tool);
          assertEquals(header(hop, "Host"), `localhost:${port}`, tool);
          if (tool === "sockit") {
            assertMatch(
              away.stderr,
              new RegExp(
                `\\n\\* redirect to another origin \\(http://localhost:${port}\\): following without Cookie, Authorization\\n`,
              ),
            );
          }
        }
      },
    );
  },
});

Deno.test("get -o writes through a temporary file: the old file survives every failure", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/page.txt`;
  const listing = async () =>
    (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  try {
    await withServer(async (path, conn) => {
      if (path === "/cut") {
        await writeAll(
          conn,
          encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart"),
        );
        return;
      }
      return routes(path, 0);
    }, async (base) => {
      await Deno.writeTextFile(file, "old\n");
      const refused = await get(["-o", file, "http://127.0.0.1:1/"]);
      assertEquals(refused.code, 1);
      const notFound = await get(["-f", "-o", file, `${base}/missing`]);
      assertEquals(notFound.code, 22);
      const cut = await get(["-o", file, `${base}/cut`]);
      assertEquals(cut.code, 1);
      assertEquals(await Deno.readTextFile(file), "old\n");
      assertEquals(await listing(), ["page.txt"], "no temporary file left");

      const fine = await get(["-o", file, `${base}/a.txt`]);
      assertEquals(fine.code, 0, fine.stderr);
      assertEquals(await Deno.readTextFile(file), "hello\n");

      // Where no file existed, a 404 creates none; a truncated body's
      // bytes are still kept.
      await Deno.remove(file);
      assertEquals((await get(["-f", "-o", file, `${base}/missing`])).code, 22);
      assertEquals(await listing(), []);
      assertEquals((await get(["-o", file, `${base}/cut`])).code, 1);
      assertEquals(await Deno.readTextFile(file), "part");

      // A path that cannot be created is exit 23 before any request.
      const nowhere = await get(["-o", `${dir}/no/such/dir`, `${base}/a.txt`]);
      assertEquals(nowhere.code, 23);
      // Named as the user gave it, not as the temporary file beside it.
      assertMatch(
        nowhere.stderr,
        /^sockit: cannot write ".*no\/such\/dir": no such file or directory \(os error 2\)\n$/,
      );

      // -o - and -o /dev/stdout are stdout, as curl.
      for (const path of ["-", "/dev/stdout"]) {
        const out = await get(["-o", path, `${base}/a.txt`]);
        assertEquals([out.code, out.text], [0, "hello\n"], out.stderr);
      }
      assertEquals(await listing(), ["page.txt"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get -o cleans up its temporary file when SIGINT or SIGTERM stops the transfer", async () => {
  // Deno's default action killed the process mid-body and left
  // .page.bin.sockit-XXXXXXXX.part behind (found by the get review: Ctrl-C
  // on a stalled download).
  const dir = await Deno.makeTempDir();
  const file = `${dir}/page.bin`;
  const listing = async () =>
    (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  try {
    await withScriptedServer(async (conn) => {
      await readHead(conn);
      await writeAll(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\npartial body",
      );
      await sleep(10_000);
    }, async (base) => {
      const stop = async (signal: Deno.Signal) => {
        const child = cliCommand(["get", "-o", file, `${base}/`], RW).spawn();
        child.stdin.close();
        // Until the body's first bytes are in the temporary file.
        const started = Date.now();
        while (Date.now() - started < 10_000) {
          const parts = (await listing()).filter((n) => n.endsWith(".part"));
          const size = parts[0] === undefined
            ? 0
            : (await Deno.stat(`${dir}/${parts[0]}`)).size;
          if (size > 0) break;
          await sleep(20);
        }
        child.kill(signal);
        const { code, stderr } = await child.output();
        return { code, stderr: decoder.decode(stderr) };
      };
      // No file before: the bytes received are kept, as after a cut body.
      assertEquals(await stop("SIGINT"), { code: 130, stderr: "" });
      assertEquals(await listing(), ["page.bin"]);
      assertEquals(await Deno.readTextFile(file), "partial body");
      // A file before: it stays as it was.
      await Deno.writeTextFile(file, "old\n");
      assertEquals(await stop("SIGTERM"), { code: 143, stderr: "" });
      assertEquals(await listing(), ["page.bin"]);
      assertEquals(await Deno.readTextFile(file), "old\n");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "get -O names the file after the URL, as curl",
  ignore: noCurl,
  async fn() {
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    try {
      await withServer((path) => routes(path, 0), async (base) => {
        const tools = ["curl", "sockit"] as const;
        for (const [i, tool] of tools.entries()) {
          const saved = await run(tool, ["-O", `${base}/a.txt`], dirs[i]);
          assertEquals(saved.code, 0, saved.stderr);
          assertEquals(await Deno.readTextFile(`${dirs[i]}/a.txt`), "hello\n");
          const nameless = await run(tool, ["-sO", `${base}/`], dirs[i]);
          assertEquals(nameless.code, 23, tool);
        }
      });
    } finally {
      for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("get escapes a hostile reason phrase in the -f line and every -v line", async () => {
  const evil = "Not Found \x1b[2J\x1b]0;pwned\x07";
  await withServer(
    () =>
      `HTTP/1.1 404 ${evil}\r\nX-Evil: \x1b[31mred\r\nContent-Length: 0\r\n\r\n`,
    async (base) => {
      const result = await get(["-f", "-v", base]);
      assertEquals(result.code, 22);
      assert(!result.stderr.includes("\x1b"), JSON.stringify(result.stderr));
      assert(!result.stderr.includes("\x07"), JSON.stringify(result.stderr));
      assertMatch(
        result.stderr,
        /\nsockit: 127\.0\.0\.1:\d+ answered 404 Not Found \\x1b\[2J\\x1b\]0;pwned\\x07\n$/,
      );
      assertMatch(result.stderr, /\n< X-Evil: \\x1b\[31mred\n/);
    },
  );
});

Deno.test("get takes only HTTP/1.0 and 1.1 status lines, and unfolds obs-fold", async () => {
  await withServer(
    (path) =>
      path === "/folded"
        ? "HTTP/1.1 200 OK\r\nX-A: one\r\n\ttwo\r\nContent-Length: 2\r\n\r\nok"
        : `${path.slice(1)} 200 OK\r\nContent-Length: 2\r\n\r\nok`,
    async (base) => {
      for (const version of ["HTTP/5.6", "HTTP/2.0", "HTTP/1.2"]) {
        const result = await get([`${base}/${version}`]);
        assertEquals(result.code, 1, version);
        assertEquals(result.text, "");
        assertMatch(result.stderr, /unsupported version in status line/);
      }
      assertEquals((await get([`${base}/HTTP/1.0`])).text, "ok");
      const folded = await get(["-v", `${base}/folded`]);
      assertEquals([folded.code, folded.text], [0, "ok"], folded.stderr);
    },
  );
});

Deno.test("get writes 300,000 one-byte chunks with one write per read, in seconds not minutes", async () => {
  const chunks = 300_000;
  const body = encoder.encode(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "1\r\nx\r\n".repeat(chunks) + "0\r\n\r\n",
  );
  await withServer(() => body, async (base) => {
    const started = Date.now();
    const result = await get([base]);
    const ms = Date.now() - started;
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.length, chunks);
    // Deno's start-up is most of this; one write per chunk took 5–12 s.
    assert(ms < 4000, `took ${ms} ms`);
  });
});

Deno.test({
  name: "get -m ends a transfer that trickles forever; curl -m does too",
  ignore: noCurl,
  async fn() {
    await withServer(async (_, conn) => {
      await writeAll(
        conn,
        encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
      );
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        await writeAll(conn, encoder.encode("."));
      }
    }, async (base) => {
      for (const tool of ["curl", "sockit"] as const) {
        const started = Date.now();
        const result = await run(
          tool,
          ["-m", "1", base].map((a) =>
            tool === "sockit" && a === "1" ? "1s" : a
          ),
        );
        const ms = Date.now() - started;
        assertEquals(result.code, tool === "curl" ? 28 : 1, result.stderr);
        assert(ms < 4000, `${tool} took ${ms} ms`);
        assert(result.stdout.length > 0, "the bytes that came are written");
        if (tool === "sockit") {
          assertMatch(
            result.stderr,
            /^sockit: cannot fetch: the transfer took longer than --max-time 1000 ms\n$/,
          );
        }
      }
    });
  },
});

Deno.test({
  name:
    "get refuses binary output to a terminal with exit 23, as curl; -o - forces it",
  ignore: noCurl || !has("script"),
  async fn() {
    const binary = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
    await withServer(() => response("200 OK", [], binary), async (base) => {
      const inTerminal = async (command: string) => {
        const out = await new Deno.Command("script", {
          args: ["-qec", command, "/dev/null"],
          stdout: "piped",
          stderr: "piped",
        }).output();
        return { code: out.code, text: decoder.decode(out.stdout) };
      };
      const sockit = [Deno.execPath(), ...SOCKIT_GET].join(" ");
      const curl = await inTerminal(`curl ${base}`);
      const ours = await inTerminal(`${sockit} ${base}`);
      assertEquals([curl.code, ours.code], [23, 23], ours.text);
      assertMatch(
        ours.text,
        /sockit: binary output can mess up your terminal: use -o FILE/,
      );
      assert(
        !ours.text.includes("PNG"),
        "no byte of the body reached the terminal",
      );
      const forced = await inTerminal(`${sockit} -o - ${base}`);
      assertEquals(forced.code, 0, forced.text);
      assertMatch(forced.text, /PNG/);
    });
  },
});

Deno.test("get -4/-6 pick the family; a literal of the other family is exit 2", async () => {
  await withServer((path) => routes(path, 0), async (_, __, port) => {
    const v4 = await get(["-4", `localhost:${port}/a.txt`]);
    assertEquals([v4.code, v4.text], [0, "hello\n"], v4.stderr);
    const wrong = await get(["-6", `127.0.0.1:${port}/a.txt`]);
    assertEquals(wrong.code, 2);
    assertMatch(wrong.stderr, /is an IPv4 address, but -6 was given/);
  });
});

Deno.test("get --compressed reports a corrupt gzip body with exit 1", async () => {
  await withServer(
    () =>
      response(
        "200 OK",
        ["Content-Encoding: gzip"],
        new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]),
      ),
    async (base) => {
      const result = await get(["--compressed", base]);
      assertEquals(result.code, 1);
      assertMatch(
        result.stderr,
        /^sockit: bad response from "127\.0\.0\.1:\d+": cannot decode the gzip body: /,
      );
      const raw = await get(["--compressed", "--raw", base]);
      assertEquals(raw.code, 0, raw.stderr);
      assert(raw.text.startsWith("HTTP/1.1 200 OK\r\n"));
    },
  );
});

Deno.test("get --compressed: a deflate body that runs until close and is cut short is exit 1 after what decoded (curl 7.88 exits 0)", async () => {
  const text = "hello world ".repeat(1000);
  const zlib = await compress(text, "deflate");
  const untilClose = (body: Uint8Array) =>
    concatBytes([
      encoder.encode(
        "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nConnection: close\r\n\r\n",
      ),
      body,
    ]);
  await withServer(
    (path) =>
      untilClose(
        path === "/whole"
          ? zlib
          : path === "/no-checksum"
          ? zlib.subarray(0, zlib.length - 4)
          : zlib.subarray(0, zlib.length >> 1),
      ),
    async (base) => {
      const whole = await get(["--compressed", `${base}/whole`]);
      assertEquals([whole.code, whole.text], [0, text], whole.stderr);
      for (const path of ["/half", "/no-checksum"]) {
        const cut = await get(["--compressed", `${base}${path}`]);
        assertEquals(cut.code, 1, path);
        assert(text.startsWith(cut.text), "what decoded is written");
        assertMatch(
          cut.stderr,
          /^sockit: bad response from "127\.0\.0\.1:\d+": cannot decode the deflate body: it is cut short \(its zlib stream has no end\)\n$/,
        );
      }
    },
  );
});

Deno.test("get --compressed: a gzip body with a second member or trailing bytes says so, exit 1", async () => {
  const gzip = await compress("hello\n", "gzip");
  await withServer(
    (path) =>
      response(
        "200 OK",
        ["Content-Encoding: gzip"],
        path === "/twice"
          ? concatBytes([gzip, gzip])
          : concatBytes([gzip, encoder.encode("junk")]),
      ),
    async (base) => {
      for (const path of ["/twice", "/junk"]) {
        const result = await get(["--compressed", `${base}${path}`]);
        assertEquals(result.code, 1, path);
        assertMatch(
          result.stderr,
          /cannot decode the gzip body: it goes on after the end of its gzip stream \(a second gzip member or trailing bytes\)\n$/,
        );
      }
    },
  );
});

Deno.test({
  name:
    "get --compressed undoes stacked codings as curl, and refuses one it cannot decode",
  ignore: noCurl,
  async fn() {
    const inner = await compress("twice zipped\n", "gzip");
    await withServer(async (path) => {
      switch (path) {
        case "/twice": {
          // gzip of gzip, as "gzip, gzip": the latin1 round trip is exact.
          const bytes = await new Response(
            new Blob([inner]).stream().pipeThrough(
              new CompressionStream("gzip"),
            ),
          ).arrayBuffer();
          return response(
            "200 OK",
            ["Content-Encoding: gzip, gzip"],
            new Uint8Array(bytes),
          );
        }
        case "/identity":
          return response("200 OK", ["Content-Encoding: identity"], "plain\n");
        default:
          return response("200 OK", ["Content-Encoding: br"], "\x0b\x02\x80");
      }
    }, async (base) => {
      for (const path of ["/twice", "/identity"]) {
        const args = ["--compressed", `${base}${path}`];
        const [ours, theirs] = [
          await run("sockit", args),
          await run("curl", args),
        ];
        assertEquals([ours.code, ours.text], [theirs.code, theirs.text], path);
      }
      // curl: exit 61, "Unrecognized content encoding type"; no body.
      const brotli = await get(["--compressed", `${base}/br`]);
      assertEquals([brotli.code, brotli.text], [1, ""]);
      assertEquals(
        brotli.stderr.replace(/:\d+"/, ':PORT"'),
        'sockit: bad response from "127.0.0.1:PORT": cannot decode the br body: --compressed decodes gzip and deflate\n',
      );
    });
  },
});

Deno.test("get --compressed undoes every coding when each has a Content-Encoding line of its own", async () => {
  // RFC 9110 5.3: repeated lines are one comma-separated list. Only the
  // first line was read, so gzip over gzip came out once-zipped, exit 0
  // (found by the get review, against curl, which undoes both).
  const text = "zipped on two lines\n".repeat(20);
  const once = await compress(text, "gzip");
  const twice = new Uint8Array(
    await new Response(
      new Blob([once]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const zlib = new Uint8Array(
    await new Response(
      new Blob([once]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  await withServer(
    (path) =>
      path === "/gzip-gzip"
        ? response(
          "200 OK",
          ["Content-Encoding: gzip", "Content-Encoding: gzip"],
          twice,
        )
        : response(
          "200 OK",
          ["Content-Encoding: gzip", "Content-Encoding: deflate"],
          zlib,
        ),
    async (base) => {
      for (const path of ["/gzip-gzip", "/gzip-deflate"]) {
        const result = await get(["--compressed", `${base}${path}`]);
        assertEquals([result.code, result.text], [0, text], path);
      }
    },
  );
});

Deno.test("get --compressed tells zlib from raw deflate even when the body's first read is one byte", async () => {
  const zlib = await compress("deflated in pieces\n".repeat(20), "deflate");
  await withScriptedServer(async (conn) => {
    await readHead(conn);
    await writeAll(
      conn,
      `HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: ${zlib.length}\r\n\r\n`,
    );
    await writeAll(conn, zlib.subarray(0, 1));
    await sleep(200);
    await writeAll(conn, zlib.subarray(1));
    conn.close();
  }, async (base) => {
    const result = await get(["--compressed", base]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.text, "deflated in pieces\n".repeat(20));
  });
});
