import { WriteError } from "./_exit.ts";
import { fileMessageOf } from "./_failure.ts";
import { writeAll } from "./_stdio.ts";

/** Where `get` writes: stdout, or a file that appears only when it should. */
export interface GetOutput {
  /** Writes the head (`-i`, `-I`); never checked for binary. */
  writeHead(bytes: Uint8Array): Promise<void>;
  /**
   * Writes body bytes. On a terminal that nobody forced (`-o -`), a NUL
   * byte refuses the write, as curl's "Binary output can mess up your
   * terminal".
   */
  writeBody(bytes: Uint8Array): Promise<void>;
  /**
   * Ends the output. A file replaces the old one after a success; after a
   * failure the old file stays as it was, and a file that did not exist is
   * created only when body bytes arrived (a truncated body is still kept).
   */
  finish(ok: boolean): Promise<void>;
}

/** Names that mean "stdout" to curl users, and that Deno would refuse. */
const STDOUT_NAMES = new Set([
  "-",
  "/dev/stdout",
  "/dev/fd/1",
  "/proc/self/fd/1",
]);
const STDERR_NAMES = new Set(["/dev/stderr", "/dev/fd/2", "/proc/self/fd/2"]);

/**
 * Opens `get`'s output: stdout when `path` is undefined, else the file
 * (through a temporary file beside it and a rename). Throws
 * {@linkcode WriteError} when the file cannot be created.
 */
export async function openGetOutput(
  path: string | undefined,
): Promise<GetOutput> {
  if (path === undefined) {
    return streamOutput(Deno.stdout, Deno.stdout.isTerminal());
  }
  if (STDOUT_NAMES.has(path)) return streamOutput(Deno.stdout, false);
  if (STDERR_NAMES.has(path)) return streamOutput(Deno.stderr, false);
  let existing: Deno.FileInfo | undefined;
  try {
    existing = await Deno.stat(path);
    // Through a symlink to its target, as a plain open would write.
    path = await Deno.realPath(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw cannotWrite(path, error);
    }
  }
  // A device or a FIFO (/dev/null, a named pipe) cannot be renamed over.
  if (existing && !existing.isFile) {
    if (existing.isDirectory) throw cannotWrite(path, "it is a directory");
    return streamOutput(await open(path, { write: true }), false, path);
  }
  return await fileOutput(path, existing);
}

function streamOutput(
  stream: { write(bytes: Uint8Array): Promise<number>; close?(): void },
  refuseBinary: boolean,
  path?: string,
): GetOutput {
  const write = async (bytes: Uint8Array) => {
    try {
      await writeAll(stream, bytes);
    } catch (error) {
      if (path === undefined && error instanceof Deno.errors.BrokenPipe) {
        throw error;
      }
      throw cannotWrite(path ?? "stdout", error);
    }
  };
  return {
    writeHead: write,
    async writeBody(bytes) {
      if (refuseBinary && bytes.includes(0)) {
        throw new WriteError(
          "binary output can mess up your terminal: use -o FILE, or -o - to write it here anyway",
        );
      }
      await write(bytes);
    },
    finish() {
      if (path !== undefined) stream.close?.();
      return Promise.resolve();
    },
  };
}

async function fileOutput(
  path: string,
  existing: Deno.FileInfo | undefined,
): Promise<GetOutput> {
  const slash = path.lastIndexOf("/");
  const dir = path.slice(0, slash + 1);
  const temporary = `${dir}.${path.slice(slash + 1)}.sockit-${
    crypto.randomUUID().slice(0, 8)
  }.part`;
  const file = await open(temporary, {
    write: true,
    createNew: true,
    mode: (existing?.mode ?? 0o666) & 0o7777,
  }, path);
  let bodyBytes = 0;
  const write = async (bytes: Uint8Array) => {
    try {
      await writeAll(file, bytes);
    } catch (error) {
      throw cannotWrite(path, error);
    }
  };
  return {
    writeHead: write,
    async writeBody(bytes) {
      bodyBytes += bytes.length;
      await write(bytes);
    },
    async finish(ok) {
      file.close();
      try {
        if (ok || (existing === undefined && bodyBytes > 0)) {
          await Deno.rename(temporary, path);
        } else {
          await Deno.remove(temporary);
        }
      } catch (error) {
        await Deno.remove(temporary).catch(() => {});
        throw cannotWrite(path, error);
      }
    },
  };
}

async function open(
  path: string,
  options: Deno.OpenOptions,
  shown = path,
): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, options);
  } catch (error) {
    throw cannotWrite(shown, error);
  }
}

function cannotWrite(path: string, error: unknown): WriteError {
  return new WriteError(`cannot write "${path}": ${fileMessageOf(error)}`);
}
