import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCore } from "../host-core/inline.ts";
import { Session, type SessionEvent } from "../host-core/session.ts";

// Shrinking counterexamples of hundreds of kilobytes takes minutes; report the first failure as is.
fc.configureGlobal({ endOnFailure: true });

const builds = ["simd", "scalar"] as const;

type Message = { data: Uint8Array | string; binary: boolean; pieces: number[] };

const message: fc.Arbitrary<Message> = fc.record({
  data: fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.uint8Array({ maxLength: 70_000, size: "max" }),
  ),
  binary: fc.boolean(),
  pieces: fc.array(fc.nat(), { maxLength: 4 }),
});

// Splits a byte stream at arbitrary points, down to single bytes.
const chunking = fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 70_000 })), {
  minLength: 1,
  maxLength: 40,
});

function bytesOf(m: Message): Uint8Array {
  return typeof m.data === "string" ? new TextEncoder().encode(m.data) : m.data;
}

/** Sends m as one or more fragments, cutting its bytes (even inside a UTF-8 sequence). */
function sendFragmented(sender: Session, m: Message): void {
  const bytes = bytesOf(m);
  const binary = m.binary || typeof m.data !== "string";
  const cuts = [...new Set(m.pieces.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const cut of cuts) {
    sender.send(bytes.subarray(from, cut), binary, false);
    from = cut;
  }
  sender.send(bytes.subarray(from), binary, true);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

function feedChunked(receiver: Session, stream: Uint8Array, sizes: number[]): SessionEvent[] {
  const events: SessionEvent[] = [];
  for (let off = 0, i = 0; off < stream.length; i++) {
    const n = sizes[i % sizes.length];
    events.push(...receiver.events(stream.subarray(off, off + n)));
    off += n;
  }
  return events;
}

describe.each(builds)("%s build", (build) => {
  const core = createCore(build);

  it("client → server: random messages, fragmentations, chunkings and masks round-trip", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), chunking, (messages, sizes) => {
        const client = new Session({ role: "client", core, textAs: "bytes" });
        const server = new Session({ role: "server", core, textAs: "bytes" });
        for (const m of messages) {
          sendFragmented(client, m);
          client.ping("interleaved");
        }
        const events = feedChunked(server, concat(client.takeOutput()), sizes);
        const got = events.filter((e) => e.type === "message");
        expect(got.length).toBe(messages.length);
        got.forEach((e, i) => {
          const m = messages[i];
          expect(e.isBinary).toBe(m.binary || typeof m.data !== "string");
          expect(Buffer.from(e.data as Uint8Array).equals(Buffer.from(bytesOf(m)))).toBe(true);
        });
        expect(events.filter((e) => e.type === "ping").length).toBe(messages.length);
        // Every ping was answered with a pong carrying its payload.
        const pongs = client.events(concat(server.takeOutput()));
        expect(pongs.length).toBe(messages.length);
        for (const p of pongs)
          expect(p.type === "pong" && Buffer.from(p.data).toString()).toBe("interleaved");
        client.free();
        server.free();
      }),
      { numRuns: 150 },
    );
  });

  it("server → client: frames round-trip byte for byte through a reference decoder", () => {
    fc.assert(
      fc.property(message, chunking, (m, sizes) => {
        const server = new Session({ role: "server", core, textAs: "bytes" });
        const client = new Session({ role: "client", core, textAs: "bytes" });
        sendFragmented(server, m);
        const stream = concat(server.takeOutput());
        expect(Buffer.from(referencePayload(stream)).equals(Buffer.from(bytesOf(m)))).toBe(true);
        const got = feedChunked(client, stream, sizes).filter((e) => e.type === "message");
        expect(got.length).toBe(1);
        expect(Buffer.from(got[0].data as Uint8Array).equals(Buffer.from(bytesOf(m)))).toBe(true);
        server.free();
        client.free();
      }),
      { numRuns: 150 },
    );
  });

  it("client frames unmask to the payload through a reference decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200_000, size: "max" }), (payload) => {
        const client = new Session({ role: "client", core });
        client.send(payload);
        const stream = concat(client.takeOutput());
        expect(stream[1] & 0x80).toBe(0x80);
        expect(Buffer.from(referencePayload(stream)).equals(Buffer.from(payload))).toBe(true);
        client.free();
      }),
      { numRuns: 60 },
    );
  });

  it("garbage never throws, ends in an error or valid events, and leaves other sessions intact", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), chunking, (garbage, sizes) => {
        const victim = new Session({ role: "server", core });
        const bystander = new Session({ role: "server", core });
        const sender = new Session({ role: "client", core });
        sender.send("intact ", false, false);
        sender.send("message", false, true);
        const good = concat(sender.takeOutput());
        // The bystander's message is interleaved with the garbage, chunk by chunk.
        const mid = good.length >> 1;
        const first = bystander.events(good.subarray(0, mid));
        const events = feedChunked(victim, garbage, sizes);
        const rest = bystander.events(good.subarray(mid));
        const bystanderMessages = [...first, ...rest].filter((e) => e.type === "message");
        expect(bystanderMessages).toEqual([{ type: "message", data: "intact message", isBinary: false }]);
        const errors = events.filter((e) => e.type === "error");
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) {
          expect(events.at(-1)?.type).toBe("error");
          expect(victim.failed).toBe(true);
          // The failing session queued a close frame with the error's close code.
          const close = concat(victim.takeOutput());
          const code = (close[close.length - 2] << 8) | close[close.length - 1];
          expect(errors[0].type === "error" && errors[0].error.closeCode).toBe(code);
        }
        for (const s of [victim, bystander, sender]) s.free();
      }),
      { numRuns: 400 },
    );
  });

  it("no session slot leaks", () => {
    const before = core.exports.sessionCount();
    const sessions = Array.from({ length: 1000 }, () => new Session({ role: "server", core }));
    expect(core.exports.sessionCount()).toBe(before + 1000);
    for (const s of sessions) s.free();
    expect(core.exports.sessionCount()).toBe(before);
  });
});

describe("SIMD and scalar builds agree", () => {
  it("on every event for the same random input", () => {
    const simd = createCore("simd");
    const scalar = createCore("scalar");
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 4 }),
        fc.uint8Array({ maxLength: 200 }),
        chunking,
        (ms, tail, sizes) => {
          const sender = new Session({ role: "client", core: simd });
          for (const m of ms) sendFragmented(sender, m);
          const stream = concat([...sender.takeOutput(), tail]);
          const a = feedChunked(new Session({ role: "server", core: simd }), stream, sizes);
          const b = feedChunked(new Session({ role: "server", core: scalar }), stream, sizes);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** An independent decoder for one message's frames: header, unmask, concatenate. */
function referencePayload(stream: Uint8Array): Uint8Array {
  const out: number[] = [];
  let p = 0;
  while (p < stream.length) {
    const masked = (stream[p + 1] & 0x80) !== 0;
    let len = stream[p + 1] & 0x7f;
    p += 2;
    if (len === 126) {
      len = (stream[p] << 8) | stream[p + 1];
      p += 2;
    } else if (len === 127) {
      len = Number(new DataView(stream.buffer, stream.byteOffset + p, 8).getBigUint64(0));
      p += 8;
    }
    const key = masked ? stream.subarray(p, p + 4) : null;
    if (masked) p += 4;
    for (let i = 0; i < len; i++) out.push(key ? stream[p + i] ^ key[i & 3] : stream[p + i]);
    p += len;
  }
  return Uint8Array.from(out);
}
