// Reading processes from /proc for the response handlers: stat lines, owners, command lines, the process tree.
// Never throws for a process that vanished while being read (it is simply absent); never caches process state.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { processEntityId } from '@vigil/sources/auditd/process-events';

/** PF_KTHREAD in /proc/<pid>/stat flags: the task is a kernel thread. */
const PF_KTHREAD = 0x00200000;

export interface ProcStat {
  pid: number;
  comm: string;
  /** One letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, t tracing stop, X dead, I idle, ... */
  state: string;
  ppid: number;
  flags: number;
  /** Start time in clock ticks since boot (field 22), as written by the kernel. */
  startTicks: string;
}

/**
 * Parses one /proc/<pid>/stat line. The command name sits in parentheses and may itself hold spaces and
 * parentheses, so the fields after it are found from the last ')'. Returns undefined for anything malformed.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pidText = text.slice(0, open);
  if (!/^\d{1,10}$/.test(pidText)) return undefined;
  const rest = text.slice(close + 2).trimEnd().split(' ');
  const [state, ppid, flags, startTicks] = [rest[0], rest[1], rest[6], rest[19]];
  if (!state || !/^[A-Za-z]$/.test(state)) return undefined;
  if (!ppid || !/^\d{1,10}$/.test(ppid) || !flags || !/^\d{1,20}$/.test(flags) || !startTicks || !/^\d{1,20}$/.test(startTicks)) return undefined;
  return { pid: Number(pidText), comm: text.slice(open + 2, close), state, ppid: Number(ppid), flags: Number(flags), startTicks };
}

export function readStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function isKernelThread(stat: ProcStat): boolean {
  // kthreadd (pid 2) and its children are kernel threads; the flag covers them all.
  return (stat.flags & PF_KTHREAD) !== 0 || stat.pid === 2 || stat.ppid === 2;
}

/** Whether the process is dead for our purposes: gone, a zombie, or its pid now belongs to another process. */
export function isGone(pid: number, startTicks: string): boolean {
  const stat = readStat(pid);
  return !stat || stat.startTicks !== startTicks || stat.state === 'Z' || stat.state === 'X';
}

export function listPids(procRoot = '/proc'): number[] {
  return readdirSync(procRoot)
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Every readable process's stat, keyed by pid. */
export function snapshot(procRoot = '/proc'): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>();
  for (const pid of listPids(procRoot)) {
    const stat = readStat(pid, procRoot);
    if (stat) all.set(pid, stat);
  }
  return all;
}

/** Descendants of `root` in breadth-first order (children before grandchildren), from one snapshot. */
export function descendants(root: number, all: ReadonlyMap<number, ProcStat>): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of all.values()) {
    if (stat.pid === root && stat.ppid === root) continue;
    const list = children.get(stat.ppid);
    if (list) list.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const out: ProcStat[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length) {
    const next = queue.shift()!;
    for (const child of children.get(next) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** The pids from `pid` up to pid 1 (inclusive), following ppid. */
export function ancestors(pid: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (let current: number | undefined = pid; current && current > 0 && !seen.has(current); ) {
    seen.add(current);
    out.push(current);
    current = readStat(current)?.ppid;
  }
  return out;
}

export interface ProcStatus {
  /** Real, effective, saved and filesystem uids. */
  uids: [number, number, number, number];
  gids: [number, number, number, number];
}

export function parseStatus(text: string): ProcStatus | undefined {
  const ids = (key: string): [number, number, number, number] | undefined => {
    const match = new RegExp(`^${key}:\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$`, 'm').exec(text);
    return match ? [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4])] : undefined;
  };
  const uids = ids('Uid');
  const gids = ids('Gid');
  return uids && gids ? { uids, gids } : undefined;
}

export function readStatus(pid: number): ProcStatus | undefined {
  try {
    return parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** argv joined with spaces (NUL separators), or '' for kernel threads and vanished processes. */
export function readCmdline(pid: number, maxBytes = 32768): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`);
    return raw.subarray(0, maxBytes).toString('utf8').replace(/\0+$/, '').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function readExe(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;
export function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown-boot';
    }
  }
  return cachedBootId;
}

/** process.entity_id of a live process, computed exactly as the auditd source computes it. */
export function entityIdOf(stat: ProcStat): string {
  return processEntityId(bootId(), stat.pid, stat.startTicks);
}

let cachedTicks: number | undefined;
/** Clock ticks per second (sysconf(_SC_CLK_TCK), asked of getconf once; 100 on every Linux we know). */
export function clockTicks(): number {
  if (cachedTicks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim());
      cachedTicks = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      cachedTicks = 100;
    }
  }
  return cachedTicks;
}

/** Boot time in milliseconds since the epoch (btime of /proc/stat). */
export function bootTimeMs(): number {
  const match = /^btime\s+(\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return match ? Number(match[1]) * 1000 : 0;
}
