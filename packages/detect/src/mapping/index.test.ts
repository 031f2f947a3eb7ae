// Coverage of the shipped Sigma mapping over SigmaHQ's rules (third-party corpus) and Vigil's own rule pack.
// Every logsource must be routed or documented as unsupported; every field of a routed rule must resolve.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { corpusPath, repoRoot } from '@vigil/common';
import type { Logsource } from '../core.js';
import { defaultSigmaMapping, unsupportedReason } from './index.js';

function ruleFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...ruleFiles(path));
    else if (entry.name.endsWith('.yml') || entry.name.endsWith('.yaml')) out.push(path);
  }
  return out.sort();
}

interface RuleFacts {
  file: string;
  logsource: Logsource;
  fields: string[];
}

/** Logsource and the detection field names (the part before the first `|`) of every rule document in the files. */
function readRules(files: string[], root: string, unparsed: string[]): RuleFacts[] {
  const rules: RuleFacts[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) {
        unparsed.push(`${relative(root, file)}: ${doc.errors[0]?.message.split('\n')[0]}`);
        continue;
      }
      const rule = doc.toJS() as { logsource?: Record<string, unknown>; detection?: Record<string, unknown> } | null;
      if (!rule?.logsource || !rule.detection) continue;
      const logsource: Logsource = {};
      for (const key of ['product', 'category', 'service'] as const) {
        const value = rule.logsource[key];
        if (typeof value === 'string') logsource[key] = value;
      }
      const fields = new Set<string>();
      for (const [name, search] of Object.entries(rule.detection)) {
        if (name === 'condition' || name === 'timeframe') continue;
        for (const item of Array.isArray(search) ? search : [search]) {
          if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
          for (const key of Object.keys(item)) {
            const field = key.split('|')[0] ?? '';
            if (field !== '') fields.add(field);
          }
        }
      }
      rules.push({ file: relative(root, file), logsource, fields: [...fields] });
    }
  }
  return rules;
}

const describe = (logsource: Logsource) => ['product', 'category', 'service'].map((key) => logsource[key as keyof Logsource] ?? '-').join('/');

test('every SigmaHQ rule logsource is routed or documented as unsupported, and every field of a routed rule resolves', () => {
  const mapping = defaultSigmaMapping();
  const root = corpusPath('sigma');
  const files = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'].flatMap((dir) => ruleFiles(corpusPath('sigma', dir)));
  const unparsed: string[] = [];
  const rules = readRules(files, root, unparsed);
  assert.deepEqual(unparsed, [], 'SigmaHQ rule files that do not parse');
  assert.ok(rules.length > 3500, `expected the full SigmaHQ corpus, read ${rules.length} rules`);

  let routed = 0;
  let unsupported = 0;
  const unknownLogsources = new Map<string, string[]>();
  const unresolved = new Map<string, Set<string>>();
  const rawOnly = new Map<string, number>();
  for (const rule of rules) {
    const route = mapping.router.route(rule.logsource);
    if (!route) {
      if (unsupportedReason(mapping, rule.logsource)) unsupported++;
      else unknownLogsources.set(describe(rule.logsource), [...(unknownLogsources.get(describe(rule.logsource)) ?? []), rule.file]);
      continue;
    }
    routed++;
    for (const field of rule.fields) {
      const accessor = mapping.resolver.resolve(field, rule.logsource);
      if (!accessor) {
        const where = `${describe(rule.logsource)} ${field}`;
        unresolved.set(where, (unresolved.get(where) ?? new Set()).add(rule.file));
      } else if (/^winlog\.event_data\[[^\]]*\]$/.test(accessor.key)) {
        rawOnly.set(field, (rawOnly.get(field) ?? 0) + 1);
      }
    }
  }
  console.log(`SigmaHQ rules: ${rules.length}; routed ${routed}; unsupported ${unsupported}; unknown logsource ${[...unknownLogsources.values()].flat().length}`);
  console.log(`unresolved fields of routed rules: ${unresolved.size}${unresolved.size ? '\n  ' + [...unresolved.keys()].join('\n  ') : ''}`);
  console.log(`Windows fields read from raw event data only (no Vigil field): ${rawOnly.size} names, ${[...rawOnly.values()].reduce((a, b) => a + b, 0)} uses`);
  assert.deepEqual(Object.fromEntries(unknownLogsources), {}, 'logsources neither routed nor listed as unsupported');
  assert.deepEqual(Object.fromEntries([...unresolved].map(([key, set]) => [key, [...set]])), {}, 'fields that do not resolve');
});

