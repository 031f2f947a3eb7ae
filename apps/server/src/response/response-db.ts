// Storage of the response subsystem in response.sqlite: tasks and their states, confirmation tokens, policies and
// their hits, host tags, and the append-only audit log. Synchronous and durable (FULL); no business rules here.

import { join } from 'node:path';
import { SqliteFile } from '../sqlite-file.js';
import { AUDIT_SCHEMA, AuditLog, loadOrCreateChainKey } from './audit-log.js';

export type TaskState = 'awaiting_approval' | 'queued' | 'delivered' | 'running' | 'succeeded' | 'failed' | 'expired' | 'cancelled';
export const taskStates: readonly TaskState[] = ['awaiting_approval', 'queued', 'delivered', 'running', 'succeeded', 'failed', 'expired', 'cancelled'];
export const finalStates: readonly TaskState[] = ['succeeded', 'failed', 'expired', 'cancelled'];

export interface TaskRow {
  id: string;
  batch_id: string;
  agent_id: string;
  action: string;
  args: string;
  reason: string;
  issued_by: string;
  requested_by: string;
  policy_id: string | null;
  alert_id: string | null;
  state: TaskState;
  created_at: string;
  updated_at: string;
  ttl_s: number;
  expires_at: string;
  envelope: string | null;
  needs_approval: number;
  approved_by: string | null;
  approved_at: string | null;
  approval_comment: string | null;
  queued_at: string | null;
  delivered_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  progress: string | null;
  outcome: string | null;
  error: string | null;
  refusal: string | null;
  cancel_requested_by: string | null;
  cancel_envelope: string | null;
  cancel_sent: number;
  redeliver: number;
  deliveries: number;
}

export interface PolicyRow {
  id: string;
  name: string;
  description: string;
  enabled: number;
  dry_run: number;
  match: string;
  actions: string;
  max_hosts: number;
  window_s: number;
  require_approval: number;
  task_ttl_s: number;
  approval_timeout_s: number;
  paused_at: string | null;
  paused_reason: string | null;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, agent_id TEXT NOT NULL, action TEXT NOT NULL, args TEXT NOT NULL,
  reason TEXT NOT NULL, issued_by TEXT NOT NULL, requested_by TEXT NOT NULL, policy_id TEXT, alert_id TEXT,
  state TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, ttl_s INTEGER NOT NULL, expires_at TEXT NOT NULL,
  envelope TEXT, needs_approval INTEGER NOT NULL DEFAULT 0, approved_by TEXT, approved_at TEXT, approval_comment TEXT,
  queued_at TEXT, delivered_at TEXT, started_at TEXT, finished_at TEXT, progress TEXT, outcome TEXT, error TEXT, refusal TEXT,
  cancel_requested_by TEXT, cancel_envelope TEXT, cancel_sent INTEGER NOT NULL DEFAULT 0,
  redeliver INTEGER NOT NULL DEFAULT 0, deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tasks_agent_state ON tasks(agent_id, state);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
CREATE INDEX IF NOT EXISTS tasks_batch ON tasks(batch_id);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created_at);
CREATE TABLE IF NOT EXISTS confirmations (
  token_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, fingerprint TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL, used_at TEXT);
