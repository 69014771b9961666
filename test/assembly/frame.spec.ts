import {
  CLOSE_NO_STATUS,
  ERR_CLOSE_ONE_BYTE,
  ERR_CONTROL_TOO_LONG,
  ERR_EXPECTED_CONTINUATION,
  ERR_EXPECTED_MASK,
  ERR_FRAGMENTED_CONTROL,
  ERR_FRAME_TOO_LARGE,
  ERR_INVALID_CLOSE_CODE,
  ERR_INVALID_UTF8,
  ERR_LENGTH_TOP_BIT,
  ERR_MESSAGE_TOO_LARGE,
  ERR_RESERVED_OPCODE,
  ERR_UNEXPECTED_CONTINUATION,
  ERR_UNEXPECTED_MASK,
  ERR_UNEXPECTED_RSV,
  EV_LEN,
  EV_PTR,
  FLAG_ASCII,
  FLAG_FIN,
  FLAG_FIRST,
  KIND_BINARY,
  KIND_CLOSE,
  KIND_ERROR,
  KIND_PING,
  KIND_PONG,
  KIND_REPLY,
  KIND_TEXT,
  STATE_CLOSE_ACKNOWLEDGED,
  STATE_CLOSE_RECEIVED,
  STATE_FAILED,
} from "../../assembly/abi";
import { closeOwed } from "../../assembly/close";
import { frameLeft, receivePart, stoppedAt } from "../../assembly/frame";
import { inputBase, sendBase } from "../../assembly/regions";
import { sessionFree, sessionInflate, sessionLimits, sessionState } from "../../assembly/session";
import { hexAt } from "./hex";
import {
  aux,
  bytes,
  client,
  code,
  ev,
  expectError,
  feed,
  flags,
  kind,
  payload,
  payloadHex,
  server,
} from "./wire";

