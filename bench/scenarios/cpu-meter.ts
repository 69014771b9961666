// CPU use over a measured interval: which side is saturated, and whether anything else ran.
import { readFileSync } from "node:fs";
import { cpuSeconds } from "../proc.ts";

export interface CpuUse {
  /** Cores' worth of CPU, 1 = one core busy. */
  serverCpu: number;
  generatorCpu: number;
  /** User+system time of the whole machine not spent by server or generator: other processes. */
  otherCpu: number;
}

export interface CpuMeter {
  stop(): CpuUse;
}

/** Seconds of user+nice+system over all cores; irq/softirq excluded, loopback TCP lands there. */
function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "latin1").split("\n", 1)[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2]) / 100; // USER_HZ, 100 on Linux
}

export function startCpuMeter(serverPid: number): CpuMeter {
  const t0 = performance.now();
  const server0 = cpuSeconds(serverPid);
  const machine0 = machineBusySeconds();
  const gen0 = process.cpuUsage();
  return {
    stop() {
      const wall = (performance.now() - t0) / 1000;
      const gen = process.cpuUsage(gen0);
      const serverCpu = (cpuSeconds(serverPid) - server0) / wall;
      const generatorCpu = (gen.user + gen.system) / 1e6 / wall;
      const machine = (machineBusySeconds() - machine0) / wall;
      return { serverCpu, generatorCpu, otherCpu: Math.max(0, machine - serverCpu - generatorCpu) };
    },
  };
}
