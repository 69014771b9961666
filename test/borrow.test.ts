// Message buffers: what a handler keeps in the default mode is never overwritten, even though the
// bytes of text decoded to strings are reused; borrow mode lends one buffer message after message,
// and a send or publish of a lent message keeps its bytes (its buffer leaves reuse).
import { randomBytes } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createCore } from "../host-core/inline.ts";
import { give, take } from "../host-core/lend.ts";
import { Session, type SessionOptions } from "../host-core/session.ts";
import { serve } from "../host-node/index.ts";

const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CONT = 0;

/** A client frame, masked with a random key. */
function frame(op: number, payload: Uint8Array, fin = true, rsv1 = false): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.alloc(head + 4 + len);
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | op;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const key = randomBytes(4);
  key.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i] ^ key[i & 3];
  return out;
}

/** Valid UTF-8 of exactly len bytes, with a two-byte character now and then. */
function utf8(len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) {
    if (i + 1 < len && Math.random() < 0.05) {
      out.set([0xc3, 0xa9], i++);
    } else out[i] = 0x61 + ((Math.random() * 26) | 0);
  }
  return out;
}

interface Sent {
  bytes: Buffer;
  text: boolean;
}

// Small and large messages, whole in a chunk or split over chunks and frames, text and binary.
function traffic(): { wire: Buffer; sent: Sent[] } {
  const sent: Sent[] = [];
  const frames: Buffer[] = [];
  const sizes = [5, 300, 20_000, 70_000, 200_000, 1 << 20, 17, 1 << 20, 65_536, 3];
  for (const [i, size] of sizes.entries()) {
    const text = i % 2 === 0;
    const bytes = text ? utf8(size) : randomBytes(size);
    sent.push({ bytes, text });
    const op = text ? OP_TEXT : OP_BINARY;
    if (i % 3 === 2) {
      // Three frames.
      const a = size / 3;
      frames.push(frame(op, bytes.subarray(0, a), false));
      frames.push(frame(OP_CONT, bytes.subarray(a, 2 * a), false));
      frames.push(frame(OP_CONT, bytes.subarray(2 * a), true));
    } else frames.push(frame(op, bytes));
  }
  return { wire: Buffer.concat(frames), sent };
}

/** Feeds wire in pieces of random sizes, keeping whatever the handler is given. */
function feed(session: Session, wire: Buffer, onMessage: (data: string | Uint8Array) => void): void {
  for (let off = 0; off < wire.length; ) {
    const n = 1 + Math.floor(Math.random() * 150_000);
    session.receive(wire.subarray(off, off + n), {
      message: onMessage,
      error: (e) => {
        throw e;
      },
    });
    off += n;
  }
}

const open = (options: Partial<SessionOptions>) =>
  new Session({ role: "server", core: createCore("simd"), maxMessageSize: 0, ...options });

