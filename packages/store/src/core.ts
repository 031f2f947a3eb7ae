// The telemetry store seam: where validated events are appended durably and read back.
// Implementations live beside this file (duckdb/); all of them pass conformance.case.test.ts.

import type { VigilEvent } from '@vigil/schema';

export interface AppendResult {
  /** Events written by this call. */
  accepted: number;
  /** Events not written because the store already held them (sequence at or below the host watermark, or a repeated id). */
  duplicates: number;
  /** Highest event.sequence of the host that is durably stored. */
  ackedThrough: number;
}

export interface EventFilter {
  hostId?: string;
  categories?: readonly string[];
  actions?: readonly string[];
  /** Inclusive lower bound on @timestamp (ISO 8601). */
  from?: string;
  /** Exclusive upper bound on @timestamp (ISO 8601). */
  to?: string;
}

export interface EventQuery extends EventFilter {
  limit: number;
  order?: 'asc' | 'desc';
  /**
   * Keyset paging within one host: only events after this position in the query's order. Take it from the last row's
   * `timelinePosition` (added to every row of a host query): `{ time, sequence }`, time with microseconds.
   */
  after?: TimelinePosition;
}

export interface TimelinePosition {
  /** `@timestamp` with microseconds, ISO 8601 UTC. */
  time: string;
  sequence: number;
}

/** The row key a host query adds to every row, holding its TimelinePosition (removed by callers before output). */
export const TIMELINE_POSITION_KEY = 'vigil.position';

/**
 * A read-only SELECT compiled by one of Vigil's query compilers (hunting language, Sigma retro-hunts) for this
 * store's dialect. Every value from a user is in `params` (bound as `$1`, `$2`, ...), never in `sql`.
 */
export interface CompiledSelect {
  sql: string;
  params: readonly (string | number | boolean)[];
  /** The same query for a store with secondary indexes; a store without them (or unable to answer) runs `sql`. */
  indexed?: IndexedSelect;
}

/**
 * A condition on the events of one source (a category table, or every table when `category` is null) that a
 * secondary index may answer with the exact set of matching rows. Values follow the hunting language's semantics:
 * - `equals`: the field (or an element of a list field) equals one of `values`; `ignoreCase` compares lower-cased
 *   ASCII (the values are given lower-cased), otherwise byte for byte.
 * - `contains`: the field (or an element) contains `needle` (given lower-cased ASCII), ignoring ASCII case.
 * - `fuzzy`: some token of the event's searchable text (its text, list and JSON fields except event.id, host.id and
 *   event.category, lower-cased and split on characters other than ASCII letters, digits and `_`) is within
 *   `distance` Levenshtein edits of `term`, which is longer than `distance`.
 * - `number`: the integer field equals one of `values` (safe integers).
 */
export type IndexProbe =
  | { kind: 'equals'; field: string; values: readonly string[]; ignoreCase: boolean }
  | { kind: 'contains'; field: string; needle: string }
  | { kind: 'fuzzy'; term: string; distance: number }
  | { kind: 'number'; field: string; values: readonly number[] };

/**
 * `sql` and `params` with each probed event source replaced by the identifier `"vigil.index.<n>"` (n = 1-based
 * position in `sources`). A store that answers every probe exactly replaces that identifier with a row source holding
 * the category's columns but only the matching rows (`rows`) or only the tables with a matching row (`tables`), and
 * appends the parameters it needs after `params`. With `restrict: 'rows'` the probed condition is left out of `sql`
 * (the row source alone applies it); with `tables` it stays in. A store that cannot answer one probe exactly runs
 * the plain `sql`, never this one.
 */
export interface IndexedSelect {
  sql: string;
  params: readonly (string | number | boolean)[];
  sources: readonly { category: string | null; probe: IndexProbe; restrict: 'rows' | 'tables' }[];
  /** Set when an index alone may answer the whole query (see `IndexOnly`). */
  indexOnly?: IndexOnly;
}

