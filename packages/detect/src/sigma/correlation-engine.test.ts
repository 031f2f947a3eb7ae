// Tests of the Sigma correlation engine: every correlation type, chaining, load problems, batching, bounds, and a seeded property test.
// They never read wall-clock time: all times are event times chosen here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import type { DetectEvent, Detection, FieldResolver, SigmaCorrelation, SigmaRule } from '../core.js';
import { createCorrelationEngine, type CorrelationEngine } from './correlation-engine.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** Reads `event[field]`; a field named `absent.field` cannot exist, to exercise the resolver's undefined. */
const resolver: FieldResolver = {
  resolve(field) {
    if (field === 'absent.field') return undefined;
    return { key: field, get: (event) => event[field], sql: `"${field}"` };
  },
  keywordFields: () => [],
};

function rule(id: string, name?: string): SigmaRule {
  return {
    kind: 'detection',
    file: `rules/${id}.yml`,
    location: { file: `rules/${id}.yml`, line: 1, column: 1 },
    id,
    ...(name === undefined ? {} : { name }),
    title: `rule ${id}`,
    level: 'low',
    tags: [],
    references: [],
    falsepositives: [],
    logsource: { product: 'linux', category: 'authentication' },
    searches: new Map(),
    condition: { kind: 'search', name: 'selection', location: { file: `rules/${id}.yml`, line: 5, column: 3 } },
    fields: [],
  };
}

function correlation(fields: Partial<SigmaCorrelation> & Pick<SigmaCorrelation, 'id' | 'type' | 'rules'>): SigmaCorrelation {
  return {
    kind: 'correlation',
    file: 'rules/correlations.yml',
    location: { file: 'rules/correlations.yml', line: 10, column: 1 },
    title: `correlation ${fields.id}`,
    level: 'high',
    tags: ['attack.t1110'],
    references: [],
    falsepositives: [],
    groupBy: [],
    timespanMs: MINUTE,
    aliases: new Map(),
    generate: false,
    ...fields,
  };
}

let nextEventId = 0;
function feed(engine: CorrelationEngine, matched: SigmaRule, timeMs: number, fields: Record<string, unknown>, hostId = 'host-1'): Detection[] {
  nextEventId += 1;
  const event: DetectEvent = { 'event.id': `e${nextEventId}`, 'host.id': hostId, ...fields };
  return engine.observe({ rule: matched, event, timeMs, hostId });
}

function build(correlations: SigmaCorrelation[], rules: SigmaRule[], maxGroups?: number): CorrelationEngine {
  const { engine, problems } = createCorrelationEngine({ correlations, rules, resolver, ...(maxGroups === undefined ? {} : { maxGroups }) });
  assert.deepEqual(problems.filter((p) => p.severity === 'error'), []);
  return engine;
}

test('event_count gte fires once at the Nth match of a group inside the timespan, with the detection filled in', () => {
  const failed = rule('failed');
  const engine = build(
    [correlation({ id: 'many', type: 'event_count', rules: ['failed'], groupBy: ['source.ip'], condition: { operator: 'gte', value: 3 } })],
    [failed],
  );
  assert.deepEqual(feed(engine, failed, T0, { 'source.ip': '10.0.0.1' }), []);
  assert.deepEqual(feed(engine, failed, T0 + 5 * SECOND, { 'source.ip': '10.0.0.2' }), []);
  assert.deepEqual(feed(engine, failed, T0 + 10 * SECOND, { 'source.ip': '10.0.0.1' }), []);
  const first = nextEventId - 2;
  const fired = feed(engine, failed, T0 + 20 * SECOND, { 'source.ip': '10.0.0.1' }, 'host-2');
  assert.equal(fired.length, 1);
  assert.deepEqual(fired[0], {
    rule: { id: 'many', title: 'correlation many', level: 'high', tags: ['attack.t1110'] },
    kind: 'correlation',
    hostId: 'host-2',
    eventIds: [`e${first}`, `e${first + 2}`, `e${first + 3}`],
    time: new Date(T0 + 20 * SECOND).toISOString(),
    fields: [{ field: 'source.ip', value: '10.0.0.1' }],
    group: { 'source.ip': '10.0.0.1' },
  });
  assert.deepEqual(feed(engine, failed, T0 + 21 * SECOND, { 'source.ip': '10.0.0.1' }), [], 'no alert per extra event');
  assert.deepEqual(feed(engine, failed, T0 + 22 * SECOND, { 'source.ip': '10.0.0.1' }), []);
  assert.equal(feed(engine, failed, T0 + 23 * SECOND, { 'source.ip': '10.0.0.1' }).length, 1, 'restarted state fires again with new events');
});