describe("default mode", () => {
  it("every message kept by the handler still holds its bytes after many more arrive", () => {
    for (const textAs of ["bytes", "string"] as const) {
      const session = open({ textAs });
      const kept: (string | Uint8Array)[] = [];
      const expected: Sent[] = [];
      for (let round = 0; round < 3; round++) {
        const { wire, sent } = traffic();
        expected.push(...sent);
        feed(session, wire, (data) => kept.push(data));
      }
      expect(kept.length).toBe(expected.length);
      for (const [i, data] of kept.entries()) {
        const { bytes, text } = expected[i];
        if (text && textAs === "string") expect(data).toBe(bytes.toString());
        else expect(Buffer.from(data as Uint8Array).equals(bytes)).toBe(true);
      }
    }
  });

  it("with given chunks, every message keeps its bytes across random cuts", () => {
    const session = open({ textAs: "bytes" });
    const kept: Uint8Array[] = [];
    const expected: Sent[] = [];
    for (let round = 0; round < 3; round++) {
      const { wire, sent } = traffic();
      expected.push(...sent);
      for (let off = 0; off < wire.length; ) {
        // Each read in a buffer of its own, as Node and Bun hand them over.
        const chunk = Uint8Array.from(wire.subarray(off, off + 1 + Math.floor(Math.random() * 150_000)));
        session.receive(chunk, { message: (data) => void kept.push(data as Uint8Array) }, true);
        off += chunk.length;
      }
    }
    expect(kept.length).toBe(expected.length);
    for (const [i, data] of kept.entries())
      expect(Buffer.from(data).equals(expected[i].bytes), `message ${i}`).toBe(true);
    expect(kept.every((m) => m.constructor === Uint8Array)).toBe(true);
  });

  it("a given chunk is viewed where its whole messages fill half of it, else they are copied out", () => {
    const session = open({ textAs: "bytes" });
    const small = [randomBytes(40), randomBytes(700), randomBytes(9)];
    const chunk = Uint8Array.from(Buffer.concat(small.map((p) => frame(OP_BINARY, p))));
    const kept: Uint8Array[] = [];
    const handler = { message: (data: string | Uint8Array) => void kept.push(data as Uint8Array) };
    session.receive(chunk, handler, true);
    expect(kept.map((m) => m.buffer === chunk.buffer)).toEqual([true, true, true]);
    expect(kept.map((m, i) => Buffer.from(m).equals(small[i]))).toEqual([true, true, true]);
    // The last 10 KB of a 20 KB message, then 9 bytes: those 9, if kept, must not pin 10 KB.
    const big = randomBytes(20_000);
    const wire = Buffer.concat([frame(OP_BINARY, big), frame(OP_BINARY, small[2])]);
    session.receive(Uint8Array.from(wire.subarray(0, 10_000)), handler, true);
    const rest = Uint8Array.from(wire.subarray(10_000));
    session.receive(rest, handler, true);
    expect(kept.length).toBe(5);
    expect(Buffer.from(kept[3]).equals(big)).toBe(true);
    expect(Buffer.from(kept[4]).equals(small[2])).toBe(true);
    expect(kept[4].buffer).not.toBe(rest.buffer);
    expect(kept[4].buffer.byteLength).toBeLessThan(100);
  });

  it("a given read larger than the input region is cut at frames, so its whole messages are views of it", () => {
    const session = open({});
    const payloads = Array.from({ length: 42 }, () => randomBytes(16_384));
    const wire = Buffer.concat(payloads.map((p) => frame(OP_BINARY, p)));
    // The read starts inside the first message and ends inside the last, as reads under load do.
    const first = Uint8Array.from(wire.subarray(0, 5000));
    const read = Uint8Array.from(wire.subarray(5000, wire.length - 3000));
    const last = Uint8Array.from(wire.subarray(wire.length - 3000));
    const kept: Uint8Array[] = [];
    const handler = { message: (data: string | Uint8Array) => void kept.push(data as Uint8Array) };
    for (const chunk of [first, read, last]) session.receive(chunk, handler, true);
    expect(kept.length).toBe(42);
    expect(kept.map((m, i) => Buffer.from(m).equals(payloads[i]))).toEqual(payloads.map(() => true));
    expect(kept.slice(1, 41).filter((m) => m.buffer !== read.buffer)).toEqual([]);
  });

  it("a given read larger than the input region is copied out where its whole binary messages fill less than half of it", () => {
    const session = open({});
    const texts = Array.from({ length: 30 }, () => utf8(16_384));
    const binary = [randomBytes(16_384), randomBytes(16_384)];
    const read = Uint8Array.from(
      Buffer.concat([...texts.map((t) => frame(OP_TEXT, t)), ...binary.map((b) => frame(OP_BINARY, b))]),
    );
    const kept: (string | Uint8Array)[] = [];
    session.receive(read, { message: (data) => void kept.push(data) }, true);
    expect(kept.slice(0, 30)).toEqual(texts.map((t) => t.toString()));
    const got = kept.slice(30) as Uint8Array[];
    expect(got.map((m, i) => Buffer.from(m).equals(binary[i]))).toEqual([true, true]);
    expect(got.map((m) => m.buffer === read.buffer)).toEqual([false, false]);
  });

  it("a frame held back at the end of a piece is judged in the same receive(): a bad one fails there", () => {
    const session = open({});
    const payloads = [randomBytes(16_384), randomBytes(16_384), randomBytes(16_384), randomBytes(10_000)];
    const bad = frame(OP_BINARY, randomBytes(8192));
    bad[0] = 0x83; // a reserved opcode, in a frame that runs past the first 64 KiB
    const wire = Buffer.concat([
      ...payloads.map((p) => frame(OP_BINARY, p)),
      bad,
      frame(OP_BINARY, randomBytes(10_000)),
    ]);
    const events: string[] = [];
    session.receive(
      Uint8Array.from(wire),
      {
        message: (data) => void events.push(`message ${(data as Uint8Array).length}`),
        error: (e) => void events.push(`error ${e.closeCode}`),
      },
      true,
    );
    expect(events).toEqual([
      "message 16384",
      "message 16384",
      "message 16384",
      "message 10000",
      "error 1002",
    ]);
  });

  it("a client's given chunk is viewed as it came: servers do not mask", () => {
    const session = new Session({ role: "client", core: createCore("simd"), textAs: "bytes" });
    const payloads = [Buffer.from("hello"), randomBytes(3000)];
    const chunk = Uint8Array.from(
      Buffer.concat([
        Buffer.from([0x81, 5]),
        payloads[0],
        Buffer.from([0x82, 126, 3000 >> 8, 3000 & 0xff]),
        payloads[1],
      ]),
    );
    const before = Buffer.from(chunk);
    const kept: Uint8Array[] = [];
    session.receive(chunk, { message: (data) => void kept.push(data as Uint8Array) }, true);
    expect(kept.map((m) => m.buffer === chunk.buffer)).toEqual([true, true]);
    expect(kept.map((m) => Buffer.from(m).equals(payloads[kept.indexOf(m)]))).toEqual([true, true]);
    expect(Buffer.from(chunk).equals(before)).toBe(true);
  });

  it("no two large binary messages share memory", () => {
    const session = open({});
    const buffers = new Set<ArrayBufferLike>();
    const wire = Buffer.concat(Array.from({ length: 6 }, () => frame(OP_BINARY, randomBytes(100_000))));
    feed(session, wire, (data) => buffers.add((data as Uint8Array).buffer));
    expect(buffers.size).toBe(6);
  });
});

