/**
 * The Renoise guide's TCP echo server, ported: a notifier class, passed to
 * `run` as an instance so that its methods see `this`.
 *
 *     deno run --allow-net examples/echo_tcp.ts [port]
 *
 * @module
 */
import {
  createServer,
  type Message,
  type SocketClient,
  type SocketNotifier,
  type SocketServer,
} from "../lib/mod.ts";

class EchoServer implements SocketNotifier {
  server: SocketServer;

  constructor(server: SocketServer) {
    this.server = server;
    this.server.run(this);
  }

  socketError(error: Error): void {
    console.error(error.message);
  }

  socketAccepted(socket: SocketClient): void {
    console.log(`client ${socket.peerAddress}:${socket.peerPort} connected`);
  }

  socketMessage(socket: SocketClient, message: Message): Promise<void> {
    console.log(
      `client ${socket.peerAddress}:${socket.peerPort} sent '${message}'`,
    );
    return socket.send(message);
  }
}

const port = Number(Deno.args[0] ?? 1025);
try {
  const server = await createServer("localhost", port);
  console.error(`echo server on tcp localhost:${server.localPort}`);
  new EchoServer(server);
} catch (error) {
  console.error(`Failed to start the echo server: ${error}`);
  Deno.exit(1);
}
