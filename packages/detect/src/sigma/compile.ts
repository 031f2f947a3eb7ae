// Compiles a parsed Sigma rule into closures (CompiledRule.match) and a prefilter needle set (CompiledRule.anyOf).
// Never interprets an AST, parses a string or builds a RegExp at match time; fields are read only through the FieldResolver.
//
// Per-event cache: normalized (stringified, lower-cased) accessor values are cached for the event passed last to any
// compiled rule's match(), keyed by FieldAccessor.key. Events must not be mutated once matched (DetectEvent contract).

import type {
  CompiledRule, DetectEvent, FieldAccessor, FieldGuard, FieldHit, FieldResolver, LoadProblem, LogsourceRoute, LogsourceRouter, SigmaCondition,
  SigmaFieldItem, SigmaRule, SigmaScalar, SigmaSearch, SourceLocation,
} from '../core.js';
import { searchNamesMatching } from './condition.js';
import { compileCidr, compileSigmaRegex, expandPlaceholders, expandStringValue, readModifierChain } from './modifiers.js';
import type { ModifierChain } from './modifiers.js';
import { valueLocation } from './parse.js';
import { type PatternPart, type StringTest, compilePattern, hasWildcards, longestLiteral, lowerParts, plainText } from './wildcard.js';
import { buildAhoCorasick } from '../engine/aho-corasick.js';
import { minimumRegexLength, requiredRegexLiteral } from './regex-literals.js';

export interface CompileOptions {
  resolver: FieldResolver;
  router: LogsourceRouter;
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

type Needle = { accessor: FieldAccessor; needle: string };
/** Undefined: no literal requirement known. Empty: the part can never match. */
type NeedleSet = Needle[] | undefined;

interface Node {
  /** Pushes the hits of what matched; on false, leaves `hits` as it found it. */
  test(event: DetectEvent, hits: FieldHit[]): boolean;
  needles: NeedleSet;
  /** Sets that must ALL have a hit when the node matches (defaults to `[needles]`, or none when needles is undefined). */
  cnf?: Needle[][];
  /** What `test` reads: undefined nothing, an accessor only that one (its `get` and cached texts), null several. */
  field: FieldAccessor | null | undefined;
  /** Set on `and` nodes: the operands, all of which hold when the node holds. */
  conjuncts?: readonly Node[];
  /** Set on `or` nodes: the operands. */
  disjuncts?: readonly Node[];
  /** Set on `not` nodes: the operand. */
  negated?: Node;
}

/** The `field` of a node reading what all of `nodes` read. */
function fieldOfAll(nodes: readonly Node[]): FieldAccessor | null | undefined {
  let field: FieldAccessor | null | undefined;
  for (const node of nodes) {
    if (node.field === undefined) continue;
    if (node.field === null || (field !== undefined && (field === null || field.key !== node.field.key))) return null;
    field = node.field;
  }
  return field;
}

function cnfOf(node: Node): Needle[][] {
  return node.cnf ?? (node.needles ? [node.needles] : []);
}

const MAX_REQUIRED_SETS = 8;

const minimumNeedleLength = 3;
/** A needle is selective enough for the prefilter: 3+ characters, or any non-ASCII character (emoji, homoglyphs, RTL marks). */
const usableNeedle = (needle: string): boolean => needle.length >= minimumNeedleLength || (needle.length > 0 && /[^\x00-\x7f]/.test(needle));

// ---- per-event value cache ----

type TextValue = string | readonly string[] | null;
let cachedEvent: DetectEvent | undefined;
const rawKeyPrefix = '\u0001';

function toText(value: unknown, lower: boolean): TextValue {
  switch (typeof value) {
    case 'string':
      return lower ? value.toLowerCase() : value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object': {
      if (!Array.isArray(value)) return null;
      const texts: string[] = [];
      for (const element of value) {
        const text = toText(element, lower);
        if (typeof text === 'string') texts.push(text);
      }
      return texts;
    }
    default:
      return null;
  }
}

/** Cache slots: one per (accessor key, raw) pair, assigned at compile time so that a lookup is an array index. */
const slotByKey = new Map<string, number>();
const slotStamp: number[] = [];
const slotValue: TextValue[] = [];
let cacheStamp = 0;

