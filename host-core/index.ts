export * from "./abi.ts";
export { Core, createCore, getCore, useModule } from "./core.ts";
export { WebSocketError } from "./errors.ts";
export { Session, type SessionEvent, type SessionHandler, type SessionOptions } from "./session.ts";
