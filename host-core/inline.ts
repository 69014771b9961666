// The two builds inlined as base64: the default core for node, deno, bun and wasmsock/web, which
// may compile at run time. Importing this module registers it; workers import the .wasm instead.
import { Core, useBuiltIn } from "./core.ts";
import { Wasm } from "./wasm.ts";
import { scalarBase64, simdBase64 } from "./wasm-inline.ts";

type Decoder = (b64: string) => Uint8Array<ArrayBuffer>;
const NodeBuffer = (
  globalThis as { Buffer?: { from(b64: string, encoding: "base64"): Uint8Array<ArrayBuffer> } }
).Buffer;
// Cold start: Uint8Array.fromBase64 (Bun, Deno) or Node's Buffer decode the SIMD build in 0.1 ms,
// where Uint8Array.from(atob(b64), callback) took 4-9 ms; elsewhere a loop over atob's string.
const fromBase64: Decoder | undefined =
  (Uint8Array as { fromBase64?: Decoder }).fromBase64 ??
  (NodeBuffer && ((b64) => NodeBuffer.from(b64, "base64")));

function decode(b64: string): Uint8Array<ArrayBuffer> {
  if (fromBase64) return fromBase64(b64);
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

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
