// Parses hunting query text into a QueryAst (see ast.ts and docs/query-language.md for the grammar).
// It never consults the schema or produces SQL, and throws nothing but VigilError('invalid_input').

import { VigilError } from '@vigil/common';
import type { Aggregation, AggregateFunction, CategoryRef, CompareOperator, Condition, FieldRef, Pipe, QueryAst, SequenceStep, SortKey, StringValue, Value } from './ast.js';
import { tokenize, type Token } from './internal/lexer.js';
import { didYouMean, queryError, quoted } from './internal/query-error.js';

/** Deepest nesting of parentheses, `not` and sequence steps; deeper input is refused rather than overflowing the stack. */
export const MAX_NESTING = 64;
export const MAX_LIST_ITEMS = 1000;
export const MAX_SEQUENCE_STEPS = 16;

const CATEGORY_ALL = new Set(['any', 'events']);
const PIPES = ['where', 'stats', 'top', 'timechart', 'sort', 'limit', 'head', 'fields'];
const AGGREGATES: readonly AggregateFunction[] = ['count', 'dc', 'min', 'max', 'sum', 'avg'];
const TEXT_OPERATORS: Record<string, CompareOperator> = { contains: 'contains', startswith: 'startswith', endswith: 'endswith', like: 'like', equals: '==' };
const RESERVED = new Set(['and', 'or', 'not', 'where', 'by', 'as', 'in', 'in_cs', 'between', 'asc', 'desc', 'with', 'maxspan', 'span']);

/**
 * Parses one query. Category names are recognised by shape (`<name> where`); whether they exist is checked by the
 * compiler against the schema, like field names.
 */
