// wasmsock/internal: for people writing an adapter for another runtime or driving the core
// directly. Everything here may change between minor versions; users want wasmsock/core or a host.
export * from "./abi.ts";
export { Core, getCore, useBuiltIn } from "./core.ts";
export type { CoreExports } from "./exports.ts";
export { createCore } from "./inline.ts";
export type { Transport, TransportEvents } from "./transport.ts";
export type { CompiledModule } from "./wasm.ts";
export { WriteQueue } from "./write-queue.ts";