describe("RFC 6455 5.7 examples", () => {
  it("single-frame unmasked text, at a client", () => {
    const s = client();
    expect<u32>(feed(s, bytes("81 05 48 65 6c 6c 6f"))).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_TEXT);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN | FLAG_ASCII);
    expect<string>(payload(0)).toBe("Hello");
    sessionFree(s);
  });

  it("single-frame masked text, at a server", () => {
    const s = server();
    expect<u32>(feed(s, bytes("81 85 37 fa 21 3d 7f 9f 4d 51 58"))).toBe(1);
    expect<string>(payload(0)).toBe("Hello");
    sessionFree(s);
  });

  it("fragmented unmasked text", () => {
    const s = client();
    expect<u32>(feed(s, bytes("01 03 48 65 6c 80 02 6c 6f"))).toBe(2);
    expect<u8>(flags(0)).toBe(FLAG_FIRST);
    expect<string>(payload(0)).toBe("Hel");
    expect<u8>(kind(1)).toBe(KIND_TEXT);
    expect<u8>(flags(1)).toBe(FLAG_FIN);
    expect<string>(payload(1)).toBe("lo");
    sessionFree(s);
  });

  it("unmasked ping is reported and answered by a masked pong at a client", () => {
    const s = client();
    expect<u32>(feed(s, bytes("89 05 48 65 6c 6c 6f"))).toBe(2);
    expect<u8>(kind(0)).toBe(KIND_PING);
    expect<string>(payload(0)).toBe("Hello");
    expect<u8>(kind(1)).toBe(KIND_REPLY);
    const reply = <usize>load<u32>(ev(1) + EV_PTR);
    expect<u32>(load<u32>(ev(1) + EV_LEN)).toBe(11);
    expect<u8>(load<u8>(reply)).toBe(0x8a);
    expect<u8>(load<u8>(reply + 1)).toBe(0x85, "masked, 5 bytes");
    sessionFree(s);
  });

  it("masked ping at a server is answered by the unmasked pong of the example", () => {
    const s = server();
    expect<u32>(feed(s, bytes("89 85 37 fa 21 3d 7f 9f 4d 51 58"))).toBe(2);
    expect<u8>(kind(1)).toBe(KIND_REPLY);
    expect<string>(payloadHex(1)).toBe("8a0548656c6c6f");
    sessionFree(s);
  });

  it("pings of two sessions split over calls, interleaved, each arrive whole and are answered", () => {
    const a = server();
    const b = server();
    const ping = bytes("89 85 37 fa 21 3d 7f 9f 4d 51 58");
    expect<u32>(feed(a, ping, 0, 4)).toBe(0);
    expect<u32>(feed(b, ping, 0, 8)).toBe(0);
    expect<u32>(feed(a, ping, 4)).toBe(2);
    expect<string>(payload(0)).toBe("Hello");
    expect<string>(payloadHex(1)).toBe("8a0548656c6c6f");
    expect<u32>(feed(b, ping, 8)).toBe(2);
    expect<string>(payload(0)).toBe("Hello");
    // The block a gave back now serves b's next split ping, and a's next one is whole in one call.
    expect<u32>(feed(b, ping, 0, 9)).toBe(0);
    expect<u32>(feed(a, ping)).toBe(2);
    expect<string>(payload(0)).toBe("Hello");
    expect<u32>(feed(b, ping, 9)).toBe(2);
    expect<string>(payloadHex(1)).toBe("8a0548656c6c6f");
    sessionFree(a);
    sessionFree(b);
  });

  it("masked pong", () => {
    const s = server();
    expect<u32>(feed(s, bytes("8a 85 37 fa 21 3d 7f 9f 4d 51 58"))).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_PONG);
    expect<string>(payload(0)).toBe("Hello");
    sessionFree(s);
  });

  it("256 bytes binary in a 16-bit length and 64 KiB in a 64-bit length", () => {
    const s = client();
    const a = new Uint8Array(4 + 256);
    a.set(bytes("82 7E 01 00"));
    expect<u32>(feed(s, a)).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_BINARY);
    expect<u32>(load<u32>(ev(0) + EV_LEN)).toBe(256);
    const b = new Uint8Array(10 + 65536 - 10);
    b.set(bytes("82 7F 00 00 00 00 00 01 00 00"));
    // The input region holds 64 KiB: the frame arrives in two calls.
    expect<u32>(feed(s, b)).toBe(1);
    expect<u8>(flags(0)).toBe(FLAG_FIRST);
    expect<u32>(aux(0)).toBe(10, "the frame still holds 10 bytes");
    expect<u32>(feed(s, new Uint8Array(10))).toBe(1);
    expect<u8>(flags(0)).toBe(FLAG_FIN);
    expect<u32>(load<u32>(ev(0) + EV_LEN)).toBe(10);
    sessionFree(s);
  });
});

// Places data at the input region and decodes it as a piece that more input follows.
function feedPart(s: usize, data: Uint8Array): u32 {
  for (let i = 0; i < data.length; i++) store<u8>(inputBase + i, data[i]);
  return receivePart(s, inputBase, data.length);
}

