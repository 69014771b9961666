// Before a server is measured: one exact round trip per message kind, compared byte for byte; the
// reference servers (floors, ceiling) are checked for what they do instead.
import { closeFrame, maskedFrame, OP_BINARY, OP_CLOSE, OP_TEXT } from "./frames.ts";
import { type Opened, openWebSocket } from "./handshake.ts";
import { binaryPayload, textPayload } from "./payloads.ts";

interface Frame {
  opcode: number;
  fin: boolean;
  payload: Buffer;
  end: number;
}

function parseFrame(buf: Buffer, at: number): Frame | undefined {
  if (buf.length - at < 2) return undefined;
  let len = buf[at + 1] & 0x7f;
  let head = 2;
  if (len === 126) {
    if (buf.length - at < 4) return undefined;
    len = buf.readUInt16BE(at + 2);
    head = 4;
  } else if (len === 127) {
    if (buf.length - at < 10) return undefined;
    len = Number(buf.readBigUInt64BE(at + 2));
    head = 10;
  }
  const end = at + head + len;
  if (buf.length < end) return undefined;
  return { opcode: buf[at] & 0x0f, fin: (buf[at] & 0x80) !== 0, payload: buf.subarray(at + head, end), end };
}

/** Reassembles whole messages (opcode + bytes) from server frames. */
function messages(buf: Buffer): { opcode: number; data: Buffer }[] {
  const out: { opcode: number; data: Buffer }[] = [];
  let parts: Buffer[] = [];
  let opcode = 0;
  for (let f = parseFrame(buf, 0); f !== undefined; f = parseFrame(buf, f.end)) {
    if (f.opcode === OP_CLOSE) out.push({ opcode: OP_CLOSE, data: f.payload });
    if (f.opcode >= 8) continue;
    if (f.opcode !== 0) opcode = f.opcode;
    parts.push(f.payload);
    if (f.fin) {
      out.push({ opcode, data: Buffer.concat(parts) });
      parts = [];
    }
  }
  return out;
}

const CASES: [number, Uint8Array][] = [
  [OP_TEXT, textPayload(32)],
  [OP_TEXT, new Uint8Array(0)],
  [OP_BINARY, binaryPayload(125)],
  [OP_BINARY, binaryPayload(126)],
  [OP_TEXT, textPayload(70_000)],
  [OP_BINARY, binaryPayload(1024 * 1024 + 3)],
];

/** Throws unless the server echoes every case exactly and answers close with close. */
export async function probeEcho(port: number): Promise<void> {
  const { socket, rest } = await openWebSocket(port);
  let received = rest;
  const want = CASES.length + 1;
  const got = await new Promise<{ opcode: number; data: Buffer }[]>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error("probe timed out")), 10_000);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(messages(received));
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (messages(received).length >= want) finish();
    });
    socket.on("error", finish);
    socket.on("close", () => finish());
    socket.write(Buffer.concat([...CASES.map(([op, p]) => maskedFrame(op, p)), closeFrame()]));
  });
  CASES.forEach(([op, payload], i) => {
    const m = got[i];
    if (m === undefined || m.opcode !== op || !m.data.equals(payload)) {
      throw new Error(`probe: message ${i} (opcode ${op}, ${payload.length} B) not echoed exactly`);
    }
  });
  if (got[CASES.length]?.opcode !== OP_CLOSE) throw new Error("probe: close not answered with close");
}

/** Throws unless `port` completed the handshake (openWebSocket checks it) and `check` passes on it. */
async function probeRaw(port: number, what: string, check: (socket: Opened) => Promise<void>): Promise<void> {
  const opened = await openWebSocket(port);
  try {
    await check(opened);
  } catch (e) {
    throw new Error(`probe (${what}): ${(e as Error).message}`);
  } finally {
    opened.socket.resetAndDestroy();
  }
}

const HOLD_MS = 300;

/** A floor server: after the 101 it holds the connection and answers nothing, not even a close. */
export function probeHold(port: number): Promise<void> {
  return probeRaw(port, "floor", ({ socket, rest }) => {
    if (rest.length > 0) return Promise.reject(new Error("bytes after the 101"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, HOLD_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(why));
      };
      socket.on("data", () => fail("it answered; a floor only holds the socket"));
      socket.on("close", () => fail("it closed the connection"));
      socket.write(Buffer.concat([maskedFrame(OP_TEXT, textPayload(32)), closeFrame()]));
    });
  });
}

/** The ceiling server: after the 101 every byte comes back unchanged, masked frames included. */
export function probeRawEcho(port: number): Promise<void> {
  return probeRaw(port, "ceiling", ({ socket, rest }) => {
    const sent = Buffer.concat([maskedFrame(OP_BINARY, binaryPayload(70_000)), closeFrame()]);
    let received = rest;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish("timed out"), 10_000);
      const finish = (why?: string) => {
        clearTimeout(timer);
        if (why === undefined) resolve();
        else reject(new Error(why));
      };
      const check = () => {
        if (received.length < sent.length) return;
        finish(received.equals(sent) ? undefined : "the echo differs from what was sent");
      };
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        check();
      });
      socket.on("close", () => finish("it closed the connection"));
      socket.write(sent);
      check();
    });
  });
}
