// RFC 7692 permessage-deflate as the load generator needs it: the offer, the check of the server's
// answer, one pre-compressed masked frame to replay, and an echo counter that inflates a sample.
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { FrameReader, maskedFrame } from "./frames.ts";
import { headerValue } from "./handshake.ts";

/**
 * No context takeover either way: every message is compressed on its own, so one compressed frame can
 * be replayed and any single echo can be inflated without the ones before it.
 */
export const DEFLATE_OFFER = "permessage-deflate; client_no_context_takeover; server_no_context_takeover";

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const SYNC = { finishFlush: constants.Z_SYNC_FLUSH };

/**
 * Returns why the 101 does not give us what DEFLATE_OFFER asked for, or undefined if it does. The server
 * must name server_no_context_takeover (RFC 7692 section 7.1.1.1) or its echoes could depend on earlier ones.
 */
export function deflateRefusal(head: string): string | undefined {
  const value = headerValue(head, "sec-websocket-extensions");
  if (value === undefined || !/(^|,)\s*permessage-deflate\s*(;|,|$)/i.test(value)) {
    return `server did not negotiate permessage-deflate (Sec-WebSocket-Extensions: ${value ?? "absent"})`;
  }
  const params = value.split(",")[0].toLowerCase();
  if (!/;\s*server_no_context_takeover\s*(;|$)/.test(params)) {
    return `server accepted permessage-deflate without server_no_context_takeover ("${value}")`;
  }
  return undefined;
}

/**
 * The message body of RFC 7692 section 7.2.1: raw deflate ended by a sync flush, its 00 00 ff ff
 * removed. zlib's default level, as browsers and ws's client send.
 */
export function compress(payload: Uint8Array): Buffer {
  const out = deflateRawSync(payload, SYNC);
  if (!out.subarray(-4).equals(TAIL)) throw new Error("deflate output does not end with a sync flush");
  return out.subarray(0, -4);
}

/** Section 7.2.2: the tail goes back on before inflating. */
export function decompress(body: Uint8Array): Buffer {
  return inflateRawSync(Buffer.concat([body, TAIL]), SYNC);
}

/** One final, masked, compressed (RSV1) client frame. */
export function compressedFrame(opcode: number, payload: Uint8Array): Buffer {
  return maskedFrame(opcode, compress(payload), true);
}

/**
 * Counts compressed echoes: every data message must start with an RSV1 frame (a server that sends
 * plain echoes is not measuring compression), RSV2/RSV3 and RSV1 on continuation or control frames are
 * refused. The first message and then one in `sampleEvery` is kept, inflated and compared byte for byte
 * with what was sent; the others are only counted, so the generator does not become the bottleneck.
 */
export class DeflateEchoCounter extends FrameReader {
  messages = 0;
  /** Compressed bytes received in data frames. */
  wireBytes = 0;
  /** Messages inflated and compared. */
  checked = 0;

  private control = false;
  private inMessage = false;
  private sampling = false;
  private parts: Uint8Array[] = [];

  constructor(
    private readonly opcode: number,
    private readonly sent: Uint8Array,
    private readonly sampleEvery: number,
  ) {
    super();
  }

  protected payload(chunk: Uint8Array, from: number, to: number): void {
    if (this.control) return;
    this.wireBytes += to - from;
    if (this.sampling) this.parts.push(chunk.subarray(from, to));
  }

  protected startFrame(b0: number, _len: number): void {
    const op = b0 & 0x0f;
    if (b0 & 0x30) return void this.fail("RSV2 or RSV3 set");
    const rsv1 = (b0 & 0x40) !== 0;
    this.control = op >= 8;
    if (this.control && rsv1) return void this.fail("RSV1 on a control frame");
    if (op === 0) {
      if (!this.inMessage) return void this.fail("continuation frame outside a message");
      if (rsv1) return void this.fail("RSV1 on a continuation frame");
    } else if (op < 8) {
      if (this.inMessage) return void this.fail("new message inside a fragmented one");
      if (op !== this.opcode) return void this.fail(`echo opcode ${op}, sent ${this.opcode}`);
      if (!rsv1) return void this.fail(`echo ${this.messages + 1} not compressed (no RSV1)`);
      this.inMessage = true;
      this.sampling = this.messages % this.sampleEvery === 0;
    }
  }

  protected endFrame(b0: number): void {
    if ((b0 & 0x0f) >= 8 || !(b0 & 0x80)) return;
    this.inMessage = false;
    if (this.sampling) {
      this.sampling = false;
      const body = Buffer.concat(this.parts);
      this.parts = [];
      let echoed: Buffer;
      try {
        echoed = decompress(body);
      } catch (e) {
        return void this.fail(`echo ${this.messages + 1} does not inflate: ${(e as Error).message}`);
      }
      if (echoed.length !== this.sent.length) {
        return void this.fail(
          `echo ${this.messages + 1} inflates to ${echoed.length} bytes, sent ${this.sent.length}`,
        );
      }
      if (!echoed.equals(this.sent))
        return void this.fail(`echo ${this.messages + 1} differs from what was sent`);
      this.checked++;
    }
    this.messages++;
  }
}
