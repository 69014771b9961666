// Reading a server process from /proc (Linux): what it costs, and proof it is the process listening.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

let ticksPerSecond = 0;

/** Resident set size in KiB, from VmRSS. */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** CPU seconds in user space and in the kernel (all threads) the process has used so far. */
export function cpuTimes(pid: number): { user: number; system: number } {
  if (ticksPerSecond === 0) ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // Fields after the command name, which may itself contain spaces: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
}

/** True if `pid` holds the socket listening on 127.0.0.1:`port`, so we measure the server, not a wrapper. */
export function ownsListener(pid: number, port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let inode = "";
  for (const line of readFileSync("/proc/net/tcp", "latin1").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === "0A") inode = f[9];
  }
  if (inode === "") return false;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return true;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return false;
}
