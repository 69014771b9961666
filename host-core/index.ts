// wasmsock/core: the sans-I/O Session, the runtime-neutral server and client, the handshake helpers
// and the loader. It carries no inlined module: import a host, or call useModule() with your own.
// What an adapter needs beyond this is in wasmsock/internal.

export { type ClientOptions, ClientWebSocket } from "./client.ts";
export { useModule } from "./core.ts";
export { httpResponse } from "./handshake.ts";
export * from "./public.ts";
export { type ServeOptions, WebSocketServer } from "./server.ts";
export { Session, type SessionEvent, type SessionHandler, type SessionOptions } from "./session.ts";
export type { CompiledModule } from "./wasm.ts";
