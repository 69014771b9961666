// A connection's unsent frames, in order, ready for one vectored write: small frames are copied
// into a batch buffer, large payloads kept by reference between them, and published frames (laid
// out one after another in a shared arena) queued as runs of that arena, so fanning out a turn's
// publishes to thousands of connections allocates neither a batch nor a view per connection.

// A take's first batch is as large as what the last take that copied anything copied into batches
// (between BATCH_MIN and BATCH_HINT_MAX), so a handshake's close echo takes 1 KiB, a stream of small
// echoes one buffer, echoes of large payloads, which go by reference, a small one for their headers,
// and a fan-out subscriber, whose takes are mostly shared runs, the size its copied frames need.
const BATCH_MIN = 1024;
const BATCH_HINT_MAX = 64 * 1024;
// Shared runs kept by reference per take; past them shared frames are copied, so a connection that
// gets every other frame of an arena does not pin many arenas for a few bytes of each.
const RUNS_MAX = 2;
// The longest frame header: 2 bytes, 8 of length, 4 of mask.
const HEADER_MAX = 14;
const empty = new Uint8Array(0);

// Node's and Bun's Buffer skips zero-filling memory that is overwritten at once. Deno's is a
// JavaScript subclass of Uint8Array that zero-fills anyway, and costs more to make than the array.
const host = globalThis as { Deno?: unknown; Buffer?: { allocUnsafe(size: number): Uint8Array } };
export const allocate: (size: number) => Uint8Array =
  (!host.Deno && host.Buffer?.allocUnsafe) || ((size) => new Uint8Array(size));

/** As allocate, but a plain Uint8Array, as every message handed to handlers is. */
export function allocatePlain(size: number): Uint8Array {
  const bytes = allocate(size);
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, size);
}

// The last run's view, for the next connection that queued the same run: a turn's publishes reach
// every subscriber of a topic as the same runs, in the same order (also when the arena fills up
// during the turn), so they share one view of each run instead of making their own.
let viewed: Uint8Array = empty;
let viewedArena: Uint8Array = empty;
let viewedStart = 0;

function sharedView(arena: Uint8Array, start: number, end: number): Uint8Array {
  if (arena !== viewedArena || start !== viewedStart || end - start !== viewed.length) {
    viewed = arena.subarray(start, end);
    viewedArena = arena;
    viewedStart = start;
  }
  return viewed;
}

// lend()'s arrays for takes of one or two chunks (nearly all): a fan-out subscriber's write then
// allocates nothing. Emptied by unlend(), so they pin no buffer between writes. A lend while one is
// out (a write that ran a handler that flushed another connection) gets an array of its own.
const lentOne: Uint8Array[] = [empty];
const lentTwo: Uint8Array[] = [empty, empty];
let lentOut = false;

export class Output {
  // What is sealed, in order: most takes hold one or two chunks, which need no array.
  private first: Uint8Array | undefined;
  private second: Uint8Array | undefined;
  private rest: Uint8Array[] | undefined;
  private batch: Uint8Array = empty;
  private batchStart = 0;
  private batchEnd = 0;
  private batchHint = BATCH_MIN;
  private queued = 0;
  // What this take copied into batches.
  private copied = 0;
  // The open run of shared frames: run[runStart, runEnd).
  private run: Uint8Array = empty;
  private runStart = 0;
  private runEnd = 0;
  private runs = 0;

  /** Bytes queued and not yet taken. */
  get pending(): number {
    return this.queued;
  }

  /** Copies src[from, from + len) into the batch. */
  copy(src: Uint8Array, from: number, len: number): void {
    if (this.runEnd > 0) this.closeRun();
    if (this.batchEnd + len > this.batch.length) this.grow(len);
    const batch = this.batch;
    const at = this.batchEnd;
    // A header is copied byte by byte: making a view to set() it cost more than the copy (echoing
    // 32 B messages through Session, 9.3 -> 12.5 M/s on Node and Bun).
    if (len <= HEADER_MAX) for (let i = 0; i < len; i++) batch[at + i] = src[from + i];
    // A whole source (a published frame, copied to many batches) needs no view of itself.
    else batch.set(from === 0 && len === src.length ? src : src.subarray(from, from + len), at);
    this.batchEnd = at + len;
    this.queued += len;
    this.copied += len;
  }

  /**
   * As copy(), for a connection's close frame, which nothing follows: when nothing else waits, it
   * goes in a copy of its own size, not into a batch made for it (most connections end that way).
   */
  copyLast(src: Uint8Array, from: number, len: number): void {
    if (this.queued > 0) {
      this.copy(src, from, len);
      return;
    }
    this.add(commonClose(src, from, len) ?? src.slice(from, from + len));
    this.queued += len;
  }

  /** RFC 6455 5.2: an unmasked frame header for a payload of len bytes. */
  header(first: number, len: number): void {
    if (this.runEnd > 0) this.closeRun();
    if (this.batchEnd + HEADER_MAX > this.batch.length) this.grow(HEADER_MAX);
    const b = this.batch;
    let at = this.batchEnd;
    b[at++] = first;
    if (len < 126) b[at++] = len;
    else if (len < 65536) {
      b[at++] = 126;
      b[at++] = len >>> 8;
      b[at++] = len & 0xff;
    } else {
      b[at++] = 127;
      const hi = Math.floor(len / 0x100000000);
      b[at++] = hi >>> 24;
      b[at++] = (hi >>> 16) & 0xff;
      b[at++] = (hi >>> 8) & 0xff;
      b[at++] = hi & 0xff;
      b[at++] = len >>> 24;
      b[at++] = (len >>> 16) & 0xff;
      b[at++] = (len >>> 8) & 0xff;
      b[at++] = len & 0xff;
    }
    this.queued += at - this.batchEnd;
    this.copied += at - this.batchEnd;
    this.batchEnd = at;
  }

