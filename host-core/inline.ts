// The two builds inlined as base64: the default core for node, deno, bun and wasmsock/web, which
// may compile at run time. Importing this module registers it; workers import the .wasm instead.
import { Core, useBuiltIn } from "./core.ts";
import { Wasm } from "./wasm.ts";
import { scalarBase64, simdBase64 } from "./wasm-inline.ts";

const decode = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** Picks the SIMD build where the engine validates it, else the scalar one. */
useBuiltIn(() => {
  const simd = decode(simdBase64);
  if (Wasm.validate(simd)) return { module: new Wasm.Module(simd), simd: true };
  return { module: new Wasm.Module(decode(scalarBase64)), simd: false };
});

/** A fresh instance of one specific build, for tests and benchmarks that compare builds. */
export function createCore(build: "simd" | "scalar"): Core {
  const bytes = decode(build === "simd" ? simdBase64 : scalarBase64);
  return new Core(new Wasm.Module(bytes), build === "simd");
}
