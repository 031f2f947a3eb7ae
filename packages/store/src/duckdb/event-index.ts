// Vigil's secondary indexes over the embedded store's event tables, held in memory and rebuilt from the tables on
// open: value dictionaries (exact and substring matches) and a token vocabulary (fuzzy search), keyed to row ids.
// It answers a probe with exactly the rows the SQL condition selects, or not at all; never with fewer rows.

import type { DuckDBConnection } from '@duckdb/node-api';
import type { IndexProbe } from '../core.js';
import { eventTables, ident, type TableSpec } from './ddl.js';

/** Row ids of one table are below 2^27; a location is `tableIndex * 2^27 + rowid` (fits a Uint32). */
const ROWID_LIMIT = 2 ** 27;
/** Rows read back per query while indexing, and rows indexed between two yields to the event loop. */
const READ_CHUNK = 16_384;
const YIELD_EVERY = 1024;
/** Fuzzy terms are at most 64 characters and 3 edits: longer tokens can never match and are not kept. */
const MAX_TOKEN = 67;
/** `valueCounts` walks every distinct value of the field: beyond this many, grouping is left to SQL. */
const MAX_COUNTED_VALUES = 65_536;

const TEXT_TYPES = new Set(['keyword', 'text', 'ip', 'keyword[]', 'ip[]', 'object']);
const HASH_FIELD = /\.(md5|sha1|sha256|imphash)$/;
const NOT_SEARCHABLE = new Set(['event.id', 'host.id', 'event.category']);
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
const TOKEN_SPLIT = /[^a-z0-9_]+/;
/**
 * Integer fields with exact-value postings (`number` probes). Their values span a small range (at most 65,536 distinct),
 * so their postings are never stopped: they cost at most 4 bytes per row holding the field.
 */
const NUMBER_FIELDS = new Set(['source.port', 'destination.port', 'winlog.event_id']);

export interface EventIndexOptions {
  /**
   * A value or token found in more than this share of the indexed rows of all tables (and at least `minStop` rows) stops
   * being indexed: probes that need it are answered by the SQL path. Keeps memory for frequent values bounded.
   */
  stopFraction?: number;
  minStop?: number;
}

/** Exact matching rows per table index (into `eventTables`), row ids ascending and unique. */
export type IndexAnswer = Map<number, Float64Array>;

export interface EventIndex {
  /**
   * Indexes every row not indexed yet of the given tables (positions in `eventTables`; all when absent); after a
   * delete it starts over. Calls must not overlap. When `stop` turns true it returns early (the index is then only
   * good for being thrown away: the store is closing). `limitOf(table)`, asked after the table's bounds are read,
   * is a row id from which rows are left to a later `append` (they are not read).
   */
  catchUp(db: DuckDBConnection, only?: ReadonlySet<number>, stop?: () => boolean, limitOf?: (table: number) => number | undefined): Promise<void>;
  /**
   * Indexes rows just appended to one table from the events the store loaded, without reading them back: `events[i]`
   * is row id `first + i`, exactly as stored (the caller checked the row ids). Indexes nothing and returns false when
   * the index is not exactly at `first` or an event holds a value whose stored text it cannot know (a JSON object, a
   * non-string text value, a time not in UTC): `catchUp` then reads the rows back. Must not overlap `catchUp`.
   */
  append(table: number, first: number, events: readonly Readonly<Record<string, unknown>>[]): boolean;
  /** The exact rows of the given tables that satisfy the probe, or undefined when this index cannot be sure. */
  lookup(probe: IndexProbe, tables: readonly number[]): IndexAnswer | undefined;
  /** How many rows `lookup` answers, or undefined when it would not answer; counted without listing them where no row can match twice. */
  count(probe: IndexProbe, tables: readonly number[]): number | undefined;
  /**
   * For a probe on one value (`equals` or `number` with a single value): the value's row list, from which `lookup`
   * answers it (its rows of the given tables are `lookup`'s answer). `locs.subarray(0, n)` are locations (`table *
   * 2^27 + rowid`; each table's rows ascending, tables interleaved). `list` names the list while it only grows: rows
   * are only ever added at its end, so data a caller keeps per position of a `list` stays valid for that position
   * until `generation` changes (a reset); `list` is null for a value held by one row. Null when no row holds the
   * value; undefined when `lookup` would not answer exactly.
   */
  valueList(probe: IndexProbe, tables: readonly number[]): { list: object | null; locs: Uint32Array; n: number; generation: number } | null | undefined;
  /**
   * Events per bucket of `spanMs` (a whole number of minutes) over the given tables, keyed by bucket start (ms since
   * the epoch); undefined when this index cannot be sure (a span not in whole minutes, times before 1970).
   */
  timeBuckets(tables: readonly number[], spanMs: number): Map<number, number> | undefined;
  /**
   * Parent → child edges of processes (`process.parent.entity_id` → `process.entity_id` of events_process rows on the
   * host, both present), for the given parents; undefined when the process table is not indexed.
   */
  children(hostId: string, parents: readonly string[]): { parent: string; child: string }[] | undefined;
  /**
   * For an exact `equals` probe: per value and host, the matching rows' count and first and last @timestamp (ms);
   * undefined when this index cannot be sure. Answered from per-value summaries kept at indexing, in time
   * proportional to the values and their hosts (not their rows), also for values too frequent to keep their rows.
   */
  valueHostStats(probe: IndexProbe, tables: readonly number[]): { value: string; host: string; count: number; first: number; last: number }[] | undefined;
  /**
   * Rows of one table per value of a scalar text field (exact stored text) and the rows where it is null (all of them
   * when the table lacks the field); undefined when this index cannot be sure (a list or JSON field, values with
   * non-ASCII or, for case-folded fields, upper-case characters; more than 65,536 distinct values of the field).
   */
  valueCounts(field: string, table: number): { values: Map<string, number>; nulls: number } | undefined;
  /** @timestamp (ms since the epoch, floored) of a row id from `lookup`. */
  rowTime(table: number, rowid: number): number;
  /** Host codes (see `hostName`) of rows of one table written to `into` from `at` on, in the order asked; false when a row is not indexed. */
  rowHosts(table: number, rowids: ArrayLike<number>, into: Int32Array, at: number): boolean;
  /** The host.id of a host code (codes are stable until a reset). */
  hostName(code: number): string;
  /** Gauges for `EventStore.stats`. */
  stats(): Record<string, number>;
  /** Forgets everything; the next `catchUp` rebuilds from the tables. */
  reset(): void;
}

