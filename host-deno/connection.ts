// A Deno TCP or TLS connection as host-core's Transport, for servers and clients alike: a read loop
// into a buffer of its own, and a write loop over host-core's WriteQueue, because Deno's reads and
// writes are promises and a write may take part of a buffer.
import { INPUT_CAP } from "../host-core/abi.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { WriteQueue } from "../host-core/write-queue.ts";
import type { Conn } from "./deno-api.ts";

// Each connection owns its read buffer: pending reads of many connections complete in one turn of
// the event loop, so they cannot share the core's input region. Idle connections keep the small
// size; a read that fills the buffer doubles it, up to one core input region.
const MIN_READ = 256;
// write() answers false once this much waits to be written, like a stream's highWaterMark.
const HIGH_WATER = 64 * 1024;

export class DenoConnection implements Transport {
  remoteAddress: string | undefined;
  private conn: Conn | undefined;
  private events!: TransportEvents;
  private readonly queue = new WriteQueue();
  private writing = false;
  private ending = false;
  private readDone = false;
  private writeDone = false;
  private destroyed = false;
  private finished = false;
  private paused = false;
  private resumeRead: (() => void) | undefined;

  constructor(private readonly connecting: Promise<Conn>) {}

  /** Starts reading; what happens goes to events. */
  start(events: TransportEvents): void {
    this.events = events;
    this.connecting.then(
      (conn) => {
        this.conn = conn;
        this.remoteAddress ??= conn.remoteAddr.hostname;
        if (this.destroyed) return conn.close();
        conn.setNoDelay?.(true);
        this.read(conn);
        if (this.queue.bufferedAmount > 0 || this.ending) this.pump(conn);
      },
      (err: Error) => {
        this.events.error(err);
        this.readDone = true;
        this.finish();
      },
    );
  }

  get bufferedAmount(): number {
    return this.queue.bufferedAmount;
  }

  write(chunks: Uint8Array[]): boolean {
    if (this.destroyed || this.ending) return false;
    this.queue.push(chunks);
    if (this.conn && !this.writing) this.pump(this.conn);
    return this.queue.bufferedAmount < HIGH_WATER;
  }

  end(): void {
    if (this.ending || this.destroyed) return;
    this.ending = true;
    if (this.conn && !this.writing) this.pump(this.conn);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue.clear();
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
        this.events.data(buffer.subarray(0, n));
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
      for (let chunk = queue.next(); chunk; chunk = queue.next()) queue.wrote(await conn.write(chunk));
      if (this.ending && !this.destroyed) {
        await conn.closeWrite();
        this.writeDone = true;
        if (this.readDone) this.finish();
      }
    } catch {
      this.destroy();
    }
    this.writing = false;
    if (!this.destroyed && queue.bufferedAmount === 0) this.events.drain();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.conn?.close();
    } catch {
      // Closed already.
    }
    this.events.close();
  }
}
