// The wasmsock/web API, without a core module: index.ts adds the inlined builds, workerd.ts its import.
export { type BinaryType, CloseEvent, ErrorEvent } from "../host-core/client.ts";
export { useModule } from "../host-core/core.ts";
export { WebSocketError } from "../host-core/errors.ts";
export { connect, useConnect, type WebClientOptions as ClientOptions, WebSocket } from "./client.ts";
export type { OpenStreams, StreamPair } from "./streams.ts";
export const host = "web";