/**
 * Queries whose whole answer an index may give without SQL:
 * - `count`: one row `{ count }`, the number of rows of the one probed source (no other condition);
 * - `timechart`: rows `{ "@timestamp", count }` counting every event of the source (a category, or the `events` view
 *   when null) per bucket of `spanMs` from the Unix epoch, bucket start as ISO 8601, ascending, at most `limit` rows.
 * - `stats`: for the one probed source, whose probe is an exact `equals`: one row per group of the matching rows by
 *   the probed value and/or host.id (`by`, in output order), with `count` (rows) and `min`/`max` of @timestamp (ISO
 *   8601) under their names; ordered by the group keys ascending, at most `limit` rows.
 * - `rows`: the matching rows of the one probed source (no other condition), each with the listed `columns` (schema
 *   fields of the source) that are not null, in that key order, ordered by @timestamp then event.sequence, both
 *   descending, at most `limit` rows: what the plain `sql` returns.
 * - `sequence`: the plain `sql` is a sequence (hunting language) over `steps`; each step's `sql` (own `params`) selects
 *   its events as `id` (event.id), `ts` (@timestamp), `sq` (event.sequence) and the join keys `k1..kn` (the fields
 *   `keys`); when `probe` is set, the step's events are exactly the rows of its category (all when null) matching it.
 *   A step's event follows the previous step's by time, or in the same instant by a higher sequence, on equal keys
 *   (all non-null), at most `maxspanMs` after the first step's; each earlier partial sequence takes the earliest such
 *   event (by ts, sq, id); of the sequences ending on one event, the one whose first event is latest (by ts, then id)
 *   is kept. `output: 'rows'` gives the `by` keys, sequence.start, sequence.end and stepN.event.id / stepN.@timestamp
 *   per sequence, by sequence.start ascending, at most `limit`; `count` gives one row `{ count }`.
 * - `top`: over every event of the source (a category, or the `events` view when null), one row per distinct value of
 *   the scalar text `field` (null is a value: its row lacks the key) as `{ [field], count }`, by count descending
 *   then value ascending (null last), at most `limit` rows; `sql` has no probed source.
 */
export type IndexOnly =
  | { kind: 'count' }
  | { kind: 'rows'; columns: readonly string[]; limit: number }
  | { kind: 'sequence'; steps: readonly SequenceStep[]; maxspanMs: number | null; by: readonly string[]; output: 'rows' | 'count'; limit: number }
  | { kind: 'timechart'; category: string | null; spanMs: number; limit: number }
  | { kind: 'top'; category: string | null; field: string; limit: number }
  | { kind: 'stats'; by: { name: string; of: 'value' | 'host' }[]; aggregations: { name: string; fn: 'count' | 'min' | 'max' }[]; limit: number };

/** One step of an indexed sequence (see `IndexOnly`). */
export interface SequenceStep {
  category: string | null;
  keys: readonly string[];
  probe: IndexProbe | null;
  sql: string;
  /** The WHERE condition of `sql` alone ('' for none), on the category's columns, same parameters. */
  where: string;
  params: readonly (string | number | boolean)[];
}

/** The identifier standing for the n-th probed source in `IndexedSelect.sql`. */
export function indexSourceIdentifier(n: number): string {
  return `"vigil.index.${n}"`;
}

export interface CountRow {
  key: string;
  count: number;
}

/**
 * The JSON text of each appended event as the server received it (from the batch decoder): when `starts[i] >= 0`,
 * bytes `source[starts[i]..ends[i])` are one JSON object on one line, valid UTF-8, without repeated keys or nested
 * objects, that parses to exactly `events[i]` as validated. A store may journal these bytes instead of serialising.
 */
export interface RawEventSlices {
  source: Uint8Array;
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
}

/**
 * Lifecycle: `open` once before anything else, `close` once at the end (waits for pending appends).
 * `append` may be called concurrently; calls for one host must be issued in sequence order. Its promise resolves
 * only after the events are durable (a crash after resolution never loses them). It sets `event.ingested` on every
 * stored event, replacing any value the sender put there. Reads may run concurrently with appends and see every
 * append that resolved before the read started.
 */
export interface EventStore {
  readonly name: string;
  open(): Promise<void>;
  append(hostId: string, events: readonly VigilEvent[], raw?: RawEventSlices): Promise<AppendResult>;
  /** Highest durably stored event.sequence for the host, or -1. */
  watermark(hostId: string): Promise<number>;
  queryEvents(query: EventQuery): Promise<Record<string, unknown>[]>;
  countEvents(filter: EventFilter, groupBy: 'category' | 'action' | 'host' | 'none'): Promise<CountRow[]>;
  /** Runs a compiled SELECT over the `events` view and the category tables; rows as plain JSON values. */
  search(query: CompiledSelect): Promise<Record<string, unknown>[]>;
  /**
   * Optional: the children of processes from an edge index: exactly the distinct (`process.parent.entity_id`,
   * `process.entity_id`) pairs of stored process events of the host whose parent is one of `parentEntityIds` and
   * whose entity id is set, in no particular order. Undefined when the store cannot answer (then query with SQL).
   */
  processChildren?(hostId: string, parentEntityIds: readonly string[]): Promise<{ parent: string; child: string }[] | undefined>;
  /** Optional: current internal queue depths as named gauges (metric-name-safe keys), read without I/O. */
  stats?(): Record<string, number>;
  close(): Promise<void>;
}
