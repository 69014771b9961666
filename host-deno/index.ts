export * from "../host-core/public.ts";
export { type ClientOptions, connect, WebSocket } from "./client.ts";
export { type ServeOptions, Server, serve } from "./server.ts";
export const host = "deno";
