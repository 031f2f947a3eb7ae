// The stateful Sigma correlation engine: consumes matches of referenced rules (in event time) and emits correlation detections.
// It must never read wall-clock time, never scan all of its state on a single match, and never hold more than `maxGroups` groups per correlation.

import type {
  Detection,
  DetectEvent,
  FieldHit,
  FieldResolver,
  LoadProblem,
  SigmaCorrelation,
  SigmaMeta,
  SigmaRule,
} from '../core.js';

export interface BaseRuleMatch {
  /** The matched detection rule, or a correlation (then `event` is read as that correlation's `Detection.group`). */
  rule: SigmaMeta;
  event: DetectEvent;
  /** Event time, ms since epoch. */
  timeMs: number;
  hostId: string;
}

export interface CorrelationCounters {
  /** Groups dropped (with their state) because a correlation already held `maxGroups` groups. */
  evictedGroups: number;
  /** Matches ignored because they were older than their group's current window (more than a timespan behind it). */
  lateMatches: number;
}

/**
 * Window semantics (per correlation and group):
 * - gt/gte conditions and temporal types are judged on the group's last timespan, [newest - timespan, newest], where
 *   newest is the latest event time seen in the group. They fire on the match that makes the condition hold; the group's
 *   state then restarts. Late matches inside that window count; older ones are ignored and counted as `lateMatches`.
 * - lt/lte/eq conditions use a window of one timespan opened by the group's first match; it is decided when it closes
 *   (a later match beyond it, or `expire`). Late matches before the window's start count in it.
 * - A group-by value that is missing from a match groups under null (the specification says nothing; SQL backends group
 *   NULLs together the same way). value_count ignores matches whose counted field is missing, like COUNT(DISTINCT).
 * Lifecycle: single-threaded; `observe` and `expire` may be called in any order, `expire` typically once a second with
 * the caller's event-time watermark (no later match is expected to be older than `nowMs`).
 * Cost: `observe` is O(1) amortised per listening correlation for in-order matches (plus the number of rules for
 * temporal_ordered); a late match costs the number of newer timestamps it is inserted behind. `expire` visits only
 * the groups it frees (groups are kept in update order), plus one per correlation.
 */
export interface CorrelationEngine {
  /** Feeds one match of a referenced rule; returns the correlation detections it completes (possibly of chained correlations). */
  observe(match: BaseRuleMatch): Detection[];
  /** Closes windows that ended before `nowMs` (event time), emitting detections of lt/lte conditions that held, and frees state. */
  expire(nowMs: number): Detection[];
  /** Rule ids (and names) that correlations listen to: the caller feeds only these. */
  readonly referencedRules: ReadonlySet<string>;
  /** Rule ids whose own alerts are suppressed (referenced by a correlation with generate: false and not referenced with generate: true). */
  readonly suppressedRules: ReadonlySet<string>;
  /** Groups and timestamps held, for metrics and tests. */
  stateSize(): number;
  /** Running totals since creation, for metrics. */
  counters(): CorrelationCounters;
}

const defaultMaxGroups = 100_000;
const maxEventIds = 100;

/** What one match (or one inner correlation detection) contributes to a correlation. */
interface Contribution {
  timeMs: number;
  hostId: string;
  eventIds: readonly string[];
  /** A base rule's event, or an inner correlation's group (read by field name). */
  source: { kind: 'event'; event: DetectEvent } | { kind: 'group'; group: Readonly<Record<string, unknown>> };
}

type Reader = (contribution: Contribution) => unknown;

/** How one correlation reads the matches of one referenced rule. */
interface Binding {
  runtime: Runtime;
  groupReaders: Reader[];
  /** value_count: reads the counted field. */
  valueReader: Reader | undefined;
  /** temporal: the distinct key of the referenced rule. */
  targetKey: string;
  /** temporal_ordered: positions of the referenced rule in `rules`, descending. */
  steps: number[];
}

interface Slot {
  timeMs: number;
  key: string | undefined;
  contribution: Contribution;
  prev: Slot | undefined;
  next: Slot | undefined;
}

