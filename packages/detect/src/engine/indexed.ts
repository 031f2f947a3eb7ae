// The streaming engine: rules indexed by event category. Every prefiltered rule has required literal sets (CNF over
// fields: the rule can match only when each set has a needle in its field's lower-cased text). Per category:
// - per field with needles of primary sets, one gram filter (gram-filter.ts) over all its needles, scanned for every
//   event; per other field, one over its needles, scanned only when a check needs it (a few needles: `includes`);
// - per rule one *primary* set, chosen among its most selective sets so that primary sets use few, common fields
//   (CommandLine, Image, OriginalFileName, ParentImage on Windows); only fields of primary sets are scanned for every event;
// - a rule whose primary set has a hit has its other sets checked, scanning their needles only then (once per event);
// - a rule without literal sets but with field guards (CompiledRule.guards: necessary conditions on one field each) has
//   one guard as its primary set and its guards on other eagerly scanned fields as further sets: each guard is a
//   pattern of its field, evaluated when the field is scanned (and memoized with the needles' hits per value);
// - a rule with literal sets that passes them has its field guards checked, verdicts memoized per field value (one
//   bounded memo per field shared by its guards), so a rule whose needles hit often but whose other conditions fail on
//   the same values is not re-evaluated;
// - the rules that pass are evaluated in full, with rules without any requirement, in rule order.
// "Most selective" is first the compiler's guess (longest shortest needle); after CALIBRATION_EVENTS events of a
// category (every field scanned meanwhile) its index is rebuilt with each needle's observed share of events.
// Field values are lower-cased once per event in the cache that rule evaluation reads too (compile.ts).
// A field's scan result is memoized per value (bounded), so repeated images, hashes and command lines are not rescanned.
// It must report exactly what the naive engine reports (conformance suite); it never mutates events.

import type { CompiledRule, DetectEvent, Detection, FieldAccessor, FieldGuard } from '../core.js';
import { lowerTextAt, lowerTextSlot } from '../sigma/compile.js';
import type { MultiPatternMatcher } from './aho-corasick.js';
import { anyCaseNeedles, anyCaseSearchable } from './any-case-needles.js';
import { buildGramMatcher } from './gram-filter.js';
import { detectionOf, routesCategory, type RuleEngine, type RuleEngineOptions } from './rule-engine.js';

interface FieldIndex {
  accessor: FieldAccessor;
  /** The slot of the field's lower-cased text in the per-event cache shared with rule evaluation. */
  slot: number;
  /** The field's needles: needle i is pattern i. */
  needles: readonly string[];
  /**
   * Scanned for every event; undefined when no primary set uses the field. Holds every needle of the field (pattern
   * numbers in needle order, whichever sets are primary). A gram filter for many needles; for a few, `includes` per
   * needle (much faster per character).
   */
  eagerMatcher: MultiPatternMatcher | undefined;
  /** Whether the field is scanned for every event (it has primary needles or guards). */
  eager: boolean;
  /** Fields without primary needles or guards only: every needle of the field, scanned once per event when a check needs them. */
  lazyMatcher: MultiPatternMatcher | undefined;
  /** Per pattern (needles, then guards): the rules whose primary set contains it (empty for the others). */
  primaryOwners: Int32Array[];
  /** Eager fields only: guards of rules, pattern `guardBase + i` for guard i, evaluated whenever the field is scanned. */
  guards: FieldGuard[];
  guardBase: number;
  /** Per pattern: the epoch it was last reported in (a hit for the current event when equal to the epoch). */
  patternStamps: Uint32Array;
  /** While the category calibrates: per pattern, the events it was reported in. */
  calibrationHits: Uint32Array | undefined;
  /**
   * The field's matcher (eager or lazy: a field has one of them) memoized per string value: value as read (not
   * lower-cased) -> the patterns it contains. At most MEMO_ENTRIES values and MEMO_CHARS characters of keys.
   */
  /** Undefined for a few needles (and no guard), which `includes` checks faster than a value is hashed. */
  memo: BoundedMemo<Int32Array> | undefined;
  /** Whether the matcher takes the value as read (a few ASCII needles, `any-case-needles.ts`): it is not lower-cased. */
  anyCase: boolean;
}

/**
 * The guards of prefiltered rules on one field and their verdicts per field value (as read): per value one byte per
 * guard, 0 not known yet, 1 holds, 2 fails. At most MEMO_ENTRIES values and MEMO_CHARS characters of keys.
 */
