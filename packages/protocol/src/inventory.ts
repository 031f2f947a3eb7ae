// Inventory reports from agents to the server (agent listener, mutual TLS): per-table snapshots or diffs with digests.
// Both sides compute row keys, row hashes and table digests with these functions; the server never trusts an agent's.

import { createHash } from 'node:crypto';
import { VigilError, type VigilErrorDetail } from '@vigil/common';
import { checkInventoryRow, inventoryTableByName } from '@vigil/schema';

export const inventoryPaths = {
  /** Agent listener (mTLS): POST an InventoryReport, answered with an InventoryReply. */
  report: '/agent/v1/inventory',
} as const;

export const inventoryLimits = {
  /** Largest report body; the agent splits larger reports by table. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Most rows of one table (the agent truncates and counts beyond). */
  maxRowsPerTable: 50_000,
  /** Most problems reported for one refused report. */
  maxProblems: 20,
} as const;

export type InventoryRow = Record<string, unknown>;

/**
 * One table of a report. `full`: `rows` is the whole table. `diff`: against the table whose digest is `base` (the
 * digest the server last answered), `upsert` replaces or adds rows by key and `delete` lists removed keys.
 * `digest` is the table's digest after applying the part; the server answers `resync` when `base` is not its current
 * digest, and the agent sends the table in full.
 */
export interface InventoryTablePart {
  name: string;
  mode: 'full' | 'diff';
  base?: string;
  digest: string;
  rows?: InventoryRow[];
  upsert?: InventoryRow[];
  delete?: string[];
}

export interface InventoryReport {
  /** Agent id; must equal the client certificate's common name. */
  host_id: string;
  /** When the agent read the tables (ISO 8601); the server records changes at this time. */
  collected_at: string;
  tables: InventoryTablePart[];
}

export interface InventoryReply {
  tables: { name: string; status: 'applied' | 'resync'; digest: string | null; changes: number }[];
}

/** Fields a row never hashes: set by the server or changing on every read. */
const UNHASHED = new Set(['host.id', 'inventory.collected']);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => JSON.stringify(k) + ':' + canonical((value as Record<string, unknown>)[k]));
    return '{' + entries.join(',') + '}';
  }
  return JSON.stringify(value) ?? 'null';
}

/** The fields that identify a row of `table` within one host (the schema's key without host.id). */
export function keyFields(table: string): readonly string[] {
  const def = inventoryTableByName.get(table);
  if (!def) throw new VigilError('invalid_input', `unknown inventory table "${table}"`);
  return def.key.filter((name) => name !== 'host.id');
}

/** The row's key as text: its key fields' values as a JSON array ('[]' for single-row tables such as host). */
export function rowKey(table: string, row: InventoryRow): string {
  return JSON.stringify(keyFields(table).map((name) => row[name] ?? null));
}

/** SHA-256 of the row's canonical JSON without host.id and inventory.collected. */
export function rowHash(row: InventoryRow): string {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!UNHASHED.has(k) && v !== undefined && v !== null) copy[k] = v;
  return createHash('sha256').update(canonical(copy)).digest('hex');
}

