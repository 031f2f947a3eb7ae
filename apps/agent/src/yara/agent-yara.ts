// YARA on the endpoint: keeps the rule set the server pushes (digest checked, kept on disk across restarts), scans
// executables when a process starts from them (the agent's own process events) and when they are created or written
// (the agent's file events), files written in the watched folders, and runs the fleet sweeps the heartbeat reply hands out, within their CPU budget, reporting progress.
// Every match becomes an event (category scan) and, when the rule set says so, the file is quarantined.
// An EventSource for the agent's lifecycle; never blocks the event path (scans run in a worker thread).
// The worker and the YARA engine (@vigil/yara, a native addon) are loaded only while a rule set is in use: an agent
// without rules pays neither their memory nor their threads.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createLogger, VigilError } from '@vigil/common';
import type { CollectedEvent } from '@vigil/schema';
import type { EventSink, EventSource } from '@vigil/sources';
import type { FileScanResult, ScanProgress, YaraMatch } from '@vigil/yara';
import { AgentChannel, errorText } from '../transport.js';
import type { ActionHandler } from '../response/handler.js';
import { createFileHandlers } from '../response/handlers/file.js';
import { createYaraEngine, type SweepSummary, type YaraEngine } from './engine.js';
import type { MemoryHit, RuleSetBundle } from './protocol.js';

const log = createLogger('agent.yara');

export const yaraAgentPaths = { ruleset: '/agent/v1/yara/ruleset', progress: (id: string) => `/agent/v1/yara/sweeps/${encodeURIComponent(id)}/progress` } as const;

export interface AgentYaraOptions {
  stateDir: string;
  /** host:port of the server's agent listener. */
  endpoint: string;
  agentId: string;
  credentials: { keyPem: string; certPem: string; caPem: string };
  /** Handler used for quarantine on hit (default: the agent's file.quarantine). */
  quarantine?: ActionHandler<{ path: string }>;
  /** Debounce of write events per file, ms (default 300). */
  writeDebounceMs?: number;
}

export type ScanTrigger = 'write' | 'exec' | 'sweep' | 'task';

export interface AgentYara extends EventSource {
  /** Every event the agent spools (process starts trigger exec scans). Never throws, never blocks. */
  observe(event: Readonly<Record<string, unknown>>): void;
  /** A heartbeat reply: fetches a new rule set, starts queued sweeps. */
  onHeartbeat(reply: Readonly<Record<string, unknown>>): void;
  /** On-demand scans for response tasks; resolve with the summary and the matches. */
  scanPaths(request: { paths: string[]; exclude?: string[]; cpuBudget?: number; maxFileSize?: number; taskId: string }, onProgress?: (p: ScanProgress) => void, signal?: AbortSignal): Promise<{ summary: SweepSummary; hits: { path: string; rules: string[]; sha256: string | null }[] }>;
  scanMemory(request: { pids: number[]; cpuBudget?: number; taskId: string }, onProgress?: (p: ScanProgress) => void, signal?: AbortSignal): Promise<{ summary: SweepSummary; hits: { pid: number; rules: string[] }[] }>;
  /** The rule set in use, null before one arrived. */
  current(): { name: string; version: number; digest: string; ruleCount: number } | null;
}

let active: AgentYara | undefined;
/** The running agent's YARA module (response handlers use it), undefined when YARA is off. */
export const activeYara = (): AgentYara | undefined => active;

/** Verifies a bundle from the server: shape and digest (the digest covers files, externals and options). */
export async function checkBundle(value: unknown): Promise<RuleSetBundle> {
  const fail = (path: string, what: string): never => {
    throw new VigilError('invalid_input', `rule set ${path} must be ${what}`, { location: { path } });
  };
  if (!value || typeof value !== 'object') fail('$', 'an object');
  const b = value as Record<string, unknown>;
  if (typeof b.name !== 'string') fail('$.name', 'a string');
  if (typeof b.version !== 'number') fail('$.version', 'a number');
  if (typeof b.digest !== 'string' || !/^[0-9a-f]{64}$/.test(b.digest)) fail('$.digest', 'a SHA-256 in hex');
  if (!Array.isArray(b.files) || !b.files.every((f) => f && typeof f.name === 'string' && typeof f.text === 'string')) fail('$.files', 'a list of {name, text}');
  if (!b.externals || typeof b.externals !== 'object' || !Object.values(b.externals).every((v) => typeof v === 'string')) fail('$.externals', 'an object of strings');
  const o = b.options as Record<string, unknown> | undefined;
  if (!o || typeof o.scan_on_exec !== 'boolean' || typeof o.scan_on_write !== 'boolean' || typeof o.quarantine_on_hit !== 'boolean' || typeof o.max_file_size !== 'number' || !Array.isArray(o.watch_paths) || !o.watch_paths.every((p) => typeof p === 'string' && p.startsWith('/'))) {
    fail('$.options', 'the rule set options');
  }
  const bundle = value as RuleSetBundle;
  const { ruleSetDigest } = await import('@vigil/yara');
  const digest = ruleSetDigest(bundle.files, bundle.externals, bundle.options);
  if (digest !== bundle.digest) throw new VigilError('invalid_input', `rule set ${bundle.name} v${bundle.version}: digest mismatch (got ${digest.slice(0, 12)}…, announced ${bundle.digest.slice(0, 12)}…); not used`);
  return bundle;
}

