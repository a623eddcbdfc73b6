/**
 * The length limit of a Unix socket path, in a file of its own: the CLI
 * checks paths while it parses the command line, before (and without)
 * loading the rest of the library.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * `sun_path` holds 108 bytes: a file path and its closing NUL, or an
 * abstract name after its leading NUL.
 */
const MAX_PATH_BYTES = 107;

/**
 * Refuses a path no Unix socket address can hold, naming it: Deno's own
 * refusal ("path must be shorter than SUN_LEN") names neither the path
 * nor the limit.
 *
 * @example Check a path before using it
 * ```ts
 * import { checkUnixPath } from "@sockit/sockit";
 *
 * checkUnixPath("/run/app.sock"); // fine
 * try {
 *   checkUnixPath(`/tmp/${"a".repeat(200)}.sock`);
 * } catch (error) {
 *   console.log((error as RangeError).message); // Cannot use "unix:/tmp/aaa…
 * }
 * ```
 *
 * @param path A file path, or `@name` for an abstract socket (Linux).
 * @param action What the path is for, for the message: `"listen on"`.
 * @throws {RangeError} The path is empty or over 107 bytes (UTF-8).
 */
export function checkUnixPath(path: string, action = "use"): void {
  if (path === "") {
    throw new RangeError(`Cannot ${action} "unix:": the path is empty`);
  }
  const bytes = encoder.encode(path.startsWith("@") ? path.slice(1) : path)
    .length;
  if (bytes > MAX_PATH_BYTES) {
    throw new RangeError(
      `Cannot ${action} "unix:${path}": the path is ${bytes} bytes, over the ${MAX_PATH_BYTES}-byte limit of a Unix socket address`,
    );
  }
}