test('event_count gte does not fire when the matches spread over more than the timespan', () => {
  const failed = rule('failed');
  const engine = build(
    [correlation({ id: 'many', type: 'event_count', rules: ['failed'], groupBy: ['source.ip'], condition: { operator: 'gte', value: 3 } })],
    [failed],
  );
  for (let i = 0; i < 10; i += 1) {
    assert.deepEqual(feed(engine, failed, T0 + i * 31 * SECOND, { 'source.ip': '10.0.0.1' }), [], `match ${i}`);
  }
  assert.ok(engine.stateSize() <= 3, 'timestamps older than the timespan are pruned');
});

test('event_count gt needs one more match than its value', () => {
  const failed = rule('failed');
  const engine = build([correlation({ id: 'many', type: 'event_count', rules: ['failed'], condition: { operator: 'gt', value: 2 } })], [failed]);
  assert.deepEqual(feed(engine, failed, T0, {}), []);
  assert.deepEqual(feed(engine, failed, T0 + 1, {}), []);
  assert.equal(feed(engine, failed, T0 + 2, {}).length, 1);
});

test('value_count counts distinct values of the condition field per group, ignoring matches without it', () => {
  const failed = rule('failed');
  const engine = build(
    [
      correlation({
        id: 'spray',
        type: 'value_count',
        rules: ['failed'],
        groupBy: ['source.ip'],
        condition: { operator: 'gte', value: 3, field: 'user.name' },
      }),
    ],
    [failed],
  );
  const src = { 'source.ip': '192.0.2.7' };
  assert.deepEqual(feed(engine, failed, T0, { ...src, 'user.name': 'alice' }), []);
  assert.deepEqual(feed(engine, failed, T0 + SECOND, { ...src, 'user.name': 'alice' }), []);
  assert.deepEqual(feed(engine, failed, T0 + 2 * SECOND, { ...src, 'user.name': 'bob' }), []);
  assert.deepEqual(feed(engine, failed, T0 + 3 * SECOND, src), [], 'a match without the field adds no value');
  assert.deepEqual(feed(engine, failed, T0 + 4 * SECOND, { 'source.ip': '192.0.2.8', 'user.name': 'carol' }), [], 'other group');
  const bobId = nextEventId - 2;
  const fired = feed(engine, failed, T0 + 5 * SECOND, { ...src, 'user.name': 'carol' });
  assert.equal(fired.length, 1);
  assert.deepEqual(fired[0]?.group, { 'source.ip': '192.0.2.7' });
  assert.deepEqual(fired[0]?.eventIds, [`e${bobId - 1}`, `e${bobId}`, `e${nextEventId}`], 'latest match of each distinct value');
});

test('value_count forgets values that left the timespan', () => {
  const failed = rule('failed');
  const engine = build(
    [correlation({ id: 'spray', type: 'value_count', rules: ['failed'], condition: { operator: 'gte', value: 2, field: 'user.name' } })],
    [failed],
  );
  assert.deepEqual(feed(engine, failed, T0, { 'user.name': 'alice' }), []);
  assert.deepEqual(feed(engine, failed, T0 + 2 * MINUTE, { 'user.name': 'bob' }), []);
  assert.equal(feed(engine, failed, T0 + 2 * MINUTE + SECOND, { 'user.name': 'alice' }).length, 1);
});