/** A list of slots kept sorted by time; inserting walks back from the newest, so in-order inserts are O(1). */
class TimeOrderedSlots {
  head: Slot | undefined;
  tail: Slot | undefined;
  size = 0;

  insert(slot: Slot): void {
    let after = this.tail;
    while (after && after.timeMs > slot.timeMs) after = after.prev;
    slot.prev = after;
    slot.next = after ? after.next : this.head;
    if (slot.next) slot.next.prev = slot;
    else this.tail = slot;
    if (after) after.next = slot;
    else this.head = slot;
    this.size += 1;
  }

  remove(slot: Slot): void {
    if (slot.prev) slot.prev.next = slot.next;
    else this.head = slot.next;
    if (slot.next) slot.next.prev = slot.prev;
    else this.tail = slot.prev;
    slot.prev = undefined;
    slot.next = undefined;
    this.size -= 1;
  }

  clear(): void {
    this.head = undefined;
    this.tail = undefined;
    this.size = 0;
  }

  contributions(): Contribution[] {
    const out: Contribution[] = [];
    for (let slot = this.head; slot; slot = slot.next) out.push(slot.contribution);
    return out;
  }
}

/** event_count, value_count and temporal: one slot per event, per distinct value, or per distinct referenced rule. */
interface WindowGroup {
  kind: 'window';
  values: unknown[];
  /** Latest event time seen in the group (threshold mode). */
  newestMs: number;
  /** Start of the current window (closing mode). */
  startMs: number;
  slots: TimeOrderedSlots;
  byKey: Map<string, Slot>;
  /** Closing mode: the count passed the condition's value, so this window can no longer hold. */
  exceeded: boolean;
}

interface Chain {
  startMs: number;
  endMs: number;
  contributions: Contribution[];
}

/** temporal_ordered: for each prefix of `rules`, the matching chain with the latest start. */
interface ChainGroup {
  kind: 'chain';
  values: unknown[];
  newestMs: number;
  best: (Chain | undefined)[];
}

type Group = WindowGroup | ChainGroup;

interface Runtime {
  correlation: SigmaCorrelation;
  /** threshold: gt/gte and temporal; closing: lt/lte/eq; ordered: temporal_ordered. */
  mode: 'threshold' | 'closing' | 'ordered';
  operator: 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
  value: number;
  groups: Map<string, Group>;
  suppressed: boolean;
  hostGroupIndex: number;
}

function conditionHolds(operator: Runtime['operator'], count: number, value: number): boolean {
  switch (operator) {
    case 'gt':
      return count > value;
    case 'gte':
      return count >= value;
    case 'lt':
      return count < value;
    case 'lte':
      return count <= value;
    case 'eq':
      return count === value;
  }
}

function valueKey(value: unknown): string {
  return typeof value === 'string' ? `s${value}` : `j${JSON.stringify(value)}`;
}

function problem(correlation: SigmaCorrelation, severity: LoadProblem['severity'], code: string, message: string): LoadProblem {
  return { severity, code, message, location: correlation.location, ruleId: correlation.id, ruleTitle: correlation.title };
}

type Target = { kind: 'detection'; rule: SigmaRule } | { kind: 'correlation'; correlation: SigmaCorrelation };

function targetMeta(target: Target): SigmaMeta {
  return target.kind === 'detection' ? target.rule : target.correlation;
}

