import {
  ERR_CLOSE_REASON_TOO_LONG,
  ERR_INVALID_UTF8,
  ERR_SEND_AFTER_CLOSE,
  ERR_SEND_CLOSE_CODE,
  ERR_SEND_CONTROL_TOO_LONG,
  KEY_POOL_SIZE,
  SEND_PAYLOAD,
  STATE_CLOSE_SENT,
  STATE_OPEN,
} from "../../assembly/abi";
import { closeOwed } from "../../assembly/close";
import { frame, header } from "../../assembly/encode";
import { keyPoolBase, keyStateBase, sendBase } from "../../assembly/regions";
import { sessionFree, sessionOpen, sessionState } from "../../assembly/session";
import { hexAt } from "./hex";

function putPayload(hex: string): u32 {
  const n = hex.length / 2;
  for (let i = 0; i < n; i++)
    store<u8>(sendBase + SEND_PAYLOAD + i, <u8>I32.parseInt(hex.substr(i * 2, 2), 16));
  return n;
}

// The key the ring hands out next.
function nextKeyIs(key: u32): void {
  store<u32>(keyPoolBase + load<u32>(keyStateBase), key);
}

// The frame that frame() assembled, as hex.
function built(h: i32, len: u32): string {
  return hexAt(sendBase + SEND_PAYLOAD - h, h + len);
}

describe("server frames (5.2, unmasked)", () => {
  it("RFC 6455 5.7: a single-frame unmasked text message", () => {
    const s = sessionOpen(0);
    const n = putPayload("48656c6c6f");
    const h = frame(s, 0x81, n);
    expect<i32>(h).toBe(2);
    expect<string>(built(h, n)).toBe("810548656c6c6f");
    sessionFree(s);
  });

  it("header sizes at the length boundaries", () => {
    const s = sessionOpen(0);
    expect<string>(hexAt(sendBase, header(s, 0x82, 0))).toBe("8200");
    expect<string>(hexAt(sendBase, header(s, 0x82, 125))).toBe("827d");
    expect<string>(hexAt(sendBase, header(s, 0x82, 126))).toBe("827e007e");
    expect<string>(hexAt(sendBase, header(s, 0x82, 65535))).toBe("827effff");
    expect<string>(hexAt(sendBase, header(s, 0x82, 65536))).toBe("827f0000000000010000");
    expect<string>(hexAt(sendBase, header(s, 0x02, 4294967296))).toBe("027f0000000100000000");
    sessionFree(s);
  });
});

describe("client frames (5.3, masked)", () => {
  it("RFC 6455 5.7: a single-frame masked text message", () => {
    const s = sessionOpen(1);
    const n = putPayload("48656c6c6f");
    // The key as it appears on the wire (37 fa 21 3d), loaded little-endian.
    nextKeyIs(0x3d21fa37);
    const h = frame(s, 0x81, n);
    expect<i32>(h).toBe(6);
    expect<string>(built(h, n)).toBe("818537fa213d7f9f4d5158");
    sessionFree(s);
  });

  it("a 64-bit header carries the mask bit and key", () => {
    const s = sessionOpen(1);
    nextKeyIs(0x04030201);
    const h = header(s, 0x82, 65536);
    expect<string>(hexAt(sendBase, h)).toBe("82ff000000000001000001020304");
    sessionFree(s);
  });
});

describe("control and close frames", () => {
  it("a control payload over 125 bytes is refused", () => {
    const s = sessionOpen(0);
    expect<i32>(frame(s, 0x89, 126)).toBe(-ERR_SEND_CONTROL_TOO_LONG);
    expect<i32>(header(s, 0x89, 1)).toBe(-ERR_SEND_CONTROL_TOO_LONG);
    sessionFree(s);
  });

  it("a close code that must not be sent is refused (7.4.1)", () => {
    const s = sessionOpen(0);
    expect<i32>(frame(s, 0x88, putPayload("03ed"))).toBe(-ERR_SEND_CLOSE_CODE, "1005");
    expect<i32>(frame(s, 0x88, putPayload("03"))).toBe(-ERR_SEND_CLOSE_CODE, "one byte");
    expect<i32>(frame(s, 0x88, putPayload("03e8c0af"))).toBe(-ERR_INVALID_UTF8, "bad reason");
    sessionFree(s);
  });

  it("a close reason over 123 bytes is refused (5.5: 125 bytes with the code)", () => {
    const s = sessionOpen(0);
    store<u16>(sendBase + SEND_PAYLOAD, bswap<u16>(1000));
    memory.fill(sendBase + SEND_PAYLOAD + 2, 0x61, 124);
    expect<i32>(frame(s, 0x88, 2 + 124)).toBe(-ERR_CLOSE_REASON_TOO_LONG);
    expect<u32>(sessionState(s)).toBe(STATE_OPEN, "a refused close is not sent");
    expect<i32>(frame(s, 0x88, 2 + 123)).toBe(2, "a 123-byte reason fits");
    sessionFree(s);
  });

  it("nothing is sent after a close", () => {
    const s = sessionOpen(0);
    const h = frame(s, 0x88, putPayload("03e8"));
    expect<string>(built(h, 2)).toBe("880203e8");
    expect<i32>(frame(s, 0x81, 0)).toBe(-ERR_SEND_AFTER_CLOSE);
    expect<i32>(header(s, 0x82, 10)).toBe(-ERR_SEND_AFTER_CLOSE);
    sessionFree(s);
  });
});

describe("masking keys (5.3)", () => {
  it("each client frame draws the next key of the ring, and the ring counts what was drawn", () => {
    const s = sessionOpen(1);
    const drawn = load<u32>(keyStateBase + 4);
    const pos = load<u32>(keyStateBase);
    frame(s, 0x81, 0);
    header(s, 0x82, 70000);
    expect<u32>(load<u32>(keyStateBase)).toBe((pos + 8) & (KEY_POOL_SIZE - 1));
    expect<u32>(load<u32>(keyStateBase + 4)).toBe(drawn + 8);
    sessionFree(s);
  });
});

describe("the close owed (5.5.1, 7.1.7)", () => {
  it("nothing is owed while open, and nothing once our close went", () => {
    const s = sessionOpen(0);
    expect<u32>(closeOwed(s)).toBe(0);
    frame(s, 0x88, 0);
    expect<u32>(sessionState(s)).toBe(STATE_CLOSE_SENT);
    expect<u32>(closeOwed(s)).toBe(0);
    sessionFree(s);
  });
});

describe("session slots", () => {
  it("a freed slot is reused and starts clean", () => {
    const a = sessionOpen(0);
    frame(a, 0x88, 0);
    sessionFree(a);
    const b = sessionOpen(0);
    expect<usize>(b).toBe(a);
    expect<i32>(frame(b, 0x81, 0)).toBe(2, "the close flag of the old session is gone");
    sessionFree(b);
  });
});
