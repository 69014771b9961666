// The scenarios, in the order they run and print; the same for every server.
import { OP_BINARY, OP_TEXT } from "../frames.ts";
import { binaryPayload, jsonPayload, prosePayload, textPayload } from "../payloads.ts";
import { deflateEcho } from "./deflate.ts";
import { fanout } from "./fanout.ts";
import { handshakes } from "./handshakes.ts";
import { idleMemory } from "./memory.ts";
import { pipelined } from "./pipelined.ts";
import type { Scenario } from "./scenario.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

export const SCENARIOS: Scenario[] = [
  pipelined({
    name: "small",
    describe: "64 conns x 32 B text, pipelined",
    connections: 64,
    opcode: OP_TEXT,
    size: 32,
    payload: textPayload,
    window: 512,
    batch: 128,
    unit: "msg/s",
  }),
  pipelined({
    name: "medium",
    describe: "16 conns x 16 KiB binary",
    connections: 16,
    opcode: OP_BINARY,
    size: 16 * KiB,
    payload: binaryPayload,
    window: 128,
    batch: 8,
    unit: "MB/s",
  }),
  pipelined({
    name: "large-binary",
    describe: "4 conns x 1 MiB binary",
    connections: 4,
    opcode: OP_BINARY,
    size: MiB,
    payload: binaryPayload,
    window: 16,
    batch: 1,
    unit: "MB/s",
  }),
  pipelined({
    name: "large-text",
    describe: "4 conns x 16 MiB UTF-8 text (ASCII + 2/3/4-byte)",
    connections: 4,
    opcode: OP_TEXT,
    size: 16 * MiB,
    payload: textPayload,
    window: 2,
    batch: 1,
    unit: "MB/s",
  }),
  handshakes(32),
  idleMemory(10_000),
  idleMemory(10_000, {
    name: "memory-deflate",
    extensions: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
  }),
  idleMemory(10_000, { name: "memory-deflate-context", extensions: "permessage-deflate" }),
  idleMemory(10_000, { name: "memory-young-capped", cappedYoung: true }),
  // permessage-deflate, servers started with --deflate; sizes above the 1 KiB threshold ours and ws share.
  deflateEcho({
    name: "deflate-small",
    describe: "64 conns x 2 KiB JSON text, permessage-deflate, no context takeover",
    connections: 64,
    opcode: OP_TEXT,
    size: 2 * KiB,
    payload: jsonPayload,
    window: 64,
    batch: 16,
    sampleEvery: 64,
  }),
  deflateEcho({
    name: "deflate-json",
    describe: "16 conns x 16 KiB JSON text, permessage-deflate, no context takeover",
    connections: 16,
    opcode: OP_TEXT,
    size: 16 * KiB,
    payload: jsonPayload,
    window: 64,
    batch: 8,
    sampleEvery: 64,
  }),
  deflateEcho({
    name: "deflate-text",
    describe: "4 conns x 1 MiB English-like prose, permessage-deflate, no context takeover",
    connections: 4,
    opcode: OP_TEXT,
    size: MiB,
    payload: prosePayload,
    window: 4,
    batch: 1,
    // Inflating 1 MiB costs the generator ~3 ms; at tens of echoes per second one in 8 stays cheap.
    sampleEvery: 8,
  }),
  fanout(1_000),
  fanout(10_000),
];
