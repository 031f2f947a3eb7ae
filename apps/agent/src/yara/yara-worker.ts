// The agent's YARA worker thread: compiles the rule set the main thread hands it and runs file scans, path sweeps and
// process memory scans, so compiling (seconds for a large set) and scanning never block event collection.
// Never talks to the network or the spool: results go back to the main thread as messages.

import { readFileSync, readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import {
  compilePartitioned,
  compileRuleSet,
  countRules,
  createCpuThrottle,
  createFileScanner,
  DEFAULT_WALK_EXCLUDES,
  listPids,
  scanProcessMemory,
  sweepPaths,
  type FileScanner,
  type RuleEngine,
} from '@vigil/yara';
import type { FromWorker, ToWorker } from './protocol.js';

if (!parentPort) throw new Error('yara-worker.js runs only as a worker thread');
const port = parentPort;
const send = (message: FromWorker) => port.postMessage(message);

let rules: { digest: string; compiled: RuleEngine } | undefined;
const scanners = new Map<number, FileScanner>();
/** Requests cancelled before they started, and the abort controllers of running ones. */
const cancelled = new Set<number>();
const running = new Map<number, AbortController>();

function controllerFor(id: number): AbortController {
  const controller = new AbortController();
  if (cancelled.delete(id)) controller.abort();
  running.set(id, controller);
  return controller;
}

function scannerFor(maxFileSize: number): FileScanner {
  if (!rules) throw new Error('no rule set loaded');
  let scanner = scanners.get(maxFileSize);
  if (!scanner) scanners.set(maxFileSize, (scanner = createFileScanner({ rules: rules.compiled, rulesId: rules.digest, maxFileSize })));
  return scanner;
}

function processInfo(pid: number): { executable: string | null; name: string | null } {
  let name: string | null = null;
  try {
    name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // gone
  }
  let executable: string | null = null;
  try {
    executable = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // gone, or a kernel thread
  }
  return { executable, name };
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'load': {
      const started = performance.now();
      // The server compiled and checked the set; the agent's copy is verified by digest, so skip per-file validation.
      // Scan sets per file type (same matches as the whole set, fewer rules per scan); the whole set when the source
      // cannot be split (packages/yara/src/partition.ts) or a set fails, which also reports the located errors.
      try {
        const parted = compilePartitioned(message.files, { externals: message.externals });
        rules = { digest: message.digest, compiled: parted };
        scanners.clear();
        send({ type: 'loaded', digest: message.digest, ruleCount: message.files.reduce((n, f) => n + countRules(f.text), 0), ms: Math.round(performance.now() - started), sets: parted.sets.map((s) => s.key) });
        return;
      } catch {
        // fall through to the whole set
      }
      const result = compileRuleSet(message.files, { externals: message.externals, trusted: true });
      if (!result.rules) {
        send({ type: 'load-failed', digest: message.digest, message: result.problems.map((p) => `${p.file}:${p.line ?? '?'}:${p.column ?? '?'} ${p.message}`).join('; ') || 'no rules compiled' });
        return;
      }
      rules = { digest: message.digest, compiled: result.rules };
      scanners.clear();
      send({ type: 'loaded', digest: message.digest, ruleCount: result.ruleCount, ms: Math.round(performance.now() - started), sets: ['whole'] });
      return;
    }
    case 'unload':
      rules = undefined;
      scanners.clear();
      return;
    case 'cancel': {
      const controller = running.get(message.id);
      if (controller) controller.abort();
      else cancelled.add(message.id);
      return;
    }
    case 'scan': {
      const scanner = scannerFor(message.maxFileSize);
      const result = scanner.scan(message.path);
      send({ type: 'scanned', id: message.id, result, sha256: result.matches.length ? (scanner.sha256(message.path) ?? null) : null });
      return;
    }
    case 'sweep': {
      const { request, id } = message;
      const scanner = scannerFor(request.maxFileSize);
      const throttle = createCpuThrottle({ budget: request.cpuBudget });
      const controller = controllerFor(id);
      try {
        // Batches of walked files, each scanned grouped by scan set (sweep.ts); results per file as in walk order.
        const summary = await sweepPaths({
          roots: request.roots,
          exclude: [...DEFAULT_WALK_EXCLUDES, ...request.exclude],
          oneFileSystem: request.oneFileSystem,
          scanner,
          throttle,
          signal: controller.signal,
          onMatch: (result) => send({ type: 'file-match', id, result, sha256: scanner.sha256(result.path) ?? null }),
          onProgress: (progress) => send({ type: 'progress', id, progress }),
        });
        const t = throttle.stats();
        send({ type: 'done', id, summary: { ...summary, cpuMs: t.cpuMs, sleptMs: t.sleptMs } });
      } finally {
        running.delete(id);
      }
      return;
    }
    case 'memory': {
      const { request, id } = message;
      if (!rules) throw new Error('no rule set loaded');
      const throttle = createCpuThrottle({ budget: request.cpuBudget });
      const controller = controllerFor(id);
      const pids = request.pids.length ? request.pids : listPids().filter((pid) => pid !== process.pid);
      const progress = { files: 0, bytes: 0, skipped: 0, matches: 0, regions: 0 };
      let errors = 0;
      let lastReport = performance.now();
      for (const pid of pids) {
        if (controller.signal.aborted) break;
        try {
          const result = await scanProcessMemory(pid, rules.compiled, { between: () => throttle.pace() });
          progress.files++;
          progress.bytes += result.bytes;
          progress.regions += result.regions;
          if (result.matches.length) {
            const info = processInfo(pid);
            for (const match of result.matches) {
              progress.matches++;
              send({ type: 'memory-match', id, hit: { pid, ...info, match } });
            }
          }
        } catch {
          // Processes that exited, kernel threads and ones we may not read are counted, not fatal.
          progress.skipped++;
          errors++;
        }
        if (performance.now() - lastReport > 1000) {
          lastReport = performance.now();
          send({ type: 'progress', id, progress: { ...progress, current: `pid ${pid}` } });
        }
      }
      const t = throttle.stats();
      running.delete(id);
      send({ type: 'done', id, summary: { ...progress, aborted: controller.signal.aborted, errors, cpuMs: t.cpuMs, sleptMs: t.sleptMs } });
      return;
    }
  }
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    const id = 'id' in message ? message.id : undefined;
    if (id !== undefined) send({ type: 'failed', id, message: (error as Error).message });
    else if (message.type === 'load') send({ type: 'load-failed', digest: message.digest, message: (error as Error).message });
  });
});
