// Message codecs: what a handler's `message` receives and what `send` accepts, per server or route.
// `"json"` parses text and binary as JSON and sends any JSON value as text; a custom codec is two
// functions. A message that does not decode never reaches `message`: it closes the connection with
// 1007 (RFC 6455 7.4.1, data inconsistent with the message's type) or goes to `error`, by option.
import { type WebSocketError, wsError } from "./errors.ts";

/** Turns received messages into values and values into messages. */
export interface Codec {
  /** A received message as the handler's value; a throw means it is invalid. */
  decode(data: string | Uint8Array, isBinary: boolean): unknown;
  /** A value to send: a string goes as text, bytes as binary. */
  encode(value: unknown): string | Uint8Array;
}

export type CodecOption = "json" | Codec;

/** What happens to a message the codec cannot decode. Default "close" (1007). */
export type OnInvalid = "close" | "error";

const utf8 = new TextDecoder();

export const json: Codec = {
  decode: (data) => JSON.parse(typeof data === "string" ? data : utf8.decode(data)),
  encode: (value) => {
    const text = JSON.stringify(value);
    // undefined, a function or a symbol have no JSON text.
    if (text === undefined) throw new TypeError(`${typeof value} is not a JSON value`);
    return text;
  },
};

export function resolveCodec(option: CodecOption | undefined): Codec | undefined {
  if (option === undefined) return undefined;
  if (option === "json") return json;
  if (typeof option.decode !== "function" || typeof option.encode !== "function")
    throw new TypeError('codec must be "json" or { decode(data, isBinary), encode(value) }');
  return option;
}

/** The error an undecodable message raises, with what the codec threw as its cause. */
export function invalidMessage(thrown: unknown): WebSocketError {
  const detail = thrown instanceof Error ? thrown.message : String(thrown);
  return wsError("WS_ERR_INVALID_MESSAGE", detail, thrown, 1007);
}