test("every field of Vigil's own rule pack resolves under its logsource", () => {
  const mapping = defaultSigmaMapping();
  const root = join(repoRoot(), 'content', 'rules');
  // Whether a rule file parses is the Sigma loader's test; files that do not are listed here and skipped.
  const unparsed: string[] = [];
  const rules = readRules(ruleFiles(root), root, unparsed);
  if (unparsed.length > 0) console.log(`Vigil rule files that do not parse (not checked here):\n  ${unparsed.join('\n  ')}`);
  assert.ok(rules.length > 0, 'content/rules holds rules');
  const problems: string[] = [];
  for (const rule of rules) {
    if (!mapping.router.route(rule.logsource)) {
      problems.push(`${rule.file}: logsource ${describe(rule.logsource)} is not routed`);
      continue;
    }
    for (const field of rule.fields) if (!mapping.resolver.resolve(field, rule.logsource)) problems.push(`${rule.file}: ${field} does not resolve`);
  }
  console.log(`Vigil rules: ${rules.length}; problems ${problems.length}`);
  assert.deepEqual(problems, []);
});

test('the Linux fields SigmaHQ lists per logsource resolve where Vigil has the data', () => {
  const mapping = defaultSigmaMapping();
  const legit = (JSON.parse(readFileSync(corpusPath('sigma', 'config', 'logsource.json'), 'utf8')) as {
    legit: Record<string, { category?: Record<string, string[]>; service?: Record<string, string[]> }>;
  }).legit;
  const missing: string[] = [];
  for (const [kind, lists] of Object.entries({ category: legit.linux?.category ?? {}, service: legit.linux?.service ?? {} })) {
    for (const [name, fields] of Object.entries(lists)) {
      const logsource: Logsource = { product: 'linux', [kind]: name };
      if (!mapping.router.route(logsource)) {
        if (!unsupportedReason(mapping, logsource)) missing.push(`${describe(logsource)}: not routed`);
        continue;
      }
      for (const field of fields) if (!mapping.resolver.resolve(field, logsource)) missing.push(`${describe(logsource)} ${field}`);
    }
  }
  console.log(`Linux logsource.json fields without Vigil data: ${missing.length}\n  ${missing.join('\n  ')}`);
  const core = ['Image', 'CommandLine', 'ParentImage', 'ParentCommandLine', 'User', 'CurrentDirectory', 'ProcessId', 'ParentProcessId', 'TargetFilename', 'DestinationIp', 'DestinationPort', 'DestinationHostname', 'SourceIp', 'Initiated'];
  assert.deepEqual(
    missing.filter((entry) => core.some((field) => entry.endsWith(` ${field}`)) || entry.endsWith('not routed')),
    [],
    'the core Linux fields must always resolve',
  );
});

test('every logsource of the corpus logsource_counts.tsv is routed or documented as unsupported', () => {
  const mapping = defaultSigmaMapping();
  const rows = readFileSync(corpusPath('sigma', 'logsource_counts.tsv'), 'utf8').trim().split('\n').slice(1);
  assert.ok(rows.length > 100, `expected the full table, read ${rows.length} rows`);
  const missing: string[] = [];
  for (const row of rows) {
    const [product = '-', categoryOrService = '-'] = row.split('\t');
    const logsource: Logsource = {};
    if (product !== '-') logsource.product = product;
    if (categoryOrService.startsWith('service:')) logsource.service = categoryOrService.slice('service:'.length);
    else if (categoryOrService !== '-') logsource.category = categoryOrService;
    if (!mapping.router.route(logsource) && !unsupportedReason(mapping, logsource)) missing.push(describe(logsource));
  }
  assert.deepEqual(missing, []);
});