function slotOf(accessor: FieldAccessor, raw: boolean): number {
  const key = raw ? rawKeyPrefix + accessor.key : accessor.key;
  let slot = slotByKey.get(key);
  if (slot === undefined) {
    slot = slotByKey.size;
    slotByKey.set(key, slot);
    slotStamp.push(0);
    slotValue.push(null);
  }
  return slot;
}

/** The accessor's value as text (lower-cased unless `raw`), cached for the current event. Null for absent and object values. */
function textAt(event: DetectEvent, accessor: FieldAccessor, raw: boolean, slot: number): TextValue {
  if (event !== cachedEvent) {
    cachedEvent = event;
    cacheStamp++;
  }
  if (slotStamp[slot] === cacheStamp) return slotValue[slot] as TextValue;
  const text = toText(accessor.get(event), !raw);
  slotStamp[slot] = cacheStamp;
  slotValue[slot] = text;
  return text;
}

/** The cache slot of an accessor's lower-cased text: for `lowerTextAt`, resolved once when an engine is built. */
export function lowerTextSlot(accessor: FieldAccessor): number {
  return slotOf(accessor, false);
}

/**
 * The accessor's value lower-cased (strings; numbers and booleans as text; arrays as their scalar elements), null when
 * absent or an object: the same per-event cache rule evaluation reads, so a prefilter scan shares it with the rules.
 */
export function lowerTextAt(event: DetectEvent, accessor: FieldAccessor, slot: number): string | readonly string[] | null {
  return textAt(event, accessor, false, slot);
}

