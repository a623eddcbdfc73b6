import type { ClientOptions, SocketClient } from "./client.ts";
import { toSocketError } from "./_socket_error_from.ts";
import { TcpClient } from "./_tcp_client.ts";
import { UdpClient } from "./_udp_client.ts";
import { listenDatagram } from "./_udp.ts";
import { osPath, tempSocketPath, unixPeer } from "./_unix.ts";
import { checkUnixPath } from "./unix_path.ts";
import { validateProtocol } from "./_validate.ts";

/** `createClient({ path })`: a Unix stream or datagram socket's client. */
export async function connectUnix(
  path: string,
  options: ClientOptions,
): Promise<SocketClient> {
  const { protocol = "tcp", tls, family, signal } = options;
  validateProtocol(protocol, "connect");
  if (tls || family) {
    throw new TypeError(
      "Cannot connect: TLS and address families do not apply to Unix sockets",
    );
  }
  checkUnixPath(path, "connect to");
  signal?.throwIfAborted();
  const peer = unixPeer(path);
  try {
    if (protocol === "udp") {
      const reply = await tempSocketPath();
      const conn = listenDatagram({ transport: "unixpacket", path: reply });
      return new UdpClient(conn, peer);
    }
    return new TcpClient(
      await Deno.connect({ transport: "unix", path: osPath(path) }),
      false,
      options.keepSendingAfterEof ?? false,
    );
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw toSocketError(error, "connect to", peer);
  }
}
