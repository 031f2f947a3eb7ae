// Property test of CompiledRule.anyOf over every corpus rule: whenever match(e) is non-null, some (accessor, needle) of
// anyOf has accessor.get(e) (stringified, lower-cased, any element of an array) containing the needle. Never skips rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusPath, seededRandom } from '@vigil/common';
import type { CompiledRule, DetectEvent, FieldResolver, LogsourceRouter, SigmaFieldItem, SigmaScalar } from '../core.js';
import { loadSigmaRules } from './load.js';
import { readRuleSources } from './rule-files.js';

/** Sigma field = event key, so generated events can be written from the rules' own field names. */
const resolver: FieldResolver = {
  resolve: (field) => ({ key: field, get: (event) => event[field], sql: field }),
  keywordFields: () => ['message', 'CommandLine'].map((field) => ({ key: field, get: (event: DetectEvent) => event[field], sql: field })),
};
const router: LogsourceRouter = { route: () => ({ conditions: [] }) };

const noise = ['', 'x', ' ', 'AbC', '\\', '-', '/', '\u2013', '0', 'Zz9'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function randomCase(text: string, random: () => number): string {
  return random() < 0.3 ? text.toUpperCase() : random() < 0.5 ? text.toLowerCase() : text;
}

/** A string that a plain Sigma value (wildcards, escapes, contains/startswith/endswith, windash) would match. */
function instantiate(value: SigmaScalar, modifiers: readonly string[], random: () => number): unknown {
  if (value === null) return random() < 0.5 ? '' : undefined;
  if (typeof value !== 'string') return random() < 0.5 ? value : String(value);
  let text = '';
  for (let index = 0; index < value.length; index++) {
    const char = value[index] as string;
    const following = value[index + 1];
    if (char === '\\' && (following === '*' || following === '?' || following === '\\')) {
      text += following;
      index++;
    } else if (char === '*') text += pick(random, noise);
    else if (char === '?') text += pick(random, ['a', '1', '\\', '-']);
    else if (char === '-' && modifiers.includes('windash') && random() < 0.5) text += pick(random, ['/', '\u2013', '\u2014', '\u2015']);
    else text += char;
  }
  text = modifiers.includes('cased') ? text : randomCase(text, random);
  if (modifiers.includes('contains') || modifiers.includes('endswith')) text = pick(random, noise) + text;
  if (modifiers.includes('contains') || modifiers.includes('startswith')) text += pick(random, noise);
  return text;
}

function itemValue(item: SigmaFieldItem, random: () => number): unknown {
  if (item.values.length === 0) return pick(random, noise);
  if (item.modifiers.includes('all')) return item.values.map((value) => instantiate(value, item.modifiers, random)).join(' ');
  return instantiate(pick(random, item.values), item.modifiers, random);
}

/** An event built from a random subset of the rule's searches (one alternative each), sometimes with array values. */
function eventFor(rule: CompiledRule, random: () => number): DetectEvent {
  const event: Record<string, unknown> = {};
  for (const search of rule.rule.searches.values()) {
    if (random() < 0.25) continue;
    if (search.kind === 'keywords') {
      const values = search.values.map((value) => instantiate(value, ['contains'], random));
      event[pick(random, ['message', 'CommandLine'])] = search.modifiers.includes('all') ? values.join(' ') : pick(random, values);
      continue;
    }
    for (const item of pick(random, search.alternatives)) {
      const value = itemValue(item, random);
      const key = item.field ?? pick(random, ['message', 'CommandLine']);
      if (value === undefined) continue;
      event[key] = random() < 0.15 ? [pick(random, noise), value] : value;
    }
  }
  return event;
}

function admitted(rule: CompiledRule, event: DetectEvent): boolean {
  if (!rule.anyOf) return true;
  return rule.anyOf.some(({ accessor, needle }) => {
    const value = accessor.get(event);
    return (Array.isArray(value) ? value : [value]).some(
      (element) => (typeof element === 'string' || typeof element === 'number' || typeof element === 'boolean') && String(element).toLowerCase().includes(needle),
    );
  });
}

test('anyOf and every allOf set admit every event a corpus rule matches (generated events)', () => {
  const sources = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'].flatMap((folder) => readRuleSources(corpusPath('sigma', folder)));
  const set = loadSigmaRules(sources, { resolver, router });
  assert.equal(set.problems.filter((problem) => problem.severity === 'error').length, 0);
  const random = seededRandom(7);
  let matched = 0;
  let rulesMatched = 0;
  let withNeedles = 0;
  for (const rule of set.rules) {
    if (rule.anyOf) {
      withNeedles++;
      for (const { needle } of rule.anyOf) assert.ok((needle.length >= 3 || (needle.length > 0 && /[^\x00-\x7f]/.test(needle))) && needle === needle.toLowerCase(), `${rule.rule.id}: bad needle '${needle}'`);
    }
    let ruleMatched = false;
    for (let attempt = 0; attempt < 12; attempt++) {
      const event = eventFor(rule, random);
      if (rule.match(event) === null) continue;
      matched++;
      ruleMatched = true;
      assert.ok(admitted(rule, event), `${rule.rule.file}: anyOf ${JSON.stringify(rule.anyOf?.map((entry) => [entry.accessor.key, entry.needle]))} rejects matching event ${JSON.stringify(event)}`);
      for (const [index, required] of (rule.allOf ?? []).entries()) {
        assert.ok(admitted({ ...rule, anyOf: required }, event), `${rule.rule.file}: allOf[${index}] ${JSON.stringify(required.map((entry) => [entry.accessor.key, entry.needle]))} rejects matching event ${JSON.stringify(event)}`);
      }
    }
    if (ruleMatched) rulesMatched++;
  }
  console.log(`rules ${set.rules.length}, with anyOf ${withNeedles}, rules matched by generated events ${rulesMatched}, matching events ${matched}`);
  assert.ok(rulesMatched > set.rules.length / 2, `generated events should match most rules (matched ${rulesMatched} of ${set.rules.length})`);
  assert.ok(withNeedles > set.rules.length * 0.8, `most corpus rules should have a prefilter needle set (${withNeedles} of ${set.rules.length})`);
});
