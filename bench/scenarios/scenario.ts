// What every scenario receives and returns.

export interface Target {
  port: number;
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
  generatorCpu?: number;
  /** CPU used by other processes meanwhile: above ~0.1 the figure is disturbed. */
  otherCpu?: number;
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
  run(target: Target, timing: Timing): Promise<Result>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
