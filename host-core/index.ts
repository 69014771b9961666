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
export { Deadlines, type Expiring } from "./deadlines.ts";
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
export { createCore } from "./inline.ts";
export {
  type HandlerOptions,
  type ServeOptions,
  type ServerCore,
  serverInternals,
  type TransportInfo,
  WebSocketServer,
} from "./server.ts";
export { decide, type Policy, resolvePolicy, type ServerOptions } from "./server-policy.ts";
export { Session, type SessionEvent, type SessionHandler, type SessionOptions } from "./session.ts";
export {
  CLOSED,
  CLOSING,
  CONNECTING,
  OPEN,
  type Payload,
  ServerWebSocket,
  type WebSocketHandler,
} from "./socket.ts";
export type { Transport, TransportEvents } from "./transport.ts";
export type { UpgradeAccept, UpgradeInfo, UpgradeResult } from "./upgrade.ts";
