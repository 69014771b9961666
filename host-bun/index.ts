export * from "../host-core/public.ts";
export type { TlsCertificate, TlsClientOptions } from "./bun-api.ts";
export { type ClientOptions, connect, WebSocket } from "./client.ts";
export { type ServeOptions, Server, serve, WebSocketServer } from "./server.ts";
export const host = "bun";
