// RFC 6455 section 4.1 client handshake over a raw socket, with the server's answer checked.
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_RESPONSE = 8192;

interface Key {
  request: Buffer;
  accept: string;
}

// Keys are precomputed so handshakes/s measures the server, not the generator's SHA-1.
const POOL = 64;
const pools = new Map<string, Key[]>();
let counter = 0;

function makeKey(port: number, path: string, extensions?: string): Key {
  const key = randomBytes(16).toString("base64");
  const offer = extensions === undefined ? "" : `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  const request = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${offer}\r\n`,
  );
  return {
    request,
    accept: createHash("sha1")
      .update(key + GUID)
      .digest("base64"),
  };
}

function nextKey(port: number, path: string): Key {
  const at = `${port}${path}`;
  let pool = pools.get(at);
  if (pool === undefined) {
    pool = Array.from({ length: POOL }, () => makeKey(port, path));
    pools.set(at, pool);
  }
  return pool[counter++ % POOL];
}

/** Bytes read after the 101, in a buffer shared by every such socket: valid during the call. */
export type OnRead = (buffer: Buffer, length: number) => void;
const READ_BUFFER = Buffer.alloc(64 * 1024);

/** An open WebSocket connection and any frame bytes that arrived with the 101 response. */
export interface Opened {
  socket: Socket;
  rest: Buffer;
  /** The 101 response's header block (status line and headers, latin1). */
  head: string;
}

/** The value of one response header, multiple lines joined with ", " (RFC 9110 section 5.3). */
export function headerValue(head: string, name: string): string | undefined {
  const values: string[] = [];
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name.toLowerCase()) {
      values.push(line.slice(colon + 1).trim());
    }
  }
  return values.length === 0 ? undefined : values.join(", ");
}

function checkResponse(head: string, accept: string): string | undefined {
  if (!/^HTTP\/1\.1 101 /.test(head)) return `expected 101, got "${head.split("\r\n")[0]}"`;
  const m = /\r\nsec-websocket-accept:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(head);
  if (m?.[1] !== accept) return "wrong or missing Sec-WebSocket-Accept";
  return undefined;
}

/**
 * Connects and completes the opening handshake; rejects on any deviation or after `timeoutMs`.
 * `extensions` is sent as Sec-WebSocket-Extensions; whether the server accepted it is the caller's check.
 * With `onread`, what follows the 101 goes there instead of to `data` events.
 */
export function openWebSocket(
  port: number,
  timeoutMs = 10_000,
  { path = "/", extensions, onread }: { path?: string; extensions?: string; onread?: OnRead } = {},
): Promise<Opened> {
  // An offer is only made by the few connections of a throughput scenario: no pool needed.
  const { request, accept } =
    extensions === undefined ? nextKey(port, path) : makeKey(port, path, extensions);
  return new Promise((resolve, reject) => {
    let opened = false;
    // Node's onread reads into one shared buffer and skips the stream machinery: a cheaper reader.
    const reader = onread && {
      buffer: READ_BUFFER,
      callback: (n: number, buffer: Uint8Array) => {
        if (opened) onread(buffer as Buffer, n);
        else onData(Buffer.from(buffer.subarray(0, n)));
        return true;
      },
    };
    const socket = connect({ host: "127.0.0.1", port, noDelay: true, ...(reader && { onread: reader }) });
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error("handshake timed out")), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) {
        if (received.length > MAX_RESPONSE) fail(new Error("handshake response too large"));
        return;
      }
      const head = received.toString("latin1", 0, end + 2);
      const problem = checkResponse(head, accept);
      if (problem !== undefined) return fail(new Error(`handshake: ${problem}`));
      clearTimeout(timer);
      opened = true;
      socket.off("data", onData);
      socket.off("error", fail);
      socket.off("close", onClose);
      resolve({ socket, rest: received.subarray(end + 4), head });
    };
    const onClose = () => fail(new Error("connection closed during handshake"));
    socket.on("data", onData);
    socket.on("error", fail);
    socket.on("close", onClose);
    socket.write(request);
  });
}