test('temporal fires when every referenced rule matched in one group within the timespan, in any order', () => {
  const [a, b, c] = [rule('recon-a', 'recon_a'), rule('recon-b', 'recon_b'), rule('recon-c', 'recon_c')];
  const engine = build(
    [correlation({ id: 'recon', type: 'temporal', rules: ['recon_a', 'recon_b', 'recon_c'], groupBy: ['host.id'], timespanMs: 2 * MINUTE })],
    [a, b, c],
  );
  assert.deepEqual(feed(engine, c, T0, {}, 'h1'), []);
  assert.deepEqual(feed(engine, a, T0 + 10 * SECOND, {}, 'h1'), []);
  assert.deepEqual(feed(engine, b, T0 + 20 * SECOND, {}, 'h2'), [], 'other host is another group');
  assert.deepEqual(feed(engine, a, T0 + 25 * SECOND, {}, 'h1'), [], 'a repeated rule is not another rule');
  const fired = feed(engine, b, T0 + 30 * SECOND, { 'host.id': 'h1' }, 'h1');
  assert.equal(fired.length, 1);
  assert.equal(fired[0]?.hostId, 'h1');
  assert.equal(fired[0]?.eventIds.length, 3);

  assert.deepEqual(feed(engine, a, T0 + 3 * MINUTE, {}, 'h3'), []);
  assert.deepEqual(feed(engine, b, T0 + 4 * MINUTE, {}, 'h3'), []);
  assert.deepEqual(feed(engine, c, T0 + 5 * MINUTE + SECOND, {}, 'h3'), [], 'recon_a left the timespan');
  assert.equal(feed(engine, a, T0 + 5 * MINUTE + 2 * SECOND, {}, 'h3').length, 1);
});

test('temporal_ordered fires only when the rules match in the written order', () => {
  const [first, second] = [rule('first', 'step_one'), rule('second', 'step_two')];
  const engine = build(
    [correlation({ id: 'ordered', type: 'temporal_ordered', rules: ['step_one', 'step_two'], groupBy: ['user.name'] })],
    [first, second],
  );
  assert.deepEqual(feed(engine, second, T0, { 'user.name': 'alice' }), []);
  assert.deepEqual(feed(engine, first, T0 + SECOND, { 'user.name': 'alice' }), [], 'wrong order');
  assert.deepEqual(feed(engine, first, T0 + 2 * SECOND, { 'user.name': 'bob' }), []);
  const fired = feed(engine, second, T0 + 3 * SECOND, { 'user.name': 'alice' });
  assert.equal(fired.length, 1);
  assert.equal(fired[0]?.eventIds.length, 2);
  assert.deepEqual(fired[0]?.group, { 'user.name': 'alice' });
  assert.deepEqual(feed(engine, second, T0 + 4 * SECOND, { 'user.name': 'alice' }), [], 'state restarted after firing');
  assert.deepEqual(feed(engine, second, T0 + 2 * MINUTE, { 'user.name': 'bob' }), [], 'too late after step one');
});

test('aliases read the group-by value from a different field in each referenced rule', () => {
  const [internalError, connection] = [rule('r-500', 'internal_error'), rule('r-conn', 'new_network_connection')];
  const aliases = new Map([
    ['internal_ip', new Map([['internal_error', 'destination.ip'], ['new_network_connection', 'source.ip']])],
  ]);
  const engine = build(
    [correlation({ id: 'pivot', type: 'temporal', rules: ['internal_error', 'new_network_connection'], groupBy: ['internal_ip'], aliases })],
    [internalError, connection],
  );
  assert.deepEqual(feed(engine, internalError, T0, { 'destination.ip': '10.1.1.1', 'source.ip': '203.0.113.9' }), []);
  assert.deepEqual(feed(engine, connection, T0 + SECOND, { 'source.ip': '10.1.1.2', 'destination.ip': '10.1.1.1' }), [], 'wrong field');
  const fired = feed(engine, connection, T0 + 2 * SECOND, { 'source.ip': '10.1.1.1' });
  assert.equal(fired.length, 1);
  assert.deepEqual(fired[0]?.fields, [{ field: 'internal_ip', value: '10.1.1.1' }]);
});

function bruteForceEngine(): { engine: CorrelationEngine; failed: SigmaRule; success: SigmaRule } {
  const failed = rule('f-1', 'failed_login');
  const success = rule('s-1', 'successful_login');
  const engine = build(
    [
      correlation({
        id: 'brute-force',
        type: 'temporal_ordered',
        rules: ['many_failed_logins', 'successful_login'],
        groupBy: ['source.ip'],
        timespanMs: 5 * MINUTE,
      }),
      correlation({
        id: 'many-failed',
        name: 'many_failed_logins',
        type: 'event_count',
        rules: ['failed_login'],
        groupBy: ['source.ip'],
        timespanMs: 5 * MINUTE,
        condition: { operator: 'gte', value: 10 },
      }),
    ],
    [failed, success],
  );
  return { engine, failed, success };
}

