/**
 * The Renoise guide's UDP echo server, ported: a notifier table whose
 * `socketMessage` prints the sender and sends the message back.
 *
 *     deno run --allow-net examples/echo_udp.ts [port]
 *
 * @module
 */
import { createServer, type Message, type SocketClient } from "../lib/mod.ts";

const port = Number(Deno.args[0] ?? 1025);

let server;
try {
  server = await createServer("localhost", port, { protocol: "udp" });
} catch (error) {
  console.error(`Failed to start the echo server: ${error}`);
  Deno.exit(1);
}
console.error(`echo server on udp localhost:${server.localPort}`);

server.run({
  socketError(error) {
    console.error(error.message);
  },
  socketMessage(socket: SocketClient, message: Message) {
    console.log(
      `client ${socket.peerAddress}:${socket.peerPort} sent '${message}'`,
    );
    // Echo the message back, as the seed does.
    return socket.send(message);
  },
});
