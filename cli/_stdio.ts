import { messageOf } from "./_failure.ts";

/** Size of the one reused stdin buffer: Deno's own chunk size for pipes. */
const STDIN_CHUNK = 64 * 1024;

/**
 * Yields stdin in chunks. Each chunk is a view into one reused buffer that
 * the next iteration overwrites, so the consumer must be done with it (for
 * example, have awaited the send) before asking for the next.
 */
export async function* readChunks(
  reader: { read(buffer: Uint8Array): Promise<number | null> } = Deno.stdin,
  size = STDIN_CHUNK,
): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(size);
  while (true) {
    const count = await reader.read(buffer);
    if (count === null) return;
    yield buffer.subarray(0, count);
  }
}

/** Writes all of `bytes`, looping over short writes. */
export async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await writer.write(bytes.subarray(offset));
  }
}

/**
 * Writes all of `bytes` to stdout. Its reader leaving stays a
 * `BrokenPipe` (exit 141, silently); any other failure (a full disk) says
 * that stdout failed, which the system's message alone does not.
 */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  try {
    await writeAll(Deno.stdout, bytes);
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) throw error;
    throw new Error(`cannot write to stdout: ${messageOf(error)}`, {
      cause: error,
    });
  }
}