test('chained correlation: ten failed logins from one source then a success is one brute-force detection', () => {
  const { engine, failed, success } = bruteForceEngine();
  assert.deepEqual([...engine.referencedRules].sort(), ['f-1', 'failed_login', 's-1', 'successful_login']);
  assert.deepEqual([...engine.suppressedRules].sort(), ['f-1', 'many-failed', 's-1']);
  const out: Detection[] = [];
  for (let i = 0; i < 10; i += 1) out.push(...feed(engine, failed, T0 + i * 10 * SECOND, { 'source.ip': '198.51.100.4', 'user.name': `u${i}` }));
  assert.deepEqual(out, [], 'the inner event_count is suppressed (generate: false)');
  const fired = feed(engine, success, T0 + 2 * MINUTE, { 'source.ip': '198.51.100.4' });
  assert.equal(fired.length, 1);
  assert.equal(fired[0]?.rule.id, 'brute-force');
  assert.equal(fired[0]?.eventIds.length, 11);
  assert.equal(fired[0]?.eventIds.at(-1), `e${nextEventId}`);
  assert.deepEqual(fired[0]?.group, { 'source.ip': '198.51.100.4' });
});

test('chained correlation: failures from ten different sources then a success is no detection', () => {
  const { engine, failed, success } = bruteForceEngine();
  for (let i = 0; i < 10; i += 1) assert.deepEqual(feed(engine, failed, T0 + i * SECOND, { 'source.ip': `198.51.100.${i}` }), []);
  for (let i = 0; i < 10; i += 1) assert.deepEqual(feed(engine, success, T0 + MINUTE, { 'source.ip': `198.51.100.${i}` }), []);
});

test('chained correlation: a success before the failures completes nothing', () => {
  const { engine, failed, success } = bruteForceEngine();
  assert.deepEqual(feed(engine, success, T0, { 'source.ip': '198.51.100.4' }), []);
  for (let i = 1; i <= 10; i += 1) assert.deepEqual(feed(engine, failed, T0 + i * SECOND, { 'source.ip': '198.51.100.4' }), []);
});

test('generate: true keeps the referenced rule alerting and the inner correlation is returned', () => {
  const failed = rule('f-1', 'failed_login');
  const { engine } = createCorrelationEngine({
    correlations: [correlation({ id: 'many', type: 'event_count', rules: ['failed_login'], generate: true, condition: { operator: 'gte', value: 1 } })],
    rules: [failed],
    resolver,
  });
  assert.deepEqual([...engine.suppressedRules], []);
  assert.equal(feed(engine, failed, T0, {}).length, 1);
});

test('lt is decided when the window closes at expire, which frees the state', () => {
  const heartbeat = rule('heartbeat');
  const engine = build(
    [correlation({ id: 'quiet', type: 'event_count', rules: ['heartbeat'], groupBy: ['host.id'], condition: { operator: 'lt', value: 3 } })],
    [heartbeat],
  );
  assert.deepEqual(feed(engine, heartbeat, T0, {}, 'h1'), []);
  assert.deepEqual(feed(engine, heartbeat, T0 + 10 * SECOND, {}, 'h1'), []);
  for (let i = 0; i < 4; i += 1) assert.deepEqual(feed(engine, heartbeat, T0 + i * SECOND, {}, 'h2'), []);
  assert.deepEqual(engine.expire(T0 + 30 * SECOND), [], 'the window is still open');
  const closed = engine.expire(T0 + MINUTE + 1);
  assert.equal(closed.length, 1);
  assert.equal(closed[0]?.hostId, 'h1');
  assert.equal(closed[0]?.eventIds.length, 2);
  assert.equal(closed[0]?.time, new Date(T0 + 10 * SECOND).toISOString());
  assert.equal(engine.stateSize(), 0);
  assert.deepEqual(engine.expire(T0 + 10 * MINUTE), []);
});

