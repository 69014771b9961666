// Deno pays for every write to another connection that one turn of its event loop has in flight:
// 10,000 writes of 64 B to 10,000 connections issued in one turn cost 21-33 µs each, in bursts of
// up to 2,000 9-11 µs (Deno 2.9, a TCP sink on another core; bench/deno-writes.ts). A fan-out turn
// writes to every subscriber, so past a limit the next writes wait, in order, for one to complete.
//
// A write the kernel has no room for stays pending until its peer reads. So peers that stop reading
// (or read a trickle) cannot hold the slots: when fewer than an eighth of them come back within
// `stallMs` while writes wait, the writes in flight stop counting and the waiting ones go.

export class WriteSlots {
  private inFlight = 0;
  // Slots taken before a stall was declared are not given back: their writes no longer count.
  private epoch = 0;
  private readonly waiting: ((epoch: number) => void)[] = [];
  private head = 0;
  private completed = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private readonly progress: number;

  constructor(
    readonly limit: number,
    readonly stallMs: number,
  ) {
    this.progress = Math.max(1, limit >> 3);
  }

  /** A slot now (its ticket, for give()), or -1: then wait() for one. */
  take(): number {
    if (this.inFlight >= this.limit) return -1;
    this.inFlight++;
    return this.epoch;
  }

  /** A slot once one is given back (or the writes in flight stall); first come, first served. */
  wait(): Promise<number> {
    if (this.watchdog === undefined) this.arm();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The write that took `ticket` completed (or failed). */
  give(ticket: number): void {
    if (ticket !== this.epoch) return;
    this.completed++;
    const next = this.next();
    if (next) next(ticket);
    else this.inFlight--;
  }

  private next(): ((epoch: number) => void) | undefined {
    const { waiting } = this;
    if (this.head === waiting.length) return undefined;
    const next = waiting[this.head++];
    if (this.head === waiting.length) {
      waiting.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= waiting.length) {
      waiting.splice(0, this.head);
      this.head = 0;
    }
    return next;
  }

  private arm(): void {
    const seen = this.completed;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (this.head === this.waiting.length) return;
      if (this.completed - seen < this.progress) {
        this.epoch++;
        this.inFlight = 0;
        while (this.inFlight < this.limit) {
          const next = this.next();
          if (!next) break;
          this.inFlight++;
          next(this.epoch);
        }
      }
      if (this.head < this.waiting.length) this.arm();
    }, this.stallMs);
    unref(this.watchdog);
  }
}

// Waiting writes belong to open connections, which keep the process alive by themselves.
function unref(timer: ReturnType<typeof setTimeout>): void {
  const deno = (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer(timer);
  else (timer as { unref?(): void }).unref?.();
}
