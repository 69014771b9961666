// What send() takes, on the server and the client alike: text, or the bytes of a buffer or of a
// view's window (a Uint16Array of 4 elements is 8 bytes), never its element count.
import { wsError } from "./errors.ts";

/** A message or ping payload as send() and ping() take it. */
export type Payload = string | ArrayBuffer | ArrayBufferView;

const encoder = new TextEncoder();

/** data's bytes, or undefined when it is not a Payload. */
export function bytesOf(data: unknown): Uint8Array | undefined {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // By tag, not instanceof, so that an ArrayBuffer of another realm (a vm context) counts.
  const tag = Object.prototype.toString.call(data);
  if (tag === "[object ArrayBuffer]" || tag === "[object SharedArrayBuffer]")
    return new Uint8Array(data as ArrayBuffer);
  return undefined;
}

/** A wrong argument is a TypeError, as in the DOM and ws; it carries our code too. */
export function invalidPayload(data: unknown, accepted: string): TypeError {
  const { code } = wsError("WS_ERR_INVALID_PAYLOAD");
  const got = data === null ? "null" : typeof data;
  return Object.assign(new TypeError(`send() takes ${accepted}, not ${got}`), { code });
}
