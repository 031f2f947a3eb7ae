// Compiles a hunting query to one parameterised SQL SELECT through a dialect: parse, check against the schema, emit.
// Values from the query are only ever bound parameters; SQL text holds nothing but schema identifiers, validated
// output names, placeholders and the dialect's own syntax.

import { VigilError } from '@vigil/common';
import { categoryByName, categoriesWithField, type ResolvedCategory } from '@vigil/schema';
import type { Aggregation, CategoryRef, Condition, FieldRef, Pipe, QueryAst, Value } from './ast.js';
import type { SqlDialect } from './dialect.js';
import { duckdbDialect } from './duckdb/duckdb-dialect.js';
import { EVENT_DATA_FIELD, EVENT_DATA_KEY, categoryNames, fieldsOf } from './fields.js';
import { didYouMean, queryError, quoted } from './internal/query-error.js';
import { checkRegex, likePattern, parseCidr, parseDate, timeParam } from './internal/values.js';
import { parseHuntQuery } from './parser.js';

export interface CompiledHunt {
  kind: 'events' | 'stats' | 'top' | 'timechart' | 'sequence';
  sql: string;
  params: (string | number | boolean)[];
  /** Output columns in order, with their schema type or 'number' for aggregates. */
  columns: { name: string; type: string }[];
  /** The same query for a store with secondary indexes; absent when no condition can use one. */
  indexed?: IndexedHunt;
}

/**
 * A condition an index may answer with the exact matching rows. Mirrors `IndexProbe` of @vigil/store (the store's
 * seam, where the semantics are stated); kept structural so the compiler does not depend on a store.
 */
export type IndexProbe =
  | { kind: 'equals'; field: string; values: readonly string[]; ignoreCase: boolean }
  | { kind: 'contains'; field: string; needle: string }
  | { kind: 'fuzzy'; term: string; distance: number }
  | { kind: 'number'; field: string; values: readonly number[] };

/** Mirrors `IndexedSelect` of @vigil/store: `sql` reads each probed source from `"vigil.index.<n>"`. */
export interface IndexedHunt {
  sql: string;
  params: (string | number | boolean)[];
  sources: { category: string | null; probe: IndexProbe; restrict: 'rows' | 'tables' }[];
  /** Mirrors `IndexOnly` of @vigil/store. */
  indexOnly?:
    | { kind: 'count' }
    | { kind: 'rows'; columns: string[]; limit: number }
    | { kind: 'sequence'; steps: SequenceStep[]; maxspanMs: number | null; by: string[]; output: 'rows' | 'count'; limit: number }
    | { kind: 'timechart'; category: string | null; spanMs: number; limit: number }
    | { kind: 'top'; category: string | null; field: string; limit: number }
    | { kind: 'stats'; by: { name: string; of: 'value' | 'host' }[]; aggregations: { name: string; fn: 'count' | 'min' | 'max' }[]; limit: number };
}

/** Mirrors `SequenceStep` of @vigil/store. */
export interface SequenceStep {
  category: string | null;
  keys: string[];
  probe: IndexProbe | null;
  sql: string;
  /** The WHERE condition of `sql` alone ('' for none), same parameters. */
  where: string;
  params: (string | number | boolean)[];
}

export interface HuntOptions {
  dialect?: SqlDialect;
  /** Only events at or after this time (ISO 8601). */
  start?: string;
  /** Only events before this time (ISO 8601). */
  end?: string;
  /** Only events of these hosts. */
  hostIds?: readonly string[];
  /** Alert events (category `alert`) raised by these rule ids are left out: a scheduled hunt over alerts never counts its own. */
  excludeAlertRuleIds?: readonly string[];
  /** Most rows returned (default 1000, at most 100000), applied as the outermost LIMIT. */
  limit?: number;
  /** Fetch one row beyond `limit` (beyond the query's own `| limit` never) so the caller can tell the answer was cut. */
  probeTruncation?: boolean;
  /** The time `now()` stands for (default: the current time). */
  now?: Date;
}

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 100000;

type Param = string | number | boolean;

interface Column {
  name: string;
  type: string;
  sql: string;
}

interface Scope {
  /** Raw events (schema fields, free text allowed) or rows made by an earlier pipe. */
  kind: 'events' | 'derived';
  category: ResolvedCategory | null;
  columns: Column[];
  lookup(ref: FieldRef): Column;
}

interface Builder {
  from: string;
  scope: Scope;
  select: Column[] | null;
  where: string[];
  orderBy: { column: Column; descending: boolean }[];
  limit: number | null;
}

interface Context {
  text: string;
  dialect: SqlDialect;
  params: Param[];
  now: Date;
  ctes: string[];
  variables: number;
  searchText: Map<string, string>;
  /** Set when compiling the indexed form: the probed sources found so far, and the steps of a sequence. */
  index: { sources: IndexedHunt['sources']; indexOnly: IndexedHunt['indexOnly']; steps?: SequenceStep[] } | null;
}

const TEXT_TYPES = new Set(['keyword', 'text', 'ip']);
const LIST_TYPES = new Set(['keyword[]', 'ip[]']);
const NUMBER_TYPES = new Set(['long', 'integer', 'double', 'number']);
/** Integer types: an equality on them is exact, and a `number` index probe. */
const INTEGER_TYPES = new Set(['long', 'integer']);

/** Parses, checks and compiles a query. Throws VigilError only (`invalid_input` for anything wrong with the query). */
export function compileHunt(text: string, options: HuntOptions = {}): CompiledHunt {
  try {
    const ast = parseHuntQuery(text);
    const compiled = compileAst(text, ast, options, false);
    const index: NonNullable<Context['index']> = { sources: [], indexOnly: undefined };
    const indexed = compileAst(text, ast, options, index);
    if (index.sources.length || index.indexOnly) {
      compiled.indexed = { sql: indexed.sql, params: indexed.params, sources: index.sources, ...(index.indexOnly ? { indexOnly: index.indexOnly } : {}) };
    }
    return compiled;
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw VigilError.wrap(error, 'internal', 'the hunting compiler failed');
  }
}

