// What host-web/workerd.ts imports from the worker's environment (no @cloudflare/workers-types here).

/** A .wasm imported by a worker is a compiled module (wrangler: CompiledWasm; capnp: `wasm`). */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

/** The part of workerd's TCP sockets API the workerd entry uses. */
declare module "cloudflare:sockets" {
  export function connect(
    address: { hostname: string; port: number },
    options?: { secureTransport?: "off" | "on" | "starttls"; allowHalfOpen?: boolean },
  ): {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
    closed: Promise<void>;
    close(): Promise<void>;
  };
}

/** workerd's inbound WebSockets: a connected pair; one end goes back in the 101 Response. */
declare class WebSocketPair {
  0: WorkerdWebSocket;
  1: WorkerdWebSocket;
}

interface WorkerdWebSocket extends EventTarget {
  /** Starts delivering events; required before using the server end. */
  accept(): void;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

interface ResponseInit {
  /** workerd: the client end of a WebSocketPair, with status 101. */
  webSocket?: WorkerdWebSocket;
}
