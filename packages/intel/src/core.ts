// The indicator model shared by the server (store, feeds, import, stream matching, sweeps) and tools (CLI, benches).
// Pure data and types: never reads files, the network or a database.

import type { ErrorLocation } from '@vigil/common';

/** Every kind of indicator Vigil stores and matches. */
export type IndicatorType = 'md5' | 'sha1' | 'sha256' | 'ip' | 'cidr' | 'domain' | 'url' | 'file_name' | 'path' | 'process_name' | 'port';
export const indicatorTypes: readonly IndicatorType[] = ['md5', 'sha1', 'sha256', 'ip', 'cidr', 'domain', 'url', 'file_name', 'path', 'process_name', 'port'];

/** An indicator as a parser or an API caller gives it: value canonical (see canonicalIndicatorValue). */
export interface IndicatorInput {
  type: IndicatorType;
  value: string;
  /** Feed, platform or analyst the indicator came from (`misp`, `feed:abuse-ch`, `analyst:alice`). */
  source: string;
  /** The source's own id (STIX indicator id, MISP attribute uuid); repeated imports update instead of duplicating. */
  externalId: string | null;
  /** 0-100. */
  confidence: number | null;
  /** When the source first and last saw it (STIX valid_from / modified, MISP first_seen / last_seen), ISO 8601. */
  firstSeen: string | null;
  lastSeen: string | null;
  /** After this instant (ISO 8601) the indicator neither matches nor is swept. */
  expiresAt: string | null;
  description: string | null;
}

export type IndicatorFormat = 'stix' | 'misp' | 'csv' | 'list';
export const indicatorFormats: readonly IndicatorFormat[] = ['stix', 'misp', 'csv', 'list'];

/**
 * Something a parser could not use. `error`: the input is malformed and nothing of it may be imported;
 * `warning`: one entry was skipped (an unsupported STIX comparison, a MISP attribute type Vigil cannot match),
 * the rest imports.
 */
export interface ImportProblem {
  severity: 'error' | 'warning';
  message: string;
  location: ErrorLocation;
}

export interface ParseResult {
  format: IndicatorFormat;
  indicators: IndicatorInput[];
  problems: ImportProblem[];
  /** Entries read (STIX indicators, MISP attributes, CSV rows, list lines), whether or not they became indicators. */
  entries: number;
}

export interface ParseOptions {
  /** Source recorded on every indicator. */
  source: string;
  /** Name shown in problem locations (file name or feed URL). */
  file?: string;
  /** MISP: also import attributes with `to_ids: false` (default false: only attributes meant for detection). */
  includeNonIds?: boolean;
  /** Default confidence for formats that carry none. */
  confidence?: number | null;
  /** The clock (ISO 8601) for `valid_until` and expiry checks; default now. */
  now?: string;
}

/** Counts per type, every type present (0 when none), for import answers. */
export function countByType(indicators: readonly { type: IndicatorType }[]): Record<IndicatorType, number> {
  const counts = Object.fromEntries(indicatorTypes.map((type) => [type, 0])) as Record<IndicatorType, number>;
  for (const indicator of indicators) counts[indicator.type]++;
  return counts;
}
