// Compiles the rule files of the detection database into rules and correlations, for the service (load report, rule
// views, retro-hunts) and for the detection worker (the streaming engine). Reads SQLite only; never evaluates events.

import type { CompiledRule, LoadProblem, SigmaCorrelation } from '@vigil/detect';
import { createCorrelationEngine, type CorrelationEngine } from '@vigil/detect/sigma/correlation-engine';
import { loadSigmaRules } from '@vigil/detect/sigma/index';
import type { SigmaMapping } from '@vigil/detect/mapping/index';
import type { DetectionDb } from './detection-db.js';

export interface RuleEntry {
  compiled?: CompiledRule;
  correlation?: SigmaCorrelation;
  pack: string;
  file: string;
}

export interface CompiledRuleSet {
  files: number;
  rules: readonly CompiledRule[];
  correlations: readonly SigmaCorrelation[];
  deprecated: number;
  unsupported: number;
  /** Enabled rules and correlations only. */
  activeRules: CompiledRule[];
  activeCorrelations: SigmaCorrelation[];
  /** A fresh correlation engine over the enabled correlations (state empty), or undefined when there are none. */
  correlation: CorrelationEngine | undefined;
  byId: Map<string, RuleEntry>;
  problems: LoadProblem[];
}

/** Every rule file of every pack, compiled; disabled rules are left out of the active lists. */
export function compileRuleFiles(db: DetectionDb, mapping: SigmaMapping): CompiledRuleSet {
  const files = db.ruleFiles();
  const disabled = db.disabledRules();
  const set = loadSigmaRules(
    files.map((f) => ({ file: `${f.pack}/${f.file}`, text: f.text })),
    { resolver: mapping.resolver, router: mapping.router },
  );
  const byId = new Map<string, RuleEntry>();
  const packOf = (file: string) => ({ pack: file.split('/')[0]!, file: file.slice(file.indexOf('/') + 1) });
  for (const compiled of set.rules) byId.set(compiled.rule.id, { compiled, ...packOf(compiled.rule.file) });
  for (const c of set.correlations) byId.set(c.id, { correlation: c, ...packOf(c.file) });
  const activeRules = set.rules.filter((r) => !disabled.has(r.rule.id));
  const activeCorrelations = set.correlations.filter((c) => !disabled.has(c.id));
  const problems = [...set.problems];
  let correlation: CorrelationEngine | undefined;
  if (activeCorrelations.length) {
    const built = createCorrelationEngine({ correlations: activeCorrelations, rules: activeRules.map((r) => r.rule), resolver: mapping.resolver });
    correlation = built.engine;
    problems.push(...built.problems);
  }
  return {
    files: set.files,
    rules: set.rules,
    correlations: set.correlations,
    deprecated: set.deprecated,
    unsupported: set.unsupported,
    activeRules,
    activeCorrelations,
    correlation,
    byId,
    problems,
  };
}
