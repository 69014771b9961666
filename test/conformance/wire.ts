// RFC 6455 section 5.2: frames as bytes, both ways.
import { randomBytes } from "node:crypto";

export const Op = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSpec {
  op: number;
  payload?: Uint8Array;
  /** Default true. */
  fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1, 1 = RSV3). */
  rsv?: number;
  /** Set the mask bit the wrong way for the sender's role (5.1: both ends must fail on it). */
  wrongMask?: boolean;
  /** Use the 64-bit length form with its most significant bit set (5.2: must be 0). */
  hugeLength?: boolean;
  /** Fixed masking key, for reproducible bytes. */
  maskKey?: Uint8Array;
}

export const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");
export const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ""), "hex");

/** 7.1.6 / 5.5.1: a close payload is an optional 2-byte code then a UTF-8 reason. */
export function closePayload(code?: number, reason: Uint8Array | string = ""): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const r = typeof reason === "string" ? utf8(reason) : Buffer.from(reason);
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

/** Encode a frame; `masked` is the sender's role rule (clients mask), flipped by `wrongMask`. */
export function encodeFrame(f: FrameSpec, masked: boolean): Buffer {
  const payload = f.payload ?? new Uint8Array(0);
  const mask = f.wrongMask ? !masked : masked;
  const len = payload.length;
  const lenBytes = f.hugeLength || len > 0xffff ? 8 : len > 125 ? 2 : 0;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = ((f.fin ?? true) ? 0x80 : 0) | (((f.rsv ?? 0) & 7) << 4) | (f.op & 0xf);
  head[1] = (mask ? 0x80 : 0) | (lenBytes === 8 ? 127 : lenBytes === 2 ? 126 : len);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) {
    head.writeUInt32BE((Math.floor(len / 2 ** 32) | (f.hugeLength ? 0x80000000 : 0)) >>> 0, 2);
    head.writeUInt32BE(len >>> 0, 6);
  }
  if (!mask) return Buffer.concat([head, payload]);
  const key = f.maskKey ?? randomBytes(4);
  head.set(key, head.length - 4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, body]);
}

export interface RawFrame {
  fin: boolean;
  rsv: number;
  op: number;
  masked: boolean;
  payload: Buffer;
}

/** Incremental decoder: push chunks, pull whole frames. Copies each payload byte at most once. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private total = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  next(): RawFrame | undefined {
    if (this.total < 2) return undefined;
    const b = this.peek(2);
    const masked = (b[1] & 0x80) !== 0;
    const len7 = b[1] & 0x7f;
    const lenBytes = len7 === 127 ? 8 : len7 === 126 ? 2 : 0;
    const headLen = 2 + lenBytes + (masked ? 4 : 0);
    if (this.total < headLen) return undefined;
    const head = this.peek(headLen);
    let len = len7;
    if (lenBytes === 2) len = head.readUInt16BE(2);
    if (lenBytes === 8) len = head.readUInt32BE(2) * 2 ** 32 + head.readUInt32BE(6);
    if (this.total < headLen + len) return undefined;
    this.take(headLen);
    const payload = this.take(len); // ours to unmask in place: socket chunks are not reused
    if (masked) {
      const key = head.subarray(headLen - 4, headLen);
      for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    }
    return { fin: (b[0] & 0x80) !== 0, rsv: (b[0] >> 4) & 7, op: b[0] & 0xf, masked, payload };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const c = this.chunks[0];
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    this.total -= n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }
}
