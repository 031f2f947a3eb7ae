// The change-records source: watches persistence points, account files, sudoers and service definitions with one
// inotify watch per directory plus a periodic rescan, and emits before/after records with diffs; polls /proc/modules.
// Never watches recursively, never reports a password hash, and keeps its baseline across restarts so changes made
// while the agent was stopped are reported at the next start.

import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import type { CollectedEvent } from '@vigil/schema';
import type { EventSink, EventSource } from '../core.js';
import { createUserNames } from '../internal/user-names.js';
import { parseGroup, parsePasswd, PRIVILEGED_GROUPS } from '../inventory/accounts.js';
import { parseProcModules } from '../inventory/kernel-modules.js';
import { createDirWatcher, type DirWatcher } from './dir-watcher.js';
import { changedFields, readFileState, statKey, type FileState, type ReadLimits } from './file-state.js';
import { recordsFor, renderShadow, type FileChange, type RecordContext } from './records.js';
import { pointFor, watchPoints, type WatchPoint } from './watch-points.js';

export interface ChangeSourceOptions {
  /** Where the baseline is kept between runs (`<stateDir>/changes-baseline.json`, mode 0600); none: memory only. */
  stateDir?: string;
  /** Seconds between full rescans (the safety net under inotify; default 60). */
  rescanSeconds?: number;
  /** Seconds between reads of /proc/modules (default 10). */
  modulesPollSeconds?: number;
  /** Quiet time after a file notification before the directory is read (ms, default 200; at most 10x that in a storm). */
  debounceMs?: number;
  /** Largest file whose text is kept and diffed (default 256 KiB). */
  maxContentBytes?: number;
  /** Largest file hashed (default 64 MiB). */
  maxHashBytes?: number;
  /** Longest change.before / change.after (default 8 KiB). */
  contentLimit?: number;
  /** Longest change.diff (default 16 KiB). */
  diffLimit?: number;
  /** Most entries read from one directory (default 10,000). */
  maxEntriesPerDir?: number;
  /** Called with the inventory tables a change made stale (users, groups, services, kernel_modules). */
  onChange?: (tables: string[]) => void;
  /** Replaces the host's watch points (tests watch a temporary tree). */
  points?: (users: ReturnType<typeof parsePasswd>) => WatchPoint[];
  passwdPath?: string;
  groupPath?: string;
  modulesPath?: string;
}

type Baseline = Map<string, Map<string, FileState>>;

interface SavedBaseline {
  version: 1;
  dirs: Record<string, Record<string, FileState>>;
  /** Every directory watched when saved (present or not): only their changes are reported at the next start. */
  watched: string[];
  modules: Record<string, number> | null;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function createChangeSource(options: ChangeSourceOptions = {}): EventSource {
  const rescanMs = (options.rescanSeconds ?? 60) * 1000;
  const modulesMs = (options.modulesPollSeconds ?? 10) * 1000;
  const debounceMs = options.debounceMs ?? 200;
  const maxEntries = options.maxEntriesPerDir ?? 10_000;
  const passwdPath = options.passwdPath ?? '/etc/passwd';
  const groupPath = options.groupPath ?? '/etc/group';
  const modulesPath = options.modulesPath ?? '/proc/modules';
  const limits: ReadLimits = { maxContentBytes: options.maxContentBytes ?? 256 * 1024, maxHashBytes: options.maxHashBytes ?? 64 * 1024 * 1024 };
  const names = createUserNames({ passwdPath, groupPath, recheckMs: 0 });
  const baselineFile = options.stateDir ? join(options.stateDir, 'changes-baseline.json') : undefined;
  const counters = { records: 0, scans: 0, rescans: 0, notifications: 0, capped_dirs: 0, baseline_errors: 0, module_records: 0 };
  let sink: EventSink | undefined;
  let baseline: Baseline = new Map();
  /** Directories of the saved baseline; a directory new to this version of the agent is recorded, not reported. */
  let savedDirs = new Set<string>();
  let modules: Map<string, number> | null = null;
  let points: WatchPoint[] = [];
  let dirs = new Map<string, WatchPoint[]>();
  let watcher: DirWatcher | undefined;
  const pending = new Set<string>();
  let flushTimer: NodeJS.Timeout | undefined;
  let firstPendingAt = 0;
  let rescanTimer: NodeJS.Timeout | undefined;
  let modulesTimer: NodeJS.Timeout | undefined;
  let saveTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  const context: RecordContext = {
    limits: { contentLimit: options.contentLimit ?? 8192, diffLimit: options.diffLimit ?? 16384 },
    names,
    privileged: (user) => parseGroup(readText(groupPath) ?? '').some((g) => PRIVILEGED_GROUPS.has(g.name) && g.members.includes(user)),
  };

  const staleTables = (point: WatchPoint): string[] => {
    switch (point.handler) {
      case 'accounts':
        return ['users', 'groups'];
      case 'systemd_unit':
      case 'systemd_wants':
      case 'sysv_script':
      case 'sysv_link':
        return ['services'];
      default:
        return [];
    }
  };

  /** Recomputes the watch points; a directory reachable under two names (merged /usr) is watched under the first. */
  const computePoints = () => {
    const all = (options.points ?? watchPoints)(parsePasswd(readText(passwdPath) ?? ''));
    const realOf = new Map<string, string>();
    const byDir = new Map<string, WatchPoint[]>();
    const kept: WatchPoint[] = [];
    for (const point of all) {
      let real = point.dir;
      try {
        real = realpathSync(point.dir);
      } catch {
        // missing for now
      }
      const owner = realOf.get(real);
      if (owner !== undefined && owner !== point.dir) continue;
      realOf.set(real, point.dir);
      kept.push(point);
      byDir.set(point.dir, [...(byDir.get(point.dir) ?? []), point]);
    }
    points = kept;
    dirs = byDir;
  };

  const scheduleSave = () => {
    if (!baselineFile || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      save();
    }, 2000);
    saveTimer.unref();
  };

