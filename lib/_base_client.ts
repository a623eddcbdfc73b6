import type { NetAddress } from "./errors.ts";
import { SocketError } from "./errors.ts";
import { type Action, socketError } from "./_socket_error_from.ts";
import type { ReceiveMode } from "./_receive_mode.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** What TCP clients, UDP clients and UDP peer handles have in common. */
export abstract class BaseClient {
  abstract readonly protocol: "tcp" | "udp";
  abstract readonly localAddress: string;
  abstract readonly localPort: number;
  readonly peerAddress: string;
  readonly peerPort: number;
  #open = true;
  #peer: NetAddress;

  constructor(peer: NetAddress) {
    this.peerAddress = peer.address;
    this.peerPort = peer.port;
    // One object for every event and error, not a new one per message:
    // printers can also cache its text by identity.
    this.#peer = { address: peer.address, port: peer.port };
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get peer(): NetAddress {
    return this.#peer;
  }

  abstract readonly bytesSent: number;
  abstract readonly bytesReceived: number;
  /** Only a UDP client's socket can drop what it was sent. */
  get datagramsDropped(): number {
    return 0;
  }
  abstract send(message: string | Uint8Array): Promise<void>;
  abstract receiveBytes(
    mode: ReceiveMode,
    timeoutMs?: number,
  ): Promise<Uint8Array>;
  abstract closeWrite(): Promise<void>;

  async receive(mode: ReceiveMode, timeoutMs = Infinity): Promise<string> {
    return decoder.decode(await this.receiveBytes(mode, timeoutMs));
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** Frees the OS resource; called once, by `close()`. */
  protected abstract release(): void;

  protected encode(message: string | Uint8Array): Uint8Array {
    return typeof message === "string" ? encoder.encode(message) : message;
  }

  /** Renoise's contract: using a closed socket is an error, not a no-op. */
  protected assertOpen(action: Action): void {
    if (!this.#open) throw socketError("closed", action, this.peer);
  }

  /** Every error but a time-out closes the client, as in Renoise. */
  protected fail(error: SocketError): SocketError {
    if (error.code !== "timeout") this.close();
    return error;
  }

  /** Whether `error` is only the echo of our own `close()`. */
  protected causedByClose(error: unknown): boolean {
    return !this.#open &&
      !(error instanceof SocketError && error.code !== "closed");
  }
}