describe("borrow mode", () => {
  it("lends each large message in a reused buffer, with its own bytes during the handler", () => {
    const session = open({ borrow: true });
    const buffers = new Set<ArrayBufferLike>();
    const seen: boolean[] = [];
    const sizes = Array.from({ length: 24 }, (_, i) => (i % 4 === 3 ? 1 << 20 : 100_000 + i * 20_000));
    const payloads = sizes.map((n) => randomBytes(n));
    const wire = Buffer.concat(payloads.map((p) => frame(OP_BINARY, p)));
    let i = 0;
    feed(session, wire, (data) => {
      const bytes = data as Uint8Array;
      seen.push(Buffer.from(bytes).equals(payloads[i++]));
      buffers.add(bytes.buffer);
    });
    expect(seen).toEqual(sizes.map(() => true));
    // The pool keeps at most 8 buffers, whatever other sessions of the process left in it.
    expect(buffers.size).toBeLessThanOrEqual(8);
  });

  it("a lent message sent back, text or binary, goes out with its own bytes after later messages reuse the buffer", () => {
    const session = open({ borrow: true, textAs: "bytes" });
    const { wire, sent } = traffic();
    let i = 0;
    feed(session, wire, (data) => session.send(data as Uint8Array, !sent[i++].text));
    // Nothing is taken until every message arrived, so by-reference payloads would show the reuse.
    const output = Buffer.concat(session.takeOutput());
    const echoes: Buffer[] = [];
    for (let at = 0; at < output.length; ) {
      const b1 = output[at + 1];
      let len = b1 & 0x7f;
      let h = 2;
      if (len === 126) {
        len = output.readUInt16BE(at + 2);
        h = 4;
      } else if (len === 127) {
        len = Number(output.readBigUInt64BE(at + 2));
        h = 10;
      }
      echoes.push(output.subarray(at + h, at + h + len));
      at += h + len;
    }
    expect(echoes.length).toBe(sent.length);
    for (const [i, echo] of echoes.entries()) expect(echo.equals(sent[i].bytes)).toBe(true);
  });

  it("a small message split over chunks is lent in a buffer of its own, not in Node's shared Buffer slab", () => {
    const session = open({ borrow: true });
    const wire = frame(OP_BINARY, randomBytes(100));
    let lent: Uint8Array | undefined;
    session.receive(wire.subarray(0, 40), {});
    session.receive(wire.subarray(40), {
      message: (data) => {
        lent = data as Uint8Array;
      },
    });
    // Lending is tracked per ArrayBuffer: one that other Buffers share would lend them too.
    expect(lent?.length).toBe(100);
    expect(lent?.buffer).not.toBe(Buffer.from("shared?").buffer);
  });

  it("lends a message of up to 64 bytes in one reused view per length, holding its own bytes during the handler", () => {
    const session = open({ borrow: true, textAs: "bytes" });
    const sizes = Array.from({ length: 3 * 70 }, (_, i) => i % 70);
    const payloads = sizes.map((n, i) => (i % 2 ? randomBytes(n) : utf8(n)));
    const wire = Buffer.concat(payloads.map((p, i) => frame(i % 2 ? OP_BINARY : OP_TEXT, p)));
    const views = new Map<number, Set<Uint8Array>>();
    const seen: boolean[] = [];
    let i = 0;
    // In one chunk: a message split over chunks is gathered in a buffer of its own instead.
    session.receive(wire, {
      message: (data) => {
        const bytes = data as Uint8Array;
        seen.push(Buffer.from(bytes).equals(payloads[i++]));
        const same = views.get(bytes.length) ?? new Set();
        views.set(bytes.length, same.add(bytes));
      },
    });
    expect(seen).toEqual(sizes.map(() => true));
    for (const [len, same] of views) expect(same.size, `views of ${len} bytes`).toBe(len <= 64 ? 1 : 3);
  });

  it("a small lent message that is kept is never overwritten by the ones after it", () => {
    const session = open({ borrow: true });
    const payloads = Array.from({ length: 300 }, (_, i) => randomBytes(1 + (i % 64)));
    const wire = Buffer.concat(payloads.map((p) => frame(OP_BINARY, p)));
    const kept: Uint8Array[] = [];
    for (let off = 0; off < wire.length; off += 4000)
      for (const event of session.events(wire.subarray(off, off + 4000)))
        if (event.type === "message") kept.push(event.data as Uint8Array);
    expect(kept.map((data, i) => Buffer.from(data).equals(payloads[i]))).toEqual(payloads.map(() => true));
  });

  it("a handler that feeds another borrowing session still reads its own small message afterwards", () => {
    const outer = open({ borrow: true });
    const inner = open({ borrow: true });
    const mine = [randomBytes(20), randomBytes(20)];
    const theirs = randomBytes(20);
    const after: boolean[] = [];
    // A first message leaves a view to reuse, for the outer handler and the inner one to compete for.
    outer.receive(frame(OP_BINARY, randomBytes(20)), {});
    outer.receive(Buffer.concat(mine.map((p) => frame(OP_BINARY, p))), {
      message: (data) => {
        let got: Uint8Array | undefined;
        inner.receive(frame(OP_BINARY, theirs), { message: (d) => (got = Buffer.from(d as Uint8Array)) });
        expect(got?.equals(theirs)).toBe(true);
        after.push(Buffer.from(data as Uint8Array).equals(mine[after.length]));
      },
    });
    expect(after).toEqual([true, true]);
  });

  it("inflated messages are lent too, with the right bytes", () => {
    const session = open({ borrow: true });
    session.setDeflate({
      header: "permessage-deflate",
      ownContext: false,
      ownWindowBits: 15,
      peerContext: false,
      peerWindowBits: 15,
      threshold: 1024,
      level: 1,
    });
    const payloads = [2000, 40_000, 500, 30_000, 64, 3, 65].map((n) => Buffer.from(utf8(n)));
    const wire = Buffer.concat(
      payloads.map((p) => {
        const z = deflateRawSync(p, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
        return frame(OP_BINARY, z.subarray(0, z.length - 4), true, true);
      }),
    );
    const seen: boolean[] = [];
    let i = 0;
    feed(session, wire, (data) => seen.push(Buffer.from(data as Uint8Array).equals(payloads[i++])));
    expect(seen).toEqual(payloads.map(() => true));
  });
});

describe("the shared pool", () => {
  it("gives a small need a small buffer even when only a large one is free, and reuses by size", () => {
    // Earlier tests leave buffers in the pool: take(5000) may get any of 8 or 16 KiB.
    const large = take(8 << 20);
    give(large);
    const small = take(5000);
    expect(small.length).toBeLessThanOrEqual(16 * 1024);
    give(small);
    // Compared by identity: a failing toBe() would print the arrays.
    expect(take(small.length - 100) === small).toBe(true);
    expect(take(7 << 20) === large).toBe(true);
  });

  // Deno's adapter has up to 256 joined writes in flight, each in a buffer of the pool.
  it("keeps hundreds of buffers of one size and hands each back", () => {
    const buffers = Array.from({ length: 300 }, () => take(20_000));
    for (const b of buffers) give(b);
    const again = new Set(Array.from({ length: 300 }, () => take(20_000)));
    expect(buffers.filter((b) => again.has(b)).length).toBe(300);
    for (const b of again) give(b);
  });

  it("past its 16 MiB, keeps the buffer just given and drops others", () => {
    const small = Array.from({ length: 64 }, () => take(64 * 1024));
    for (const b of small) give(b);
    const large = take(16 << 20);
    give(large);
    expect(take(12 << 20) === large).toBe(true);
    give(large);
  });
});

describe("serve({ borrow: true }) with ws as the client", () => {
  it("echoes and publishes lent messages of every size intact", async () => {
    const server = await serve({
      host: "127.0.0.1",
      port: 0,
      borrow: true,
      handler: {
        open(ws) {
          ws.subscribe("all");
        },
        message(ws, data, isBinary) {
          ws.send(data, isBinary);
          ws.publish("all", data, { binary: isBinary });
        },
      },
    });
    const url = `ws://127.0.0.1:${server.port}`;
    const connect = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      });
    const [sender, listener] = await Promise.all([connect(), connect()]);
    const payloads = [10, 20_000, 300_000, 1 << 20, 70_000, 5].map((n) => randomBytes(n));
    const collect = (ws: WebSocket) =>
      new Promise<Buffer[]>((resolve) => {
        const got: Buffer[] = [];
        ws.on("message", (data: Buffer) => {
          got.push(data);
          if (got.length === payloads.length) resolve(got);
        });
      });
    const echoed = collect(sender);
    const published = collect(listener);
    for (const p of payloads) sender.send(p);
    for (const got of await Promise.all([echoed, published]))
      expect(got.map((b, i) => b.equals(payloads[i]))).toEqual(payloads.map(() => true));
    sender.close();
    listener.close();
    await server.close();
  });
});
