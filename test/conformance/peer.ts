// The tester's end of one WebSocket connection: writes exactly what a case says, records what comes back.
import type { Socket } from "node:net";
import type { DeflateSession } from "./deflate.ts";
import type { Observed } from "./types.ts";
import { closePayload, encodeFrame, FrameReader, type FrameSpec, Op, type RawFrame } from "./wire.ts";

/** The tester's role: "client" when testing a server (it masks), "server" when testing a client. */
export type Role = "client" | "server";

export interface PeerClose {
  code: number | null;
  reason: Buffer;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

export class TesterConn {
  readonly events: Observed[] = [];
  /** The peer's close frame, once it arrived. */
  peerClose?: PeerClose;
  closeSent = false;
  tcpClosed = false;
  /** Things the peer did that no endpoint may do (a FAIL whatever the case). */
  readonly violations: string[] = [];
  private reader = new FrameReader();
  private fragments: Buffer[] = [];
  private fragmentOp = 0;
  private fragmentCompressed = false;
  private waiters = new Set<() => void>();

  constructor(
    readonly socket: Socket,
    readonly role: Role,
    leftover?: Buffer,
    /** Set when permessage-deflate was negotiated: RSV1 then marks a compressed message (RFC 7692 6). */
    readonly deflate?: DeflateSession,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (c: Buffer) => this.onData(c));
    socket.on("error", () => {}); // a reset after the peer failed us is expected; "close" follows
    socket.on("close", () => {
      this.tcpClosed = true;
      this.notify();
    });
    if (leftover?.length) this.onData(leftover);
  }

  /** The peer has failed or closed: its close frame arrived, or TCP is gone. */
  get peerGone(): boolean {
    return this.peerClose !== undefined || this.tcpClosed;
  }

