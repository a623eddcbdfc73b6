const decoder = new TextDecoder();

/**
 * One chunk (TCP) or one datagram (UDP) as a server received it.
 *
 * It is a `Uint8Array`, so it is binary-safe and `send` takes it as it is;
 * `text` and `toString()` give its UTF-8 text, invalid bytes replaced.
 *
 * @example Print and echo a message
 * ```ts
 * import { createServer } from "@sockit/sockit";
 *
 * const server = await createServer("localhost", 0, { protocol: "udp" });
 * server.run({
 *   socketMessage(client, message) {
 *     console.log(`client ${client.peerAddress} sent '${message}'`);
 *     return client.send(message);
 *   },
 * });
 * await server.stop();
 * ```
 */
export class Message extends Uint8Array {
  /** The message decoded as UTF-8, with invalid bytes replaced by U+FFFD. */
  get text(): string {
    return decoder.decode(this);
  }

  /**
   * The same as {@linkcode Message.text}, so template literals print text.
   *
   * @returns The message decoded as UTF-8.
   */
  override toString(): string {
    return this.text;
  }
}