interface GuardField {
  guardCount: number;
  verdicts: BoundedMemo<Uint8Array>;
}

/** A guard of a prefiltered rule: its field's shared verdict memo and its byte there. */
interface GuardMemo {
  guard: FieldGuard;
  field: GuardField;
  slot: number;
}

interface CategoryIndex {
  rules: CompiledRule[];
  guarded: number;
  /** Per rule with literal sets: its guards, checked after its sets hold; undefined when it has none. */
  ruleGuards: (GuardMemo[] | undefined)[];
  /** Rules without a literal requirement: evaluated for every event of the category. */
  always: Int32Array;
  fields: FieldIndex[];
  /** Fields scanned for every event (indexes into `fields`). */
  eagerFields: Int32Array;
  /** Per rule: its other required sets, each a list of `field index << 20 | pattern index`; empty when none. */
  secondary: Int32Array[][];
  /** Events counted so far while the category calibrates (every field scanned); undefined once calibrated or when off. */
  calibration: { events: number } | undefined;
  /** Whether the index was built with observed needle shares. */
  calibrated: boolean;
}

/** Observed share of a category's events in which each needle occurs in its field: field key -> needle -> share. */
type NeedleShares = Map<string, Map<string, number>>;

const FEW_NEEDLES = 8;
/**
 * Required sets indexed per rule (the most selective first: by the compiler's estimate, then by observed shares once
 * calibrated): more sets cut candidates, checked only after a primary hit.
 */
const INDEXED_SETS = 4;
/** The primary set is the most selective of the first PRIMARY_CHOICES sets whose fields are all among the most used. */
const PRIMARY_CHOICES = 4;
/**
 * Events of a category after which its index is rebuilt with each needle's observed share of events (every field is
 * scanned meanwhile): primary sets then are the ones that occur least, not the ones with the longest needles. Only
 * speed depends on it, never what is reported.
 */
const CALIBRATION_EVENTS = 4096;
/** Fields that primary sets prefer: the most used ones, at most this many. */
const PREFERRED_FIELDS = 4;
const PATTERN_BITS = 20;
/**
 * Scan results memoized per field: process images, parents, hashes, PE metadata and most command lines repeat across
 * events, so a repeated value costs one hash lookup instead of lower-casing and scanning it. Bounded per field.
 */
const MEMO_ENTRIES = 16_384;
/**
 * Characters of memoized values kept per field (~2 MB of one-byte strings): bounds the memory of a field whose values
 * are long (command lines) whatever their number; MEMO_ENTRIES bounds fields of short values.
 */
const MEMO_CHARS = 2 * 1024 * 1024;
/** Longer values are scanned every time (not kept, not hashed twice). */
const MEMO_MAX_LENGTH = 1024;
const PATTERN_MASK = (1 << PATTERN_BITS) - 1;

/** The matcher interface over a handful of needles with String.prototype.includes. */
function fewNeedles(patterns: readonly string[]): MultiPatternMatcher {
  return {
    patternCount: patterns.length,
    stateCount: 0,
    search(text, found) {
      for (let i = 0; i < patterns.length; i++) if (text.includes(patterns[i]!)) found(i);
    },
    test: (text) => patterns.some((pattern) => text.includes(pattern)),
  };
}

/** Searches a value as read: the texts `lowerTextAt` would give, without lower-casing (strings, numbers, booleans, their arrays). */
/** Code units a value's memo hash reads: all of a value this short, else HEAD_UNITS first, HEAD_UNITS last and the rest spread between. */
const SAMPLED_UNITS = 64;
const HEAD_UNITS = 16;
/** Values kept per sampled hash; when more share one, the oldest is replaced. */
const BUCKET_ENTRIES = 8;

/**
 * A hash of the length and at most SAMPLED_UNITS code units. Events arrive parsed from JSON, so every value is a fresh
 * string whose hash V8 has not computed: a Map keyed by the string would hash all its characters (most of the cost of
 * a memo hit on a command line). Values that differ only between sampled units share a bucket; keys are still compared
 * with `===` (a length check and a block compare).
 */
