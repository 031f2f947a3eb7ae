// Compiles one parsed Sigma rule into one parameterised DuckDB SELECT over stored events, with the semantics of the in-memory matcher.
// Never splices a rule value into SQL text (values are bound `$n` parameters) and never throws on a rule: problems are returned.

import { parseSigmaString as parseWildcards } from './wildcard.js';
import { allEventFields, resolvedCategories } from '@vigil/schema';
import type { FieldType } from '@vigil/schema';
import type {
  FieldAccessor,
  FieldResolver,
  LoadProblem,
  Logsource,
  LogsourceRouter,
  SigmaCondition,
  SigmaFieldItem,
  SigmaRule,
  SigmaScalar,
  SigmaSearch,
  SourceLocation,
} from '../core.js';

export interface SqlQuery {
  sql: string;
  params: (string | number | boolean)[];
}

export interface SigmaSqlOptions {
  resolver: FieldResolver;
  router: LogsourceRouter;
  placeholders?: Readonly<Record<string, readonly string[]>>;
  /** ISO time, inclusive. */
  start?: string;
  /** ISO time, exclusive. */
  end?: string;
  /** Only events of these hosts; an empty list selects nothing. */
  hostIds?: readonly string[];
  /** Default 10000. */
  limit?: number;
}

const defaultLimit = 10000;
const selectedColumns = ['event.id', 'host.id', '@timestamp', 'event.category'] as const;
const windashCharacters = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;

/** Schema type of every event column, to know which expressions are lists, objects or non-strings. */
const columnTypes: ReadonlyMap<string, FieldType> = new Map(allEventFields.map((field) => [field.name, field.type]));

/**
 * SELECT "event.id", "host.id", "@timestamp", "event.category" and the rule's resolved `fields:` FROM the routed tables
 * WHERE route AND condition AND time/host filters ORDER BY "@timestamp" LIMIT n.
 * Problems (unsupported logsource, unknown field, regex RE2 cannot run) are returned, never thrown; an error or an
 * unsupported logsource leaves `query` undefined.
 */
export function sigmaRuleToSql(rule: SigmaRule, options: SigmaSqlOptions): { query?: SqlQuery; problems: LoadProblem[] } {
  const context = new BuildContext(rule, options);
  try {
    return buildQuery(context);
  } catch (error) {
    context.problem('error', 'sql_generation_failed', error instanceof Error ? error.message : String(error), rule.location);
    return { problems: context.problems };
  }
}

class BuildContext {
  readonly params: (string | number | boolean)[] = [];
  readonly problems: LoadProblem[] = [];
  private lambdaCount = 0;
  private readonly warnedPlaceholders = new Set<string>();

  constructor(
    readonly rule: SigmaRule,
    readonly options: SigmaSqlOptions,
  ) {}

  /** Binds a value and returns its placeholder. */
  bind(value: string | number | boolean): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  lambdaVariable(): string {
    this.lambdaCount += 1;
    return `v${this.lambdaCount}`;
  }

  problem(severity: LoadProblem['severity'], code: string, message: string, location: SourceLocation): void {
    this.problems.push({ severity, code, message, location, ruleId: this.rule.id, ruleTitle: this.rule.title });
  }

  /** Shapes of lambda variables that stand for an accessor's value. */
  readonly boundShapes = new Map<string, ValueShape>();

  shapeOf(sql: string): ValueShape {
    return this.boundShapes.get(sql) ?? shapeOf(sql);
  }

  warnPlaceholderOnce(name: string, location: SourceLocation): void {
    if (this.warnedPlaceholders.has(name)) return;
    this.warnedPlaceholders.add(name);
    this.problem('warning', 'unknown_placeholder', `placeholder %${name}% has no values: the value never matches`, location);
  }
}