// A client frame of `len` (126 to 65535) zero bytes, cut to its first `keep` bytes.
function binaryFrame(len: u32, keep: i32): Uint8Array {
  const head = bytes(`827e${len.toString(16).padStart(4, "0")}`);
  const out = new Uint8Array(min(keep, head.length + len));
  out.set(head.subarray(0, min(keep, head.length)));
  return out;
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe("a piece of a larger read (receivePart)", () => {
  it("stops before a frame that runs past the piece and would fit the region, which then arrives whole", () => {
    const s = client();
    const whole = bytes("82 03 aa bb cc");
    expect<u32>(feedPart(s, joined(whole, binaryFrame(256, 104)))).toBe(1);
    expect<u32>(<u32>(stoppedAt() - inputBase)).toBe(5, "at the second frame's header");
    expect<u32>(frameLeft(s)).toBe(0, "a header comes next");
    expect<u32>(feed(s, binaryFrame(256, 260))).toBe(1);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<u32>(load<u32>(ev(0) + EV_LEN)).toBe(256);
    sessionFree(s);
  });

  it("stops before a header cut short too", () => {
    const s = client();
    const whole = bytes("82 03 aa bb cc");
    expect<u32>(feedPart(s, joined(whole, bytes("82")))).toBe(1);
    expect<u32>(<u32>(stoppedAt() - inputBase)).toBe(5);
    expect<u32>(feedPart(s, joined(whole, bytes("82 7e 01")))).toBe(1);
    expect<u32>(<u32>(stoppedAt() - inputBase)).toBe(5);
    sessionFree(s);
  });

  it("takes in what no piece could hold whole, and receive() takes in everything", () => {
    const s = client();
    const big = new Uint8Array(40000);
    big.set(bytes("82 7f 00 00 00 00 00 01 00 00"));
    expect<u32>(feedPart(s, big)).toBe(1, "65,546 bytes with the header: more than the region");
    expect<u32>(<u32>(stoppedAt() - inputBase)).toBe(40000);
    expect<u32>(frameLeft(s)).toBe(65536 - 39990, "what the frame still holds");
    const t = client();
    expect<u32>(feed(t, joined(bytes("82 03 aa bb cc"), binaryFrame(256, 104)))).toBe(2);
    expect<u8>(flags(1)).toBe(FLAG_FIRST);
    expect<u32>(<u32>(stoppedAt() - inputBase)).toBe(109);
    sessionFree(s);
    sessionFree(t);
  });

  it("frameLeft is unknown while a header is gathered", () => {
    const s = client();
    expect<u32>(feed(s, bytes("82 7e"))).toBe(0);
    expect<u32>(frameLeft(s)).toBe(0xffffffff);
    sessionFree(s);
  });
});

const headers = ["8200", "827d", "827e007e", "827e007f", "827effff", "827f0000000000010000"];
const lengths: u32[] = [0, 125, 126, 127, 65535, 65536];

describe("payload length boundaries (5.2)", () => {
  it("each length arrives whole across chunks", () => {
    for (let k = 0; k < headers.length; k++) {
      const s = client();
      const h = bytes(headers[k]);
      let got: u32 = 0;
      let n = feed(s, h);
      let left = lengths[k];
      if (left == 0) {
        expect<u32>(n).toBe(1, "an empty message is one event");
        expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN);
      }
      while (left > 0) {
        const piece: u32 = left < 40000 ? left : 40000;
        n = feed(s, new Uint8Array(piece));
        expect<u32>(n).toBe(1);
        got += load<u32>(ev(0) + EV_LEN);
        left -= piece;
        if (left == 0) expect<u8>(flags(0) & FLAG_FIN).toBe(FLAG_FIN);
      }
      expect<u32>(got).toBe(lengths[k]);
      sessionFree(s);
    }
  });

  it("a 2^32-byte frame is accepted when unlimited and streams", () => {
    const s = client();
    sessionLimits(s, 0, 0);
    expect<u32>(feed(s, bytes("827f0000000100000000 aabb"))).toBe(1);
    expect<u32>(load<u32>(ev(0) + EV_LEN)).toBe(2);
    expect<u8>(flags(0)).toBe(FLAG_FIRST);
    expect<u32>(aux(0)).toBe(0xfffffffe, "what remains, capped at 2^32-1");
    sessionFree(s);
  });

  it("a 2^32-byte frame fails with 1009 under the default-style limit", () => {
    const s = client();
    sessionLimits(s, 16777216, 16777216);
    expectError(s, "827f0000000100000000", 1009, ERR_FRAME_TOO_LARGE);
  });

  it("the most significant bit of a 64-bit length must be 0", () => {
    expectError(client(), "827f8000000000000000", 1002, ERR_LENGTH_TOP_BIT);
  });
});

