/**
 * The Renoise guide's HTTP GET, ported: a 2000 ms connect timeout, an
 * HTTP/1.0 request, then `"*line"` reads with a 500 ms timeout until the
 * server goes quiet or disconnects. `sockit get` is the robust version.
 *
 *     deno run --allow-net examples/http_get.ts [host] [port]
 *
 * @module
 */
import { createClient, SocketError } from "../lib/mod.ts";

const host = Deno.args[0] ?? "www.renoise.com";
const port = Number(Deno.args[1] ?? 80);

let client;
try {
  client = await createClient(host, port, { timeout: 2000 });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  Deno.exit(1);
}

await client.send(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);

let content = "";
while (true) {
  try {
    content += (await client.receive("*line", 500)) + "\n";
  } catch (error) {
    if (
      error instanceof SocketError &&
      (error.code === "timeout" || error.code === "disconnected")
    ) break;
    console.error(`'socket receive' failed with the error: ${error}`);
    break;
  }
}
if (client.isOpen) client.close();

console.log("HTTP GET Response");
console.log(content || "Socket receive timeout or no content.");
