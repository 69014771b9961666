// Before a server is measured: one exact round trip per message kind, compared byte for byte.
import { closeFrame, maskedFrame, OP_BINARY, OP_CLOSE, OP_TEXT } from "./frames.ts";
import { openWebSocket } from "./handshake.ts";
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
