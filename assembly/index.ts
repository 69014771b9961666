// The module's exports: numbers in, numbers out (see abi.ts and the README's ABI section).
import { eventBase, hsBase, inputBase, keyPoolBase, outputBase, sendBase } from "./regions";

export { closeCodeValid } from "./close";
export { frame, header } from "./encode";
export { receive } from "./frame";
export { acceptKey, clientRequest, clientResponse, parseRequest } from "./handshake";
export { keysRefilled, keysUsed } from "./keys";
export { mask } from "./mask";
export { sessionAllowRsv1, sessionCount, sessionFree, sessionLimits, sessionOpen } from "./session";
export { utf8Valid } from "./utf8";

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
