// Real execution for the anomaly benchmark: runs a subset of the benign workload's commands and of the Atomic Red Team
// discovery tests on this machine, inside a network namespace of our own with HOME and the working directory in a
// temporary folder, and captures them through Vigil's auditd source. Needs root; run it under
// `flock /tmp/vigil-system.lock` (one audit daemon per machine). Writes { benign, attacks } as JSON to argv[2].
// Restores everything it changed (namespace, temp folder, audit rules via the source's stop) also on failure.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditdSource } from '@vigil/sources';
import type { CollectedEvent } from '@vigil/schema';
import { loadAtomicTests, type AtomicTest } from './atomics.js';

export interface RealCommand {
  /** What the generator would emit for it (name and arguments as typed). */
  argv: string[];
  /** Run through `sh -c` when set (pipelines, redirections). */
  shell?: string;
}

export interface RealRun {
  kind: 'benign' | 'attack';
  argv: string[];
  technique?: string;
  guid?: string;
  name?: string;
  command?: string;
  exitCode: number | null;
  /** Process starts (and other events) of the run's process tree, as the auditd source emitted them. */
  events: Record<string, unknown>[];
}

/** Benign commands the generator uses, runnable here without side effects outside the work folder. */
export function benignCommands(work: string): RealCommand[] {
  return [
    { argv: ['ls', '-la', '/tmp'] }, { argv: ['df', '-h'] }, { argv: ['free', '-m'] }, { argv: ['ps', 'aux'] }, { argv: ['uptime'] }, { argv: ['id'] }, { argv: ['hostname'] },
    { argv: ['uname', '-a'] }, { argv: ['cat', '/etc/os-release'] }, { argv: ['grep', '-c', 'root', '/etc/passwd'] }, { argv: ['find', '/var/log', '-name', '*.gz', '-mtime', '+30'] },
    { argv: ['du', '-sh', '/var/log'] }, { argv: ['date'] }, { argv: ['which', 'python3'] }, { argv: ['env'] }, { argv: ['wc', '-l', '/etc/passwd'] }, { argv: ['sort', '-u', '/etc/shells'] },
    { argv: ['head', '-n', '20', '/etc/services'] }, { argv: ['openssl', 'version'] }, { argv: ['python3', '-c', 'print(1)'] }, { argv: ['awk', '{print $1}', '/etc/hostname'] },
    { argv: ['tar', '-czf', `${work}/backup-1.tar.gz`, '/etc/hostname'] }, { argv: ['mkdir', '-p', `${work}/src/app/build`] }, { argv: ['cp', '/etc/hostname', `${work}/src/app/`] },
    { argv: ['ip', 'a'] }, { argv: ['ss', '-tlnp'] }, { argv: ['journalctl', '-n', '5'] },
    { argv: ['sh', '-c', 'cd / && run-parts --report /etc/cron.hourly'], shell: 'cd / && run-parts --report /etc/cron.hourly' },
    { argv: ['bash', '-c', 'ls -la /tmp | wc -l'], shell: 'ls -la /tmp | wc -l' },
    { argv: ['gcc', '-O2', '-o', `${work}/src/app/build/app`, `${work}/src/app/main.c`] },
    { argv: [`${work}/src/app/build/app`, '--version'] },
    { argv: ['sh', '-c', `chmod +x ${work}/tool.sh && ${work}/tool.sh`], shell: `chmod +x ${work}/tool.sh && ${work}/tool.sh` },
  ];
}

const ALLOWED_TECHNIQUES = new Set(['T1082', 'T1033', 'T1057', 'T1083', 'T1016', 'T1049', 'T1069.001', 'T1087.001', 'T1007', 'T1201', 'T1518.001', 'T1614', 'T1140', 'T1027', 'T1132.001', 'T1124', 'T1217', 'T1652', 'T1497.001', 'T1580']);
/** Anything that changes the machine, needs the network, or installs something is never run here. */
const UNSAFE = /\b(rm\s+-[a-z]*[rf]|useradd|usermod|userdel|passwd|crontab|systemctl|service|shutdown|reboot|halt|kill|pkill|chattr|iptables|ufw|insmod|modprobe|rmmod|apt|apt-get|yum|dnf|pip|npm|curl|wget|nc|ncat|socat|ssh|scp|sudo|su\b|mount|umount|dd|shred|mkfs|history\s+-c|unset|export\s+HISTFILE|chmod|chown|setcap|gcc|make|docker|kubectl|aws|gcloud|az|python[0-9.]*\s+-c|perl|ruby|php|tcpdump|nmap|masscan|hping|xdotool|xwd|import|zip|tar|openssl|gpg|base64\s+-d\s*>|>\s*\/(etc|usr|bin|boot|var|root|lib|opt)|tee|ln|mv|cp)\b|\/etc\/|>\s*\/|PathToAtomicsFolder|\/tmp\/AtomicRedTeam/;

