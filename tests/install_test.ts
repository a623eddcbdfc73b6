/**
 * `deno task install` into a temporary root, then the installed `sockit`
 * run where no `deno` is on PATH: the README's "only Node/npm" machine,
 * where Deno came from `npx` and nothing named `deno` is found.
 */
import { assert, assertEquals } from "./_assert.ts";
import { PythonPeer } from "./_cli.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("deno task install gives a sockit that runs with no deno on PATH", async () => {
  const root = await Deno.makeTempDir();
  const emptyPath = await Deno.makeTempDir();
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "install", "--root", root],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(install.stderr);
    assertEquals(install.code, 0, log);
    const shim = await Deno.readTextFile(`${root}/bin/sockit`);
    assert(
      shim.includes(`exec '${Deno.execPath()}' run --no-code-cache `),
      `the shim does not name this Deno:\n${shim}`,
    );
    // It runs the bundle, not the checkout's TypeScript, with a small young
    // generation (10,000 held connections' RSS).
    assert(shim.includes(`${root}/lib/sockit/main.js`), shim);
    assert(shim.includes("--v8-flags=--max-semi-space-size=1 "), shim);

    const sockit = (args: string[]) =>
      new Deno.Command(`${root}/bin/sockit`, {
        args,
        // PATH replaced, the rest inherited: Deno still finds its cache.
        env: { PATH: emptyPath, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const version = await sockit(["--version"]);
    assertEquals(
      new TextDecoder().decode(version.stdout),
      "0.1.0\n",
      new TextDecoder().decode(version.stderr),
    );
    // The installed permissions are enough for a real session.
    const peer = await PythonPeer.start("c.sendall(c.recv(100).upper())");
    const send = await sockit(["send", "127.0.0.1", `${peer.port}`, "hi"]);
    assertEquals(new TextDecoder().decode(send.stdout), "HI");
    assertEquals(send.code, 0, new TextDecoder().decode(send.stderr));
    await peer.output();
    // UDP needs --unstable-net, and OSC the npm package the bundle carries.
    const udp = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: 0,
    });
    try {
      const { port } = udp.addr as Deno.NetAddr;
      const osc = await sockit([
        "osc",
        "send",
        "127.0.0.1",
        `${port}`,
        "/a",
        "i",
        "1",
      ]);
      assertEquals(osc.code, 0, new TextDecoder().decode(osc.stderr));
      const [packet] = await udp.receive();
      assertEquals(
        [...packet],
        [...new TextEncoder().encode("/a\0\0,i\0\0"), 0, 0, 0, 1],
      );
    } finally {
      udp.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(emptyPath, { recursive: true });
  }
});
