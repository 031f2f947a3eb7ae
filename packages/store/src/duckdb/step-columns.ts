// Columns of one value's rows kept for in-memory sequence joins: per table, each row's row id, @timestamp (µs),
// event.sequence, event.id hash and host code, read once from the row store and index (at scattered row ids) and
// extended as the value gains rows, so a join reads them contiguously. Derived data: it never answers for a row it
// has not gathered nor across a reset of the index or the row store, and holds at most `maxRows` rows.

import { VigilError } from '@vigil/common';
import type { IndexProbe } from '../core.js';
import type { EventIndex } from './event-index.js';
import type { RowStore } from './row-store.js';

/** A location is `table * 2^27 + rowid` (see event-index.ts). */
const ROWID_LIMIT = 2 ** 27;
/** Default bound of the rows held over all values (32 bytes each, outside the JavaScript heap). */
const DEFAULT_MAX_ROWS = 2_000_000;

/**
 * A step's events grouped by host code: host h's events are the positions `order[start[h]]` up to before
 * `order[start[h + 1]]`, strictly ascending by (@timestamp, event.sequence).
 */
export interface HostRuns {
  start: Int32Array;
  order: Int32Array;
}

/**
 * One table's rows of a value, row ids ascending: the first `n` entries of each array (callers must not change them;
 * they stay as they are when later rows are gathered, which only writes beyond `n` or replaces the arrays).
 */
export interface TableRows {
  readonly n: number;
  readonly rowid: Float64Array;
  readonly us: Float64Array;
  readonly sq: Float64Array;
  readonly idHash: Int32Array;
  readonly host: Int32Array;
  /** Whether the id hashes of the `n` rows are pairwise different (then so are their event ids). */
  distinctIds(): boolean;
  /**
   * The positions whose id hash another of the `n` rows shares (only they can be one event twice), grouped by hash:
   * group g is `order[starts[g]]` up to before `order[starts[g + 1]]`, ascending within a group; none when `distinctIds()`.
   */
  sharedIdHashes(): IdHashGroups;
  /** Whether every row's time is at or after 1970. */
  fromEpoch(): boolean;
  /** `n` copies of the table's position (a step's `table` column). */
  tableColumn(): Int32Array;
  /** The rows grouped by host (`HostRuns`); null when two rows of one host share @timestamp and event.sequence. */
  byHost(): HostRuns | null;
}

export interface IdHashGroups {
  order: Int32Array;
  starts: number[];
}

export interface StepColumns {
  /**
   * The rows of `tables` (positions in `eventTables`) holding the one value of `probe` (see `EventIndex.valueList`):
   * per table with such rows, exactly the rows `index.lookup` answers, ascending. Gathers rows not gathered yet.
   * Undefined when the index would not answer exactly, the value is held by one row only (nothing worth keeping), a
   * row is not in the row store or the index, or the value has more rows than the bound.
   */
  rows(probe: IndexProbe, tables: readonly number[], index: EventIndex, rowStore: RowStore): Map<number, TableRows> | undefined;
  /** Rows held over all values. */
  held(): number;
  clear(): void;
}

class GatheredRows implements TableRows {
  constructor(private readonly table: number) {}
  n = 0;
  rowid = new Float64Array(0);
  us = new Float64Array(0);
  sq = new Float64Array(0);
  idHash = new Int32Array(0);
  host = new Int32Array(0);
  /** Derived from the first `derivedFor` rows; recomputed once rows were added. */
  private derivedFor = -1;
  private shared: IdHashGroups | undefined;
  private runs: HostRuns | null | undefined;
  private epoch: boolean | undefined;
  private tables: Int32Array | undefined;

  /** Room for `count` rows after the first `n` (existing arrays are replaced, never written below `n`). */
  reserve(count: number): void {
    if (this.n + count <= this.rowid.length) return;
    const size = Math.max(16, this.n + count, this.rowid.length * 2);
    const grow = <T extends Float64Array | Int32Array>(old: T, made: T): T => (made.set(old.subarray(0, this.n)), made);
    this.rowid = grow(this.rowid, new Float64Array(size));
    this.us = grow(this.us, new Float64Array(size));
    this.sq = grow(this.sq, new Float64Array(size));
    this.idHash = grow(this.idHash, new Int32Array(size));
    this.host = grow(this.host, new Int32Array(size));
  }

  private derive(): void {
    if (this.derivedFor === this.n) return;
    this.derivedFor = this.n;
    this.shared = undefined;
    this.runs = undefined;
    this.epoch = undefined;
    this.tables = undefined;
  }

  fromEpoch(): boolean {
    this.derive();
    if (this.epoch === undefined) {
      let epoch = true;
      for (let i = 0; i < this.n && epoch; i++) epoch = this.us[i]! >= 0;
      this.epoch = epoch;
    }
    return this.epoch;
  }

  tableColumn(): Int32Array {
    this.derive();
    return (this.tables ??= new Int32Array(this.n).fill(this.table));
  }

  distinctIds(): boolean {
    return this.sharedIdHashes().starts.length === 1;
  }

  sharedIdHashes(): IdHashGroups {
    this.derive();
    return (this.shared ??= sharedHashes(this.idHash, this.n));
  }

  byHost(): HostRuns | null {
    this.derive();
    if (this.runs === undefined) this.runs = hostRuns(this.n, this.host, this.us, this.sq);
    return this.runs;
  }
}

/** Positions below 2^22 and a 32-bit hash fit one double exactly as `hash * 2^22 + position`. */
const POSITION_BITS = 2 ** 22;