/**
 * Posting list of locations, growing; `n = -1` once stopped (too frequent to be worth keeping). A stopped list of
 * locations still counts its rows per table (`stoppedCounts`); `last` is the last location added after the stop.
 */
class Posting {
  locs: Uint32Array;
  n: number;
  stoppedCounts: Float64Array | null = null;
  last = -1;
  constructor(first: number, second: number) {
    this.locs = new Uint32Array(4);
    this.locs[0] = first;
    this.locs[1] = second;
    this.n = 2;
  }
  /** An empty list with room for `capacity` entries (filled with `locs[n++] = …` up to it, then `push`). */
  static withCapacity(capacity: number): Posting {
    const posting = new Posting(0, 0);
    posting.locs = new Uint32Array(Math.max(4, capacity));
    posting.n = 0;
    return posting;
  }
  push(loc: number): void {
    if (this.n === this.locs.length) {
      const grown = new Uint32Array(this.n * 2);
      grown.set(this.locs);
      this.locs = grown;
    }
    this.locs[this.n++] = loc;
  }
  stop(): void {
    const counts = new Float64Array(eventTables.length);
    for (let i = 0; i < this.n; i++) counts[Math.floor(this.locs[i]! / ROWID_LIMIT)]! += 1;
    this.last = this.locs[this.n - 1]!;
    this.stoppedCounts = counts;
    this.locs = new Uint32Array(0);
    this.n = -1;
  }
  /** Counts a location added after the stop (once per row: rows come in ascending location order per table). */
  countStopped(loc: number): void {
    if (loc === this.last) return;
    this.last = loc;
    this.stoppedCounts![Math.floor(loc / ROWID_LIMIT)]! += 1;
  }
}

type Entry = number | Posting;

interface Dictionary {
  field: string;
  /** Keys are lower-cased (case-insensitive matching); hash fields keep their exact bytes. */
  foldCase: boolean;
  /** A list field in some table: one row may hold several keys. */
  lists: boolean;
  /** Key → its id (position in `keys` and `entries`). */
  ids: Map<string, number>;
  /** Per key id, its rows (a probe over candidate ids reads them without a lookup by text). */
  entries: Entry[];
  /** Per table: rows holding a non-ASCII value, which this index does not judge (probes on them fall back). */
  unsure: Uint32Array;
  /** Per table: values (of a case-folded dictionary) holding upper-case characters, so keys are not the stored text. */
  mixedCase: Uint32Array;
  /** Every key in insertion order (a key's id is its position). */
  keys: string[];
  /**
   * Exact (hash) dictionaries only: per value held by two rows or more, per (table, host) its rows' count and first
   * and last @timestamp, kept at indexing (also after the value's row list is stopped); null for case-folded ones.
   */
  summaries: Map<string, ValueSummary> | null;
  /**
   * Trigram → ids of the keys holding it, for `contains`; built on the first `contains` probe of the field and kept
   * up to date from then on (`gramsThrough` keys covered). Trigrams held by too many keys are stopped.
   */
  grams: Map<number, Entry> | null;
  gramsThrough: number;
}

/**
 * Per (table, host) groups of a value's rows: `slots` holds 5 numbers per group (table, host code, rows, first and
 * last @timestamp in ms); `at` finds a group's offset by `host * 32 + table` once there are more than a few.
 */
interface ValueSummary {
  slots: number[];
  at: Map<number, number> | null;
}

/** Exact-value postings of one integer field (NUMBER_FIELDS). */
interface NumberDictionary {
  field: string;
  values: Map<number, Entry>;
  /** Per table: rows whose value is not a safe integer, which this index does not judge (probes fall back). */
  unsure: Uint32Array;
}

interface TableState {
  spec: TableSpec;
  /** Rows indexed, and the row id after the last one. */
  rows: number;
  next: number;
  /** Searchable columns (text, lists, JSON as text), in table order; `dictionaries[i]` is set for indexed ones. */
  columns: { name: string; type: string; dictionary: Dictionary | undefined }[];
  /** Indexed integer columns (NUMBER_FIELDS the table has); their values follow the searchable columns in a row. */
  numbers: NumberDictionary[];
  /** Rows whose searchable text holds non-ASCII characters (fuzzy probes over this table fall back). */
  unsureText: number;
  /** Row ids beyond the location range: this table is no longer indexed. */
  overflow: boolean;
  /** Rows per minute of @timestamp (minutes since the epoch); `beforeEpoch` once a row is older than 1970. */
  minutes: Map<number, number>;
  beforeEpoch: boolean;
  /** Per row id: @timestamp (ms since the epoch) and host (position in `hosts`), for index-only statistics. */
  times: Float64Array;
  hostOf: Uint32Array;
}

/**
 * An object column's value the index can take from memory: an object whose values are strings, booleans, null or safe
 * integers. Its `JSON.stringify` text then holds the same tokens as DuckDB's text of the stored JSON (which the
 * catch-up reads back): the same escapes apart from the case of `\u` hex digits (tokens are lower-cased), and key
 * order, which tokens do not keep. Other numbers (1e21 is 1e+21 in JavaScript) and nested values are read back.
 */
function isFlatObject(value: unknown): value is Record<string, string | boolean | number | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v !== 'string' && typeof v !== 'boolean' && !Number.isSafeInteger(v)) return false;
  }
  return true;
}

