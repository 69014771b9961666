// Mirrors assembly/abi.ts: the numbers that cross the boundary. Changing one is an ABI change.
export const INPUT_CAP = 65536;
export const SEND_CAP = 65536 + 16;
export const SEND_PAYLOAD = 16;
export const KEY_POOL_SIZE = 4096;

export const EVENT_SIZE = 16;

export const KIND_TEXT = 1;
export const KIND_BINARY = 2;
export const KIND_PING = 3;
export const KIND_PONG = 4;
export const KIND_CLOSE = 5;
export const KIND_REPLY = 6;
export const KIND_ERROR = 7;

export const FLAG_FIN = 1;
export const FLAG_FIRST = 2;
export const FLAG_RSV1 = 4;

export const SESSION_CLIENT = 1;
export const SESSION_RSV1 = 2;

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;
export const FIN = 0x80;
export const RSV1 = 0x40;

export const HS_STATUS = 0;
export const HS_ERROR = 4;
export const HS_END = 8;
export const HS_PATH = 12;
export const HS_HOST = 20;
export const HS_ORIGIN = 28;
export const HS_PROTOCOL = 36;
export const HS_EXTENSIONS = 44;
export const HS_KEY = 52;
export const HS_ACCEPT = 60;
export const HS_HEADER_COUNT = 88;
export const HS_HEADERS = 128;
export const HS_MAX_HEADERS = 128;

/** The module's exports (assembly/index.ts). Pointers are byte offsets into `memory`. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  outputPtr(): number;
  eventPtr(): number;
  sendPtr(): number;
  hsPtr(): number;
  keyPoolPtr(): number;
  keysUsed(): number;
  keysRefilled(): void;
  sessionOpen(flags: number): number;
  sessionFree(s: number): void;
  sessionCount(): number;
  sessionLimits(s: number, maxFrame: number, maxMessage: number): void;
  sessionAllowRsv1(s: number, allow: number): void;
  receive(s: number, ptr: number, len: number): number;
  frame(s: number, first: number, len: number, key: number): number;
  header(s: number, first: number, len: number, key: number): number;
  mask(ptr: number, len: number, key: number, pos: number): void;
  utf8Valid(ptr: number, len: number): number;
  closeCodeValid(code: number): number;
  parseRequest(ptr: number, len: number, maxBytes: number, maxHeaders: number): number;
  acceptKey(keyPtr: number, keyLen: number): number;
  clientRequest(s: number, ptr: number, len: number, rand: number): number;
  clientResponse(
    s: number,
    ptr: number,
    len: number,
    maxBytes: number,
    offeredProtoLen: number,
    offeredExtLen: number,
  ): number;
}
