/**
 * `deno task install` into a temporary root, then the installed `sockit`
 * run where no `deno` is on PATH: the README's "only Node/npm" machine,
 * where Deno came from `npx` and nothing named `deno` is found.
 */
import { assert, assertEquals } from "./_assert.ts";
import { PythonPeer } from "./_cli.ts";
import { installArgs, pinDeno } from "../tools/install.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** `deno task install` with `args`, from the checkout: exit code and stderr. */
async function install(
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; log: string }> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "install", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, log: new TextDecoder().decode(stderr) };
}

Deno.test("deno task install gives a sockit that runs with no deno on PATH", async () => {
  const root = await Deno.makeTempDir();
  const emptyPath = await Deno.makeTempDir();
  try {
    const first = await install(["--root", root]);
    assertEquals(first.code, 0, first.log);
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
    // A reinstall swaps the bundle in whole and leaves nothing beside it.
    const again = await install(["--root", root]);
    assertEquals(again.code, 0, again.log);
    const libNames = async () =>
      (await Array.fromAsync(Deno.readDir(`${root}/lib`))).map((e) => e.name);
    assertEquals(await libNames(), ["sockit"]);
    // A reinstall whose bundle fails (esbuild cannot be fetched: a fresh
    // DENO_DIR with only the npm packages, and a proxy that refuses) leaves
    // the installed command as it was.
    const info = JSON.parse(
      new TextDecoder().decode(
        (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] })
          .output()).stdout,
      ),
    );
    const offline = await Deno.makeTempDir();
    try {
      const copy = await new Deno.Command("cp", {
        args: ["-r", info.npmCache, `${offline}/npm`],
      }).output();
      assert(copy.success);
      await Deno.remove(`${offline}/npm/registry.npmjs.org/@esbuild`, {
        recursive: true,
      }).catch(() => {});
      const failed = await install(["--root", root], {
        DENO_DIR: offline,
        HTTPS_PROXY: "http://127.0.0.1:1",
        HTTP_PROXY: "http://127.0.0.1:1",
        NO_PROXY: "",
      });
      assertEquals(failed.code, 1, failed.log);
      assert(
        failed.log.includes("install: deno bundle exited with"),
        failed.log,
      );
    } finally {
      await Deno.remove(offline, { recursive: true });
    }
    const still = await sockit(["--version"]);
    assertEquals(new TextDecoder().decode(still.stdout), "0.1.0\n");
    assertEquals(await libNames(), ["sockit"]);
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

Deno.test("install: --root and -n are read, a bare one refused before anything is touched", () => {
  assertEquals(installArgs(["--root", "/r", "-n", "nc2", "--force"]), {
    root: "/r",
    name: "nc2",
    rest: ["--force"],
  });
  assertEquals(installArgs(["--root=/r", "--name=x"]), {
    root: "/r",
    name: "x",
    rest: [],
  });
  assertEquals(installArgs(["--root"]), "--root needs a value");
  assertEquals(installArgs(["--root", "-n", "x"]), "--root needs a value");
  assertEquals(installArgs(["-n"]), "-n needs a value");
});

Deno.test("install: a bare --root is exit 2 and leaves ~/.deno alone", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${home}/.deno/lib/sockit`, { recursive: true });
    await Deno.writeTextFile(`${home}/.deno/lib/sockit/keep.txt`, "keep");
    const run = await install(["--root"], {
      HOME: home,
      DENO_INSTALL_ROOT: "",
    });
    assertEquals(run.code, 2, run.log);
    assertEquals(run.log, "install: --root needs a value\n");
    assertEquals(
      await Deno.readTextFile(`${home}/.deno/lib/sockit/keep.txt`),
      "keep",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("install: every shim form Deno writes is pinned to this Deno, with --no-code-cache", () => {
  const deno = "/opt/my deno/deno";
  // Unix, as Deno writes it.
  assertEquals(
    pinDeno(
      "#!/bin/sh\nexec deno run --allow-net 'file:///m.js' \"$@\"\n",
      deno,
    ),
    "#!/bin/sh\nexec '/opt/my deno/deno' run --no-code-cache --allow-net 'file:///m.js' \"$@\"\n",
  );
  // Windows quotes every word: the .cmd shim and the sh one for Git Bash.
  const windows = "C:\\deno\\deno.exe";
  assertEquals(
    pinDeno(
      '% generated by deno install %\n@deno "run" "--allow-net" "file:///m.js" %*\n',
      windows,
    ),
    `% generated by deno install %\n@"${windows}" "run" "--no-code-cache" "--allow-net" "file:///m.js" %*\n`,
  );
  assertEquals(
    pinDeno(
      '#!/bin/sh\ndeno "run" "--allow-net" "file:///m.js" "$@"\n',
      windows,
    ),
    `#!/bin/sh\n'${windows}' "run" "--no-code-cache" "--allow-net" "file:///m.js" "$@"\n`,
  );
  assertEquals(pinDeno("#!/bin/sh\nexec node x.js\n", deno), undefined);
});
