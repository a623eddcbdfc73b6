import { Message } from "./message.ts";

/**
 * A server's received bytes as a {@linkcode Message}: a view of them when
 * `borrow` (`borrowMessages`) is set, else a copy the handler may keep.
 * Plain and synchronous, so the read loops pay no promise for it.
 */
export function receivedMessage(bytes: Uint8Array, borrow: boolean): Message {
  return borrow
    ? new Message(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length)
    : new Message(bytes);
}
