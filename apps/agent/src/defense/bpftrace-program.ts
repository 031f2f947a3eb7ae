// The bpftrace program of the exec monitor: reports every exec (pid, parent, uid, path) and kills in the kernel, before
// the new program runs, execs of exactly listed paths. Pure text generation; never kills the agent or its children.

import { KERNEL_PATH_MAX } from './matcher.js';

/** bpftrace string size: paths up to KERNEL_PATH_MAX compare exactly; longer ones are truncated (and not kernel-matched). */
export const BPFTRACE_STRLEN = 200;

/**
 * One probe per 64 paths kills (SIGKILL from the tracepoint: the process dies on return to user space, before its
 * first instruction) and prints `K <pid>`; a last probe prints `E <pid> <ppid> <uid> <path>` for every exec.
 * Probes on one tracepoint run in the order written, so `K` comes before the `E` line of the same exec.
 */
export function execMonitorProgram(kernelPaths: readonly string[], agentPid: number): string {
  const lines: string[] = [];
  const safe = kernelPaths.filter((p) => p.length <= KERNEL_PATH_MAX && /^[\x20-\x7e]+$/.test(p) && !/["\\]/.test(p));
  for (let i = 0; i < safe.length; i += 64) {
    const chunk = safe.slice(i, i + 64);
    const condition = chunk.map((p) => `str(args->filename) == "${p}"`).join(' || ');
    lines.push(`tracepoint:sched:sched_process_exec /pid != ${agentPid} && curtask->real_parent->tgid != ${agentPid} && (${condition})/ { signal("SIGKILL"); printf("K %d\\n", pid); }`);
  }
  lines.push('tracepoint:sched:sched_process_exec { printf("E %d %d %d %s\\n", pid, curtask->real_parent->tgid, uid, str(args->filename)); }');
  return lines.join('\n') + '\n';
}

export type MonitorLine = { kind: 'killed'; pid: number } | { kind: 'exec'; pid: number; ppid: number; uid: number; filename: string };

/** Parses one `-f json` output line of the program; undefined for anything else (attach notices, warnings). */
export function parseMonitorLine(line: string): MonitorLine | undefined {
  let record: { type?: string; data?: unknown };
  try {
    record = JSON.parse(line) as { type?: string; data?: unknown };
  } catch {
    return undefined;
  }
  if (record?.type !== 'printf' || typeof record.data !== 'string') return undefined;
  const text = record.data.endsWith('\n') ? record.data.slice(0, -1) : record.data;
  const killed = /^K (\d+)$/.exec(text);
  if (killed) return { kind: 'killed', pid: Number(killed[1]) };
  const exec = /^E (\d+) (\d+) (\d+) ([\s\S]*)$/.exec(text);
  if (exec) return { kind: 'exec', pid: Number(exec[1]), ppid: Number(exec[2]), uid: Number(exec[3]), filename: exec[4]! };
  return undefined;
}
