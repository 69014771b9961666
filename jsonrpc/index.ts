// wasmsock/jsonrpc: JSON-RPC 2.0 for wasmsock. The client runs in browsers and every runtime;
// jsonRpcHandler serves methods from any wasmsock server.
export { JsonRpcClient, type JsonRpcClientOptions, type WebSocketLike } from "./client.ts";
export {
  type CallContext,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  JsonRpcError,
  METHOD_NOT_FOUND,
  type Method,
  type Methods,
  PARSE_ERROR,
  type Params,
  Peer,
} from "./peer.ts";
export { type JsonRpcSocketData, jsonRpcHandler } from "./server.ts";
