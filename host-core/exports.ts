// The module's exports (assembly/index.ts); test/abi.test.ts checks this list against the built
// module. Pointers are byte offsets into `memory`.
export interface CoreExports {
  memory: { readonly buffer: ArrayBuffer };
  inputPtr(): number;
  outputPtr(): number;
  eventPtr(): number;
  sendPtr(): number;
  hsPtr(): number;
  keyPoolPtr(): number;
  /** u32 ring position, u32 bytes drawn since the last refill (assembly/keys.ts). */
  keyStatePtr(): number;
  sessionOpen(flags: number): number;
  sessionFree(s: number): void;
  sessionCount(): number;
  sessionLimits(s: number, maxFrame: number, maxMessage: number): void;
  /** One of abi.ts STATE_*. */
  sessionState(s: number): number;
  /** RFC 7692: compressed messages are accepted; the peer's window bits and whether it keeps it. */
  sessionInflate(s: number, windowBits: number, peerContext: number): void;
  receive(s: number, ptr: number, len: number): number;
  /** Continues a receive() whose last event was KIND_SUSPEND; the input region must be unchanged. */
  resume(s: number): number;
  /** receive() for a piece that more input follows: stops before a frame that would fit whole. */
  receivePart(s: number, ptr: number, len: number): number;
  /** Where the last receive(), receivePart() or resume() stopped in the input region. */
  stoppedAt(): number;
  /** Bytes of the frame in progress before the next header: 0 at one, -1 when not known. */
  frameLeft(s: number): number;
  frame(s: number, first: number, len: number): number;
  header(s: number, first: number, len: number): number;
  /** The close frame this session owes its peer, written at sendPtr; 0 when none is owed. */
  closeOwed(s: number): number;
  mask(ptr: number, len: number, key: number, pos: number): void;
  /** RFC 1951 INFLATE (assembly/inflate.ts), for tests and benchmarks; sessions use it inside. */
  inflateAlloc(ringBits: number): number;
  inflateStateSize(ringBits: number): number;
  inflateInit(st: number, ringBits: number): void;
  inflateInput(st: number, ptr: number, len: number): void;
  /** Input not consumed yet: after INFLATE_END, what follows the stream. */
  inflateInputLeft(st: number): number;
  /** INFLATE_NEED_INPUT 0, INFLATE_OUTPUT 1, INFLATE_END 2, INFLATE_ERROR -1. */
  inflateRun(st: number, outLimit: number): number;
  inflateOutPtr(st: number): number;
  inflateOutLen(st: number): number;
  inflateAtBoundary(st: number): number;
  /** RFC 1951 DEFLATE (assembly/deflate.ts). */
  /** A state; deflateInit() it before use. */
  deflateAlloc(windowBits: number): number;
  deflateStateSize(windowBits: number): number;
  /** A fresh stream (empty window): per message without context takeover. */
  deflateInit(st: number, windowBits: number, level: number): void;
  /** Bytes written at outPtr; with flush, the message ends on a sync flush without its 00 00 ff ff. */
  deflateChunk(st: number, inPtr: number, inLen: number, outPtr: number, flush: number): number;
  deflateBound(inLen: number): number;
  /** Regions of DEFLATE_IN_CAP bytes in and deflateBound(DEFLATE_IN_CAP) out, made on first use. */
  deflateInPtr(): number;
  deflateOutPtr(): number;
  /** Incremental UTF-8 validation (assembly/utf8.ts): 0 accept, 6 reject, else mid-character. */
  utf8Step(state: number, ptr: number, len: number): number;
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
