// SigmaHQ's regression data: every test's events, mapped from their Windows rendering to Vigil events, must fire its
// rule with the expected match count. Exceptions must be listed in docs/sigma-compatibility.md (and still fail there).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath, repoRoot } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import type { DetectEvent } from '@vigil/detect';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { loadSigmaRules } from '@vigil/detect/sigma/index';
import { createIndexedEngine } from '@vigil/detect/engine/indexed';
import { createNaiveEngine } from '@vigil/detect/engine/naive';
import { mapWindowsEvent, parseConcatenatedJson, recordFromEvtxJson } from '@vigil/windows';

interface RegressionCase {
  ruleId: string;
  rulePath: string;
  jsonPath: string;
  matchCount: number | undefined;
}

function regressionCases(): RegressionCase[] {
  const index = readFileSync(corpusPath('sigma', 'regression_index.tsv'), 'utf8').trim().split('\n');
  const header = index[0]!.split('\t');
  const column = (name: string) => header.indexOf(name);
  return index.slice(1).map((line) => {
    const cells = line.split('\t');
    const count = cells[column('match_count')];
    return {
      ruleId: cells[column('rule_id')]!,
      rulePath: cells[column('rule_path')]!,
      jsonPath: cells[column('evtx_path')]!.replace(/\.evtx$/, '.json'),
      matchCount: count ? Number(count) : undefined,
    };
  });
}

/** Rule ids documented as known exceptions in docs/sigma-compatibility.md (a table row starting with the id in backticks). */
function documentedExceptions(): Map<string, string> {
  const file = join(repoRoot(), 'docs', 'sigma-compatibility.md');
  const exceptions = new Map<string, string>();
  if (!existsSync(file)) return exceptions;
  for (const match of readFileSync(file, 'utf8').matchAll(/^\|\s*`([0-9a-f-]{36})`\s*\|([^|]*)\|([^|]*)\|/gm)) exceptions.set(match[1]!, match[3]!.trim());
  return exceptions;
}

function eventsOf(jsonFile: string): DetectEvent[] {
  const values = parseConcatenatedJson(readFileSync(jsonFile, 'utf8'), jsonFile);
  return values.map((value, i) => {
    const event: Record<string, unknown> = { ...mapWindowsEvent(recordFromEvtxJson(value)), 'event.id': randomUUID(), 'event.sequence': i + 1, 'host.id': 'regression-host' };
    const check = checkEvent(event, `${jsonFile}[${i}]`);
    assert.ok(check.category, `${jsonFile}[${i}] does not map to a valid event: ${JSON.stringify(check.problems)}`);
    return event;
  });
}

test('SigmaHQ regression data: every test fires its rule with the expected match count', () => {
  const mapping = defaultSigmaMapping();
  const cases = regressionCases();
  assert.ok(cases.length >= 200, `only ${cases.length} regression cases found`);
  const exceptions = documentedExceptions();
  const failures: string[] = [];
  const exceptionPasses: string[] = [];
  let passed = 0;
  for (const item of cases) {
    const rulePath = corpusPath('sigma', item.rulePath);
    const set = loadSigmaRules([{ file: rulePath, text: readFileSync(rulePath, 'utf8') }], { resolver: mapping.resolver, router: mapping.router, includeDeprecated: true });
    const rule = set.rules.find((r) => r.rule.id === item.ruleId);
    let verdict: string | undefined;
    if (!rule) verdict = `rule not loaded: ${set.problems.map((p) => `${p.code} ${p.message}`).join('; ')}`;
    else {
      const events = eventsOf(corpusPath('sigma', item.jsonPath));
      const matches = createIndexedEngine({ rules: [rule] }).evaluate(events).length;
      const naive = createNaiveEngine({ rules: [rule] }).evaluate(events).length;
      if (matches !== naive) verdict = `indexed engine found ${matches}, naive ${naive}`;
      else if (item.matchCount !== undefined ? matches !== item.matchCount : matches === 0) verdict = `matched ${matches} of ${events.length} events, expected ${item.matchCount ?? 'at least 1'}`;
    }
    if (verdict && !exceptions.has(item.ruleId)) failures.push(`${item.ruleId} ${item.rulePath}: ${verdict}`);
    else if (!verdict && exceptions.has(item.ruleId)) exceptionPasses.push(item.ruleId);
    else if (!verdict) passed++;
  }
  console.log(`sigma regression: ${passed} passed, ${failures.length} failed, ${exceptions.size} documented exceptions, of ${cases.length}`);
  assert.deepEqual(failures, [], 'undocumented regression failures');
  assert.deepEqual(exceptionPasses, [], 'these documented exceptions now pass: remove them from docs/sigma-compatibility.md');
});

test('the indexed engine and the naive engine report the same detections for all corpus rules on all regression events', () => {
  const mapping = defaultSigmaMapping();
  const cases = regressionCases();
  const sources = [...new Set(cases.map((c) => c.rulePath))].map((path) => ({ file: path, text: readFileSync(corpusPath('sigma', path), 'utf8') }));
  const set = loadSigmaRules(sources, { resolver: mapping.resolver, router: mapping.router, includeDeprecated: true });
  const events = [...new Set(cases.map((c) => c.jsonPath))].flatMap((path) => eventsOf(corpusPath('sigma', path)));
  const key = (d: { rule: { id: string }; eventIds: string[] }) => `${d.rule.id} ${d.eventIds.join(',')}`;
  const indexed = createIndexedEngine({ rules: set.rules }).evaluate(events).map(key);
  const naive = createNaiveEngine({ rules: set.rules }).evaluate(events).map(key);
  assert.ok(naive.length >= cases.length * 0.9, `only ${naive.length} detections`);
  assert.deepEqual(indexed, naive);
});