  /** Queues payload by reference: the caller must not change it afterwards. */
  ref(payload: Uint8Array): void {
    this.seal();
    this.add(payload);
    this.queued += payload.length;
  }

  /**
   * Queues arena[at, at + len), a frame that many connections send (the caller must not change
   * it): by reference, extending the open run when it starts where the run ends.
   */
  share(arena: Uint8Array, at: number, len: number): void {
    if (len === 0) return;
    if (arena === this.run && at === this.runEnd) {
      this.runEnd += len;
      this.queued += len;
      return;
    }
    if (this.runs >= RUNS_MAX) {
      this.copy(arena, at, len);
      return;
    }
    this.seal();
    this.run = arena;
    this.runStart = at;
    this.runEnd = at + len;
    this.runs++;
    this.queued += len;
  }

  /** Everything queued since the last take, in order, in an array of the caller's. */
  take(): Uint8Array[] {
    this.sealAll();
    const out = this.all();
    this.reset();
    return out;
  }

  /**
   * As take(), for a caller that writes the array at once, keeps no reference to the array itself,
   * and hands it to unlend() afterwards: one or two chunks come in an array shared by every Output.
   */
  lend(): Uint8Array[] {
    this.sealAll();
    const { first, second } = this;
    let out: Uint8Array[];
    if (lentOut || first === undefined || this.rest !== undefined) out = this.all();
    else if (second === undefined) {
      out = lentOne;
      out[0] = first;
      lentOut = true;
    } else {
      out = lentTwo;
      out[0] = first;
      out[1] = second;
      lentOut = true;
    }
    this.reset();
    return out;
  }

  private all(): Uint8Array[] {
    const { first, second, rest } = this;
    if (first === undefined) return [];
    if (second === undefined) return [first];
    return rest === undefined ? [first, second] : [first, second, ...rest];
  }

  private sealAll(): void {
    const tail = this.batchEnd - this.batchStart;
    // A transport may hold what it is given for long (a peer that does not read): a small tail is
    // copied out, so it does not pin a batch buffer many times its size.
    if (tail > 0 && tail * 2 < this.batch.length - this.batchStart) {
      this.add(this.batch.slice(this.batchStart, this.batchEnd));
      this.batchStart = this.batchEnd;
    } else this.seal();
  }

  private reset(): void {
    this.first = this.second = this.rest = undefined;
    this.runs = 0;
    if (this.copied > 0) this.batchHint = Math.max(BATCH_MIN, Math.min(this.copied, BATCH_HINT_MAX));
    this.batch = empty;
    this.batchStart = this.batchEnd = 0;
    this.queued = this.copied = 0;
  }

  private add(chunk: Uint8Array): void {
    if (this.first === undefined) this.first = chunk;
    else if (this.second === undefined) this.second = chunk;
    else (this.rest ??= []).push(chunk);
  }

  private seal(): void {
    if (this.runEnd > 0) this.closeRun();
    else if (this.batchEnd > this.batchStart) this.add(this.batch.subarray(this.batchStart, this.batchEnd));
    this.batchStart = this.batchEnd;
  }

  private closeRun(): void {
    const { run, runStart, runEnd } = this;
    this.add(runStart === 0 && runEnd === run.length ? run : sharedView(run, runStart, runEnd));
    this.run = empty;
    this.runStart = this.runEnd = 0;
  }

  // The old batch stays referenced by chunks already sealed; later bytes go to a new one.
  private grow(len: number): void {
    this.seal();
    this.batch = allocate(Math.max(this.batchHint, len, this.batch.length * 2));
    this.batchStart = this.batchEnd = 0;
  }
}

// The unmasked close frames most connections end with (1000, 1001, no code). Nothing changes a
// queued chunk, so every connection can queue the same ones.
const CLOSE_NORMAL = Uint8Array.of(0x88, 2, 0x03, 0xe8);
const CLOSE_GOING_AWAY = Uint8Array.of(0x88, 2, 0x03, 0xe9);
const CLOSE_NO_CODE = Uint8Array.of(0x88, 0);

function commonClose(src: Uint8Array, from: number, len: number): Uint8Array | undefined {
  if (src[from] !== 0x88) return undefined;
  if (len === 2) return src[from + 1] === 0 ? CLOSE_NO_CODE : undefined;
  if (len !== 4 || src[from + 2] !== 0x03) return undefined;
  const low = src[from + 3];
  return low === 0xe8 ? CLOSE_NORMAL : low === 0xe9 ? CLOSE_GOING_AWAY : undefined;
}

/** The array lend() gave has been written: a shared one lets go of its chunks. */
export function unlend(chunks: Uint8Array[]): void {
  if (chunks === lentOne) lentOne[0] = empty;
  else if (chunks === lentTwo) lentTwo[0] = lentTwo[1] = empty;
  else return;
  lentOut = false;
}
