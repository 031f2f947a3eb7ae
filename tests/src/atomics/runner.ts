// Runs the selected Atomic Red Team tests on this host one at a time, then asks a Vigil server which events and
// alerts each produced (by the test's process tree and time window). Restores guarded system files even on failure.

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import type { ApiClient } from '../harness.js';
import { exclusionReason, loadTechnique, renderCommand, type AtomicTest } from './atomic-yaml.js';
import { GUARDED_FILES, type SelectedAtomic } from './selection.js';

export interface AtomicOutcome {
  selected: SelectedAtomic;
  test: AtomicTest;
  ran: boolean;
  exitCode: number | null;
  /** Pid of the executor shell (the root of the test's process tree). */
  rootPid: number;
  start: number;
  /** When the test's cleanup started: the end of the window for events without a process. */
  end: number;
  notes: string[];
  events: Record<string, unknown>[];
  /** `category/action` → count. */
  counts: Map<string, number>;
  alerts: string[];
}

export interface RunOptions {
  /** Wait after a test before its cleanup, and after the cleanup before the next test, so debounced change records land in the right window (default 1200 ms). */
  settleMs?: number;
  log?: (line: string) => void;
}

interface Snapshot {
  content: Buffer | null;
  mode: number;
  uid: number;
  gid: number;
}

const INSTALLS = /\b(apt-get|apt|yum|dnf|apk|pkg|brew|pip3?|gem|npm)\b/;

function snapshot(path: string): Snapshot {
  if (!existsSync(path)) return { content: null, mode: 0, uid: 0, gid: 0 };
  const st = lstatSync(path);
  return { content: readFileSync(path), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

const same = (a: Snapshot, b: Snapshot) =>
  a.content === null ? b.content === null : b.content !== null && a.content.equals(b.content) && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

function restore(path: string, before: Snapshot): void {
  if (before.content === null) {
    if (existsSync(path)) unlinkSync(path);
    return;
  }
  writeFileSync(path, before.content);
  chownSync(path, before.uid, before.gid);
  chmodSync(path, before.mode);
}

/** Runs `command` with the executor shell; resolves with pid, exit code and output. Kills it after `timeoutMs`. */
function shell(executor: string, command: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000, netns?: string): Promise<{ pid: number; code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const argv = [executor === 'bash' ? '/bin/bash' : '/bin/sh', '-c', command];
    // `ip netns exec` execs the shell in place: the pid (root of the process tree) stays the same.
    const [file, ...args] = netns ? ['/usr/sbin/ip', 'netns', 'exec', netns, ...argv] : argv;
    const child = spawn(file!, args, { env, cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (d: Buffer) => {
      if (output.length < 4096) output += d.toString();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ pid: child.pid!, code, output });
    });
  });
}

/** A network namespace with loopback up and nothing else; deleteNetns removes it. */
async function createNetns(where: string): Promise<string> {
  const name = `vigil-art-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const made = await shell('sh', `ip netns add ${name} && ip -n ${name} link set lo up`, process.env);
  if (made.code !== 0) {
    await deleteNetns(name);
    throw new VigilError('system', `${where}: could not create network namespace ${name}: ${made.output}`);
  }
  return name;
}

async function deleteNetns(name: string): Promise<void> {
  await shell('sh', `ip netns del ${name}`, process.env);
}

/** A pass-through `sudo` for tests written for a non-root user: the runner is root and sudo is not installed here. */
function sudoShim(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-atomics-bin-'));
  writeFileSync(join(dir, 'sudo'), '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n', { mode: 0o755 });
  return dir;
}

/** Runs every selected test in order (after checking it against the corpus) and returns what happened locally. */
export async function runAtomics(selection: readonly SelectedAtomic[], options: RunOptions = {}): Promise<AtomicOutcome[]> {
  const log = options.log ?? (() => undefined);
  const settleMs = options.settleMs ?? 1200;
  const shim = sudoShim();
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${shim}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, HOME: '/root' };
  const techniques = new Map<string, AtomicTest[]>();
  const outcomes: AtomicOutcome[] = [];
  try {
    for (const selected of selection) {
      const where = `${selected.technique}#${selected.number}`;
      const tests = techniques.get(selected.technique) ?? loadTechnique(selected.technique);
      techniques.set(selected.technique, tests);
      const test = tests[selected.number - 1];
      if (!test) throw new VigilError('invalid_config', `${where}: the technique file has no test ${selected.number}`, { location: { path: where } });
      if (test.guid !== selected.guid) throw new VigilError('invalid_config', `${where}: guid ${test.guid} in the corpus, ${selected.guid} in the selection (the corpus changed?)`, { location: { path: where } });
      const excluded = exclusionReason(test);
      if (excluded) throw new VigilError('invalid_config', `${where} does not pass the selection filter: ${excluded}`, { location: { path: where } });
      const outcome: AtomicOutcome = { selected, test, ran: false, exitCode: null, rootPid: 0, start: 0, end: 0, notes: [], events: [], counts: new Map(), alerts: [] };
      outcomes.push(outcome);
      const guarded = new Map(GUARDED_FILES.map((p) => [p, snapshot(p)]));
      try {
        if (selected.prepare) {
          const prepared = await shell('sh', selected.prepare, env);
          if (prepared.code !== 0) throw new VigilError('system', `${where}: prepare step failed (${prepared.code}): ${prepared.output}`);
        }
        const missing = await satisfyDependencies(test, selected, env, outcome.notes);
        if (missing) {
          outcome.notes.push(`not run: ${missing}`);
          continue;
        }
        const command = renderCommand(test.executor.command, test, selected.inputs);
        const ns = selected.netns ? await createNetns(where) : undefined;
        outcome.start = Date.now() - 20;
        const result = await shell(test.executor.name, command, env, 60_000, ns).finally(() => ns && deleteNetns(ns));
        if (ns) outcome.notes.push('ran in a network namespace with only loopback');
        outcome.ran = true;
        outcome.rootPid = result.pid;
        outcome.exitCode = result.code;
        if (result.code !== 0) outcome.notes.push(`exit ${result.code}: ${oneLine(result.output)}`);
        await sleep(settleMs);
        outcome.end = Date.now();
        log(`${where} ${test.name}: exit ${result.code}`);
      } finally {
        if (test.executor.cleanup.trim()) {
          const cleaned = await shell(test.executor.name, renderCommand(test.executor.cleanup, test, selected.inputs), env).catch((error: unknown) => ({ code: -1, output: String(error), pid: 0 }));
          if (cleaned.code !== 0) outcome.notes.push(`cleanup exit ${cleaned.code}: ${oneLine(cleaned.output)}`);
        }
        for (const path of selected.leaves ?? []) {
          if (!existsSync(path)) continue;
          await shell('sh', `chattr -i '${path}' 2>/dev/null; rm -rf '${path}'`, env);
          if (existsSync(path)) throw new VigilError('system', `${where}: could not remove ${path}`);
          if (!path.includes('vigil-art')) outcome.notes.push(`runner removed ${path} (left by the test)`);
        }
        for (const [path, before] of guarded) {
          if (same(before, snapshot(path))) continue;
          restore(path, before);
          if (!same(before, snapshot(path))) throw new VigilError('system', `${where}: could not restore ${path}`);
          if (!path.endsWith('-')) outcome.notes.push(`runner restored ${path} (cleanup left it changed)`);
        }
        // Change records of the cleanup are debounced: let them land before the next test's window opens.
        await sleep(settleMs);
      }
    }
  } finally {
    rmSync(shim, { recursive: true, force: true });
  }
  return outcomes;
}

