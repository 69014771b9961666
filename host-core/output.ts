// A connection's unsent frames, in order, ready for one vectored write: small frames are copied
// into a shared batch buffer, large payloads kept by reference between them.

// A take's first batch is as large as the last take's bytes (between BATCH_MIN and BATCH_HINT_MAX),
// so a handshake's close echo takes 1 KiB and a stream of echoes one buffer.
const BATCH_MIN = 1024;
const BATCH_HINT_MAX = 64 * 1024;
const empty = new Uint8Array(0);

// Node's and Bun's Buffer skips zero-filling memory that is overwritten at once.
export const allocate: (size: number) => Uint8Array =
  (globalThis as { Buffer?: { allocUnsafe(size: number): Uint8Array } }).Buffer?.allocUnsafe ??
  ((size) => new Uint8Array(size));

export class Output {
  private chunks: Uint8Array[] = [];
  private batch: Uint8Array = empty;
  private batchStart = 0;
  private batchEnd = 0;
  private batchHint = BATCH_MIN;
  private queued = 0;

  /** Bytes queued and not yet taken. */
  get pending(): number {
    return this.queued;
  }

  /** Copies src[from, from + len) into the batch. */
  copy(src: Uint8Array, from: number, len: number): void {
    if (this.batchEnd + len > this.batch.length) this.grow(len);
    // A whole source (a published frame, copied to many batches) needs no view of itself.
    this.batch.set(from === 0 && len === src.length ? src : src.subarray(from, from + len), this.batchEnd);
    this.batchEnd += len;
    this.queued += len;
  }

  /** Queues payload by reference: the caller must not change it afterwards. */
  ref(payload: Uint8Array): void {
    this.seal();
    this.chunks.push(payload);
    this.queued += payload.length;
  }

  /** Everything queued since the last take, in order. */
  take(): Uint8Array[] {
    const tail = this.batchEnd - this.batchStart;
    // A transport may hold what it is given for long (a peer that does not read): a small tail is
    // copied out, so it does not pin a batch buffer many times its size.
    if (tail > 0 && tail * 2 < this.batch.length - this.batchStart) {
      this.chunks.push(this.batch.slice(this.batchStart, this.batchEnd));
      this.batchStart = this.batchEnd;
    } else this.seal();
    const out = this.chunks;
    this.chunks = [];
    if (this.queued > 0) this.batchHint = Math.max(BATCH_MIN, Math.min(this.queued, BATCH_HINT_MAX));
    this.batch = empty;
    this.batchStart = this.batchEnd = 0;
    this.queued = 0;
    return out;
  }

  private seal(): void {
    if (this.batchEnd > this.batchStart)
      this.chunks.push(this.batch.subarray(this.batchStart, this.batchEnd));
    this.batchStart = this.batchEnd;
  }

  // The old batch stays referenced by chunks already sealed; later bytes go to a new one.
  private grow(len: number): void {
    this.seal();
    this.batch = allocate(Math.max(this.batchHint, len, this.batch.length * 2));
    this.batchStart = this.batchEnd = 0;
  }
}
