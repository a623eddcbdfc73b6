/**
 * TLS peers nobody here wrote, for the TLS tests: `openssl s_server` as a
 * server, `openssl s_client` and `ncat --ssl` as clients.
 *
 * @module
 */
import { freePort, has, readUntil } from "./_cli.ts";

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
  await readUntil(reader, "s_server did not start", "ACCEPT");
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
async function talk(tool: string, args: string[], line: string) {
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

/**
 * `openssl s_client` and (when installed) `ncat --ssl`, each verifying the
 * server on `port` against `ca` for the name `localhost`, each sending one
 * line; what each got back.
 */
export async function verifiedClients(
  ca: string,
  port: string,
): Promise<{ sClient: string; ncat: string | undefined }> {
  const sClient = await talk("openssl", [
    "s_client",
    "-quiet",
    // -quiet implies -ign_eof: end at stdin's EOF instead.
    "-no_ign_eof",
    "-verify_return_error",
    "-CAfile",
    ca,
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
  ], "from s_client\n");
  const ncat = has("ncat")
    ? await talk("ncat", [
      "--ssl",
      "--ssl-verify",
      "--ssl-trustfile",
      ca,
      "localhost",
      port,
    ], "from ncat\n")
    : undefined;
  return { sClient, ncat };
}