function compileAst(text: string, ast: QueryAst, options: HuntOptions, index: Context['index'] | false): CompiledHunt {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new VigilError('invalid_input', `limit must be a whole number from 1 to ${MAX_LIMIT}`, { location: { path: 'limit' } });
  const now = options.now ?? new Date();
  if (!Number.isFinite(now.getTime())) throw new VigilError('invalid_input', 'now is not a valid date', { location: { path: 'now' } });
  const ctx: Context = { text, dialect: options.dialect ?? duckdbDialect, params: [], now, ctes: [], variables: 0, searchText: new Map(), index: index || null };
  const filters = optionFilters(ctx, options);

  let builder: Builder;
  let kind: CompiledHunt['kind'];
  let valueHostStats: Omit<Extract<NonNullable<IndexedHunt['indexOnly']>, { kind: 'stats' }>, 'limit'> | null = null;
  /** The query is one probe on raw events and nothing else: its rows may come straight from the index's row ids. */
  let probeAlone = false;
  if (ast.kind === 'sequence') {
    builder = compileSequence(ctx, ast, filters, (c) => optionFilters(c, options));
    kind = 'sequence';
  } else {
    const scope = eventScope(ctx, ast.category);
    const where = [...filters(scope)];
    let from = ctx.dialect.eventSource(ast.category?.name ?? null);
    // Set when the query is an IOC-sweep shape the index may answer alone (see valueHostShape).
    const conjuncts = !ast.condition ? [] : ast.condition.kind === 'and' ? ast.condition.operands : [ast.condition];
    const probed = ctx.index ? conjuncts.map((c) => probeOf(ctx, c, scope)) : [];
    const chosen = probed.findIndex((p) => p !== null);
    if (ctx.index && chosen >= 0) {
      const { probe } = probed[chosen]!;
      // Row lists pay off when rows are aggregated; DuckDB fetches whole rows faster by its own scan (tables only).
      const aggregates = ast.pipes.some((p) => p.kind === 'stats' || p.kind === 'top' || p.kind === 'timechart');
      const restrict = aggregates ? probed[chosen]!.restrict : 'tables';
      ctx.index.sources.push({ category: ast.category?.name ?? null, probe, restrict });
      from = indexSource(ctx.index.sources.length);
      const pipe = ast.pipes[0];
      const agg = pipe?.kind === 'stats' ? pipe.aggregations[0] : undefined;
      const countOnly =
        restrict === 'rows' && where.length === 0 && conjuncts.length === 1 && ast.pipes.length === 1 && pipe?.kind === 'stats' && pipe.by.length === 0 &&
        pipe.aggregations.length === 1 && agg?.fn === 'count' && agg.field === null && agg.alias === null;
      probeAlone = where.length === 0 && conjuncts.length === 1;
      if (countOnly) ctx.index.indexOnly = { kind: 'count' };
      else if (probe.kind === 'equals' && !probe.ignoreCase && where.length === 0 && conjuncts.length === 1) valueHostStats = valueHostShape(ast.pipes, probe.field);
      conjuncts.forEach((c, i) => {
        if (i !== chosen || restrict === 'tables') where.push(compileCondition(ctx, c, scope));
      });
    } else if (ast.condition) {
      where.push(compileCondition(ctx, ast.condition, scope));
    }
    const timestamp = scope.lookup({ name: '@timestamp', at: 0 });
    const sequence = scope.lookup({ name: 'event.sequence', at: 0 });
    builder = { from, scope, select: null, where, orderBy: [{ column: timestamp, descending: true }, { column: sequence, descending: true }], limit: null };
    kind = 'events';
  }
  for (const pipe of ast.pipes) {
    const result = applyPipe(ctx, builder, pipe);
    builder = result.builder;
    if (result.kind) kind = result.kind;
  }
  const finalLimit = Math.min(builder.limit ?? Infinity, limit + (options.probeTruncation ? 1 : 0));
  const unfiltered = options.start === undefined && options.end === undefined && options.hostIds === undefined && !options.excludeAlertRuleIds?.length;
  if (ctx.index && valueHostStats) ctx.index.indexOnly = { ...valueHostStats, limit: finalLimit };
  if (ctx.index?.steps && ast.kind === 'sequence') {
    // Sequences an index may join in memory: listed as compiled, or counted (`| stats count()`).
    const pipe = ast.pipes[0];
    const agg = pipe?.kind === 'stats' ? pipe.aggregations[0] : undefined;
    const counted = ast.pipes.length === 1 && pipe?.kind === 'stats' && pipe.by.length === 0 && pipe.aggregations.length === 1 && agg?.fn === 'count' && agg.field === null && agg.alias === null;
    if (ast.pipes.length === 0 || counted) {
      ctx.index.indexOnly = { kind: 'sequence', steps: ctx.index.steps, maxspanMs: ast.maxspanMs, by: ast.by.map((f) => f.name), output: counted ? 'count' : 'rows', limit: finalLimit };
    }
  }
  if (ctx.index && probeAlone && !ctx.index.indexOnly && ast.pipes.every((p) => p.kind === 'limit' || p.kind === 'fields')) {
    // Events in the default order (newest first), optionally cut and projected: the matching rows fetched by row id.
    const columns = outputColumns(builder);
    if (columns.every((c) => c.sql === q(ctx, c.name))) ctx.index.indexOnly = { kind: 'rows', columns: columns.map((c) => c.name), limit: finalLimit };
  }
  if (ctx.index && ast.kind === 'search' && !ast.condition && unfiltered && ast.pipes.length === 1) {
    // `<category> | timechart span=S count()` over all events: per-bucket counts an index can keep.
    const pipe = ast.pipes[0]!;
    const agg = pipe.kind === 'timechart' ? pipe.aggregations[0] : undefined;
    if (pipe.kind === 'timechart' && pipe.by.length === 0 && pipe.aggregations.length === 1 && agg?.fn === 'count' && agg.field === null && agg.alias === null) {
      ctx.index.indexOnly = { kind: 'timechart', category: ast.category?.name ?? null, spanMs: pipe.spanMs, limit: finalLimit };
    }
    // `<category> | top N <text field>` over all events: per-value row counts an index can keep.
    const category = ast.category ? (categoryByName.get(ast.category.name) ?? null) : null;
    const field = pipe.kind === 'top' && pipe.by.length === 0 ? fieldsOf(category).find((f) => f.name === pipe.field.name) : undefined;
    if (field && TEXT_TYPES.has(field.type)) {
      ctx.index.indexOnly = { kind: 'top', category: ast.category?.name ?? null, field: field.name, limit: finalLimit };
    }
  }
  const select = render(ctx, { ...builder, limit: finalLimit }, true);
  const sql = ctx.ctes.length ? `WITH ${ctx.ctes.join(',\n')}\n${select}` : select;
  return { kind, sql, params: ctx.params, columns: outputColumns(builder).map((c) => ({ name: c.name, type: c.type })) };
}