export function safeAtomicTests(all: readonly AtomicTest[]): AtomicTest[] {
  return all.filter((t) => ALLOWED_TECHNIQUES.has(t.technique) && !t.elevated && !UNSAFE.test(t.command.replace(/cat \/etc\/(passwd|group|os-release|issue|hostname|shells|resolv\.conf|hosts|lsb-release|\*release)/g, 'cat SAFE')) && t.command.length < 2000);
}

function run(ns: string, work: string, argv: string[], timeoutMs: number): Promise<{ pid: number | undefined; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: work, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: work, LANG: 'C.UTF-8', USER: 'root' }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ pid: child.pid, code: null });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ pid: child.pid, code });
    });
  });
}

/** Events of the process tree rooted at `pid` (the `ip netns exec` process, which becomes the command). */
function treeOf(events: readonly CollectedEvent[], pid: number | undefined): Record<string, unknown>[] {
  if (pid === undefined) return [];
  const pids = new Set([pid]);
  const out: Record<string, unknown>[] = [];
  for (const event of events) {
    const e = event as Record<string, unknown>;
    const own = e['process.pid'] as number | undefined;
    const parent = e['process.parent.pid'] as number | undefined;
    if (e['event.category'] === 'process' && e['event.action'] === 'start' && parent !== undefined && pids.has(parent) && own !== undefined) pids.add(own);
    if (own !== undefined && pids.has(own)) out.push(e);
  }
  return out;
}

async function main(): Promise<void> {
  const outFile = process.argv[2];
  if (!outFile) throw new Error('usage: real-run.js <out.json>');
  if (process.getuid?.() !== 0) throw new Error('the real-execution part of the anomaly benchmark needs root (auditd and network namespaces); run with --real=false to skip it');
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-anomaly-real-')));
  const ns = `vigil-anomaly-${process.pid}`;
  const events: CollectedEvent[] = [];
  const warnings: string[] = [];
  let source = createAuditdSource({ files: { paths: [work] } });
  let fileEvents = true;
  let nsCreated = false;
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    nsCreated = true;
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    writeFileSync(join(work, 'tool.sh'), '#!/bin/sh\necho tool\n');
    writeFileSync(join(work, 'main.c'), 'int main(void){return 0;}\n');
    execFileSync('mkdir', ['-p', join(work, 'src', 'app', 'build')]);
    writeFileSync(join(work, 'src', 'app', 'main.c'), '#include <stdio.h>\nint main(int c, char **v){ (void)v; printf("%d\\n", c); return 0; }\n');
    const sink = { emit: (event: CollectedEvent) => void events.push(event), warn: (message: string) => void warnings.push(message) };
    try {
      await source.start(sink);
    } catch (error) {
      // File watches are another engineer's work in progress: fall back to process events only, and say so.
      warnings.push(`auditd source with file watches failed (${error instanceof Error ? error.message : String(error)}); running with process events only`);
      fileEvents = false;
      source = createAuditdSource({ files: false });
      await source.start(sink);
    }
    const runs: { run: Omit<RealRun, 'events'>; pid: number | undefined; from: number }[] = [];
    for (const command of benignCommands(work)) {
      const from = events.length;
      const result = await run(ns, work, command.argv, 20_000);
      runs.push({ run: { kind: 'benign', argv: command.argv, exitCode: result.code }, pid: result.pid, from });
    }
    const tests = safeAtomicTests(loadAtomicTests().tests);
    for (const test of tests) {
      const from = events.length;
      const result = await run(ns, work, [test.executor, '-c', test.command], 20_000);
      runs.push({ run: { kind: 'attack', argv: [test.executor, '-c', test.command], technique: test.technique, guid: test.guid, name: test.name, command: test.command, exitCode: result.code }, pid: result.pid, from });
    }
    await new Promise((r) => setTimeout(r, 1500));
    await source.stop();
    const results: RealRun[] = runs.map(({ run: r, pid, from }) => ({ ...r, events: treeOf(events.slice(Math.max(0, from - 50)), pid) }));
    writeFileSync(outFile, JSON.stringify({ fileEvents, warnings: warnings.slice(0, 20), runs: results }));
  } finally {
    await source.stop().catch(() => undefined);
    if (nsCreated) execFileSync('ip', ['netns', 'del', ns]);
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    process.stderr.write(`real-run: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
