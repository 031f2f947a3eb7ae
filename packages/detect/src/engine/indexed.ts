// The streaming engine: rules indexed by event category. Every prefiltered rule has required literal sets (CNF over
// fields: the rule can match only when each set has a needle in its field's lower-cased text). Per category:
// - per field with needles of primary sets, one gram filter (gram-filter.ts) over all its needles, scanned for every
//   event; per other field, one over its needles, scanned only when a check needs it (a few needles: `includes`);
// - per rule one *primary* set, chosen among its most selective sets so that primary sets use few, common fields
//   (CommandLine, Image, OriginalFileName, ParentImage on Windows); only fields of primary sets are scanned for every event;
// - a rule whose primary set has a hit has its other sets checked, scanning their needles only then (once per event);
// - the rules that pass are evaluated in full, with rules without a literal requirement, in rule order.
// Field values are lower-cased once per event in the cache that rule evaluation reads too (compile.ts).
// A field's scan result is memoized per value (bounded), so repeated images, hashes and command lines are not rescanned.
// It must report exactly what the naive engine reports (conformance suite); it never mutates events.

import type { CompiledRule, DetectEvent, Detection, FieldAccessor } from '../core.js';
import { lowerTextAt, lowerTextSlot } from '../sigma/compile.js';
import type { MultiPatternMatcher } from './aho-corasick.js';
import { buildGramMatcher } from './gram-filter.js';
import { detectionOf, routesCategory, type RuleEngine, type RuleEngineOptions } from './rule-engine.js';

interface FieldIndex {
  accessor: FieldAccessor;
  /** The slot of the field's lower-cased text in the per-event cache shared with rule evaluation. */
  slot: number;
  /**
   * Scanned for every event; undefined when no primary set uses the field. Holds the needles of primary sets (patterns
   * 0 .. eagerCount-1) and then those of the field's other sets. A gram filter for many needles; for a few, `includes`
   * per needle (much faster per character).
   */
  eagerMatcher: MultiPatternMatcher | undefined;
  /**
   * Fields without primary needles only: the needles of other sets (patterns eagerCount .., eagerCount = 0), scanned
   * once per event when a check needs them.
   */
  lazyMatcher: MultiPatternMatcher | undefined;
  eagerCount: number;
  /** Per eager pattern: the rules whose primary set contains it. */
  primaryOwners: Int32Array[];
  /** Per pattern: the epoch it was last reported in (a hit for the current event when equal to the epoch). */
  patternStamps: Uint32Array;
  /**
   * The field's matcher (eager or lazy: a field has one of them) memoized per string value: value as read (not
   * lower-cased) -> the patterns it contains. At most MEMO_ENTRIES values; emptied when full.
   */
  memo: Map<string, Int32Array>;
  /** Whether the memo is used: not for a few needles, which `includes` checks faster than a value is hashed. */
  memoized: boolean;
}

interface CategoryIndex {
  rules: CompiledRule[];
  /** Rules without a literal requirement: evaluated for every event of the category. */
  always: Int32Array;
  fields: FieldIndex[];
  /** Fields scanned for every event (indexes into `fields`). */
  eagerFields: Int32Array;
  /** Per rule: its other required sets, each a list of `field index << 20 | pattern index`; empty when none. */
  secondary: Int32Array[][];
}

const FEW_NEEDLES = 8;
/** Required sets indexed per rule (the most selective first): more sets cut candidates, checked only after a primary hit. */
const INDEXED_SETS = 4;
/** The primary set is the most selective of the first PRIMARY_CHOICES sets whose fields are all among the most used. */
const PRIMARY_CHOICES = 4;
/** Fields that primary sets prefer: the most used ones, at most this many. */
const PREFERRED_FIELDS = 4;
const PATTERN_BITS = 20;
/**
 * Scan results memoized per field: process images, parents, hashes, PE metadata and most command lines repeat across
 * events, so a repeated value costs one hash lookup instead of lower-casing and scanning it. Bounded per field.
 */
const MEMO_ENTRIES = 4096;
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

export interface IndexStats {
  categories: number;
  prefilteredRules: number;
  alwaysEvaluatedRules: number;
  automatonStates: number;
}

type Needle = { accessor: FieldAccessor; needle: string };

/** The rule's required sets as the index uses them: undefined when it has none (always evaluated). */
function requiredSets(compiled: CompiledRule): (readonly Needle[])[] | undefined {
  if (compiled.allOf?.length) return compiled.allOf.slice(0, INDEXED_SETS);
  if (compiled.anyOf?.length) return [compiled.anyOf];
  return undefined;
}

