// The YARA database (SQLite `yara.sqlite`): rule sets as their source files with options, compile report and the
// digest agents verify; fleet sweeps with per-host progress and hits; sweep schedules. Never compiles or scans
// anything itself; every write is one transaction.

import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { VigilError } from '@vigil/common';
import type { CompileProblem, RuleFile } from '@vigil/yara';
import { SqliteFile } from '../sqlite-file.js';

/** What agents do with a rule set besides answering sweeps (docs/yara.md). */
export interface RuleSetOptions {
  /** Scan an executable when a process starts from it (exec events of the agent's own sources). */
  scanOnExec: boolean;
  /** Watch these folders (not recursive) and scan files written in them. */
  scanOnWrite: boolean;
  watchPaths: string[];
  /** Quarantine a file that matched (through the agent's file.quarantine handler). */
  quarantineOnHit: boolean;
  /** Files larger than this are not scanned. */
  maxFileSize: number;
}

export const defaultRuleSetOptions: RuleSetOptions = {
  scanOnExec: true,
  scanOnWrite: true,
  watchPaths: ['/tmp', '/var/tmp', '/dev/shm'],
  quarantineOnHit: false,
  maxFileSize: 64 * 1024 * 1024,
};

export interface RuleSetReport {
  ruleCount: number;
  files: number;
  errors: number;
  warnings: number;
  compileMs: number;
  /** Problems (errors first), at most 500. */
  problems: CompileProblem[];
}

export interface RuleSetRecord {
  name: string;
  description: string;
  version: number;
  digest: string;
  active: boolean;
  options: RuleSetOptions;
  externals: Record<string, string>;
  report: RuleSetReport;
  fileNames: string[];
  updatedAt: string;
  updatedBy: string;
}

export type SweepKind = 'paths' | 'memory';
/** `timed_out`: the host missed its deadline or the sweep's (the reason is in `error`); like `cancelled`, it is final. */
export type HostSweepState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'timed_out';

export interface SweepSpec {
  kind: SweepKind;
  /** Roots for path sweeps. */
  paths: string[];
  exclude: string[];
  /** Pids for memory sweeps; empty: every process. */
  pids: number[];
  /** Share of one core the agent may use for the sweep. */
  cpuBudget: number;
  maxFileSize: number;
  oneFileSystem: boolean;
  /** Per-host deadline: a host must start within this many seconds of the sweep's creation and finish within as many of its start. Absent in sweeps stored before deadlines existed: none. */
  hostTimeoutS?: number;
  /** Overall deadline, seconds after creation: hosts not finished by then are timed out. Absent: none. */
  timeoutS?: number;
}

export interface HostProgress {
  hostId: string;
  state: HostSweepState;
  files: number;
  bytes: number;
  skipped: number;
  matches: number;
  regions: number;
  rulesetDigest: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string | null;
  error: string | null;
}

export interface YaraSweepRecord {
  id: string;
  spec: SweepSpec;
  rulesetName: string;
  rulesetDigest: string;
  createdAt: string;
  createdBy: string;
  scheduleId: string | null;
  /**
   * queued until a host starts, running while any host is queued or running, then done when a host finished;
   * otherwise cancelled (every host cancelled), timed_out (some host timed out) or failed.
   */
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'timed_out';
  hosts: HostProgress[];
}

export interface SweepHit {
  hostId: string;
  time: string;
  target: 'file' | 'memory';
  path: string | null;
  pid: number | null;
  rule: string;
  namespace: string;
  sha256: string | null;
}

