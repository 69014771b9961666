// A Deno TCP or TLS connection as host-core's Transport, for servers and clients alike: a read loop
// into a buffer of its own, and a write loop over host-core's WriteQueue, because Deno's reads and
// writes are promises and a write may take part of a buffer.
import { INPUT_CAP } from "../host-core/abi.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { WriteQueue } from "../host-core/write-queue.ts";
import type { Conn } from "./deno-api.ts";
import { WriteSlots } from "./write-slots.ts";

// Each connection owns its read buffer: pending reads of many connections complete in one turn of
// the event loop, so they cannot share the core's input region. Idle connections keep the small
// size; a read that fills the buffer doubles it, up to one core input region.
const MIN_READ = 256;
// write() answers false once this much waits to be written, like a stream's highWaterMark.
const HIGH_WATER = 64 * 1024;
// Writes in flight at once, over every connection of the process (write-slots.ts): at 10,000
// subscribers, 256 gave 1.7x the deliveries of no limit, and 32, 64 or 1,024 the same within spreads.
const slots = new WriteSlots(256, 10);

// DenoConnection's bits.
const WRITING = 1;
const ENDING = 2;
const READ_DONE = 4;
const WRITE_DONE = 8;
const DESTROYED = 16;
const FINISHED = 32;
const PAUSED = 64;

export class DenoConnection implements Transport {
  remoteAddress: string | undefined;
  private conn: Conn | undefined;
  events!: TransportEvents;
  // What waits to be written; only while something does (an idle connection has none).
  private queue: WriteQueue | undefined;
  // The booleans below, one bit each.
  private bits = 0;
  private resumeRead: (() => void) | undefined;

  private get writing(): boolean {
    return (this.bits & WRITING) !== 0;
  }
  private set writing(on: boolean) {
    this.bits = on ? this.bits | WRITING : this.bits & ~WRITING;
  }
  private get ending(): boolean {
    return (this.bits & ENDING) !== 0;
  }
  private set ending(on: boolean) {
    this.bits = on ? this.bits | ENDING : this.bits & ~ENDING;
  }
  private get readDone(): boolean {
    return (this.bits & READ_DONE) !== 0;
  }
  private set readDone(on: boolean) {
    this.bits = on ? this.bits | READ_DONE : this.bits & ~READ_DONE;
  }
  private get writeDone(): boolean {
    return (this.bits & WRITE_DONE) !== 0;
  }
  private set writeDone(on: boolean) {
    this.bits = on ? this.bits | WRITE_DONE : this.bits & ~WRITE_DONE;
  }
  private get destroyed(): boolean {
    return (this.bits & DESTROYED) !== 0;
  }
  private set destroyed(on: boolean) {
    this.bits = on ? this.bits | DESTROYED : this.bits & ~DESTROYED;
  }
  private get finished(): boolean {
    return (this.bits & FINISHED) !== 0;
  }
  private set finished(on: boolean) {
    this.bits = on ? this.bits | FINISHED : this.bits & ~FINISHED;
  }
  private get paused(): boolean {
    return (this.bits & PAUSED) !== 0;
  }
  private set paused(on: boolean) {
    this.bits = on ? this.bits | PAUSED : this.bits & ~PAUSED;
  }

  /**
   * Starts reading a connection (a server's, accepted) or one being made (a client's); what happens
   * goes to events.
   */
  start(events: TransportEvents, conn: Conn | Promise<Conn>): void {
    this.events = events;
    if (!("then" in conn)) {
      this.opened(conn);
      return;
    }
    conn.then(
      (c) => this.opened(c),
      (err: Error) => {
        this.events.error(err);
        this.readDone = true;
        this.finish();
      },
    );
  }

  get bufferedAmount(): number {
    return this.queue?.bufferedAmount ?? 0;
  }

  write(chunks: Uint8Array[]): boolean {
    if (this.destroyed || this.ending) return false;
    this.queue ??= new WriteQueue();
    this.queue.push(chunks);
    if (this.conn && !this.writing) this.pump(this.conn);
    return this.bufferedAmount < HIGH_WATER;
  }

  end(): void {
    if (this.ending || this.destroyed) return;
    this.ending = true;
    if (this.conn && !this.writing) this.pump(this.conn);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue?.clear();
    this.resumeRead?.();
    try {
      this.conn?.close();
    } catch {
      // Already closed by the other side of the loop.
    }
    // A pending read rejects and finishes; without one, finish here, after this call as on Node.
    if (this.readDone || !this.conn) queueMicrotask(() => this.finish());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.resumeRead?.();
    this.resumeRead = undefined;
  }

  private opened(conn: Conn): void {
    this.conn = conn;
    this.remoteAddress ??= conn.remoteAddr.hostname;
    if (this.destroyed) {
      conn.close();
      return;
    }
    conn.setNoDelay?.(true);
    this.read(conn);
    if (this.bufferedAmount > 0 || this.ending) this.pump(conn);
  }

  private async read(conn: Conn): Promise<void> {
    let buffer = new Uint8Array(MIN_READ);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (err) {
        if (!this.destroyed) this.events.error(err as Error);
        this.destroy();
        break;
      }
      if (n === null) break;
      if (this.paused) await new Promise<void>((resume) => (this.resumeRead = resume));
      if (this.destroyed) break;
      try {
        this.events.receive(buffer.subarray(0, n));
      } catch (err) {
        // A handler's exception is the user's: uncaught, as on Node and Bun, and the loop goes on
        // (thrown here it would end this connection's reads, unseen).
        queueMicrotask(() => {
          throw err;
        });
      }
      if (n === buffer.length && n < INPUT_CAP) buffer = new Uint8Array(n * 2);
    }
    this.readDone = true;
    // The peer ended its side: end ours once everything queued is written (then finish).
    if (this.destroyed || this.writeDone) this.finish();
    else this.end();
  }

  private async pump(conn: Conn): Promise<void> {
    this.writing = true;
    const queue = this.queue;
    try {
      // The slot comes before next(): a write waiting for one holds views of what it will send, not
      // a join of them, and what is queued meanwhile goes in the same write.
      if (queue)
        while (queue.bufferedAmount > 0) {
          let ticket = slots.take();
          if (ticket < 0) ticket = await slots.wait();
          try {
            const chunk = queue.next();
            if (!chunk) break;
            queue.wrote(await conn.write(chunk));
          } finally {
            slots.give(ticket);
          }
        }
      if (this.ending && !this.destroyed) {
        await conn.closeWrite();
        this.writeDone = true;
        if (this.readDone) this.finish();
      }
    } catch {
      this.destroy();
    }
    this.writing = false;
    if (this.destroyed || this.bufferedAmount > 0) return;
    // Written out: the queue goes until the next write (a write during this loop used this one).
    this.queue = undefined;
    this.events.drained();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.conn?.close();
    } catch {
      // Closed already.
    }
    this.events.closed();
  }
}
