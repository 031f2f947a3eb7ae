// Operator filters, Sysmon style: include and exclude rule groups per event category (and optionally action); an
// event of a category with include rules is kept only when one matches; any matching exclude drops it.
// Evaluated in the agent before spooling: one map lookup for a category without rules, closures compiled once.

import { compileCidr } from '@vigil/detect/sigma/modifiers';
import { globToRegExp } from '@vigil/common';

export interface MatcherSpec {
  equals?: (string | number | boolean)[];
  prefix?: string[];
  suffix?: string[];
  contains?: string[];
  glob?: string[];
  cidr?: string[];
}

export interface FilterRuleSpec {
  name?: string;
  onmatch: 'include' | 'exclude';
  /** Category names, or '*' for every category. */
  categories: readonly string[] | '*';
  /** Only events with one of these actions; every action when absent. */
  actions?: readonly string[];
  /** Every condition must hold (AND); an empty list matches every event of the categories and actions. */
  conditions: { field: string; matcher: MatcherSpec }[];
}

export interface EventFilter {
  /** Whether the event is kept; counts it as collected or filtered under its category. */
  accept(event: Record<string, unknown>): boolean;
  /** `collected.<category>` and `filtered.<category>` since start, and `filtered` in total. */
  counters(): Record<string, number>;
  readonly ruleCount: number;
}


type Test = (value: string) => boolean;

/** One closure for a matcher: every kind present must hold (AND), each kind holds when one of its values does (OR). */
export function compileMatcher(spec: MatcherSpec): Test {
  const tests: Test[] = [];
  if (spec.equals?.length) {
    const set = new Set(spec.equals.map(String));
    tests.push((v) => set.has(v));
  }
  if (spec.prefix?.length) {
    const list = spec.prefix;
    tests.push((v) => list.some((p) => v.startsWith(p)));
  }
  if (spec.suffix?.length) {
    const list = spec.suffix;
    tests.push((v) => list.some((s) => v.endsWith(s)));
  }
  if (spec.contains?.length) {
    const list = spec.contains;
    tests.push((v) => list.some((s) => v.includes(s)));
  }
  if (spec.glob?.length) {
    const list = spec.glob.map(globToRegExp);
    tests.push((v) => list.some((r) => r.test(v)));
  }
  if (spec.cidr?.length) {
    const list = spec.cidr.map((c) => compileCidr(c)).filter((f): f is (a: string) => boolean => f !== undefined);
    tests.push((v) => list.some((f) => f(v)));
  }
  if (tests.length === 1) return tests[0]!;
  return (v) => tests.every((t) => t(v));
}

interface CompiledRule {
  name: string;
  actions?: ReadonlySet<string>;
  conditions: { field: string; test: Test }[];
}

function ruleMatches(rule: CompiledRule, event: Record<string, unknown>): boolean {
  for (const { field, test } of rule.conditions) {
    const value = event[field];
    if (value === undefined || value === null) return false;
    if (Array.isArray(value)) {
      if (!value.some((item) => item !== null && test(String(item)))) return false;
    } else if (!test(String(value))) return false;
  }
  return true;
}

interface CategoryRules {
  include: CompiledRule[];
  exclude: CompiledRule[];
}

/** Compiles validated rules (see agent-config.ts for the file format) into a filter for the agent's sink. */
export function compileFilters(rules: readonly FilterRuleSpec[], allCategories: readonly string[]): EventFilter {
  const byCategory = new Map<string, CategoryRules>();
  rules.forEach((rule, index) => {
    const compiled: CompiledRule = {
      name: rule.name ?? `rule ${index + 1}`,
      ...(rule.actions?.length ? { actions: new Set(rule.actions) } : {}),
      conditions: rule.conditions.map(({ field, matcher }) => ({ field, test: compileMatcher(matcher) })),
    };
    for (const category of rule.categories === '*' ? allCategories : rule.categories) {
      let set = byCategory.get(category);
      if (!set) byCategory.set(category, (set = { include: [], exclude: [] }));
      set[rule.onmatch].push(compiled);
    }
  });
  /** Rules that apply to one category and action, computed once per pair. */
  const forAction = new Map<string, CategoryRules | null>();
  const applicable = (category: string, action: string): CategoryRules | null => {
    const key = `${category}\u0000${action}`;
    let found = forAction.get(key);
    if (found === undefined) {
      const set = byCategory.get(category)!;
      const keep = (r: CompiledRule) => !r.actions || r.actions.has(action);
      const include = set.include.filter(keep);
      const exclude = set.exclude.filter(keep);
      found = include.length || exclude.length ? { include, exclude } : null;
      forAction.set(key, found);
    }
    return found;
  };
  const kept = new Map<string, number>();
  const dropped = new Map<string, number>();
  let droppedTotal = 0;
  const count = (map: Map<string, number>, category: string) => map.set(category, (map.get(category) ?? 0) + 1);
  return {
    ruleCount: rules.length,
    accept(event) {
      const category = String(event['event.category'] ?? '');
      let keep = true;
      if (byCategory.has(category)) {
        const rulesFor = applicable(category, String(event['event.action'] ?? ''));
        if (rulesFor) {
          if (rulesFor.exclude.some((rule) => ruleMatches(rule, event))) keep = false;
          else if (rulesFor.include.length && !rulesFor.include.some((rule) => ruleMatches(rule, event))) keep = false;
        }
      }
      if (keep) count(kept, category);
      else {
        count(dropped, category);
        droppedTotal++;
      }
      return keep;
    },
    counters() {
      const out: Record<string, number> = { filtered: droppedTotal };
      for (const [category, n] of kept) out[`collected.${category}`] = n;
      for (const [category, n] of dropped) out[`filtered.${category}`] = n;
      return out;
    },
  };
}
