/**
 * `deno task install [--root DIR]`: installs the `sockit` command, then
 * points its shim at the Deno running this script. deno's shim runs
 * `exec deno …`, which fails with `deno: not found` where Deno came from
 * `npx` and is on no PATH; this Deno is known to work with this checkout.
 *
 * @module
 */

const NAME = "sockit";
/**
 * The installed command's `deno run` flags. With read access granted,
 * `--unstable-lazy-dynamic-imports` keeps Deno from reading and parsing
 * every command's modules before main() starts: `sockit --help` 1.25×
 * of an empty `deno run` instead of 1.40× (README, Benchmark).
 */
export const RUN_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--unstable-lazy-dynamic-imports",
];

/** Where `deno install --global` puts shims: `--root`, the env, or ~/.deno. */
function installRoot(args: string[]): string {
  const i = args.indexOf("--root");
  const root = i >= 0
    ? args[i + 1]
    : args.find((a) => a.startsWith("--root="))?.slice("--root=".length);
  if (root) return root;
  const env = Deno.env.get("DENO_INSTALL_ROOT");
  if (env) return env;
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
  return `${home}/.deno`;
}

/** The shim with `deno` replaced by this Deno's absolute path. */
function pinDeno(shim: string, deno: string): string | undefined {
  const posix = `'${deno.replaceAll("'", `'\\''`)}'`;
  const pinned = shim
    .replace(/^exec deno /m, `exec ${posix} `)
    .replace(/^@deno /m, `@"${deno}" `);
  return pinned === shim ? undefined : pinned;
}

async function main(args: string[]): Promise<number> {
  const deno = Deno.execPath();
  const install = await new Deno.Command(deno, {
    args: [
      "install",
      "--global",
      "--force",
      // The installer writes its own lock copy next to the shim.
      "--frozen=false",
      "-n",
      NAME,
      ...RUN_FLAGS,
      "--config",
      "deno.json",
      ...args,
      "cli/main.ts",
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!install.success) return install.code || 1;

  const bin = `${installRoot(args)}/bin`;
  let pinned = 0;
  for (const file of [`${bin}/${NAME}`, `${bin}/${NAME}.cmd`]) {
    let shim: string;
    try {
      shim = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    const next = pinDeno(shim, deno);
    if (next === undefined) continue;
    await Deno.writeTextFile(file, next);
    pinned++;
  }
  if (pinned === 0) {
    console.error(
      `install: no shim in ${bin} runs "deno": ${NAME} needs deno on PATH`,
    );
    return 1;
  }
  console.error(`${NAME} runs with ${deno}`);
  if (/[/\\]_npx[/\\]/.test(deno)) {
    console.error(
      "note: this Deno lives in npx's cache, which npm may clear; for a " +
        "lasting install run `npm install -g deno@2.9.6`, then " +
        "`deno task install` again",
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
