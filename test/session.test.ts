// Session over the core, without I/O: the connection state is the core's, the close we owe is
// decided once, and handlers of messages before a close or a failure in the same chunk are answered.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import * as abi from "../host-core/abi.ts";
import { buildRequest, parseResponse } from "../host-core/client-handshake.ts";
import { computeAccept } from "../host-core/handshake.ts";
import { createCore } from "../host-core/inline.ts";
import { Session } from "../host-core/session.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(" ", ""), "hex"));
const out = (s: Session) => Buffer.concat(s.takeOutput()).toString("hex");
// Masked with a zero key, so payloads read as they are.
const maskedText = (text: string) =>
  `81 ${(0x80 | text.length).toString(16)} 00000000 ${Buffer.from(text).toString("hex")}`;

describe("the core's memory growing inside receive()", () => {
  it("split pings borrow control blocks until memory grows; every ping still arrives and is answered", () => {
    const core = createCore("simd");
    const ping = Buffer.from("89853 7fa213d7f9f4d5158".replaceAll(" ", ""), "hex");
    // Slots a batch at a time, then each first half makes the core borrow a block, until one such
    // call grows the memory.
    const sessions: Session[] = [];
    let fed = 0;
    let grew = false;
    while (!grew && sessions.length < 1_000_000) {
      for (let i = 0; i < 20_000; i++) sessions.push(new Session({ role: "server", core, autoFree: false }));
      while (!grew && fed < sessions.length) {
        const before = core.exports.memory.buffer.byteLength;
        sessions[fed++].receive(ping.subarray(0, 8), {});
        grew = core.exports.memory.buffer.byteLength > before;
      }
    }
    expect(grew).toBe(true);
    const pings: string[] = [];
    for (const s of sessions.slice(0, fed)) {
      s.receive(ping.subarray(8), { ping: (data) => pings.push(Buffer.from(data).toString()) });
      expect(out(s)).toBe("8a0548656c6c6f");
    }
    for (const s of sessions) s.free();
    expect(pings).toEqual(Array(fed).fill("Hello"));
  });
});

