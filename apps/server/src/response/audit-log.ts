// The response audit log: every task, approval, refusal, outcome and policy decision, append-only. SQLite triggers
// abort UPDATE and DELETE; each entry carries an HMAC chained over the previous one, so editing a row is detectable.

import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { VigilError } from '@vigil/common';
import { canonicalJson } from '@vigil/response';
import type { SqliteFile } from '../sqlite-file.js';

export type AuditOutcome = 'success' | 'failure' | 'refused' | 'dry_run' | 'pending';

export interface AuditInput {
  /** `user:<name>`, `token:<name>`, `policy:<name>`, `agent:<id>` or `system`. */
  actor: string;
  /** What happened, `noun.verb`: task.create, task.result, policy.fired ... (see docs/response.md). */
  event: string;
  outcome: AuditOutcome;
  taskId?: string | null;
  batchId?: string | null;
  policyId?: string | null;
  action?: string | null;
  hosts?: readonly string[];
  reason?: string | null;
  detail?: Record<string, unknown> | null;
}

export interface AuditEntry {
  seq: number;
  time: string;
  actor: string;
  event: string;
  outcome: AuditOutcome;
  task_id: string | null;
  batch_id: string | null;
  policy_id: string | null;
  action: string | null;
  hosts: string[];
  reason: string | null;
  detail: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  taskId?: string;
  batchId?: string;
  policyId?: string;
  hostId?: string;
  actor?: string;
  event?: string;
  action?: string;
  since?: string;
  until?: string;
  /** Entries with seq below this (paging backwards, newest first). */
  beforeSeq?: number;
  limit?: number;
}

export interface ChainVerdict {
  ok: boolean;
  entries: number;
  head_seq: number;
  head_hash: string;
  /** The first entry that does not verify, and why. */
  broken: { seq: number; problem: string } | null;
}

export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, event TEXT NOT NULL, outcome TEXT NOT NULL,
  task_id TEXT, batch_id TEXT, policy_id TEXT, action TEXT, hosts TEXT NOT NULL, reason TEXT, detail TEXT,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_task ON audit(task_id);
CREATE INDEX IF NOT EXISTS audit_batch ON audit(batch_id);
CREATE INDEX IF NOT EXISTS audit_policy ON audit(policy_id);
CREATE INDEX IF NOT EXISTS audit_time ON audit(time);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the response audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the response audit log is append-only'); END;
`;

const GENESIS = '0'.repeat(64);

interface Row {
  seq: number;
  time: string;
  actor: string;
  event: string;
  outcome: string;
  task_id: string | null;
  batch_id: string | null;
  policy_id: string | null;
  action: string | null;
  hosts: string;
  reason: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

/** The chained HMAC of an entry: over the previous hash and the canonical JSON of every stored column. */
function entryHash(key: Buffer, row: Omit<Row, 'hash'>): string {
  const { prev_hash: previous, ...fields } = row;
  return createHmac('sha256', key).update(previous).update('\n').update(canonicalJson(fields)).digest('hex');
}

function toEntry(row: Row): AuditEntry {
  return {
    ...row,
    outcome: row.outcome as AuditOutcome,
    hosts: JSON.parse(row.hosts) as string[],
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
  };
}

/** Loads or creates the chain key (32 random bytes, 0600) kept with the server's other keys. */
export function loadOrCreateChainKey(file: string): Buffer {
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new VigilError('invalid_config', `audit chain key ${file} must hold 64 hex digits`, { location: { file } });
    return key;
  }
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export class AuditLog {
  readonly #file: SqliteFile;
  readonly #key: Buffer;
  /** The newest entry this process wrote or saw: a later verification that finds less means rows were removed. */
  #head: { seq: number; hash: string };

  /** `file` must have AUDIT_SCHEMA applied. */
  constructor(file: SqliteFile, key: Buffer) {
    this.#file = file;
    this.#key = key;
    const last = file.statement('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    this.#head = last ?? { seq: 0, hash: GENESIS };
  }

  /** Appends one entry (inside the caller's transaction when there is one). */
  append(input: AuditInput): AuditEntry {
    const last = this.#file.statement('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const row: Omit<Row, 'hash'> = {
      seq: (last?.seq ?? 0) + 1,
      time: new Date().toISOString(),
      actor: input.actor,
      event: input.event,
      outcome: input.outcome,
      task_id: input.taskId ?? null,
      batch_id: input.batchId ?? null,
      policy_id: input.policyId ?? null,
      action: input.action ?? null,
      hosts: JSON.stringify(input.hosts ?? []),
      reason: input.reason ?? null,
      detail: input.detail ? JSON.stringify(input.detail) : null,
      prev_hash: last?.hash ?? GENESIS,
    };
    const hash = entryHash(this.#key, row);
    this.#file
      .statement('INSERT INTO audit (seq, time, actor, event, outcome, task_id, batch_id, policy_id, action, hosts, reason, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.seq, row.time, row.actor, row.event, row.outcome, row.task_id, row.batch_id, row.policy_id, row.action, row.hosts, row.reason, row.detail, row.prev_hash, hash);
    if (row.seq > this.#head.seq) this.#head = { seq: row.seq, hash };
    return toEntry({ ...row, hash });
  }

  /** Newest first. */
  query(filter: AuditFilter = {}): AuditEntry[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => (where.push(sql), params.push(value));
    if (filter.taskId) add('task_id = ?', filter.taskId);
    if (filter.batchId) add('batch_id = ?', filter.batchId);
    if (filter.policyId) add('policy_id = ?', filter.policyId);
    if (filter.hostId) add('EXISTS (SELECT 1 FROM json_each(audit.hosts) WHERE json_each.value = ?)', filter.hostId);
    if (filter.actor) add('actor = ?', filter.actor);
    if (filter.event) add('event = ?', filter.event);
    if (filter.action) add('action = ?', filter.action);
    if (filter.since) add('time >= ?', filter.since);
    if (filter.until) add('time < ?', filter.until);
    if (filter.beforeSeq) add('seq < ?', filter.beforeSeq);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.#file.db.prepare(sql).all(...params, Math.min(filter.limit ?? 200, 5000)) as Row[]).map(toEntry);
  }

  /** Recomputes the whole chain: sequence without gaps, every prev_hash links, every HMAC matches, nothing removed. */
  verify(): ChainVerdict {
    let previous = { seq: 0, hash: GENESIS };
    let entries = 0;
    const broken = (seq: number, problem: string): ChainVerdict => ({ ok: false, entries, head_seq: previous.seq, head_hash: previous.hash, broken: { seq, problem } });
    for (const row of this.#file.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<Row>) {
      if (row.seq !== previous.seq + 1) return broken(row.seq, `entry ${previous.seq + 1} is missing`);
      if (row.prev_hash !== previous.hash) return broken(row.seq, 'prev_hash does not link to the previous entry');
      const { hash, ...rest } = row;
      if (entryHash(this.#key, rest) !== hash) return broken(row.seq, 'entry was altered: its hash does not match its content');
      previous = { seq: row.seq, hash };
      entries++;
    }
    if (previous.seq < this.#head.seq) return broken(previous.seq + 1, `entries ${previous.seq + 1}..${this.#head.seq} were removed`);
    return { ok: true, entries, head_seq: previous.seq, head_hash: previous.hash, broken: null };
  }
}
