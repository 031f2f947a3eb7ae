// The seam between ingest and rule evaluation: events in, detections out. Implementations: `indexed` (the
// streaming engine: rules indexed by category, literal prefilters) and `naive` (every rule on every event, the baseline).

import type { CompiledRule, DetectEvent, Detection, FieldHit, SigmaMeta } from '../core.js';

/**
 * Lifecycle: built once from a rule set (rebuild to change rules); `evaluate` is synchronous, never throws for any
 * event, and may be called for batches of any size. Not safe for concurrent use from several threads.
 */
export interface RuleEngine {
  readonly name: string;
  readonly ruleCount: number;
  /** Detections of the events, in event order; an event matching several rules gives several detections. */
  evaluate(events: readonly DetectEvent[]): Detection[];
}

export interface RuleEngineOptions {
  rules: readonly CompiledRule[];
  /** Rule ids whose own detections are not reported (only fed to `onMatch`): Sigma correlation `generate: false`. */
  suppressed?: ReadonlySet<string>;
  /** Every match of a rule, before suppression: the hook for correlation engines. */
  onMatch?: (rule: SigmaMeta, event: DetectEvent, hits: FieldHit[]) => void;
}

export function detectionOf(rule: SigmaMeta, event: DetectEvent, hits: FieldHit[]): Detection {
  const pid = event['process.pid'];
  const entity = event['process.entity_id'];
  const time = event['@timestamp'];
  return {
    rule: { id: rule.id, title: rule.title, level: rule.level, tags: rule.tags },
    kind: 'sigma',
    hostId: String(event['host.id'] ?? ''),
    eventIds: typeof event['event.id'] === 'string' ? [event['event.id']] : [],
    time: typeof time === 'string' ? time : new Date().toISOString(),
    fields: hits,
    ...(typeof entity === 'string' ? { processKey: entity } : typeof pid === 'number' ? { processKey: String(pid) } : {}),
  };
}

/** Whether a compiled rule can see events of `category` at all (its logsource route). */
export function routesCategory(rule: CompiledRule, category: string): boolean {
  if (!rule.route) return false;
  return rule.route.categories === undefined || rule.route.categories.includes(category);
}
