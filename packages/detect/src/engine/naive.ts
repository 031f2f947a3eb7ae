// The baseline engine: every rule's full predicate on every event (after its logsource category check).
// Exists to measure the indexed engine against and to check that both detect exactly the same things.

import type { DetectEvent, Detection } from '../core.js';
import { detectionOf, routesCategory, type RuleEngine, type RuleEngineOptions } from './rule-engine.js';

export function createNaiveEngine(options: RuleEngineOptions): RuleEngine {
  const { rules, suppressed, onMatch } = options;
  return {
    name: 'naive',
    ruleCount: rules.length,
    evaluate(events: readonly DetectEvent[]): Detection[] {
      const detections: Detection[] = [];
      for (const event of events) {
        const category = String(event['event.category']);
        for (const compiled of rules) {
          if (!routesCategory(compiled, category)) continue;
          const hits = compiled.match(event);
          if (!hits) continue;
          onMatch?.(compiled.rule, event, hits);
          if (!suppressed?.has(compiled.rule.id)) detections.push(detectionOf(compiled.rule, event, hits));
        }
      }
      return detections;
    },
  };
}
