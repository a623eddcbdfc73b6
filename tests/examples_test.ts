import { assertEquals, assertMatch } from "./_assert.ts";
import { readUntil } from "./_cli.ts";
import { createClient, decodeOsc } from "../lib/mod.ts";

const example = (name: string) =>
  new URL(`../examples/${name}`, import.meta.url).pathname;

/** Starts an example server on port 0 and reads its port from stderr. */
async function startExample(name: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", example(name), "0"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  const banner = await readUntil(reader, `${name} exited before listening`);
  reader.releaseLock();
  const port = Number(/:(\d+)/.exec(banner)?.[1]);
  return {
    port,
    async stop(): Promise<string> {
      child.kill("SIGTERM");
      const output = await child.output();
      return new TextDecoder().decode(output.stdout);
    },
  };
}

Deno.test("examples/echo_tcp.ts prints the seed's lines and echoes", async () => {
  const server = await startExample("echo_tcp.ts");
  const client = await createClient("127.0.0.1", server.port);
  await client.send("hello");
  assertEquals(await client.receive(5, 2000), "hello");
  client.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals(
    await server.stop(),
    `client 127.0.0.1:${client.localPort} connected\nclient 127.0.0.1:${client.localPort} sent 'hello'\n`,
  );
});

Deno.test("examples/echo_udp.ts prints the seed's line and echoes", async () => {
  const server = await startExample("echo_udp.ts");
  const client = await createClient("127.0.0.1", server.port, {
    protocol: "udp",
  });
  await client.send("hello");
  assertEquals(await client.receive("*all", 2000), "hello");
  client.close();
  assertEquals(
    await server.stop(),
    `client 127.0.0.1:${client.localPort} sent 'hello'\n`,
  );
});

Deno.test("examples/http_get.ts fetches a page from a loopback HTTP server", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response("line one\nline two\n", { headers: { "x-seed": "yes" } }),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      example("http_get.ts"),
      "127.0.0.1",
      String(server.addr.port),
    ],
  }).output();
  await server.shutdown();
  const text = new TextDecoder().decode(output.stdout);
  assertEquals(output.code, 0);
  assertMatch(text, /^HTTP GET Response\nHTTP\/1\.0 200 OK\n/);
  assertMatch(text, /x-seed: yes\n/);
  assertMatch(text, /\n\nline one\nline two\n/);
});

Deno.test("examples/renoise_osc.ts sends Renoise's messages to a local UDP receiver", async () => {
  const receiver = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const port = (receiver.addr as Deno.NetAddr).port;
  const received: string[] = [];
  const receiving = (async () => {
    for await (const [data] of receiver) {
      const packet = decodeOsc(data);
      if ("address" in packet) {
        received.push(
          `${packet.address} ${
            packet.args.map((a) => `${a.type}:${"value" in a ? a.value : ""}`)
              .join(" ")
          }`.trim(),
        );
      }
      if (received.length === 6) break;
    }
  })();
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      example("renoise_osc.ts"),
      "127.0.0.1",
      String(port),
    ],
    stderr: "piped",
  }).output();
  assertEquals(output.code, 0);
  await receiving;
  receiver.close();
  assertEquals(received, [
    "/renoise/transport/start",
    "/renoise/song/bpm f:127.5",
    "/renoise/trigger/note_on i:1 i:-1 i:48 i:100",
    "/renoise/trigger/note_off i:1 i:-1 i:48",
    "/renoise/evaluate s:renoise.app():show_status('hello from sockit')",
    "/renoise/transport/stop",
  ]);
});
