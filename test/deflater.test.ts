// The core's compressor as Session uses it: the first message a core compresses allocates the
// compressor's scratch, which may grow the memory under the call; what it returns must still be the
// message, compressed (a stale view of the old memory threw here and killed a Deno server).
import { constants, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Deflater } from "../host-core/deflater.ts";
import { createCore } from "../host-core/inline.ts";

const message = new TextEncoder().encode(
  JSON.stringify(Array.from({ length: 800 }, (_, i) => ({ id: i, name: `user ${i}` }))),
);

/** RFC 7692 7.2.2: the sender removed the empty block's 00 00 ff ff; the receiver puts it back. */
const inflate = (z: Uint8Array) =>
  inflateRawSync(Buffer.concat([z, Buffer.from([0, 0, 0xff, 0xff])]), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });

describe("Deflater", () => {
  it("compresses a core's first message right when that message grows the memory", () => {
    let grown = 0;
    // Fresh cores filled to different depths, so that in some the compressor's scratch does not fit.
    for (let states = 0; states < 64; states++) {
      const core = createCore("simd");
      for (let i = 0; i < states; i++) core.exports.deflateAlloc(15);
      const deflater = Deflater.shared(core, 15, 1);
      const before = core.exports.memory.buffer;
      const z = deflater.compress(undefined, message);
      if (core.exports.memory.buffer !== before) grown++;
      expect(inflate(z).equals(Buffer.from(message)), `after ${states} states`).toBe(true);
    }
    expect(grown).toBeGreaterThan(0);
  });
});
