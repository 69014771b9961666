// RFC 6455 section 5.2 frames as the load generator needs them: masked client frames built once,
// server frames counted incrementally without allocating per frame.

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;

const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** One final, masked client frame; `rsv1` marks a compressed payload (RFC 7692 6). */
export function maskedFrame(opcode: number, payload: Uint8Array, rsv1 = false): Buffer {
  const len = payload.length;
  const extLen = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = 2 + extLen;
  const frame = Buffer.allocUnsafe(head + 4 + len);
  frame[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (extLen === 0) frame[1] = 0x80 | len;
  else if (extLen === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  for (let i = 0; i < 4; i++) frame[head + i] = MASK[i];
  const out = head + 4;
  for (let i = 0; i < len; i++) frame[out + i] = payload[i] ^ MASK[i & 3];
  return frame;
}

/** `count` copies of one frame, written with one call. */
export function frameBatch(frame: Buffer, count: number): Buffer {
  const batch = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(batch, i * frame.length);
  return batch;
}

/** A close frame with status 1000, masked. */
export function closeFrame(): Buffer {
  return maskedFrame(OP_CLOSE, Uint8Array.of(0x03, 0xe8));
}

enum State {
  Head0,
  Head1,
  ExtLen,
  Payload,
}

/**
 * RFC 6455 5.2 server frames read incrementally without allocating per frame; a subclass judges
 * each frame (startFrame, endFrame) and sees its payload bytes. Masked frames are refused here.
 */
export abstract class FrameReader {
  closed = false;
  error: string | undefined;

  private state = State.Head0;
  private b0 = 0;
  private extLeft = 0;
  private frameLen = 0;
  private remaining = 0;

  /** Returns false once the stream is invalid; `error` says why. */
  feed(chunk: Uint8Array): boolean {
    const n = chunk.length;
    let i = 0;
    while (i < n && this.error === undefined) {
      if (this.state === State.Payload) {
        const take = Math.min(this.remaining, n - i);
        this.payload(chunk, i, i + take);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.finishFrame();
        continue;
      }
      const b = chunk[i++];
      if (this.state === State.Head0) {
        this.b0 = b;
        this.state = State.Head1;
      } else if (this.state === State.Head1) {
        if (b & 0x80) return this.fail("server frame is masked");
        const len7 = b & 0x7f;
        if (len7 < 126) this.beginFrame(len7);
        else {
          this.extLeft = len7 === 126 ? 2 : 8;
          this.frameLen = 0;
          this.state = State.ExtLen;
        }
      } else {
        this.frameLen = this.frameLen * 256 + b;
        if (--this.extLeft === 0) this.beginFrame(this.frameLen);
      }
    }
    return this.error === undefined;
  }

  /** A frame with first byte b0 and a payload of len bytes starts; fail() to refuse it. */
  protected abstract startFrame(b0: number, len: number): void;
  /** Payload bytes chunk[from, to) of the current frame. */
  protected abstract payload(chunk: Uint8Array, from: number, to: number): void;
  /** The current frame ended. */
  protected abstract endFrame(b0: number): void;

  protected fail(reason: string): false {
    this.error ??= reason;
    return false;
  }

  private beginFrame(len: number): void {
    if ((this.b0 & 0x0f) === OP_CLOSE) this.closed = true;
    this.startFrame(this.b0, len);
    if (this.error !== undefined) return;
    this.remaining = len;
    this.state = State.Payload;
    if (len === 0) this.finishFrame();
  }

  private finishFrame(): void {
    this.state = State.Head0;
    this.endFrame(this.b0);
  }
}

/**
 * Counts echoed messages in server frames and fails on anything an honest echo would not send:
 * masked or RSV frames, a wrong opcode, a message of the wrong size. Fragmented echoes are
 * accepted: the message is what counts.
 */
export class EchoCounter extends FrameReader {
  messages = 0;
  payloadBytes = 0;

  private control = false;
  private inMessage = false;
  private messageBytes = 0;

  constructor(
    private readonly opcode: number,
    private readonly size: number,
  ) {
    super();
  }

  protected startFrame(b0: number, _len: number): void {
    const op = b0 & 0x0f;
    if (b0 & 0x70) return void this.fail("RSV bit set without an extension");
    this.control = op >= 8;
    if (op === OP_CONT) {
      if (!this.inMessage) return void this.fail("continuation frame outside a message");
    } else if (op < 8) {
      if (this.inMessage) return void this.fail("new message inside a fragmented one");
      if (op !== this.opcode) return void this.fail(`echo opcode ${op}, sent ${this.opcode}`);
      this.inMessage = true;
      this.messageBytes = 0;
    }
  }

  protected payload(_chunk: Uint8Array, from: number, to: number): void {
    if (this.control) return;
    this.payloadBytes += to - from;
    this.messageBytes += to - from;
  }

  protected endFrame(b0: number): void {
    if ((b0 & 0x0f) >= 8 || !(b0 & 0x80)) return;
    this.inMessage = false;
    if (this.messageBytes !== this.size) {
      this.fail(`echo of ${this.messageBytes} bytes, sent ${this.size}`);
      return;
    }
    this.messages++;
  }
}
