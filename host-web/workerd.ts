// The entry for workerd (Cloudflare Workers), picked by the "workerd" export condition. workerd
// forbids compiling WebAssembly at run time, so the core arrives as an imported module (a
// `WebAssembly.Module`; wrangler's default CompiledWasm rule for *.wasm), and connect() from
// cloudflare:sockets, which only this entry may import statically, becomes the default connector.
import { connect as tcp } from "cloudflare:sockets";
// The path is the built file's: dist/host-web/workerd.js -> build/wasmsock.wasm.
import wasm from "../../build/wasmsock.wasm";
import { useModule } from "../host-core/core.ts";
import { useConnect } from "./client.ts";

useModule(wasm, true);
useConnect((t) => tcp({ hostname: t.host, port: t.port }, { secureTransport: t.secure ? "on" : "off" }));

export * from "./api.ts";