/** Digest of a whole table from its (key, row hash) pairs, independent of their order. */
export function tableDigest(entries: Iterable<readonly [string, string]>): string {
  const lines = [...entries].map(([key, hash]) => `${key}\t${hash}\n`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * Parses and validates a report body completely (all or nothing): shape, table names, every row against the schema,
 * keys unique within a part. Throws VigilError `invalid_input` with the first problem's location and up to
 * `maxProblems` details, or `payload_too_large`.
 */
export function decodeInventoryReport(body: Buffer | string, expectedHostId: string): InventoryReport {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > inventoryLimits.maxBodyBytes) throw new VigilError('payload_too_large', `inventory report of ${size} bytes; the limit is ${inventoryLimits.maxBodyBytes}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw new VigilError('invalid_input', `inventory report is not valid JSON: ${(error as Error).message}`, { location: { path: '$' } });
  }
  const problems: VigilErrorDetail[] = [];
  const add = (path: string, message: string) => {
    if (problems.length < inventoryLimits.maxProblems) problems.push({ message, location: { path } });
  };
  const fail = () => {
    const first = problems[0]!;
    return new VigilError('invalid_input', `inventory report refused: ${first.message}`, { location: first.location ?? {}, details: problems });
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    add('$', 'the report must be a JSON object');
    throw fail();
  }
  const report = parsed as Record<string, unknown>;
  if (report.host_id !== expectedHostId) add('$.host_id', 'host_id must be the agent id of the client certificate');
  if (typeof report.collected_at !== 'string' || !ISO.test(report.collected_at) || Number.isNaN(Date.parse(report.collected_at))) add('$.collected_at', 'collected_at must be an ISO 8601 UTC time such as 2026-12-05T10:00:00.000Z');
  if (!Array.isArray(report.tables)) {
    add('$.tables', 'tables must be a list');
    throw fail();
  }
  const seen = new Set<string>();
  report.tables.forEach((candidate: unknown, i: number) => {
    const at = `$.tables[${i}]`;
    if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return add(at, 'a table part must be an object');
    const part = candidate as Record<string, unknown>;
    const name = part.name;
    if (typeof name !== 'string' || !inventoryTableByName.has(name)) return add(`${at}.name`, `name must be one of ${[...inventoryTableByName.keys()].join(', ')}`);
    if (seen.has(name)) return add(`${at}.name`, `table ${name} appears twice`);
    seen.add(name);
    for (const key of Object.keys(part)) if (!['name', 'mode', 'base', 'digest', 'rows', 'upsert', 'delete'].includes(key)) add(`${at}.${key}`, `unknown property ${key}`);
    if (typeof part.digest !== 'string' || !HEX64.test(part.digest)) add(`${at}.digest`, 'digest must be 64 lowercase hex digits');
    const checkRows = (rows: unknown, where: string) => {
      if (!Array.isArray(rows)) return add(where, 'must be a list of rows');
      if (rows.length > inventoryLimits.maxRowsPerTable) return add(where, `has ${rows.length} rows; the limit is ${inventoryLimits.maxRowsPerTable}`);
      const keys = new Set<string>();
      rows.forEach((row: unknown, j: number) => {
        for (const problem of checkInventoryRow(name, row, `${where}[${j}]`, 3)) add(problem.location?.path ?? where, problem.message);
        if (typeof row === 'object' && row !== null) {
          const key = rowKey(name, row as InventoryRow);
          if (keys.has(key)) add(`${where}[${j}]`, `key ${key} appears twice in ${name}`);
          keys.add(key);
        }
      });
    };
    if (part.mode === 'full') {
      if (part.base !== undefined) add(`${at}.base`, 'a full part has no base');
      if (part.upsert !== undefined || part.delete !== undefined) add(at, 'a full part carries rows, not upsert or delete');
      checkRows(part.rows, `${at}.rows`);
    } else if (part.mode === 'diff') {
      if (typeof part.base !== 'string' || !HEX64.test(part.base)) add(`${at}.base`, 'a diff part needs base: the digest it applies to');
      if (part.rows !== undefined) add(`${at}.rows`, 'a diff part carries upsert and delete, not rows');
      checkRows(part.upsert ?? [], `${at}.upsert`);
      const deletes = part.delete ?? [];
      if (!Array.isArray(deletes) || deletes.length > inventoryLimits.maxRowsPerTable || deletes.some((k) => typeof k !== 'string' || k.length > 8192)) add(`${at}.delete`, 'delete must be a list of row keys');
    } else {
      add(`${at}.mode`, 'mode must be full or diff');
    }
  });
  if (problems.length) throw fail();
  return report as unknown as InventoryReport;
}
