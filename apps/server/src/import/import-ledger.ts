// Which imported records a host already holds, so importing the same event log twice stores its events once.
// A record is known by a key built from what identifies it in its log (see importRecordKey); records without such an
// identity get no key and are always stored. Keys are remembered only after their events were stored durably.

import { createHash } from 'node:crypto';
import { SqliteFile } from '../sqlite-file.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS imported_records (
  host_id TEXT NOT NULL,
  record_key TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (host_id, record_key)
) WITHOUT ROWID;
`;

/** Keys looked up per statement (SQLite's limit on bound parameters is far above this). */
const LOOKUP_CHUNK = 500;

/**
 * The identity of an imported Windows event record: channel, record number, time, category and action (one record can
 * map to events of different categories). Undefined when the event carries no channel or record number.
 */
export function importRecordKey(event: Readonly<Record<string, unknown>>): string | undefined {
  const channel = event['winlog.channel'];
  const record = event['winlog.record_id'];
  if (typeof channel !== 'string' || channel === '' || (typeof record !== 'number' && typeof record !== 'string') || record === '') return undefined;
  const parts = [channel, String(record), String(event['@timestamp'] ?? ''), String(event['event.category'] ?? ''), String(event['event.action'] ?? '')];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** A stable event id for an imported record: the same record imported again gets the same id (UUID form, version 8). */
export function importedEventId(hostId: string, recordKey: string): string {
  const hex = createHash('sha256').update(`${hostId}\u0000${recordKey}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class ImportLedger {
  readonly #file: SqliteFile;

  constructor(file: string) {
    // NORMAL: losing the newest keys in a power cut means a re-import may store those records again, nothing is lost.
    this.#file = new SqliteFile(file, 'import ledger', { synchronous: 'NORMAL', schema: SCHEMA });
  }

  /** The keys of `keys` this host already holds. */
  known(hostId: string, keys: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
      const chunk = keys.slice(start, start + LOOKUP_CHUNK);
      const sql = `SELECT record_key FROM imported_records WHERE host_id = ? AND record_key IN (${chunk.map(() => '?').join(', ')})`;
      for (const row of this.#file.statement(sql).all(hostId, ...chunk) as { record_key: string }[]) found.add(row.record_key);
    }
    return found;
  }

  /** Remembers keys whose events are stored; call only after the store acknowledged them. */
  remember(hostId: string, keys: readonly string[]): void {
    if (!keys.length) return;
    const insert = this.#file.statement('INSERT OR IGNORE INTO imported_records (host_id, record_key, imported_at) VALUES (?, ?, ?)');
    const now = new Date().toISOString();
    this.#file.db.transaction(() => {
      for (const key of keys) insert.run(hostId, key, now);
    })();
  }

  close(): void {
    this.#file.close();
  }
}
