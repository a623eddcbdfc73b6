/** The part of a datagram socket a client uses. */
export type DatagramIo = Pick<Deno.DatagramConn, "receive" | "send">;

/**
 * A Unix datagram socket that can send while a receive waits.
 *
 * Deno refuses to send on a Unix datagram socket while a `receive()` is
 * pending on it ("Socket already in use"), and a pending receive cannot be
 * cancelled. A client that must listen for replies all the time therefore
 * wakes its own receive with an empty datagram from a helper socket (an
 * abstract name: no file), sends while no receive is pending, and lets the
 * receive wait again. Datagrams from the helper are never returned.
 */
export class DatagramTurns implements DatagramIo {
  #conn: Deno.DatagramConn;
  #waker: Deno.DatagramConn;
  #wakerPath: string;
  #receiving = false;
  #received: Promise<void> = Promise.resolve();
  #sends: Promise<void> = Promise.resolve();
  #holds = 0;
  #resume: (() => void) | undefined;

  constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    this.#wakerPath = `\0sockit-wake-${crypto.randomUUID()}`;
    this.#waker = Deno.listenDatagram({
      transport: "unixpacket",
      path: this.#wakerPath,
    });
  }

  async receive(
    buffer?: Uint8Array,
  ): Promise<[Uint8Array<ArrayBuffer>, Deno.Addr]> {
    while (true) {
      while (this.#holds > 0) {
        await new Promise<void>((resolve) => this.#resume = resolve);
      }
      let returned!: () => void;
      this.#received = new Promise((resolve) => returned = resolve);
      this.#receiving = true;
      let result: [Uint8Array<ArrayBuffer>, Deno.Addr];
      try {
        result = await this.#conn.receive(buffer);
      } finally {
        this.#receiving = false;
        returned();
      }
      const [, addr] = result;
      if ("path" in addr && addr.path === this.#wakerPath) continue;
      return result;
    }
  }

  send(data: Uint8Array, addr: Deno.Addr): Promise<number> {
    const turn = this.#sends.then(() => this.#sendNow(data, addr));
    this.#sends = turn.then(() => {}, () => {});
    return turn;
  }

  close(): void {
    this.#waker.close();
  }

  async #sendNow(data: Uint8Array, addr: Deno.Addr): Promise<number> {
    this.#holds++;
    try {
      while (this.#receiving) {
        await this.#waker.send(new Uint8Array(0), this.#conn.addr);
        await this.#received;
      }
      return await this.#conn.send(data, addr);
    } finally {
      this.#holds--;
      const resume = this.#resume;
      this.#resume = undefined;
      resume?.();
    }
  }
}
