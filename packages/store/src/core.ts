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
  /** Optional: current internal queue depths as named gauges (metric-name-safe keys), read without I/O. */
  stats?(): Record<string, number>;
  close(): Promise<void>;
}
