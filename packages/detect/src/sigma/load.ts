// The Sigma load pipeline: parse every source, apply filters, compile, check correlations, count and report.
// Never lets one bad rule block the others, and never throws for anything found in the rule texts.

import type { CompiledRule, LoadProblem, SigmaCondition, SigmaCorrelation, SigmaRule, SigmaSearch } from '../core.js';
import { compileSigmaRule } from './compile.js';
import type { CompileOptions } from './compile.js';
import { searchNamesMatching } from './condition.js';
import { deprecatedDocumentsOf, parseSigmaFile } from './parse.js';
import type { SigmaFilter } from './parse.js';
import type { RuleSource } from './rule-files.js';

export interface SigmaRuleSet {
  rules: CompiledRule[];
  correlations: SigmaCorrelation[];
  problems: LoadProblem[];
  files: number;
  deprecated: number;
  unsupported: number;
}

/**
 * parse every source, apply filters (AND NOT onto the rules they name), compile; deprecated rules skipped (counted) unless includeDeprecated.
 * A skipped deprecated rule is not checked either: its problems are left out, and one that does not parse still counts as deprecated.
 */
export function loadSigmaRules(sources: readonly RuleSource[], options: CompileOptions & { includeDeprecated?: boolean }): SigmaRuleSet {
  const set: SigmaRuleSet = { rules: [], correlations: [], problems: [], files: sources.length, deprecated: 0, unsupported: 0 };
  const rules: SigmaRule[] = [];
  const correlations: SigmaCorrelation[] = [];
  const filters: SigmaFilter[] = [];
  for (const source of sources) {
    const parsed = parseSigmaFile(source);
    rules.push(...parsed.rules);
    correlations.push(...parsed.correlations);
    filters.push(...parsed.filters);
    if (options.includeDeprecated) set.problems.push(...parsed.problems);
    else {
      const deprecated = deprecatedDocumentsOf(parsed);
      set.deprecated += deprecated.dropped;
      set.problems.push(...parsed.problems.filter((found) => !deprecated.problems.has(found)));
    }
  }

  const known = new Set<string>();
  for (const item of [...rules, ...correlations]) {
    known.add(item.id);
    if (item.name !== undefined) known.add(item.name);
  }
  const filtersByRule = new Map<string, SigmaFilter[]>();
  for (const filter of filters) {
    for (const reference of filter.rules) {
      if (!known.has(reference)) {
        set.problems.push({
          severity: 'warning',
          code: 'unknown_rule',
          message: `filter '${filter.title}' names rule '${reference}', which is not loaded`,
          location: filter.location,
          ruleId: filter.id,
          ruleTitle: filter.title,
        });
      }
      const list = filtersByRule.get(reference) ?? [];
      if (!list.includes(filter)) list.push(filter);
      filtersByRule.set(reference, list);
    }
  }

  const seenIds = new Map<string, string>();
  for (const rule of rules) {
    if (rule.status === 'deprecated') {
      set.deprecated++;
      if (!options.includeDeprecated) continue;
    }
    const firstFile = seenIds.get(rule.id);
    if (firstFile !== undefined) {
      set.problems.push({
        severity: 'warning',
        code: 'duplicate_id',
        message: `rule id ${rule.id} is also used in ${firstFile}`,
        location: rule.location,
        ruleId: rule.id,
        ruleTitle: rule.title,
      });
    } else seenIds.set(rule.id, rule.file);
    const applicable = [...(filtersByRule.get(rule.id) ?? []), ...(rule.name !== undefined ? (filtersByRule.get(rule.name) ?? []) : [])];
    const filtered = applicable.length > 0 ? applyFilters(rule, [...new Set(applicable)]) : rule;
    const { compiled, problems } = compileSigmaRule(filtered, options);
    set.problems.push(...problems);
    if (!compiled) continue;
    if (!compiled.route) set.unsupported++;
    set.rules.push(compiled);
  }

  for (const correlation of correlations) {
    const missing = correlation.rules.filter((reference) => !known.has(reference));
    if (missing.length > 0) {
      set.problems.push({
        severity: 'error',
        code: 'unknown_rule',
        message: `correlation refers to unknown rule(s) ${missing.map((reference) => `'${reference}'`).join(', ')}`,
        location: correlation.location,
        ruleId: correlation.id,
        ruleTitle: correlation.title,
      });
      continue;
    }
    set.correlations.push(correlation);
  }
  return set;
}

/**
 * `rule AND NOT filter` for each filter. Filter searches are renamed with a leading `_` (so the rule's `them` never
 * covers them) and `x of` patterns in the filter are expanded against the filter's own searches first.
 */
function applyFilters(rule: SigmaRule, filters: readonly SigmaFilter[]): SigmaRule {
  const searches = new Map<string, SigmaSearch>(rule.searches);
  const operands: SigmaCondition[] = [rule.condition];
  filters.forEach((filter, index) => {
    const prefix = `_filter${index}_`;
    for (const [name, search] of filter.searches) searches.set(prefix + name, search);
    operands.push({ kind: 'not', operand: renameSearches(filter.condition, [...filter.searches.keys()], prefix) });
  });
  return { ...rule, searches, condition: { kind: 'and', operands } };
}

function renameSearches(condition: SigmaCondition, names: readonly string[], prefix: string): SigmaCondition {
  switch (condition.kind) {
    case 'search':
      return { ...condition, name: prefix + condition.name };
    case 'not':
      return { kind: 'not', operand: renameSearches(condition.operand, names, prefix) };
    case 'and':
    case 'or':
      return { kind: condition.kind, operands: condition.operands.map((operand) => renameSearches(operand, names, prefix)) };
    case 'of': {
      const operands: SigmaCondition[] = searchNamesMatching(condition.pattern, names).map((name) => ({
        kind: 'search',
        name: prefix + name,
        location: condition.location,
      }));
      return { kind: condition.quantifier === 'all' ? 'and' : 'or', operands };
    }
  }
}

/** For errors to show a person: `file:line:col severity code message`. */
export function formatProblem(problem: LoadProblem): string {
  const { file, line, column } = problem.location;
  return `${file}:${line}:${column} ${problem.severity} ${problem.code} ${problem.message}`;
}
