// The names every host exports (node, deno and bun alike). Each host's index.ts adds its own
// serve, Server, WebSocket, connect, ClientOptions, ServeOptions and host.
export { type BinaryType, CloseEvent, ErrorEvent } from "./client.ts";
export type { Codec, CodecOption, OnInvalid } from "./codec.ts";
export { WebSocketError } from "./errors.ts";
export {
  type AcceptOptions,
  acceptResponse,
  computeAccept,
  type HeaderFields,
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
export type { RoutingOptions } from "./router.ts";
export type { HandlerOptions } from "./server.ts";
export type { ServerOptions } from "./server-policy.ts";
export { type Payload, ServerWebSocket, type WebSocketHandler } from "./socket.ts";
export { CLOSED, CLOSING, CONNECTING, OPEN, type ReadyState, WebSocketState } from "./state.ts";
export type { UpgradeAccept, UpgradeInfo, UpgradeResult } from "./upgrade.ts";