export function createCorrelationEngine(input: {
  correlations: readonly SigmaCorrelation[];
  rules: readonly SigmaRule[];
  resolver: FieldResolver;
  maxGroups?: number;
}): { engine: CorrelationEngine; problems: LoadProblem[] } {
  const problems: LoadProblem[] = [];
  const maxGroups = Math.max(1, input.maxGroups ?? defaultMaxGroups);

  const byId = new Map<string, Target>();
  const byName = new Map<string, Target>();
  const index = (target: Target): void => {
    const meta = targetMeta(target);
    if (!byId.has(meta.id)) byId.set(meta.id, target);
    if (meta.name !== undefined && !byName.has(meta.name)) byName.set(meta.name, target);
  };
  for (const rule of input.rules) index({ kind: 'detection', rule });
  for (const correlation of input.correlations) index({ kind: 'correlation', correlation });
  const lookup = (reference: string): Target | undefined => byId.get(reference) ?? byName.get(reference);

  // Validation of each correlation on its own.
  const valid = new Set<SigmaCorrelation>();
  for (const correlation of input.correlations) {
    const before = problems.length;
    if (correlation.rules.length === 0) {
      problems.push(problem(correlation, 'error', 'missing_field', 'correlation refers to no rules'));
    }
    if (!(Number.isFinite(correlation.timespanMs) && correlation.timespanMs > 0)) {
      problems.push(problem(correlation, 'error', 'invalid_value', `timespan must be positive, got ${correlation.timespanMs} ms`));
    }
    if ((correlation.type === 'event_count' || correlation.type === 'value_count') && !correlation.condition) {
      problems.push(problem(correlation, 'error', 'missing_field', `a ${correlation.type} correlation needs a condition`));
    }
    if (correlation.type === 'value_count' && correlation.condition && !correlation.condition.field) {
      problems.push(problem(correlation, 'error', 'missing_field', 'a value_count condition needs a field'));
    }
    for (const reference of correlation.rules) {
      if (!lookup(reference)) {
        problems.push(problem(correlation, 'error', 'unknown_rule_reference', `correlation refers to unknown rule '${reference}'`));
      }
    }
    if (problems.length === before) valid.add(correlation);
  }

  // Cycles and dependencies on dropped correlations (depth-first, three colours).
  const state = new Map<SigmaCorrelation, 'visiting' | 'kept' | 'dropped'>();
  const visit = (correlation: SigmaCorrelation, path: SigmaCorrelation[]): boolean => {
    const seen = state.get(correlation);
    if (seen === 'kept') return true;
    if (seen === 'dropped') return false;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(correlation)), correlation].map((c) => c.name ?? c.id).join(' -> ');
      for (const member of path.slice(path.indexOf(correlation))) {
        if (state.get(member) !== 'dropped') {
          problems.push(problem(member, 'error', 'correlation_cycle', `correlations refer to each other in a cycle: ${cycle}`));
          state.set(member, 'dropped');
        }
      }
      return false;
    }
    if (!valid.has(correlation)) {
      state.set(correlation, 'dropped');
      return false;
    }
    state.set(correlation, 'visiting');
    let usable = true;
    for (const reference of correlation.rules) {
      const target = lookup(reference);
      if (target?.kind !== 'correlation') continue;
      if (!visit(target.correlation, [...path, correlation])) {
        usable = false;
        if (state.get(correlation) !== 'dropped') {
          problems.push(
            problem(correlation, 'error', 'unusable_rule_reference', `referenced correlation '${reference}' was dropped`),
          );
        }
      }
    }
    if (state.get(correlation) === 'dropped') return false;
    state.set(correlation, usable ? 'kept' : 'dropped');
    return usable;
  };
  for (const correlation of input.correlations) visit(correlation, []);
  const kept = input.correlations.filter((c) => state.get(c) === 'kept');

  // Suppression (Sigma `generate`).
  const generated = new Set<string>();
  const notGenerated = new Set<string>();
  for (const correlation of kept) {
    for (const reference of correlation.rules) {
      const target = lookup(reference);
      if (target) (correlation.generate ? generated : notGenerated).add(targetMeta(target).id);
    }
  }
  const suppressedRules = new Set([...notGenerated].filter((id) => !generated.has(id)));

  // Runtimes and bindings.
  const listeners = new Map<string, Binding[]>();
  const referencedRules = new Set<string>();
  const runtimes: Runtime[] = [];
  for (const correlation of kept) {
    const distinctTargets = new Set(correlation.rules.map((reference) => targetMeta(lookup(reference) as Target).id));
    let mode: Runtime['mode'];
    let operator: Runtime['operator'];
    let value: number;
    if (correlation.type === 'temporal_ordered') {
      mode = 'ordered';
      operator = 'gte';
      value = correlation.rules.length;
      const condition = correlation.condition;
      if (condition && !(condition.operator === 'gte' && condition.value === correlation.rules.length)) {
        problems.push(
          problem(correlation, 'warning', 'unsupported_condition', 'temporal_ordered fires only when every rule matched in order; its condition is ignored'),
        );
      }
    } else {
      const condition = correlation.condition ?? { operator: 'gte' as const, value: distinctTargets.size };
      operator = condition.operator;
      value = condition.value;
      mode = operator === 'gt' || operator === 'gte' ? 'threshold' : 'closing';
    }
    const runtime: Runtime = {
      correlation,
      mode,
      operator,
      value,
      groups: new Map(),
      suppressed: suppressedRules.has(correlation.id),
      hostGroupIndex: correlation.groupBy.indexOf('host.id'),
    };
    runtimes.push(runtime);

    const bound = new Map<string, Binding>();
    correlation.rules.forEach((reference, position) => {
      const target = lookup(reference) as Target;
      const meta = targetMeta(target);
      const existing = bound.get(meta.id);
      if (existing) {
        existing.steps.unshift(position);
        return;
      }
      const fieldFor = (name: string): string => {
        const alias = correlation.aliases.get(name);
        return alias?.get(reference) ?? alias?.get(meta.id) ?? (meta.name === undefined ? undefined : alias?.get(meta.name)) ?? name;
      };
      const reader = (name: string): Reader => {
        const field = fieldFor(name);
        if (target.kind === 'correlation') {
          return (c) => (c.source.kind === 'group' ? c.source.group[field] : c.source.event[field]) ?? null;
        }
        const accessor = input.resolver.resolve(field, target.rule.logsource);
        if (!accessor) {
          problems.push(
            problem(correlation, 'warning', 'unknown_field', `field '${field}' cannot exist in events of rule '${reference}'; its matches group under null`),
          );
          return () => null;
        }
        return (c) => (c.source.kind === 'event' ? accessor.get(c.source.event) : c.source.group[field]) ?? null;
      };
      const binding: Binding = {
        runtime,
        groupReaders: correlation.groupBy.map(reader),
        valueReader: correlation.type === 'value_count' && correlation.condition?.field ? reader(correlation.condition.field) : undefined,
        targetKey: meta.id,
        steps: [position],
      };
      bound.set(meta.id, binding);
      const list = listeners.get(meta.id) ?? [];
      list.push(binding);
      listeners.set(meta.id, list);
      if (target.kind === 'detection') {
        referencedRules.add(meta.id);
        if (meta.name !== undefined) referencedRules.add(meta.name);
      }
    });
  }

  const counters: CorrelationCounters = { evictedGroups: 0, lateMatches: 0 };

  const buildDetection = (runtime: Runtime, values: unknown[], contributions: Contribution[]): Detection => {
    const ordered = [...contributions].sort((a, b) => a.timeMs - b.timeMs);
    const last = ordered[ordered.length - 1] as Contribution;
    const eventIds: string[] = [];
    for (const contribution of ordered) {
      for (const id of contribution.eventIds) {
        if (eventIds.length >= maxEventIds) break;
        eventIds.push(id);
      }
    }
    const group: Record<string, unknown> = {};
    const fields: FieldHit[] = [];
    runtime.correlation.groupBy.forEach((name, i) => {
      group[name] = values[i] ?? null;
      fields.push({ field: name, value: values[i] ?? null });
    });
    const groupHost = runtime.hostGroupIndex >= 0 ? values[runtime.hostGroupIndex] : null;
    const { id, title, level, tags } = runtime.correlation;
    return {
      rule: { id, title, level, tags },
      kind: 'correlation',
      hostId: groupHost === null || groupHost === undefined ? last.hostId : String(groupHost),
      eventIds,
      time: new Date(last.timeMs).toISOString(),
      fields,
      group,
    };
  };

  /** Emits a detection of `runtime` and feeds it to the correlations that refer to it. */
  const emit = (runtime: Runtime, values: unknown[], contributions: Contribution[], out: Detection[]): void => {
    const detection = buildDetection(runtime, values, contributions);
    if (!runtime.suppressed) out.push(detection);
    const downstream = listeners.get(runtime.correlation.id);
    if (!downstream) return;
    const contribution: Contribution = {
      timeMs: Date.parse(detection.time),
      hostId: detection.hostId,
      eventIds: detection.eventIds,
      source: { kind: 'group', group: detection.group ?? {} },
    };
    for (const binding of downstream) feed(binding, contribution, out);
  };

  const groupFor = (runtime: Runtime, values: unknown[], makeNew: () => Group): Group => {
    const key = JSON.stringify(values);
    let group = runtime.groups.get(key);
    if (group) {
      if (runtime.mode !== 'closing') {
        runtime.groups.delete(key);
        runtime.groups.set(key, group);
      }
      return group;
    }
    if (runtime.groups.size >= maxGroups) {
      const oldest = runtime.groups.keys().next();
      if (!oldest.done) {
        runtime.groups.delete(oldest.value);
        counters.evictedGroups += 1;
      }
    }
    group = makeNew();
    runtime.groups.set(key, group);
    return group;
  };

  const newWindowGroup = (values: unknown[], timeMs: number): WindowGroup => ({
    kind: 'window',
    values,
    newestMs: timeMs,
    startMs: timeMs,
    slots: new TimeOrderedSlots(),
    byKey: new Map(),
    exceeded: false,
  });

  const slotKey = (binding: Binding, contribution: Contribution): string | undefined | null => {
    switch (binding.runtime.correlation.type) {
      case 'value_count': {
        const value = binding.valueReader?.(contribution) ?? null;
        return value === null ? null : valueKey(value);
      }
      case 'temporal':
        return binding.targetKey;
      default:
        return undefined;
    }
  };

  /** Adds a contribution to a window's slots; a repeated key keeps only its latest contribution. */
  const addSlot = (group: WindowGroup, key: string | undefined, contribution: Contribution): void => {
    if (key !== undefined) {
      const previous = group.byKey.get(key);
      if (previous) {
        if (previous.timeMs >= contribution.timeMs) return;
        group.slots.remove(previous);
      }
    }
    const slot: Slot = { timeMs: contribution.timeMs, key, contribution, prev: undefined, next: undefined };
    group.slots.insert(slot);
    if (key !== undefined) group.byKey.set(key, slot);
  };

  const clearWindow = (group: WindowGroup): void => {
    group.slots.clear();
    group.byKey.clear();
  };

  const closeWindow = (runtime: Runtime, group: WindowGroup, out: Detection[]): void => {
    if (!group.exceeded && group.slots.size > 0 && conditionHolds(runtime.operator, group.slots.size, runtime.value)) {
      emit(runtime, group.values, group.slots.contributions(), out);
    }
    clearWindow(group);
    group.exceeded = false;
  };

  const feedThreshold = (binding: Binding, group: WindowGroup, contribution: Contribution, out: Detection[]): void => {
    const runtime = binding.runtime;
    const span = runtime.correlation.timespanMs;
    if (contribution.timeMs < group.newestMs - span) {
      counters.lateMatches += 1;
      return;
    }
    const key = slotKey(binding, contribution);
    if (key === null) return;
    addSlot(group, key, contribution);
    group.newestMs = Math.max(group.newestMs, contribution.timeMs);
    const horizon = group.newestMs - span;
    while (group.slots.head && group.slots.head.timeMs < horizon) {
      const stale = group.slots.head;
      group.slots.remove(stale);
      if (stale.key !== undefined) group.byKey.delete(stale.key);
    }
    if (conditionHolds(runtime.operator, group.slots.size, runtime.value)) {
      const contributions = group.slots.contributions();
      clearWindow(group);
      emit(runtime, group.values, contributions, out);
    }
  };

  const feedClosing = (binding: Binding, group: WindowGroup, contribution: Contribution, out: Detection[]): void => {
    const runtime = binding.runtime;
    if (contribution.timeMs > group.startMs + runtime.correlation.timespanMs) {
      closeWindow(runtime, group, out);
      group.startMs = contribution.timeMs;
      const key = JSON.stringify(group.values);
      runtime.groups.delete(key);
      runtime.groups.set(key, group);
    }
    if (group.exceeded) return;
    const key = slotKey(binding, contribution);
    if (key === null) return;
    addSlot(group, key, contribution);
    if (group.slots.size > runtime.value) {
      group.exceeded = true;
      clearWindow(group);
    }
  };

  const feedOrdered = (binding: Binding, group: ChainGroup, contribution: Contribution, out: Detection[]): void => {
    const runtime = binding.runtime;
    const span = runtime.correlation.timespanMs;
    const t = contribution.timeMs;
    if (t < group.newestMs - span) {
      counters.lateMatches += 1;
      return;
    }
    group.newestMs = Math.max(group.newestMs, t);
    const last = group.best.length - 1;
    for (const step of binding.steps) {
      let candidate: Chain;
      if (step === 0) {
        candidate = { startMs: t, endMs: t, contributions: [contribution] };
      } else {
        const previous = group.best[step - 1];
        if (!previous || previous.endMs > t || previous.startMs < t - span) continue;
        candidate = { startMs: previous.startMs, endMs: t, contributions: [...previous.contributions, contribution] };
      }
      if (step === last) {
        group.best.fill(undefined);
        emit(runtime, group.values, candidate.contributions, out);
        return;
      }
      const current = group.best[step];
      if (!current || current.startMs < group.newestMs - span || candidate.startMs >= current.startMs) group.best[step] = candidate;
    }
    const horizon = group.newestMs - span;
    group.best.forEach((chain, i) => {
      if (chain && chain.startMs < horizon) group.best[i] = undefined;
    });
  };

  function feed(binding: Binding, contribution: Contribution, out: Detection[]): void {
    const runtime = binding.runtime;
    const values = binding.groupReaders.map((read) => read(contribution));
    if (runtime.mode === 'ordered') {
      const group = groupFor(runtime, values, () => ({
        kind: 'chain',
        values,
        newestMs: contribution.timeMs,
        best: runtime.correlation.rules.map(() => undefined),
      })) as ChainGroup;
      feedOrdered(binding, group, contribution, out);
      return;
    }
    const group = groupFor(runtime, values, () => newWindowGroup(values, contribution.timeMs)) as WindowGroup;
    if (runtime.mode === 'threshold') feedThreshold(binding, group, contribution, out);
    else feedClosing(binding, group, contribution, out);
  }

  const engine: CorrelationEngine = {
    referencedRules,
    suppressedRules,

    observe(match) {
      const out: Detection[] = [];
      const target = byId.get(match.rule.id) ?? (match.rule.name === undefined ? undefined : byName.get(match.rule.name));
      const bindings = target ? listeners.get(targetMeta(target).id) : undefined;
      if (!bindings) return out;
      const eventId = match.event['event.id'];
      const contribution: Contribution = {
        timeMs: match.timeMs,
        hostId: match.hostId,
        eventIds: typeof eventId === 'string' ? [eventId] : [],
        source: { kind: 'event', event: match.event },
      };
      for (const binding of bindings) feed(binding, contribution, out);
      return out;
    },

    expire(nowMs) {
      const out: Detection[] = [];
      for (const runtime of runtimes) {
        const span = runtime.correlation.timespanMs;
        for (const [key, group] of runtime.groups) {
          if (runtime.mode === 'closing') {
            const window = group as WindowGroup;
            if (window.startMs + span >= nowMs) break;
            runtime.groups.delete(key);
            closeWindow(runtime, window, out);
          } else {
            if (group.newestMs + span >= nowMs) break;
            runtime.groups.delete(key);
          }
        }
      }
      return out;
    },

    stateSize() {
      let size = 0;
      for (const runtime of runtimes) {
        for (const group of runtime.groups.values()) {
          size += 1;
          if (group.kind === 'window') size += group.slots.size;
          else for (const chain of group.best) size += chain ? chain.contributions.length : 0;
        }
      }
      return size;
    },

    counters() {
      return { ...counters };
    },
  };

  return { engine, problems };
}