describe("framing rules (5.2-5.5)", () => {
  it("reserved opcodes 3-7 and B-F fail with 1002", () => {
    const ops = ["83", "84", "85", "86", "87", "8b", "8c", "8d", "8e", "8f"];
    for (let i = 0; i < ops.length; i++) expectError(client(), `${ops[i]}00`, 1002, ERR_RESERVED_OPCODE);
  });

  it("RSV1, RSV2, RSV3 without an extension fail with 1002", () => {
    expectError(client(), "c100", 1002, ERR_UNEXPECTED_RSV);
    expectError(client(), "a100", 1002, ERR_UNEXPECTED_RSV);
    expectError(client(), "9100", 1002, ERR_UNEXPECTED_RSV);
  });

  it("RSV1 is allowed on the first frame once permessage-deflate is negotiated (RFC 7692 6.1)", () => {
    const s = client();
    sessionInflate(s, 15, false);
    // 7.2.3.1: "Hello", compressed; the host sees the inflated bytes, not the RSV1 bit.
    expect<u32>(feed(s, bytes("c1 07 f2 48 cd c9 c9 07 00"))).toBe(1);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN | FLAG_ASCII);
    expect<string>(payload(0)).toBe("Hello");
    expectError(s, "41 00 c0 00", 1002, ERR_UNEXPECTED_RSV);
  });

  it("RSV1 on a control frame fails even with permessage-deflate", () => {
    const s = client();
    sessionInflate(s, 15, false);
    expectError(s, "c9 00", 1002, ERR_UNEXPECTED_RSV);
  });

  it("fragmented control frames fail with 1002", () => {
    expectError(client(), "09 00", 1002, ERR_FRAGMENTED_CONTROL);
    expectError(client(), "08 00", 1002, ERR_FRAGMENTED_CONTROL);
  });

  it("control frames over 125 bytes fail with 1002", () => {
    expectError(client(), "89 7e 00 7e", 1002, ERR_CONTROL_TOO_LONG);
    const s = client();
    const ok = new Uint8Array(127);
    ok.set(bytes("89 7d"));
    expect<u32>(feed(s, ok)).toBe(2, "125 bytes is allowed");
    sessionFree(s);
  });

  it("a server requires masked frames; a client rejects them", () => {
    expectError(server(), "81 00", 1002, ERR_EXPECTED_MASK);
    expectError(client(), "81 80 00 00 00 00", 1002, ERR_UNEXPECTED_MASK);
  });

  it("continuation without a message fails with 1002", () => {
    expectError(client(), "80 00", 1002, ERR_UNEXPECTED_CONTINUATION);
  });

  it("a new message inside a fragmented one fails with 1002", () => {
    expectError(client(), "01 01 61 81 01 62", 1002, ERR_EXPECTED_CONTINUATION);
  });

  it("control frames interleave with fragments", () => {
    const s = client();
    expect<u32>(feed(s, bytes("01 02 48 65 89 01 21 00 01 6c 8a 00 80 02 6c 6f"))).toBe(6);
    expect<u8>(kind(0)).toBe(KIND_TEXT);
    expect<u8>(kind(1)).toBe(KIND_PING);
    expect<u8>(kind(2)).toBe(KIND_REPLY);
    expect<u8>(kind(3)).toBe(KIND_TEXT);
    expect<u8>(kind(4)).toBe(KIND_PONG);
    expect<u8>(kind(5)).toBe(KIND_TEXT);
    expect<u8>(flags(5)).toBe(FLAG_FIN);
    sessionFree(s);
  });

  it("an empty non-final fragment produces no event, the final one does", () => {
    const s = client();
    expect<u32>(feed(s, bytes("01 00 00 00"))).toBe(0);
    expect<u32>(feed(s, bytes("80 00"))).toBe(1);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN | FLAG_ASCII);
    sessionFree(s);
  });

  it("FLAG_ASCII marks whole text messages of ASCII only: not other text, pieces or binary", () => {
    const s = client();
    expect<u32>(feed(s, bytes("81 03 61 c3 a9 81 02 61 7f 82 01 61 01 01 61 80 01 62"))).toBe(5);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<u8>(flags(1)).toBe(FLAG_FIRST | FLAG_FIN | FLAG_ASCII);
    expect<u8>(flags(2)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<u8>(flags(3)).toBe(FLAG_FIRST);
    expect<u8>(flags(4)).toBe(FLAG_FIN);
    sessionFree(s);
  });

  it("the same for masked messages at a server, whole small ones among them", () => {
    const s = server();
    // "aé" and "a\x7f" masked with 01 02 03 04; "a" binary; "a" then "b" in two frames.
    const wire =
      "81 83 01020304 60 c1 aa 81 82 01020304 60 7d 82 81 01020304 60 01 81 01020304 60 80 81 01020304 63";
    expect<u32>(feed(s, bytes(wire))).toBe(5);
    expect<u8>(flags(0)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<string>(payloadHex(0)).toBe("61c3a9");
    expect<u8>(flags(1)).toBe(FLAG_FIRST | FLAG_FIN | FLAG_ASCII);
    expect<string>(payloadHex(1)).toBe("617f");
    expect<u8>(flags(2)).toBe(FLAG_FIRST | FLAG_FIN);
    expect<u8>(kind(2)).toBe(KIND_BINARY);
    expect<u8>(flags(3)).toBe(FLAG_FIRST);
    expect<u8>(flags(4)).toBe(FLAG_FIN);
    expect<string>(payloadHex(4)).toBe("62");
    sessionFree(s);
  });
});