export function parseHuntQuery(text: string): QueryAst {
  if (typeof text !== 'string') throw new VigilError('invalid_input', 'the query must be a string', { location: { path: 'query' } });
  try {
    return new Parser(text).parseQuery();
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw VigilError.wrap(error, 'invalid_input', 'the query could not be parsed');
  }
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parseQuery(): QueryAst {
    const first = this.peek();
    if (this.isWord(first, 'sequence') && (this.isWord(this.peek(1), 'by') || this.isWord(this.peek(1), 'with') || this.isWord(this.peek(1), 'maxspan') || this.isOp(this.peek(1), '['))) {
      return this.parseSequence();
    }
    const { category, condition } = this.parseHead(false);
    const pipes = this.parsePipes();
    return { kind: 'search', category, condition, pipes };
  }

  /** `[category where] condition`, `category`, or nothing. Inside a sequence step the head ends at `]`. */
  private parseHead(inStep: boolean): { category: CategoryRef | null; condition: Condition | null } {
    const first = this.peek();
    const second = this.peek(1);
    const ends = (t: Token) => t.kind === 'eof' || this.isOp(t, '|') || (inStep && this.isOp(t, ']'));
    let category: CategoryRef | null = null;
    if (first.kind === 'ident' && !first.text.includes('.') && !first.text.startsWith('@') && (this.isWord(second, 'where') || ends(second)) && !RESERVED.has(first.text.toLowerCase())) {
      this.index++;
      const name = first.text.toLowerCase();
      category = CATEGORY_ALL.has(name) ? null : { name, at: first.at };
      if (ends(second)) return { category, condition: null };
      this.index++;
      if (ends(this.peek())) throw this.error(this.peek(), 'expected a condition after "where"');
      return { category, condition: this.parseCondition() };
    }
    if (ends(first)) return { category: null, condition: null };
    return { category: null, condition: this.parseCondition() };
  }

  private parseSequence(): QueryAst {
    const start = this.next();
    const by: FieldRef[] = [];
    let maxspanMs: number | null = null;
    let maxspanAt = start.at;
    for (;;) {
      const t = this.peek();
      if (this.isWord(t, 'by') && !by.length) {
        this.index++;
        by.push(...this.parseFieldList());
      } else if (this.isWord(t, 'with')) {
        this.index++;
      } else if (this.isWord(t, 'maxspan') && maxspanMs === null) {
        this.index++;
        this.expectOp('=');
        const d = this.next();
        if (d.kind !== 'duration' || d.number === undefined || d.number <= 0) throw this.error(d, 'expected a duration after "maxspan="', 'for example maxspan=5m');
        maxspanMs = d.number;
        maxspanAt = d.at;
      } else break;
    }
    const steps: SequenceStep[] = [];
    while (this.isOp(this.peek(), '[')) {
      const open = this.next();
      if (steps.length >= MAX_SEQUENCE_STEPS) throw this.error(open, `a sequence has at most ${MAX_SEQUENCE_STEPS} steps`);
      const { category, condition } = this.parseHead(true);
      this.expectOp(']');
      const stepBy = this.isWord(this.peek(), 'by') ? (this.index++, this.parseFieldList()) : [];
      steps.push({ category, condition, by: stepBy, at: open.at });
    }
    if (steps.length < 2) throw this.error(this.peek(), 'a sequence needs at least two steps in brackets', 'for example sequence by host.id maxspan=5m [process where process.name == "curl"] [network where destination.port == 4444]');
    const pipes = this.parsePipes();
    return { kind: 'sequence', by, maxspanMs, maxspanAt, steps, pipes, at: start.at };
  }

  private parsePipes(): Pipe[] {
    const pipes: Pipe[] = [];
    while (this.isOp(this.peek(), '|')) {
      this.index++;
      pipes.push(this.parsePipe());
    }
    const t = this.peek();
    if (t.kind !== 'eof') throw this.error(t, `unexpected ${this.describe(t)}`, this.isOp(t, ']') ? 'there is no matching "["' : this.isOp(t, ')') ? 'there is no matching "("' : 'start the next stage with "|"');
    return pipes;
  }

  private parsePipe(): Pipe {
    const t = this.next();
    const name = t.kind === 'ident' ? t.text.toLowerCase() : '';
    switch (name) {
      case 'where': {
        if (this.endsStage(this.peek())) throw this.error(this.peek(), 'expected a condition after "where"');
        return { kind: 'where', condition: this.parseCondition(), at: t.at };
      }
      case 'stats': {
        const aggregations = this.parseAggregations();
        const by = this.isWord(this.peek(), 'by') ? (this.index++, this.parseFieldList()) : [];
        return { kind: 'stats', aggregations, by, at: t.at };
      }
      case 'top': {
        let count = 10;
        let countAt = t.end;
        if (this.peek().kind === 'number') {
          const n = this.next();
          count = this.positiveInteger(n, 'top');
          countAt = n.at;
        }
        const field = this.parseField();
        const by = this.isWord(this.peek(), 'by') ? (this.index++, this.parseFieldList()) : [];
        return { kind: 'top', count, countAt, field, by, at: t.at };
      }
      case 'timechart': {
        let spanMs = 3_600_000;
        let spanAt = t.end;
        if (this.isWord(this.peek(), 'span')) {
          this.index++;
          this.expectOp('=');
          const d = this.next();
          if (d.kind !== 'duration' || !d.number) throw this.error(d, 'expected a duration after "span="', 'for example span=1h');
          if (d.number < 1000) throw this.error(d, 'a timechart span must be at least 1s');
          spanMs = d.number;
          spanAt = d.at;
        }
        const aggregations = this.parseAggregations();
        const by = this.isWord(this.peek(), 'by') ? (this.index++, this.parseFieldList()) : [];
        return { kind: 'timechart', spanMs, spanAt, aggregations, by, at: t.at };
      }
      case 'sort': {
        const keys: SortKey[] = [];
        do {
          const field = this.parseField();
          let descending = false;
          if (this.isWord(this.peek(), 'desc')) (this.index++, (descending = true));
          else if (this.isWord(this.peek(), 'asc')) this.index++;
          keys.push({ field, descending });
        } while (this.acceptOp(','));
        return { kind: 'sort', keys, at: t.at };
      }
      case 'limit':
      case 'head': {
        const n = this.next();
        return { kind: 'limit', count: this.positiveInteger(n, name), countAt: n.at, at: t.at };
      }
      case 'fields':
        return { kind: 'fields', fields: this.parseFieldList(), at: t.at };
      default: {
        const hint = t.kind === 'ident' ? didYouMean(t.text, PIPES) : undefined;
        throw this.error(t, t.kind === 'ident' ? `unknown pipe ${quoted(t.text)}` : `expected a pipe name after "|", found ${this.describe(t)}`, hint ?? `pipes are ${PIPES.join(', ')}`);
      }
    }
  }

  private positiveInteger(t: Token, what: string): number {
    if (t.kind !== 'number' || t.number === undefined || !Number.isInteger(t.number) || t.number < 1) throw this.error(t, `expected a positive whole number after "${what}"`);
    if (t.number > 100000) throw this.error(t, `"${what}" is at most 100000`);
    return t.number;
  }

  private parseAggregations(): Aggregation[] {
    const list: Aggregation[] = [];
    do {
      const t = this.next();
      const fn = t.kind === 'ident' ? t.text.toLowerCase() : '';
      if (!AGGREGATES.includes(fn as AggregateFunction)) {
        const hint = t.kind === 'ident' ? didYouMean(t.text, AGGREGATES) : undefined;
        throw this.error(t, t.kind === 'ident' ? `unknown aggregate function ${quoted(t.text)}` : `expected an aggregate function, found ${this.describe(t)}`, hint ?? `use ${AGGREGATES.map((a) => a + '()').join(', ')}`);
      }
      let field: FieldRef | null = null;
      if (this.acceptOp('(')) {
        if (!this.isOp(this.peek(), ')')) field = this.parseField();
        this.expectOp(')');
      }
      if (fn !== 'count' && !field) throw this.error(t, `${fn}() needs a field`, `for example ${fn}(process.pid)`);
      let alias: Aggregation['alias'] = null;
      if (this.isWord(this.peek(), 'as')) {
        this.index++;
        const a = this.next();
        if (a.kind !== 'ident' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(a.text)) throw this.error(a, 'expected a column name after "as"', 'use letters, digits and _ (for example as hosts)');
        alias = { name: a.text, at: a.at };
      }
      list.push({ fn: fn as AggregateFunction, field, alias, at: t.at });
    } while (this.acceptOp(','));
    return list;
  }

  private parseFieldList(): FieldRef[] {
    const fields: FieldRef[] = [];
    do fields.push(this.parseField());
    while (this.acceptOp(','));
    return fields;
  }

  private parseField(): FieldRef {
    const t = this.next();
    if (t.kind !== 'ident' || RESERVED.has(t.text.toLowerCase())) throw this.error(t, `expected a field name, found ${this.describe(t)}`);
    return { name: t.text, at: t.at };
  }

  // ---- conditions ----

  private parseCondition(): Condition {
    const first = this.parseAnd();
    if (!this.isWord(this.peek(), 'or')) return first;
    const operands = [first];
    while (this.isWord(this.peek(), 'or')) {
      this.index++;
      operands.push(this.parseAnd());
    }
    return { kind: 'or', operands, at: first.at };
  }

  private parseAnd(): Condition {
    const first = this.parseUnary();
    const operands = [first];
    for (;;) {
      const t = this.peek();
      if (this.isWord(t, 'and')) {
        this.index++;
        operands.push(this.parseUnary());
      } else if (this.startsTerm(t)) {
        operands.push(this.parseUnary());
      } else break;
    }
    return operands.length === 1 ? first : { kind: 'and', operands, at: first.at };
  }

  /** Terms written next to each other are joined with `and` (`"mimikatz" "lsass"`). */
  private startsTerm(t: Token): boolean {
    if (t.kind === 'string' || this.isOp(t, '(') || this.isOp(t, '~') || this.isOp(t, '!')) return true;
    return t.kind === 'ident' && !RESERVED.has(t.text.toLowerCase()) || this.isWord(t, 'not');
  }

  private parseUnary(): Condition {
    const t = this.peek();
    if (this.isWord(t, 'not') || this.isOp(t, '!')) {
      this.index++;
      return this.nested(t, () => ({ kind: 'not', operand: this.parseUnary(), at: t.at }));
    }
    return this.parsePrimary();
  }

  private nested<T>(t: Token, body: () => T): T {
    if (++this.depth > MAX_NESTING) throw this.error(t, `the condition is nested more than ${MAX_NESTING} levels deep`);
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  private parsePrimary(): Condition {
    const t = this.next();
    if (this.isOp(t, '(')) {
      return this.nested(t, () => {
        if (this.isOp(this.peek(), ')')) throw this.error(this.peek(), 'empty parentheses');
        const inner = this.parseCondition();
        this.expectOp(')', t);
        return inner;
      });
    }
    if (t.kind === 'string') return { kind: 'text', term: this.stringValue(t), at: t.at };
    if (this.isOp(t, '~')) {
      const s = this.next();
      if (s.kind !== 'string') throw this.error(s, 'expected a quoted term after "~"', 'for example ~"mimikatz"');
      return this.fuzzy(s, null, t);
    }
    if (t.kind !== 'ident') throw this.error(t, `expected a condition, found ${this.describe(t)}`);
    const word = t.text.toLowerCase();
    if (this.isOp(this.peek(), '(')) {
      if (word === 'exists') {
        this.index++;
        const field = this.parseField();
        this.expectOp(')');
        return { kind: 'exists', field, at: t.at };
      }
      if (word === 'fuzzy') {
        this.index++;
        const s = this.next();
        if (s.kind !== 'string') throw this.error(s, 'expected a quoted term in fuzzy()', 'for example fuzzy("mimikatz", 2)');
        let distance: Token | null = null;
        if (this.acceptOp(',')) distance = this.next();
        this.expectOp(')');
        return this.fuzzy(s, distance, t);
      }
      if (word === 'cidrmatch') {
        this.index++;
        const field = this.parseField();
        this.expectOp(',');
        const ranges = this.parseStringList(')');
        return { kind: 'cidr', field, ranges, at: t.at };
      }
      throw this.error(t, `unknown function ${quoted(t.text)}`, didYouMean(word, ['exists', 'fuzzy', 'cidrmatch']) ?? 'conditions can call exists(), fuzzy() and cidrmatch()');
    }
    if (RESERVED.has(word)) throw this.error(t, `expected a condition, found ${this.describe(t)}`);
    return this.parsePredicate({ name: t.text, at: t.at });
  }

  private fuzzy(term: Token, distance: Token | null, at: Token): Condition {
    this.stringValue(term);
    const value = term.text.trim().toLowerCase();
    if (!value || /\s/.test(value)) throw this.error(term, 'a fuzzy term is one word', 'split phrases into several fuzzy terms');
    if (value.length > 64) throw this.error(term, 'a fuzzy term is at most 64 characters');
    let d = value.length <= 4 ? 1 : 2;
    if (distance) {
      if (distance.kind !== 'number' || !Number.isInteger(distance.number) || distance.number! < 0 || distance.number! > 3) throw this.error(distance, 'the fuzzy distance is a whole number from 0 to 3');
      d = distance.number!;
    }
    return { kind: 'fuzzy', term: value, distance: d, at: at.at };
  }

  private parsePredicate(field: FieldRef): Condition {
    const t = this.next();
    if (t.kind === 'op') {
      switch (t.text) {
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          return { kind: 'compare', field, operator: t.text, value: this.parseValue(), caseSensitive: false, at: t.at };
        case '=':
          throw this.error(t, 'unexpected "="', 'compare with "=="');
        case '=~':
        case '!~': {
          const regex = this.parseRegex();
          const node: Condition = { kind: 'regex', field, pattern: regex.text, patternAt: regex.at, caseSensitive: false, at: t.at };
          return t.text === '!~' ? { kind: 'not', operand: node, at: t.at } : node;
        }
      }
    }
    let word = t.kind === 'ident' ? t.text.toLowerCase() : '';
    let negated = false;
    if (word === 'not') {
      const n = this.next();
      word = n.kind === 'ident' ? n.text.toLowerCase() : '';
      negated = true;
    }
    const node = this.parseWordPredicate(field, word, t);
    return negated ? { kind: 'not', operand: node, at: t.at } : node;
  }

  private parseWordPredicate(field: FieldRef, word: string, t: Token): Condition {
    const caseSensitive = word.endsWith('_cs');
    const base = caseSensitive ? word.slice(0, -3) : word;
    const operator = TEXT_OPERATORS[base];
    if (operator) return { kind: 'compare', field, operator, value: this.parseValue(), caseSensitive, at: t.at };
    if (base === 'matches') {
      const regex = this.parseRegex();
      return { kind: 'regex', field, pattern: regex.text, patternAt: regex.at, caseSensitive, at: t.at };
    }
    if (base === 'in') {
      if (this.isWord(this.peek(), 'cidr') && !caseSensitive) {
        const c = this.next();
        this.expectOp('(');
        return { kind: 'cidr', field, ranges: this.parseStringList(')'), at: c.at };
      }
      this.expectOp('(');
      const values: Value[] = [];
      do {
        if (values.length >= MAX_LIST_ITEMS) throw this.error(this.peek(), `a list holds at most ${MAX_LIST_ITEMS} values`);
        values.push(this.parseValue());
      } while (this.acceptOp(','));
      this.expectOp(')');
      return { kind: 'in', field, values, caseSensitive, at: t.at };
    }
    if (base === 'between' && !caseSensitive) {
      const low = this.parseValue();
      const and = this.next();
      if (!this.isWord(and, 'and')) throw this.error(and, 'expected "and" in "between ... and ..."');
      const high = this.parseValue();
      return { kind: 'between', field, low, high, at: t.at };
    }
    const hint = t.kind === 'eof' || t.kind === 'op' ? 'compare with ==, !=, <, <=, >, >=, contains, startswith, endswith, like, matches, in, between' : didYouMean(word, ['contains', 'startswith', 'endswith', 'like', 'matches', 'in', 'between', 'equals', 'contains_cs', 'startswith_cs', 'endswith_cs', 'like_cs', 'matches_cs', 'in_cs', 'equals_cs']);
    const bare = /^[A-Za-z0-9_]+$/.test(field.name) && (t.kind === 'eof' || this.isOp(t, '|') || this.isOp(t, ')') || this.isOp(t, ']') || t.kind === 'ident');
    throw this.error(t, `expected an operator after ${quoted(field.name)}, found ${this.describe(t)}`, hint ?? (bare ? `to search free text, quote it: "${field.name}"` : undefined));
  }

  private parseRegex(): { text: string; at: number } {
    const t = this.next();
    if (t.kind !== 'regex' && t.kind !== 'string') throw this.error(t, `expected a regular expression, found ${this.describe(t)}`, 'write it as /re/ or "re"');
    return { text: t.kind === 'string' ? (t.raw ?? t.text) : t.text, at: t.at };
  }

  private parseStringList(close: string): { text: string; at: number }[] {
    const list: { text: string; at: number }[] = [];
    do {
      const s = this.next();
      if (s.kind === 'string') this.stringValue(s);
      if (s.kind !== 'string') throw this.error(s, `expected a quoted network such as "10.0.0.0/8", found ${this.describe(s)}`);
      if (list.length >= MAX_LIST_ITEMS) throw this.error(s, `a list holds at most ${MAX_LIST_ITEMS} values`);
      list.push({ text: s.text, at: s.at });
    } while (this.acceptOp(','));
    this.expectOp(close);
    return list;
  }

  private parseValue(): Value {
    const t = this.next();
    if (t.kind === 'string') {
      this.stringValue(t);
      const offset = this.parseOffsets();
      return offset === null ? this.stringValue(t) : { kind: 'time', base: { kind: 'date', text: t.text }, offsetMs: offset, at: t.at };
    }
    if (t.kind === 'number') return { kind: 'number', value: t.number!, at: t.at };
    if (this.isOp(t, '-') && this.peek().kind === 'number') {
      const n = this.next();
      return { kind: 'number', value: -n.number!, at: t.at };
    }
    if (t.kind === 'ident') {
      const word = t.text.toLowerCase();
      if (word === 'true' || word === 'false') return { kind: 'boolean', value: word === 'true', at: t.at };
      if (word === 'now' && this.isOp(this.peek(), '(')) {
        this.index++;
        this.expectOp(')');
        return { kind: 'time', base: { kind: 'now' }, offsetMs: this.parseOffsets() ?? 0, at: t.at };
      }
      throw this.error(t, `expected a value, found ${this.describe(t)}`, /^[A-Za-z0-9_.-]+$/.test(t.text) ? `quote text values: "${t.text}"` : 'quote text values');
    }
    if (t.kind === 'duration') throw this.error(t, 'a duration is only allowed after now() or a date', 'for example now() - 24h');
    throw this.error(t, `expected a value, found ${this.describe(t)}`);
  }

  /** `(+|-) duration` repeated; null when there is none. */
  private parseOffsets(): number | null {
    let total: number | null = null;
    while ((this.isOp(this.peek(), '+') || this.isOp(this.peek(), '-')) && this.peek(1).kind === 'duration') {
      const sign = this.next().text === '-' ? -1 : 1;
      total = (total ?? 0) + sign * this.next().number!;
    }
    return total;
  }

  private stringValue(t: Token): StringValue {
    if (t.badEscape !== undefined) {
      const shown = this.text.slice(t.badEscape, t.badEscape + 2);
      throw queryError(this.text, t.badEscape, `unknown escape ${quoted(shown)} in a string`, 'write a backslash as \\\\, or use a verbatim string @"C:\\path" where backslashes are plain');
    }
    return { kind: 'string', value: t.text, globs: t.globs ?? [], at: t.at };
  }

  // ---- tokens ----

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return t;
  }

  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.text === op;
  }

  private isWord(t: Token, word: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }

  private endsStage(t: Token): boolean {
    return t.kind === 'eof' || this.isOp(t, '|');
  }

  private acceptOp(op: string): boolean {
    if (!this.isOp(this.peek(), op)) return false;
    this.index++;
    return true;
  }

  private expectOp(op: string, opener?: Token): Token {
    const t = this.next();
    if (!this.isOp(t, op)) {
      const hint = opener ? `the "${opener.text}" at column ${opener.at + 1} is not closed` : undefined;
      throw this.error(t, `expected "${op}", found ${this.describe(t)}`, hint);
    }
    return t;
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'the end of the query';
      case 'string':
        return `the string ${quoted(t.text)}`;
      case 'regex':
        return 'a regular expression';
      case 'number':
      case 'duration':
        return `${quoted(t.text)}`;
      default:
        return quoted(t.text);
    }
  }

  private error(t: Token, problem: string, hint?: string): VigilError {
    return queryError(this.text, t.at, problem, hint);
  }
}