export interface IndexedEngineOptions extends RuleEngineOptions {
  /** Values memoized per field (default MEMO_ENTRIES); 0 scans every value (the memo's own cost measured apart). */
  memoEntries?: number;
}

export function createIndexedEngine(options: IndexedEngineOptions): RuleEngine & { stats(): IndexStats } {
  const { rules, suppressed, onMatch } = options;
  const memoEntries = options.memoEntries ?? MEMO_ENTRIES;
  const indexes = new Map<string, CategoryIndex>();
  const routedCategories = new Set<string>();
  for (const compiled of rules) for (const category of compiled.route?.categories ?? []) routedCategories.add(category);

  function buildIndex(category: string): CategoryIndex {
    // Same order as the rule list, so that both engines report identically.
    const categoryRules = rules.filter((rule) => routesCategory(rule, category));
    const always: number[] = [];
    // Field popularity over the candidate primary sets: primary sets prefer the most used fields, so few are scanned eagerly.
    const usage = new Map<string, number>();
    const ruleSets: ((readonly Needle[])[] | undefined)[] = categoryRules.map((compiled) => {
      const sets = requiredSets(compiled);
      // A rule with an empty required set can never match: it is not indexed (and never evaluated).
      if (!sets || sets.some((set) => set.length === 0)) return sets;
      for (const key of new Set(sets.slice(0, PRIMARY_CHOICES).flatMap((set) => set.map((entry) => entry.accessor.key)))) usage.set(key, (usage.get(key) ?? 0) + 1);
      return sets;
    });
    const preferred = new Set([...usage].sort((a, b) => b[1] - a[1]).slice(0, PREFERRED_FIELDS).map(([key]) => key));
    // Per field: its needles with the rules whose primary set holds them (empty for needles of other sets only).
    const perField = new Map<string, { accessor: FieldAccessor; owners: Map<string, Set<number>> }>();
    const needleOwners = (entry: Needle): Set<number> => {
      let field = perField.get(entry.accessor.key);
      if (!field) perField.set(entry.accessor.key, (field = { accessor: entry.accessor, owners: new Map() }));
      let owners = field.owners.get(entry.needle);
      if (!owners) field.owners.set(entry.needle, (owners = new Set()));
      return owners;
    };
    const primaryOf = new Int32Array(categoryRules.length).fill(-1);
    ruleSets.forEach((sets, ruleIndex) => {
      if (!sets) {
        always.push(ruleIndex);
        return;
      }
      if (sets.some((set) => set.length === 0)) return;
      let primary = sets.slice(0, PRIMARY_CHOICES).findIndex((set) => set.every((entry) => preferred.has(entry.accessor.key)));
      if (primary < 0) primary = 0;
      primaryOf[ruleIndex] = primary;
      sets.forEach((set, setIndex) => {
        for (const entry of set) {
          const owners = needleOwners(entry);
          if (setIndex === primary) owners.add(ruleIndex);
        }
      });
    });
    // Pattern numbering per field: needles of primary sets first (the eager automaton), the others after (the lazy one).
    const fieldKeys = [...perField.keys()];
    const patternIndex = new Map<string, Map<string, number>>();
    const fields: FieldIndex[] = fieldKeys.map((key) => {
      const { accessor, owners } = perField.get(key)!;
      const eagerNeedles = [...owners].filter(([, rulesOf]) => rulesOf.size > 0);
      const lazyNeedles = [...owners].filter(([, rulesOf]) => rulesOf.size === 0);
      const numbering = new Map<string, number>();
      [...eagerNeedles, ...lazyNeedles].forEach(([needle], i) => numbering.set(needle, i));
      patternIndex.set(key, numbering);
      const patternCount = numbering.size;
      if (patternCount > PATTERN_MASK) throw new RangeError(`more than ${PATTERN_MASK} needles for field ${key}`);
      const matcherOf = (needles: readonly string[]) => (needles.length === 0 ? undefined : needles.length <= FEW_NEEDLES ? fewNeedles(needles) : buildGramMatcher(needles));
      // A field scanned for every event anyway scans its lazy needles in the same pass (one scan instead of two).
      const merged = eagerNeedles.length > 0;
      return {
        accessor,
        slot: lowerTextSlot(accessor),
        eagerMatcher: merged ? matcherOf([...eagerNeedles, ...lazyNeedles].map(([needle]) => needle)) : undefined,
        lazyMatcher: merged ? undefined : matcherOf(lazyNeedles.map(([needle]) => needle)),
        eagerCount: eagerNeedles.length,
        primaryOwners: eagerNeedles.map(([, rulesOf]) => Int32Array.from(rulesOf)),
        patternStamps: new Uint32Array(patternCount),
        memo: new Map(),
        memoized: memoEntries > 0 && (merged ? eagerNeedles.length + lazyNeedles.length : lazyNeedles.length) > FEW_NEEDLES,
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
    const eagerFields = Int32Array.from(fields.flatMap((field, i) => (field.eagerMatcher ? [i] : [])));
    return { rules: categoryRules, always: Int32Array.from(always), fields, eagerFields, secondary };
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
  // Two callbacks made once (never per event): eager fields walk the primary owners, lazy fields only stamp patterns.
  let currentEagerCount = 0;
  const onPrimaryPattern = (pattern: number) => {
    if (currentPatternStamps[pattern] === epoch) return;
    currentPatternStamps[pattern] = epoch;
    if (pattern >= currentEagerCount) return;
    const owners = currentOwners[pattern]!;
    for (let i = 0; i < owners.length; i++) {
      const rule = owners[i]!;
      if (ruleStamps[rule] === epoch) continue;
      ruleStamps[rule] = epoch;
      primaryHits[primaryHitCount++] = rule;
    }
  };
  let lazyOffset = 0;
  const onLazyPattern = (pattern: number) => {
    currentPatternStamps[lazyOffset + pattern] = epoch;
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

  /** The patterns of the field's matcher occurring in `text` (an un-lowered value), from the memo or scanned and memoized. */
  function memoized(field: FieldIndex, matcher: MultiPatternMatcher, text: string): Int32Array {
    let patterns = field.memo.get(text);
    if (patterns !== undefined) return patterns;
    collectedCount = 0;
    matcher.search(text.toLowerCase(), collect);
    const found = collected.subarray(0, collectedCount).sort();
    let distinct = 0;
    for (let i = 0; i < found.length; i++) if (i === 0 || found[i] !== found[i - 1]) found[distinct++] = found[i]!;
    patterns = found.slice(0, distinct);
    if (field.memo.size >= memoEntries) field.memo.clear();
    field.memo.set(text, patterns);
    return patterns;
  }

  function scan(field: FieldIndex, matcher: MultiPatternMatcher, event: DetectEvent, found: (pattern: number) => void): void {
    currentPatternStamps = field.patternStamps;
    const raw = field.memoized ? field.accessor.get(event) : undefined;
    if (typeof raw === 'string' && raw.length <= MEMO_MAX_LENGTH) {
      const patterns = memoized(field, matcher, raw);
      for (let i = 0; i < patterns.length; i++) found(patterns[i]!);
      return;
    }
    // Lower-cased once per event and field: rule evaluation reads the same cached text.
    const value = lowerTextAt(event, field.accessor, field.slot);
    if (value === null) return;
    if (typeof value === 'string') matcher.search(value, found);
    else for (let i = 0; i < value.length; i++) matcher.search(value[i]!, found);
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
          lazyOffset = field.eagerCount;
          scan(field, field.lazyMatcher!, event, onLazyPattern);
        }
        hit = field.patternStamps[pattern] === epoch;
      }
      if (!hit) return false;
    }
    return true;
  }

  return {
    name: 'indexed',
    ruleCount: rules.length,
    evaluate(events: readonly DetectEvent[]): Detection[] {
      const detections: Detection[] = [];
      for (const event of events) {
        const index = indexFor(String(event['event.category']));
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
          currentEagerCount = field.eagerCount;
          scan(field, field.eagerMatcher!, event, onPrimaryPattern);
        }
        let candidateCount = 0;
        for (let i = 0; i < primaryHitCount; i++) {
          const rule = primaryHits[i]!;
          const sets = index.secondary[rule]!;
          if (sets.length === 0 || secondaryHolds(index, sets, event)) candidates[candidateCount++] = rule;
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
      }
      return detections;
    },
    stats(): IndexStats {
      let prefiltered = 0;
      let alwaysEvaluated = 0;
      let states = 0;
      for (const category of routedCategories) indexFor(category);
      for (const index of indexes.values()) {
        alwaysEvaluated += index.always.length;
        prefiltered += index.rules.length - index.always.length;
        for (const field of index.fields) states += (field.eagerMatcher?.stateCount ?? 0) + (field.lazyMatcher?.stateCount ?? 0);
      }
      return { categories: indexes.size, prefilteredRules: prefiltered, alwaysEvaluatedRules: alwaysEvaluated, automatonStates: states };
    },
  };
}
