import { seededRandom } from "./_seeded_random.ts";
import { assert, assertEquals } from "../_assert.ts";
import { runCli } from "../_cli.ts";
import { pool, record } from "./_report.ts";

const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write"];

/** Each of these must be refused before any socket opens: exit 2, one line. */
const BAD: string[][] = [
  ["bogus"],
  ["snd", "127.0.0.1", "1"],
  ["--port", "1"],
  ["echo-tcp", "--port", "70000"],
  ["echo-tcp", "--port", "-5"],
  ["echo-tcp", "--port", "abc"],
  ["echo-tcp", "--port"],
  ["echo-tcp", "--prot", "5"],
  ["echo-tcp", "-i", "5x"],
  ["echo-tcp", "-i", "0"],
  ["echo-tcp", "-m", "0"],
  ["echo-tcp", "--host", "300.1.1.1"],
  ["echo-tcp", "--host", "[::1"],
  ["echo-tcp", "--allow", "10.0.0.0/33"],
  ["echo-tcp", "--deny", "nonsense"],
  ["echo-tcp", "-4", "-6"],
  ["echo-tcp", "-4", "--host", "::1"],
  ["echo-tcp", "--json=1"],
  ["echo-udp", "--port", "65536"],
  ["echo-udp", "-i", "1s"],
  ["echo-udp", "extra"],
  ["send"],
  ["send", "127.0.0.1"],
  ["send", "127.0.0.1", "0", "x"],
  ["send", "127.0.0.1", "nosuchservice"],
  ["send", "fe80::1%eth0", "80"],
  ["send", "bad host!", "80"],
  ["send", "-w", "soon", "127.0.0.1", "80"],
  ["send", "-q", "-1s", "127.0.0.1", "80"],
  ["send", "-6", "127.0.0.1", "80"],
  ["send", "-i", "1d", "127.0.0.1", "80"],
  ["get"],
  ["get", "ftp://example.com/"],
  ["get", "http://"],
  ["get", "-H", "broken", "http://127.0.0.1:1/"],
  ["get", "--max-redirs", "many", "http://127.0.0.1:1/"],
  ["get", "--connect-timeout", "2 s", "127.0.0.1:1"],
  ["get", "-w", "%{nosuch}", "127.0.0.1:1"],
  ["get", "-f", "--fail-with-body", "127.0.0.1:1"],
  ["get", "-o", "x", "-O", "127.0.0.1:1/x"],
  ["get", "http:///path"],
  ["get", "mailto:x@y"],
  ["get", "--cacert", "/nonexistent/ca.pem", "https://127.0.0.1:1/"],
  ["get", "-i", "--raw", "http://127.0.0.1:1/"],
];

async function expectUsageError(args: string[]): Promise<void> {
  const result = await runCli(args, {
    permissions: PERMISSIONS,
    timeoutMs: 15_000,
  });
  const where = JSON.stringify(args);
  assertEquals(
    result.code,
    2,
    `${where}: exit ${result.code}: ${result.stderr}`,
  );
  assertEquals(result.stdout.length, 0, `${where}: wrote to stdout`);
  const lines = result.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, `${where}: ${result.stderr}`);
  assert(lines[0]!.startsWith("sockit: "), `${where}: ${result.stderr}`);
  assert(!/\bat .*:\d+:\d+/.test(result.stderr), `${where}: stack trace`);
}

Deno.test(`bad invocations: a table of ${BAD.length} command lines each exit 2 with one line`, async () => {
  assert(BAD.length >= 30);
  await pool(BAD.length, 6, (i) => expectUsageError(BAD[i]!));
});

/**
 * A command line with exactly one fault planted among valid options, in a
 * random order. Valid lines would start servers or connect: every vector
 * here must be refused before that.
 */
function generate(seed: number): string[] {
  const rand = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(rand() * items.length)]!;
  const badPorts = [
    "-1",
    "65536",
    "99999",
    "abc",
    "1.5",
    "0x50",
    "",
    " ",
    "80 80",
  ];
  const badDurations = [
    "soon",
    "5x",
    "-1s",
    "1d",
    "0",
    "1e3",
    "ms",
    "1.2.3s",
    "",
  ];
  const badHosts = [
    "300.1.1.1",
    "[::1",
    "::1]",
    "a b",
    "-x",
    "[host]",
    "1.2.3",
    "..",
    "",
  ];
  const unknownFlags = [
    "--prot",
    "--verbosee",
    "-Z",
    "--udpp",
    "--jsonn",
    "--idle",
    // -x is --hex now; -Y is nobody's.
    "-Y",
  ];
  const command = pick(["echo-tcp", "echo-udp", "send", "get"] as const);
  const shuffle = (items: string[][]) => items.sort(() => rand() - 0.5).flat();
  const fault = Math.floor(rand() * 4);
  switch (command) {
    case "echo-tcp":
    case "echo-udp": {
      const options = [["--port", "0"], ["--json"], ["-q"], [
        "--host",
        "127.0.0.1",
      ]];
      if (fault === 0) {
        options.push([
          "--port",
          pick(badPorts.filter((p) => p !== "")),
        ]);
      }
      if (fault === 1) {
        options.push([
          "--host",
          pick(badHosts.filter((h) => h !== "")),
        ]);
      }
      if (fault === 2) options.push([pick(unknownFlags)]);
      if (fault === 3) {
        options.push([
          "--deny",
          pick(["1.2.3.4/33", "x", "::1/200", "1.2.3.4/"]),
        ]);
      }
      return [command, ...shuffle(options)];
    }
    case "send": {
      const host = fault === 1 ? pick(badHosts) : "127.0.0.1";
      const port = fault === 0 ? pick(badPorts) : "9";
      const options = [["-w", "1s"], ["-v"], ["-C"]];
      // "-q 0" is valid: quit as soon as the input ends, as nc -q 0.
      if (fault === 2) {
        options.push([
          "-q",
          pick(badDurations.filter((d) => d !== "0")),
        ]);
      }
      if (fault === 3) options.push([pick(unknownFlags)]);
      return ["send", ...shuffle(options), host, port, "x"];
    }
    case "get": {
      const options = [["-w", "1s"], ["-f"], ["--max-redirs", "2"]];
      let url = "http://127.0.0.1:1/";
      if (fault === 0) {
        url = pick([
          "ftp://x/",
          "http://",
          "http://[::1",
          "a b",
          "gopher://h/",
        ]);
      }
      if (fault === 1) options.push(["-i", pick(badDurations)]);
      if (fault === 2) options.push([pick(unknownFlags)]);
      if (fault === 3) {
        options.push([
          "-H",
          pick(["nocolon", ": v", "Bad Name: v", "a\rb: c"]),
        ]);
      }
      return ["get", ...shuffle(options), url];
    }
  }
}

Deno.test("bad invocations: 200 generated argument vectors each exit 2 with one line", async () => {
  const vectors = Array.from({ length: 200 }, (_, seed) => generate(seed));
  const started = performance.now();
  await pool(vectors.length, 6, (i) => expectUsageError(vectors[i]!));
  record(
    "bad invocations",
    `${BAD.length} table + 200 generated vectors, all exit 2 with one line (${
      ((performance.now() - started) / 1000).toFixed(1)
    } s)`,
  );
});