function sampledHash(text: string): number {
  const length = text.length;
  let hash = Math.imul(length, 0x9e3779b1);
  if (length <= SAMPLED_UNITS) {
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    return hash;
  }
  for (let i = 0; i < HEAD_UNITS; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  for (let i = length - HEAD_UNITS; i < length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  const spread = SAMPLED_UNITS - 2 * HEAD_UNITS;
  const step = Math.floor((length - 2 * HEAD_UNITS) / (spread + 1));
  for (let k = 1, at = HEAD_UNITS + step; k <= spread; k++, at += step) hash = Math.imul(hash ^ text.charCodeAt(at), 0x01000193);
  return hash;
}

interface MemoBucket<T> {
  keys: string[];
  values: T[];
  /** The entry replaced next when the bucket is full. */
  next: number;
}

/**
 * A map from field values (as read) to what the engine computed for them, keyed by `sampledHash` and bounded: at most
 * `maxEntries` values and MEMO_CHARS characters of keys; a `set` that would pass either empties it first (an old working
 * set is dropped at once).
 */
class BoundedMemo<T> {
  private readonly buckets = new Map<number, MemoBucket<T>>();
  private entries = 0;
  private chars = 0;
  constructor(private readonly maxEntries: number) {}
  get(text: string): T | undefined {
    const bucket = this.buckets.get(sampledHash(text));
    if (bucket === undefined) return undefined;
    const { keys } = bucket;
    for (let i = 0; i < keys.length; i++) if (keys[i] === text) return bucket.values[i];
    return undefined;
  }
  /** Stores a value for `text`, which `get` did not find. */
  set(text: string, value: T): void {
    if (this.entries >= this.maxEntries || this.chars + text.length > MEMO_CHARS) {
      this.buckets.clear();
      this.entries = 0;
      this.chars = 0;
    }
    const hash = sampledHash(text);
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) {
      this.buckets.set(hash, { keys: [text], values: [value], next: 0 });
    } else if (bucket.keys.length < BUCKET_ENTRIES) {
      bucket.keys.push(text);
      bucket.values.push(value);
    } else {
      const slot = bucket.next;
      bucket.next = (slot + 1) % BUCKET_ENTRIES;
      this.chars -= bucket.keys[slot]!.length;
      this.entries--;
      bucket.keys[slot] = text;
      bucket.values[slot] = value;
    }
    this.entries++;
    this.chars += text.length;
  }
}

function searchAsRead(matcher: MultiPatternMatcher, value: unknown, found: (pattern: number) => void): void {
  switch (typeof value) {
    case 'string':
      matcher.search(value, found);
      return;
    case 'number':
    case 'bigint':
    case 'boolean':
      matcher.search(String(value), found);
      return;
    case 'object':
      if (!Array.isArray(value)) return;
      for (const element of value) {
        if (typeof element === 'string') matcher.search(element, found);
        else if (typeof element === 'number' || typeof element === 'bigint' || typeof element === 'boolean') matcher.search(String(element), found);
      }
  }
}

export interface IndexStats {
  categories: number;
  /** Categories whose index was rebuilt with observed needle shares. */
  calibratedCategories: number;
  prefilteredRules: number;
  alwaysEvaluatedRules: number;
  /** Of the prefiltered rules, those without literal sets, indexed by their field guards only. */
  guardedRules: number;
  automatonStates: number;
}

type Needle = { accessor: FieldAccessor; needle: string };

/** Every required set of the rule (the compiler's most selective first): undefined when it has none (always evaluated). */
function requiredSets(compiled: CompiledRule): readonly (readonly Needle[])[] | undefined {
  if (compiled.allOf?.length) return compiled.allOf;
  if (compiled.anyOf?.length) return [compiled.anyOf];
  return undefined;
}

/** The estimated share of events a set has a hit in: the sum of its needles' shares (an upper bound), at most 1. */
function setShare(set: readonly Needle[], shares: NeedleShares): number {
  let sum = 0;
  for (const entry of set) sum += shares.get(entry.accessor.key)?.get(entry.needle) ?? 1;
  return Math.min(1, sum);
}

export interface IndexedEngineOptions extends RuleEngineOptions {
  /** Values memoized per field (default MEMO_ENTRIES); 0 scans every value (the memo's own cost measured apart). */
  memoEntries?: number;
  /** Events of a category before its index is rebuilt with observed needle shares (default CALIBRATION_EVENTS); 0: never. */
  calibrationEvents?: number;
}

export function createIndexedEngine(options: IndexedEngineOptions): RuleEngine & { stats(): IndexStats } {
  const { rules, suppressed, onMatch } = options;
  const memoEntries = options.memoEntries ?? MEMO_ENTRIES;
  const calibrationEvents = options.calibrationEvents ?? CALIBRATION_EVENTS;
  const indexes = new Map<string, CategoryIndex>();
  const routedCategories = new Set<string>();
  for (const compiled of rules) for (const category of compiled.route?.categories ?? []) routedCategories.add(category);

  // Matchers by kind and needle list: a calibrated rebuild numbers a field's needles as before, so it reuses them.
  const matchers = new Map<string, MultiPatternMatcher>();
  function matcherOf(needles: readonly string[], anyCase: boolean): MultiPatternMatcher | undefined {
    if (needles.length === 0) return undefined;
    const kind = anyCase ? 'any-case' : needles.length <= FEW_NEEDLES ? 'few' : 'gram';
    const key = `${kind}\u0001${needles.join('\u0000')}`;
    let matcher = matchers.get(key);
    if (!matcher) matchers.set(key, (matcher = kind === 'any-case' ? anyCaseNeedles(needles) : kind === 'few' ? fewNeedles(needles) : buildGramMatcher(needles)));
    return matcher;
  }

  /**
   * The index of a category. Without `shares`, sets are ranked by the compiler's estimate (and the index calibrates
   * when calibration is on); with them, by observed share of events.
   */
  function buildIndex(category: string, shares?: NeedleShares): CategoryIndex {
    // Same order as the rule list, so that both engines report identically.
    const categoryRules = rules.filter((rule) => routesCategory(rule, category));
    const calibrating = shares === undefined && calibrationEvents > 0;
    const always: number[] = [];
    // Every needle of every set is a pattern of its field, numbered in rule order: the numbering does not depend on
    // which sets are indexed or primary, so a calibrated rebuild has the same patterns (and reuses the matchers).
    const perField = new Map<string, { accessor: FieldAccessor; owners: Map<string, Set<number>> }>();
    const needleOwners = (entry: Needle): Set<number> => {
      let field = perField.get(entry.accessor.key);
      if (!field) perField.set(entry.accessor.key, (field = { accessor: entry.accessor, owners: new Map() }));
      let owners = field.owners.get(entry.needle);
      if (!owners) field.owners.set(entry.needle, (owners = new Set()));
      return owners;
    };
    // Field popularity over the candidate primary sets: primary sets prefer the most used fields, so few are scanned eagerly.
    const usage = new Map<string, number>();
    const ruleSets: (readonly (readonly Needle[])[] | undefined)[] = categoryRules.map((compiled) => {
      const all = requiredSets(compiled);
      // A rule with an empty required set can never match: it is not indexed (and never evaluated).
      if (!all || all.some((set) => set.length === 0)) return all;
      for (const set of all) for (const entry of set) needleOwners(entry);
      const ranked = shares ? all.map((set) => ({ set, share: setShare(set, shares) })).sort((a, b) => a.share - b.share).map(({ set }) => set) : all;
      const sets = ranked.slice(0, INDEXED_SETS);
      for (const key of new Set(sets.slice(0, PRIMARY_CHOICES).flatMap((set) => set.map((entry) => entry.accessor.key)))) usage.set(key, (usage.get(key) ?? 0) + 1);
      return sets;
    });
    const preferred = new Set([...usage].sort((a, b) => b[1] - a[1]).slice(0, PREFERRED_FIELDS).map(([key]) => key));
    const within = (set: readonly Needle[], keys: ReadonlySet<string>) => set.every((entry) => keys.has(entry.accessor.key));
    // Primary sets: within the preferred fields when the rule has such a set; with shares, the least frequent set among
    // those on fields scanned for every event anyway (preferred, or needed by a rule that has no preferred set).
    const primaryOf = new Int32Array(categoryRules.length).fill(-1);
    const eagerByNeed = new Set<string>();
    ruleSets.forEach((sets, ruleIndex) => {
      if (!sets || sets.some((set) => set.length === 0)) return;
      const choice = sets.slice(0, PRIMARY_CHOICES).findIndex((set) => within(set, preferred));
      if (choice >= 0) primaryOf[ruleIndex] = choice;
      else {
        primaryOf[ruleIndex] = 0;
        for (const entry of sets[0]!) eagerByNeed.add(entry.accessor.key);
      }
    });
    if (shares) {
      const eagerAnyway = new Set([...preferred, ...eagerByNeed]);
      ruleSets.forEach((sets, ruleIndex) => {
        if (!sets || primaryOf[ruleIndex]! < 0) return;
        const choice = sets.findIndex((set) => within(set, eagerAnyway));
        if (choice >= 0) primaryOf[ruleIndex] = choice;
      });
    }
    const guardRules: number[] = [];
    ruleSets.forEach((sets, ruleIndex) => {
      if (!sets) {
        if (categoryRules[ruleIndex]!.guards?.length) guardRules.push(ruleIndex);
        else always.push(ruleIndex);
        return;
      }
      const primary = primaryOf[ruleIndex]!;
      if (primary >= 0) for (const entry of sets[primary]!) needleOwners(entry).add(ruleIndex);
    });
    // Guarded rules: the primary guard on a field scanned eagerly anyway if there is one; then their guards on all eager
    // fields (primary or not) are patterns of those fields.
    const eagerKeys = new Set([...perField].flatMap(([key, field]) => ([...field.owners.values()].some((rulesOf) => rulesOf.size > 0) ? [key] : [])));
    const fieldGuards = new Map<string, { accessor: FieldAccessor; guards: FieldGuard[]; owners: number[] }>();
    const guardSets: { rule: number; key: string; guard: number; primary: boolean }[] = [];
    for (const ruleIndex of guardRules) {
      const guards = categoryRules[ruleIndex]!.guards!;
      const primary = guards.find((guard) => eagerKeys.has(guard.accessor.key)) ?? guards[0]!;
      eagerKeys.add(primary.accessor.key);
      for (const guard of guards) {
        if (guard !== primary && !eagerKeys.has(guard.accessor.key)) continue;
        let field = fieldGuards.get(guard.accessor.key);
        if (!field) fieldGuards.set(guard.accessor.key, (field = { accessor: guard.accessor, guards: [], owners: [] }));
        if (!perField.has(guard.accessor.key)) perField.set(guard.accessor.key, { accessor: guard.accessor, owners: new Map() });
        guardSets.push({ rule: ruleIndex, key: guard.accessor.key, guard: field.guards.length, primary: guard === primary });
        field.guards.push(guard);
        field.owners.push(guard === primary ? ruleIndex : -1);
      }
    }
    // Pattern numbering per field: its needles in the order they were met, then its guards.
    const fieldKeys = [...perField.keys()];
    const patternIndex = new Map<string, Map<string, number>>();
    const fields: FieldIndex[] = fieldKeys.map((key) => {
      const { accessor, owners } = perField.get(key)!;
      const needles = [...owners.keys()];
      const numbering = new Map(needles.map((needle, i) => [needle, i]));
      patternIndex.set(key, numbering);
      const guarded = fieldGuards.get(key);
      const guards = guarded?.guards ?? [];
      const patternCount = needles.length + guards.length;
      if (patternCount > PATTERN_MASK) throw new RangeError(`more than ${PATTERN_MASK} needles for field ${key}`);
      // A field scanned for every event scans all its needles in one pass; another field, when a check needs them.
      const eager = [...owners.values()].some((rulesOf) => rulesOf.size > 0) || guards.length > 0;
      // A few ASCII needles on a field without guards are searched in the value as read (no lower-cased copy).
      const anyCase = guards.length === 0 && needles.length <= FEW_NEEDLES && anyCaseSearchable(needles);
      const matcher = matcherOf(needles, anyCase);
      const none = new Int32Array(0);
      return {
        accessor,
        slot: lowerTextSlot(accessor),
        needles,
        eagerMatcher: eager ? matcher : undefined,
        eager,
        lazyMatcher: eager ? undefined : matcher,
        primaryOwners: [
          ...[...owners.values()].map((rulesOf) => (rulesOf.size > 0 ? Int32Array.from(rulesOf) : none)),
          ...(guarded?.owners ?? []).map((rule) => (rule < 0 ? none : Int32Array.of(rule))),
        ],
        guards,
        guardBase: needles.length,
        patternStamps: new Uint32Array(patternCount),
        calibrationHits: calibrating ? new Uint32Array(patternCount) : undefined,
        memo: memoEntries > 0 && (needles.length > FEW_NEEDLES || guards.length > 0) ? new BoundedMemo<Int32Array>(memoEntries) : undefined,
        anyCase,
      };
    });
    const secondary: Int32Array[][] = categoryRules.map(() => []);
    ruleSets.forEach((sets, ruleIndex) => {
      if (!sets || primaryOf[ruleIndex]! < 0) return;
      sets.forEach((set, setIndex) => {
        if (setIndex === primaryOf[ruleIndex]) return;
        const codes = set.map((entry) => (fieldKeys.indexOf(entry.accessor.key) << PATTERN_BITS) | patternIndex.get(entry.accessor.key)!.get(entry.needle)!);
        secondary[ruleIndex]!.push(Int32Array.from(new Set(codes)));
      });
    });
    for (const set of guardSets) {
      if (set.primary) continue;
      const fieldIndex = fieldKeys.indexOf(set.key);
      secondary[set.rule]!.push(Int32Array.of((fieldIndex << PATTERN_BITS) | (fields[fieldIndex]!.guardBase + set.guard)));
    }
    const eagerFields = Int32Array.from(fields.flatMap((field, i) => (field.eager ? [i] : [])));
    const guardFields = new Map<string, GuardField>();
    const ruleGuards = categoryRules.map((compiled, ruleIndex) =>
      primaryOf[ruleIndex]! >= 0 && compiled.guards?.length
        ? compiled.guards.map((guard) => {
            let field = guardFields.get(guard.accessor.key);
            if (!field) guardFields.set(guard.accessor.key, (field = { guardCount: 0, verdicts: new BoundedMemo<Uint8Array>(memoEntries) }));
            return { guard, field, slot: field.guardCount++ };
          })
        : undefined,
    );
    return {
      rules: categoryRules,
      guarded: guardRules.length,
      ruleGuards,
      always: Int32Array.from(always),
      fields,
      eagerFields,
      secondary,
      calibration: calibrating ? { events: 0 } : undefined,
      calibrated: shares !== undefined,
    };
  }

  /** Each needle's share of the events counted while the index calibrated. */
  function observedShares(index: CategoryIndex, events: number): NeedleShares {
    const shares: NeedleShares = new Map();
    for (const field of index.fields) {
      const perNeedle = new Map<string, number>();
      field.needles.forEach((needle, pattern) => perNeedle.set(needle, field.calibrationHits![pattern]! / events));
      shares.set(field.accessor.key, perNeedle);
    }
    return shares;
  }

  function indexFor(category: string): CategoryIndex {
    let index = indexes.get(category);
    if (!index) indexes.set(category, (index = buildIndex(category)));
    return index;
  }
  // Built now, not on the first event: the ingest path never pays for automaton construction.
  for (const category of routedCategories) indexFor(category);

  // Per-event marks without clearing: a rule, pattern or field is marked for the current event when its stamp equals `epoch`.
  let epoch = 0;
  let ruleStamps = new Uint32Array(16);
  let lazyStamps = new Uint32Array(16);
  let primaryHits = new Int32Array(64);
  let primaryHitCount = 0;
  let candidates = new Int32Array(64);
  let currentPatternStamps: Uint32Array = new Uint32Array(0);
  let currentOwners: Int32Array[] = [];
  /** The scanned field's calibration counters while its category calibrates. */
  let currentHits: Uint32Array | undefined;
  // Two callbacks made once (never per event): eager fields walk the primary owners, lazy fields only stamp patterns.
  const onPrimaryPattern = (pattern: number) => {
    if (currentPatternStamps[pattern] === epoch) return;
    currentPatternStamps[pattern] = epoch;
    if (currentHits !== undefined) currentHits[pattern]!++;
    const owners = currentOwners[pattern]!;
    for (let i = 0; i < owners.length; i++) {
      const rule = owners[i]!;
      if (ruleStamps[rule] === epoch) continue;
      ruleStamps[rule] = epoch;
      primaryHits[primaryHitCount++] = rule;
    }
  };
  const onLazyPattern = (pattern: number) => {
    if (currentPatternStamps[pattern] === epoch) return;
    currentPatternStamps[pattern] = epoch;
    if (currentHits !== undefined) currentHits[pattern]!++;
  };

  // Collects a scan's patterns for the memo (duplicates allowed, removed when stored).
  let collected = new Int32Array(64);
  let collectedCount = 0;
  const collect = (pattern: number) => {
    if (collectedCount === collected.length) {
      const grown = new Int32Array(collected.length * 2);
      grown.set(collected);
      collected = grown;
    }
    collected[collectedCount++] = pattern;
  };

  // The search of an accessor that visits its values (FieldAccessor.forEachValue): set before each visit.
  let visitMatcher: MultiPatternMatcher | undefined;
  let visitFound: (pattern: number) => void = () => {};
  const visitValue = (value: unknown): void => searchAsRead(visitMatcher!, value, visitFound);

  /** Reports pattern `guardBase + i` for every guard i of the field that holds for the event. */
  function scanGuards(field: FieldIndex, event: DetectEvent, found: (pattern: number) => void): void {
    const { guards, guardBase } = field;
    for (let g = 0; g < guards.length; g++) if (guards[g]!.test(event)) found(guardBase + g);
  }

  /**
   * The patterns of the field's matcher and guards for the event's value `text` (as read, not lowered), from the memo
   * or scanned and memoized (a guard's verdict depends on the field's value only).
   */
  function memoized(field: FieldIndex, memo: BoundedMemo<Int32Array>, matcher: MultiPatternMatcher | undefined, text: string, event: DetectEvent): Int32Array {
    let patterns = memo.get(text);
    if (patterns !== undefined) return patterns;
    collectedCount = 0;
    if (matcher !== undefined) matcher.search(lowerTextAt(event, field.accessor, field.slot) as string, collect);
    scanGuards(field, event, collect);
    const found = collected.subarray(0, collectedCount).sort();
    let distinct = 0;
    for (let i = 0; i < found.length; i++) if (i === 0 || found[i] !== found[i - 1]) found[distinct++] = found[i]!;
    patterns = found.slice(0, distinct);
    memo.set(text, patterns);
    return patterns;
  }

  function scan(field: FieldIndex, matcher: MultiPatternMatcher | undefined, event: DetectEvent, found: (pattern: number) => void): void {
    currentPatternStamps = field.patternStamps;
    currentHits = field.calibrationHits;
    const memo = field.memo;
    if (memo !== undefined) {
      const raw = field.accessor.get(event);
      if (typeof raw === 'string' && raw.length <= MEMO_MAX_LENGTH) {
        const patterns = memoized(field, memo, matcher, raw, event);
        for (let i = 0; i < patterns.length; i++) found(patterns[i]!);
        return;
      }
    }
    if (field.anyCase) {
      if (matcher !== undefined && field.accessor.forEachValue !== undefined) {
        visitMatcher = matcher;
        visitFound = found;
        field.accessor.forEachValue(event, visitValue);
      } else if (matcher !== undefined) searchAsRead(matcher, field.accessor.get(event), found);
    } else if (matcher !== undefined) {
      // Lower-cased once per event and field: rule evaluation reads the same cached text.
      const value = lowerTextAt(event, field.accessor, field.slot);
      if (typeof value === 'string') matcher.search(value, found);
      else if (value !== null) for (let i = 0; i < value.length; i++) matcher.search(value[i]!, found);
    }
    if (field.guards.length > 0) scanGuards(field, event, found);
  }

  /** Whether every secondary set of the rule has a hit, scanning lazy needles not scanned for this event yet. */
  function secondaryHolds(index: CategoryIndex, sets: readonly Int32Array[], event: DetectEvent): boolean {
    for (let s = 0; s < sets.length; s++) {
      const set = sets[s]!;
      let hit = false;
      for (let i = 0; i < set.length && !hit; i++) {
        const code = set[i]!;
        const fieldIndex = code >>> PATTERN_BITS;
        const pattern = code & PATTERN_MASK;
        const field = index.fields[fieldIndex]!;
        if (field.lazyMatcher !== undefined && lazyStamps[fieldIndex] !== epoch) {
          lazyStamps[fieldIndex] = epoch;
          scan(field, field.lazyMatcher, event, onLazyPattern);
        }
        hit = field.patternStamps[pattern] === epoch;
      }
      if (!hit) return false;
    }
    return true;
  }

  /**
   * Counts the event for a calibrating category: scans the fields no check scanned (so every needle's count is over
   * all events), and once enough events are counted, replaces the index with one built on the observed shares.
   */
  function calibrate(category: string, index: CategoryIndex, calibration: { events: number }, event: DetectEvent): void {
    const { fields } = index;
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f]!;
      if (field.lazyMatcher === undefined || lazyStamps[f] === epoch) continue;
      lazyStamps[f] = epoch;
      scan(field, field.lazyMatcher, event, onLazyPattern);
    }
    if (++calibration.events >= calibrationEvents) indexes.set(category, buildIndex(category, observedShares(index, calibration.events)));
  }

  /** Whether every guard holds, from its field's verdict memo when the field's value is a string the memo keeps. */
  function guardsHold(memos: readonly GuardMemo[], event: DetectEvent): boolean {
    for (let g = 0; g < memos.length; g++) {
      const { guard, field, slot } = memos[g]!;
      const value = memoEntries > 0 ? guard.accessor.get(event) : undefined;
      if (typeof value !== 'string' || value.length > MEMO_MAX_LENGTH) {
        if (!guard.test(event)) return false;
        continue;
      }
      let verdicts = field.verdicts.get(value);
      if (verdicts === undefined) field.verdicts.set(value, (verdicts = new Uint8Array(field.guardCount)));
      let verdict = verdicts[slot]!;
      if (verdict === 0) verdicts[slot] = verdict = guard.test(event) ? 1 : 2;
      if (verdict === 2) return false;
    }
    return true;
  }

  return {
    name: 'indexed',
    ruleCount: rules.length,
    evaluate(events: readonly DetectEvent[]): Detection[] {
      const detections: Detection[] = [];
      for (const event of events) {
        const category = String(event['event.category']);
        const index = indexFor(category);
        const ruleCount = index.rules.length;
        if (!ruleCount) continue;
        if (ruleStamps.length < ruleCount) ruleStamps = new Uint32Array(ruleCount * 2);
        if (primaryHits.length < ruleCount) primaryHits = new Int32Array(ruleCount);
        if (candidates.length < ruleCount) candidates = new Int32Array(ruleCount);
        if (lazyStamps.length < index.fields.length) lazyStamps = new Uint32Array(index.fields.length * 2);
        if (++epoch === 0xffffffff) {
          ruleStamps.fill(0);
          lazyStamps.fill(0);
          for (const category of indexes.values()) for (const field of category.fields) field.patternStamps.fill(0);
          epoch = 1;
        }
        primaryHitCount = 0;
        const { fields, eagerFields } = index;
        for (let f = 0; f < eagerFields.length; f++) {
          const fieldIndex = eagerFields[f]!;
          const field = fields[fieldIndex]!;
          currentOwners = field.primaryOwners;
          scan(field, field.eagerMatcher, event, onPrimaryPattern);
        }
        let candidateCount = 0;
        for (let i = 0; i < primaryHitCount; i++) {
          const rule = primaryHits[i]!;
          const sets = index.secondary[rule]!;
          if (sets.length > 0 && !secondaryHolds(index, sets, event)) continue;
          const guards = index.ruleGuards[rule];
          if (guards === undefined || guardsHold(guards, event)) candidates[candidateCount++] = rule;
        }
        for (let i = 0; i < index.always.length; i++) candidates[candidateCount++] = index.always[i]!;
        // Rule order (= the naive engine's order), so both engines report identically. Insertion sort in place: a
        // few dozen candidates, and no typed-array view allocated per event.
        for (let i = 1; i < candidateCount; i++) {
          const rule = candidates[i]!;
          let j = i - 1;
          while (j >= 0 && candidates[j]! > rule) {
            candidates[j + 1] = candidates[j]!;
            j--;
          }
          candidates[j + 1] = rule;
        }
        for (let i = 0; i < candidateCount; i++) {
          const compiled = index.rules[candidates[i]!]!;
          const hits = compiled.match(event);
          if (!hits) continue;
          onMatch?.(compiled.rule, event, hits);
          if (!suppressed?.has(compiled.rule.id)) detections.push(detectionOf(compiled.rule, event, hits));
        }
        if (index.calibration !== undefined) calibrate(category, index, index.calibration, event);
      }
      return detections;
    },
    stats(): IndexStats {
      let prefiltered = 0;
      let alwaysEvaluated = 0;
      let guarded = 0;
      let states = 0;
      let calibrated = 0;
      for (const category of routedCategories) indexFor(category);
      for (const index of indexes.values()) {
        if (index.calibrated) calibrated++;
        alwaysEvaluated += index.always.length;
        guarded += index.guarded;
        prefiltered += index.rules.length - index.always.length;
        for (const field of index.fields) states += (field.eagerMatcher?.stateCount ?? 0) + (field.lazyMatcher?.stateCount ?? 0);
      }
      return { categories: indexes.size, calibratedCategories: calibrated, prefilteredRules: prefiltered, alwaysEvaluatedRules: alwaysEvaluated, guardedRules: guarded, automatonStates: states };
    },
  };
}
