// Per-connection bandwidth limits (`throttle: { in, out }`): one token bucket each way, holding a
// second's worth of bytes. A connection over its budget waits on the server's shared deadline sweep
// (host-core/deadlines.ts), never on a timer of its own; nothing is dropped, only delayed.
import type { Expiring } from "./deadlines.ts";

export class Bucket {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  /** Spends n bytes; true while there is budget left. */
  take(n: number): boolean {
    this.refill();
    this.tokens -= n;
    return this.tokens > 0;
  }

  /** True once there is budget again. */
  ready(): boolean {
    this.refill();
    return this.tokens > 0;
  }

  /** Milliseconds until there is budget again. */
  get wait(): number {
    return Math.max(1, Math.ceil((-this.tokens * 1000) / this.rate) + 1);
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}

/** A throttled connection's buckets; its expire() runs when the sweep says the wait is over. */
export class Throttle implements Expiring {
  readonly in: Bucket | undefined;
  readonly out: Bucket | undefined;

  constructor(
    inRate: number,
    outRate: number,
    readonly expire: () => void,
  ) {
    this.in = inRate > 0 ? new Bucket(inRate) : undefined;
    this.out = outRate > 0 ? new Bucket(outRate) : undefined;
  }
}
