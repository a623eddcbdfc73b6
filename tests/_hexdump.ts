/**
 * The reference for `-x`: the system's `hexdump -C`, a tool nobody here
 * wrote.
 *
 * @module
 */

/** `hexdump -v -C` of `data`, without the closing total line. */
export async function hexdumpC(data: Uint8Array): Promise<string[]> {
  const child = new Deno.Command("hexdump", {
    args: ["-v", "-C"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(data);
  await writer.close();
  const text = new TextDecoder().decode((await child.output()).stdout);
  // hexdump ends with the total length; a live dump has none.
  return text.trimEnd().split("\n").slice(0, -1);
}
