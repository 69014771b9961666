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

  /** Whole bytes that may go now. */
  available(): number {
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
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
  /** Received bytes past the budget, waiting (a copy: adapters may reuse their buffers). */
  inbound: Uint8Array | undefined;
  /** Output past the budget, in order; counted in bufferedAmount. */
  outbound: Uint8Array[] = [];
  outboundBytes = 0;

  constructor(
    inRate: number,
    outRate: number,
    readonly expire: () => void,
  ) {
    this.in = inRate > 0 ? new Bucket(inRate) : undefined;
    this.out = outRate > 0 ? new Bucket(outRate) : undefined;
  }
}

/** The first n bytes of chunks, and the rest, splitting one chunk if need be (views, no copies). */
export function split(chunks: Uint8Array[], n: number): [Uint8Array[], Uint8Array[]] {
  const now: Uint8Array[] = [];
  let i = 0;
  for (; i < chunks.length && n > 0; i++) {
    const c = chunks[i];
    if (c.length <= n) {
      now.push(c);
      n -= c.length;
      continue;
    }
    now.push(c.subarray(0, n));
    return [now, [c.subarray(n), ...chunks.slice(i + 1)]];
  }
  return [now, chunks.slice(i)];
}
