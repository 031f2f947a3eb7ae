// The streaming engine: rules indexed by event category; per category, one Aho-Corasick automaton per field over
// every rule's required literals selects the candidate rules, and only those (plus rules without literals) are evaluated.
// It must report exactly what the naive engine reports (conformance suite); it never mutates events.

import type { CompiledRule, DetectEvent, Detection, FieldAccessor } from '../core.js';
import { buildAhoCorasick, type MultiPatternMatcher } from './aho-corasick.js';
import { detectionOf, routesCategory, type RuleEngine, type RuleEngineOptions } from './rule-engine.js';

interface FieldIndex {
  accessor: FieldAccessor;
  matcher: MultiPatternMatcher;
  /** Rules (indexes into the category's rule list) per pattern index. */
  rulesOfPattern: Int32Array[];
}

interface CategoryIndex {
  rules: CompiledRule[];
  /** Rules without a literal requirement: evaluated for every event of the category. */
  always: Int32Array;
  fields: FieldIndex[];
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
    const perField = new Map<string, { accessor: FieldAccessor; needles: Map<string, Set<number>> }>();
    categoryRules.forEach((compiled, ruleIndex) => {
      if (!compiled.anyOf?.length) {
        always.push(ruleIndex);
        return;
      }
      for (const { accessor, needle } of compiled.anyOf) {
        let field = perField.get(accessor.key);
        if (!field) perField.set(accessor.key, (field = { accessor, needles: new Map() }));
        let owners = field.needles.get(needle);
        if (!owners) field.needles.set(needle, (owners = new Set()));
        owners.add(ruleIndex);
      }
    });
    const fields: FieldIndex[] = [...perField.values()].map(({ accessor, needles }) => {
      const patterns = [...needles.keys()];
      return { accessor, matcher: buildAhoCorasick(patterns), rulesOfPattern: patterns.map((p) => Int32Array.from(needles.get(p)!)) };
    });
    return { rules: categoryRules, always: Int32Array.from(always), fields };
  }

  function indexFor(category: string): CategoryIndex {
    let index = indexes.get(category);
    if (!index) indexes.set(category, (index = buildIndex(category)));
    return index;
  }

  // Candidate marking without clearing: a rule is a candidate for the current event when its stamp equals `epoch`.
  let stamps = new Uint32Array(16);
  let epoch = 0;
  const candidates: number[] = [];
  let currentIndex: CategoryIndex | undefined;
  let currentPatternRules: Int32Array[] = [];
  const onPattern = (pattern: number) => {
    const owners = currentPatternRules[pattern]!;
    for (let i = 0; i < owners.length; i++) {
      const rule = owners[i]!;
      if (stamps[rule] !== epoch) {
        stamps[rule] = epoch;
        candidates.push(rule);
      }
    }
  };

  function scan(field: FieldIndex, value: unknown): void {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const element of value) scan(field, element);
      return;
    }
    if (typeof value === 'object') return;
    field.matcher.search(String(value).toLowerCase(), onPattern);
  }

  return {
    name: 'indexed',
    ruleCount: rules.length,
    evaluate(events: readonly DetectEvent[]): Detection[] {
      const detections: Detection[] = [];
      for (const event of events) {
        const index = indexFor(String(event['event.category']));
        if (!index.rules.length) continue;
        if (stamps.length < index.rules.length) stamps = new Uint32Array(index.rules.length * 2);
        if (++epoch === 0xffffffff) {
          stamps.fill(0);
          epoch = 1;
        }
        candidates.length = 0;
        currentIndex = index;
        for (const field of index.fields) {
          currentPatternRules = field.rulesOfPattern;
          scan(field, field.accessor.get(event));
        }
        for (let i = 0; i < index.always.length; i++) candidates.push(index.always[i]!);
        candidates.sort((a, b) => a - b);
        for (const ruleIndex of candidates) {
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
