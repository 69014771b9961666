export * from "./abi.ts";
export {
  type BinaryType,
  type ClientOptions,
  type ClientTarget,
  ClientWebSocket,
  CloseEvent,
  connector,
  type Dial,
  ErrorEvent,
  opened,
} from "./client.ts";
export { Core, getCore, useModule } from "./core.ts";
export { WebSocketError } from "./errors.ts";
export {
  acceptResponse,
  computeAccept,
  parseUpgrade,
  rejectResponse,
  type UpgradeLimits,
  type UpgradeRequest,
} from "./handshake.ts";
export { createCore } from "./inline.ts";
export { type HandlerOptions, type ServeOptions, WebSocketServer } from "./server.ts";
export { Deadlines, decide, resolvePolicy, type ServerOptions } from "./server-policy.ts";
export { Session, type SessionEvent, type SessionHandler, type SessionOptions } from "./session.ts";
export { ServerWebSocket, type WebSocketHandler } from "./socket.ts";
export type { Transport, TransportEvents } from "./transport.ts";
export { WriteQueue } from "./write-queue.ts";
