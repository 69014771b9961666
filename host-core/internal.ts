// wasmsock/internal: for people writing an adapter for another runtime or driving the core
// directly. Everything here may change between minor versions; users want wasmsock/core or a host.
export * from "./abi.ts";
export { type ClientTarget, connector, type Dial, opened } from "./client.ts";
export { Core, getCore, useBuiltIn } from "./core.ts";
export { Deadlines, type Expiring } from "./deadlines.ts";
export type { CoreExports } from "./exports.ts";
export { createCore } from "./inline.ts";
export { unlend } from "./output.ts";
export { type Framed, frameOnce, type Subscriber, Topics } from "./pubsub.ts";
export { type ServerCore, serverInternals, type TransportInfo } from "./server.ts";
export { decide, type Policy, resolvePolicy } from "./server-policy.ts";
export type { Transport, TransportEvents } from "./transport.ts";
export type { CompiledModule } from "./wasm.ts";
export { WriteQueue } from "./write-queue.ts";
