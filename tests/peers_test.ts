/**
 * sockit's servers against clients nobody here wrote: ncat and socat from
 * Debian (installed by .ci/run). Without them the tests are reported as
 * ignored, never as passed. Python peers are in the other test files.
 */
import { assertEquals } from "./_assert.ts";
import { has, pipeThrough, socatEcho, SpawnedServer } from "./_cli.ts";

Deno.test({
  name: "ncat: echo-tcp answers after ncat half-closes at stdin EOF",
  ignore: !has("ncat"),
  async fn() {
    const server = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
    const result = await pipeThrough(
      "ncat",
      ["127.0.0.1", String(server.port)],
      "from ncat\n",
    );
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "from ncat\n");
    await server.waitFor((l) => l.includes("disconnected"));
    await server.stop();
  },
});

// No ncat -u case: ncat 7.93's UDP client quits at stdin EOF before any
// reply arrives (nmap/nmap#2225, fixed by -q in 7.96). socat covers UDP.

Deno.test({
  name: "socat: echo-tcp and echo-udp answer socat clients",
  ignore: !has("socat"),
  async fn() {
    const tcp = await SpawnedServer.start(["echo-tcp", "--port", "0"]);
    const viaTcp = await pipeThrough("socat", [
      "-t",
      "2",
      "-",
      `TCP:127.0.0.1:${tcp.port}`,
    ], "from socat\n");
    assertEquals(viaTcp.stdout, "from socat\n", viaTcp.stderr);
    await tcp.stop();
    const udp = await SpawnedServer.start(["echo-udp", "--port", "0"]);
    const viaUdp = await pipeThrough("socat", [
      "-t",
      "1",
      "-",
      `UDP:127.0.0.1:${udp.port}`,
    ], "dgram from socat\n");
    assertEquals(viaUdp.stdout, "dgram from socat\n", viaUdp.stderr);
    await udp.stop();
  },
});

Deno.test({
  name: "socat: sockit send talks to a socat echo server",
  ignore: !has("socat"),
  async fn() {
    const { runCli } = await import("./_cli.ts");
    const { port, child: socat } = socatEcho();
    try {
      let result = await runCli([
        "send",
        "127.0.0.1",
        String(port),
        "hello socat",
      ]);
      for (let i = 0; i < 20 && result.code !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        result = await runCli([
          "send",
          "127.0.0.1",
          String(port),
          "hello socat",
        ]);
      }
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.text, "hello socat");
    } finally {
      socat.kill("SIGTERM");
      await socat.status;
    }
  },
});
