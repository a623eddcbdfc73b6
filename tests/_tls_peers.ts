/**
 * TLS peers nobody here wrote, for the TLS tests: `openssl s_server` as a
 * server, `openssl s_client` and `ncat --ssl` as clients.
 *
 * @module
 */
import { freePort } from "./_cli.ts";

/** `openssl s_server -rev` for one connection: it answers lines reversed. */
export async function sServer(
  pair: { cert: string; key: string },
  www = false,
) {
  const port = freePort();
  const child = new Deno.Command("openssl", {
    args: [
      "s_server",
      "-accept",
      String(port),
      "-cert",
      pair.cert,
      "-key",
      pair.key,
      "-naccept",
      "1",
      www ? "-www" : "-rev",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ACCEPT")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("s_server did not start");
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const drained = child.stdout.pipeTo(new WritableStream());
  return {
    port,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone after its one connection.
      }
      await child.status;
      await drained.catch(() => {});
    },
  };
}

/**
 * Runs a TLS client tool, writes `line`, and returns what it printed once
 * the echo is back: neither s_client nor ncat waits for replies at EOF.
 */
export async function talk(tool: string, args: string[], line: string) {
  const child = new Deno.Command(tool, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(line));
  let seen = "";
  const reader = child.stdout.getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  while (!seen.includes(line)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  await writer.close().catch(() => {});
  reader.releaseLock();
  await child.stdout.pipeTo(new WritableStream()).catch(() => {});
  await child.status;
  clearTimeout(timer);
  return seen;
}
