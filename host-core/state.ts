// One connection state, kept by the core (assembly/session.ts) and read by everyone else: Session,
// the server's sockets and the client derive their readyState from it.
import * as abi from "./abi.ts";

/** A connection's state, like tungstenite's WebSocketState (plus CONNECTING for clients). */
export const WebSocketState = {
  /** A client's request is out; the server's 101 is not yet validated. */
  CONNECTING: abi.STATE_CONNECTING,
  OPEN: abi.STATE_OPEN,
  /** We sent a close and wait for the peer's. */
  CLOSE_SENT: abi.STATE_CLOSE_SENT,
  /** The peer's close arrived; ours is being sent. */
  CLOSE_RECEIVED: abi.STATE_CLOSE_RECEIVED,
  /** Both closes went: the closing handshake is done, TCP is ending. */
  CLOSE_ACKNOWLEDGED: abi.STATE_CLOSE_ACKNOWLEDGED,
  /** The peer broke the protocol (RFC 6455 7.1.7); our close with the reason is sent. */
  FAILED: abi.STATE_FAILED,
  /** The connection is gone. */
  CLOSED: abi.STATE_CLOSED,
} as const;

export type WebSocketState = (typeof WebSocketState)[keyof typeof WebSocketState];

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

/** The WHATWG readyState of a state. */
export function readyStateOf(state: number): ReadyState {
  if (state === abi.STATE_CONNECTING) return CONNECTING;
  if (state === abi.STATE_OPEN) return OPEN;
  return state === abi.STATE_CLOSED ? CLOSED : CLOSING;
}
