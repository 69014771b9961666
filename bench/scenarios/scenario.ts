// What every scenario receives and returns.

import type { Runtime } from "../servers.ts";

export interface Target {
  port: number;
  runtime: Runtime;
  /** The server process, for RSS and CPU readings. */
  pid: number;
}

export interface Timing {
  warmupS: number;
  durationS: number;
}

export interface Result {
  value: number;
  /** Server and generator CPU use over the measured interval, 1 = one core busy. */
  serverCpu?: number;
  /** The part of serverCpu spent in the kernel. */
  serverSystemCpu?: number;
  generatorCpu?: number;
  /** CPU used by other processes meanwhile: above ~0.1 the figure is disturbed. */
  otherCpu?: number;
  /** Busy fraction of the server's and the generator's pinned cores, irq and softirq included. */
  serverCore?: number;
  generatorCore?: number;
  /** One line of scenario-specific facts, printed after the figure. */
  detail?: string;
  /** Server RSS at the end, where the scenario reports it. */
  rssMiB?: number;
}

export interface Scenario {
  name: string;
  /** `--scenarios GROUP` selects every scenario of the group. */
  group?: string;
  /** The servers it runs against: the echo servers (default) or the pub/sub ones. */
  kind?: "echo" | "pubsub";
  unit: string;
  higherIsBetter: boolean;
  describe: string;
  /** Extra server arguments (before --port); a server whose spec lacks one of them has no such mode. */
  serverArgs?: string[];
  /** V8 flags for every server on Node or Deno, its floor included (JavaScriptCore takes none). */
  v8Flags?: string[];
  run(target: Target, timing: Timing): Promise<Result>;
  /** Also measured on the runtime's floor server (bench/peers/*-floor.*): the memory scenarios. */
  floor?: boolean;
  /** The same load against the TCP echo (bench/peers/tcp-ceiling.js): the throughput scenarios. */
  ceiling?: CeilingRun;
}

/** A scenario's run against the ceiling server, whose echoes are no valid server frames. */
export interface CeilingRun {
  /** Ceiling server arguments (before --port), in place of the scenario's serverArgs. */
  serverArgs?: string[];
  run(target: Target, timing: Timing): Promise<Result>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
