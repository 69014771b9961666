import {
  ERR_INFLATE,
  ERR_INVALID_UTF8,
  ERR_MESSAGE_TOO_LARGE,
  ERR_UNEXPECTED_RSV,
  EV_LEN,
  FLAG_ASCII,
  FLAG_FIN,
  FLAG_FIRST,
  KIND_BINARY,
  KIND_PING,
  KIND_SUSPEND,
  KIND_TEXT,
} from "../../assembly/abi";
import { resume } from "../../assembly/frame";
import { sessionFree, sessionInflate, sessionLimits } from "../../assembly/session";
import { bytes, client, ev, expectError, feed, flags, kind, payload } from "./wire";

function compressed(): usize {
  const s = client();
  sessionInflate(s, 15, false);
  return s;
}

describe("RFC 7692 7.2.3 examples, inflated by the core", () => {
  it("7.2.3.1: one compressed frame", () => {
    const s = compressed();
    expect<u32>(feed(s, bytes("c1 07 f2 48 cd c9 c9 07 00"))).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_TEXT);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN | FLAG_ASCII);
    expect<string>(payload(0)).toBe("Hello");
    sessionFree(s);
  });

  it("inflated text with a character past ASCII is whole but not marked ASCII", () => {
    const s = compressed();
    // "héllo" compressed by zlib (sync flush, tail removed).
    expect<u32>(feed(s, bytes("c1 08 ca 38 bc 32 27 27 1f 00"))).toBe(1);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<string>(payload(0)).toBe("h\u00e9llo");
    sessionFree(s);
  });

  it("7.2.3.1: the compressed bytes split over two frames, with a ping between them", () => {
    const s = compressed();
    const n = feed(s, bytes("41 03 f2 48 cd 89 00 80 04 c9 c9 07 00"));
    expect<u8>(kind(0)).toBe(KIND_TEXT);
    expect<u8>(flags(0)).toBe(FLAG_FIRST);
    expect<u8>(kind(1)).toBe(KIND_PING);
    let text = payload(0);
    for (let i: u32 = 2; i < n; i++) if (kind(i) == KIND_TEXT) text += payload(i);
    expect<string>(text).toBe("Hello");
    expect<u8>(flags(n - 1) & FLAG_FIN).toBe(FLAG_FIN);
    sessionFree(s);
  });

  it("7.2.3.2: with context takeover the second message refers to the first", () => {
    const s = client();
    sessionInflate(s, 15, true);
    expect<u32>(feed(s, bytes("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00"))).toBe(2);
    expect<string>(payload(0)).toBe("Hello");
    expect<string>(payload(1)).toBe("Hello");
    sessionFree(s);
  });

  it("7.2.3.2: without it, a reference before the message is invalid data (1007)", () => {
    expectError(compressed(), "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00", 1007, ERR_INFLATE);
  });

  it("7.2.3.3: a stored block; 7.2.3.4: a final block; 7.2.3.6: an empty message", () => {
    const s = compressed();
    expect<u32>(feed(s, bytes("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00"))).toBe(1);
    expect<string>(payload(0)).toBe("Hello");
    expect<u32>(feed(s, bytes("c1 07 f3 48 cd c9 c9 07 00"))).toBe(1);
    expect<string>(payload(0)).toBe("Hello");
    expect<u32>(feed(s, bytes("c2 01 00"))).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_BINARY);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<u32>(load<u32>(ev(0) + EV_LEN)).toBe(0);
    sessionFree(s);
  });
});

describe("failures on compressed messages", () => {
  it("RSV1 on a continuation frame fails with 1002 (6.1)", () => {
    expectError(compressed(), "41 03 f2 48 cd c0 04 c9 c9 07 00", 1002, ERR_UNEXPECTED_RSV);
  });

  it("data that is not DEFLATE fails with 1007", () => {
    expectError(compressed(), "c1 02 ff ff", 1007, ERR_INFLATE);
  });

  it("inflated text that is not UTF-8 fails with 1007 (8.1)", () => {
    // "H" then 0xc3 0x28: an invalid sequence, compressed.
    expectError(compressed(), "c1 06 f2 38 ac 91 0a 00", 1007, ERR_INVALID_UTF8);
  });

  it("fails fast: invalid UTF-8 in the first fragment fails before the message ends", () => {
    expectError(compressed(), "41 06 f2 38 ac 91 0a 00", 1007, ERR_INVALID_UTF8);
  });

  it("a message inflating past the limit fails with 1009 as it crosses it", () => {
    const s = compressed();
    sessionLimits(s, 0, 4);
    expectError(s, "c1 07 f2 48 cd c9 c9 07 00", 1009, ERR_MESSAGE_TOO_LARGE);
  });
});

describe("a message larger than the ring suspends the call", () => {
  it("100,000 compressed 'a's arrive in 32 KiB views with KIND_SUSPEND between them", () => {
    const s = compressed();
    const data = bytes(
      "c1 73 " +
        "ecc13101000000c2a0aceb5fc21a1e4001000000000000000000000000000000000000000000000000000000" +
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
        "00000000000000000000000000000000000000000000000000af06",
    );
    let n = feed(s, data);
    let total: u32 = 0;
    let calls = 1;
    while (true) {
      for (let i: u32 = 0; i < n; i++) if (kind(i) == KIND_TEXT) total += load<u32>(ev(i) + EV_LEN);
      if (kind(n - 1) != KIND_SUSPEND) break;
      n = resume(s);
      calls++;
    }
    expect<u32>(total).toBe(100000);
    expect<i32>(calls).toBe(4, "100,000 bytes through a 32 KiB ring");
    expect<u8>(flags(n - 1) & FLAG_FIN).toBe(FLAG_FIN);
    sessionFree(s);
  });
});