  /** Resolves true once `pred` holds, false after `ms`. */
  waitFor(pred: () => boolean, ms: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!pred()) return;
        finish(true);
      };
      const finish = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => finish(false), ms);
      this.waiters.add(check);
    });
  }

  /** Write frames; chop the bytes into `chop`-sized pieces or one write per frame, pausing between. */
  async send(frames: FrameSpec[], chop?: number | "frames", delayMs = 0): Promise<void> {
    const masked = this.role === "client";
    const encoded = frames.map((f) => encodeFrame(f, masked));
    if (frames.some((f) => f.op === Op.close)) this.closeSent = true;
    if (chop === "frames") return this.writePieces(encoded, delayMs);
    const all = Buffer.concat(encoded);
    if (!chop) return this.writePieces([all], 0);
    const pieces: Buffer[] = [];
    for (let i = 0; i < all.length; i += chop) pieces.push(all.subarray(i, i + chop));
    return this.writePieces(pieces, delayMs);
  }

  /** Write each piece as its own TCP write; stop once the peer is gone (the rest would only be reset). */
  async writePieces(pieces: Uint8Array[], delayMs: number): Promise<void> {
    for (let i = 0; i < pieces.length; i++) {
      if (this.peerGone || this.socket.destroyed) return;
      if (!this.socket.write(pieces[i])) await this.waitDrain();
      if (i === pieces.length - 1) break;
      if (delayMs > 0) await sleep(delayMs);
      else if (pieces.length > 1) await tick();
    }
  }

  /** Payload bytes [from, to) of `frame`, with its header when `from` is 0; give the frame a fixed maskKey. */
  sendSlice(frame: FrameSpec, from: number, to?: number): Promise<void> {
    const bytes = encodeFrame(frame, this.role === "client");
    const headLen = bytes.length - (frame.payload?.length ?? 0);
    const end = to === undefined ? bytes.length : headLen + to;
    return this.writePieces([bytes.subarray(from === 0 ? 0 : headLen + from, end)], 0);
  }

  /** One message, compressed with the negotiated parameters; `fragment` splits the compressed bytes. */
  sendCompressed(m: Observed, fragment = 0): Promise<void> {
    if (!this.deflate) throw new Error("permessage-deflate was not negotiated");
    const data = this.deflate.compress(m.payload);
    const op = m.type === "text" ? Op.text : Op.binary;
    const size = fragment > 0 ? fragment : Math.max(data.length, 1);
    const frames: FrameSpec[] = [];
    for (let i = 0; i === 0 || i < data.length; i += size)
      frames.push({
        op: i === 0 ? op : Op.continuation,
        rsv: i === 0 ? 4 : 0,
        payload: data.subarray(i, i + size),
        fin: i + size >= data.length,
      });
    return this.send(frames);
  }

  sendClose(code?: number, reason?: string): Promise<void> {
    return this.send([{ op: Op.close, payload: closePayload(code, reason) }]);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done).off("close", done);
        resolve();
      };
      this.socket.on("drain", done).on("close", done);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    for (let f = this.reader.next(); f; f = this.reader.next()) this.onFrame(f);
    this.notify();
  }

  private onFrame(f: RawFrame): void {
    if (this.peerClose)
      return void this.violations.push(`frame (opcode ${f.op}) after the peer's close frame`);
    // 5.1: a server never masks, a client always does.
    if (f.masked !== (this.role === "server"))
      this.violations.push(`${f.masked ? "masked" : "unmasked"} frame`);
    if (f.rsv) this.checkRsv(f);
    if (f.op >= 8) {
      this.onControl(f);
      return;
    }
    if (f.op === Op.continuation) {
      if (!this.fragmentOp) this.violations.push("continuation frame without a message to continue");
    } else {
      if (this.fragmentOp) this.violations.push("new data frame inside a fragmented message");
      if (f.op !== Op.text && f.op !== Op.binary) this.violations.push(`reserved opcode ${f.op}`);
      this.fragmentOp = f.op;
      this.fragments = [];
      this.fragmentCompressed = this.deflate !== undefined && (f.rsv & 4) !== 0;
    }
    this.fragments.push(f.payload);
    if (!f.fin) return;
    let payload = this.fragments.length === 1 ? this.fragments[0] : Buffer.concat(this.fragments);
    const type = this.fragmentOp === Op.text ? "text" : "binary";
    this.fragmentOp = 0;
    this.fragments = [];
    if (this.fragmentCompressed && this.deflate) {
      try {
        payload = this.deflate.inflate(payload);
      } catch (e) {
        // As an endpoint would (RFC 6455 7.4.1: 1007), the tester fails the connection: with a lost
        // context nothing after this message could be read anyway.
        this.violations.push(
          `a compressed ${type} message does not inflate (${this.deflate.describeRx()}): ${(e as Error).message}`,
        );
        if (!this.closeSent) void this.sendClose(1007);
        return;
      }
    }
    this.events.push({ type, payload });
  }

  /** RFC 6455 5.2 and RFC 7692 6: only RSV1, only with permessage-deflate, only on a message's first frame. */
  private checkRsv(f: RawFrame): void {
    if (!this.deflate) return void this.violations.push(`RSV bits ${f.rsv} set without an extension`);
    if (f.rsv & 3) this.violations.push(`RSV bits ${f.rsv} set (permessage-deflate defines RSV1 only)`);
    if (!(f.rsv & 4)) return;
    if (f.op >= 8) this.violations.push(`RSV1 on a control frame (opcode ${f.op}; RFC 7692 6.1)`);
    else if (f.op === Op.continuation) this.violations.push("RSV1 on a continuation frame (RFC 7692 6.1)");
  }

  private onControl(f: RawFrame): void {
    if (!f.fin || f.payload.length > 125) this.violations.push("fragmented or oversized control frame");
    if (f.op === Op.pong) return void this.events.push({ type: "pong", payload: f.payload });
    if (f.op === Op.ping) {
      if (!this.closeSent) void this.send([{ op: Op.pong, payload: f.payload }]);
      return;
    }
    if (f.op !== Op.close) return void this.violations.push(`reserved control opcode ${f.op}`);
    const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
    if (f.payload.length === 1) this.violations.push("close frame with a 1-byte payload");
    this.peerClose = { code, reason: f.payload.subarray(2) };
    // 5.5.1: answer a close with a close, echoing a code that may be sent.
    if (!this.closeSent) {
      const echo = code === null ? undefined : code === 1005 || code === 1006 || code === 1015 ? 1000 : code;
      this.closeSent = true;
      this.socket.write(encodeFrame({ op: Op.close, payload: closePayload(echo) }, this.role === "client"));
    }
    // 7.1.1: the server closes TCP first.
    if (this.role === "server") this.socket.end();
  }
}
