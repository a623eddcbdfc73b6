/**
 * `deno task install [--root DIR]`: bundles the CLI (`deno bundle`, split
 * per command and minified) into DIR/lib/sockit, installs the `sockit`
 * command on that bundle, then points its shim at the Deno running this
 * script. deno's shim runs `exec deno …`, which fails with `deno: not
 * found` where Deno came from `npx` and is on no PATH; this Deno is known
 * to work with this checkout.
 *
 * The bundle is what makes the installed command start fast: one file of
 * commander and the program, a chunk per command, no TypeScript, no
 * deno.json or lock file to read (README, Benchmark). It is a snapshot of
 * the checkout: run the task again after changing the code.
 *
 * @module
 */

const NAME = "sockit";
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** The flags `deno install` writes into the shim. */
const INSTALL_FLAGS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--unstable-net",
  "--unstable-lazy-dynamic-imports",
  "--no-config",
  "--no-lock",
  // A young generation of 1 MB, not V8's up to 16: 10,000 held connections
  // peak at ~120 MB instead of ~165 when each sends one message, with no
  // cost in request/response, bulk, UDP or relay speed (README, Benchmark).
  "--v8-flags=--max-semi-space-size=1",
];

/**
 * Flags `deno install` refuses, added to the shim afterwards. V8's code
 * cache costs more to open than it saves on a bundle this size: 4-5 ms of
 * CPU less without it (README, Benchmark).
 */
const SHIM_FLAGS = ["--no-code-cache"];

/**
 * The installed command's `deno run` flags. The bundle carries its npm
 * packages and the version, so it runs with no config and no lock file;
 * `--unstable-net` is what deno.json's `"unstable": ["net"]` gives a
 * checkout run. With read access granted, `--unstable-lazy-dynamic-imports`
 * keeps Deno from loading every command's chunk before main() starts.
 */
export const RUN_FLAGS: readonly string[] = [...INSTALL_FLAGS, ...SHIM_FLAGS];

/**
 * Bundles cli/main.ts into `outDir`, emptied first so no chunk of an older
 * bundle is left beside the new one; resolves to the entry file's path.
 */
export async function bundle(outDir: string): Promise<string> {
  await Deno.remove(outDir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--config",
      CONFIG,
      "--platform",
      "deno",
      "--code-splitting",
      "--minify",
      "--outdir",
      outDir,
      MAIN,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!built.success) {
    throw new Error(`deno bundle exited with ${built.code}`);
  }
  return `${outDir}/main.js`;
}

/** What `deno task install` takes from its arguments; the rest is passed on. */
export interface InstallArgs {
  /** Where the shim (ROOT/bin) and the bundle (ROOT/lib/NAME) go. */
  root: string;
  /** The command's name (`-n`/`--name`), `sockit` by default. */
  name: string;
  /** Everything else, for `deno install`. */
  rest: string[];
}

/**
 * `--root DIR` (or the env, or ~/.deno, as `deno install --global` does)
 * and `-n NAME`, read here because the bundle's folder and the shim to pin
 * depend on them. A flag without its value is an error string: a bare
 * `--root` must not fall back to ~/.deno and replace what is there.
 */
export function installArgs(args: string[]): InstallArgs | string {
  let root: string | undefined;
  let name = NAME;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if (flag !== "--root" && flag !== "-n" && flag !== "--name") {
      rest.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (!value || (inline === undefined && value.startsWith("-"))) {
      return `${flag} needs a value`;
    }
    if (flag === "--root") root = value;
    else name = value;
  }
  root ??= Deno.env.get("DENO_INSTALL_ROOT") ||
    `${Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "."}/.deno`;
  return { root, name, rest };
}

/**
 * The shim with `deno run` replaced by this Deno's absolute path and the
 * flags `deno install` does not take. Deno writes `exec deno run …` on
 * Unix, and on Windows quotes every word: `@deno "run" …` (.cmd) and
 * `deno "run" …` (the sh shim for Git Bash).
 */
export function pinDeno(shim: string, deno: string): string | undefined {
  const posix = `'${deno.replaceAll("'", `'\\''`)}'`;
  const flags = SHIM_FLAGS.join(" ");
  const quoted = SHIM_FLAGS.map((flag) => `"${flag}"`).join(" ");
  const pinned = shim
    .replace(/^exec deno run /m, `exec ${posix} run ${flags} `)
    .replace(/^deno "run" /m, `${posix} "run" ${quoted} `)
    .replace(/^@deno run /m, `@"${deno}" run ${flags} `)
    .replace(/^@deno "run" /m, `@"${deno}" "run" ${quoted} `);
  return pinned === shim ? undefined : pinned;
}

/**
 * Bundles into a fresh folder beside `target` and swaps it in only once the
 * bundle is made: a failed reinstall (esbuild cannot be fetched, say) leaves
 * the installed command working. Resolves to the entry file in `target`.
 */
async function bundleInPlace(target: string): Promise<string> {
  const parent = target.slice(0, target.lastIndexOf("/"));
  await Deno.mkdir(parent, { recursive: true });
  const staging = await Deno.makeTempDir({ dir: parent, prefix: ".staging-" });
  try {
    await bundle(staging);
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw error;
  }
  const old = `${staging}.old`;
  await Deno.rename(target, old).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.rename(staging, target);
  await Deno.remove(old, { recursive: true }).catch(() => {});
  return `${target}/main.js`;
}

async function main(args: string[]): Promise<number> {
  const deno = Deno.execPath();
  const parsed = installArgs(args);
  if (typeof parsed === "string") {
    console.error(`install: ${parsed}`);
    return 2;
  }
  const { root, name, rest } = parsed;
  let entry: string;
  try {
    entry = await bundleInPlace(`${root}/lib/${name}`);
  } catch (error) {
    console.error(`install: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  const install = await new Deno.Command(deno, {
    args: [
      "install",
      "--global",
      "--force",
      "--root",
      root,
      "-n",
      name,
      ...INSTALL_FLAGS,
      ...rest,
      entry,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!install.success) return install.code || 1;

  const bin = `${root}/bin`;
  let pinned = 0;
  for (const file of [`${bin}/${name}`, `${bin}/${name}.cmd`]) {
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
      `install: no shim in ${bin} runs "deno": ${name} needs deno on PATH`,
    );
    return 1;
  }
  console.error(`${name} runs with ${deno}`);
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