describe("limits", () => {
  it("max frame size fails with 1009 at the header", () => {
    const s = client();
    sessionLimits(s, 10, 100);
    expectError(s, "82 0b", 1009, ERR_FRAME_TOO_LARGE);
  });

  it("a limit under 125 bytes holds inside a run of small messages", () => {
    const s = client();
    sessionLimits(s, 0, 2);
    expect<u32>(feed(s, bytes("82 02 0102 82 03 010203 82 01 01"))).toBe(2);
    expect<u8>(kind(0)).toBe(KIND_BINARY);
    expect<u8>(kind(1)).toBe(KIND_ERROR);
    expect<u32>(aux(1)).toBe(ERR_MESSAGE_TOO_LARGE);
    sessionFree(s);
  });

  it("max message size counts every fragment", () => {
    const s = client();
    sessionLimits(s, 10, 15);
    expect<u32>(feed(s, bytes("02 0a 00000000000000000000"))).toBe(1);
    expectError(s, "80 06", 1009, ERR_MESSAGE_TOO_LARGE);
  });
});

describe("UTF-8 in text messages (8.1)", () => {
  it("fails fast: the chunk with the invalid byte fails, before the frame ends", () => {
    const s = client();
    expect<u32>(feed(s, bytes("81 0a ce ba e1 bd b9"))).toBe(1);
    expectError(s, "ed a0 80", 1007, ERR_INVALID_UTF8);
  });

  it("a code point split across fragments is valid", () => {
    const s = client();
    expect<u32>(feed(s, bytes("01 01 e2 00 01 82 80 01 ac"))).toBe(3);
    sessionFree(s);
  });

  it("a message ending inside a code point fails with 1007", () => {
    expectError(client(), "81 02 e2 82", 1007, ERR_INVALID_UTF8);
  });

  it("a run of small messages stops at the invalid one: those before arrive, none after it", () => {
    const s = client();
    // "a", then ed a0 (a surrogate's lead), then "b" and "c" in the same chunk.
    expect<u32>(feed(s, bytes("81 01 61 81 02 ed a0 81 01 62 82 01 63"))).toBe(2);
    expect<u8>(kind(0)).toBe(KIND_TEXT);
    expect<string>(payloadHex(0)).toBe("61");
    expect<u8>(kind(1)).toBe(KIND_ERROR);
    expect<u32>(aux(1)).toBe(ERR_INVALID_UTF8);
    expect<u32>(sessionState(s)).toBe(STATE_FAILED);
    sessionFree(s);
  });

  it("binary messages are not validated", () => {
    const s = client();
    expect<u32>(feed(s, bytes("82 02 ed a0"))).toBe(1);
    sessionFree(s);
  });
});

