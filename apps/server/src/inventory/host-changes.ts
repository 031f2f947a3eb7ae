// "What changed on this host since T": inventory transitions from inventory.sqlite and the change records (autostart,
// accounts, services, kernel modules) from the event store, with the acting process taken from file telemetry when a
// write to the same path was recorded just before. Reads only; never alters a stored event.

import type { EventStore } from '@vigil/store';
import type { InventoryDb, InventoryTransition } from './inventory-db.js';

/** Event categories that hold change records. */
export const CHANGE_RECORD_CATEGORIES = ['autostart', 'iam', 'service', 'driver'] as const;

export interface ActingProcess {
  pid: number;
  name?: string;
  executable?: string;
  command_line?: string;
  user?: string;
  entity_id?: string;
  /** The file event the process was taken from. */
  event_id: string;
  action: string;
}

export interface HostChanges {
  host_id: string;
  since: string;
  until: string;
  inventory: InventoryTransition[];
  records: Record<string, unknown>[];
  truncated: { inventory: boolean; records: boolean };
  baseline_omitted: number;
}

/** How long before a change record a write to its file may have happened and still count as its cause. */
export const CORRELATION_WINDOW_MS = 30_000;

/**
 * Adds `acting_process` to records that have no process of their own, from the latest file event (create, modify,
 * rename, delete, attribute change) of the same path at most CORRELATION_WINDOW_MS before the record (or 2 s after:
 * clocks of two sources). Returns how many records got one.
 */
export function attachActingProcess(records: Record<string, unknown>[], fileEvents: readonly Record<string, unknown>[]): number {
  const byPath = new Map<string, Record<string, unknown>[]>();
  for (const event of fileEvents) {
    if (typeof event['process.pid'] !== 'number') continue;
    for (const key of ['file.path', 'file.previous_path']) {
      const path = event[key];
      if (typeof path === 'string') byPath.set(path, [...(byPath.get(path) ?? []), event]);
    }
  }
  let attached = 0;
  for (const record of records) {
    if (record['process.pid'] !== undefined) continue;
    const at = Date.parse(String(record['@timestamp']));
    if (Number.isNaN(at)) continue;
    let best: Record<string, unknown> | undefined;
    let bestAt = -Infinity;
    for (const key of ['file.path', 'service.unit_path']) {
      const path = record[key];
      if (typeof path !== 'string') continue;
      for (const candidate of byPath.get(path) ?? []) {
        const t = Date.parse(String(candidate['@timestamp']));
        if (t >= at - CORRELATION_WINDOW_MS && t <= at + 2000 && t > bestAt) [best, bestAt] = [candidate, t];
      }
    }
    if (!best) continue;
    const text = (key: string) => (typeof best![key] === 'string' ? (best![key] as string) : undefined);
    const acting: ActingProcess = {
      pid: best['process.pid'] as number,
      ...(text('process.name') ? { name: text('process.name')! } : {}),
      ...(text('process.executable') ? { executable: text('process.executable')! } : {}),
      ...(text('process.command_line') ? { command_line: text('process.command_line')! } : {}),
      ...(text('user.name') ? { user: text('user.name')! } : {}),
      ...(text('process.entity_id') ? { entity_id: text('process.entity_id')! } : {}),
      event_id: String(best['event.id']),
      action: String(best['event.action']),
    };
    record.acting_process = acting;
    attached++;
  }
  return attached;
}

export async function hostChanges(
  deps: { inventory: InventoryDb; store: EventStore },
  hostId: string,
  options: { since: number; until: number; limit: number; baseline: boolean; tables?: readonly string[] },
): Promise<HostChanges> {
  const inventory = deps.inventory.changes(hostId, options.since, options.until, { limit: options.limit, baseline: options.baseline, ...(options.tables ? { tables: options.tables } : {}) });
  const from = new Date(options.since).toISOString();
  const to = new Date(options.until).toISOString();
  const rows = await deps.store.queryEvents({ hostId, categories: [...CHANGE_RECORD_CATEGORIES], from, to, limit: options.limit + 1, order: 'asc' });
  const truncatedRecords = rows.length > options.limit;
  const records = truncatedRecords ? rows.slice(0, options.limit) : rows;
  for (const row of records) for (const key of Object.keys(row)) if (key.startsWith('vigil.')) delete row[key];
  if (records.some((r) => r['process.pid'] === undefined && (typeof r['file.path'] === 'string' || typeof r['service.unit_path'] === 'string'))) {
    const fileEvents = await deps.store.queryEvents({ hostId, categories: ['file'], from: new Date(options.since - CORRELATION_WINDOW_MS).toISOString(), to: new Date(options.until + 2000).toISOString(), limit: 10_000, order: 'desc' });
    attachActingProcess(records, fileEvents);
  }
  return { host_id: hostId, since: from, until: to, inventory: inventory.transitions, records, truncated: { inventory: inventory.truncated, records: truncatedRecords }, baseline_omitted: inventory.baselineOmitted };
}