CREATE TABLE IF NOT EXISTS policies (
  id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, description TEXT NOT NULL, enabled INTEGER NOT NULL, dry_run INTEGER NOT NULL,
  match TEXT NOT NULL, actions TEXT NOT NULL, max_hosts INTEGER NOT NULL, window_s INTEGER NOT NULL,
  require_approval INTEGER NOT NULL, task_ttl_s INTEGER NOT NULL, approval_timeout_s INTEGER NOT NULL,
  paused_at TEXT, paused_reason TEXT, created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policy_hits (
  policy_id TEXT NOT NULL, host_id TEXT NOT NULL, alert_id TEXT NOT NULL, time_ms INTEGER NOT NULL, dry_run INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS policy_hits_window ON policy_hits(policy_id, time_ms);
CREATE TABLE IF NOT EXISTS host_tags (host_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (host_id, tag));
CREATE INDEX IF NOT EXISTS host_tags_tag ON host_tags(tag);
${AUDIT_SCHEMA}
`;

export class ResponseDb {
  readonly file: SqliteFile;
  readonly audit: AuditLog;

  /** Opens `<dataDir>/response.sqlite`; the audit chain key lives in `<dataDir>/pki/response-audit.key`. */
  constructor(dataDir: string) {
    this.file = new SqliteFile(join(dataDir, 'response.sqlite'), 'response database', { synchronous: 'FULL', schema: SCHEMA });
    this.audit = new AuditLog(this.file, loadOrCreateChainKey(join(dataDir, 'pki', 'response-audit.key')));
  }

  transaction<T>(fn: () => T): T {
    return this.file.db.transaction(fn)();
  }

  close(): void {
    this.file.close();
  }

  // ---- tasks ----

  insertTask(row: TaskRow): void {
    const columns = Object.keys(row);
    this.file.statement(`INSERT INTO tasks (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row);
  }

  task(id: string): TaskRow | undefined {
    return this.file.statement('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
  }

  /** Sets columns of a task; `whereState` guards the transition (returns false when the task was in another state). */
  updateTask(id: string, change: Partial<TaskRow>, whereState?: readonly TaskState[]): boolean {
    const columns = Object.keys(change);
    const guard = whereState ? ` AND state IN (${whereState.map((_, i) => `@__s${i}`).join(', ')})` : '';
    const sql = `UPDATE tasks SET ${columns.map((c) => `${c} = @${c}`).join(', ')}, updated_at = @__now WHERE id = @__id${guard}`;
    const params: Record<string, unknown> = { ...change, __now: new Date().toISOString(), __id: id };
    whereState?.forEach((state, i) => (params[`__s${i}`] = state));
    return this.file.statement(sql).run(params).changes === 1;
  }

  listTasks(filter: { state?: TaskState; hostId?: string; action?: string; batchId?: string; policyId?: string; before?: string; limit: number }): TaskRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => (where.push(sql), params.push(value));
    if (filter.state) add('state = ?', filter.state);
    if (filter.hostId) add('agent_id = ?', filter.hostId);
    if (filter.action) add('action = ?', filter.action);
    if (filter.batchId) add('batch_id = ?', filter.batchId);
    if (filter.policyId) add('policy_id = ?', filter.policyId);
    if (filter.before) add('created_at < ?', filter.before);
    return this.file.db.prepare(`SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`).all(...params, filter.limit) as TaskRow[];
  }

  /** Queued tasks, redeliveries and unsent cancellations of one agent (what its next poll answer carries). */
  pendingFor(agentId: string): TaskRow[] {
    return this.file
      .statement(`SELECT * FROM tasks WHERE agent_id = ? AND (state = 'queued' OR redeliver = 1 OR (cancel_envelope IS NOT NULL AND cancel_sent = 0)) ORDER BY created_at LIMIT 100`)
      .all(agentId) as TaskRow[];
  }

  tasksInStates(states: readonly TaskState[], agentId?: string): TaskRow[] {
    const sql = `SELECT * FROM tasks WHERE state IN (${states.map(() => '?').join(', ')})${agentId ? ' AND agent_id = ?' : ''} ORDER BY created_at`;
    return this.file.db.prepare(sql).all(...states, ...(agentId ? [agentId] : [])) as TaskRow[];
  }

  /** Tasks the expiry tick may have to move: past their deadline while waiting, delivered long ago, or running. */
  dueTasks(nowIso: string, lostBeforeIso: string): TaskRow[] {
    return this.file
      .statement(
        `SELECT * FROM tasks WHERE (state IN ('queued', 'awaiting_approval') AND expires_at <= ?) OR (state = 'delivered' AND expires_at <= ?) OR state = 'running' ORDER BY created_at LIMIT 5000`,
      )
      .all(nowIso, lostBeforeIso) as TaskRow[];
  }

  stateCounts(): { state: string; count: number }[] {
    return this.file.statement('SELECT state, count(*) AS count FROM tasks GROUP BY state').all() as { state: string; count: number }[];
  }

  // ---- confirmations (two-step confirmation of destructive tasks) ----

  insertConfirmation(tokenHash: string, principal: string, fingerprint: string, expiresAt: string): void {
    this.file.statement('INSERT INTO confirmations (token_hash, principal, fingerprint, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(tokenHash, principal, fingerprint, new Date().toISOString(), expiresAt);
    this.file.statement('DELETE FROM confirmations WHERE expires_at < ?').run(new Date(Date.now() - 86_400_000).toISOString());
  }

  confirmation(tokenHash: string): { principal: string; fingerprint: string; expires_at: string; used_at: string | null } | undefined {
    return this.file.statement('SELECT principal, fingerprint, expires_at, used_at FROM confirmations WHERE token_hash = ?').get(tokenHash) as
      | { principal: string; fingerprint: string; expires_at: string; used_at: string | null }
      | undefined;
  }

  /** Marks a confirmation used; false when it was used already (two concurrent second calls: only one wins). */
  useConfirmation(tokenHash: string): boolean {
    return this.file.statement('UPDATE confirmations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(new Date().toISOString(), tokenHash).changes === 1;
  }

  // ---- policies ----

  insertPolicy(row: PolicyRow): void {
    const columns = Object.keys(row);
    this.file.statement(`INSERT INTO policies (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row);
  }

  updatePolicy(id: string, change: Partial<PolicyRow>): boolean {
    const columns = Object.keys(change);
    return this.file.db.prepare(`UPDATE policies SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @__id`).run({ ...change, __id: id }).changes === 1;
  }

  deletePolicy(id: string): boolean {
    this.file.statement('DELETE FROM policy_hits WHERE policy_id = ?').run(id);
    return this.file.statement('DELETE FROM policies WHERE id = ?').run(id).changes === 1;
  }

  policy(id: string): PolicyRow | undefined {
    return this.file.statement('SELECT * FROM policies WHERE id = ?').get(id) as PolicyRow | undefined;
  }

  policyByName(name: string): PolicyRow | undefined {
    return this.file.statement('SELECT * FROM policies WHERE name = ?').get(name) as PolicyRow | undefined;
  }

  policies(): PolicyRow[] {
    return this.file.statement('SELECT * FROM policies ORDER BY name').all() as PolicyRow[];
  }

  /** Distinct hosts a policy fired on since `sinceMs` (dry runs count: they show what a live policy would do). */
  policyHosts(policyId: string, sinceMs: number): string[] {
    return (this.file.statement('SELECT DISTINCT host_id FROM policy_hits WHERE policy_id = ? AND time_ms >= ?').all(policyId, sinceMs) as { host_id: string }[]).map((r) => r.host_id);
  }

  recordPolicyHit(policyId: string, hostId: string, alertId: string, dryRun: boolean): void {
    this.file.statement('INSERT INTO policy_hits (policy_id, host_id, alert_id, time_ms, dry_run) VALUES (?, ?, ?, ?, ?)').run(policyId, hostId, alertId, Date.now(), dryRun ? 1 : 0);
    this.file.statement('DELETE FROM policy_hits WHERE time_ms < ?').run(Date.now() - 8 * 86_400_000);
  }

  // ---- host tags ----

  hostTags(hostId: string): string[] {
    return (this.file.statement('SELECT tag FROM host_tags WHERE host_id = ? ORDER BY tag').all(hostId) as { tag: string }[]).map((r) => r.tag);
  }

  allHostTags(): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const row of this.file.statement('SELECT host_id, tag FROM host_tags ORDER BY host_id, tag').all() as { host_id: string; tag: string }[]) {
      const list = map.get(row.host_id) ?? [];
      list.push(row.tag);
      map.set(row.host_id, list);
    }
    return map;
  }

  setHostTags(hostId: string, tags: readonly string[]): void {
    this.transaction(() => {
      this.file.statement('DELETE FROM host_tags WHERE host_id = ?').run(hostId);
      for (const tag of tags) this.file.statement('INSERT OR IGNORE INTO host_tags (host_id, tag) VALUES (?, ?)').run(hostId, tag);
    });
  }

  hostsWithTags(tags: readonly string[]): string[] {
    if (!tags.length) return [];
    return (this.file.db.prepare(`SELECT DISTINCT host_id FROM host_tags WHERE tag IN (${tags.map(() => '?').join(', ')}) ORDER BY host_id`).all(...tags) as { host_id: string }[]).map((r) => r.host_id);
  }
}
