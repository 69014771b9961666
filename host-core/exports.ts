// The module's exports (assembly/index.ts), checked against the built module by test/abi.test.ts.
// Pointers are byte offsets into `memory`.
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
