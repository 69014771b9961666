// wasmsock/core: the sans-I/O Session, the runtime-neutral server and client, the handshake helpers
// and the loader. It carries no inlined module: import a host, or call useModule() with your own.
// What an adapter needs beyond this is in wasmsock/internal.
export { type BinaryType, type ClientOptions, ClientWebSocket, CloseEvent, ErrorEvent } from "./client.ts";
export { useModule } from "./core.ts";
export { WebSocketError } from "./errors.ts";
export {
  type AcceptOptions,
  acceptResponse,
  computeAccept,
  type HeaderFields,
  httpResponse,
  parseUpgrade,
  rejectResponse,
  type UpgradeLimits,
  type UpgradeRequest,
} from "./handshake.ts";
export {
  type Backplane,
  type BackplaneMember,
  type Deliver,
  MemoryBackplane,
} from "./pubsub.ts";
export { type HandlerOptions, type ServeOptions, WebSocketServer } from "./server.ts";
export type { ServerOptions } from "./server-policy.ts";
export { Session, type SessionEvent, type SessionHandler, type SessionOptions } from "./session.ts";
export { type Payload, ServerWebSocket, type WebSocketHandler } from "./socket.ts";
export { CLOSED, CLOSING, CONNECTING, OPEN, type ReadyState, WebSocketState } from "./state.ts";
export type { UpgradeAccept, UpgradeInfo, UpgradeResult } from "./upgrade.ts";
export type { CompiledModule } from "./wasm.ts";
