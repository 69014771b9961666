// The module's exports: numbers in, numbers out (see abi.ts and the README's ABI section).
import { eventBase, hsBase, inputBase, keyPoolBase, keyStateBase, outputBase, sendBase } from "./regions";

export { acceptKey } from "./accept";
export { closeCodeValid, closeOwed } from "./close";
export { frame, header } from "./encode";
export { frameLeft, receive, receivePart, resume, stoppedAt } from "./frame";
export { clientRequest, clientResponse } from "./handshake-client";
export { parseRequest } from "./handshake-server";
export { mask } from "./mask";
export {
  sessionCount,
  sessionFree,
  sessionInflate,
  sessionLimits,
  sessionOpen,
  sessionState,
} from "./session";
export { utf8Step, utf8Valid } from "./utf8";

export function inputPtr(): usize {
  return inputBase;
}

export function outputPtr(): usize {
  return outputBase;
}

export function eventPtr(): usize {
  return eventBase;
}

export function sendPtr(): usize {
  return sendBase;
}

export function hsPtr(): usize {
  return hsBase;
}

export function keyPoolPtr(): usize {
  return keyPoolBase;
}

export function keyStatePtr(): usize {
  return keyStateBase;
}
export {
  deflateAlloc,
  deflateBound,
  deflateChunk,
  deflateInit,
  deflateInPtr,
  deflateOutPtr,
  deflateStateSize,
} from "./deflate";
export {
  inflateAlloc,
  inflateAtBoundary,
  inflateInit,
  inflateInput,
  inflateInputLeft,
  inflateOutLen,
  inflateOutPtr,
  inflateRun,
  inflateStateSize,
} from "./inflate";
