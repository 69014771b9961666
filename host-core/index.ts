export * from "./abi.ts";
export {
  type BinaryType,
  type ClientConnection,
  type ClientOptions,
  type ClientSink,
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
export {
  type Connection,
  type HandlerOptions,
  type Peer,
  type ServeOptions,
  WebSocketServer,
} from "./server.ts";
export { Deadlines, decide, resolvePolicy, type ServerOptions } from "./server-policy.ts";
export { Session, type SessionEvent, type SessionHandler, type SessionOptions } from "./session.ts";
export { ServerWebSocket, type Transport, type WebSocketHandler } from "./socket.ts";
