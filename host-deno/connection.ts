// A Deno TCP or TLS connection as host-core wants it: a read loop into a buffer of its own, and a
// write queue, because Deno's reads and writes are promises that may take part of a buffer.
import { INPUT_CAP } from "../host-core/abi.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import type { Conn } from "./deno-api.ts";

/** Where a connection's events go: a server's or a client's. */
export type Receiver = TransportEvents;

// Each connection owns its read buffer: pending reads of many connections complete in one turn of
// the event loop, so they cannot share the core's input region. Idle connections keep the small
// size; a read that fills the buffer doubles it, up to one core input region.
const MIN_READ = 256;
// write() answers false once this much waits to be written, like a stream's highWaterMark.
const HIGH_WATER = 64 * 1024;
// Deno has no vectored write and each write is an async op: queued chunks are joined into writes
// of up to JOIN_MAX bytes; a chunk of WRITE_ALONE bytes or more is written as it is.
const JOIN_MAX = 256 * 1024;
const WRITE_ALONE = 64 * 1024;

export class DenoConnection implements Transport {
  remoteAddress: string | undefined;
  private conn: Conn | undefined;
  private receiver!: Receiver;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private writing = false;
  private ending = false;
  private readDone = false;
  private writeDone = false;
  private destroyed = false;
  private finished = false;
  private paused = false;
  private resumeRead: (() => void) | undefined;

  constructor(private readonly connecting: Promise<Conn>) {}

  /** Starts reading; events go to receiver. */
  start(receiver: Receiver): void {
    this.receiver = receiver;
    this.connecting.then(
      (conn) => {
        this.conn = conn;
        this.remoteAddress ??= conn.remoteAddr.hostname;
        if (this.destroyed) return conn.close();
        conn.setNoDelay?.(true);
        this.read(conn);
        if (this.queue.length > 0 || this.ending) this.pump(conn);
      },
      (err: Error) => {
        this.receiver.error?.(err);
        this.readDone = true;
        this.finish();
      },
    );
  }

  get bufferedAmount(): number {
    return this.queued;
  }

  write(chunks: Uint8Array[]): boolean {
    if (this.destroyed || this.ending) return false;
    for (const c of chunks) {
      this.queue.push(c);
      this.queued += c.length;
    }
    if (this.conn && !this.writing) this.pump(this.conn);
    return this.queued < HIGH_WATER;
  }

  end(): void {
    if (this.ending || this.destroyed) return;
    this.ending = true;
    if (this.conn && !this.writing) this.pump(this.conn);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue = [];
    this.queued = 0;
    this.resumeRead?.();
    try {
      this.conn?.close();
    } catch {
      // Already closed by the other side of the loop.
    }
    // A pending read rejects and finishes; without one, finish here.
    if (this.readDone || !this.conn) this.finish();
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
        if (!this.destroyed) this.receiver.error?.(err as Error);
        this.destroy();
        break;
      }
      if (n === null) break;
      if (this.paused) await new Promise<void>((resume) => (this.resumeRead = resume));
      if (this.destroyed) break;
      // Outside the try: an exception from a user's handler is theirs, uncaught as on Node and Bun.
      this.receiver.data(buffer.subarray(0, n));
      if (n === buffer.length && n < INPUT_CAP) buffer = new Uint8Array(n * 2);
    }
    this.readDone = true;
    // The peer ended its side: end ours once everything queued is written (then finish).
    if (this.destroyed || this.writeDone) this.finish();
    else this.end();
  }

  private async pump(conn: Conn): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const chunk = this.nextWrite();
        for (let off = 0; off < chunk.length; )
          off += await conn.write(off === 0 ? chunk : chunk.subarray(off));
        this.queued -= chunk.length;
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
    if (!this.destroyed && this.queue.length === 0) this.receiver.drain();
  }

  /** The next chunk to write: a large payload as it is, or small chunks joined into one. */
  private nextWrite(): Uint8Array {
    const q = this.queue;
    let n = 1;
    let size = q[0].length;
    if (size < WRITE_ALONE)
      while (n < q.length && q[n].length < WRITE_ALONE && size + q[n].length <= JOIN_MAX)
        size += q[n++].length;
    if (n === 1) return q.shift()!;
    const out = new Uint8Array(size);
    for (let i = 0, at = 0; i < n; at += q[i++].length) out.set(q[i], at);
    q.splice(0, n);
    return out;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.conn?.close();
    } catch {
      // Closed already.
    }
    this.receiver.close();
  }
}
