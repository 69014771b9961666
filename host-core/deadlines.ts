// Every deadline of a server (handshake, idle, close) in one Map swept by one interval, so an idle
// connection costs a map entry, not a timer.
import type { Policy } from "./server-policy.ts";

/** Something with a deadline; expire() runs once when it passes. */
export interface Expiring {
  expire(): void;
}

/** Deadlines are coarse: they fire within one tick late. */
export class Deadlines {
  private readonly items = new Map<Expiring, number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly tick: number) {}

  /** A tick of a quarter of the shortest timeout, between 10 ms and 1 s; 50 ms with a throttle. */
  static forPolicy(p: Policy): Deadlines {
    const shortest = Math.min(
      ...[p.handshakeTimeout, p.idleTimeout / 2, p.closeTimeout].filter((t) => t > 0),
      p.throttleIn || p.throttleOut ? 200 : 4000,
    );
    return new Deadlines(Math.max(10, Math.min(1000, shortest / 4)));
  }

  set(item: Expiring, ms: number): void {
    this.items.set(item, Date.now() + ms);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.tick);
      // A pending deadline alone must not keep the process alive.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  delete(item: Expiring): void {
    this.items.delete(item);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [item, at] of this.items) {
      if (at > now) continue;
      this.items.delete(item);
      item.expire();
    }
    if (this.items.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