/** Checks each dependency; runs a local get_prereq command (never an installer). Returns why it cannot run, if so. */
async function satisfyDependencies(test: AtomicTest, selected: SelectedAtomic, env: NodeJS.ProcessEnv, notes: string[]): Promise<string | undefined> {
  for (const dep of test.dependencies) {
    const check = renderCommand(dep.prereqCommand, test, selected.inputs);
    if ((await shell(test.dependencyExecutor, check, env)).code === 0) continue;
    const get = renderCommand(dep.getPrereqCommand, test, selected.inputs);
    if (!get.trim() || INSTALLS.test(get)) return `dependency "${oneLine(dep.description)}" is missing and would need an install`;
    await shell(test.dependencyExecutor, get, env);
    if ((await shell(test.dependencyExecutor, check, env)).code !== 0) return `dependency "${oneLine(dep.description)}" could not be prepared`;
    notes.push(`dependency prepared locally: ${oneLine(dep.description)}`);
  }
  return undefined;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 160);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every stored event of a host between two times, oldest first (pages through the timeline API). */
export async function fetchEvents(api: ApiClient, hostId: string, from: number, to: number): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), order: 'asc', limit: '5000', ...(cursor ? { cursor } : {}) });
    const reply = await api.get(`/api/v1/hosts/${hostId}/events?${query}`);
    if (reply.status !== 200) throw new Error(`events: ${reply.status} ${JSON.stringify(reply.body)}`);
    all.push(...(reply.body.events as Record<string, unknown>[]));
    cursor = reply.body.next_cursor as string | null;
  } while (cursor);
  return all;
}

/** Waits until the stored event count of the window stops growing (the agent flushed what the tests caused). */
export async function waitForQuiet(api: ApiClient, hostId: string, from: number, to: number, quietMs = 4000, maxMs = 30_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const events = await fetchEvents(api, hostId, from, to);
    if (Date.now() > deadline) return events;
    if (events.length !== last) {
      last = events.length;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return events;
    }
    await sleep(1000);
  }
}

/** Categories of change records, which may carry no process: attributed by time window alone. */
const CHANGE_CATEGORIES = new Set(['file', 'autostart', 'iam', 'service', 'driver']);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * Gives each outcome the events of its process tree (process starts whose parent is in the tree, from the executor
 * shell down) inside its window, plus events without a process in the window (change records), and the alerts
 * whose events are among them.
 */
export function attribute(outcomes: AtomicOutcome[], events: Record<string, unknown>[], alerts: { ruleTitle: string; eventIds: string[] }[]): void {
  const sorted = [...events].sort((a, b) => String(a['@timestamp']).localeCompare(String(b['@timestamp'])));
  for (const outcome of outcomes) {
    if (!outcome.ran) continue;
    const tree = new Set([outcome.rootPid]);
    const inWindow = sorted.filter((e) => {
      const t = Date.parse(String(e['@timestamp']));
      return t >= outcome.start && t < outcome.end;
    });
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of inWindow) {
        const pid = num(e['process.pid']);
        const parent = num(e['process.parent.pid']);
        if (e['event.category'] === 'process' && pid !== undefined && parent !== undefined && tree.has(parent) && !tree.has(pid)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    outcome.events = inWindow.filter((e) => {
      const pid = num(e['process.pid']);
      return pid === undefined ? CHANGE_CATEGORIES.has(String(e['event.category'])) : tree.has(pid);
    });
    for (const e of outcome.events) {
      const key = `${String(e['event.category'])}/${String(e['event.action'])}`;
      outcome.counts.set(key, (outcome.counts.get(key) ?? 0) + 1);
    }
    const ids = new Set(outcome.events.map((e) => String(e['event.id'])));
    outcome.alerts = [...new Set(alerts.filter((a) => a.eventIds.some((id) => ids.has(id))).map((a) => a.ruleTitle))].sort();
  }
}