test('lt window is also closed by a match after its end; eq holds only on the exact count', () => {
  const heartbeat = rule('heartbeat');
  const engine = build(
    [
      correlation({ id: 'quiet', type: 'event_count', rules: ['heartbeat'], condition: { operator: 'lt', value: 3 } }),
      correlation({ id: 'exactly-two', type: 'event_count', rules: ['heartbeat'], condition: { operator: 'eq', value: 2 } }),
    ],
    [heartbeat],
  );
  assert.deepEqual(feed(engine, heartbeat, T0, {}), []);
  assert.deepEqual(feed(engine, heartbeat, T0 + SECOND, {}), []);
  const closed = feed(engine, heartbeat, T0 + 2 * MINUTE, {});
  assert.deepEqual(closed.map((d) => d.rule.id).sort(), ['exactly-two', 'quiet']);
  for (let i = 1; i <= 3; i += 1) assert.deepEqual(feed(engine, heartbeat, T0 + 2 * MINUTE + i * SECOND, {}), []);
  assert.deepEqual(engine.expire(T0 + 10 * MINUTE), [], 'four matches: neither lt 3 nor eq 2');
});

test('unknown references, cycles and dependants of dropped correlations are located errors; the others are kept', () => {
  const failed = rule('failed');
  const { engine, problems } = createCorrelationEngine({
    correlations: [
      correlation({ id: 'unknown', type: 'event_count', rules: ['no_such_rule'], condition: { operator: 'gte', value: 1 } }),
      correlation({ id: 'loop-a', name: 'loop_a', type: 'temporal', rules: ['loop_b', 'failed'] }),
      correlation({ id: 'loop-b', name: 'loop_b', type: 'temporal', rules: ['loop_a'] }),
      correlation({ id: 'self', type: 'event_count', rules: ['self'], condition: { operator: 'gte', value: 1 } }),
      correlation({ id: 'above', type: 'temporal', rules: ['loop_a'] }),
      correlation({ id: 'good', type: 'event_count', rules: ['failed'], condition: { operator: 'gte', value: 1 } }),
    ],
    rules: [failed],
    resolver,
  });
  const errors = problems.filter((p) => p.severity === 'error').map((p) => [p.ruleId, p.code]);
  assert.deepEqual(errors.sort(), [
    ['above', 'unusable_rule_reference'],
    ['loop-a', 'correlation_cycle'],
    ['loop-b', 'correlation_cycle'],
    ['self', 'correlation_cycle'],
    ['unknown', 'unknown_rule_reference'],
  ]);
  for (const p of problems) assert.deepEqual(p.location, { file: 'rules/correlations.yml', line: 10, column: 1 });
  assert.match(problems.find((p) => p.ruleId === 'unknown')?.message ?? '', /no_such_rule/);
  const fired = feed(engine, failed, T0, {});
  assert.deepEqual(fired.map((d) => d.rule.id), ['good']);
});

test('invalid correlations and unresolvable group-by fields are reported', () => {
  const failed = rule('failed');
  const { problems } = createCorrelationEngine({
    correlations: [
      correlation({ id: 'no-condition', type: 'event_count', rules: ['failed'] }),
      correlation({ id: 'no-field', type: 'value_count', rules: ['failed'], condition: { operator: 'gte', value: 2 } }),
      correlation({ id: 'no-span', type: 'temporal', rules: ['failed'], timespanMs: 0 }),
      correlation({ id: 'odd-field', type: 'temporal', rules: ['failed'], groupBy: ['absent.field'] }),
    ],
    rules: [failed],
    resolver,
  });
  assert.deepEqual(
    problems.map((p) => [p.ruleId, p.severity, p.code]),
    [
      ['no-condition', 'error', 'missing_field'],
      ['no-field', 'error', 'missing_field'],
      ['no-span', 'error', 'invalid_value'],
      ['odd-field', 'warning', 'unknown_field'],
    ],
  );
});