  const save = () => {
    if (!baselineFile) return;
    const data: SavedBaseline = { version: 1, dirs: {}, watched: [...dirs.keys()], modules: modules ? Object.fromEntries(modules) : null };
    for (const [dir, entries] of baseline) data.dirs[dir] = Object.fromEntries(entries);
    try {
      mkdirSync(options.stateDir!, { recursive: true, mode: 0o700 });
      const tmp = `${baselineFile}.tmp`;
      writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
      renameSync(tmp, baselineFile);
    } catch (error) {
      counters.baseline_errors++;
      sink?.warn('change records: cannot save the baseline', { file: baselineFile, error: (error as Error).message });
    }
  };

  const load = (): boolean => {
    if (!baselineFile) return false;
    const text = readText(baselineFile);
    if (text === undefined) return false;
    try {
      const data = JSON.parse(text) as SavedBaseline;
      if (data.version !== 1 || typeof data.dirs !== 'object') throw new Error('unknown baseline version');
      baseline = new Map(Object.entries(data.dirs).map(([dir, entries]) => [dir, new Map(Object.entries(entries))]));
      savedDirs = new Set(Array.isArray(data.watched) ? data.watched : Object.keys(data.dirs));
      modules = data.modules ? new Map(Object.entries(data.modules)) : null;
      return true;
    } catch (error) {
      counters.baseline_errors++;
      sink?.warn('change records: the saved baseline is unreadable; starting from the current state', { file: baselineFile, error: (error as Error).message });
      return false;
    }
  };

  const emit = (events: CollectedEvent[]) => {
    for (const event of events) {
      counters.records++;
      sink?.emit(event);
    }
  };

