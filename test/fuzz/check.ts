// The differential check: one stream through Session on a core, fed in the stream's chunks, against
// what the reference decoder says must happen.
import { STATE_CLOSE_ACKNOWLEDGED, STATE_FAILED, STATE_OPEN } from "../../host-core/abi.ts";
import type { Core } from "../../host-core/core.ts";
import type { WebSocketError } from "../../host-core/errors.ts";
import { Session, type SessionHandler } from "../../host-core/session.ts";
import { Decoder, type Expected, type Timing } from "./reference.ts";
import type { Stream } from "./streams.ts";

/** What went wrong, by the comparison that found it. */
export type DivergenceKind =
  | "exception"
  | "events" // different events, contents or order
  | "error" // the same failure reported with another code or close code
  | "event call" // an event reported by another receive() call than the one with its last byte
  | "error call" // the failure reported by another receive() call than the one with the breaking byte
  | "output" // other frames queued: pongs, the close owed, anything after it
  | "state"
  | "builds"; // SIMD and scalar differ

export interface Divergence {
  kind: DivergenceKind;
  build: string;
  detail: string;
}

/** What a session did with a stream: its events with the call that reported each, its output. */
export interface Actual {
  events: { call: number; event: Expected }[];
  output: Uint8Array;
  state: number;
}

export interface Expectation {
  events: { call: number; event: Expected }[];
  replies: Expected[];
  state: number;
}

export function expectation(stream: Stream, timing: Timing): Expectation {
  const d = new Decoder({ ...stream, timing }).pushAll(stream.bytes);
  // The call whose chunk holds byte `at`.
  const ends: number[] = [];
  let end = 0;
  for (const n of stream.chunks) ends.push((end += n));
  let call = 0;
  const events = d.events.map(({ at, event }) => {
    while (ends[call] <= at) call++;
    return { call, event };
  });
  const last = d.events.at(-1)?.event.type;
  const state = last === "error" ? STATE_FAILED : last === "close" ? STATE_CLOSE_ACKNOWLEDGED : STATE_OPEN;
  return { events, replies: d.replies, state };
}

/** The stream (and its partner, call for call in turn on the same core) through Session. */
export function run(core: Core, stream: Stream): Actual[] {
  const streams = stream.partner ? [stream, stream.partner] : [stream];
  const feeds = streams.map((s) => feed(core, s));
  try {
    for (let call = 0, more = true; more; call++) {
      more = false;
      for (const f of feeds) more = f.next(call) || more;
    }
    return feeds.map((f) => f.result());
  } finally {
    for (const f of feeds) f.session.free();
  }
}

/** A session and its stream, fed one chunk per call of next(). */
function feed(core: Core, stream: Stream) {
  const { role, maxFrameSize, maxMessageSize, textAs } = stream;
  const session = new Session({ role, maxFrameSize, maxMessageSize, textAs, core, autoFree: false });
  const recorder = new Recorder();
  let off = 0;
  return {
    session,
    /** Feeds chunk `n`; false once there are none left. */
    next(n: number): boolean {
      if (n >= stream.chunks.length) return false;
      recorder.call = n;
      const chunk = stream.bytes.subarray(off, off + stream.chunks[n]);
      // A given chunk is the session's to write into: a copy, so the stream stays as generated.
      if (stream.given) session.receive(Uint8Array.from(chunk), recorder, true);
      else session.receive(chunk, recorder);
      off += stream.chunks[n];
      return true;
    },
    result(): Actual {
      const output = Buffer.concat(session.takeOutput());
      return {
        events: recorder.events,
        output: new Uint8Array(output.buffer, output.byteOffset, output.length),
        state: session.state,
      };
    },
  };
}

/** Every event a session reports, with the receive() call that reported it. */
class Recorder implements SessionHandler {
  readonly events: Actual["events"] = [];
  call = 0;

  message(data: string | Uint8Array, isBinary: boolean): void {
    const event: Expected =
      typeof data === "string"
        ? { type: "message", isBinary, data: empty, text: data }
        : { type: "message", isBinary, data, text: "" };
    this.events.push({ call: this.call, event });
  }
  // Ping and pong payloads are views of the core's memory, valid during the call.
  ping(data: Uint8Array): void {
    this.events.push({ call: this.call, event: { type: "ping", data: data.slice() } });
  }
  pong(data: Uint8Array): void {
    this.events.push({ call: this.call, event: { type: "pong", data: data.slice() } });
  }
  close(code: number, reason: string): void {
    this.events.push({ call: this.call, event: { type: "close", code, reason } });
  }
  error(e: WebSocketError): void {
    this.events.push({ call: this.call, event: { type: "error", code: e.code, closeCode: e.closeCode } });
  }
}

const empty = new Uint8Array(0);

/** The first way `actual` differs from `expected`, or undefined. */
export function compare(
  stream: Stream,
  expected: Expectation,
  actual: Actual,
): Omit<Divergence, "build"> | undefined {
  const n = Math.max(expected.events.length, actual.events.length);
  for (let i = 0; i < n; i++) {
    const want = expected.events[i];
    const got = actual.events[i];
    if (!want || !got || !same(stream, want.event, got.event)) {
      const bothErrors = want?.event.type === "error" && got?.event.type === "error";
      const where = want && got ? difference(want.event, got.event) : "";
      return {
        kind: bothErrors ? "error" : "events",
        detail: `event ${i}: expected ${orNothing(want?.event)}, got ${orNothing(got?.event)}${where}`,
      };
    }
    if (want.call !== got.call) {
      return {
        kind: want.event.type === "error" ? "error call" : "event call",
        detail: `${describe(want.event)}: expected in receive() call ${want.call}, reported in ${got.call}`,
      };
    }
  }
  const output = compareOutput(stream, expected.replies, actual.output);
  if (output) return { kind: "output", detail: output };
  if (expected.state !== actual.state)
    return { kind: "state", detail: `expected state ${expected.state}, got ${actual.state}` };
  return undefined;
}