export interface ScheduleRecord {
  id: string;
  name: string;
  spec: SweepSpec;
  /** Null: every enrolled host at the time of each run. */
  hostIds: string[] | null;
  intervalSeconds: number;
  nextRunAt: string;
  enabled: boolean;
  lastSweepId: string | null;
  createdBy: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rulesets (
  name TEXT PRIMARY KEY, description TEXT NOT NULL, version INTEGER NOT NULL, digest TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 0,
  options TEXT NOT NULL, externals TEXT NOT NULL, report TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ruleset_files (
  ruleset TEXT NOT NULL REFERENCES rulesets(name) ON DELETE CASCADE, position INTEGER NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (ruleset, name));
CREATE TABLE IF NOT EXISTS sweeps (
  id TEXT PRIMARY KEY, spec TEXT NOT NULL, ruleset_name TEXT NOT NULL, ruleset_digest TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL, schedule_id TEXT);
CREATE INDEX IF NOT EXISTS sweeps_created ON sweeps (created_at);
CREATE TABLE IF NOT EXISTS sweep_hosts (
  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, host_id TEXT NOT NULL, state TEXT NOT NULL, files INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, matches INTEGER NOT NULL DEFAULT 0, regions INTEGER NOT NULL DEFAULT 0,
  ruleset_digest TEXT, started_at TEXT, finished_at TEXT, updated_at TEXT, error TEXT, PRIMARY KEY (sweep_id, host_id));
CREATE INDEX IF NOT EXISTS sweep_hosts_pending ON sweep_hosts (host_id, state);
CREATE TABLE IF NOT EXISTS sweep_hits (
  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, host_id TEXT NOT NULL, time TEXT NOT NULL, target TEXT NOT NULL, path TEXT, pid INTEGER,
  rule TEXT NOT NULL, namespace TEXT NOT NULL, sha256 TEXT);
CREATE INDEX IF NOT EXISTS sweep_hits_sweep ON sweep_hits (sweep_id, host_id);
CREATE TABLE IF NOT EXISTS schedules (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL, host_ids TEXT, interval_s INTEGER NOT NULL, next_run_at TEXT NOT NULL,
  enabled INTEGER NOT NULL, last_sweep_id TEXT, created_by TEXT NOT NULL);
`;

interface RuleSetRow {
  name: string; description: string; version: number; digest: string; active: number; options: string; externals: string; report: string; updated_at: string; updated_by: string;
}

/** Most hits kept per sweep and host (alerts carry every hit; this is the sweep's overview). */
export const MAX_HITS_PER_HOST = 1000;

export class YaraDb {
  readonly #file: SqliteFile;

  constructor(file: string) {
    this.#file = new SqliteFile(file, 'YARA database', { synchronous: 'FULL', schema: SCHEMA });
  }

  #statement(sql: string): Database.Statement {
    return this.#file.statement(sql);
  }

  close(): void {
    this.#file.close();
  }

  // ---- rule sets ----

  #ruleSet(row: RuleSetRow): RuleSetRecord {
    const files = (this.#statement('SELECT name FROM ruleset_files WHERE ruleset = ? ORDER BY position').all(row.name) as { name: string }[]).map((r) => r.name);
    return {
      name: row.name,
      description: row.description,
      version: row.version,
      digest: row.digest,
      active: row.active === 1,
      options: { ...defaultRuleSetOptions, ...(JSON.parse(row.options) as Partial<RuleSetOptions>) },
      externals: JSON.parse(row.externals) as Record<string, string>,
      report: JSON.parse(row.report) as RuleSetReport,
      fileNames: files,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  /** Stores a new version of a rule set (files replaced); `activate` makes it the one agents receive. */
  putRuleSet(input: { name: string; description: string; files: readonly RuleFile[]; options: RuleSetOptions; externals: Record<string, string>; digest: string; report: RuleSetReport; activate: boolean }, actor: string): RuleSetRecord {
    const now = new Date().toISOString();
    this.#file.db.transaction(() => {
      const current = this.#statement('SELECT version, active FROM rulesets WHERE name = ?').get(input.name) as { version: number; active: number } | undefined;
      const active = input.activate || current?.active === 1;
      if (input.activate) this.#statement('UPDATE rulesets SET active = 0').run();
      this.#statement(
        `INSERT INTO rulesets (name, description, version, digest, active, options, externals, report, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, version = excluded.version, digest = excluded.digest, active = excluded.active,
         options = excluded.options, externals = excluded.externals, report = excluded.report, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ).run(input.name, input.description, (current?.version ?? 0) + 1, input.digest, active ? 1 : 0, JSON.stringify(input.options), JSON.stringify(input.externals), JSON.stringify(input.report), now, actor);
      this.#statement('DELETE FROM ruleset_files WHERE ruleset = ?').run(input.name);
      const insert = this.#statement('INSERT INTO ruleset_files (ruleset, position, name, text) VALUES (?, ?, ?, ?)');
      input.files.forEach((file, position) => insert.run(input.name, position, file.name, file.text));
    })();
    return this.getRuleSet(input.name)!;
  }

  getRuleSet(name: string): RuleSetRecord | undefined {
    const row = this.#statement('SELECT * FROM rulesets WHERE name = ?').get(name) as RuleSetRow | undefined;
    return row ? this.#ruleSet(row) : undefined;
  }

  listRuleSets(): RuleSetRecord[] {
    return (this.#statement('SELECT * FROM rulesets ORDER BY name').all() as RuleSetRow[]).map((row) => this.#ruleSet(row));
  }

  ruleSetFiles(name: string): RuleFile[] {
    return this.#statement('SELECT name, text FROM ruleset_files WHERE ruleset = ? ORDER BY position').all(name) as RuleFile[];
  }

  activeRuleSet(): RuleSetRecord | undefined {
    const row = this.#statement('SELECT * FROM rulesets WHERE active = 1').get() as RuleSetRow | undefined;
    return row ? this.#ruleSet(row) : undefined;
  }

  /** Makes `name` the active set (or none for null). */
  activate(name: string | null): void {
    this.#file.db.transaction(() => {
      if (name !== null && !this.#statement('SELECT 1 FROM rulesets WHERE name = ?').get(name)) throw new VigilError('not_found', `no rule set ${name}`);
      this.#statement('UPDATE rulesets SET active = 0').run();
      if (name !== null) this.#statement('UPDATE rulesets SET active = 1 WHERE name = ?').run(name);
    })();
  }

  deleteRuleSet(name: string): boolean {
    return this.#statement('DELETE FROM rulesets WHERE name = ?').run(name).changes > 0;
  }

  // ---- sweeps ----

  createSweep(spec: SweepSpec, hostIds: readonly string[], ruleSet: { name: string; digest: string }, actor: string, scheduleId: string | null = null): YaraSweepRecord {
    const id = randomUUID();
    const now = new Date().toISOString();
    this.#file.db.transaction(() => {
      this.#statement('INSERT INTO sweeps (id, spec, ruleset_name, ruleset_digest, created_at, created_by, schedule_id) VALUES (?, ?, ?, ?, ?, ?, ?)').run(id, JSON.stringify(spec), ruleSet.name, ruleSet.digest, now, actor, scheduleId);
      const host = this.#statement("INSERT INTO sweep_hosts (sweep_id, host_id, state, updated_at) VALUES (?, ?, 'queued', ?)");
      for (const hostId of new Set(hostIds)) host.run(id, hostId, now);
    })();
    return this.getSweep(id)!;
  }

  getSweep(id: string): YaraSweepRecord | undefined {
    const row = this.#statement('SELECT * FROM sweeps WHERE id = ?').get(id) as { id: string; spec: string; ruleset_name: string; ruleset_digest: string; created_at: string; created_by: string; schedule_id: string | null } | undefined;
    if (!row) return undefined;
    const hosts = (this.#statement('SELECT * FROM sweep_hosts WHERE sweep_id = ? ORDER BY host_id').all(id) as {
      host_id: string; state: string; files: number; bytes: number; skipped: number; matches: number; regions: number; ruleset_digest: string | null; started_at: string | null; finished_at: string | null; updated_at: string | null; error: string | null;
    }[]).map((h): HostProgress => ({
      hostId: h.host_id, state: h.state as HostSweepState, files: h.files, bytes: h.bytes, skipped: h.skipped, matches: h.matches, regions: h.regions,
      rulesetDigest: h.ruleset_digest, startedAt: h.started_at, finishedAt: h.finished_at, updatedAt: h.updated_at, error: h.error,
    }));
    const states = hosts.map((h) => h.state);
    const state: YaraSweepRecord['state'] =
      !states.length || states.every((s) => s === 'cancelled') ? 'cancelled'
        : states.some((s) => s === 'running') || (states.some((s) => s === 'queued') && states.some((s) => s !== 'queued')) ? 'running'
          : states.every((s) => s === 'queued') ? 'queued'
            : states.some((s) => s === 'done') ? 'done'
              : states.some((s) => s === 'timed_out') ? 'timed_out' : 'failed';
    return { id: row.id, spec: JSON.parse(row.spec) as SweepSpec, rulesetName: row.ruleset_name, rulesetDigest: row.ruleset_digest, createdAt: row.created_at, createdBy: row.created_by, scheduleId: row.schedule_id, state, hosts };
  }

  listSweeps(limit = 100): YaraSweepRecord[] {
    return (this.#statement('SELECT id FROM sweeps ORDER BY created_at DESC LIMIT ?').all(Math.min(Math.max(limit, 1), 1000)) as { id: string }[]).map((r) => this.getSweep(r.id)!);
  }

  /**
   * Sweeps a host has not finished (heartbeat reply), oldest first, with their spec. Running ones are listed too: an
   * agent that restarted mid-sweep starts it again (a running agent ignores sweeps it already runs).
   */
  pendingSweeps(hostId: string): { id: string; spec: SweepSpec; rulesetDigest: string }[] {
    return (this.#statement("SELECT s.id, s.spec, s.ruleset_digest FROM sweep_hosts h JOIN sweeps s ON s.id = h.sweep_id WHERE h.host_id = ? AND h.state IN ('queued', 'running') ORDER BY s.created_at LIMIT 10").all(hostId) as { id: string; spec: string; ruleset_digest: string }[]).map((r) => ({ id: r.id, spec: JSON.parse(r.spec) as SweepSpec, rulesetDigest: r.ruleset_digest }));
  }

  /** Records an agent's report; a host whose sweep was cancelled stays cancelled. Returns false for an unknown (sweep, host). */
  recordProgress(sweepId: string, hostId: string, report: { state: HostSweepState; files: number; bytes: number; skipped: number; matches: number; regions: number; rulesetDigest: string | null; error: string | null }, hits: readonly SweepHit[]): boolean {
    const now = new Date().toISOString();
    return this.#file.db.transaction(() => {
      const current = this.#statement('SELECT state FROM sweep_hosts WHERE sweep_id = ? AND host_id = ?').get(sweepId, hostId) as { state: string } | undefined;
      if (!current) return false;
      if (current.state !== 'cancelled' && current.state !== 'timed_out') {
        const finished = report.state === 'done' || report.state === 'failed' ? now : null;
        this.#statement(
          `UPDATE sweep_hosts SET state = ?, files = ?, bytes = ?, skipped = ?, matches = ?, regions = ?, ruleset_digest = coalesce(?, ruleset_digest), error = ?,
           started_at = coalesce(started_at, ?), finished_at = coalesce(?, finished_at), updated_at = ? WHERE sweep_id = ? AND host_id = ?`,
        ).run(report.state, report.files, report.bytes, report.skipped, report.matches, report.regions, report.rulesetDigest, report.error, now, finished, now, sweepId, hostId);
      }
      const stored = (this.#statement('SELECT count(*) AS n FROM sweep_hits WHERE sweep_id = ? AND host_id = ?').get(sweepId, hostId) as { n: number }).n;
      const insert = this.#statement('INSERT INTO sweep_hits (sweep_id, host_id, time, target, path, pid, rule, namespace, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const hit of hits.slice(0, Math.max(0, MAX_HITS_PER_HOST - stored))) insert.run(sweepId, hostId, hit.time, hit.target, hit.path, hit.pid, hit.rule, hit.namespace, hit.sha256);
      return true;
    })();
  }

  /** Cancels the hosts that have not finished; returns how many. */
  cancelSweep(sweepId: string): number {
    return this.#statement("UPDATE sweep_hosts SET state = 'cancelled', updated_at = ? WHERE sweep_id = ? AND state IN ('queued', 'running')").run(new Date().toISOString(), sweepId).changes;
  }

  /** Whether the agent should stop a running sweep (cancelled on the server). */
  isCancelled(sweepId: string, hostId: string): boolean {
    const state = (this.#statement('SELECT state FROM sweep_hosts WHERE sweep_id = ? AND host_id = ?').get(sweepId, hostId) as { state: string } | undefined)?.state;
    return state === 'cancelled' || state === 'timed_out';
  }

  /**
   * Marks `timed_out`, with the reason in `error`, every unfinished host past a deadline at `now`: the sweep's overall
   * deadline (created + timeoutS), or its own (not started within hostTimeoutS of creation, or not finished within
   * hostTimeoutS of its start). Returns the hosts marked, per sweep.
   */
  expireSweeps(now: Date): { sweepId: string; hostId: string; reason: string }[] {
    const at = now.getTime();
    const stamp = now.toISOString();
    const rows = this.#statement("SELECT h.sweep_id, h.host_id, h.started_at, h.updated_at, s.spec, s.created_at FROM sweep_hosts h JOIN sweeps s ON s.id = h.sweep_id WHERE h.state IN ('queued', 'running')").all() as { sweep_id: string; host_id: string; started_at: string | null; updated_at: string | null; spec: string; created_at: string }[];
    const expired: { sweepId: string; hostId: string; reason: string }[] = [];
    for (const row of rows) {
      const spec = JSON.parse(row.spec) as SweepSpec;
      const created = Date.parse(row.created_at);
      let reason: string | undefined;
      if (spec.timeoutS !== undefined && at >= created + spec.timeoutS * 1000) reason = `the sweep's deadline passed (${spec.timeoutS} s after it was created) before this host finished`;
      else if (spec.hostTimeoutS !== undefined && row.started_at === null && at >= created + spec.hostTimeoutS * 1000) reason = `the host did not start the sweep within ${spec.hostTimeoutS} s (offline, or no heartbeat since)`;
      else if (spec.hostTimeoutS !== undefined && row.started_at !== null && at >= Date.parse(row.started_at) + spec.hostTimeoutS * 1000) reason = `the host did not finish within ${spec.hostTimeoutS} s of starting (last report at ${row.updated_at ?? row.started_at})`;
      if (reason) expired.push({ sweepId: row.sweep_id, hostId: row.host_id, reason });
    }
    if (expired.length) {
      const mark = this.#statement("UPDATE sweep_hosts SET state = 'timed_out', error = ?, finished_at = ?, updated_at = ? WHERE sweep_id = ? AND host_id = ? AND state IN ('queued', 'running')");
      this.#file.db.transaction(() => {
        for (const e of expired) mark.run(e.reason, stamp, stamp, e.sweepId, e.hostId);
      })();
    }
    return expired;
  }

  /** Hosts per state over every stored sweep, and the running time of every host that finished (metrics). */
  sweepHostStats(): { states: Record<string, number>; durations: { state: HostSweepState; seconds: number }[] } {
    const states: Record<string, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, timed_out: 0 };
    for (const row of this.#statement('SELECT state, count(*) AS n FROM sweep_hosts GROUP BY state').all() as { state: string; n: number }[]) states[row.state] = row.n;
    const durations = this.#statement("SELECT state, (julianday(finished_at) - julianday(started_at)) * 86400.0 AS seconds FROM sweep_hosts WHERE started_at IS NOT NULL AND finished_at IS NOT NULL AND state IN ('done', 'failed', 'timed_out')").all() as { state: HostSweepState; seconds: number }[];
    return { states, durations };
  }

  sweepHits(sweepId: string, limit = 10_000): SweepHit[] {
    return (this.#statement('SELECT * FROM sweep_hits WHERE sweep_id = ? ORDER BY time, host_id LIMIT ?').all(sweepId, limit) as { host_id: string; time: string; target: string; path: string | null; pid: number | null; rule: string; namespace: string; sha256: string | null }[]).map((r) => ({
      hostId: r.host_id, time: r.time, target: r.target as 'file' | 'memory', path: r.path, pid: r.pid, rule: r.rule, namespace: r.namespace, sha256: r.sha256,
    }));
  }

  // ---- schedules ----

  createSchedule(input: { name: string; spec: SweepSpec; hostIds: string[] | null; intervalSeconds: number; enabled: boolean }, actor: string): ScheduleRecord {
    const id = randomUUID();
    try {
      this.#statement('INSERT INTO schedules (id, name, spec, host_ids, interval_s, next_run_at, enabled, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        id, input.name, JSON.stringify(input.spec), input.hostIds ? JSON.stringify(input.hostIds) : null, input.intervalSeconds, new Date().toISOString(), input.enabled ? 1 : 0, actor,
      );
    } catch (error) {
      if (String(error).includes('UNIQUE')) throw new VigilError('conflict', `a schedule named ${input.name} exists`, { location: { path: 'name' } });
      throw error;
    }
    return this.listSchedules().find((s) => s.id === id)!;
  }

  listSchedules(): ScheduleRecord[] {
    return (this.#statement('SELECT * FROM schedules ORDER BY name').all() as { id: string; name: string; spec: string; host_ids: string | null; interval_s: number; next_run_at: string; enabled: number; last_sweep_id: string | null; created_by: string }[]).map((r) => ({
      id: r.id, name: r.name, spec: JSON.parse(r.spec) as SweepSpec, hostIds: r.host_ids ? (JSON.parse(r.host_ids) as string[]) : null, intervalSeconds: r.interval_s, nextRunAt: r.next_run_at,
      enabled: r.enabled === 1, lastSweepId: r.last_sweep_id, createdBy: r.created_by,
    }));
  }

  scheduleRan(id: string, sweepId: string | null, nextRunAt: string): void {
    this.#statement('UPDATE schedules SET last_sweep_id = coalesce(?, last_sweep_id), next_run_at = ? WHERE id = ?').run(sweepId, nextRunAt, id);
  }

  deleteSchedule(id: string): boolean {
    return this.#statement('DELETE FROM schedules WHERE id = ?').run(id).changes > 0;
  }
}
