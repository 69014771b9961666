// The generator's ceiling: the same connections, window and batches as a scenario, against a server
// that writes every byte back unchanged (bench/peers/tcp-ceiling.js). Those echoes are our own masked
// client frames, which FrameReader rightly refuses from a server; every frame we send is the same one,
// so the echoes are counted by whole frames' worth of bytes, the first compared byte for byte.
// Counting bytes costs the generator less than parsing frames does, so the ceiling errs high: a
// figure's fraction of it errs low, never flattering.
import type { EchoReader } from "./echo-pump.ts";

export class RawEchoCounter implements EchoReader {
  messages = 0;
  /** Payload bytes of the whole messages echoed (the uncompressed size for compressed frames). */
  payloadBytes = 0;
  readonly closed = false;
  error: string | undefined;

  private bytes = 0;
  private compared = 0;

  /** `frame` is the one frame the generator repeats; `size` the payload size it stands for. */
  constructor(
    private readonly frame: Uint8Array,
    private readonly size: number,
  ) {}

  feed(chunk: Buffer): boolean {
    if (this.compared < this.frame.length) {
      const n = Math.min(chunk.length, this.frame.length - this.compared);
      if (Buffer.compare(chunk.subarray(0, n), this.frame.subarray(this.compared, this.compared + n)) !== 0) {
        this.error = "the ceiling server's echo differs from what was sent";
        return false;
      }
      this.compared += n;
    }
    this.bytes += chunk.length;
    this.messages = Math.floor(this.bytes / this.frame.length);
    this.payloadBytes = this.messages * this.size;
    return true;
  }
}