test('matches fed in many small batches, interleaved across hosts and mildly out of order, fire once per group', () => {
  const failed = rule('failed');
  const engine = build(
    [correlation({ id: 'many', type: 'event_count', rules: ['failed'], groupBy: ['user.name'], timespanMs: MINUTE, condition: { operator: 'gte', value: 5 } })],
    [failed],
  );
  const random = seededRandom(7);
  const users = ['alice', 'bob', 'carol'];
  const stream: { user: string; host: string; timeMs: number }[] = [];
  for (const [u, user] of users.entries()) {
    for (let i = 0; i < 5; i += 1) stream.push({ user, host: `host-${(i + u) % 4}`, timeMs: T0 + u * 3 * SECOND + i * 8 * SECOND });
  }
  stream.sort((x, y) => x.timeMs - y.timeMs);
  for (let i = 0; i + 1 < stream.length; i += 2) {
    if (random() < 0.6) [stream[i], stream[i + 1]] = [stream[i + 1] as (typeof stream)[number], stream[i] as (typeof stream)[number]];
  }
  const fired: Detection[] = [];
  for (let start = 0; start < stream.length; start += 2) {
    for (const item of stream.slice(start, start + 2)) fired.push(...feed(engine, failed, item.timeMs, { 'user.name': item.user }, item.host));
    fired.push(...engine.expire((stream[start] as (typeof stream)[number]).timeMs - MINUTE));
  }
  assert.deepEqual(fired.map((d) => d.group?.['user.name']).sort(), users);
  for (const detection of fired) assert.equal(detection.eventIds.length, 5);
  assert.equal(engine.counters().lateMatches, 0);
});

test('a match older than its group window is ignored and counted as late', () => {
  const failed = rule('failed');
  const engine = build([correlation({ id: 'many', type: 'event_count', rules: ['failed'], condition: { operator: 'gte', value: 2 } })], [failed]);
  assert.deepEqual(feed(engine, failed, T0 + 5 * MINUTE, {}), []);
  assert.deepEqual(feed(engine, failed, T0, {}), []);
  assert.equal(engine.counters().lateMatches, 1);
  assert.equal(feed(engine, failed, T0 + 5 * MINUTE - 30 * SECOND, {}).length, 1, 'a late match inside the window counts');
});

test('maxGroups evicts the least recently updated group and counts it', () => {
  const failed = rule('failed');
  const engine = build(
    [correlation({ id: 'many', type: 'event_count', rules: ['failed'], groupBy: ['source.ip'], condition: { operator: 'gte', value: 3 } })],
    [failed],
    2,
  );
  feed(engine, failed, T0, { 'source.ip': 'a' });
  feed(engine, failed, T0 + 1, { 'source.ip': 'a' });
  feed(engine, failed, T0 + 2, { 'source.ip': 'b' });
  feed(engine, failed, T0 + 3, { 'source.ip': 'c' });
  assert.equal(engine.counters().evictedGroups, 1);
  assert.equal(engine.stateSize(), 4, 'groups b and c, one timestamp each');
  assert.deepEqual(feed(engine, failed, T0 + 4, { 'source.ip': 'a' }), [], 'the evicted group restarted');
  assert.equal(engine.counters().evictedGroups, 2);
  for (let i = 0; i < 50; i += 1) feed(engine, failed, T0 + 10 + i, { 'source.ip': `s${i}` });
  assert.equal(engine.counters().evictedGroups, 52);
  assert.ok(engine.stateSize() <= 4);
});

test('missing group-by values group under null', () => {
  const failed = rule('failed');
  const engine = build(
    [correlation({ id: 'many', type: 'event_count', rules: ['failed'], groupBy: ['source.ip'], condition: { operator: 'gte', value: 2 } })],
    [failed],
  );
  assert.deepEqual(feed(engine, failed, T0, {}), []);
  const fired = feed(engine, failed, T0 + 1, { 'source.ip': null });
  assert.deepEqual(fired[0]?.group, { 'source.ip': null });
});

// ---- property test: event_count gte against a brute-force reference ----

interface StreamItem {
  group: string;
  timeMs: number;
}

