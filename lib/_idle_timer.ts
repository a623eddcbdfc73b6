import { timerDelay } from "./_timer_delay.ts";

/**
 * One timer per connection that is re-armed lazily: `touch()` only stores a
 * time, so the hot path sets no timers.
 */
export class IdleTimer {
  expired = false;
  /**
   * Set by the owner while it waits for a handler; the clock then stands
   * still if `ownWait` says the wait is the handler's own, not the peer's.
   */
  handling = false;
  #limit: number | undefined;
  #lastActivity = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onExpire: () => unknown;
  #ownWait: (() => boolean) | undefined;

  constructor(
    limit: number | undefined,
    onExpire: () => unknown,
    ownWait?: () => boolean,
  ) {
    this.#limit = limit;
    this.#onExpire = onExpire;
    this.#ownWait = ownWait;
    if (limit !== undefined) this.#arm(limit);
  }

  touch(): void {
    this.#lastActivity = Date.now();
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    // Uncut, `#check` would re-arm a too-long delay every millisecond: wait
    // the most a timer can, then look again.
    this.#timer = setTimeout(() => this.#check(), timerDelay(ms));
  }

  #check(): void {
    const limit = this.#limit ?? Infinity;
    if (this.handling && this.#ownWait?.()) this.touch();
    const idleFor = Date.now() - this.#lastActivity;
    if (idleFor < limit) return this.#arm(limit - idleFor);
    this.expired = true;
    this.#onExpire();
  }
}
