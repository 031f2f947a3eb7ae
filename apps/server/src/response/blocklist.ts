// The server side of the exec blocklist: the one global policy (hashes, path globs, command-line patterns) with a
// version that increases on every change, what each agent reports enforcing, and waiting for a change (agent
// long-polls). Never stores an entry the agents' validator would refuse; never lets a poll outlive close().

import { randomUUID } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { blocklistLimits, entryProblems, type BlocklistEntry, type BlocklistKind, type BlocklistPoll, type BlocklistPolicy } from '@vigil/protocol/blocklist';
import { SqliteFile } from '../sqlite-file.js';

export interface BlocklistEntryRecord extends BlocklistEntry {
  created_at: string;
  created_by: string;
}

export interface BlocklistView {
  version: number;
  updated_at: string;
  updated_by: string;
  entries: BlocklistEntryRecord[];
}

export interface BlocklistHostState {
  agent_id: string;
  applied_version: number;
  state: 'running' | 'idle' | 'failed';
  kernel_paths: number;
  userspace_entries: number;
  blocked: number;
  error: string | null;
  seen_at: string;
  /** Whether the host enforces the current version (applied_version == version and state is not failed). */
  current: boolean;
}

export interface EntryInput {
  kind: BlocklistKind;
  value: string;
  description?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blocklist_entries (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('sha256', 'path', 'cmdline')),
  value TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (kind, value)
);
CREATE TABLE IF NOT EXISTS blocklist_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocklist_hosts (
  agent_id TEXT PRIMARY KEY,
  applied_version INTEGER NOT NULL,
  state TEXT NOT NULL,
  kernel_paths INTEGER NOT NULL,
  userspace_entries INTEGER NOT NULL,
  blocked INTEGER NOT NULL,
  error TEXT,
  seen_at TEXT NOT NULL
);
`;

/** Validates and normalises one entry (sha256 lowercased, description trimmed); throws invalid_input with `path`. */
export function normaliseEntry(input: EntryInput, path: string): EntryInput & { description: string } {
  const kind = input?.kind;
  const value = kind === 'sha256' && typeof input.value === 'string' ? input.value.trim().toLowerCase() : input?.value;
  const problems = entryProblems(kind, value);
  if (problems.length) throw new VigilError('invalid_input', `${path}: ${problems.join('; ')}`, { location: { path: `${path}.value` } });
  const description = (input.description ?? '').trim();
  if (description.length > blocklistLimits.maxDescriptionLength) throw new VigilError('invalid_input', `${path}: description is longer than ${blocklistLimits.maxDescriptionLength} characters`, { location: { path: `${path}.description` } });
  return { kind, value: value as string, description };
}

export class BlocklistStore {
  readonly #file: SqliteFile;
  #cached: BlocklistView | undefined;
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(file: string) {
    this.#file = new SqliteFile(file, 'blocklist database', { synchronous: 'FULL', schema: SCHEMA });
    this.#file.statement(`INSERT OR IGNORE INTO blocklist_meta (id, version, updated_at, updated_by) VALUES (1, 0, ?, 'system')`).run(new Date().toISOString());
  }

  view(): BlocklistView {
    if (this.#cached) return this.#cached;
    const meta = this.#file.statement('SELECT version, updated_at, updated_by FROM blocklist_meta WHERE id = 1').get() as { version: number; updated_at: string; updated_by: string };
    const entries = this.#file.statement('SELECT id, kind, value, description, created_at, created_by FROM blocklist_entries ORDER BY created_at, id').all() as BlocklistEntryRecord[];
    return (this.#cached = { ...meta, entries });
  }

  /** The document agents receive. */
  policy(): BlocklistPolicy {
    const view = this.view();
    return { version: view.version, updated_at: view.updated_at, entries: view.entries.map(({ id, kind, value, description }) => ({ id, kind, value, description })) };
  }

  #changed(actor: string): void {
    this.#file.statement('UPDATE blocklist_meta SET version = version + 1, updated_at = ?, updated_by = ? WHERE id = 1').run(new Date().toISOString(), actor);
  }

  #notify(): void {
    this.#cached = undefined;
    for (const wake of [...this.#waiters]) wake();
  }

  add(input: EntryInput, actor: string): { entry: BlocklistEntryRecord; version: number } {
    const entry = normaliseEntry(input, 'body');
    const record: BlocklistEntryRecord = { id: randomUUID(), ...entry, created_at: new Date().toISOString(), created_by: actor };
    this.#file.db.transaction(() => {
      if (this.#count() >= blocklistLimits.maxEntries) throw new VigilError('conflict', `the blocklist already holds ${blocklistLimits.maxEntries} entries`);
      const existing = this.#file.statement('SELECT id FROM blocklist_entries WHERE kind = ? AND value = ?').get(entry.kind, entry.value) as { id: string } | undefined;
      if (existing) throw new VigilError('conflict', `${entry.kind} ${JSON.stringify(entry.value)} is already listed (entry ${existing.id})`);
      this.#file.statement('INSERT INTO blocklist_entries (id, kind, value, description, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(record.id, record.kind, record.value, record.description, record.created_at, record.created_by);
      this.#changed(actor);
    })();
    this.#notify();
    return { entry: record, version: this.view().version };
  }

  remove(id: string, actor: string): { entry: BlocklistEntryRecord; version: number } {
    const entry = this.#file.statement('SELECT id, kind, value, description, created_at, created_by FROM blocklist_entries WHERE id = ?').get(id) as BlocklistEntryRecord | undefined;
    if (!entry) throw new VigilError('not_found', `no blocklist entry ${id}`, { location: { path: 'id' } });
    this.#file.db.transaction(() => {
      this.#file.statement('DELETE FROM blocklist_entries WHERE id = ?').run(id);
      this.#changed(actor);
    })();
    this.#notify();
    return { entry, version: this.view().version };
  }

  /** Replaces every entry at once; refused with `conflict` when `expectedVersion` is given and is not current. */
  replace(inputs: EntryInput[], actor: string, expectedVersion?: number): BlocklistView {
    if (inputs.length > blocklistLimits.maxEntries) throw new VigilError('invalid_input', `at most ${blocklistLimits.maxEntries} entries`, { location: { path: 'body.entries' } });
    const entries = inputs.map((input, i) => normaliseEntry(input, `body.entries[${i}]`));
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      const key = `${entry.kind}\0${entry.value}`;
      if (seen.has(key)) throw new VigilError('invalid_input', `body.entries[${i}]: ${entry.kind} ${JSON.stringify(entry.value)} is listed twice`, { location: { path: `body.entries[${i}]` } });
      seen.add(key);
    });
    this.#file.db.transaction(() => {
      const current = (this.#file.statement('SELECT version FROM blocklist_meta WHERE id = 1').get() as { version: number }).version;
      if (expectedVersion !== undefined && expectedVersion !== current) throw new VigilError('conflict', `the blocklist is at version ${current}, not ${expectedVersion}; reload it and apply your change again`);
      // Entries that stay keep their id (alerts name entries by id).
      const old = new Map((this.#file.statement('SELECT id, kind, value FROM blocklist_entries').all() as { id: string; kind: string; value: string }[]).map((e) => [`${e.kind}\0${e.value}`, e.id]));
      const now = new Date().toISOString();
      for (const [key, id] of old) if (!seen.has(key)) this.#file.statement('DELETE FROM blocklist_entries WHERE id = ?').run(id);
      for (const entry of entries) {
        const id = old.get(`${entry.kind}\0${entry.value}`);
        if (id) this.#file.statement('UPDATE blocklist_entries SET description = ? WHERE id = ?').run(entry.description, id);
        else this.#file.statement('INSERT INTO blocklist_entries (id, kind, value, description, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(randomUUID(), entry.kind, entry.value, entry.description, now, actor);
      }
      this.#changed(actor);
    })();
    this.#notify();
    return this.view();
  }

  #count(): number {
    return (this.#file.statement('SELECT count(*) AS n FROM blocklist_entries').get() as { n: number }).n;
  }

  recordPoll(agentId: string, poll: BlocklistPoll): void {
    this.#file
      .statement(
        `INSERT INTO blocklist_hosts (agent_id, applied_version, state, kernel_paths, userspace_entries, blocked, error, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET applied_version = excluded.applied_version, state = excluded.state, kernel_paths = excluded.kernel_paths,
           userspace_entries = excluded.userspace_entries, blocked = excluded.blocked, error = excluded.error, seen_at = excluded.seen_at`,
      )
      .run(agentId, poll.applied_version, poll.status.state, poll.status.kernel_paths, poll.status.userspace_entries, poll.status.blocked, poll.status.error ?? null, new Date().toISOString());
  }

  hosts(): BlocklistHostState[] {
    const version = this.view().version;
    const rows = this.#file.statement('SELECT agent_id, applied_version, state, kernel_paths, userspace_entries, blocked, error, seen_at FROM blocklist_hosts ORDER BY agent_id').all() as Omit<BlocklistHostState, 'current'>[];
    return rows.map((row) => ({ ...row, current: row.applied_version === version && row.state !== 'failed' }));
  }

  /** Resolves when the version differs from `version`, after `waitMs`, or at close(); whichever comes first. */
  async waitForChange(version: number, waitMs: number): Promise<void> {
    if (this.#closed || this.view().version !== version || waitMs <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.#waiters.add(done);
    });
  }

  /** Ends every waiting poll (before the listener closes) and closes the file. */
  wakeAll(): void {
    this.#closed = true;
    for (const wake of [...this.#waiters]) wake();
  }

  close(): void {
    this.wakeAll();
    this.#file.close();
  }
}