  /** Reads one directory and reports what changed against the baseline (or only records it when `report` is false). */
  const scanDir = (dir: string, report: boolean): void => {
    const dirPoints = dirs.get(dir);
    if (!dirPoints) return;
    counters.scans++;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      entries = [];
    }
    if (entries.length > maxEntries) {
      counters.capped_dirs++;
      entries = entries.sort().slice(0, maxEntries);
    }
    const known = baseline.get(dir) ?? new Map<string, FileState>();
    const next = new Map<string, FileState>();
    const changes: FileChange[] = [];
    for (const name of entries) {
      const point = pointFor(dirPoints, dir, name);
      if (!point) continue;
      const path = join(dir, name);
      const previous = known.get(name);
      let key: string;
      try {
        const st = lstatSync(path);
        if (!st.isFile() && !st.isSymbolicLink()) continue;
        key = statKey(st);
      } catch {
        continue;
      }
      if (previous && previous.statKey === key) {
        next.set(name, previous);
        continue;
      }
      const render = point.handler === 'accounts' && name === 'shadow' ? renderShadow : undefined;
      const state = readFileState(path, limits, render);
      if (!state) continue;
      next.set(name, state);
      if (!previous) changes.push({ path, point, after: state, fields: [] });
      else {
        const fields = changedFields(previous, state);
        if (fields.length) changes.push({ path, point, before: previous, after: state, fields });
      }
    }
    for (const [name, previous] of known) {
      if (next.has(name)) continue;
      const point = pointFor(dirPoints, dir, name);
      if (point) changes.push({ path: join(dir, name), point, before: previous, fields: [] });
    }
    if (next.size) baseline.set(dir, next);
    else baseline.delete(dir);
    if (!changes.length) return;
    scheduleSave();
    if (!report) return;
    const stale = new Set<string>();
    for (const change of changes) {
      emit(recordsFor(change, context));
      for (const table of staleTables(change.point)) stale.add(table);
    }
    if (stale.size) options.onChange?.([...stale]);
  };

  /** Recomputes points and watches; scans directories that became watchable (a new ~/.ssh, a new .wants directory). */
  const refreshWatches = (report: boolean) => {
    const before = new Set(watcher?.watched() ?? []);
    computePoints();
    for (const dir of baseline.keys()) if (!dirs.has(dir)) baseline.delete(dir);
    watcher?.set(dirs.keys());
    for (const dir of watcher?.watched() ?? []) if (!before.has(dir)) scanDir(dir, report);
  };

  const flush = () => {
    flushTimer = undefined;
    firstPendingAt = 0;
    if (stopped) return;
    const batch = [...pending];
    pending.clear();
    try {
      for (const dir of batch) scanDir(dir, true);
      refreshWatches(true);
    } catch (error) {
      sink?.warn('change records: scan failed', { error: VigilError.wrap(error).message });
    }
  };

  const onNotification = (dir: string) => {
    counters.notifications++;
    pending.add(dir);
    const now = Date.now();
    if (!firstPendingAt) firstPendingAt = now;
    if (flushTimer) clearTimeout(flushTimer);
    // Quiet period after the last notification, but never longer than 10x that after the first of a storm.
    const wait = Math.max(0, Math.min(debounceMs, firstPendingAt + debounceMs * 10 - now));
    flushTimer = setTimeout(flush, wait);
  };

  const rescan = (report: (dir: string) => boolean) => {
    counters.rescans++;
    computePoints();
    for (const dir of baseline.keys()) if (!dirs.has(dir)) baseline.delete(dir);
    watcher?.set(dirs.keys());
    for (const dir of dirs.keys()) scanDir(dir, report(dir));
  };

  const pollModules = (report: boolean) => {
    const text = readText(modulesPath);
    if (text === undefined) return;
    const now = new Map(parseProcModules(text).modules.map((m) => [m.name, m.size]));
    const old = modules;
    modules = now;
    if (!old) return scheduleSave();
    const events: CollectedEvent[] = [];
    const record = (action: 'load' | 'unload', name: string, size: number | undefined) =>
      ({
        '@timestamp': new Date().toISOString(),
        'event.category': 'driver',
        'event.action': action,
        'event.type': action === 'load' ? 'start' : 'end',
        'event.outcome': 'success',
        'event.provider': 'procfs',
        'driver.name': name,
        ...(size !== undefined ? { 'driver.size': size } : {}),
        message: `kernel module ${name} ${action === 'load' ? 'appeared in' : 'left'} /proc/modules`,
      }) as unknown as CollectedEvent;
    for (const [name, size] of now) if (!old.has(name)) events.push(record('load', name, size));
    for (const [name, size] of old) if (!now.has(name)) events.push(record('unload', name, size));
    if (!events.length) return;
    scheduleSave();
    if (!report) return;
    counters.module_records += events.length;
    emit(events);
    options.onChange?.(['kernel_modules']);
  };

  return {
    name: 'changes',
    platforms: ['linux'],
    async start(target) {
      sink = target;
      stopped = false;
      const hadBaseline = load();
      watcher = createDirWatcher((dir) => onNotification(dir));
      // The first scan records the state; with a saved baseline it also reports what changed while stopped.
      rescan((dir) => hadBaseline && savedDirs.has(dir));
      pollModules(hadBaseline);
      save();
      rescanTimer = setInterval(() => {
        try {
          rescan(() => true);
        } catch (error) {
          sink?.warn('change records: rescan failed', { error: VigilError.wrap(error).message });
        }
      }, rescanMs);
      rescanTimer.unref();
      modulesTimer = setInterval(() => pollModules(true), modulesMs);
      modulesTimer.unref();
    },
    async stop() {
      stopped = true;
      if (flushTimer) clearTimeout(flushTimer);
      if (rescanTimer) clearInterval(rescanTimer);
      if (modulesTimer) clearInterval(modulesTimer);
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = undefined;
      watcher?.close();
      if (sink) save();
    },
    stats() {
      let tracked = 0;
      for (const entries of baseline.values()) tracked += entries.size;
      return { ...counters, watches: watcher?.watched().length ?? 0, tracked_files: tracked, points: points.length };
    },
  };
}