// Each stream is sent one byte per receive() call: the error comes in the call with the byte
// that makes the frame invalid, not once the rest of the header arrives.
function failsAtByte(s: usize, hex: string, at: i32, close: u16, err: u32): void {
  const data = bytes(hex);
  for (let i = 0; i < data.length; i++) {
    const n = feed(s, data, i, i + 1);
    if (i < at) {
      expect<u32>(n).toBe(0, "no event before the invalid byte");
      continue;
    }
    expect<u32>(n).toBe(1, "the error comes with the invalid byte");
    expect<u8>(kind(0)).toBe(KIND_ERROR);
    expect<u16>(code(0)).toBe(close);
    expect<u32>(aux(0)).toBe(err);
    break;
  }
  sessionFree(s);
}

describe("failing fast on the first invalid header byte (5.2)", () => {
  it("RSV bits in byte 1", () => {
    failsAtByte(server(), "c7 ab cc", 0, 1002, ERR_UNEXPECTED_RSV);
  });

  it("a reserved opcode in byte 1", () => {
    failsAtByte(server(), "87 80 2b", 0, 1002, ERR_RESERVED_OPCODE);
  });

  it("a continuation with nothing to continue, in byte 1", () => {
    failsAtByte(server(), "80 80 00 00 00 00", 0, 1002, ERR_UNEXPECTED_CONTINUATION);
  });

  it("a fragmented control frame, in byte 1", () => {
    failsAtByte(server(), "09 80 00 00 00 00", 0, 1002, ERR_FRAGMENTED_CONTROL);
  });

  it("an unmasked frame to a server, in byte 2", () => {
    failsAtByte(server(), "81 05 48 65", 1, 1002, ERR_EXPECTED_MASK);
  });

  it("a control frame announcing more than 125 bytes, in byte 2", () => {
    failsAtByte(client(), "89 7e 00 7e", 1, 1002, ERR_CONTROL_TOO_LONG);
  });

  it("a 64-bit length with the top bit set, in byte 3", () => {
    failsAtByte(client(), "82 7f 80 00 00 00 00 00 00 00", 2, 1002, ERR_LENGTH_TOP_BIT);
  });

  it("a frame over maxFrameSize, once its length is complete", () => {
    const s = client();
    sessionLimits(s, 1024, 1024);
    failsAtByte(s, "82 7f 00 00 01 00 00 00 00 00", 9, 1009, ERR_FRAME_TOO_LARGE);
  });
});

describe("close frames (5.5.1, 7.4)", () => {
  it("an empty close reports 1005 and is owed back empty", () => {
    const s = client();
    expect<u32>(feed(s, bytes("88 00"))).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_CLOSE);
    expect<u16>(code(0)).toBe(CLOSE_NO_STATUS);
    expect<u32>(sessionState(s)).toBe(STATE_CLOSE_RECEIVED);
    expect<u32>(closeOwed(s)).toBe(6, "masked empty close");
    expect<string>(hexAt(sendBase, 2)).toBe("8880");
    expect<u32>(sessionState(s)).toBe(STATE_CLOSE_ACKNOWLEDGED);
    expect<u32>(closeOwed(s)).toBe(0, "owed once");
    expect<u32>(feed(s, bytes("81 00"))).toBe(0, "nothing is read after a close");
    sessionFree(s);
  });

  it("a close with code and reason is owed back with the code", () => {
    const s = server();
    expect<u32>(feed(s, bytes("88 85 00 00 00 00 03 e8 62 79 65"))).toBe(1);
    expect<u16>(code(0)).toBe(1000);
    expect<string>(payload(0)).toBe("bye");
    expect<u32>(closeOwed(s)).toBe(4);
    expect<string>(hexAt(sendBase, 4)).toBe("880203e8");
    sessionFree(s);
  });

  it("a failure owes a close with the failure's code", () => {
    const s = server();
    feed(s, bytes("83 80 00 00 00 00"));
    expect<u32>(sessionState(s)).toBe(STATE_FAILED);
    expect<u32>(closeOwed(s)).toBe(4);
    expect<string>(hexAt(sendBase, 4)).toBe("880203ea");
    expect<u32>(closeOwed(s)).toBe(0);
    sessionFree(s);
  });

  it("a 1-byte close payload fails with 1002", () => {
    expectError(client(), "88 01 03", 1002, ERR_CLOSE_ONE_BYTE);
  });

  it("codes allowed on the wire are accepted", () => {
    const ok: u32[] = [
      1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
    ];
    for (let i = 0; i < ok.length; i++) {
      const s = client();
      const f = bytes("88 02 00 00");
      f[2] = <u8>(ok[i] >> 8);
      f[3] = <u8>ok[i];
      expect<u32>(feed(s, f)).toBe(1);
      expect<u16>(code(0)).toBe(<u16>ok[i]);
      sessionFree(s);
    }
  });

  it("codes not allowed on the wire fail with 1002", () => {
    const bad: u32[] = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
    for (let i = 0; i < bad.length; i++) {
      const f = new Uint8Array(4);
      f.set(bytes("88 02"));
      f[2] = <u8>(bad[i] >> 8);
      f[3] = <u8>bad[i];
      const s = client();
      const n = feed(s, f);
      expect<u8>(kind(n - 1)).toBe(KIND_ERROR);
      expect<u32>(aux(n - 1)).toBe(ERR_INVALID_CLOSE_CODE);
      sessionFree(s);
    }
  });

  it("a close reason with invalid UTF-8 fails with 1007", () => {
    expectError(client(), "88 04 03 e8 c0 af", 1007, ERR_INVALID_UTF8);
  });

  it("a ping after our close is not answered", () => {
    const s = client();
    store<u8>(s + 1, load<u8>(s + 1) | 8);
    expect<u32>(feed(s, bytes("89 00"))).toBe(1);
    expect<u8>(kind(0)).toBe(KIND_PING);
    sessionFree(s);
  });
});