function bind(ctx: Context, value: Param): string {
  ctx.params.push(value);
  return ctx.dialect.placeholder(ctx.params.length);
}

function variable(ctx: Context): string {
  return `v${++ctx.variables}`;
}

function q(ctx: Context, name: string): string {
  return ctx.dialect.quoteIdentifier(name);
}

/** Start, end and host restrictions from the options, as filters for any scope of raw events. */
function optionFilters(ctx: Context, options: HuntOptions): (scope: Scope) => string[] {
  const checkTime = (value: string | undefined, path: string): string | undefined => {
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? parseDate(value) : null;
    if (ms === null) throw new VigilError('invalid_input', `${path} is not an ISO 8601 date`, { location: { path } });
    return new Date(ms).toISOString();
  };
  const start = checkTime(options.start, 'start');
  const end = checkTime(options.end, 'end');
  const hosts = options.hostIds;
  if (hosts !== undefined && (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string'))) throw new VigilError('invalid_input', 'hostIds must be a list of strings', { location: { path: 'hostIds' } });
  const excludedRules = options.excludeAlertRuleIds;
  if (excludedRules !== undefined && (!Array.isArray(excludedRules) || excludedRules.some((r) => typeof r !== 'string'))) throw new VigilError('invalid_input', 'excludeAlertRuleIds must be a list of strings', { location: { path: 'excludeAlertRuleIds' } });
  return (scope) => {
    const where: string[] = [];
    const ts = scope.lookup({ name: '@timestamp', at: 0 }).sql;
    if (start !== undefined) where.push(`${ts} >= ${ctx.dialect.timestamp(bind(ctx, start))}`);
    if (end !== undefined) where.push(`${ts} < ${ctx.dialect.timestamp(bind(ctx, end))}`);
    if (hosts !== undefined) {
      const host = scope.lookup({ name: 'host.id', at: 0 }).sql;
      where.push(hosts.length ? `${host} IN (${hosts.map((h) => bind(ctx, h)).join(', ')})` : 'FALSE');
    }
    if (excludedRules?.length && scope.category?.name === 'alert') {
      const rule = scope.lookup({ name: 'rule.id', at: 0 }).sql;
      where.push(`(${rule} IS NULL OR ${rule} NOT IN (${excludedRules.map((r) => bind(ctx, r)).join(', ')}))`);
    }
    return where;
  };
}

// ---- scopes ----

function eventScope(ctx: Context, ref: CategoryRef | null): Scope {
  let category: ResolvedCategory | null = null;
  if (ref) {
    category = categoryByName.get(ref.name) ?? null;
    if (!category) {
      const hint = didYouMean(ref.name, [...categoryNames(), 'any']) ?? `categories are ${categoryNames().join(', ')}, or any; to search free text, quote it: "${ref.name}"`;
      throw queryError(ctx.text, ref.at, `unknown category ${quoted(ref.name)}`, hint);
    }
  }
  const fields = fieldsOf(category);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const columns = fields.map((f) => ({ name: f.name, type: f.type, sql: q(ctx, f.name) }));
  const columnByName = new Map(columns.map((c) => [c.name, c]));
  const where = category ? `category ${category.name}` : 'any category';
  return {
    kind: 'events',
    category,
    columns,
    lookup(field) {
      const column = columnByName.get(field.name);
      if (column) return column;
      if (field.name.startsWith(EVENT_DATA_FIELD + '.') && byName.has(EVENT_DATA_FIELD)) {
        const key = field.name.slice(EVENT_DATA_FIELD.length + 1);
        if (!EVENT_DATA_KEY.test(key)) throw queryError(ctx.text, field.at, `${quoted(key)} is not a Windows event data key`, 'keys are letters, digits and _');
        return { name: field.name, type: 'keyword', sql: ctx.dialect.jsonField(q(ctx, EVENT_DATA_FIELD), bind(ctx, ctx.dialect.jsonPath(key))) };
      }
      const elsewhere = categoriesWithField(field.name).map((c) => c.name);
      if (elsewhere.length) {
        throw queryError(ctx.text, field.at, `field ${quoted(field.name)} does not exist in ${where}`, `it exists in ${elsewhere.join(', ')}; start the query with one of those or with "any where"`);
      }
      const hint = didYouMean(field.name, byName.keys()) ?? didYouMean(field.name, fieldsOf(null).map((f) => f.name));
      throw queryError(ctx.text, field.at, `unknown field ${quoted(field.name)}`, hint ?? 'see docs/schema.md for the fields of each category');
    },
  };
}

function derivedScope(ctx: Context, columns: Column[], from: string): Scope {
  const derived = columns.map((c) => ({ name: c.name, type: c.type, sql: q(ctx, c.name) }));
  const byName = new Map(derived.map((c) => [c.name, c]));
  return {
    kind: 'derived',
    category: null,
    columns: derived,
    lookup(field) {
      const column = byName.get(field.name);
      if (column) return column;
      const hint = didYouMean(field.name, byName.keys()) ?? `the columns here are ${derived.map((c) => c.name).join(', ')}`;
      throw queryError(ctx.text, field.at, `unknown column ${quoted(field.name)} after ${from}`, hint);
    },
  };
}

// ---- index probes ----

/**
 * `| stats count(), min(@timestamp), max(@timestamp) by <probed field>, host.id` (any of those aggregations, any
 * subset of those keys, in any order) after an exact probe: counts and first/last times per value and host, which an
 * index may give alone.
 */
function valueHostShape(pipes: readonly Pipe[], field: string): Omit<Extract<NonNullable<IndexedHunt['indexOnly']>, { kind: 'stats' }>, 'limit'> | null {
  const pipe = pipes[0];
  // Without groups SQL returns one row even when nothing matches; only grouped shapes are answered from the index.
  if (pipes.length !== 1 || pipe?.kind !== 'stats' || !pipe.aggregations.length || !pipe.by.length) return null;
  const by = pipe.by.map((ref) => ({ name: ref.name, of: ref.name === field ? ('value' as const) : ref.name === 'host.id' ? ('host' as const) : null }));
  if (by.some((b) => b.of === null) || new Set(by.map((b) => b.name)).size !== by.length) return null;
  const aggregations: { name: string; fn: 'count' | 'min' | 'max' }[] = [];
  for (const agg of pipe.aggregations) {
    if (agg.fn === 'count' && agg.field === null) aggregations.push({ name: agg.alias?.name ?? 'count', fn: 'count' });
    else if ((agg.fn === 'min' || agg.fn === 'max') && agg.field?.name === '@timestamp') aggregations.push({ name: agg.alias?.name ?? `${agg.fn}(@timestamp)`, fn: agg.fn });
    else return null;
  }
  return { kind: 'stats', by: by as { name: string; of: 'value' | 'host' }[], aggregations };
}

/** The identifier a store replaces with the n-th probed source (the format of @vigil/store's indexSourceIdentifier). */
function indexSource(n: number): string {
  return `"vigil.index.${n}"`;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * The index probe equivalent to a condition on raw events, when there is one: exact or in-list matches without
 * wildcards, case-insensitive `contains`, fuzzy terms (only printable ASCII values: the index judges only those), and
 * integer fields equal to integers.
 */
function probeOf(ctx: Context, condition: Condition, scope: Scope): { probe: IndexProbe; restrict: 'rows' | 'tables' } | null {
  if (scope.kind !== 'events') return null;
  const plain = (value: Value): value is Extract<Value, { kind: 'string' }> => value.kind === 'string' && value.globs.length === 0 && PRINTABLE_ASCII.test(value.value);
  switch (condition.kind) {
    case 'compare': {
      const column = scope.lookup(condition.field);
      const { operator, value } = condition;
      if (operator === '==' && INTEGER_TYPES.has(column.type) && value.kind === 'number' && Number.isSafeInteger(value.value) && !condition.caseSensitive) {
        return { probe: { kind: 'number', field: column.name, values: [value.value] }, restrict: 'tables' };
      }
      if (!plain(value)) return null;
      if (operator === '==' && isHashColumn(column)) return { probe: { kind: 'equals', field: column.name, values: [value.value.toLowerCase()], ignoreCase: false }, restrict: 'tables' };
      if (condition.caseSensitive || !(TEXT_TYPES.has(column.type) || LIST_TYPES.has(column.type))) return null;
      if (operator === '==') return { probe: { kind: 'equals', field: column.name, values: [value.value.toLowerCase()], ignoreCase: true }, restrict: 'tables' };
      if (operator === 'contains' && !isHashColumn(column)) return { probe: { kind: 'contains', field: column.name, needle: value.value.toLowerCase() }, restrict: 'rows' };
      return null;
    }
    case 'in': {
      const column = scope.lookup(condition.field);
      if (INTEGER_TYPES.has(column.type) && !condition.caseSensitive && condition.values.every((v) => v.kind === 'number' && Number.isSafeInteger(v.value))) {
        const values = condition.values.map((v) => (v as Extract<Value, { kind: 'number' }>).value);
        return { probe: { kind: 'number', field: column.name, values }, restrict: values.length === 1 ? 'tables' : 'rows' };
      }
      if (!condition.values.every(plain)) return null;
      const values = condition.values.map((v) => (v as Extract<Value, { kind: 'string' }>).value.toLowerCase());
      if (isHashColumn(column)) return { probe: { kind: 'equals', field: column.name, values, ignoreCase: false }, restrict: values.length === 1 ? 'tables' : 'rows' };
      if (condition.caseSensitive || !(TEXT_TYPES.has(column.type) || LIST_TYPES.has(column.type))) return null;
      return { probe: { kind: 'equals', field: column.name, values, ignoreCase: true }, restrict: values.length === 1 ? 'tables' : 'rows' };
    }
    case 'fuzzy':
      if (!PRINTABLE_ASCII.test(condition.term) || condition.term.length <= condition.distance) return null;
      return { probe: { kind: 'fuzzy', term: condition.term, distance: condition.distance }, restrict: 'rows' };
    default:
      return null;
  }
}

// ---- conditions ----

function compileCondition(ctx: Context, condition: Condition, scope: Scope): string {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return `(${condition.operands.map((c) => compileCondition(ctx, c, scope)).join(condition.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${compileCondition(ctx, condition.operand, scope)})`;
    case 'exists':
      return `(${scope.lookup(condition.field).sql} IS NOT NULL)`;
    case 'compare':
      return compileCompare(ctx, condition, scope);
    case 'in':
      return compileIn(ctx, condition, scope);
    case 'between': {
      const column = scope.lookup(condition.field);
      const low = scalarParam(ctx, column, condition.low, 'between');
      const high = scalarParam(ctx, column, condition.high, 'between');
      return `coalesce(${column.sql} BETWEEN ${low} AND ${high}, false)`;
    }
    case 'regex': {
      const column = scope.lookup(condition.field);
      requireText(ctx, column, condition.field, 'a regular expression');
      checkRegex(ctx.text, condition.pattern, condition.patternAt);
      const pattern = bind(ctx, condition.pattern);
      return onText(ctx, column, (e) => ctx.dialect.regex(e, pattern, condition.caseSensitive));
    }
    case 'cidr': {
      const column = scope.lookup(condition.field);
      if (column.type !== 'ip' && column.type !== 'ip[]') {
        throw queryError(ctx.text, condition.field.at, `field ${quoted(column.name)} is ${column.type}, not an IP address`, 'CIDR matching works on ip fields such as source.ip and destination.ip');
      }
      const parts = condition.ranges.map((range) => {
        const cidr = parseCidr(ctx.text, range.text, range.at);
        const bounds = { family: cidr.family, low: bind(ctx, cidr.low), high: bind(ctx, cidr.high) };
        const inner = variable(ctx);
        return onText(ctx, column, (e) => ctx.dialect.cidr(e, bounds, inner));
      });
      return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
    }
    case 'text': {
      const haystack = searchText(ctx, scope, condition.at);
      return `coalesce(${ctx.dialect.like(haystack, bind(ctx, likePattern(condition.term, '%', '%')), false)}, false)`;
    }
    case 'fuzzy': {
      const haystack = searchText(ctx, scope, condition.at);
      return ctx.dialect.fuzzyToken(haystack, bind(ctx, condition.term), bind(ctx, condition.distance), variable(ctx));
    }
  }
}

/** Applies a text predicate to a text column, or to any element of a list column; never NULL. */
function onText(ctx: Context, column: Column, predicate: (element: string) => string): string {
  if (LIST_TYPES.has(column.type)) return ctx.dialect.anyElement(column.sql, variable(ctx), predicate);
  return `coalesce(${predicate(column.sql)}, false)`;
}

function requireText(ctx: Context, column: Column, field: FieldRef, what: string): void {
  if (TEXT_TYPES.has(column.type) || LIST_TYPES.has(column.type)) return;
  const hint = column.type === 'object' ? `address one key, for example ${EVENT_DATA_FIELD}.TargetUserName` : NUMBER_TYPES.has(column.type) ? 'compare numbers with ==, <, >, in or between' : column.type === 'date' ? 'compare dates with <, >, between or ==' : 'compare it with == true or == false';
  throw queryError(ctx.text, field.at, `field ${quoted(column.name)} is ${column.type}; ${what} needs a text field`, hint);
}

function searchText(ctx: Context, scope: Scope, at: number): string {
  if (scope.kind !== 'events') throw queryError(ctx.text, at, 'free-text search works on events, not on the rows of stats, top, timechart or sequence', 'move the term before the first aggregation');
  const key = scope.category?.name ?? '*';
  const cached = ctx.searchText.get(key);
  if (cached) return cached;
  const parts = scope.columns
    .filter((c) => TEXT_TYPES.has(c.type) || LIST_TYPES.has(c.type) || c.type === 'object')
    .filter((c) => c.name !== 'event.id' && c.name !== 'host.id' && c.name !== 'event.category')
    .map((c) => ({ expr: c.sql, shape: LIST_TYPES.has(c.type) ? ('list' as const) : c.type === 'object' ? ('json' as const) : ('text' as const) }));
  const sql = ctx.dialect.searchableText(parts);
  ctx.searchText.set(key, sql);
  return sql;
}

/**
 * Hash fields hold lower-case hex (the schema normalises them at ingest) and never need wildcards: equality and
 * in-lists compare exactly, which the store answers with a plain equality or a hash-set probe instead of LIKE.
 */
const HASH_FIELD = /\.(md5|sha1|sha256|imphash)$/;
const isHashColumn = (column: Column) => column.type === 'keyword' && HASH_FIELD.test(column.name);

function compileCompare(ctx: Context, condition: Extract<Condition, { kind: 'compare' }>, scope: Scope): string {
  const column = scope.lookup(condition.field);
  const { operator, value } = condition;
  if (isHashColumn(column) && (operator === '==' || operator === '!=') && value.kind === 'string') {
    const match = `coalesce(${column.sql} = ${bind(ctx, value.value.toLowerCase())}, false)`;
    return operator === '!=' ? `(NOT ${match})` : match;
  }
  if (TEXT_TYPES.has(column.type) || LIST_TYPES.has(column.type)) {
    if (operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
      throw queryError(ctx.text, condition.at, `"${operator}" compares numbers or dates, but ${quoted(column.name)} is ${column.type}`, 'use ==, contains, startswith, endswith, like or matches on text');
    }
    if (value.kind !== 'string') throw queryError(ctx.text, value.at, `field ${quoted(column.name)} is ${column.type}; compare it with a quoted string`, `for example ${column.name} == "${value.kind === 'number' ? value.value : 'value'}"`);
    const pattern =
      operator === 'contains' ? likePattern(value, '%', '%') : operator === 'startswith' ? likePattern(value, '', '%') : operator === 'endswith' ? likePattern(value, '%', '') : likePattern(value, '', '');
    const param = bind(ctx, pattern);
    const match = onText(ctx, column, (e) => ctx.dialect.like(e, param, condition.caseSensitive));
    return operator === '!=' ? `(NOT ${match})` : match;
  }
  if (operator === 'contains' || operator === 'startswith' || operator === 'endswith' || operator === 'like') {
    requireText(ctx, column, condition.field, `"${operator}"`);
  }
  if (condition.caseSensitive) throw queryError(ctx.text, condition.at, `case-sensitive comparison needs a text field, but ${quoted(column.name)} is ${column.type}`);
  if (column.type === 'boolean' && operator !== '==' && operator !== '!=') throw queryError(ctx.text, condition.at, `field ${quoted(column.name)} is boolean; compare it with == or !=`);
  if (column.type === 'object') requireText(ctx, column, condition.field, 'a comparison');
  const param = scalarParam(ctx, column, value, operator);
  if (operator === '!=') return `(NOT coalesce(${column.sql} = ${param}, false))`;
  return `coalesce(${column.sql} ${operator === '==' ? '=' : operator} ${param}, false)`;
}

/** Binds a value for a number, date or boolean column, after checking it fits the column's type. */
function scalarParam(ctx: Context, column: Column, value: Value, operator: string): string {
  if (NUMBER_TYPES.has(column.type)) {
    if (value.kind !== 'number') throw queryError(ctx.text, value.at, `field ${quoted(column.name)} is a number; compare it with a number`, value.kind === 'string' && /^-?\d+(\.\d+)?$/.test(value.value) ? `drop the quotes: ${value.value}` : undefined);
    return bind(ctx, value.value);
  }
  if (column.type === 'date') {
    if (value.kind !== 'time' && value.kind !== 'string') throw queryError(ctx.text, value.at, `field ${quoted(column.name)} is a date; compare it with a date`, 'for example now() - 24h or "2026-01-31T00:00:00Z"');
    return ctx.dialect.timestamp(bind(ctx, timeParam(ctx.text, value, ctx.now)));
  }
  if (column.type === 'boolean') {
    if (value.kind !== 'boolean') throw queryError(ctx.text, value.at, `field ${quoted(column.name)} is boolean; compare it with true or false`);
    return bind(ctx, value.value);
  }
  throw queryError(ctx.text, value.at, `"${operator}" cannot compare ${quoted(column.name)} of type ${column.type}`);
}

function compileIn(ctx: Context, condition: Extract<Condition, { kind: 'in' }>, scope: Scope): string {
  const column = scope.lookup(condition.field);
  if (isHashColumn(column) && condition.values.every((value) => value.kind === 'string')) {
    const params = condition.values.map((value) => bind(ctx, (value as Extract<Value, { kind: 'string' }>).value.toLowerCase()));
    return `coalesce(${column.sql} IN (${params.join(', ')}), false)`;
  }
  if (TEXT_TYPES.has(column.type) || LIST_TYPES.has(column.type)) {
    const params = condition.values.map((value) => {
      if (value.kind !== 'string') throw queryError(ctx.text, value.at, `field ${quoted(column.name)} is ${column.type}; list quoted strings`);
      return bind(ctx, likePattern(value, '', ''));
    });
    return onText(ctx, column, (e) => `(${params.map((p) => ctx.dialect.like(e, p, condition.caseSensitive)).join(' OR ')})`);
  }
  if (condition.caseSensitive) throw queryError(ctx.text, condition.at, `case-sensitive comparison needs a text field, but ${quoted(column.name)} is ${column.type}`);
  if (column.type === 'object') requireText(ctx, column, condition.field, '"in"');
  const params = condition.values.map((value) => scalarParam(ctx, column, value, 'in'));
  return `coalesce(${column.sql} IN (${params.join(', ')}), false)`;
}

// ---- pipes ----

function outputColumns(builder: Builder): Column[] {
  return builder.select ?? builder.scope.columns;
}

/** Materialises a builder as a CTE and returns a builder reading its rows, keeping the order where it can. */
function wrap(ctx: Context, builder: Builder, label: string): Builder {
  const name = `q${ctx.ctes.length + 1}`;
  ctx.ctes.push(`${q(ctx, name)} AS (${render(ctx, builder, builder.limit !== null)})`);
  const scope = derivedScope(ctx, outputColumns(builder), label);
  const orderBy = builder.orderBy.flatMap((o) => {
    const column = scope.columns.find((c) => c.name === o.column.name);
    return column ? [{ column, descending: o.descending }] : [];
  });
  return { from: q(ctx, name), scope, select: null, where: [], orderBy, limit: null };
}

function render(ctx: Context, builder: Builder, withOrder: boolean): string {
  const columns = outputColumns(builder).map((c) => (c.sql === q(ctx, c.name) ? c.sql : `${c.sql} AS ${q(ctx, c.name)}`));
  let sql = `SELECT ${columns.join(', ')}\nFROM ${builder.from}`;
  if (builder.where.length) sql += `\nWHERE ${builder.where.join('\n  AND ')}`;
  if (withOrder && builder.orderBy.length) sql += `\nORDER BY ${builder.orderBy.map((o) => `${o.column.sql} ${o.descending ? 'DESC' : 'ASC'} NULLS LAST`).join(', ')}`;
  if (builder.limit !== null && Number.isFinite(builder.limit)) sql += `\n${ctx.dialect.limit(bind(ctx, builder.limit))}`;
  return sql;
}

function applyPipe(ctx: Context, builder: Builder, pipe: Pipe): { builder: Builder; kind?: CompiledHunt['kind'] } {
  switch (pipe.kind) {
    case 'where': {
      const b = builder.limit !== null ? wrap(ctx, builder, 'limit') : builder;
      return { builder: { ...b, where: [...b.where, compileCondition(ctx, pipe.condition, b.scope)] } };
    }
    case 'sort': {
      const b = builder.limit !== null ? wrap(ctx, builder, 'limit') : builder;
      const orderBy = pipe.keys.map((key) => ({ column: sortable(ctx, b.scope.lookup(key.field), key.field), descending: key.descending }));
      return { builder: { ...b, orderBy } };
    }
    case 'limit':
      return { builder: { ...builder, limit: Math.min(builder.limit ?? Infinity, pipe.count) } };
    case 'fields': {
      const seen = new Set<string>();
      const select = pipe.fields.map((field) => {
        if (seen.has(field.name)) throw queryError(ctx.text, field.at, `field ${quoted(field.name)} is listed twice`);
        seen.add(field.name);
        return builder.scope.lookup(field);
      });
      const scope: Scope = { ...builder.scope, columns: select, lookup: (field) => {
        const column = select.find((c) => c.name === field.name);
        if (column) return column;
        throw queryError(ctx.text, field.at, `field ${quoted(field.name)} was dropped by "fields"`, `the fields kept are ${select.map((c) => c.name).join(', ')}`);
      } };
      return { builder: { ...builder, select, scope } };
    }
    case 'stats':
      return { builder: aggregate(ctx, builder, pipe.aggregations, pipe.by, null, 'stats'), kind: 'stats' };
    case 'timechart':
      return { builder: aggregate(ctx, builder, pipe.aggregations, pipe.by, { spanMs: pipe.spanMs, at: pipe.at }, 'timechart'), kind: 'timechart' };
    case 'top':
      return { builder: top(ctx, builder, pipe), kind: 'top' };
  }
}

function sortable(ctx: Context, column: Column, field: FieldRef): Column {
  if (column.type === 'object') throw queryError(ctx.text, field.at, `field ${quoted(column.name)} is a JSON object and cannot be sorted`);
  return column;
}

function groupable(ctx: Context, scope: Scope, field: FieldRef): Column {
  const column = scope.lookup(field);
  if (column.type === 'object') throw queryError(ctx.text, field.at, `field ${quoted(column.name)} is a JSON object and cannot be grouped`, `group by one key, for example ${EVENT_DATA_FIELD}.TargetUserName`);
  return column;
}

function uniqueNames(ctx: Context, names: { name: string; at: number }[]): void {
  const seen = new Set<string>();
  for (const { name, at } of names) {
    if (seen.has(name)) throw queryError(ctx.text, at, `the output column ${quoted(name)} appears twice`, 'rename one with "as"');
    seen.add(name);
  }
}

function aggregation(ctx: Context, scope: Scope, agg: Aggregation): Column {
  const field = agg.field ? scope.lookup(agg.field) : null;
  const name = agg.alias?.name ?? (field ? `${agg.fn}(${field.name})` : agg.fn);
  if (!field) return { name, type: 'number', sql: 'count(*)' };
  if (field.type === 'object' && agg.fn !== 'count') throw queryError(ctx.text, agg.field!.at, `${agg.fn}() cannot use the JSON object ${quoted(field.name)}`);
  switch (agg.fn) {
    case 'count':
      return { name, type: 'number', sql: `count(${field.sql})` };
    case 'dc':
      return { name, type: 'number', sql: ctx.dialect.countDistinct(field.sql) };
    case 'min':
    case 'max':
      if (!NUMBER_TYPES.has(field.type) && field.type !== 'date') throw queryError(ctx.text, agg.field!.at, `${agg.fn}() needs a number or date field, but ${quoted(field.name)} is ${field.type}`, 'use dc() to count distinct text values');
      return { name, type: field.type === 'date' ? 'date' : 'number', sql: `${agg.fn}(${field.sql})` };
    case 'sum':
    case 'avg':
      if (!NUMBER_TYPES.has(field.type)) throw queryError(ctx.text, agg.field!.at, `${agg.fn}() needs a number field, but ${quoted(field.name)} is ${field.type}`);
      return { name, type: 'number', sql: agg.fn === 'sum' ? `CAST(sum(${field.sql}) AS DOUBLE)` : `avg(${field.sql})` };
  }
}

function aggregate(ctx: Context, input: Builder, aggs: Aggregation[], by: FieldRef[], chart: { spanMs: number; at: number } | null, label: string): Builder {
  const builder = input.limit !== null ? wrap(ctx, input, 'limit') : input;
  const groups: Column[] = [];
  if (chart) {
    const ts = builder.scope.columns.find((c) => c.name === '@timestamp' && c.type === 'date');
    if (!ts) throw queryError(ctx.text, chart.at, 'timechart needs the @timestamp field', 'keep @timestamp in "fields" or chart before aggregating');
    groups.push({ name: '@timestamp', type: 'date', sql: ctx.dialect.timeBucket(ts.sql, bind(ctx, chart.spanMs * 1000)) });
  }
  for (const field of by) groups.push(groupable(ctx, builder.scope, field));
  const values = aggs.map((agg) => aggregation(ctx, builder.scope, agg));
  uniqueNames(ctx, [
    ...(chart ? [{ name: '@timestamp', at: chart.at }] : []),
    ...by.map((f) => ({ name: f.name, at: f.at })),
    ...aggs.map((a, i) => ({ name: values[i]!.name, at: a.alias?.at ?? a.at })),
  ]);
  const columns = [...groups, ...values];
  const name = `q${ctx.ctes.length + 1}`;
  let sql = `SELECT ${columns.map((c) => `${c.sql} AS ${q(ctx, c.name)}`).join(', ')}\nFROM ${builder.from}`;
  if (builder.where.length) sql += `\nWHERE ${builder.where.join('\n  AND ')}`;
  if (groups.length) sql += `\nGROUP BY ${groups.map((g) => g.sql).join(', ')}`;
  ctx.ctes.push(`${q(ctx, name)} AS (${sql})`);
  const scope = derivedScope(ctx, columns, label);
  const orderBy = scope.columns.slice(0, groups.length).map((column) => ({ column, descending: false }));
  return { from: q(ctx, name), scope, select: null, where: [], orderBy, limit: null };
}

function top(ctx: Context, input: Builder, pipe: Extract<Pipe, { kind: 'top' }>): Builder {
  const builder = input.limit !== null ? wrap(ctx, input, 'limit') : input;
  const groups = pipe.by.map((f) => groupable(ctx, builder.scope, f));
  const value = groupable(ctx, builder.scope, pipe.field);
  uniqueNames(ctx, [...pipe.by.map((f) => ({ name: f.name, at: f.at })), { name: value.name, at: pipe.field.at }, { name: 'count', at: pipe.at }]);
  const keys = [...groups, value];
  const counts = `q${ctx.ctes.length + 1}`;
  let sql = `SELECT ${keys.map((c) => `${c.sql} AS ${q(ctx, c.name)}`).join(', ')}, count(*) AS ${q(ctx, 'count')}\nFROM ${builder.from}`;
  if (builder.where.length) sql += `\nWHERE ${builder.where.join('\n  AND ')}`;
  sql += `\nGROUP BY ${keys.map((k) => k.sql).join(', ')}`;
  ctx.ctes.push(`${q(ctx, counts)} AS (${sql})`);
  const columns: Column[] = [...keys.map((k) => ({ name: k.name, type: k.type, sql: '' })), { name: 'count', type: 'number', sql: '' }];
  const scope = derivedScope(ctx, columns, 'top');
  const find = (n: string) => scope.columns.find((c) => c.name === n)!;
  const byCount = [{ column: find('count'), descending: true }, { column: find(value.name), descending: false }];
  if (!groups.length) return { from: q(ctx, counts), scope, select: null, where: [], orderBy: byCount, limit: pipe.count };
  const ranked = `q${ctx.ctes.length + 1}`;
  const partition = groups.map((g) => q(ctx, g.name)).join(', ');
  ctx.ctes.push(
    `${q(ctx, ranked)} AS (SELECT *, row_number() OVER (PARTITION BY ${partition} ORDER BY ${q(ctx, 'count')} DESC, ${q(ctx, value.name)} ASC NULLS LAST) AS ${q(ctx, 'rank')}\nFROM ${q(ctx, counts)})`,
  );
  const orderBy = [...groups.map((g) => ({ column: find(g.name), descending: false })), ...byCount];
  return { from: q(ctx, ranked), scope, select: null, where: [`${q(ctx, 'rank')} <= ${bind(ctx, pipe.count)}`], orderBy, limit: null };
}

// ---- sequences ----

function compileSequence(ctx: Context, ast: Extract<QueryAst, { kind: 'sequence' }>, filters: (scope: Scope) => string[], filtersFor: (c: Context) => (scope: Scope) => string[]): Builder {
  const steps: SequenceStep[] = [];
  const id = (n: string) => q(ctx, n);
  const keyCount = ast.by.length + (ast.steps[0]?.by.length ?? 0);
  let keyTypes: string[] = [];
  const maxspan = ast.maxspanMs === null ? null : bind(ctx, ast.maxspanMs * 1000);
  ast.steps.forEach((step, index) => {
    const scope = eventScope(ctx, step.category);
    const keyRefs = [...ast.by, ...step.by];
    if (keyRefs.length !== keyCount) {
      throw queryError(ctx.text, step.at, `step ${index + 1} has ${keyRefs.length} join keys but step 1 has ${keyCount}`, 'give every step the same number of "by" fields');
    }
    const keys = keyRefs.map((ref) => {
      const column = scope.lookup(ref);
      if (LIST_TYPES.has(column.type) || column.type === 'object') throw queryError(ctx.text, ref.at, `field ${quoted(column.name)} is ${column.type} and cannot join sequence steps`);
      return column;
    });
    if (index === 0) keyTypes = keys.map((k) => k.type);
    keys.forEach((k, i) => {
      if (k.type !== keyTypes[i]) throw queryError(ctx.text, keyRefs[i]!.at, `join key ${quoted(k.name)} is ${k.type} but the same key of step 1 is ${keyTypes[i]}`);
    });
    const where = [...filters(scope)];
    if (step.condition) where.push(compileCondition(ctx, step.condition, scope));
    const select = [
      `${scope.lookup({ name: 'event.id', at: 0 }).sql} AS ${id('id')}`,
      `${scope.lookup({ name: '@timestamp', at: 0 }).sql} AS ${id('ts')}`,
      `${scope.lookup({ name: 'event.sequence', at: 0 }).sql} AS ${id('sq')}`,
      ...keys.map((k, i) => `${k.sql} AS ${id(`k${i + 1}`)}`),
    ];
    ctx.ctes.push(`${id(`s${index + 1}`)} AS (SELECT ${select.join(', ')}\nFROM ${ctx.dialect.eventSource(step.category?.name ?? null)}${where.length ? `\nWHERE ${where.join('\n  AND ')}` : ''})`);
    if (ctx.index) {
      // The step alone, with its own parameters, and its probe when the step's condition is that probe and nothing else.
      const own: Context = { ...ctx, params: [], ctes: [], searchText: new Map(), index: null };
      const ownScope = eventScope(own, step.category);
      const ownWhere = [...filtersFor(own)(ownScope)];
      const probed = ownWhere.length === 0 && step.condition ? probeOf(own, step.condition, ownScope) : null;
      if (step.condition) ownWhere.push(compileCondition(own, step.condition, ownScope));
      const ownKeys = keyRefs.map((ref) => ownScope.lookup(ref));
      const ownSelect = [
        `${ownScope.lookup({ name: 'event.id', at: 0 }).sql} AS ${id('id')}`,
        `${ownScope.lookup({ name: '@timestamp', at: 0 }).sql} AS ${id('ts')}`,
        `${ownScope.lookup({ name: 'event.sequence', at: 0 }).sql} AS ${id('sq')}`,
        ...ownKeys.map((k, i) => `${k.sql} AS ${id(`k${i + 1}`)}`),
      ];
      steps.push({
        category: step.category?.name ?? null,
        keys: keyRefs.map((ref) => ref.name),
        probe: probed?.probe ?? null,
        sql: `SELECT ${ownSelect.join(', ')}\nFROM ${own.dialect.eventSource(step.category?.name ?? null)}${ownWhere.length ? `\nWHERE ${ownWhere.join('\n  AND ')}` : ''}`,
        where: ownWhere.join('\n  AND '),
        params: own.params,
      });
    }
  });
  if (ctx.index) ctx.index.steps = steps;
  const keyCols = Array.from({ length: keyCount }, (_, i) => id(`k${i + 1}`));
  ctx.ctes.push(`${id('c1')} AS (SELECT ${[...keyCols, `${id('id')} AS ${id('id1')}`, `${id('ts')} AS ${id('ts1')}`, `${id('sq')} AS ${id('sq1')}`].join(', ')} FROM ${id('s1')})`);
  for (let step = 2; step <= ast.steps.length; step++) {
    const carried = [...keyCols, ...Array.from({ length: step - 1 }, (_, i) => [id(`id${i + 1}`), id(`ts${i + 1}`), id(`sq${i + 1}`)]).flat()];
    // Later, or in the same instant and later in the agent's own order: real sources stamp whole milliseconds, and a
    // lookup and the connection it enables often share one (regression: attack-chain.system.test, sequence-tie golden).
    const [ts, prevTs, sq, prevSq] = [`s.${id('ts')}`, `c.${id(`ts${step - 1}`)}`, `s.${id('sq')}`, `c.${id(`sq${step - 1}`)}`];
    const on = [...keyCols.map((k) => `c.${k} = s.${k}`), `(${ts} > ${prevTs} OR (${ts} = ${prevTs} AND ${sq} > ${prevSq}))`];
    if (maxspan) on.push(`s.${id('ts')} <= ${ctx.dialect.addMicros(`c.${id('ts1')}`, maxspan)}`);
    ctx.ctes.push(
      `${id(`c${step}`)} AS (SELECT ${[...carried, `${id('id')} AS ${id(`id${step}`)}`, `${id('ts')} AS ${id(`ts${step}`)}`, `${id('sq')} AS ${id(`sq${step}`)}`].join(', ')}\n` +
        `FROM (SELECT c.*, s.${id('id')}, s.${id('ts')}, s.${id('sq')}, row_number() OVER (PARTITION BY c.${id('id1')} ORDER BY s.${id('ts')}, s.${id('sq')}, s.${id('id')}) AS ${id('rn')}\n` +
        `FROM ${id(`c${step - 1}`)} AS c JOIN ${id(`s${step}`)} AS s ON ${on.join(' AND ')}) AS t\nWHERE ${id('rn')} = 1)`,
    );
  }
  const last = ast.steps.length;
  const firstScope = eventScope(ctx, ast.steps[0]!.category);
  const columns: Column[] = [
    ...ast.by.map((ref, i) => ({ name: ref.name, type: firstScope.lookup(ref).type, sql: id(`k${i + 1}`) })),
    { name: 'sequence.start', type: 'date', sql: id('ts1') },
    { name: 'sequence.end', type: 'date', sql: id(`ts${last}`) },
    ...ast.steps.flatMap((_, i) => [
      { name: `step${i + 1}.event.id`, type: 'keyword', sql: id(`id${i + 1}`) },
      { name: `step${i + 1}.@timestamp`, type: 'date', sql: id(`ts${i + 1}`) },
    ]),
  ];
  uniqueNames(ctx, ast.by.map((f) => ({ name: f.name, at: f.at })));
  ctx.ctes.push(
    `${id('sequences')} AS (SELECT ${columns.map((c) => `${c.sql} AS ${id(c.name)}`).join(', ')}\n` +
      `FROM (SELECT *, row_number() OVER (PARTITION BY ${id(`id${last}`)} ORDER BY ${id('ts1')} DESC, ${id('id1')} DESC) AS ${id('rn')} FROM ${id(`c${last}`)}) AS t\nWHERE ${id('rn')} = 1)`,
  );
  const scope = derivedScope(ctx, columns, 'sequence');
  const start = scope.columns.find((c) => c.name === 'sequence.start')!;
  return { from: id('sequences'), scope, select: null, where: [], orderBy: [{ column: start, descending: false }], limit: null };
}

