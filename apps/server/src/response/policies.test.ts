// Which alerts fire a response policy (rule id, rule title, tag, minimum level, host scope by id or host tag) and which
// of its tasks wait for a second person. The engine around it (dry run, blast radius, approval) runs end to end in
// tests/src/response-channel.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { levels, policyMatches, policyNeedsApproval, templateFields, type Level, type PolicyMatch } from './policies.js';

const RULE = '0c071acc-8823-4eb5-ba7c-4303224176ef';
const alert = (extra: Partial<{ hostId: string; ruleId: string; ruleTitle: string; tags: string[]; level: Level }> = {}) => ({
  hostId: 'web-01',
  ruleId: RULE,
  ruleTitle: 'Reverse shell via /dev/tcp',
  tags: ['attack.execution', 'attack.t1059.004'],
  level: 'high' as Level,
  ...extra,
});
const tagsOf: Record<string, string[]> = { 'web-01': ['prod', 'web'], 'db-01': ['prod'], 'dev-01': [] };
const hostTags = (id: string) => tagsOf[id] ?? [];
const fires = (match: PolicyMatch, a = alert()) => policyMatches(match, a, hostTags);

test('each criterion must hold: rule id, rule title, one of the tags, at least the level', () => {
  assert.ok(fires({ rule_ids: [RULE] }));
  assert.ok(!fires({ rule_ids: ['another-rule'] }));
  assert.ok(fires({ rule_names: ['Reverse shell via /dev/tcp'] }));
  assert.ok(!fires({ rule_names: ['reverse shell via /dev/tcp'] }), 'titles match exactly');
  assert.ok(fires({ tags: ['attack.t1059.004', 'attack.persistence'] }), 'one shared tag is enough');
  assert.ok(!fires({ tags: ['attack.persistence'] }));
  assert.ok(fires({ min_level: 'high' }));
  assert.ok(fires({ min_level: 'medium' }));
  assert.ok(!fires({ min_level: 'critical' }));
  assert.ok(!fires({ rule_ids: [RULE], min_level: 'critical' }), 'all given criteria must hold');
  assert.ok(!fires({ rule_ids: [RULE], tags: ['attack.persistence'] }));
});

test('host scope: listed hosts or hosts with one of the tags; no scope means every host; an alert without a host never fires', () => {
  assert.ok(fires({ rule_ids: [RULE] }, alert({ hostId: 'dev-01' })), 'unscoped');
  assert.ok(fires({ rule_ids: [RULE], host_ids: ['web-01'] }));
  assert.ok(!fires({ rule_ids: [RULE], host_ids: ['db-01'] }));
  assert.ok(fires({ rule_ids: [RULE], host_tags: ['web'] }));
  assert.ok(!fires({ rule_ids: [RULE], host_tags: ['web'] }, alert({ hostId: 'db-01' })));
  assert.ok(fires({ rule_ids: [RULE], host_ids: ['dev-01'], host_tags: ['web'] }, alert({ hostId: 'dev-01' })), 'listed by id, untagged');
  assert.ok(fires({ rule_ids: [RULE], host_ids: ['dev-01'], host_tags: ['prod'] }, alert({ hostId: 'db-01' })), 'tagged, not listed');
  assert.ok(!fires({ rule_ids: [RULE], host_ids: ['dev-01'], host_tags: ['web'] }, alert({ hostId: 'db-01' })));
  assert.ok(!fires({ min_level: 'informational' }, alert({ hostId: '' })));
});

test('property: min_level fires exactly for alerts at or above it (seeded)', () => {
  const random = seededRandom(11);
  for (let i = 0; i < 500; i++) {
    const min = levels[Math.floor(random() * levels.length)]!;
    const level = levels[Math.floor(random() * levels.length)]!;
    assert.equal(fires({ min_level: min }, alert({ level })), levels.indexOf(level) >= levels.indexOf(min), `${level} vs min ${min}`);
  }
});

test('approval: none never, destructive only for destructive actions, always for every task', () => {
  assert.deepEqual([policyNeedsApproval('none', false), policyNeedsApproval('none', true)], [false, false]);
  assert.deepEqual([policyNeedsApproval('destructive', false), policyNeedsApproval('destructive', true)], [false, true]);
  assert.deepEqual([policyNeedsApproval('always', false), policyNeedsApproval('always', true)], [true, true]);
});

test('template fields are collected from every string in nested arguments; arguments without templates need none', () => {
  assert.deepEqual([...templateFields([{ pid: '{{process.pid}}', tree: true }, { note: 'alert {{ alert.id }} on {{host.id}}', list: ['{{destination.ip}}'] }])].sort(), ['alert.id', 'destination.ip', 'host.id', 'process.pid']);
  assert.equal(templateFields([{}, { allow: ['10.0.0.0/8'], allow_dns: true }]).size, 0, 'no template: the policy never reads the event store');
});