export function createEventIndex(options: EventIndexOptions = {}): EventIndex {
  const stopFraction = options.stopFraction ?? 1 / 32;
  const minStop = options.minStop ?? 10_000;
  const dictionaries = new Map<string, Dictionary>();
  const numberDictionaries = new Map<string, NumberDictionary>();
  /** Token → ids of the dictionary keys whose text holds it (a key's text is tokenized once, when first seen). */
  let tokenKeys = new Map<string, Entry>();
  /** Token → rows, for text kept in no dictionary (JSON objects). */
  let tokenRows = new Map<string, Entry>();
  /** Global key ids: the dictionary and the key of each. */
  let keyDictionary: Dictionary[] = [];
  let keyText: string[] = [];
  /** Tokens by length (1..MAX_TOKEN), for fuzzy candidate generation. */
  let tokensByLength: string[][] = [];
  let tables: TableState[] = [];
  let postingsHeld = 0;
  /** Every host.id seen, and its position. */
  let hosts: string[] = [];
  let hostCodes = new Map<string, number>();
  /** `host.id \0 parent entity id` → child entity ids. */
  let edges = new Map<string, Set<string>>();
  let edgeCount = 0;
  const processTable = eventTables.findIndex((t) => t.table === 'events_process');
  /** Rows indexed by `append` (from the loaded events, not read back), since creation. */
  let rowsFromLoads = 0;

  /** Counts resets: a row list (`valueList`) of one generation is never confused with one of another. */
  let generation = 0;

  function reset(): void {
    generation++;
    dictionaries.clear();
    numberDictionaries.clear();
    tokenKeys = new Map();
    tokenRows = new Map();
    edges = new Map();
    edgeCount = 0;
    hosts = [];
    hostCodes = new Map();
    keyDictionary = [];
    keyText = [];
    tokensByLength = Array.from({ length: MAX_TOKEN + 1 }, () => []);
    postingsHeld = 0;
    tables = eventTables.map((spec) => ({
      spec,
      rows: 0,
      next: 0,
      unsureText: 0,
      overflow: false,
      minutes: new Map(),
      times: new Float64Array(0),
      hostOf: new Uint32Array(0),
      beforeEpoch: false,
      columns: spec.fields
        .filter((f) => TEXT_TYPES.has(f.type) && !NOT_SEARCHABLE.has(f.name))
        .map((f) => {
          let dictionary: Dictionary | undefined;
          if (f.type !== 'object') {
            dictionary = dictionaries.get(f.name);
            if (!dictionary) {
              dictionary = {
                field: f.name,
                foldCase: !(f.type === 'keyword' && HASH_FIELD.test(f.name)),
                lists: false,
                ids: new Map(),
                entries: [],
                unsure: new Uint32Array(eventTables.length),
                mixedCase: new Uint32Array(eventTables.length),
                keys: [],
                summaries: f.type === 'keyword' && HASH_FIELD.test(f.name) ? new Map() : null,
                grams: null,
                gramsThrough: 0,
              };
              dictionaries.set(f.name, dictionary);
            }
            if (f.type.endsWith('[]')) dictionary.lists = true;
          }
          return { name: f.name, type: f.type, dictionary };
        }),
      numbers: spec.fields
        .filter((f) => f.type === 'long' && NUMBER_FIELDS.has(f.name))
        .map((f) => {
          let dictionary = numberDictionaries.get(f.name);
          if (!dictionary) numberDictionaries.set(f.name, (dictionary = { field: f.name, values: new Map(), unsure: new Uint32Array(eventTables.length) }));
          return dictionary;
        }),
    }));
  }
  reset();

  /**
   * The length past which a posting list stops, with `pending` rows read but not yet counted in a table's `rows`: a
   * share of the rows indexed over all tables, since one field's list (a dictionary, the row tokens) spans every table
   * holding it. (A share of the table being indexed stopped a value common in a large table as soon as a small table
   * was indexed: at 10M events process.name "curl", 37k process rows, stopped at the file table's first rows.)
   */
  function stopAtAfter(pending: number): number {
    let rows = pending;
    for (const state of tables) rows += state.rows;
    return Math.max(minStop, Math.floor(rows * stopFraction));
  }

  /** Adds `loc` to the entry of `key` (once per row: rows are added in ascending location order per table). */
  function add<K>(map: Map<K, Entry>, key: K, loc: number, stopAt: number): boolean {
    const entry = map.get(key);
    if (entry === undefined) {
      map.set(key, loc);
      postingsHeld++;
      return true;
    }
    const next = extended(entry, loc, stopAt);
    if (next !== entry) map.set(key, next);
    return false;
  }

  /** An existing entry with `loc` added (once per row): the same Posting, or a new one when it held one row. */
  function extended(entry: Entry, loc: number, stopAt: number): Entry {
    if (typeof entry === 'number') {
      if (entry === loc) return entry;
      postingsHeld++;
      return new Posting(entry, loc);
    }
    if (entry.n < 0) {
      entry.countStopped(loc);
      return entry;
    }
    if (entry.locs[entry.n - 1] === loc) return entry;
    entry.push(loc);
    postingsHeld++;
    if (entry.n > stopAt) {
      postingsHeld -= entry.n;
      entry.stop();
    }
    return entry;
  }

  /** The rows of a dictionary key, if any row holds it. */
  function entryOf(dictionary: Dictionary, key: string): Entry | undefined {
    const id = dictionary.ids.get(key);
    return id === undefined ? undefined : dictionary.entries[id];
  }

  /** Records a token of a key (by global id) or of a row (by location) and lists new tokens by length. */
  function addToken(map: Map<string, Entry>, other: Map<string, Entry>, token: string, id: number, stopAt: number): void {
    if (token.length === 0 || token.length > MAX_TOKEN) return;
    if (add(map, token, id, stopAt) && !other.has(token)) tokensByLength[token.length]!.push(token);
  }

  /** Adds one row (table, host code, time) to a value's summary. */
  function fold(summary: ValueSummary, table: number, host: number, ms: number): void {
    const slots = summary.slots;
    let at = -1;
    if (summary.at) at = summary.at.get(host * 32 + table) ?? -1;
    else {
      for (let i = 0; i < slots.length; i += 5) {
        if (slots[i] === table && slots[i + 1] === host) {
          at = i;
          break;
        }
      }
    }
    if (at < 0) {
      at = slots.length;
      slots.push(table, host, 1, ms, ms);
      if (summary.at) summary.at.set(host * 32 + table, at);
      else if (slots.length > 40) summary.at = new Map(Array.from({ length: slots.length / 5 }, (_, g) => [slots[g * 5 + 1]! * 32 + slots[g * 5]!, g * 5]));
      return;
    }
    slots[at + 2]! += 1;
    if (ms < slots[at + 3]!) slots[at + 3] = ms;
    if (ms > slots[at + 4]!) slots[at + 4] = ms;
  }

  /**
   * Keeps the summary of `key` in an exact dictionary after row `loc` was added; `before` is the key's entry before
   * (a value's first row needs no summary: its row is its summary).
   */
  function summarize(summaries: Map<string, ValueSummary>, key: string, before: Entry | undefined, loc: number, table: number, host: number, ms: number): void {
    if (before === undefined || before === loc) return;
    let summary = summaries.get(key);
    if (!summary) {
      if (typeof before !== 'number') throw new Error('index summary missing for a value held by several rows');
      summaries.set(key, (summary = { slots: [], at: null }));
      const firstTable = before >>> 27;
      const firstRow = before & (ROWID_LIMIT - 1);
      fold(summary, firstTable, tables[firstTable]!.hostOf[firstRow]!, tables[firstTable]!.times[firstRow]!);
    }
    fold(summary, table, host, ms);
  }

  /**
   * Indexes one row read back from DuckDB: `row[0]` the row id, `row[1]` @timestamp in ms since the epoch, `row[2]`
   * host.id, then the values of `state.columns[used[i]]`, then those of `state.numbers`; `entity` holds the positions (in `row`) of the process and
   * parent entity ids, or -1.
   */
  function indexRow(table: number, state: TableState, row: unknown[], used: readonly number[], stopAt: number, entity: readonly [number, number]): void {
    const loc = table * ROWID_LIMIT + Number(row[0]);
    if (entity[0] >= 0 && entity[1] >= 0) {
      const child = row[entity[0]];
      const parent = row[entity[1]];
      if (typeof child === 'string' && typeof parent === 'string') {
        const key = `${String(row[2])}\0${parent}`;
        let set = edges.get(key);
        if (!set) edges.set(key, (set = new Set()));
        if (!set.has(child)) {
          set.add(child);
          edgeCount++;
        }
      }
    }
    const ms = Number(row[1]);
    if (!(ms >= 0)) state.beforeEpoch = true;
    const minute = Math.floor(ms / 60_000);
    state.minutes.set(minute, (state.minutes.get(minute) ?? 0) + 1);
    const rowid = Number(row[0]);
    if (rowid >= state.times.length) {
      const size = Math.max(1024, rowid + 1, state.times.length * 2);
      const times = new Float64Array(size);
      times.set(state.times);
      state.times = times;
      const hostOf = new Uint32Array(size);
      hostOf.set(state.hostOf);
      state.hostOf = hostOf;
    }
    state.times[rowid] = ms;
    const host = String(row[2]);
    let code = hostCodes.get(host);
    if (code === undefined) {
      hostCodes.set(host, (code = hosts.length));
      hosts.push(host);
    }
    state.hostOf[rowid] = code;
    let asciiText = true;
    for (let u = 0; u < used.length; u++) {
      const value = row[u + 3];
      if (value === null || value === undefined) continue;
      const column = state.columns[used[u]!]!;
      const dictionary = column.dictionary;
      const many = Array.isArray(value);
      const count = many ? value.length : 1;
      for (let e = 0; e < count; e++) {
        const element: unknown = many ? value[e] : value;
        if (element === null || element === undefined) continue;
        const text = typeof element === 'string' ? element : String(element);
        if (NON_ASCII.test(text)) {
          asciiText = false;
          if (dictionary) dictionary.unsure[table]!++;
          continue;
        }
        if (!dictionary) {
          for (const token of text.toLowerCase().split(TOKEN_SPLIT)) addToken(tokenRows, tokenKeys, token, loc, stopAt);
          continue;
        }
        const lower = text.toLowerCase();
        const key = dictionary.foldCase ? lower : text;
        if (dictionary.foldCase && lower !== text) dictionary.mixedCase[table]!++;
        const known = dictionary.ids.get(key);
        const before = known === undefined ? undefined : dictionary.entries[known]!;
        if (known === undefined) {
          dictionary.ids.set(key, dictionary.keys.length);
          dictionary.entries.push(loc);
          postingsHeld++;
        } else dictionary.entries[known] = extended(before!, loc, stopAt);
        if (dictionary.summaries) summarize(dictionary.summaries, key, before, loc, table, code, ms);
        if (known === undefined) {
          dictionary.keys.push(key);
          const id = keyText.length;
          keyText.push(key);
          keyDictionary.push(dictionary);
          for (const token of lower.split(TOKEN_SPLIT)) addToken(tokenKeys, tokenRows, token, id, Number.MAX_SAFE_INTEGER);
        }
      }
    }
    if (!asciiText) state.unsureText++;
    for (let n = 0; n < state.numbers.length; n++) {
      const value = row[3 + used.length + n];
      if (value === null || value === undefined) continue;
      const dictionary = state.numbers[n]!;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) dictionary.unsure[table]!++;
      else add(dictionary.values, value, loc, Infinity);
    }
  }

  /**
   * Reads the rows after the last indexed row id (row ids only grow while a table is only appended to). False when
   * the table lost rows since (a delete): the caller starts over.
   */
  async function catchUpTable(db: DuckDBConnection, table: number, state: TableState, stop: () => boolean, limitOf?: (table: number) => number | undefined): Promise<boolean> {
    const name = ident(state.spec.table);
    const bounds = (await db.runAndReadAll(`SELECT count(*), max(rowid) FROM ${name}`)).getRows()[0];
    let count = Number(bounds?.[0] ?? 0);
    let last = bounds?.[1] === null || bounds?.[1] === undefined ? -1 : Number(bounds[1]);
    // Rows from `limit` on are appended from memory later (asked after the bounds: a reservation precedes its rows).
    const limit = limitOf?.(table);
    if (limit !== undefined && last >= limit) {
      last = limit - 1;
      count = Number((await db.runAndReadAll(`SELECT count(*) FROM ${name} WHERE rowid < $1`, [limit])).getRows()[0]?.[0] ?? 0);
    }
    // Beyond the location range the table is left unindexed for good (its probes scan); not an inconsistency.
    if (last >= ROWID_LIMIT) state.overflow = true;
    if (state.overflow) return true;
    let read = 0;
    if (state.next <= last) {
      // Only the columns the new rows use are read back, as JSON text (one string per chunk crosses into JS).
      const value = (c: TableState['columns'][number]) => (c.type === 'object' ? `CAST(${ident(c.name)} AS VARCHAR)` : ident(c.name));
      const counts = (await db.runAndReadAll(`SELECT ${state.columns.map((c) => `count(${ident(c.name)})`).join(', ')} FROM ${name} WHERE rowid >= $1`, [state.next])).getRows()[0] ?? [];
      const used = state.columns.flatMap((_, i) => (Number(counts[i] ?? 0) > 0 ? [i] : []));
      const at = (name: string) => {
        const position = used.findIndex((i) => state.columns[i]!.name === name);
        return table === processTable && position >= 0 ? position + 3 : -1;
      };
      const entity: [number, number] = [at('process.entity_id'), at('process.parent.entity_id')];
      const numbers = state.numbers.map((d) => `, ${ident(d.field)}`).join('');
      const select = `json_array(rowid, epoch_ms("@timestamp"), "host.id"${used.map((i) => ', ' + value(state.columns[i]!)).join('')}${numbers})::VARCHAR`;
      while (state.next <= last) {
        if (stop()) return true;
        const from = state.next;
        const stopAt = stopAtAfter(read);
        // In row id order: postings grow in ascending location order (what `extended` and the step columns rely on).
        // Never past `last`: later rows are reserved for `append` or the next catch-up (read now, they would be indexed twice).
        const text = (await db.runAndReadAll(`SELECT string_agg(${select}, ',' ORDER BY rowid) FROM ${name} WHERE rowid >= $1 AND rowid < $2`, [from, Math.min(from + READ_CHUNK, last + 1)])).getRows()[0]?.[0];
        const rows = typeof text === 'string' ? (JSON.parse(`[${text}]`) as unknown[][]) : [];
        for (let r = 0; r < rows.length; r++) {
          indexRow(table, state, rows[r]!, used, stopAt, entity);
          // Indexing runs beside ingest and requests: it never holds the event loop for long.
          if (r % YIELD_EVERY === YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        read += rows.length;
        state.next = from + READ_CHUNK;
      }
    }
    state.next = last + 1;
    state.rows += read;
    return count === state.rows;
  }

  /**
   * Ids of the keys that may contain `needle` (a superset, checked by the caller), from its rarest kept trigram; null
   * when the needle is shorter than a trigram or all its trigrams are too frequent to be kept (a scan is faster then).
   */
  function containingKeys(dictionary: Dictionary, needle: string): ArrayLike<number> | null {
    if (needle.length < 3) return null;
    const stopAt = Math.max(minStop, Math.floor(dictionary.keys.length * stopFraction));
    if (!dictionary.grams) {
      const built = buildGrams(dictionary.keys, stopAt);
      dictionary.grams = built ?? new Map();
      dictionary.gramsThrough = built ? dictionary.keys.length : 0;
    }
    const grams = dictionary.grams;
    for (; dictionary.gramsThrough < dictionary.keys.length; dictionary.gramsThrough++) {
      const key = dictionary.keys[dictionary.gramsThrough]!;
      for (let i = 0; i + 3 <= key.length; i++) add3(grams, trigram(key, i), dictionary.gramsThrough, stopAt);
    }
    let best: Entry | undefined;
    let bestSize = Infinity;
    for (let i = 0; i + 3 <= needle.length; i++) {
      const entry = grams.get(trigram(needle, i));
      if (entry === undefined) return [];
      const size = typeof entry === 'number' ? 1 : entry.n < 0 ? Infinity : entry.n;
      if (size < bestSize) [best, bestSize] = [entry, size];
    }
    if (best === undefined || bestSize === Infinity) return null;
    return typeof best === 'number' ? [best] : best.locs.subarray(0, best.n);
  }

  /**
   * `collect` for each candidate key (ids from `containingKeys`) that contains `needle`; false when one's rows are not
   * kept. A small function of its own, so that its loop is optimised after a few queries.
   */
  function collectContaining(found: RowSink, dictionary: Dictionary, candidates: ArrayLike<number>, needle: string): boolean {
    const keys = dictionary.keys;
    const entries = dictionary.entries;
    for (let c = 0; c < candidates.length; c++) {
      const id = candidates[c]!;
      if (keys[id]!.includes(needle) && !collect(found, entries[id])) return false;
    }
    return true;
  }

  /**
   * The trigram index of `keys` (ids are positions) exactly as `add3` over every key in order would leave it, built
   * in two passes (count, then fill lists of their final size) so that no list grows; null when a key holds a
   * character beyond ASCII (never expected: such values are not kept) and `add3` must build it.
   */
  function buildGrams(keys: readonly string[], stopAt: number): Map<number, Entry> | null {
    // Trigrams of ASCII text are below 2^21 (7 bits per character): per trigram, its keys and the last key counted.
    const counts = new Int32Array(1 << 21);
    const lastKey = new Int32Array(1 << 21).fill(-1);
    for (let id = 0; id < keys.length; id++) {
      const key = keys[id]!;
      for (let i = 0; i + 3 <= key.length; i++) {
        const gram = trigram(key, i);
        if (gram >>> 21 !== 0) return null;
        if (lastKey[gram] === id) continue;
        lastKey[gram] = id;
        counts[gram]!++;
      }
    }
    const grams = new Map<number, Entry>();
    const lists: Posting[] = [];
    // From here `counts` holds, for trigrams whose lists are filled below, the list's position in `lists`; else -1.
    for (let gram = 0; gram < counts.length; gram++) {
      const count = counts[gram]!;
      counts[gram] = -1;
      if (count === 0) continue;
      if (count === 1) grams.set(gram, lastKey[gram]!);
      else if (count > stopAt) {
        // Held by too many keys: stopped, as `add3` stops a list that grows past `stopAt`.
        const stopped = Posting.withCapacity(0);
        stopped.n = -1;
        grams.set(gram, stopped);
      } else {
        const list = Posting.withCapacity(count);
        counts[gram] = lists.length;
        lists.push(list);
        grams.set(gram, list);
      }
    }
    lastKey.fill(-1);
    for (let id = 0; id < keys.length; id++) {
      const key = keys[id]!;
      for (let i = 0; i + 3 <= key.length; i++) {
        const gram = trigram(key, i);
        const at = counts[gram]!;
        if (at < 0 || lastKey[gram] === id) continue;
        lastKey[gram] = id;
        const list = lists[at]!;
        list.locs[list.n++] = id;
      }
    }
    return grams;
  }

  /** `add` for trigram postings of key ids (numeric keys). */
  function add3(map: Map<number, Entry>, gram: number, id: number, stopAt: number): void {
    const entry = map.get(gram);
    if (entry === undefined) map.set(gram, id);
    else if (typeof entry === 'number') {
      if (entry !== id) map.set(gram, new Posting(entry, id));
    } else if (entry.n >= 0 && entry.locs[entry.n - 1] !== id) {
      entry.push(id);
      if (entry.n > stopAt) entry.stop();
    }
  }

  /** Character masks (`charMask`) of a `tokensByLength` list, extended as the list grows; a reset makes new lists. */
  const masksOf = new WeakMap<string[], { masks: Int32Array; counted: number }>();
  function tokenMasks(tokens: string[]): Int32Array {
    let cache = masksOf.get(tokens);
    if (!cache) masksOf.set(tokens, (cache = { masks: new Int32Array(16), counted: 0 }));
    if (cache.masks.length < tokens.length) {
      const grown = new Int32Array(tokens.length * 2);
      grown.set(cache.masks.subarray(0, cache.counted));
      cache.masks = grown;
    }
    for (; cache.counted < tokens.length; cache.counted++) cache.masks[cache.counted] = charMask(tokens[cache.counted]!);
    return cache.masks;
  }

  function collect(out: RowSink, entry: Entry | undefined): boolean {
    if (entry === undefined) return true;
    if (typeof entry === 'number') {
      out.add(entry);
      return true;
    }
    if (entry.n < 0) return false;
    const locs = entry.locs;
    for (let i = 0; i < entry.n; i++) out.add(locs[i]!);
    return true;
  }

  /**
   * Adds to `found` every row of the tables in `scope` that satisfies the probe (a row may be added more than once);
   * false when this index cannot be sure (then `found` is to be thrown away).
   */
  function probeInto(probe: IndexProbe, scope: ReadonlySet<number>, found: RowSink): boolean {
    for (const t of scope) if (tables[t]?.overflow !== false) return false;
    if (probe.kind === 'equals' || probe.kind === 'contains') {
      const dictionary = dictionaries.get(probe.field);
      if (!dictionary) return false;
      for (const t of scope) if (dictionary.unsure[t]! > 0) return false;
      if (probe.kind === 'equals') {
        if (dictionary.foldCase !== probe.ignoreCase) return false;
        for (const value of new Set(probe.values)) {
          if (NON_ASCII.test(value) || (probe.ignoreCase && value !== value.toLowerCase())) return false;
          if (!collect(found, entryOf(dictionary, value))) return false;
        }
      } else {
        const needle = probe.needle;
        if (!dictionary.foldCase || needle.length === 0 || NON_ASCII.test(needle) || needle !== needle.toLowerCase()) return false;
        const candidates = containingKeys(dictionary, needle);
        if (!candidates) return false;
        if (!collectContaining(found, dictionary, candidates, needle)) return false;
      }
    } else if (probe.kind === 'number') {
      const dictionary = numberDictionaries.get(probe.field);
      if (!dictionary) return false;
      for (const t of scope) if (dictionary.unsure[t]! > 0) return false;
      for (const value of new Set(probe.values)) {
        if (!Number.isSafeInteger(value)) return false;
        if (!collect(found, dictionary.values.get(value))) return false;
      }
    } else {
      const { term, distance } = probe;
      if (term.length <= distance || NON_ASCII.test(term)) return false;
      for (const t of scope) if (tables[t]!.unsureText > 0) return false;
      const termMask = charMask(term);
      for (let length = Math.max(1, term.length - distance); length <= Math.min(MAX_TOKEN, term.length + distance); length++) {
        const tokens = tokensByLength[length]!;
        const masks = tokenMasks(tokens);
        for (let k = 0; k < tokens.length; k++) {
          const token = tokens[k]!;
          // Characters of one and not the other each cost an edit: a cheap lower bound before the exact distance.
          const mask = masks[k]!;
          if (popcount(termMask & ~mask) > distance || popcount(mask & ~termMask) > distance || !withinDistance(token, term, distance)) continue;
          if (!collect(found, tokenRows.get(token))) return false;
          const keys = tokenKeys.get(token);
          if (keys === undefined) continue;
          if (typeof keys !== 'number' && keys.n < 0) return false;
          const count = typeof keys === 'number' ? 1 : keys.n;
          for (let k = 0; k < count; k++) {
            const id = typeof keys === 'number' ? keys : keys.locs[k]!;
            if (!collect(found, entryOf(keyDictionary[id]!, keyText[id]!))) return false;
          }
        }
      }
    }
    return true;
  }

  return {
    reset,

    append(table, first, events) {
      const state = tables[table];
      if (!state || state.overflow || state.next !== first || first + events.length > ROWID_LIMIT) return false;
      const used: number[] = [];
      for (let i = 0; i < state.columns.length; i++) used.push(i);
      const entityAt = (name: string) => {
        const position = used.findIndex((i) => state.columns[i]!.name === name);
        return table === processTable && position >= 0 ? position + 3 : -1;
      };
      const entity: [number, number] = [entityAt('process.entity_id'), entityAt('process.parent.entity_id')];
      const rows: unknown[][] = new Array(events.length);
      for (let r = 0; r < events.length; r++) {
        const event = events[r]!;
        const time = event['@timestamp'];
        const host = event['host.id'];
        if (typeof time !== 'string' || !time.endsWith('Z') || typeof host !== 'string') return false;
        const ms = Date.parse(time);
        if (!(ms >= 0)) return false;
        const row: unknown[] = [first + r, ms, host];
        for (const i of used) {
          const column = state.columns[i]!;
          const value = event[column.name];
          if (column.type === 'object') {
            if (value === undefined || value === null) row.push(value);
            else if (isFlatObject(value)) row.push(JSON.stringify(value));
            else return false;
            continue;
          }
          if (value !== undefined && value !== null && typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) return false;
          row.push(value);
        }
        for (const dictionary of state.numbers) {
          const value = event[dictionary.field];
          if (value !== undefined && value !== null && !(typeof value === 'number' && Number.isSafeInteger(value))) return false;
          row.push(value);
        }
        rows[r] = row;
      }
      const stopAt = stopAtAfter(0);
      for (const row of rows) indexRow(table, state, row, used, stopAt, entity);
      state.next = first + events.length;
      state.rows += events.length;
      rowsFromLoads += events.length;
      return true;
    },

    async catchUp(db, only, stop = () => false, limitOf) {
      for (let attempt = 0; attempt < 2; attempt++) {
        let consistent = true;
        for (let t = 0; t < tables.length && consistent && !stop(); t++) if (attempt > 0 || !only || only.has(t)) consistent = await catchUpTable(db, t, tables[t]!, stop, limitOf);
        if (consistent) return;
        reset();
      }
    },

    lookup(probe, scopeTables) {
      const scope = new Set(scopeTables);
      const found = new Found(scope);
      return probeInto(probe, scope, found) ? found.answer() : undefined;
    },

    count(probe, scopeTables) {
      const scope = new Set(scopeTables);
      // Rows of a scalar field hold one key each, so the rows of different keys (and of one integer each) are
      // different: counted as found. A list field's row, or fuzzy tokens, may match twice: counted from the rows.
      const once = probe.kind === 'number' || (probe.kind !== 'fuzzy' && dictionaries.get(probe.field)?.lists === false);
      if (!once) {
        const found = new Found(scope);
        if (!probeInto(probe, scope, found)) return undefined;
        let n = 0;
        for (const rowids of found.answer().values()) n += rowids.length;
        return n;
      }
      const counter = new RowCounter(scope);
      return probeInto(probe, scope, counter) ? counter.n : undefined;
    },

    valueList(probe, scopeTables) {
      for (const t of scopeTables) if (tables[t]?.overflow !== false) return undefined;
      let entry: Entry | undefined;
      if (probe.kind === 'equals' && probe.values.length === 1) {
        const value = probe.values[0]!;
        const dictionary = dictionaries.get(probe.field);
        if (!dictionary || dictionary.foldCase !== probe.ignoreCase) return undefined;
        for (const t of scopeTables) if (dictionary.unsure[t]! > 0) return undefined;
        if (NON_ASCII.test(value) || (probe.ignoreCase && value !== value.toLowerCase())) return undefined;
        entry = entryOf(dictionary, value);
      } else if (probe.kind === 'number' && probe.values.length === 1) {
        const value = probe.values[0]!;
        const dictionary = numberDictionaries.get(probe.field);
        if (!dictionary || !Number.isSafeInteger(value)) return undefined;
        for (const t of scopeTables) if (dictionary.unsure[t]! > 0) return undefined;
        entry = dictionary.values.get(value);
      } else return undefined;
      if (entry === undefined) return null;
      if (typeof entry === 'number') return { list: null, locs: Uint32Array.of(entry), n: 1, generation };
      if (entry.n < 0) return undefined;
      return { list: entry, locs: entry.locs, n: entry.n, generation };
    },

    valueHostStats(probe, scopeTables) {
      if (probe.kind !== 'equals' || probe.ignoreCase) return undefined;
      const dictionary = dictionaries.get(probe.field);
      if (!dictionary || dictionary.foldCase || !dictionary.summaries) return undefined;
      for (const t of scopeTables) if (tables[t]?.overflow !== false || tables[t]!.beforeEpoch || dictionary.unsure[t]! > 0) return undefined;
      const out: { value: string; host: string; count: number; first: number; last: number }[] = [];
      const inScope = new Uint8Array(tables.length);
      for (const t of scopeTables) inScope[t] = 1;
      // Per host code, reset after each value: a value's groups are per (table, host), several tables may share a host.
      const count = new Float64Array(hosts.length);
      const first = new Float64Array(hosts.length);
      const last = new Float64Array(hosts.length);
      const touched: number[] = [];
      for (const value of new Set(probe.values)) {
        if (NON_ASCII.test(value)) return undefined;
        const entry: Entry | undefined = entryOf(dictionary, value);
        if (entry === undefined) continue;
        if (typeof entry === 'number') {
          const t = entry >>> 27;
          if (inScope[t] === 0) continue;
          const rowid = entry & (ROWID_LIMIT - 1);
          const time = tables[t]!.times[rowid]!;
          out.push({ value, host: hosts[tables[t]!.hostOf[rowid]!]!, count: 1, first: time, last: time });
          continue;
        }
        const slots: number[] | undefined = dictionary.summaries.get(value)?.slots;
        if (!slots) return undefined;
        for (let i = 0; i < slots.length; i += 5) {
          if (inScope[slots[i]!] === 0) continue;
          const host = slots[i + 1]!;
          if (count[host] === 0) {
            touched.push(host);
            count[host] = slots[i + 2]!;
            first[host] = slots[i + 3]!;
            last[host] = slots[i + 4]!;
          } else {
            count[host]! += slots[i + 2]!;
            if (slots[i + 3]! < first[host]!) first[host] = slots[i + 3]!;
            if (slots[i + 4]! > last[host]!) last[host] = slots[i + 4]!;
          }
        }
        for (const host of touched) {
          out.push({ value, host: hosts[host]!, count: count[host]!, first: first[host]!, last: last[host]! });
          count[host] = 0;
        }
        touched.length = 0;
      }
      return out;
    },

    valueCounts(field, table) {
      const state = tables[table];
      const dictionary = dictionaries.get(field);
      if (!state || state.overflow) return undefined;
      const column = state.columns.find((c) => c.name === field);
      if (!column && !state.spec.fields.some((f) => f.name === field)) return { values: new Map(), nulls: state.rows };
      if (!dictionary || column?.dictionary !== dictionary || column.type.endsWith('[]')) return undefined;
      if (dictionary.unsure[table]! > 0 || dictionary.mixedCase[table]! > 0 || dictionary.ids.size > MAX_COUNTED_VALUES) return undefined;
      const base = table * ROWID_LIMIT;
      const values = new Map<string, number>();
      let held = 0;
      for (let id = 0; id < dictionary.keys.length; id++) {
        const key = dictionary.keys[id]!;
        const entry = dictionary.entries[id]!;
        let count = 0;
        if (typeof entry === 'number') count = entry >= base && entry < base + ROWID_LIMIT ? 1 : 0;
        else if (entry.n < 0) count = entry.stoppedCounts![table]!;
        else {
          const locs = entry.locs;
          for (let i = 0; i < entry.n; i++) {
            const loc = locs[i]!;
            if (loc >= base && loc < base + ROWID_LIMIT) count++;
          }
        }
        if (count > 0) {
          values.set(key, count);
          held += count;
        }
      }
      return { values, nulls: state.rows - held };
    },

    children(hostId, parents) {
      if (tables[processTable]?.overflow !== false) return undefined;
      const out: { parent: string; child: string }[] = [];
      for (const parent of new Set(parents)) {
        for (const child of edges.get(`${hostId}\0${parent}`) ?? []) out.push({ parent, child });
      }
      return out;
    },

    timeBuckets(scopeTables, spanMs) {
      if (!Number.isInteger(spanMs) || spanMs <= 0 || spanMs % 60_000 !== 0) return undefined;
      const perBucket = spanMs / 60_000;
      const buckets = new Map<number, number>();
      for (const t of scopeTables) {
        const state = tables[t];
        if (!state || state.overflow || state.beforeEpoch) return undefined;
        for (const [minute, count] of state.minutes) {
          const start = Math.floor(minute / perBucket) * spanMs;
          buckets.set(start, (buckets.get(start) ?? 0) + count);
        }
      }
      return buckets;
    },

    rowTime(table, rowid) {
      return tables[table]!.times[rowid]!;
    },

    rowHosts(table, rowids, into, at) {
      const state = tables[table];
      if (!state || state.overflow) return false;
      const hostOf = state.hostOf;
      for (let i = 0; i < rowids.length; i++) {
        const rowid = rowids[i]!;
        if (!(rowid < state.next)) return false;
        into[at + i] = hostOf[rowid]!;
      }
      return true;
    },

    hostName(code) {
      return hosts[code]!;
    },

    stats() {
      let values = 0;
      for (const d of dictionaries.values()) values += d.ids.size;
      return { index_rows: tables.reduce((n, t) => n + t.rows, 0), index_values: values, index_tokens: tokenKeys.size + tokenRows.size,
        index_process_edges: edgeCount, index_postings: postingsHeld, index_rows_from_loads: rowsFromLoads };
    },
  };
}

/**
 * A 32-bit set of the characters of a text: a-z one bit each, digits four bits (by value mod 4), `_` one, every other
 * character one. Equal characters always share a bit, so a character whose bit the other text lacks is missing there.
 */
function charMask(text: string): number {
  let mask = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const bit = c >= 97 && c <= 122 ? c - 97 : c >= 48 && c <= 57 ? 26 + ((c - 48) % 4) : c === 95 ? 30 : 31;
    mask |= 1 << bit;
  }
  return mask;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function trigram(text: string, at: number): number {
  return (text.charCodeAt(at) << 14) | (text.charCodeAt(at + 1) << 7) | text.charCodeAt(at + 2);
}

/** Where a probe puts the locations of its rows. */
interface RowSink {
  add(loc: number): void;
}

/** Counts the locations of tables in scope (each row must come once). */
class RowCounter implements RowSink {
  n = 0;
  private readonly inScope = new Uint8Array(32);
  constructor(scope: Iterable<number>) {
    for (const t of scope) this.inScope[t] = 1;
  }
  add(loc: number): void {
    if (this.inScope[loc >>> 27] === 1) this.n++;
  }
}

/** Rows gathered for a probe: per table in scope, row ids in the order found, and whether they still ascend strictly. */
class Found implements RowSink {
  private readonly inScope = new Uint8Array(32);
  private readonly rows: number[][] = [];
  private readonly ascending = new Uint8Array(32);
  constructor(scope: Iterable<number>) {
    for (let t = 0; t < 32; t++) this.rows.push([]);
    for (const t of scope) this.inScope[t] = this.ascending[t] = 1;
  }
  add(loc: number): void {
    // Locations are below 2^32: the table is in the top bits, the row id in the low 27.
    const t = loc >>> 27;
    if (this.inScope[t] === 0) return;
    const rowid = loc & (ROWID_LIMIT - 1);
    const list = this.rows[t]!;
    if (list.length > 0 && list[list.length - 1]! >= rowid) this.ascending[t] = 0;
    list.push(rowid);
  }
  /** Row ids per table with a match, ascending and unique. */
  answer(): IndexAnswer {
    const answer: IndexAnswer = new Map();
    for (let t = 0; t < 32; t++) {
      const list = this.rows[t]!;
      if (list.length === 0) continue;
      const rowids = Float64Array.from(list);
      if (this.ascending[t] === 1) {
        answer.set(t, rowids);
        continue;
      }
      rowids.sort();
      let unique = 0;
      for (let i = 0; i < rowids.length; i++) if (i === 0 || rowids[i] !== rowids[unique - 1]) rowids[unique++] = rowids[i]!;
      answer.set(t, rowids.subarray(0, unique));
    }
    return answer;
  }
}

/** Levenshtein distance of `a` and `b` is at most `max` (two-row dynamic programming with an early exit). */
export function withinDistance(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current[j] = value;
      if (value < best) best = value;
    }
    if (best > max) return false;
    [previous, current] = [current, previous];
  }
  return previous[b.length]! <= max;
}