/** The queued frames as the peer decodes them: unmasked ones from a server, masked from a client. */
export function decodeOutput(stream: Stream, output: Uint8Array): Decoder {
  const role = stream.role === "server" ? "client" : "server";
  return new Decoder({ role, maxFrameSize: 0, maxMessageSize: 0, timing: "byte" }).pushAll(output);
}

/** The queued frames against the replies owed. */
function compareOutput(stream: Stream, replies: Expected[], output: Uint8Array): string | undefined {
  const peer = decodeOutput(stream, output);
  const got = peer.events.map((e) => e.event);
  for (let i = 0; i < Math.max(got.length, replies.length); i++) {
    if (!got[i] || !replies[i] || !same(stream, replies[i], got[i]))
      return `reply ${i}: expected ${orNothing(replies[i])}, got ${orNothing(got[i])} (${hexHead(output)})`;
  }
  if (peer.consumed < output.length) return `${output.length - peer.consumed} bytes queued after the close`;
  if (!peer.atFrameBoundary) return `the output ends inside a frame (${hexHead(output)})`;
  return undefined;
}

function same(stream: Stream, a: Expected, b: Expected): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case "message": {
      const m = b as typeof a;
      if (a.isBinary !== m.isBinary) return false;
      // Text as a string is compared as a string, everything else as bytes.
      if (!a.isBinary && stream.textAs === "string") return a.text === m.text;
      return Buffer.compare(a.data, m.data) === 0;
    }
    case "ping":
    case "pong":
      return Buffer.compare(a.data, (b as typeof a).data) === 0;
    case "close": {
      const c = b as typeof a;
      return a.code === c.code && a.reason === c.reason;
    }
    case "error": {
      const e = b as typeof a;
      return a.code === e.code && a.closeCode === e.closeCode;
    }
  }
}

/** Whether two builds did exactly the same (client output differs only by its masking keys). */
export function sameActual(stream: Stream, a: Actual, b: Actual): string | undefined {
  if (a.state !== b.state) return `states ${a.state} and ${b.state}`;
  if (a.events.length !== b.events.length) return `${a.events.length} and ${b.events.length} events`;
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i];
    const y = b.events[i];
    if (x.call !== y.call || !same(stream, x.event, y.event))
      return `event ${i}: ${describe(x.event)} in call ${x.call}, ${describe(y.event)} in call ${y.call}`;
  }
  if (
    stream.role === "server" ? Buffer.compare(a.output, b.output) !== 0 : a.output.length !== b.output.length
  )
    return `outputs ${hexHead(a.output)} and ${hexHead(b.output)}`;
  return undefined;
}

/** Where two messages' contents part, when they are messages of the same type. */
function difference(a: Expected, b: Expected): string {
  if (a.type !== "message" || b.type !== "message" || a.isBinary !== b.isBinary) return "";
  const [x, y, unit] = a.text || b.text ? [a.text, b.text, "character"] : [a.data, b.data, "byte"];
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return `; they differ from ${unit} ${i}`;
}

export function describe(e: Expected): string {
  switch (e.type) {
    case "message": {
      if (e.isBinary || e.text === "")
        return `${e.isBinary ? "binary" : "text"} message of ${e.data.length} bytes ${hexHead(e.data)}`;
      const more = e.text.length > 40 ? "..." : "";
      return `text message ${JSON.stringify(e.text.slice(0, 40))}${more} (${e.text.length} chars)`;
    }
    case "ping":
    case "pong":
      return `${e.type} ${hexHead(e.data)}`;
    case "close":
      return `close ${e.code} ${JSON.stringify(e.reason)}`;
    case "error":
      return `error ${e.code} (close ${e.closeCode})`;
  }
}

function orNothing(e: Expected | undefined): string {
  return e ? describe(e) : "nothing";
}

function hexHead(bytes: Uint8Array): string {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 32)).toString("hex");
  return bytes.length > 32 ? `${h}... (${bytes.length} bytes)` : `[${h}]`;
}

/**
 * Every build against the reference, then the builds against each other. The first divergence, with
 * what the other builds did on the same stream, or undefined.
 */
export function checkStream(
  stream: Stream,
  cores: { name: string; core: Core }[],
  timing: Timing,
): Divergence | undefined {
  const streams = stream.partner ? [stream, stream.partner] : [stream];
  const expected = streams.map((s) => expectation(s, timing));
  const results = cores.map(({ name, core }): { name: string; actual?: Actual[]; d?: Divergence } => {
    try {
      const actual = run(core, stream);
      for (let i = 0; i < streams.length; i++) {
        const d = compare(streams[i], expected[i], actual[i]);
        if (d)
          return { name, actual, d: { ...d, build: name, detail: `${i ? "partner: " : ""}${d.detail}` } };
      }
      return { name, actual };
    } catch (err) {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      return { name, d: { kind: "exception", build: name, detail } };
    }
  });
  const first = results.find((r) => r.d)?.d;
  if (first) {
    const others = results
      .filter((r) => r.name !== first.build)
      .map((r) => `${r.name}: ${r.d?.detail === first.detail ? "the same" : (r.d?.detail ?? "as expected")}`);
    return { ...first, detail: `${first.detail}\n  ${others.join("\n  ")}` };
  }
  for (let i = 1; i < results.length; i++) {
    for (let j = 0; j < streams.length; j++) {
      const d = sameActual(streams[j], results[0].actual![j], results[i].actual![j]);
      if (d) return { kind: "builds", build: `${results[0].name}/${results[i].name}`, detail: d };
    }
  }
  return undefined;
}