const scoreOf = (match: YaraMatch) => (typeof match.meta.score === 'number' ? match.meta.score : typeof match.meta.score === 'string' && /^\d+$/.test(match.meta.score) ? Number(match.meta.score) : undefined);

export function createAgentYara(options: AgentYaraOptions): AgentYara {
  const dir = join(options.stateDir, 'yara');
  const bundleFile = join(dir, 'ruleset.json');
  const channel = new AgentChannel(options.endpoint, options.credentials);
  const quarantine = options.quarantine ?? (createFileHandlers().find((h) => h.action === 'file.quarantine') as ActionHandler<{ path: string }> | undefined);
  const debounceMs = options.writeDebounceMs ?? 300;
  let engine: YaraEngine | undefined;
  let sink: EventSink | undefined;
  let bundle: RuleSetBundle | undefined;
  let ruleCount = 0;
  let stopped = false;
  /** Between start() and stop(); heartbeat replies before start wait in pendingReply. */
  let started = false;
  let watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  const startedSweeps = new Set<string>();
  let sweepQueue: Promise<void> = Promise.resolve();
  let syncing: Promise<void> | undefined;
  let pendingReply: Readonly<Record<string, unknown>> | undefined;
  const stats = { rules: 0, ruleset_version: 0, scans: 0, bytes: 0, matches: 0, quarantined: 0, scan_errors: 0, sweeps: 0, ruleset_errors: 0 };

  const emit = (fields: Record<string, unknown>) => sink?.emit(fields as unknown as CollectedEvent);

  function yaraFields(match: YaraMatch, trigger: ScanTrigger, sweepId: string | null, action: 'none' | 'quarantined' | 'quarantine_failed'): Record<string, unknown> {
    const score = scoreOf(match);
    return {
      'yara.rule': match.rule,
      'yara.namespace': match.namespace,
      ...(match.tags.length ? { 'yara.tags': match.tags } : {}),
      ...(match.strings.length ? { 'yara.strings': match.strings.slice(0, 100) } : {}),
      ...(score !== undefined ? { 'yara.score': score } : {}),
      'yara.ruleset': bundle?.name,
      'yara.ruleset_digest': bundle?.digest,
      'yara.trigger': trigger,
      ...(sweepId ? { 'yara.sweep_id': sweepId } : {}),
      'yara.action': action,
    };
  }

  async function quarantineFile(path: string): Promise<'quarantined' | 'quarantine_failed'> {
    if (!quarantine) return 'quarantine_failed';
    try {
      const outcome = await quarantine.run({ path }, { agentId: options.agentId, stateDir: options.stateDir, server: serverOf(options.endpoint), taskId: `yara-${randomUUID()}`, signal: new AbortController().signal, progress: () => undefined });
      if (outcome.ok) stats.quarantined++;
      log.warn(outcome.ok ? 'file quarantined after a YARA match' : 'quarantine after a YARA match incomplete', { path, summary: outcome.summary });
      return outcome.ok ? 'quarantined' : 'quarantine_failed';
    } catch (error) {
      log.error('quarantine after a YARA match failed', { path, error: VigilError.wrap(error).message });
      return 'quarantine_failed';
    }
  }

  /** Emits one event per matching rule of a file; quarantines first when the rule set says so. */
  async function fileMatched(result: FileScanResult, sha256: string | null, trigger: ScanTrigger, sweepId: string | null, process?: Readonly<Record<string, unknown>>): Promise<void> {
    stats.matches += result.matches.length;
    const action = bundle?.options.quarantine_on_hit ? await quarantineFile(result.path) : 'none';
    for (const match of result.matches) {
      emit({
        '@timestamp': new Date().toISOString(),
        'event.category': 'scan',
        'event.action': 'file_match',
        'event.type': 'info',
        'event.provider': 'yara',
        'file.path': result.path,
        'file.name': basename(result.path),
        'file.directory': dirname(result.path),
        'file.size': result.size,
        ...(sha256 ? { 'file.hash.sha256': sha256 } : {}),
        ...(process ? Object.fromEntries(['process.pid', 'process.entity_id', 'process.executable', 'process.name', 'process.command_line', 'user.name'].filter((f) => process[f] !== undefined).map((f) => [f, process[f]])) : {}),
        ...yaraFields(match, trigger, sweepId, action),
      });
    }
  }

  function memoryMatched(hit: MemoryHit, trigger: ScanTrigger, sweepId: string | null): void {
    stats.matches++;
    emit({
      '@timestamp': new Date().toISOString(),
      'event.category': 'scan',
      'event.action': 'memory_match',
      'event.type': 'info',
      'event.provider': 'yara',
      'process.pid': hit.pid,
      ...(hit.executable ? { 'process.executable': hit.executable } : {}),
      ...(hit.name ? { 'process.name': hit.name } : {}),
      ...yaraFields(hit.match, trigger, sweepId, 'none'),
    });
  }

  async function scanOne(path: string, trigger: ScanTrigger, process?: Readonly<Record<string, unknown>>): Promise<void> {
    if (!engine || !bundle || stopped) return;
    try {
      const { result, sha256 } = await engine.scanFile(path, bundle.options.max_file_size);
      if (result.cached && trigger === 'write') return;
      stats.scans++;
      if (!result.cached && !result.skipped) stats.bytes += result.size;
      if (result.error && result.skipped === 'unreadable' && !/ENOENT/.test(result.error)) stats.scan_errors++;
      if (result.matches.length) await fileMatched(result, sha256, trigger, null, process);
    } catch (error) {
      stats.scan_errors++;
      log.warn('YARA scan failed', { path, error: VigilError.wrap(error).message });
    }
  }

  function watchFolders(): void {
    for (const watcher of watchers) watcher.close();
    watchers = [];
    if (!bundle?.options.scan_on_write) return;
    for (const folder of bundle.options.watch_paths) {
      try {
        const watcher = watch(folder, { persistent: false }, (_kind, name) => {
          if (!name) return;
          const path = join(folder, name.toString());
          clearTimeout(timers.get(path));
          timers.set(path, setTimeout(() => {
            timers.delete(path);
            try {
              if (!statSync(path).isFile()) return;
            } catch {
              return;
            }
            void scanOne(path, 'write');
          }, debounceMs));
        });
        watcher.on('error', (error) => log.warn('watching a folder for YARA scans failed', { folder, error: error.message }));
        watchers.push(watcher);
      } catch (error) {
        log.warn('cannot watch folder for YARA scans', { folder, error: (error as Error).message });
      }
    }
  }

  async function use(next: RuleSetBundle, persist: boolean): Promise<void> {
    if (stopped) return;
    engine ??= createYaraEngine();
    let loaded: { ruleCount: number; ms: number; sets: string[] };
    try {
      loaded = await engine.load({ digest: next.digest, files: next.files, externals: next.externals });
    } catch (error) {
      if (!bundle) {
        // Nothing to scan with: do not keep an idle worker.
        const idle = engine;
        engine = undefined;
        await idle?.close();
      }
      throw error;
    }
    bundle = next;
    ruleCount = loaded.ruleCount;
    stats.rules = loaded.ruleCount;
    stats.ruleset_version = next.version;
    if (persist) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(`${bundleFile}.tmp`, JSON.stringify(next), { mode: 0o600 });
      renameSync(`${bundleFile}.tmp`, bundleFile);
    }
    watchFolders();
    log.info('YARA rule set in use', { name: next.name, version: next.version, rules: loaded.ruleCount, scan_sets: loaded.sets.join(','), compile_ms: loaded.ms, digest: next.digest.slice(0, 12) });
  }

  async function syncRuleSet(announced: { digest: string } | null): Promise<void> {
    if (!announced) {
      if (bundle) {
        log.info('the server has no active YARA rule set; scanning stops');
        const idle = engine;
        engine = undefined;
        bundle = undefined;
        await idle?.close();
        stats.rules = 0;
        stats.ruleset_version = 0;
        watchFolders();
      }
      return;
    }
    if (bundle?.digest === announced.digest) return;
    const result = await channel.post(yaraAgentPaths.ruleset, JSON.stringify({ digest: bundle?.digest ?? null }), 60_000);
    if (result.status !== 200) throw new VigilError('unavailable', `rule set download: HTTP ${result.status}: ${errorText(result)}`);
    const body = result.body as { ruleset?: unknown; not_modified?: boolean };
    if (body.not_modified || !body.ruleset) return;
    await use(await checkBundle(body.ruleset), true);
  }

  async function report(sweepId: string, state: 'running' | 'done' | 'failed', progress: Partial<ScanProgress>, hits: unknown[], error: string | null = null): Promise<boolean> {
    const result = await channel.post(yaraAgentPaths.progress(sweepId), JSON.stringify({ state, files: progress.files ?? 0, bytes: progress.bytes ?? 0, skipped: progress.skipped ?? 0, matches: progress.matches ?? 0, regions: progress.regions ?? 0, ruleset_digest: bundle?.digest ?? null, error, hits }), 30_000);
    if (result.status !== 200) throw new VigilError('unavailable', `sweep report: HTTP ${result.status}: ${errorText(result)}`);
    return (result.body as { cancel?: boolean }).cancel === true;
  }

  async function runSweep(sweep: { id: string; ruleset_digest: string; kind: string; paths: string[]; exclude: string[]; pids: number[]; cpu_budget: number; max_file_size: number; one_file_system: boolean }): Promise<void> {
    if (stopped) return;
    stats.sweeps++;
    const controller = new AbortController();
    const hits: unknown[] = [];
    let last: Partial<ScanProgress> = {};
    let sending = Promise.resolve();
    const flush = (state: 'running') =>
      (sending = sending.then(async () => {
        const batch = hits.splice(0);
        try {
          if (await report(sweep.id, state, last, batch)) controller.abort();
        } catch (error) {
          hits.unshift(...batch);
          log.warn('sweep progress not delivered; retried with the next report', { sweep: sweep.id, error: VigilError.wrap(error).message });
        }
      }));
    try {
      if (sweep.ruleset_digest !== bundle?.digest) await syncRuleSet({ digest: sweep.ruleset_digest });
      if (!bundle || !engine) throw new VigilError('conflict', 'no YARA rule set on this agent');
      if (await report(sweep.id, 'running', {}, [])) return;
      log.info('YARA sweep started', { sweep: sweep.id, kind: sweep.kind, paths: sweep.paths, cpu_budget: sweep.cpu_budget });
      const onProgress = (p: ScanProgress) => {
        last = p;
        void flush('running');
      };
      let summary: SweepSummary;
      if (sweep.kind === 'memory') {
        summary = await engine.scanMemory({ pids: sweep.pids, cpuBudget: sweep.cpu_budget }, {
          onProgress,
          onMatch: (hit) => {
            memoryMatched(hit, 'sweep', sweep.id);
            hits.push({ time: new Date().toISOString(), target: 'memory', path: hit.executable, pid: hit.pid, rule: hit.match.rule, namespace: hit.match.namespace, sha256: null });
          },
        }, controller.signal);
      } else {
        summary = await engine.sweep({ roots: sweep.paths, exclude: sweep.exclude, oneFileSystem: sweep.one_file_system, maxFileSize: sweep.max_file_size, cpuBudget: sweep.cpu_budget }, {
          onProgress,
          onMatch: (result, sha256) => {
            void fileMatched(result, sha256, 'sweep', sweep.id);
            for (const match of result.matches) hits.push({ time: new Date().toISOString(), target: 'file', path: result.path, pid: null, rule: match.rule, namespace: match.namespace, sha256 });
          },
        }, controller.signal);
      }
      last = summary;
      await sending;
      await report(sweep.id, 'done', summary, hits.splice(0), summary.aborted ? 'cancelled' : null);
      log.info('YARA sweep finished', { sweep: sweep.id, files: summary.files, matches: summary.matches, cpu_ms: summary.cpuMs, slept_ms: summary.sleptMs });
    } catch (error) {
      const message = VigilError.wrap(error).message;
      log.error('YARA sweep failed', { sweep: sweep.id, error: message });
      await sending;
      await report(sweep.id, 'failed', last, hits.splice(0), message).catch(() => undefined);
    }
  }

  function handleReply(reply: Readonly<Record<string, unknown>>): void {
    const announced = reply.yara_ruleset as { digest?: unknown } | null | undefined;
    if (announced !== undefined && !syncing) {
      const target = announced && typeof announced.digest === 'string' ? { digest: announced.digest } : null;
      syncing = syncRuleSet(target)
        .catch((error: unknown) => {
          stats.ruleset_errors++;
          log.error('YARA rule set not updated', { error: VigilError.wrap(error).message });
        })
        .finally(() => (syncing = undefined));
    }
    const sweeps = reply.yara_sweeps;
    if (!Array.isArray(sweeps)) return;
    for (const sweep of sweeps as Parameters<typeof runSweep>[0][]) {
      if (!sweep || typeof sweep.id !== 'string' || startedSweeps.has(sweep.id)) continue;
      startedSweeps.add(sweep.id);
      // One sweep at a time, after the rule set sync that this reply may have started.
      sweepQueue = sweepQueue.then(() => syncing).then(() => runSweep(sweep)).catch(() => undefined);
    }
  }

  const module: AgentYara = {
    name: 'yara',
    platforms: ['linux'],
    async start(eventSink) {
      sink = eventSink;
      stopped = false;
      started = true;
      active = module;
      if (existsSync(bundleFile)) {
        try {
          await use(await checkBundle(JSON.parse(readFileSync(bundleFile, 'utf8'))), false);
        } catch (error) {
          log.warn('the stored YARA rule set is not usable; waiting for the server', { error: VigilError.wrap(error).message });
        }
      }
      if (pendingReply) handleReply(pendingReply);
      pendingReply = undefined;
    },
    async stop() {
      stopped = true;
      started = false;
      if (active === module) active = undefined;
      for (const watcher of watchers) watcher.close();
      watchers = [];
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await engine?.close();
      engine = undefined;
      channel.close();
    },
    stats: () => ({ ...stats }),
    observe(event) {
      if (!bundle) return;
      const category = event['event.category'];
      const action = event['event.action'];
      if (category === 'process' && action === 'start' && bundle.options.scan_on_exec) {
        const executable = event['process.executable'];
        if (typeof executable === 'string' && executable.startsWith('/')) void scanOne(executable, 'exec', event);
        return;
      }
      // Executables created or written anywhere the agent's file telemetry watches (auditd path watches).
      if (category === 'file' && (action === 'create' || action === 'modify' || action === 'rename') && event['file.executable'] === true && bundle.options.scan_on_write) {
        const path = event['file.path'];
        if (typeof path !== 'string' || !path.startsWith('/')) return;
        clearTimeout(timers.get(path));
        timers.set(path, setTimeout(() => (timers.delete(path), void scanOne(path, 'write', event)), debounceMs));
      }
    },
    onHeartbeat(reply) {
      if (!started) {
        pendingReply = reply;
        return;
      }
      handleReply(reply);
    },
    async scanPaths(request, onProgress, signal) {
      if (!engine || !bundle) throw new VigilError('conflict', 'no YARA rule set on this agent yet: activate one on the server');
      const hits: { path: string; rules: string[]; sha256: string | null }[] = [];
      const summary = await engine.sweep({ roots: request.paths, exclude: request.exclude ?? [], oneFileSystem: false, maxFileSize: request.maxFileSize ?? bundle.options.max_file_size, cpuBudget: request.cpuBudget ?? 0.5 }, {
        ...(onProgress ? { onProgress } : {}),
        onMatch: (result, sha256) => {
          hits.push({ path: result.path, rules: result.matches.map((m) => m.rule), sha256 });
          void fileMatched(result, sha256, 'task', request.taskId);
        },
      }, signal);
      return { summary, hits };
    },
    async scanMemory(request, onProgress, signal) {
      if (!engine || !bundle) throw new VigilError('conflict', 'no YARA rule set on this agent yet: activate one on the server');
      const hits = new Map<number, string[]>();
      const summary = await engine.scanMemory({ pids: request.pids, cpuBudget: request.cpuBudget ?? 0.5 }, {
        ...(onProgress ? { onProgress } : {}),
        onMatch: (hit) => {
          hits.set(hit.pid, [...(hits.get(hit.pid) ?? []), hit.match.rule]);
          memoryMatched(hit, 'task', request.taskId);
        },
      }, signal);
      return { summary, hits: [...hits].map(([pid, rules]) => ({ pid, rules })) };
    },
    current: () => (bundle ? { name: bundle.name, version: bundle.version, digest: bundle.digest, ruleCount } : null),
  };
  return module;
}

function serverOf(endpoint: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  return { host: match?.[1] ?? endpoint, port: Number(match?.[2] ?? 0) };
}
