// Readable views of stored profile state for the API and the console: the learned (context → item) entries of each
// table with decayed weights, newest first. Reads the JSON profilers write; never changes state, never throws.

import type { ProfileTuning } from './core.js';

export interface ProfileEntry {
  context: string;
  item: string;
  /** Decayed weight at `at` (about "times seen recently"). */
  weight: number;
  /** Times seen ever. */
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface ProfileTableView {
  table: string;
  /** Entries in the table (before `limit`). */
  entries: number;
  top: ProfileEntry[];
}

const DAY_MS = 86_400_000;
const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(0).toISOString());

/** Tables of a host-scope profile state (the novelty-table format), heaviest entries first; [] for other formats. */
export function describeProfile(state: unknown, at: number, tuning: ProfileTuning, limit = 50): ProfileTableView[] {
  const tables = (state as { tables?: unknown } | null)?.tables;
  if (!tables || typeof tables !== 'object') return [];
  const out: ProfileTableView[] = [];
  for (const [table, value] of Object.entries(tables as Record<string, unknown>)) {
    const contexts = (value as { c?: unknown } | null)?.c;
    if (!Array.isArray(contexts)) continue;
    const entries: ProfileEntry[] = [];
    for (const row of contexts) {
      if (!Array.isArray(row) || typeof row[0] !== 'string' || !Array.isArray(row[7])) continue;
      for (const item of row[7] as unknown[]) {
        if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
        const [key, w, t, n, first, last] = item as [string, number, number, number, number, number];
        const weight = at > t ? w * 2 ** (-(at - t) / (tuning.halfLifeDays * DAY_MS)) : w;
        if (weight < tuning.forgetBelow) continue;
        entries.push({ context: row[0], item: key, weight: Math.round(weight * 100) / 100, count: n, firstSeen: iso(first), lastSeen: iso(last) });
      }
    }
    entries.sort((a, b) => b.weight - a.weight || a.context.localeCompare(b.context) || a.item.localeCompare(b.item));
    out.push({ table, entries: entries.length, top: entries.slice(0, limit) });
  }
  return out;
}
