/**
 * The few `node:` modules commander uses, done with Deno's own APIs.
 *
 * Loading them through Deno's Node-compatibility layer cost ~35 ms of every
 * start (`node:fs` alone ~28 ms) and ~20 MB of RSS. sockit parses with
 * `exitOverride()` and its own output settings, so commander only needs
 * events, stdout/stderr writes and terminal widths; the parts for
 * stand-alone executable subcommands (child processes, file lookups) are
 * never used and fail loudly if they ever are. tools/vendor_commander.ts
 * points the vendored copy's `node:` imports here.
 *
 * @module
 */

type Listener = (...args: unknown[]) => void;

/** The part of Node's EventEmitter that commander's Command uses. */
export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();

  on(name: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(name);
    if (list) list.push(listener);
    else this.#listeners.set(name, [listener]);
    return this;
  }

  addListener(name: string | symbol, listener: Listener): this {
    return this.on(name, listener);
  }

  once(name: string | symbol, listener: Listener): this {
    const once: Listener = (...args) => {
      this.removeListener(name, once);
      listener.apply(this, args);
    };
    return this.on(name, once);
  }

  removeListener(name: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(name);
    const index = list?.indexOf(listener) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
    return this;
  }

  off(name: string | symbol, listener: Listener): this {
    return this.removeListener(name, listener);
  }

  emit(name: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(name);
    if (!list || list.length === 0) return false;
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }

  listenerCount(name: string | symbol): number {
    return this.#listeners.get(name)?.length ?? 0;
  }

  listeners(name: string | symbol): Listener[] {
    return [...(this.#listeners.get(name) ?? [])];
  }
}

function unsupported(what: string): never {
  throw new Error(
    `${what} is not available: sockit's commander has no executable subcommands`,
  );
}

/** Stand-alone executable subcommands only; sockit has none. */
export const childProcess = {
  spawn(): never {
    return unsupported("child_process.spawn");
  },
};

/** Stand-alone executable subcommands only; sockit has none. */
export const fs = {
  existsSync(): boolean {
    return false;
  },
  realpathSync(): never {
    return unsupported("fs.realpathSync");
  },
};

/** Only the name helpers commander uses for a script's file name. */
export const path = {
  basename(file: string, ext?: string): string {
    const base = file.replace(/\/+$/, "").split("/").pop() ?? "";
    return ext && base.endsWith(ext) && base !== ext
      ? base.slice(0, -ext.length)
      : base;
  },
  dirname(file: string): string {
    const index = file.replace(/\/+$/, "").lastIndexOf("/");
    return index > 0 ? file.slice(0, index) : index === 0 ? "/" : ".";
  },
  extname(file: string): string {
    const base = path.basename(file);
    const index = base.lastIndexOf(".");
    return index > 0 ? base.slice(index) : "";
  },
  resolve(...parts: string[]): string {
    return parts.reduce(
      (resolved, part) =>
        part.startsWith("/") ? part : `${resolved.replace(/\/$/, "")}/${part}`,
      ".",
    );
  },
};

const encoder = new TextEncoder();

function output(stream: typeof Deno.stdout) {
  return {
    write(text: string): boolean {
      const bytes = encoder.encode(text);
      let offset = 0;
      while (offset < bytes.length) {
        offset += stream.writeSync(bytes.subarray(offset));
      }
      return true;
    },
    get isTTY(): boolean {
      return stream.isTerminal();
    },
    get columns(): number | undefined {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return undefined;
      }
    },
    hasColors(): boolean {
      return false;
    },
  };
}

/**
 * Environment variables when `--allow-env` grants them, as if unset
 * otherwise: sockit runs without env access, and Node's layer would fail.
 */
const env = new Proxy({} as Record<string, string | undefined>, {
  get(_target, name) {
    if (typeof name !== "string") return undefined;
    const state = Deno.permissions.querySync({ name: "env", variable: name });
    return state.state === "granted" ? Deno.env.get(name) : undefined;
  },
  has(target, name) {
    return typeof name === "string" &&
      (target as Record<string, unknown>)[name] !== undefined;
  },
});

/** The part of Node's `process` commander reads. */
export const process = {
  stdout: output(Deno.stdout),
  stderr: output(Deno.stderr),
  env,
  argv: [Deno.execPath(), ...Deno.args],
  execArgv: [] as string[],
  execPath: Deno.execPath(),
  platform: Deno.build.os === "windows" ? "win32" : Deno.build.os,
  versions: {} as Record<string, string>,
  defaultApp: undefined,
  get exitCode(): number {
    return Deno.exitCode;
  },
  set exitCode(code: number) {
    Deno.exitCode = code;
  },
  exit(code?: number): never {
    return Deno.exit(code);
  },
  on(): void {
    unsupported("process.on");
  },
};

/** Node's ANSI escape pattern (lib/internal/util/inspect.js). */
const ANSI = new RegExp(
  "[\\u001B\\u009B][[\\]()#;?]*" +
    "(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*" +
    "|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?" +
    "(?:\\u0007|\\u001B\\u005C|\\u009C))" +
    "|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-ntqry=><~]))",
  "g",
);

/** Node's `util.stripVTControlCharacters`. */
export function stripVTControlCharacters(text: string): string {
  // Every escape starts with one of these two: text without them (all of
  // sockit's help, which is never coloured) skips the pattern, whose first
  // match alone took ~0.8 ms of each `sockit --help` (--cpu-prof).
  if (!text.includes("\u001B") && !text.includes("\u009B")) return text;
  return text.replace(ANSI, "");
}