function buildQuery(context: BuildContext): { query?: SqlQuery; problems: LoadProblem[] } {
  const { rule, options } = context;
  const route = options.router.route(rule.logsource);
  if (!route) {
    context.problem('warning', 'unsupported_logsource', `no Vigil events for logsource ${describeLogsource(rule.logsource)}: nothing to search`, rule.location);
    return { problems: context.problems };
  }
  const outputs: string[] = selectedColumns.map((name) => quoteIdentifier(name));
  const outputNames = new Set<string>(selectedColumns);
  const referencedSql: string[] = [];
  for (const field of rule.fields) {
    const accessor = options.resolver.resolve(field, rule.logsource);
    if (!accessor || outputNames.has(field)) continue;
    outputNames.add(field);
    outputs.push(`${accessor.sql} AS ${quoteIdentifier(field)}`);
    referencedSql.push(accessor.sql);
  }

  const where: string[] = [];
  for (const condition of route.conditions) {
    requireColumn(condition.field);
    where.push(`${quoteIdentifier(condition.field)} IN (${condition.anyOf.map((value) => context.bind(value)).join(', ')})`);
  }
  for (const field of route.absent ?? []) {
    requireColumn(field);
    where.push(`${quoteIdentifier(field)} IS NULL`);
  }
  const detection = conditionSql(context, rule.condition, referencedSql);
  where.push(detection);
  if (options.start !== undefined) where.push(`"@timestamp" >= CAST(${context.bind(options.start)} AS TIMESTAMP)`);
  if (options.end !== undefined) where.push(`"@timestamp" < CAST(${context.bind(options.end)} AS TIMESTAMP)`);
  if (options.hostIds !== undefined) {
    where.push(options.hostIds.length === 0 ? 'FALSE' : `"host.id" IN (${options.hostIds.map((id) => context.bind(id)).join(', ')})`);
  }
  const limit = options.limit ?? defaultLimit;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, got ${String(limit)}`);

  const from = fromClause(route.categories, referencedSql, where);
  const sql =
    `SELECT ${outputs.join(', ')}\nFROM ${from}\nWHERE ${where.map(grouped).join('\n  AND ')}\n` +
    `ORDER BY "@timestamp", "event.id"\nLIMIT ${context.bind(limit)}`;
  return { query: { sql, params: context.params }, problems: context.problems };
}

/**
 * The routed tables, or the `events` view (filtered on "event.category") when the rule reads a column that none of
 * the routed tables has (the view has every column; a missing column is NULL there, as an absent field in memory).
 */
function fromClause(categories: readonly string[] | undefined, referencedSql: readonly string[], where: string[]): string {
  if (categories === undefined) return 'events';
  if (categories.length === 0) {
    where.unshift('FALSE');
    return 'events';
  }
  const tableColumns = new Set<string>();
  const tables: string[] = [];
  for (const category of categories) {
    const table = eventTableColumns.get(category);
    if (!table) throw new Error(`route names unknown category "${category}"`);
    tables.push(`events_${category}`);
    for (const column of table) tableColumns.add(column);
  }
  const referenced = referencedSql.flatMap(identifiersIn);
  if (referenced.some((name) => !tableColumns.has(name))) {
    where.unshift(`"event.category" IN (${categories.map((category) => quoteLiteral(category)).join(', ')})`);
    return 'events';
  }
  const [first] = tables;
  if (tables.length === 1 && first !== undefined) return quoteIdentifier(first);
  return `(${tables.map((table) => `SELECT * FROM ${quoteIdentifier(table)}`).join(' UNION ALL BY NAME ')}) AS events`;
}

const eventTableColumns: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  resolvedCategories.map((category) => [category.name, new Set(category.fields.map((field) => field.name))]),
);

// ---- conditions ----

function conditionSql(context: BuildContext, condition: SigmaCondition, referencedSql: string[]): string {
  switch (condition.kind) {
    case 'search': {
      const search = context.rule.searches.get(condition.name);
      if (!search) {
        context.problem('warning', 'unknown_search', `condition names unknown search "${condition.name}": FALSE`, condition.location);
        return 'FALSE';
      }
      return searchSql(context, search, referencedSql);
    }
    case 'not':
      return `NOT ${grouped(conditionSql(context, condition.operand, referencedSql))}`;
    case 'and':
    case 'or': {
      return combine(condition.operands.map((operand) => conditionSql(context, operand, referencedSql)), condition.kind === 'and' ? 'AND' : 'OR');
    }
    case 'of': {
      const names = searchNamesMatching(context.rule.searches, condition.pattern);
      if (names.length === 0) {
        context.problem('warning', 'unknown_search', `"${condition.pattern}" names no search: FALSE`, condition.location);
        return 'FALSE';
      }
      const parts = names.map((name) => conditionSql(context, { kind: 'search', name, location: condition.location }, referencedSql));
      return combine(parts, condition.quantifier === 'all' ? 'AND' : 'OR');
    }
  }
}

/** `them` is every search not starting with `_`; otherwise `*` in the pattern matches any run of characters. */
function searchNamesMatching(searches: ReadonlyMap<string, SigmaSearch>, pattern: string): string[] {
  const names = [...searches.keys()];
  if (pattern === 'them') return names.filter((name) => !name.startsWith('_'));
  const expression = new RegExp('^' + pattern.split('*').map(escapeRegExp).join('.*') + '$');
  return names.filter((name) => expression.test(name));
}

function searchSql(context: BuildContext, search: SigmaSearch, referencedSql: string[]): string {
  if (search.kind === 'keywords') {
    return keywordSql(context, search.values, search.modifiers, search.location, referencedSql);
  }
  return combine(
    search.alternatives.map((items) => combine(items.map((item) => fieldItemSql(context, item, referencedSql)), 'AND')),
    'OR',
  );
}

/** AND/OR of predicates; an empty AND is TRUE, an empty OR is FALSE. */
function combine(parts: readonly string[], operator: 'AND' | 'OR'): string {
  if (parts.length === 0) return operator === 'AND' ? 'TRUE' : 'FALSE';
  if (parts.length === 1) return parts[0] as string;
  return parts.map(grouped).join(` ${operator} `);
}

/** The predicate in parentheses unless it is one term (no AND/OR outside parentheses and quotes). */
function grouped(sql: string): string {
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < sql.length; index += 1) {
    const character = sql[index];
    if (character === "'") quoted = !quoted;
    if (quoted) continue;
    if (character === '(' || character === '[') depth += 1;
    else if (character === ')' || character === ']') depth -= 1;
    else if (depth === 0 && (sql.startsWith(' AND ', index) || sql.startsWith(' OR ', index) || sql.startsWith(' BETWEEN ', index) || sql.startsWith(' IS ', index))) return `(${sql})`;
  }
  return sql;
}

// ---- items ----

/** How an accessor's SQL value is shaped, from the schema when the expression is a bare column. */
type ValueShape = 'string' | 'nonstring' | 'list' | 'object';

function shapeOf(sql: string): ValueShape {
  const column = bareColumn(sql);
  if (column === undefined) return /^json_extract_string\(.*'\$[^']*\*[^']*'\)$/s.test(sql.trim()) ? 'list' : 'string';
  const type = columnTypes.get(column);
  if (type === 'keyword[]' || type === 'ip[]') return 'list';
  if (type === 'object') return 'object';
  if (type === 'keyword' || type === 'text' || type === 'ip' || type === undefined) return 'string';
  return 'nonstring';
}

/** Applies a predicate over one scalar SQL text value to an accessor's value, elementwise for lists. */
function overValue(context: BuildContext, accessorSql: string, predicate: (scalar: string) => string): string {
  const shape = context.shapeOf(accessorSql);
  if (shape === 'object') return 'FALSE';
  if (shape === 'list') {
    const variable = context.lambdaVariable();
    return `coalesce(len(list_filter(${accessorSql}, lambda ${variable}: ${predicate(variable)})) > 0, FALSE)`;
  }
  const scalar = shape === 'nonstring' ? `CAST(${accessorSql} AS VARCHAR)` : accessorSql;
  return `coalesce(${predicate(scalar)}, FALSE)`;
}

const knownModifiers = new Set([
  'contains', 'startswith', 'endswith', 'all', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide', 'windash',
  're', 'i', 'm', 's', 'cidr', 'exists', 'expand', 'fieldref', 'gt', 'gte', 'lt', 'lte', 'cased',
]);

function fieldItemSql(context: BuildContext, item: SigmaFieldItem, referencedSql: string[]): string {
  if (item.field === null) return keywordSql(context, item.values, item.modifiers, item.location, referencedSql);
  const unknown = item.modifiers.filter((modifier) => !knownModifiers.has(modifier));
  if (unknown.length > 0) {
    context.problem('warning', 'unknown_modifier', `modifier ${unknown.join(', ')} is not supported: the item is FALSE`, item.location);
    return 'FALSE';
  }
  const accessor = context.options.resolver.resolve(item.field, context.rule.logsource);
  if (!accessor) {
    context.problem('warning', 'unknown_field', `field ${item.field} does not exist under logsource ${describeLogsource(context.rule.logsource)}: the item is FALSE`, item.location);
    return 'FALSE';
  }
  referencedSql.push(accessor.sql);
  return valuesSql(context, accessor, item.modifiers, item.values, item.location, referencedSql);
}

/** Field-less search: each value is searched (contains) in every keyword field of the logsource. */
function keywordSql(context: BuildContext, values: readonly SigmaScalar[], modifiers: readonly string[], location: SourceLocation, referencedSql: string[]): string {
  const fields = context.options.resolver.keywordFields(context.rule.logsource);
  if (fields.length === 0 || values.length === 0) return 'FALSE';
  for (const accessor of fields) referencedSql.push(accessor.sql);
  const matchModifiers = modifiers.some((modifier) => modifier === 'contains' || modifier === 'startswith' || modifier === 'endswith' || modifier === 're')
    ? [...modifiers]
    : [...modifiers, 'contains'];
  const all = modifiers.includes('all');
  const perValue = values.map((value) => {
    const single = matchModifiers.filter((modifier) => modifier !== 'all');
    return combine(fields.map((accessor) => valuesSql(context, accessor, single, [value], location, referencedSql)), 'OR');
  });
  return combine(perValue, all ? 'AND' : 'OR');
}

/** An accessor that is an expression (not a bare column) is evaluated once per item and named inside a lambda. */
function valuesSql(
  context: BuildContext,
  accessor: FieldAccessor,
  modifiers: readonly string[],
  values: readonly SigmaScalar[],
  location: SourceLocation,
  referencedSql: string[],
): string {
  if (values.length === 0) return 'FALSE';
  const shape = context.shapeOf(accessor.sql);
  if (bareColumn(accessor.sql) !== undefined || shape === 'object') return valuesOnSql(context, accessor.sql, modifiers, values, location, referencedSql);
  return withName(context, accessor.sql, (name) => {
    context.boundShapes.set(name, shape);
    return valuesOnSql(context, name, modifiers, values, location, referencedSql);
  });
}

function valuesOnSql(
  context: BuildContext,
  accessorSql: string,
  modifiers: readonly string[],
  values: readonly SigmaScalar[],
  location: SourceLocation,
  referencedSql: string[],
): string {
  const has = (name: string): boolean => modifiers.includes(name);
  const join = (parts: string[]): string => (parts.length === 0 ? 'FALSE' : combine(parts, has('all') ? 'AND' : 'OR'));

  if (has('exists')) {
    return join(values.map((value) => (value === true || value === 'true' ? `${accessorSql} IS NOT NULL` : `${accessorSql} IS NULL`)));
  }
  const comparison = (['gt', 'gte', 'lt', 'lte'] as const).find((name) => has(name));
  if (comparison !== undefined) {
    const operator = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[comparison];
    return join(
      values.map((value) => {
        const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
        if (!Number.isFinite(number)) return 'FALSE';
        const parameter = context.bind(number);
        return overValue(context, accessorSql, (scalar) => `TRY_CAST(${scalar} AS DOUBLE) ${operator} ${parameter}`);
      }),
    );
  }
  if (has('cidr')) {
    return join(values.map((value) => cidrSql(context, accessorSql, String(value), location)));
  }
  if (has('re')) {
    return join(values.map((value) => regexSql(context, accessorSql, String(value), modifiers, location)));
  }
  if (has('fieldref')) {
    return join(values.map((value) => fieldrefSql(context, accessorSql, String(value), modifiers, location, referencedSql)));
  }

  const cased = has('cased');
  const parts: string[] = [];
  for (const value of values) {
    if (value === null) {
      parts.push(nullSql(accessorSql));
      continue;
    }
    const expanded = has('expand') ? expandPlaceholders(context, String(value), location) : [String(value)];
    if (expanded.length === 0) {
      parts.push('FALSE');
      continue;
    }
    const patterns = expanded.flatMap((text) => transformValue(typeof value === 'string' ? parseSigmaString(text) : [text], modifiers));
    const matchKind = has('contains') ? 'contains' : has('startswith') ? 'startswith' : has('endswith') ? 'endswith' : 'equals';
    const alternatives = dedupe(patterns.map((tokens) => withMatchKind(tokens, matchKind)));
    parts.push(combine(alternatives.map((tokens) => patternSql(context, accessorSql, tokens, cased)), 'OR'));
  }
  return join(parts);
}

function nullSql(sql: string): string {
  return `${sql} IS NULL OR CAST(${sql} AS VARCHAR) = ''`;
}

// ---- string patterns ----

const anyRun = Symbol('*');
const oneCharacter = Symbol('?');
type PatternToken = string | typeof anyRun | typeof oneCharacter;

/** A Sigma string as tokens, parsed by the in-memory compiler's own wildcard parser so both read values the same way. */
function parseSigmaString(text: string): PatternToken[] {
  return parseWildcards(text).map((part) => (part.kind === 'text' ? part.text : part.kind === 'any' ? anyRun : oneCharacter));
}

function withMatchKind(tokens: PatternToken[], kind: 'equals' | 'contains' | 'startswith' | 'endswith'): PatternToken[] {
  const result = [...tokens];
  if ((kind === 'contains' || kind === 'endswith') && result[0] !== anyRun) result.unshift(anyRun);
  if ((kind === 'contains' || kind === 'startswith') && result[result.length - 1] !== anyRun) result.push(anyRun);
  return result;
}

function patternSql(context: BuildContext, accessorSql: string, tokens: PatternToken[], cased: boolean): string {
  const hasWildcard = tokens.some((token) => typeof token !== 'string');
  if (!hasWildcard) {
    const text = tokens.join('');
    const parameter = context.bind(text);
    return overValue(context, accessorSql, (scalar) => (cased ? `${scalar} = ${parameter}` : `lower(${scalar}) = lower(${parameter})`));
  }
  const like = tokens.map((token) => (token === anyRun ? '%' : token === oneCharacter ? '_' : escapeLike(cased ? token : token.toLowerCase()))).join('');
  if (like === '%') return overValue(context, accessorSql, (scalar) => `${scalar} IS NOT NULL`);
  const parameter = context.bind(like);
  return overValue(context, accessorSql, (scalar) => (cased ? `${scalar} LIKE ${parameter} ESCAPE '\\'` : `lower(${scalar}) LIKE ${parameter} ESCAPE '\\'`));
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => '\\' + character);
}

function dedupe(patterns: PatternToken[][]): PatternToken[][] {
  const seen = new Set<string>();
  return patterns.filter((tokens) => {
    const key = tokens.map((token) => (token === anyRun ? '\u0000*' : token === oneCharacter ? '\u0000?' : token)).join('\u0001');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- value transformations (windash, utf16, base64), in written order ----

/**
 * Applies the encoding modifiers in the order written. Wildcards survive windash; an encoded value (utf16, base64) is
 * a literal whose characters are the encoded bytes (latin1 for utf16 without base64).
 */
function transformValue(tokens: PatternToken[], modifiers: readonly string[]): PatternToken[][] {
  let current: { tokens: PatternToken[]; bytes?: Buffer }[] = [{ tokens }];
  for (const modifier of modifiers) {
    switch (modifier) {
      case 'windash':
        current = current.flatMap((value) => (value.bytes ? [value] : windashVariants(value.tokens).map((variant) => ({ tokens: variant }))));
        break;
      case 'utf16le':
      case 'wide':
      case 'utf16be':
      case 'utf16':
        current = current.map((value) => {
          const bytes = encodeUtf16(literalText(value), modifier);
          return { tokens: [bytes.toString('latin1')], bytes };
        });
        break;
      case 'base64':
        current = current.map((value) => ({ tokens: [valueBytes(value).toString('base64')] }));
        break;
      case 'base64offset':
        current = current.flatMap((value) => base64OffsetVariants(valueBytes(value)).map((text) => ({ tokens: [text] })));
        break;
      default:
        break;
    }
  }
  return current.map((value) => value.tokens);
}

function literalText(value: { tokens: PatternToken[]; bytes?: Buffer }): string {
  if (value.bytes) return value.bytes.toString('latin1');
  return value.tokens.map((token) => (token === anyRun ? '*' : token === oneCharacter ? '?' : token)).join('');
}

function valueBytes(value: { tokens: PatternToken[]; bytes?: Buffer }): Buffer {
  return value.bytes ?? Buffer.from(literalText(value), 'utf8');
}

function encodeUtf16(text: string, modifier: string): Buffer {
  const littleEndian = Buffer.from(text, 'utf16le');
  if (modifier === 'utf16le' || modifier === 'wide') return littleEndian;
  if (modifier === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), littleEndian]);
  const bigEndian = Buffer.from(littleEndian);
  bigEndian.swap16();
  return bigEndian;
}

/** The three base64 renderings of the bytes at offsets 0, 1, 2 of a base64 stream, with the unstable edge characters cut (Sigma spec). */
function base64OffsetVariants(bytes: Buffer): string[] {
  const startCut = [0, 2, 3] as const;
  const endCut = [0, 3, 2] as const;
  const variants: string[] = [];
  for (let shift = 0; shift < 3; shift += 1) {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const cutEnd = endCut[(bytes.length + shift) % 3] as number;
    const variant = encoded.slice(startCut[shift] as number, encoded.length - cutEnd);
    if (variant !== '') variants.push(variant);
  }
  return variants;
}

/** Largest number of dash positions windash expands (as the in-memory compiler, which rejects more). */
const maxWindashPositions = 6;

/**
 * Every dash character (`-`, `/`, en dash, em dash, horizontal bar) that starts a word inside one literal run (not
 * preceded by a word character, followed by one) may be any of them: all permutations.
 */
function windashVariants(tokens: PatternToken[]): PatternToken[][] {
  const slotsPerToken = tokens.map((token) => {
    const slots: number[] = [];
    if (typeof token !== 'string') return slots;
    for (let index = 0; index < token.length; index += 1) {
      if (!(windashCharacters as readonly string[]).includes(token[index] as string)) continue;
      if (index > 0 && isWordCharacter(token[index - 1] as string)) continue;
      if (!isWordCharacter(token[index + 1] ?? '')) continue;
      slots.push(index);
    }
    return slots;
  });
  if (slotsPerToken.reduce((count, slots) => count + slots.length, 0) > maxWindashPositions) return [];
  let variants: PatternToken[][] = [[]];
  tokens.forEach((token, tokenIndex) => {
    let choices: PatternToken[] = [token];
    if (typeof token === 'string') {
      let texts = [token];
      for (const slot of slotsPerToken[tokenIndex] ?? []) {
        texts = texts.flatMap((text) => windashCharacters.map((dash) => text.slice(0, slot) + dash + text.slice(slot + 1)));
      }
      choices = texts;
    }
    variants = variants.flatMap((variant) => choices.map((choice): PatternToken[] => [...variant, choice]));
  });
  return variants.map(mergeLiterals);
}

function isWordCharacter(character: string): boolean {
  return /^[A-Za-z0-9_]$/.test(character);
}

function mergeLiterals(tokens: PatternToken[]): PatternToken[] {
  const merged: PatternToken[] = [];
  for (const token of tokens) {
    const last = merged[merged.length - 1];
    if (typeof token === 'string' && typeof last === 'string') merged[merged.length - 1] = last + token;
    else if (token !== '') merged.push(token);
  }
  return merged;
}

function expandPlaceholders(context: BuildContext, text: string, location: SourceLocation): string[] {
  let results = [''];
  const pattern = /%([^%\s]+)%/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const name = match[1] as string;
    const values = context.options.placeholders?.[name];
    if (!values || values.length === 0) {
      context.warnPlaceholderOnce(name, location);
      return [];
    }
    const prefix = text.slice(last, match.index);
    results = results.flatMap((result) => values.map((value) => result + prefix + value));
    last = (match.index ?? 0) + match[0].length;
  }
  const rest = text.slice(last);
  return results.map((result) => result + rest);
}

// ---- regular expressions ----

/**
 * RE2 (DuckDB's regex engine) lacks these JavaScript features: lookahead `(?=` `(?!`, lookbehind `(?<=` `(?<!`,
 * backreferences `\1`..`\9` and `\k<name>`. A pattern using them gets a warning and the value is FALSE, never a
 * silently different match. JavaScript named groups `(?<name>` become RE2's `(?P<name>`. Flags i/m/s are passed
 * inline as `(?ims)`: DuckDB's option letters `m`/`s` mean newline sensitivity, not the JavaScript flags. Smaller
 * differences that remain: RE2's `\s` lacks `\v` and Unicode spaces, and `\uXXXX` escapes are not understood by RE2.
 */
function toRe2(pattern: string): { pattern: string } | { unsupported: string } {
  let inClass = false;
  let result = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index] as string;
    if (character === '\\') {
      const next = pattern[index + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return { unsupported: `backreference \\${next}` };
      if (!inClass && next === 'k' && pattern[index + 2] === '<') return { unsupported: 'named backreference \\k<...>' };
      result += character + next;
      index += 1;
      continue;
    }
    if (inClass) {
      if (character === ']') inClass = false;
      result += character;
      continue;
    }
    if (character === '[') {
      inClass = true;
      result += character;
      if (pattern[index + 1] === ']') {
        result += ']';
        index += 1;
      }
      continue;
    }
    if (character === '(' && pattern[index + 1] === '?') {
      const rest = pattern.slice(index + 2, index + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return { unsupported: `lookahead (?${rest[0] ?? ''}` };
      if (rest === '<=' || rest === '<!') return { unsupported: `lookbehind (?${rest}` };
      if (rest.startsWith('<')) {
        result += '(?P';
        index += 1;
        continue;
      }
    }
    result += character;
  }
  return { pattern: result };
}

function regexSql(context: BuildContext, accessorSql: string, pattern: string, modifiers: readonly string[], location: SourceLocation): string {
  const translated = toRe2(pattern);
  if ('unsupported' in translated) {
    context.problem('warning', 'regex_unsupported_in_sql', `regular expression uses ${translated.unsupported}, which DuckDB (RE2) cannot run: the value is FALSE in SQL`, location);
    return 'FALSE';
  }
  const flags = ['i', 'm', 's'].filter((flag) => modifiers.includes(flag)).join('');
  const parameter = context.bind(flags === '' ? translated.pattern : `(?${flags})${translated.pattern}`);
  return overValue(context, accessorSql, (scalar) => `regexp_matches(${scalar}, ${parameter})`);
}

// ---- cidr ----

function cidrSql(context: BuildContext, accessorSql: string, text: string, location: SourceLocation): string {
  const range = parseCidr(text);
  if (!range) {
    context.problem('warning', 'invalid_cidr', `"${text}" is not an IPv4 or IPv6 CIDR range: the value is FALSE`, location);
    return 'FALSE';
  }
  const low = context.bind(range.low);
  const high = context.bind(range.high);
  return overValue(context, accessorSql, (scalar) => (range.family === 4 ? ipv4InRangeSql(context, scalar, low, high) : ipv6InRangeSql(context, scalar, low, high)));
}

/** What the CIDR expressions need from their query: fresh lambda variable names (unique within one SQL text). */
export interface SqlNames {
  lambdaVariable(): string;
}

/**
 * A DuckDB boolean expression: whether the text expression `scalarSql` is an IPv4 or IPv6 address inside the range
 * `cidr` (a bare address is a one-address range). The range ends are bound through `bind`; a text that is not an
 * address is FALSE (NULL for a NULL input). Undefined when `cidr` is not an IPv4 or IPv6 CIDR range.
 */
export function cidrRangeSql(scalarSql: string, cidr: string, bind: (value: string | number) => string, names: SqlNames): string | undefined {
  const range = parseCidr(cidr);
  if (!range) return undefined;
  const low = bind(range.low);
  const high = bind(range.high);
  return range.family === 4 ? ipv4InRangeSql(names, scalarSql, low, high) : ipv6InRangeSql(names, scalarSql, low, high);
}

/** `expression` evaluated once and named for `body` (a one-element list_transform). */
function withName(context: SqlNames, expression: string, body: (name: string) => string): string {
  const name = context.lambdaVariable();
  return `list_transform([${expression}], lambda ${name}: ${body(name)})[1]`;
}

/** Octets of a dotted-quad text (each 1-3 digits, leading zeros allowed) as BIGINTs; the caller checks `<= 255`. */
function octetsSql(context: SqlNames, dotted: string): string {
  const part = context.lambdaVariable();
  return `list_transform(string_split(${dotted}, '.'), lambda ${part}: CAST(${part} AS BIGINT))`;
}

const dottedQuad = String.raw`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`;

/** The trimmed address as a 32-bit number compared with the range; a text that is not a dotted quad is FALSE. */
function ipv4InRangeSql(context: SqlNames, scalar: string, low: string, high: string): string {
  return withName(context, `trim(${scalar})`, (address) =>
    `CASE WHEN regexp_full_match(${address}, '${dottedQuad}') THEN ` +
    withName(context, octetsSql(context, address), (octets) =>
      `list_max(${octets}) <= 255 AND (${octets}[1] * 16777216 + ${octets}[2] * 65536 + ${octets}[3] * 256 + ${octets}[4]) BETWEEN ${low} AND ${high}`,
    ) +
    ' ELSE FALSE END',
  );
}

/**
 * The trimmed address (zone id dropped, a trailing dotted quad turned into two hex groups) expanded to eight 4-digit
 * hex groups: 32 lower-case characters, which order exactly as the 128-bit number, compared with the range's ends in
 * the same form. A text that is not an IPv6 address is FALSE.
 */
function ipv6InRangeSql(context: SqlNames, scalar: string, low: string, high: string): string {
  return withName(context, `split_part(lower(trim(${scalar})), '%', 1)`, (written) => {
    const embedded =
      `CASE WHEN regexp_matches(${written}, ':${dottedQuad}$') THEN ` +
      withName(context, octetsSql(context, `regexp_extract(${written}, '[0-9.]+$')`), (octets) =>
        `CASE WHEN list_max(${octets}) <= 255 THEN regexp_extract(${written}, '^(.*:)[0-9.]+$', 1) || printf('%x:%x', ${octets}[1] * 256 + ${octets}[2], ${octets}[3] * 256 + ${octets}[4]) ELSE 'invalid' END`,
      ) +
      ` ELSE ${written} END`;
    return withName(context, embedded, (address) => {
      const group = context.lambdaVariable();
      const present = `len(list_filter(string_split(${address}, ':'), lambda ${group}: ${group} <> ''))`;
      const expanded = `trim(CASE WHEN contains(${address}, '::') THEN replace(${address}, '::', ':' || repeat('0:', 8 - ${present})) ELSE ${address} END, ':')`;
      return withName(context, `string_split(${expanded}, ':')`, (groups) => {
        const each = context.lambdaVariable();
        const wellFormed =
          `regexp_full_match(${address}, '(::)?([0-9a-f]{1,4}(::?))*[0-9a-f]{0,4}') AND NOT contains(${address}, ':::') ` +
          `AND NOT (suffix(${address}, ':') AND NOT suffix(${address}, '::')) ` +
          `AND length(${address}) - length(replace(${address}, '::', '')) <= 2 ` +
          `AND (contains(${address}, '::') AND ${present} <= 7 OR ${present} = 8) AND len(${groups}) = 8 ` +
          `AND len(list_filter(${groups}, lambda ${each}: regexp_full_match(${each}, '[0-9a-f]{1,4}'))) = 8`;
        const key = `array_to_string(list_transform(${groups}, lambda ${each}: lpad(${each}, 4, '0')), '')`;
        return `CASE WHEN ${wellFormed} THEN ${key} BETWEEN ${low} AND ${high} ELSE FALSE END`;
      });
    });
  });
}

interface CidrRange {
  family: 4 | 6;
  /** IPv4: numbers; IPv6: 32 lower-case hex characters. */
  low: number | string;
  high: number | string;
}

function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1).trim();
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const v4 = parseIpv4(address);
  if (v4 !== undefined) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) return undefined;
    const size = 2 ** (32 - prefix);
    const low = Math.floor(v4 / size) * size;
    return { family: 4, low, high: low + size - 1 };
  }
  const v6 = parseIpv6(address);
  if (v6 === undefined) return undefined;
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefix > 128) return undefined;
  const hostBits = BigInt(128 - prefix);
  const low = (v6 >> hostBits) << hostBits;
  const high = low + (1n << hostBits) - 1n;
  return { family: 6, low: low.toString(16).padStart(32, '0'), high: high.toString(16).padStart(32, '0') };
}

function parseIpv4(text: string): number | undefined {
  if (!new RegExp(`^${dottedQuad}$`).test(text)) return undefined;
  const octets = text.split('.').map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((sum, octet) => sum * 256 + octet, 0);
}

function parseIpv6(text: string): bigint | undefined {
  const lower = text.toLowerCase();
  if (!/^[0-9a-f:]+$/.test(lower) || lower.includes(':::')) return undefined;
  const halves = lower.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): string[] => (part === undefined || part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.reduce((sum, group) => (sum << 16n) + BigInt(parseInt(group, 16)), 0n);
}

// ---- fieldref ----

function fieldrefSql(
  context: BuildContext,
  accessorSql: string,
  otherField: string,
  modifiers: readonly string[],
  location: SourceLocation,
  referencedSql: string[],
): string {
  const other = context.options.resolver.resolve(otherField, context.rule.logsource);
  if (!other) {
    context.problem('warning', 'unknown_field', `fieldref names field ${otherField}, which does not exist under this logsource: the value is FALSE`, location);
    return 'FALSE';
  }
  referencedSql.push(other.sql);
  const cased = modifiers.includes('cased');
  const otherShape = context.shapeOf(other.sql);
  if (otherShape === 'list' || otherShape === 'object') return 'FALSE';
  const otherText = otherShape === 'nonstring' ? `CAST(${other.sql} AS VARCHAR)` : other.sql;
  const right = cased ? otherText : `lower(${otherText})`;
  return overValue(context, accessorSql, (scalar) => {
    const left = cased ? scalar : `lower(${scalar})`;
    if (modifiers.includes('contains')) return `contains(${left}, ${right})`;
    if (modifiers.includes('startswith')) return `starts_with(${left}, ${right})`;
    if (modifiers.includes('endswith')) return `suffix(${left}, ${right})`;
    return `${left} = ${right}`;
  });
}

// ---- identifiers ----

function quoteIdentifier(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

function quoteLiteral(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}

function requireColumn(name: string): void {
  if (!columnTypes.has(name)) throw new Error(`route condition names "${name}", which is not an event field`);
}

/** The column when the expression is exactly one double-quoted identifier. */
function bareColumn(sql: string): string | undefined {
  const match = /^\s*"((?:[^"]|"")+)"\s*$/.exec(sql);
  return match ? (match[1] as string).replace(/""/g, '"') : undefined;
}

/** Double-quoted identifiers of an expression, skipping single-quoted string literals. */
function identifiersIn(sql: string): string[] {
  const names: string[] = [];
  let index = 0;
  while (index < sql.length) {
    const character = sql[index];
    if (character === "'" || character === '"') {
      let end = index + 1;
      let text = '';
      while (end < sql.length) {
        if (sql[end] === character) {
          if (sql[end + 1] === character) {
            text += character;
            end += 2;
            continue;
          }
          break;
        }
        text += sql[end];
        end += 1;
      }
      if (character === '"') names.push(text);
      index = end + 1;
    } else {
      index += 1;
    }
  }
  return names;
}

function describeLogsource(logsource: Logsource): string {
  return JSON.stringify(logsource);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