describe.each(["simd", "scalar"] as const)("%s build", (build) => {
  const core = createCore(build);
  const server = () => new Session({ role: "server", core });

  it("text as strings: ASCII or not, every length and position of the first non-ASCII character", () => {
    const texts = [""];
    for (let len = 1; len <= 140; len += len < 40 ? 1 : 33) {
      const ascii = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(4).padEnd(len, "~").slice(0, len);
      texts.push(ascii, `${ascii.slice(0, -1)}\u0080`);
      for (const at of [0, len >> 1, len - 1]) texts.push(`${ascii.slice(0, at)}é${ascii.slice(at + 1)}`);
    }
    const frame = (t: string) => {
      const p = Buffer.from(t);
      const head =
        p.length < 126 ? [0x81, 0x80 | p.length] : [0x81, 0x80 | 126, p.length >> 8, p.length & 255];
      return Buffer.concat([Buffer.from(head), Buffer.alloc(4), p]);
    };
    const s = server();
    const seen: unknown[] = [];
    s.receive(Buffer.concat(texts.map(frame)), { message: (data) => seen.push(data) });
    expect(seen).toEqual(texts);
    s.free();
  });

  it("binary messages are plain Uint8Arrays whichever way they arrive: whole, across chunks, fragmented", () => {
    const payload = (n: number) => Buffer.alloc(n, 7);
    const frame = (fin: boolean, op: number, p: Buffer) => {
      const len = p.length < 126 ? [p.length] : [126, p.length >> 8, p.length & 255];
      return Buffer.concat([
        Buffer.from([(fin ? 0x80 : 0) | op, 0x80 | len[0], ...len.slice(1)]),
        Buffer.alloc(4),
        p,
      ]);
    };
    const s = server();
    const seen: Uint8Array[] = [];
    const h = { message: (data: string | Uint8Array) => seen.push(data as Uint8Array) };
    const whole = frame(true, 2, payload(10));
    const split = frame(true, 2, payload(3000));
    s.receive(Buffer.concat([whole, split.subarray(0, 100)]), h);
    s.receive(split.subarray(100), h);
    s.receive(Buffer.concat([frame(false, 2, payload(5)), frame(true, 0, payload(6))]), h);
    expect(seen.map((m) => [Object.getPrototypeOf(m) === Uint8Array.prototype, m.length])).toEqual([
      [true, 10],
      [true, 3000],
      [true, 11],
    ]);
    s.free();
  });

  it("whole binary messages sharing a chunk are each their own bytes, still intact after later chunks", () => {
    const s = server();
    const seen: unknown[] = [];
    const sent: unknown[] = [];
    const frames: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const p = Buffer.from(Array.from({ length: 20 + 300 * (i % 5) }, (_, k) => (i * 31 + k) & 255));
      // Every third one text (delivered as a string), so a chunk may end in one.
      const text = i % 3 === 2;
      sent.push(text ? "t".repeat(p.length) : p.toString("hex"));
      const len = p.length < 126 ? [p.length] : [126, p.length >> 8, p.length & 255];
      frames.push(
        Buffer.from([text ? 0x81 : 0x82, 0x80 | len[0], ...len.slice(1), 0, 0, 0, 0]),
        text ? Buffer.from("t".repeat(p.length)) : p,
      );
    }
    const stream = Buffer.concat(frames);
    const h = { message: (data: unknown) => seen.push(data) };
    // Chunks that begin and end inside messages, and one that holds them all.
    for (let at = 0; at < stream.length; at += 1000) s.receive(stream.subarray(at, at + 1000), h);
    s.receive(stream, h);
    const got = seen.map((m) => (typeof m === "string" ? m : Buffer.from(m as Uint8Array).toString("hex")));
    expect(got).toEqual([...sent, ...sent]);
    s.free();
  });

  it("a server's data frames carry the header the core would write, at every length boundary", () => {
    const framer = server();
    for (const len of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      const payload = new Uint8Array(len).fill(len & 0xff);
      const s = server();
      s.send(payload);
      const sent = Buffer.concat(s.takeOutput());
      const h = core.exports.header(framer.handle, abi.B0_FIN | abi.OP_BINARY, len);
      const expected = Buffer.concat([
        Buffer.from(core.u8.subarray(core.sendPtr, core.sendPtr + h)),
        payload,
      ]);
      expect([len, sent.equals(expected)]).toEqual([len, true]);
      s.free();
    }
    framer.free();
  });

  it("moves through the states tungstenite names: open, close received, acknowledged, closed", () => {
    const s = server();
    expect(s.state).toBe(abi.STATE_OPEN);
    s.receive(hex("88 82 00000000 03e8"), {});
    expect(s.state).toBe(abi.STATE_CLOSE_ACKNOWLEDGED);
    expect(out(s)).toBe("880203e8");
    s.free();
    expect(s.state).toBe(abi.STATE_CLOSED);
  });

  it("our close first: close sent, then acknowledged, and no echo", () => {
    const s = server();
    s.close(1000, "bye");
    expect(s.state).toBe(abi.STATE_CLOSE_SENT);
    expect(out(s)).toBe(`8805 03e8 ${Buffer.from("bye").toString("hex")}`.replaceAll(" ", ""));
    s.receive(hex("88 82 00000000 03e8"), {});
    expect(s.state).toBe(abi.STATE_CLOSE_ACKNOWLEDGED);
    expect(out(s)).toBe("");
    s.free();
  });

  it("answers a message that came before a failure in the same chunk, then closes with 1002", () => {
    const s = server();
    const seen: string[] = [];
    s.receive(hex(`${maskedText("hi")} 83 80 00000000`), {
      message: (data) => {
        seen.push(`${data}@${s.state}`);
        s.send(`re: ${data}`);
      },
      error: (err) => seen.push(`${err.code}@${s.state}`),
    });
    expect(seen).toEqual([`hi@${abi.STATE_OPEN}`, `WS_ERR_RESERVED_OPCODE@${abi.STATE_FAILED}`]);
    expect(out(s)).toBe(`8106${Buffer.from("re: hi").toString("hex")}880203ea`);
    s.free();
  });

  it("a handler that closes before the peer's close in the same chunk sends one close frame", () => {
    const s = server();
    s.receive(hex(`${maskedText("x")} 88 82 00000000 03e8`), { message: () => s.close(4000) });
    expect(out(s)).toBe("88020fa0");
    expect(s.state).toBe(abi.STATE_CLOSE_ACKNOWLEDGED);
    s.free();
  });

  it("refuses a close reason over 123 bytes, a 1005 and a 1-byte code, and sends nothing", () => {
    const s = server();
    expect(() => s.close(1000, "é".repeat(62))).toThrow(
      expect.objectContaining({ code: "WS_ERR_CLOSE_REASON_TOO_LONG" }),
    );
    expect(() => s.close(1000, "x".repeat(100_000))).toThrow(
      expect.objectContaining({ code: "WS_ERR_CLOSE_REASON_TOO_LONG" }),
    );
    expect(() => s.close(1005)).toThrow(expect.objectContaining({ code: "WS_ERR_SEND_CLOSE_CODE" }));
    expect(s.state).toBe(abi.STATE_OPEN);
    s.close(1000, "é".repeat(61));
    expect(s.state).toBe(abi.STATE_CLOSE_SENT);
    expect(() => s.send("late")).toThrow(expect.objectContaining({ code: "WS_ERR_SEND_AFTER_CLOSE" }));
    s.free();
  });

  it("a client session is connecting from its request until the server's 101 validates", () => {
    const c = new Session({ role: "client", core });
    const request = Buffer.from(buildRequest(c, { path: "/", host: "x" })).toString("latin1");
    expect(c.state).toBe(abi.STATE_CONNECTING);
    const key = /Sec-WebSocket-Key: (.*)\r\n/.exec(request)![1];
    const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAccept(key, core)}\r\n\r\n`;
    expect(parseResponse(c, Buffer.from(head.replace("Accept: ", "Accept: x")), [], [], 4096).status).toBe(1);
    expect(c.state).toBe(abi.STATE_CONNECTING);
    expect(parseResponse(c, Buffer.from(head), [], [], 4096).status).toBe(101);
    expect(c.state).toBe(abi.STATE_OPEN);
    c.free();
  });

  it("reads the response's header fields as ISO-8859-1, as the server reads requests (RFC 9110 5.5)", () => {
    const c = new Session({ role: "client", core });
    const request = Buffer.from(buildRequest(c, { path: "/", host: "x" })).toString("latin1");
    const key = /Sec-WebSocket-Key: (.*)\r\n/.exec(request)![1];
    const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Name: caf\u00e9 \u0080\u00ff\r\nSec-WebSocket-Accept: ${computeAccept(key, core)}\r\n\r\n`;
    const res = parseResponse(c, Buffer.from(head, "latin1"), [], [], 4096);
    expect(res.status).toBe(101);
    expect(res.headers["x-name"]).toBe("caf\u00e9 \u0080\u00ff");
    c.free();
  });
});

describe("autoFree", () => {
  // A freed session left in the registry would free its slot again when collected: by then the slot
  // may be another session's.
  it("free() takes a session out of the registry, so collecting it frees nothing of the next one's", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const core = createCore("simd");
    const ptr = (s: Session) => (s as unknown as { ptr: number }).ptr;
    let first: Session | undefined = new Session({ role: "server", core });
    const slot = ptr(first);
    first.free();
    first = undefined;
    const second = new Session({ role: "server", core, autoFree: false });
    expect(ptr(second)).toBe(slot);
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const third = new Session({ role: "server", core, autoFree: false });
    expect(ptr(third)).not.toBe(slot);
    second.free();
    third.free();
  });
});
