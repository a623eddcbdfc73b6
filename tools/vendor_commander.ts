/**
 * Re-creates vendor/commander and vendor/commander_extra_typings from the
 * npm tarballs, with commander's `node:` imports pointed at
 * vendor/commander_shim.ts. Upgrading is: change VERSION, run
 * `deno run --allow-run --allow-read --allow-write tools/vendor_commander.ts`,
 * compare `sockit --help` before and after, commit.
 *
 * Why: loading commander through Deno's Node-compatibility layer cost
 * ~35 ms of a ~58 ms start (see README, "Start-up").
 *
 * @module
 */

const VERSION = "15.1.0";
const ROOT = new URL("../vendor/", import.meta.url);
/** The `node:` modules commander imports, and the shim's name for each. */
const SHIMMED: Record<string, string> = {
  "node:events": "EventEmitter",
  "node:child_process": "childProcess",
  "node:path": "path",
  "node:fs": "fs",
  "node:process": "process",
  "node:util": "stripVTControlCharacters",
};

async function run(command: string, args: string[], cwd?: string) {
  const output = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed:\n${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** `npm pack` (which checks the registry's integrity hash), then untar. */
async function unpack(spec: string, into: string): Promise<string> {
  const [packed] = JSON.parse(
    await run("npm", ["pack", spec, "--json", "--pack-destination", into]),
  ) as { filename: string; integrity: string }[];
  if (!packed) throw new Error(`npm pack ${spec} gave no tarball`);
  await run("tar", ["xzf", packed.filename], into);
  console.log(`${spec}: ${packed.integrity}`);
  return `${into}/package`;
}

/**
 * `import X from 'node:m'` and `import { X } from 'node:m'` become imports
 * of the shim's `X`; an import the shim does not know stops the script, so
 * an upgrade that needs more of Node is noticed here, not at run time.
 */
function shimImports(source: string, file: string, shim: string): string {
  const rewritten = source.replace(
    /^import\s+(\{[^}]*\}|\w+)\s+from\s+'(node:[\w/]+)';$/gm,
    (_line, what: string, module: string) => {
      const name = SHIMMED[module];
      const names = what.startsWith("{")
        ? what.slice(1, -1).split(",").map((n) => n.trim()).filter(Boolean)
        : [what];
      if (
        !name || names.length !== 1 ||
        (what.startsWith("{") && names[0] !== name)
      ) {
        throw new Error(`${file}: the shim has no ${what} from ${module}`);
      }
      return what.startsWith("{")
        ? `import { ${name} } from '${shim}';`
        : `import { ${
          name === what ? name : `${name} as ${what}`
        } } from '${shim}';`;
    },
  );
  if (/from\s+['"]node:|require\(/.test(rewritten)) {
    throw new Error(
      `${file}: a Node import is left that the shim does not cover`,
    );
  }
  return rewritten;
}

function header(pkg: string): string {
  return `// Vendored from npm ${pkg}@${VERSION} by tools/vendor_commander.ts: do not edit.\n`;
}

async function vendorCommander(work: string): Promise<void> {
  const from = await unpack(`commander@${VERSION}`, work);
  const to = new URL("commander/", ROOT);
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await Deno.mkdir(new URL("lib/", to), { recursive: true });
  await Deno.mkdir(new URL("typings/", to), { recursive: true });
  const files = [
    "index.js",
    ...[...Deno.readDirSync(`${from}/lib`)].map((entry) => `lib/${entry.name}`)
      .sort(),
  ];
  for (const file of files) {
    const shim = file.startsWith("lib/")
      ? "../../commander_shim.ts"
      : "../commander_shim.ts";
    let source = shimImports(
      await Deno.readTextFile(`${from}/${file}`),
      file,
      shim,
    );
    // Deno takes a JavaScript module's types from this directive.
    if (file === "index.js") {
      source = `// @ts-self-types="./typings/index.d.ts"\n${source}`;
    }
    await Deno.writeTextFile(new URL(file, to), header("commander") + source);
  }
  await Deno.copyFile(
    `${from}/typings/index.d.ts`,
    new URL("typings/index.d.ts", to),
  );
  await Deno.copyFile(`${from}/LICENSE`, new URL("LICENSE", to));
}

async function vendorExtraTypings(work: string): Promise<void> {
  const pkg = "@commander-js/extra-typings";
  const from = await unpack(`${pkg}@${VERSION}`, work);
  const to = new URL("commander_extra_typings/", ROOT);
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await Deno.mkdir(to, { recursive: true });
  const source = await Deno.readTextFile(`${from}/index.js`);
  if (source.trim() !== "export * from 'commander';") {
    throw new Error(`${pkg}/index.js is no longer a plain re-export`);
  }
  // `commander` resolves through deno.json's import map to the vendored copy.
  await Deno.writeTextFile(
    new URL("index.js", to),
    header(pkg) + `// @ts-self-types="./index.d.ts"\n${source}`,
  );
  await Deno.copyFile(`${from}/index.d.ts`, new URL("index.d.ts", to));
  await Deno.copyFile(`${from}/LICENSE`, new URL("LICENSE", to));
}

if (import.meta.main) {
  const work = await Deno.makeTempDir({ prefix: "sockit-vendor-" });
  try {
    await vendorCommander(`${work}`);
    await Deno.mkdir(`${work}/typings`);
    await vendorExtraTypings(`${work}/typings`);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
