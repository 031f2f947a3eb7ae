// Compiles an IOC sweep into parameterised DuckDB SELECTs over the store's `events` view: one query per indicator
// type (chunked), aggregated per indicator, over the fields @vigil/intel names for each type (the stream matcher uses
// the same). Never splices an indicator value into SQL text: every value is bound.

import type { CompiledSelect } from '@vigil/store';
import { cidrRangeSql } from '@vigil/detect/sigma/to-sql';
import { indicatorFields, type IndicatorType } from './indicators.js';

export interface SweepTarget {
  id: string;
  type: IndicatorType;
  /** Canonical value (see canonicalIndicatorValue). */
  value: string;
}

/** One row per indicator that matched at least one event. */
export interface IndicatorHits {
  indicatorId: string;
  /** Distinct matching events. */
  count: number;
  /** Distinct host ids, sorted. */
  hosts: string[];
  firstSeen: string;
  lastSeen: string;
  /** Host and event id of the earliest matching event. */
  firstHostId: string;
  firstEventId: string;
}

/** Most indicators bound into one query (two parameters each). */
export const SWEEP_CHUNK = 1000;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The join condition between event column `column` (of alias e) and indicator value `v` (of alias i). */
function matchSql(type: Exclude<IndicatorType, 'cidr'>, column: string, list: boolean): string {
  const c = `e.${quote(column)}`;
  if (list) return `list_contains(list_transform(${c}, lambda x: lower(x)), i.v)`;
  switch (type) {
    case 'domain':
      return `(lower(${c}) = i.v OR suffix(lower(${c}), '.' || i.v))`;
    case 'port':
      return `${c} = CAST(i.v AS BIGINT)`;
    case 'process_name':
    case 'file_name':
    case 'ip':
      return `lower(${c}) = i.v`;
    case 'url':
      // The URL text inside the command line (the stream matcher compares the canonical URL of each URL token).
      return `contains(lower(${c}), lower(i.v))`;
    default:
      return `${c} = i.v`;
  }
}

/** The text a URL indicator is searched for: without the slash the URL parser adds to a bare host (`http://x/`). */
function urlNeedle(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/$/i.test(value) ? value.slice(0, -1) : value;
}

const aggregate = `SELECT indicator, count(DISTINCT event_id) AS count, list_sort(list(DISTINCT host_id)) AS hosts,
  min(time) AS first_seen, max(time) AS last_seen, arg_min(host_id, time) AS first_host, arg_min(event_id, time) AS first_event
FROM hits GROUP BY indicator`;

const hitColumns = `e."host.id" AS host_id, e."@timestamp" AS time, e."event.id" AS event_id`;

/** The queries of a sweep: per type, chunks of at most SWEEP_CHUNK indicators. Empty for no targets. */
export function sweepQueries(targets: readonly SweepTarget[]): CompiledSelect[] {
  const byType = new Map<IndicatorType, SweepTarget[]>();
  for (const target of targets) {
    const list = byType.get(target.type) ?? [];
    list.push(target);
    byType.set(target.type, list);
  }
  const queries: CompiledSelect[] = [];
  for (const [type, list] of byType) {
    for (let start = 0; start < list.length; start += SWEEP_CHUNK) {
      const chunk = list.slice(start, start + SWEEP_CHUNK);
      queries.push(type === 'cidr' ? cidrQuery(chunk) : joinQuery(type, chunk));
    }
  }
  return queries;
}

function joinQuery(type: Exclude<IndicatorType, 'cidr'>, chunk: readonly SweepTarget[]): CompiledSelect {
  const params: string[] = [];
  const bind = (value: string) => (params.push(value), `$${params.length}`);
  const rows = chunk.map((target) => `(${bind(target.id)}, ${bind(type === 'url' ? urlNeedle(target.value) : target.value)})`).join(', ');
  const branches = indicatorFields[type].map(({ field, list }) => `SELECT i.id AS indicator, ${hitColumns} FROM events e JOIN indicator i ON ${matchSql(type, field, Boolean(list))}`);
  return { sql: `WITH indicator(id, v) AS (VALUES ${rows}),\nhits AS (\n${branches.join('\nUNION ALL\n')}\n)\n${aggregate}`, params };
}

function cidrQuery(chunk: readonly SweepTarget[]): CompiledSelect {
  const params: (string | number)[] = [];
  const bind = (value: string | number) => (params.push(value), `$${params.length}`);
  let lambdas = 0;
  const names = { lambdaVariable: () => `v${++lambdas}` };
  const branches: string[] = [];
  for (const target of chunk) {
    const id = bind(target.id);
    for (const { field, list } of indicatorFields.cidr) {
      const column = `e.${quote(field)}`;
      if (list) {
        const element = names.lambdaVariable();
        const inRange = cidrRangeSql(element, target.value, bind, names);
        if (inRange !== undefined) branches.push(`SELECT ${id} AS indicator, ${hitColumns} FROM events e WHERE coalesce(len(list_filter(${column}, lambda ${element}: coalesce(${inRange}, FALSE))) > 0, FALSE)`);
        continue;
      }
      const inRange = cidrRangeSql(column, target.value, bind, names);
      if (inRange === undefined) continue;
      branches.push(`SELECT ${id} AS indicator, ${hitColumns} FROM events e WHERE coalesce(${inRange}, FALSE)`);
    }
  }
  if (!branches.length) return { sql: `WITH hits AS (SELECT NULL::VARCHAR AS indicator, NULL::VARCHAR AS host_id, NULL::TIMESTAMP AS time, NULL::VARCHAR AS event_id WHERE FALSE)\n${aggregate}`, params: [] };
  return { sql: `WITH hits AS (\n${branches.join('\nUNION ALL\n')}\n)\n${aggregate}`, params };
}

/** Reads the rows of a sweep query (as the store returns them: plain JSON values). */
export function hitsFromRows(rows: readonly Record<string, unknown>[]): IndicatorHits[] {
  return rows.map((row) => ({
    indicatorId: String(row.indicator),
    count: Number(row.count),
    hosts: Array.isArray(row.hosts) ? row.hosts.map(String) : [],
    firstSeen: String(row.first_seen),
    lastSeen: String(row.last_seen),
    firstHostId: String(row.first_host),
    firstEventId: String(row.first_event),
  }));
}