function textOf(event: DetectEvent, accessor: FieldAccessor, raw: boolean): TextValue {
  return textAt(event, accessor, raw, slotOf(accessor, raw));
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

// ---- needle sets ----

function needleScore(set: Needle[]): number {
  let shortest = Infinity;
  for (const { needle } of set) shortest = Math.min(shortest, needle.length);
  return shortest;
}

/** The best set of several that are all required (and): longest shortest needle, then fewest needles. */
function bestOf(sets: readonly NeedleSet[]): NeedleSet {
  let best: Needle[] | undefined;
  for (const set of sets) {
    if (!set) continue;
    if (!best) best = set;
    else {
      const score = needleScore(set);
      const bestScore = needleScore(best);
      if (score > bestScore || (score === bestScore && set.length < best.length)) best = set;
    }
  }
  return best;
}

/** Alternatives (or): every one must bring a set. */
function unionOf(sets: readonly NeedleSet[]): NeedleSet {
  const seen = new Set<string>();
  const union: Needle[] = [];
  for (const set of sets) {
    if (!set) return undefined;
    for (const entry of set) {
      const key = entry.accessor.key + '\u0000' + entry.needle;
      if (seen.has(key)) continue;
      seen.add(key);
      union.push(entry);
    }
  }
  return union;
}

// ---- compilation ----

class RuleCompiler {
  readonly problems: LoadProblem[] = [];
  private errorCount = 0;
  private readonly unknownFields = new Set<string>();
  private readonly unknownPlaceholders = new Set<string>();
  private firstPlaceholderLocation: SourceLocation | undefined;

  constructor(
    private readonly rule: SigmaRule,
    private readonly resolver: FieldResolver,
    private readonly placeholders: Readonly<Record<string, readonly string[]>> | undefined,
    private readonly reportFields: boolean,
  ) {}

  get failed(): boolean {
    return this.errorCount > 0;
  }

  report(severity: LoadProblem['severity'], code: string, message: string, location: SourceLocation): void {
    if (severity === 'error') this.errorCount++;
    this.problems.push({ severity, code, message, location, ruleId: this.rule.id, ruleTitle: this.rule.title });
  }

  finish(): void {
    if (this.unknownPlaceholders.size > 0) {
      this.report(
        'warning',
        'unknown_placeholder',
        `no values for placeholder(s) ${[...this.unknownPlaceholders].map((name) => `%${name}%`).join(', ')}: values using them never match`,
        this.firstPlaceholderLocation ?? this.rule.location,
      );
    }
  }

  private accessor(field: string, location: SourceLocation): FieldAccessor | undefined {
    const accessor = this.resolver.resolve(field, this.rule.logsource);
    if (!accessor && this.reportFields && !this.unknownFields.has(field)) {
      this.unknownFields.add(field);
      this.report('warning', 'unknown_field', `field '${field}' does not exist for this logsource: the items using it never match`, location);
    }
    return accessor;
  }

  condition(condition: SigmaCondition, searches: ReadonlyMap<string, Node>): Node {
    switch (condition.kind) {
      case 'search':
        return searches.get(condition.name) ?? never;
      case 'not':
        return notNode(this.condition(condition.operand, searches));
      case 'and':
        return andNode(condition.operands.map((operand) => this.condition(operand, searches)));
      case 'or':
        return orNode(condition.operands.map((operand) => this.condition(operand, searches)));
      case 'of': {
        const names = searchNamesMatching(condition.pattern, [...searches.keys()]);
        const nodes = names.map((name) => searches.get(name) ?? never);
        return condition.quantifier === 'all' ? andNode(nodes) : orNode(nodes);
      }
    }
  }

  search(search: SigmaSearch): Node {
    if (search.kind === 'keywords') {
      const item: SigmaFieldItem = { field: null, modifiers: search.modifiers, values: search.values, location: search.location };
      return this.item(item, (index) => valueLocation(search, index));
    }
    return orNode(search.alternatives.map((items) => andNode(items.map((item) => this.item(item, (index) => valueLocation(item, index))))));
  }

  item(item: SigmaFieldItem, locate: (index: number) => SourceLocation): Node {
    if (item.modifiers.includes('neq')) {
      return notNode(this.item({ ...item, modifiers: item.modifiers.filter((modifier) => modifier !== 'neq') }, locate));
    }
    const read = readModifierChain(item.modifiers);
    if ('code' in read) {
      this.report('error', read.code, read.message, item.location);
      return never;
    }
    const chain = read.chain;
    const label = item.field ?? 'keywords';
    if (item.field === null) {
      if (chain.exists || chain.numeric || chain.fieldref || chain.cidr) {
        this.report('error', 'invalid_modifier', 'keyword items (no field name) take only string modifiers', item.location);
        return never;
      }
      const accessors = this.resolver.keywordFields(this.rule.logsource);
      if (!chain.startswith && !chain.endswith && chain.regexFlags === undefined) chain.contains = true;
      return this.textItem(item, chain, accessors, label, locate);
    }
    const accessor = this.accessor(item.field, item.location);
    if (chain.exists) return this.existsItem(item, accessor, label, locate);
    if (chain.numeric) return this.numericItem(item, chain, accessor, label, locate);
    if (chain.fieldref) return this.fieldrefItem(item, chain, accessor, label, locate);
    return this.textItem(item, chain, accessor ? [accessor] : [], label, locate);
  }

  private existsItem(item: SigmaFieldItem, accessor: FieldAccessor | undefined, label: string, locate: (index: number) => SourceLocation): Node {
    const value = item.values[0];
    const wanted = value === true || value === 'true' ? true : value === false || value === 'false' ? false : undefined;
    if (item.values.length !== 1 || wanted === undefined) {
      this.report('error', 'invalid_value', "'exists' takes one value: true or false", locate(0));
      return never;
    }
    if (!accessor) return wanted ? never : always;
    return {
      needles: undefined,
      field: accessor,
      test(event, hits) {
        const present = accessor.get(event);
        const exists = present !== undefined && present !== null;
        if (exists !== wanted) return false;
        hits.push({ field: label, value: present });
        return true;
      },
    };
  }

  private numericItem(
    item: SigmaFieldItem,
    chain: ModifierChain,
    accessor: FieldAccessor | undefined,
    label: string,
    locate: (index: number) => SourceLocation,
  ): Node {
    const operator = chain.numeric as NonNullable<ModifierChain['numeric']>;
    const limits: number[] = [];
    item.values.forEach((value, index) => {
      const number = toNumber(value);
      if (number === undefined) this.report('error', 'invalid_value', `'${operator}' needs a number, not ${JSON.stringify(value)}`, locate(index));
      else limits.push(number);
    });
    if (!accessor || limits.length === 0) return never;
    const all = chain.all;
    const compare =
      operator === 'gt' ? (a: number, b: number) => a > b : operator === 'gte' ? (a: number, b: number) => a >= b : operator === 'lt' ? (a: number, b: number) => a < b : (a: number, b: number) => a <= b;
    const satisfies = (value: unknown, limit: number): boolean => {
      if (Array.isArray(value)) return value.some((element) => satisfies(element, limit));
      const number = toNumber(value);
      return number !== undefined && compare(number, limit);
    };
    return {
      needles: undefined,
      field: accessor,
      test(event, hits) {
        const value = accessor.get(event);
        const matched = all ? limits.every((limit) => satisfies(value, limit)) : limits.some((limit) => satisfies(value, limit));
        if (!matched) return false;
        hits.push({ field: label, value });
        return true;
      },
    };
  }

  private fieldrefItem(
    item: SigmaFieldItem,
    chain: ModifierChain,
    accessor: FieldAccessor | undefined,
    label: string,
    locate: (index: number) => SourceLocation,
  ): Node {
    const others: FieldAccessor[] = [];
    let broken = false;
    item.values.forEach((value, index) => {
      if (typeof value !== 'string' || value === '' || /[*?]/.test(value)) {
        this.report('error', 'invalid_value', "'fieldref' values must be field names (no wildcards)", locate(index));
        broken = true;
        return;
      }
      const other = this.accessor(value, locate(index));
      if (other) others.push(other);
    });
    if (broken || !accessor || others.length === 0) return never;
    const raw = chain.cased;
    const compare: (value: string, reference: string) => boolean = chain.contains
      ? (value, reference) => value.includes(reference)
      : chain.startswith
        ? (value, reference) => value.startsWith(reference)
        : chain.endswith
          ? (value, reference) => value.endsWith(reference)
          : (value, reference) => value === reference;
    const related = (value: TextValue, reference: TextValue): boolean => {
      if (value === null || reference === null) return false;
      const values = typeof value === 'string' ? [value] : value;
      const references = typeof reference === 'string' ? [reference] : reference;
      return values.some((text) => references.some((ref) => compare(text, ref)));
    };
    const all = chain.all;
    return {
      needles: undefined,
      field: null,
      test(event, hits) {
        const value = textOf(event, accessor, raw);
        const matched = all
          ? others.every((other) => related(value, textOf(event, other, raw)))
          : others.some((other) => related(value, textOf(event, other, raw)));
        if (!matched) return false;
        hits.push({ field: label, value: accessor.get(event) });
        return true;
      },
    };
  }

  /** Strings, numbers, booleans, null, wildcards, encodings, re and cidr over one field or the keyword fields. */
  private textItem(
    item: SigmaFieldItem,
    chain: ModifierChain,
    accessors: readonly FieldAccessor[],
    label: string,
    locate: (index: number) => SourceLocation,
  ): Node {
    const raw = chain.cased || chain.regexFlags !== undefined || chain.cidr;
    const groups: ValueGroup[] = [];
    const needleSets: NeedleSet[] = [];
    item.values.forEach((value, index) => {
      const compiled = this.value(value, chain, locate(index), item.field === null);
      if (!compiled) return;
      groups.push(compiled.group);
      needleSets.push(
        compiled.literals === undefined
          ? undefined
          : accessors.flatMap((accessor) => (compiled.literals as string[]).map((needle) => ({ accessor, needle }))),
      );
    });
    if (this.failed || item.values.length === 0 || accessors.length === 0) return never;
    if (chain.all) {
      if (groups.length < item.values.length) return never;
      return textNode(groups, accessors, raw, label, bestOf(needleSets));
    }
    if (groups.length === 0) return never;
    return textNode([mergeGroups(groups)], accessors, raw, label, unionOf(needleSets));
  }

  /** One value: its match group and its literal needles (undefined when it imposes none of at least 3 characters). */
  private value(
    value: SigmaScalar,
    chain: ModifierChain,
    location: SourceLocation,
    keyword: boolean,
  ): { group: ValueGroup; literals: string[] | undefined } | undefined {
    if (value === null) {
      if (keyword) return undefined;
      return { group: newGroup({ nullable: true }), literals: undefined };
    }
    if (chain.regexFlags !== undefined) {
      const compiled = compileSigmaRegex(String(value), chain.regexFlags);
      if ('message' in compiled) {
        this.report('error', 'invalid_regex', compiled.message, location);
        return undefined;
      }
      const regex = compiled.regex;
      const required = requiredRegexLiteral(String(value));
      const literal = required?.toLowerCase();
      // A required literal without cased letters is tested first with `includes` on the raw text (a native scan, far
      // cheaper than running the regex on every event that does not contain it): regexes whose literal is too short
      // for the prefilter (one backtick, a caret) are evaluated for every event.
      const guard = required !== undefined && required.length > 0 && required.toLowerCase() === required.toUpperCase() ? required : undefined;
      // A text shorter than the shortest match is not run through the regex (`.{1000,}` costs ~20 µs on any command line).
      const min = minimumRegexLength(regex.source, regex.flags);
      const test: StringTest =
        guard !== undefined
          ? (text) => text.length >= min && text.includes(guard) && regex.test(text)
          : min > 1
            ? (text) => text.length >= min && regex.test(text)
            : (text) => regex.test(text);
      return { group: newGroup({ tests: [test] }), literals: literal !== undefined && usableNeedle(literal) ? [literal] : undefined };
    }
    if (chain.cidr) {
      const test = compileCidr(String(value));
      if (!test) {
        this.report('error', 'invalid_cidr', `invalid CIDR network '${String(value)}'`, location);
        return undefined;
      }
      return { group: newGroup({ tests: [test] }), literals: undefined };
    }
    let texts = [String(value)];
    if (chain.expand) {
      const expanded = expandPlaceholders(String(value), this.placeholders);
      if (expanded.unknown) {
        for (const name of expanded.unknown) this.unknownPlaceholders.add(name);
        this.firstPlaceholderLocation ??= location;
        return undefined;
      }
      texts = expanded.values;
    }
    const patterns: PatternPart[][] = [];
    for (const text of texts) {
      const expanded = typeof value === 'string' || chain.expand ? expandStringValue(text, chain) : expandStringValue(escapeWildcards(text), chain);
      if ('message' in expanded) {
        this.report('error', 'invalid_value', expanded.message, location);
        return undefined;
      }
      patterns.push(...expanded.patterns);
    }
    const group = newGroup({});
    let literals: string[] | undefined = [];
    for (const pattern of patterns) {
      const parts = chain.cased ? pattern : lowerParts(pattern);
      if (!hasWildcards(parts)) group.exact.add(plainText(parts));
      else addPattern(group, parts);
      const needle = longestLiteral(pattern).toLowerCase();
      if (!usableNeedle(needle)) literals = undefined;
      else literals?.push(needle);
    }
    return { group, literals: literals && [...new Set(literals)] };
  }
}

function escapeWildcards(text: string): string {
  return text.replace(/[\\*?]/g, '\\$&');
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/**
 * Values of one item that are OR'ed: exact texts, `*text*`, `text*` and `*text` patterns (matched together, with an
 * automaton or length-bucketed sets when there are many), other pattern tests, and whether absent/null/empty matches.
 */
interface ValueGroup {
  exact: Set<string>;
  contains: string[];
  prefixes: string[];
  suffixes: string[];
  tests: StringTest[];
  nullable: boolean;
  /** Built on first use from the lists above. */
  matcher?: (text: string) => boolean;
}

function newGroup(init: { tests?: StringTest[]; nullable?: boolean }): ValueGroup {
  return { exact: new Set(), contains: [], prefixes: [], suffixes: [], tests: init.tests ?? [], nullable: init.nullable ?? false };
}

function addPattern(group: ValueGroup, parts: readonly PatternPart[]): void {
  const [first, second, third] = parts;
  if (parts.length === 3 && first?.kind === 'any' && second?.kind === 'text' && third?.kind === 'any') group.contains.push(second.text);
  else if (parts.length === 2 && first?.kind === 'text' && second?.kind === 'any') group.prefixes.push(first.text);
  else if (parts.length === 2 && first?.kind === 'any' && second?.kind === 'text') group.suffixes.push(second.text);
  else group.tests.push(compilePattern(parts));
}

function mergeGroups(groups: readonly ValueGroup[]): ValueGroup {
  const merged = newGroup({});
  for (const group of groups) {
    for (const text of group.exact) merged.exact.add(text);
    merged.contains.push(...group.contains);
    merged.prefixes.push(...group.prefixes);
    merged.suffixes.push(...group.suffixes);
    merged.tests.push(...group.tests);
    merged.nullable ||= group.nullable;
  }
  return merged;
}

/** Affixes bucketed by length: one slice and one set lookup per distinct length instead of one call per affix. */
function affixTest(affixes: readonly string[], atStart: boolean): ((text: string) => boolean) | undefined {
  if (affixes.length === 0) return undefined;
  if (affixes.length <= 4) return atStart ? (text) => affixes.some((a) => text.startsWith(a)) : (text) => affixes.some((a) => text.endsWith(a));
  const byLength = new Map<number, Set<string>>();
  for (const affix of affixes) {
    let set = byLength.get(affix.length);
    if (!set) byLength.set(affix.length, (set = new Set()));
    set.add(affix);
  }
  const buckets = [...byLength].sort((a, b) => a[0] - b[0]);
  return (text) => {
    for (const [length, set] of buckets) {
      if (length > text.length) return false;
      if (set.has(atStart ? text.slice(0, length) : text.slice(text.length - length))) return true;
    }
    return false;
  };
}

function buildMatcher(group: ValueGroup): (text: string) => boolean {
  const checks: ((text: string) => boolean)[] = [];
  const { exact, contains, tests } = group;
  if (exact.size) checks.push((text) => exact.has(text));
  if (contains.length > 4) {
    const automaton = buildAhoCorasick(contains);
    checks.push((text) => automaton.test(text));
  } else if (contains.length) checks.push((text) => contains.some((needle) => text.includes(needle)));
  const prefix = affixTest(group.prefixes, true);
  if (prefix) checks.push(prefix);
  const suffix = affixTest(group.suffixes, false);
  if (suffix) checks.push(suffix);
  if (tests.length) checks.push((text) => tests.some((test) => test(text)));
  if (checks.length === 1) return checks[0]!;
  return (text) => {
    for (const check of checks) if (check(text)) return true;
    return false;
  };
}

function textMatches(group: ValueGroup, text: string): boolean {
  return (group.matcher ??= buildMatcher(group))(text);
}

function groupMatches(group: ValueGroup, value: TextValue): boolean {
  if (value === null) return false;
  if (typeof value === 'string') return textMatches(group, value);
  for (const text of value) if (textMatches(group, text)) return true;
  return false;
}

/** Groups are AND'ed (one group unless `all`); a group matches when any accessor's value matches it. */
function textNode(groups: readonly ValueGroup[], accessors: readonly FieldAccessor[], raw: boolean, label: string, needles: NeedleSet): Node {
  const single = accessors.length === 1 ? accessors[0] : undefined;
  const field = single ?? (accessors.length === 0 ? undefined : null);
  const slots = accessors.map((accessor) => slotOf(accessor, raw));
  const singleSlot = slots[0] ?? 0;
  const groupHit = (event: DetectEvent, group: ValueGroup): FieldAccessor | undefined => {
    for (let i = 0; i < accessors.length; i++) {
      const accessor = accessors[i]!;
      if (groupMatches(group, textAt(event, accessor, raw, slots[i]!))) return accessor;
      if (group.nullable && isAbsent(accessor.get(event))) return accessor;
    }
    return undefined;
  };
  if (single && groups.length === 1) {
    const group = groups[0] as ValueGroup;
    return {
      needles,
      field,
      test(event, hits) {
        if (!groupMatches(group, textAt(event, single, raw, singleSlot)) && !(group.nullable && isAbsent(single.get(event)))) return false;
        hits.push({ field: label, value: single.get(event) });
        return true;
      },
    };
  }
  return {
    needles,
    field,
    test(event, hits) {
      const matched: FieldAccessor[] = [];
      for (const group of groups) {
        const accessor = groupHit(event, group);
        if (!accessor) return false;
        if (!matched.includes(accessor)) matched.push(accessor);
      }
      for (const accessor of matched) hits.push({ field: label, value: accessor.get(event) });
      return true;
    },
  };
}

const never: Node = { needles: [], field: undefined, test: () => false };
const always: Node = { needles: undefined, field: undefined, test: () => true };

function notNode(operand: Node): Node {
  return {
    needles: undefined,
    field: operand.field,
    negated: operand,
    test(event, hits) {
      const mark = hits.length;
      const matched = operand.test(event, hits);
      hits.length = mark;
      return !matched;
    },
  };
}

function andNode(operands: readonly Node[]): Node {
  if (operands.length === 1) return operands[0] as Node;
  const required: Needle[][] = [];
  const seen = new Set<string>();
  for (const operand of operands) {
    for (const set of cnfOf(operand)) {
      const key = set.map((n) => n.accessor.key + '\u0000' + n.needle).sort().join('\u0001');
      if (!seen.has(key)) {
        seen.add(key);
        required.push(set);
      }
    }
  }
  // The most selective sets first (an empty set means the node can never match); at most MAX_REQUIRED_SETS.
  required.sort((a, b) => needleScore(b) - needleScore(a) || a.length - b.length);
  return {
    needles: bestOf(operands.map((operand) => operand.needles)),
    cnf: required.slice(0, MAX_REQUIRED_SETS),
    field: fieldOfAll(operands),
    conjuncts: operands,
    test(event, hits) {
      const mark = hits.length;
      for (const operand of operands) {
        if (!operand.test(event, hits)) {
          hits.length = mark;
          return false;
        }
      }
      return true;
    },
  };
}

/** Sets of each alternative combined per OR operand, at most this many (the most selective of each first). */
const OR_SETS_PER_OPERAND = 3;

/**
 * Required sets of an OR: (A1 and A2) or (B1 and B2) requires (A1 or B1), (A1 or B2), (A2 or B1) and (A2 or B2). Each
 * combination is the union of one set per alternative; the engine may then pick one over cheap fields. Bounded.
 */
function orCnf(operands: readonly Node[]): Needle[][] | undefined {
  const perOperand = operands.map((operand) => cnfOf(operand).slice(0, OR_SETS_PER_OPERAND));
  if (perOperand.some((sets) => sets.length === 0)) return undefined;
  let combos: NeedleSet[][] = [[]];
  for (const sets of perOperand) {
    const next: NeedleSet[][] = [];
    for (const combo of combos) for (const set of sets) if (next.length < MAX_REQUIRED_SETS * 2) next.push([...combo, set]);
    combos = next;
  }
  const required = combos.map((combo) => unionOf(combo)!);
  required.sort((a, b) => needleScore(b) - needleScore(a) || a.length - b.length);
  return required.slice(0, MAX_REQUIRED_SETS);
}

function orNode(operands: readonly Node[]): Node {
  if (operands.length === 1) return operands[0] as Node;
  if (operands.length === 0) return never;
  const needles = unionOf(operands.map((operand) => operand.needles));
  const cnf = needles ? orCnf(operands) : undefined;
  return {
    needles,
    ...(cnf ? { cnf } : {}),
    field: fieldOfAll(operands),
    disjuncts: operands,
    test(event, hits) {
      for (const operand of operands) if (operand.test(event, hits)) return true;
      return false;
    },
  };
}

/** Route tests shared by every rule of the same logsource, each remembering its verdict for the last event. */
const routeTests = new Map<string, (event: DetectEvent) => boolean>();

function routeTest(route: LogsourceRoute): (event: DetectEvent) => boolean {
  const key = JSON.stringify([route.conditions, route.absent ?? []]);
  const known = routeTests.get(key);
  if (known) return known;
  const conditions = route.conditions.map((condition) => ({ field: condition.field, values: new Set(condition.anyOf.map(String)) }));
  const absent = route.absent ?? [];
  const valueIn = (value: unknown, values: Set<string>): boolean =>
    typeof value === 'string' || typeof value === 'number' ? values.has(String(value)) : Array.isArray(value) && value.some((element) => valueIn(element, values));
  let lastEvent: DetectEvent | undefined;
  let lastVerdict = false;
  const test =
    conditions.length === 0 && absent.length === 0
      ? () => true
      : (event: DetectEvent) => {
          if (event === lastEvent) return lastVerdict;
          lastEvent = event;
          lastVerdict = true;
          for (const condition of conditions) {
            if (!valueIn(event[condition.field], condition.values)) {
              lastVerdict = false;
              break;
            }
          }
          for (const field of absent) if (event[field] !== undefined && event[field] !== null) lastVerdict = false;
          return lastVerdict;
        };
  routeTests.set(key, test);
  return test;
}

const scratchHits: FieldHit[] = [];
const guardHits: FieldHit[] = [];

/** The top-level conjuncts of a node: operands of `and`, and `not (A or B)` read as `not A and not B`. */
function conjunctsOf(node: Node, out: Node[]): Node[] {
  if (node.conjuncts) for (const operand of node.conjuncts) conjunctsOf(operand, out);
  else if (node.negated?.disjuncts) for (const operand of node.negated.disjuncts) conjunctsOf(notNode(operand), out);
  else out.push(node);
  return out;
}

/** One guard per field read alone by some top-level conjunct of `root`: the conjunction of those conjuncts. */
function guardsOf(root: Node): FieldGuard[] {
  const byKey = new Map<string, Node[]>();
  for (const conjunct of conjunctsOf(root, [])) {
    if (!conjunct.field) continue;
    let nodes = byKey.get(conjunct.field.key);
    if (!nodes) byKey.set(conjunct.field.key, (nodes = []));
    nodes.push(conjunct);
  }
  return [...byKey.values()].map((nodes) => {
    const node = nodes.length === 1 ? nodes[0]! : andNode(nodes);
    return {
      accessor: node.field!,
      test(event) {
        const holds = node.test(event, guardHits);
        guardHits.length = 0;
        return holds;
      },
    };
  });
}

const silentAccessor: FieldAccessor = { key: '\u0000unsupported', get: () => undefined, sql: 'NULL' };
const silentResolver: FieldResolver = { resolve: () => silentAccessor, keywordFields: () => [silentAccessor] };

export function compileSigmaRule(rule: SigmaRule, options: CompileOptions): { compiled?: CompiledRule; problems: LoadProblem[] } {
  const route = options.router.route(rule.logsource);
  const compiler = new RuleCompiler(rule, route ? options.resolver : silentResolver, options.placeholders, route !== undefined);
  if (!route) {
    const logsource = Object.entries(rule.logsource).map(([key, value]) => `${key}: ${String(value)}`).join(', ');
    compiler.report('warning', 'unsupported_logsource', `Vigil has no events for logsource {${logsource}}: the rule never matches`, rule.location);
  }
  const searches = new Map<string, Node>();
  for (const [name, search] of rule.searches) searches.set(name, compiler.search(search));
  const root = compiler.condition(rule.condition, searches);
  compiler.finish();
  if (compiler.failed) return { problems: compiler.problems };
  if (!route) return { compiled: { rule, route: undefined, match: () => null }, problems: compiler.problems };
  const inRoute = routeTest(route);
  const compiled: CompiledRule = {
    rule,
    route,
    match(event) {
      if (!inRoute(event)) return null;
      // Most calls do not match: hits collect in one shared array (match never re-enters) and are copied on a match.
      scratchHits.length = 0;
      return root.test(event, scratchHits) ? scratchHits.slice() : null;
    },
  };
  if (root.needles) compiled.anyOf = root.needles;
  const required = cnfOf(root);
  if (required.length) compiled.allOf = required;
  const guards = guardsOf(root);
  if (guards.length) compiled.guards = guards;
  return { compiled, problems: compiler.problems };
}
