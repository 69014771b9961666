export { WebSocketError } from "../host-core/errors.ts";
export { acceptResponse, computeAccept, parseUpgrade, rejectResponse } from "../host-core/handshake.ts";
export type { ServerOptions } from "../host-core/server-policy.ts";
export { CLOSED, CLOSING, OPEN, ServerWebSocket, type WebSocketHandler } from "../host-core/socket.ts";
export type { TlsCertificate, TlsClientOptions } from "./bun-api.ts";
export { type BinaryType, type ClientOptions, CloseEvent, connect, ErrorEvent, WebSocket } from "./client.ts";
export { type HandlerOptions, type ServeOptions, Server, serve } from "./server.ts";
export const host = "bun";
