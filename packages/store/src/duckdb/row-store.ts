// A point-lookup copy of the event tables: each row's wire-shape JSON (what a search returns for it) in an append-only
// file, found by row id through in-memory tables that also hold each row's sequence, exact time and id hash.
// Derived data, rebuilt from the tables on open; it never answers for a row it has not copied (callers fall back to SQL).
// Rows read recently stay parsed in a bounded cache: a repeated read costs neither a syscall nor a JSON.parse.

import { closeSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { eventTables, ident, literal, type TableSpec } from './ddl.js';

/** Rows copied per query. */
const READ_CHUNK = 16_384;
/** Default bound of the cache of parsed rows, in characters of their JSON text (the heap they take is 2-3 times that). */
const DEFAULT_CACHE_CHARS = 32 * 1024 * 1024;
/** A row's cache key: `table * 2^27 + rowid` (the index's location). */
const ROWID_LIMIT = 2 ** 27;

export interface RowStoreOptions {
  /**
   * Parsed rows kept for repeated reads, bounded by the length of their JSON text in characters (least recently read
   * leave first); 0 disables.
   */
  cacheChars?: number;
}

export interface RowStore {
  /**
   * Copies every row not copied yet of the given tables (positions in `eventTables`; all when absent); after a delete
   * it starts over. Calls must not overlap. Returns early when `stop` turns true.
   */
  catchUp(db: DuckDBConnection, only?: ReadonlySet<number>, stop?: () => boolean): Promise<void>;
  /**
   * The wire shape of each row (non-null columns, keys in table order, dates as ISO 8601 with milliseconds, JSON
   * objects as text), in the order asked; undefined when a row was not copied. Exact times are in `head`. With
   * `columns`, each row holds only those of its non-null columns, in that key order. Every call returns new objects
   * and arrays: the caller may change them.
   */
  read(table: number, rowids: ArrayLike<number>, columns?: readonly string[]): Record<string, unknown>[] | undefined;
  /**
   * event.sequence, @timestamp in microseconds and a 31-bit hash of event.id of a copied row, from memory (no read);
   * undefined when the row was not copied.
   */
  head(table: number, rowid: number): { sequence: number; timeUs: number; idHash: number } | undefined;
  /**
   * `head` of many rows of one table at once, written to `into` from position `at` on in the order asked (`sq`
   * sequences, `us` times, `idHash` id hashes); false when a row was not copied.
   */
  heads(table: number, rowids: ArrayLike<number>, into: { sq: Float64Array; us: Float64Array; idHash: Int32Array }, at: number): boolean;
  /** Counts resets (a catch-up that found rows deleted starts over): data taken from `heads` is valid within one generation. */
  generation(): number;
  stats(): Record<string, number>;
  /** Removes the file. */
  close(): void;
}

interface TableCopy {
  /** Row id after the last copied one, and rows copied. */
  next: number;
  rows: number;
  /** Per row id: byte offset in the file and length (0: no such row). */
  offsets: Float64Array;
  lengths: Uint32Array;
  /** Per row id: event.sequence, @timestamp (µs since the epoch) and hash of event.id (see `head`). */
  sequences: Float64Array;
  timesUs: Float64Array;
  idHashes: Int32Array;
}

/**
 * One row as JSON text with only its non-null columns, each rendered as the search path renders it: lists and scalars
 * as JSON, dates as `toISOString()` does (milliseconds, Z), JSON columns as their text.
 */
function rowJsonSql(spec: TableSpec): string {
  const members = spec.fields.map((f) => {
    const column = ident(f.name);
    const value = f.type === 'date' ? `to_json(strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ'))` : f.type === 'object' ? `to_json(CAST(${column} AS VARCHAR))` : `to_json(${column})`;
    return `CASE WHEN ${column} IS NULL THEN NULL ELSE ${literal(JSON.stringify(f.name) + ':')} || ${value} END`;
  });
  return `'{' || concat_ws(',', ${members.join(', ')}) || '}'`;
}

/**
 * A function copying a stored row of `spec` into a new object holding its non-null values of `columns` (the table's
 * fields among them) in that key order, list values copied. Generated once per column list so that every property is
 * read and written by a constant name (V8 then keeps one hidden class per shape instead of a keyed lookup per column);
 * the names are schema field names, embedded as JSON string literals.
 */
function projector(spec: TableSpec, columns: readonly string[]): (row: Record<string, unknown>) => Record<string, unknown> {
  const types = new Map(spec.fields.map((f) => [f.name, f.type]));
  const lines = columns
    .filter((name) => types.has(name))
    .map((name) => {
      const key = JSON.stringify(name);
      const copy = types.get(name)!.endsWith('[]') ? 'v.slice()' : 'v';
      return `v = r[${key}]; if (v !== undefined) o[${key}] = ${copy};`;
    });
  return new Function('r', `'use strict'; const o = {}; let v; ${lines.join(' ')} return o;`) as (row: Record<string, unknown>) => Record<string, unknown>;
}

export function createRowStore(path: string, options: RowStoreOptions = {}): RowStore {
  const cacheLimit = options.cacheChars ?? DEFAULT_CACHE_CHARS;
  let fd = openSync(path, 'w+', 0o600);
  /** Parsed rows by location (never handed out: `read` returns copies), least recently read first, and their text length. */
  let cache = new Map<number, { row: Record<string, unknown>; chars: number }>();
  let cached = 0;
  /** Per table, its list fields: the only values of a parsed row that are not immutable (copied by `read`). */
  const listFields = eventTables.map((spec) => spec.fields.filter((f) => f.type.endsWith('[]')).map((f) => f.name));
  const copyOf = (table: number, row: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...row };
    for (const name of listFields[table]!) {
      const value = out[name];
      if (Array.isArray(value)) out[name] = value.slice();
    }
    return out;
  };
  /** Copiers of rows into a column list's order (see `projector`), by table and column list; cleared when large. */
  const projectors = new Map<string, (row: Record<string, unknown>) => Record<string, unknown>>();
  let size = 0;
  let copies: TableCopy[] = [];
  /** Scratch space of `read` (one row at a time). */
  let buffer = Buffer.allocUnsafe(16_384);
  const sql = eventTables.map(rowJsonSql);

  let generation = 0;

  function reset(): void {
    generation++;
    cache = new Map();
    cached = 0;
    ftruncateSync(fd, 0);
    size = 0;
    copies = eventTables.map(() => ({
      next: 0, rows: 0, offsets: new Float64Array(0), lengths: new Uint32Array(0), sequences: new Float64Array(0), timesUs: new Float64Array(0), idHashes: new Int32Array(0),
    }));
  }
  reset();

  /** False when the table lost rows since the last copy (a delete): the caller starts over. */
  async function catchUpTable(db: DuckDBConnection, table: number, stop: () => boolean): Promise<boolean> {
    const copy = copies[table]!;
    const name = ident(eventTables[table]!.table);
    const bounds = (await db.runAndReadAll(`SELECT count(*), max(rowid) FROM ${name}`)).getRows()[0];
    const count = Number(bounds?.[0] ?? 0);
    const last = bounds?.[1] === null || bounds?.[1] === undefined ? -1 : Number(bounds[1]);
    while (copy.next <= last) {
      if (stop()) return true;
      const from = copy.next;
      const text = (
        await db.runAndReadAll(
          `SELECT string_agg(rowid || ' ' || "event.sequence" || ' ' || epoch_us("@timestamp") || ' ' || (hash("event.id") % 2147483648) || ' ' || ${sql[table]!}, '\n') FROM ${name} WHERE rowid >= $1 AND rowid < $2`,
          // Never past `last`: rows loaded since the bounds were read are the next catch-up's (copied now, they would be
          // copied again and the count check would start the whole copy over).
          [from, Math.min(from + READ_CHUNK, last + 1)],
        )
      ).getRows()[0]?.[0];
      if (typeof text === 'string') {
        const buffer = Buffer.from(text + '\n', 'utf8');
        if (last >= copy.offsets.length) {
          const grown = Math.max(1024, last + 1, copy.offsets.length * 2);
          const grow = <T extends Float64Array | Uint32Array | Int32Array>(old: T, made: T): T => (made.set(old), made);
          copy.offsets = grow(copy.offsets, new Float64Array(grown));
          copy.lengths = grow(copy.lengths, new Uint32Array(grown));
          copy.sequences = grow(copy.sequences, new Float64Array(grown));
          copy.timesUs = grow(copy.timesUs, new Float64Array(grown));
          copy.idHashes = grow(copy.idHashes, new Int32Array(grown));
        }
        for (let start = 0; start < buffer.length; ) {
          // rowid, event.sequence, µs time, id hash, then the row's JSON (which holds no raw newline).
          const end = buffer.indexOf(10, start);
          const s1 = buffer.indexOf(32, start);
          const s2 = buffer.indexOf(32, s1 + 1);
          const s3 = buffer.indexOf(32, s2 + 1);
          const s4 = buffer.indexOf(32, s3 + 1);
          const rowid = Number(buffer.toString('latin1', start, s1));
          copy.sequences[rowid] = Number(buffer.toString('latin1', s1 + 1, s2));
          copy.timesUs[rowid] = Number(buffer.toString('latin1', s2 + 1, s3));
          copy.idHashes[rowid] = Number(buffer.toString('latin1', s3 + 1, s4));
          copy.offsets[rowid] = size + s4 + 1;
          copy.lengths[rowid] = end - s4 - 1;
          copy.rows++;
          start = end + 1;
        }
        for (let written = 0; written < buffer.length; ) written += writeSync(fd, buffer, written, buffer.length - written, size + written);
        size += buffer.length;
      }
      copy.next = from + READ_CHUNK;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    copy.next = last + 1;
    return count === copy.rows;
  }

  return {
    async catchUp(db, only, stop = () => false) {
      for (let attempt = 0; attempt < 2; attempt++) {
        let consistent = true;
        for (let t = 0; t < eventTables.length && consistent && !stop(); t++) if (attempt > 0 || !only || only.has(t)) consistent = await catchUpTable(db, t, stop);
        if (consistent) return;
        reset();
      }
    },

    read(table, rowids, columns) {
      const copy = copies[table];
      if (!copy) return undefined;
      let copier = (row: Record<string, unknown>) => copyOf(table, row);
      if (columns) {
        const key = `${table}\0${columns.join('\0')}`;
        let made = projectors.get(key);
        if (!made) {
          if (projectors.size >= 256) projectors.clear();
          projectors.set(key, (made = projector(eventTables[table]!, columns)));
        }
        copier = made;
      }
      const out: Record<string, unknown>[] = [];
      for (let i = 0; i < rowids.length; i++) {
        const rowid = rowids[i]!;
        const length = copy.lengths[rowid] ?? 0;
        if (length === 0) return undefined;
        const key = table * ROWID_LIMIT + rowid;
        const hit = cache.get(key);
        if (hit !== undefined) {
          cache.delete(key);
          cache.set(key, hit);
          out.push(copier(hit.row));
        } else {
          if (length > buffer.length) buffer = Buffer.allocUnsafe(Math.max(length, buffer.length * 2));
          let got = 0;
          while (got < length) {
            const n = readSync(fd, buffer, got, length - got, copy.offsets[rowid]! + got);
            if (n === 0) return undefined;
            got += n;
          }
          const row = JSON.parse(buffer.toString('utf8', 0, length)) as Record<string, unknown>;
          if (length <= cacheLimit) {
            cache.set(key, { row, chars: length });
            cached += length;
            for (const [oldest, old] of cache) {
              if (cached <= cacheLimit) break;
              cache.delete(oldest);
              cached -= old.chars;
            }
          }
          out.push(copier(row));
        }
      }
      return out;
    },

    head(table, rowid) {
      const copy = copies[table];
      if (!copy || !(copy.lengths[rowid]! > 0)) return undefined;
      return { sequence: copy.sequences[rowid]!, timeUs: copy.timesUs[rowid]!, idHash: copy.idHashes[rowid]! };
    },

    heads(table, rowids, into, at) {
      const copy = copies[table];
      if (!copy) return false;
      const { sq, us, idHash } = into;
      for (let i = 0; i < rowids.length; i++) {
        const rowid = rowids[i]!;
        if (!(copy.lengths[rowid]! > 0)) return false;
        sq[at + i] = copy.sequences[rowid]!;
        us[at + i] = copy.timesUs[rowid]!;
        idHash[at + i] = copy.idHashes[rowid]!;
      }
      return true;
    },

    generation() {
      return generation;
    },

    stats() {
      return { row_store_rows: copies.reduce((n, c) => n + c.rows, 0), row_store_bytes: size, row_store_cached_rows: cache.size };
    },

    close() {
      closeSync(fd);
      fd = -1;
      rmSync(path, { force: true });
    },
  };
}