// Masked text "Hello" fragmented around a ping, then masked binary 00 01 02 and a close 1000.
const stream = bytes(
  "01 83 01 02 03 04 49 67 6f" +
    "89 82 0a 0b 0c 0d 2b 2a" +
    "80 82 05 06 07 08 69 69" +
    "82 83 10 20 30 40 10 21 32" +
    "88 82 00 00 00 00 03 e8",
);

// Concatenates every event's kind and payload into one string to compare runs.
function transcript(s: usize, cuts: i32[]): string {
  let out = "";
  let from = 0;
  for (let c = 0; c <= cuts.length; c++) {
    const to = c < cuts.length ? cuts[c] : stream.length;
    const n = feed(s, stream, from, to);
    for (let i: u32 = 0; i < n; i++) {
      if (kind(i) == KIND_REPLY) out += `R${payloadHex(i)};`;
      else out += `${kind(i).toString() + (flags(i) & FLAG_FIN ? "!" : "") + payloadHex(i)};`;
    }
    from = to;
  }
  return out;
}

function merged(t: string): string {
  // Pieces of one message may split differently; compare their joined payloads.
  let out = "";
  const items = t.split(";");
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.length == 0) continue;
    const k = it.charAt(0);
    if (k == "1" || k == "2") out += it.replace("!", "").substr(1);
    else out += `[${it}]`;
    if (it.includes("!")) out += "#";
  }
  return out;
}

describe("every way of chopping a multi-frame stream", () => {
  it("split into two pieces at every point", () => {
    const whole = merged(transcript(server(), []));
    expect<string>(whole).toBe("48656c[32121][R8a022121]6c6f#000102#[5]");
    for (let cut = 1; cut < stream.length; cut++) {
      const s = server();
      expect<string>(merged(transcript(s, [cut]))).toBe(whole);
      sessionFree(s);
    }
  });

  it("split into three pieces at every pair of points", () => {
    const whole = merged(transcript(server(), []));
    for (let a = 1; a < stream.length; a++) {
      for (let b = a; b < stream.length; b++) {
        const s = server();
        expect<string>(merged(transcript(s, [a, b]))).toBe(whole);
        sessionFree(s);
      }
    }
  });

  it("one byte at a time", () => {
    const whole = merged(transcript(server(), []));
    const cuts: i32[] = [];
    for (let i = 1; i < stream.length; i++) cuts.push(i);
    const s = server();
    expect<string>(merged(transcript(s, cuts))).toBe(whole);
    sessionFree(s);
  });
});