/** `IdHashGroups` of the first `n` hashes: one numeric sort of (hash, position) pairs. */
function sharedHashes(hashes: Int32Array, n: number): IdHashGroups {
  if (n > POSITION_BITS) throw new VigilError('internal', `step columns hold at most ${POSITION_BITS} rows per table, not ${n}`);
  const pairs = new Float64Array(n);
  for (let i = 0; i < n; i++) pairs[i] = hashes[i]! * POSITION_BITS + i;
  pairs.sort();
  const hashOf = (pair: number) => Math.floor(pair / POSITION_BITS);
  const order: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && hashOf(pairs[j]!) === hashOf(pairs[i]!)) j++;
    if (j - i > 1) {
      starts.push(order.length);
      for (let k = i; k < j; k++) order.push(pairs[k]! - hashOf(pairs[k]!) * POSITION_BITS);
    }
    i = j;
  }
  starts.push(order.length);
  return { order: Int32Array.from(order), starts };
}

/** Positions 0..n-1 grouped by host code (a counting sort), each host's run sorted by (us, sq); null on a tie. */
function hostRuns(n: number, host: Int32Array, us: Float64Array, sq: Float64Array): HostRuns | null {
  let hosts = 0;
  for (let i = 0; i < n; i++) if (host[i]! >= hosts) hosts = host[i]! + 1;
  const start = new Int32Array(hosts + 1);
  for (let i = 0; i < n; i++) start[host[i]! + 1]! += 1;
  for (let h = 0; h < hosts; h++) start[h + 1]! += start[h]!;
  const order = new Int32Array(n);
  const fill = start.slice(0, hosts);
  for (let i = 0; i < n; i++) order[fill[host[i]!]!++] = i;
  const before = (a: number, b: number) => us[a]! < us[b]! || (us[a] === us[b] && sq[a]! < sq[b]!);
  for (let h = 0; h < hosts; h++) {
    let sorted = true;
    for (let j = start[h]! + 1; j < start[h + 1]! && sorted; j++) sorted = before(order[j - 1]!, order[j]!);
    if (sorted) continue;
    const run = Array.from(order.subarray(start[h]!, start[h + 1]!)).sort((a, b) => us[a]! - us[b]! || sq[a]! - sq[b]!);
    for (let j = 1; j < run.length; j++) if (!before(run[j - 1]!, run[j]!)) return null;
    order.set(run, start[h]!);
  }
  return { start, order };
}

interface Gathered {
  /** Positions of the value's row list gathered. */
  covered: number;
  tables: (GatheredRows | undefined)[];
}

export function createStepColumns(options: { maxRows?: number } = {}): StepColumns {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  /** By row list (`EventIndex.valueList`), least recently used first. */
  let lists = new Map<object, Gathered>();
  let held = 0;
  /** The generations of the index and the row store everything held was gathered in. */
  let indexGeneration = -1;
  let rowGeneration = -1;

  function drop(list: object): void {
    const gathered = lists.get(list);
    if (!gathered) return;
    held -= gathered.covered;
    lists.delete(list);
  }

  /** Gathers positions `covered` to `n` of a row list; false when a row is missing from the row store or the index. */
  function extend(gathered: Gathered, locs: Uint32Array, n: number, index: EventIndex, rowStore: RowStore): boolean {
    const counts = new Map<number, number>();
    for (let i = gathered.covered; i < n; i++) {
      const t = Math.floor(locs[i]! / ROWID_LIMIT);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [t, count] of counts) {
      const rowids = new Float64Array(count);
      let k = 0;
      for (let i = gathered.covered; i < n; i++) if (Math.floor(locs[i]! / ROWID_LIMIT) === t) rowids[k++] = locs[i]! % ROWID_LIMIT;
      const rows = (gathered.tables[t] ??= new GatheredRows(t));
      // `lookup` answers rows ascending and unique: a list that is not (never expected) is not kept.
      let last = rows.n > 0 ? rows.rowid[rows.n - 1]! : -1;
      for (let j = 0; j < count; j++) {
        if (!(rowids[j]! > last)) return false;
        last = rowids[j]!;
      }
      rows.reserve(count);
      if (!rowStore.heads(t, rowids, rows, rows.n) || !index.rowHosts(t, rowids, rows.host, rows.n)) return false;
      rows.rowid.set(rowids, rows.n);
      rows.n += count;
    }
    held += n - gathered.covered;
    gathered.covered = n;
    return true;
  }

  return {
    rows(probe, tables, index, rowStore) {
      const found = index.valueList(probe, tables);
      if (found === undefined || found === null || found.list === null || found.n > maxRows) return undefined;
      const { list, locs, n, generation } = found;
      if (generation !== indexGeneration || rowStore.generation() !== rowGeneration) {
        // A reset of either source (or other sources): nothing gathered before is valid.
        lists = new Map();
        held = 0;
        indexGeneration = generation;
        rowGeneration = rowStore.generation();
      }
      let gathered = lists.get(list);
      if (gathered) {
        lists.delete(list);
        lists.set(list, gathered);
      } else {
        gathered = { covered: 0, tables: [] };
        lists.set(list, gathered);
      }
      if (gathered.covered < n && !extend(gathered, locs, n, index, rowStore)) {
        drop(list);
        return undefined;
      }
      for (const [other] of lists) {
        if (held <= maxRows || other === list) break;
        drop(other);
      }
      const out = new Map<number, TableRows>();
      for (const t of new Set(tables)) {
        const rows = gathered.tables[t];
        if (rows && rows.n > 0) out.set(t, rows);
      }
      return out;
    },

    held() {
      return held;
    },

    clear() {
      lists = new Map();
      held = 0;
    },
  };
}
