// Imports indicator documents (STIX 2.1, MISP, CSV, plain lists) into the intel database: parse, refuse anything
// malformed before a single write (all or nothing), store in one transaction, and queue a retro sweep over stored
// events for the indicators that are new. Shared by the import API, the CLI (through it) and feeds.

import { countByType, parseIndicators, refuseMalformed, type ImportProblem, type IndicatorFormat, type IndicatorType, type ParseResult } from '@vigil/intel';
import type { IndicatorInput, IntelDb, UpsertOutcome } from './intel-db.js';
import type { Sweeper } from './sweeper.js';

export interface ImportRequest {
  text: string;
  /** Default: detected from the content. */
  format?: IndicatorFormat;
  source: string;
  /** Shown in problem locations. */
  file?: string;
  confidence?: number | null;
  includeNonIds?: boolean;
  /** Default expiry for indicators that carry none (ISO 8601). */
  expiresAt?: string | null;
  /** Replace the source's indicators (feeds): those not in this document are deleted. */
  replace?: boolean;
  actor: string;
}

export interface ImportSummary {
  format: IndicatorFormat;
  /** Entries read (STIX indicators, MISP attributes, CSV rows, list lines). */
  entries: number;
  /** Indicators in the document after normalisation (the same value twice counts once). */
  indicators: number;
  created: number;
  updated: number;
  removed: number;
  byType: Record<IndicatorType, number>;
  /** Warnings (skipped entries) with their locations, at most 200; `warningCount` has them all. */
  warnings: ImportProblem[];
  warningCount: number;
  /** The retro sweep over stored events for the new indicators, null when none is new. */
  sweepId: string | null;
}

export const MAX_REPORTED_WARNINGS = 200;

/** Parses without storing (a dry run, or the first step of an import). Throws invalid_input when malformed. */
export function parseForImport(request: Omit<ImportRequest, 'actor' | 'replace'>): ParseResult {
  return refuseMalformed(
    parseIndicators(request.text, {
      source: request.source,
      file: request.file ?? 'upload',
      ...(request.format ? { format: request.format } : {}),
      ...(request.confidence !== undefined ? { confidence: request.confidence } : {}),
      ...(request.includeNonIds ? { includeNonIds: true } : {}),
    }),
  );
}

export function importIndicators(db: IntelDb, sweeper: Sweeper, request: ImportRequest): ImportSummary {
  const parsed = parseForImport(request);
  // One row per (type, value): the same value from several STIX indicators or MISP attributes is one indicator.
  const unique = new Map<string, IndicatorInput>();
  for (const indicator of parsed.indicators) {
    const input: IndicatorInput = { ...indicator, expiresAt: indicator.expiresAt ?? request.expiresAt ?? null };
    unique.set(`${input.type}\u0000${input.value}`, input);
  }
  const inputs = [...unique.values()];
  let outcomes: UpsertOutcome[];
  let removed: string[] = [];
  if (request.replace) ({ outcomes, removed } = db.replaceSource(request.source, inputs, request.actor));
  else outcomes = db.upsertIndicators(inputs, request.actor);
  const fresh = outcomes.filter((o) => o.isNew).map((o) => o.indicator);
  const sweep = fresh.length ? sweeper.request(fresh, { kind: 'indicators', ref: null }, request.actor) : null;
  const warnings = parsed.problems.filter((p) => p.severity === 'warning');
  const created = outcomes.filter((o) => o.created).length;
  return {
    format: parsed.format,
    entries: parsed.entries,
    indicators: inputs.length,
    created,
    updated: outcomes.length - created,
    removed: removed.length,
    byType: countByType(inputs),
    warnings: warnings.slice(0, MAX_REPORTED_WARNINGS),
    warningCount: warnings.length,
    sweepId: sweep?.id ?? null,
  };
}
