// RFC 6455 5.3: every frame a client sends carries a fresh masking key that the server cannot
// predict from the ones before. Keys come from one ring in the core, refilled from
// crypto.getRandomValues before any of it is drawn twice.
import { describe, expect, it } from "vitest";
import { createCore } from "../host-core/inline.ts";
import { Session } from "../host-core/session.ts";

// Collects the masking key of every frame in a client's output (each frame here is short).
function keys(chunks: Uint8Array[]): number[] {
  const bytes = Buffer.concat(chunks);
  const out: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    let len = bytes[at + 1] & 0x7f;
    let off = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at + 2);
      off = 4;
    }
    out.push(bytes.readUInt32BE(at + off));
    at += off + 4 + len;
  }
  return out;
}

// Among n random 32-bit keys about n^2 / 2^33 collide; ten times that is beyond chance.
function allowedRepeats(n: number): number {
  return Math.ceil((10 * n * n) / 2 ** 33);
}

function repeats(list: number[]): number {
  return list.length - new Set(list).size;
}

describe.each(["simd", "scalar"] as const)("%s build", (build) => {
  it("100,000 sent frames use 100,000 keys", () => {
    const client = new Session({ role: "client", core: createCore(build) });
    const all: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      client.send(i % 3 === 0 ? "x" : new Uint8Array(i % 200));
      if (i % 1000 === 999) all.push(...keys(client.takeOutput()));
    }
    expect(all.length).toBe(100_000);
    expect(repeats(all)).toBeLessThanOrEqual(allowedRepeats(all.length));
  });

  it("30,000 pings in one chunk are answered by 30,000 pongs with 30,000 keys", () => {
    const core = createCore(build);
    const client = new Session({ role: "client", core });
    const all: number[] = [];
    // 2-byte empty pings, as many as one input region takes, several times over.
    const pings = new Uint8Array(60_000).fill(0x89).map((b, i) => (i % 2 === 0 ? b : 0));
    for (let round = 0; round < 4; round++) {
      client.receive(pings, {});
      all.push(...keys(client.takeOutput()));
    }
    expect(all.length).toBe(120_000);
    expect(repeats(all)).toBeLessThanOrEqual(allowedRepeats(all.length));
  });
});
