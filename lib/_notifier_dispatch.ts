import { SocketError } from "./errors.ts";
import type { NetAddress } from "./errors.ts";
import type { SocketClient } from "./client.ts";
import type { Message } from "./message.ts";
import type { SocketNotifier } from "./server.ts";
import { formatEndpoint } from "./_address.ts";
import { describe } from "./_socket_error_from.ts";

/**
 * Calls a notifier's optional callbacks as methods (so class instances get
 * `this`), awaits them, and turns whatever they throw into a `socketError`
 * call, so that no callback can stop a server.
 */
export class NotifierDispatch {
  #notifier: SocketNotifier;
  /** A failed send surfaces twice: through the handler and the loop. */
  #reported = new WeakSet<SocketError>();

  constructor(notifier: SocketNotifier) {
    this.#notifier = notifier;
  }

  accepted(client: SocketClient): Promise<void> {
    return this.#call(
      "socketAccepted",
      client.peer,
      () => this.#notifier.socketAccepted?.(client),
    );
  }

  /**
   * The hot path, so no wrapper closure or async frame: a handler that
   * returns nothing costs no promise at all (`undefined` then). A promise
   * it returns comes back as it is: the caller awaits it and hands a
   * rejection to {@linkcode NotifierDispatch.messageFailed}.
   */
  message(
    client: SocketClient,
    message: Message,
  ): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = this.#notifier.socketMessage?.(client, message);
    } catch (error) {
      return this.messageFailed(client, error);
    }
    return result instanceof Promise ? result : undefined;
  }

  /** Reports a `socketMessage` that threw or rejected; never rejects. */
  messageFailed(client: SocketClient, error: unknown): Promise<void> {
    return this.#failed("socketMessage", client.peer, error);
  }

  /**
   * Reports a server's `filter` that threw for `peer`, who is refused: a
   * filter is a callback too, and may stop neither server.
   */
  filterFailed(peer: NetAddress, error: unknown): Promise<void> {
    return this.#failed("filter", peer, error);
  }

  ended(client: SocketClient): Promise<void> {
    return this.#call(
      "socketEnded",
      client.peer,
      () => this.#notifier.socketEnded?.(client),
    );
  }

  closed(client: SocketClient): Promise<void> {
    return this.#call(
      "socketClosed",
      client.peer,
      () => this.#notifier.socketClosed?.(client),
    );
  }

  rejected(peer: NetAddress, reason: string): Promise<void> {
    return this.#call(
      "socketRejected",
      peer,
      () => this.#notifier.socketRejected?.(peer, reason),
    );
  }

  async error(error: SocketError): Promise<void> {
    if (this.#reported.has(error)) return;
    this.#reported.add(error);
    try {
      await this.#notifier.socketError?.(error);
    } catch {
      // The error handler itself failed: there is nobody left to tell.
    }
  }

  async #call(
    name: string,
    peer: NetAddress,
    callback: () => void | Promise<void>,
  ): Promise<void> {
    try {
      await callback();
    } catch (error) {
      await this.#failed(name, peer, error);
    }
  }

  #failed(name: string, peer: NetAddress, error: unknown): Promise<void> {
    // A SocketError from the handler's own send is the peer's failure,
    // not the handler's: report it as what it is.
    return this.error(
      error instanceof SocketError ? error : new SocketError(
        "callback",
        `Cannot handle "${
          formatEndpoint(peer.address, peer.port)
        }": ${name} threw: ${describe(error)}`,
        { peer, cause: error },
      ),
    );
  }
}