/** Fires per the documented semantics, recomputed from scratch on every match: returns [arrival index, contributing indexes]. */
function referenceFires(stream: StreamItem[], threshold: number, spanMs: number): { fires: [number, number[]][]; late: number } {
  const fires: [number, number[]][] = [];
  let late = 0;
  const newest = new Map<string, number>();
  const sinceFire = new Map<string, number[]>();
  stream.forEach((item, i) => {
    const latest = newest.get(item.group) ?? -Infinity;
    if (item.timeMs < latest - spanMs) {
      late += 1;
      return;
    }
    const top = Math.max(latest, item.timeMs);
    newest.set(item.group, top);
    const accepted = [...(sinceFire.get(item.group) ?? []), i];
    const inWindow = accepted.filter((j) => (stream[j] as StreamItem).timeMs >= top - spanMs);
    if (inWindow.length >= threshold) {
      fires.push([i, inWindow.sort((x, y) => (stream[x] as StreamItem).timeMs - (stream[y] as StreamItem).timeMs || x - y)]);
      sinceFire.set(item.group, []);
    } else {
      sinceFire.set(item.group, accepted);
    }
  });
  return { fires, late };
}

/** For in-order streams: the plain definition, N matches since the last firing within [t - timespan, t]. */
function slidingDefinitionFires(stream: StreamItem[], threshold: number, spanMs: number): number[] {
  const fires: number[] = [];
  const since = new Map<string, number[]>();
  stream.forEach((item, i) => {
    const times = [...(since.get(item.group) ?? []), item.timeMs];
    if (times.filter((t) => t >= item.timeMs - spanMs).length >= threshold) {
      fires.push(i);
      since.set(item.group, []);
    } else {
      since.set(item.group, times);
    }
  });
  return fires;
}

test('property: event_count gte matches a brute-force reference on random streams (seeded)', () => {
  const failed = rule('failed');
  const random = seededRandom(20260301);
  let totalFires = 0;
  for (let round = 0; round < 300; round += 1) {
    const threshold = 1 + Math.floor(random() * 6);
    const spanMs = (1 + Math.floor(random() * 20)) * SECOND;
    const groups = 1 + Math.floor(random() * 4);
    const length = 20 + Math.floor(random() * 150);
    const inOrder = round % 2 === 0;
    const stream: StreamItem[] = [];
    let clock = T0;
    for (let i = 0; i < length; i += 1) {
      clock += Math.floor(random() * 4) * SECOND; // whole seconds, so equal times are common
      stream.push({ group: `g${Math.floor(random() * groups)}`, timeMs: clock });
    }
    if (!inOrder) {
      // Mild disorder: each match may be delayed by up to about one timespan.
      const delayed = stream.map((item) => ({ item, arrival: item.timeMs + Math.floor(random() * (spanMs / SECOND) * 1.2) * SECOND }));
      delayed.sort((x, y) => x.arrival - y.arrival);
      stream.splice(0, stream.length, ...delayed.map((d) => d.item));
    }
    const minimumAhead: number[] = new Array(stream.length + 1).fill(Infinity);
    for (let i = stream.length - 1; i >= 0; i -= 1) minimumAhead[i] = Math.min(minimumAhead[i + 1] as number, (stream[i] as StreamItem).timeMs);

    const engine = build(
      [correlation({ id: 'many', type: 'event_count', rules: ['failed'], groupBy: ['g'], timespanMs: spanMs, condition: { operator: 'gte', value: threshold } })],
      [failed],
    );
    const actual: [number, string[]][] = [];
    stream.forEach((item, i) => {
      for (const detection of engine.observe({ rule: failed, event: { 'event.id': `i${i}`, g: item.group }, timeMs: item.timeMs, hostId: 'h' })) {
        assert.equal(detection.group?.['g'], item.group);
        actual.push([i, detection.eventIds]);
      }
      if (i % 25 === 24) engine.expire(minimumAhead[i + 1] as number);
    });
    const reference = referenceFires(stream, threshold, spanMs);
    const expected = reference.fires.map(([i, ids]): [number, string[]] => [i, ids.slice(0, 100).map((j) => `i${j}`)]);
    assert.deepEqual(actual, expected, `round ${round} (threshold ${threshold}, span ${spanMs} ms, ${inOrder ? 'in order' : 'out of order'})`);
    assert.equal(engine.counters().lateMatches, reference.late, `round ${round} late matches`);
    if (inOrder) assert.deepEqual(actual.map(([i]) => i), slidingDefinitionFires(stream, threshold, spanMs), `round ${round} definition`);
    totalFires += actual.length;
  }
  assert.ok(totalFires > 100, `the random streams exercise firing (${totalFires} fires)`);
});
