// The streaming engine: rules indexed by event category; per category, one gram filter (gram-filter.ts) per field over
// every rule's required literals selects the candidate rules (those whose every required literal set has a hit), and
// only those (plus rules without literals) are evaluated.
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
  /** A gram filter for many needles; for a few, `includes` per needle (much faster per character). */
  matcher: MultiPatternMatcher;
  /** Per pattern index: owners encoded as `rule index << 3 | required-set index`. */
  rulesOfPattern: Int32Array[];
  /** Per pattern: the epoch it was last reported in, so repeated occurrences cost nothing. */
  patternStamps: Uint32Array;
}

interface CategoryIndex {
  rules: CompiledRule[];
  /** Rules without a literal requirement: evaluated for every event of the category. */
  always: Int32Array;
  fields: FieldIndex[];
  /** Per rule: the bit mask of its required sets (a candidate once all bits are set). */
  requiredMask: Int32Array;
}

const FEW_NEEDLES = 8;
/** Required sets indexed per rule (the most selective first): more sets cut candidates but grow the automata. */
const INDEXED_SETS = 3;

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

export function createIndexedEngine(options: RuleEngineOptions): RuleEngine & { stats(): IndexStats } {
  const { rules, suppressed, onMatch } = options;
  const indexes = new Map<string, CategoryIndex>();
  const routedCategories = new Set<string>();
  for (const compiled of rules) for (const category of compiled.route?.categories ?? []) routedCategories.add(category);

  function buildIndex(category: string): CategoryIndex {
    // Same order as the rule list, so that both engines report identically.
    const categoryRules = rules.filter((rule) => routesCategory(rule, category));
    const always: number[] = [];
    const requiredMask = new Int32Array(categoryRules.length);
    const perField = new Map<string, { accessor: FieldAccessor; needles: Map<string, Set<number>> }>();
    categoryRules.forEach((compiled, ruleIndex) => {
      const sets = compiled.allOf?.length ? compiled.allOf.slice(0, INDEXED_SETS) : compiled.anyOf?.length ? [compiled.anyOf] : undefined;
      if (!sets) {
        always.push(ruleIndex);
        return;
      }
      // A rule with an empty required set can never match: it is not indexed at all.
      if (sets.some((set) => set.length === 0)) return;
      sets.forEach((set, setIndex) => {
        requiredMask[ruleIndex] = requiredMask[ruleIndex]! | (1 << setIndex);
        for (const { accessor, needle } of set) {
          let field = perField.get(accessor.key);
          if (!field) perField.set(accessor.key, (field = { accessor, needles: new Map() }));
          let owners = field.needles.get(needle);
          if (!owners) field.needles.set(needle, (owners = new Set()));
          owners.add((ruleIndex << 3) | setIndex);
        }
      });
    });
    const fields: FieldIndex[] = [...perField.values()].map(({ accessor, needles }) => {
      const patterns = [...needles.keys()];
      return { accessor, slot: lowerTextSlot(accessor), matcher: patterns.length <= FEW_NEEDLES ? fewNeedles(patterns) : buildGramMatcher(patterns), rulesOfPattern: patterns.map((p) => Int32Array.from(needles.get(p)!)), patternStamps: new Uint32Array(patterns.length) };
    });
    return { rules: categoryRules, always: Int32Array.from(always), fields, requiredMask };
  }

  function indexFor(category: string): CategoryIndex {
    let index = indexes.get(category);
    if (!index) indexes.set(category, (index = buildIndex(category)));
    return index;
  }
  // Built now, not on the first event: the ingest path never pays for automaton construction.
  for (const category of routedCategories) indexFor(category);

  // Candidate marking without clearing: a rule is a candidate for the current event when its stamp equals `epoch`.
  let stamps = new Uint32Array(16);
  let epoch = 0;
  let candidates = new Int32Array(64);
  let candidateCount = 0;
  let currentIndex: CategoryIndex | undefined;
  let currentPatternRules: Int32Array[] = [];
  let currentPatternStamps: Uint32Array = new Uint32Array(0);
  let masks: Int32Array = new Int32Array(16);
  let currentRequired: Int32Array = new Int32Array(0);
  const onPattern = (pattern: number) => {
    if (currentPatternStamps[pattern] === epoch) return;
    currentPatternStamps[pattern] = epoch;
    const owners = currentPatternRules[pattern]!;
    for (let i = 0; i < owners.length; i++) {
      const code = owners[i]!;
      const rule = code >> 3;
      if (stamps[rule] !== epoch) {
        stamps[rule] = epoch;
        masks[rule] = 0;
      }
      const before = masks[rule]!;
      const after = before | (1 << (code & 7));
      if (after === before) continue;
      masks[rule] = after;
      if (after === currentRequired[rule]) candidates[candidateCount++] = rule;
    }
  };

  function scan(field: FieldIndex, event: DetectEvent): void {
    // Lower-cased once per event and field: rule evaluation reads the same cached text.
    const value = lowerTextAt(event, field.accessor, field.slot);
    if (value === null) return;
    if (typeof value === 'string') field.matcher.search(value, onPattern);
    else for (let i = 0; i < value.length; i++) field.matcher.search(value[i]!, onPattern);
  }

  return {
    name: 'indexed',
    ruleCount: rules.length,
    evaluate(events: readonly DetectEvent[]): Detection[] {
      const detections: Detection[] = [];
      for (const event of events) {
        const index = indexFor(String(event['event.category']));
        if (!index.rules.length) continue;
        if (stamps.length < index.rules.length) {
          stamps = new Uint32Array(index.rules.length * 2);
          masks = new Int32Array(index.rules.length * 2);
        }
        currentRequired = index.requiredMask;
        if (candidates.length < index.rules.length) candidates = new Int32Array(index.rules.length);
        if (++epoch === 0xffffffff) {
          stamps.fill(0);
          for (const field of index.fields) field.patternStamps.fill(0);
          epoch = 1;
        }
        candidateCount = 0;
        currentIndex = index;
        for (const field of index.fields) {
          currentPatternRules = field.rulesOfPattern;
          currentPatternStamps = field.patternStamps;
          scan(field, event);
        }
        for (let i = 0; i < index.always.length; i++) candidates[candidateCount++] = index.always[i]!;
        // Rule order (= the naive engine's order), so both engines report identically.
        const selected = candidates.subarray(0, candidateCount).sort();
        for (const ruleIndex of selected) {
          const compiled = currentIndex.rules[ruleIndex]!;
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
        for (const field of index.fields) states += field.matcher.stateCount;
      }
      return { categories: indexes.size, prefilteredRules: prefiltered, alwaysEvaluatedRules: alwaysEvaluated, automatonStates: states };
    },
  };
}
