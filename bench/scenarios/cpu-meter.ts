// CPU use over a measured interval: which side is saturated, and whether anything else ran.
import { readFileSync } from "node:fs";
import { cpuTimes } from "../proc.ts";

export interface CpuUse {
  /** Cores' worth of CPU, 1 = one core busy. */
  serverCpu: number;
  /** The part of serverCpu spent in the kernel (system time): system calls, TCP, page faults. */
  serverSystemCpu: number;
  generatorCpu: number;
  /** User+system time of the whole machine not spent by server or generator: other processes. */
  otherCpu: number;
  /**
   * How busy the server's and the generator's own core was, irq and softirq included (where loopback
   * TCP is processed, charged to no process); only when each is pinned to one core.
   */
  serverCore?: number;
  generatorCore?: number;
}

export interface CpuMeter {
  stop(): CpuUse;
}

/** /proc/stat's jiffies: user nice system idle iowait irq softirq steal, for "cpu" or "cpuN". */
function jiffies(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of readFileSync("/proc/stat", "latin1").split("\n")) {
    if (!line.startsWith("cpu")) break;
    const [name, ...f] = line.trim().split(/\s+/);
    out.set(name, f.map(Number));
  }
  return out;
}

/** Seconds of user+nice+system over all cores; irq/softirq excluded, loopback TCP lands there. */
const processSeconds = (f: number[]) => (f[0] + f[1] + f[2]) / 100; // USER_HZ, 100 on Linux

/** Seconds a core was not idle: everything but idle and iowait. */
const busySeconds = (f: number[]) => (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100;

/** The one core `pid` may run on, as "cpuN", or undefined if it may run on several. */
function pinnedCore(pid: number): string | undefined {
  const m = /^Cpus_allowed_list:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  return m === null ? undefined : `cpu${m[1]}`;
}

export function startCpuMeter(serverPid: number): CpuMeter {
  const t0 = performance.now();
  const server0 = cpuTimes(serverPid);
  const serverCore = pinnedCore(serverPid);
  const generatorCore = pinnedCore(process.pid);
  const stat0 = jiffies();
  const gen0 = process.cpuUsage();
  return {
    stop() {
      const wall = (performance.now() - t0) / 1000;
      const gen = process.cpuUsage(gen0);
      const stat = jiffies();
      const server = cpuTimes(serverPid);
      const serverSystemCpu = (server.system - server0.system) / wall;
      const serverCpu = (server.user - server0.user) / wall + serverSystemCpu;
      const generatorCpu = (gen.user + gen.system) / 1e6 / wall;
      const machine = (processSeconds(stat.get("cpu")!) - processSeconds(stat0.get("cpu")!)) / wall;
      const core = (name: string | undefined) =>
        name === undefined || !stat.has(name)
          ? undefined
          : (busySeconds(stat.get(name)!) - busySeconds(stat0.get(name)!)) / wall;
      const use: CpuUse = {
        serverCpu,
        serverSystemCpu,
        generatorCpu,
        otherCpu: Math.max(0, machine - serverCpu - generatorCpu),
      };
      const s = core(serverCore);
      const g = core(generatorCore);
      if (s !== undefined && g !== undefined && serverCore !== generatorCore) {
        use.serverCore = s;
        use.generatorCore = g;
      }
      return use;
    },
  };
}
