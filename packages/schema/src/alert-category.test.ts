// The alert category (issue 11): written by the server only, kept out of the telemetry unions, and its double field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allEventFields, categoryByName, checkEvent, telemetryCategories, telemetryFields } from './index.js';

function alertEvent(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': '2026-11-03T09:14:22.529Z', 'event.id': '123e4567-e89b-42d3-a456-426614174000', 'event.sequence': 1, 'event.category': 'alert', 'event.action': 'created',
    'event.kind': 'alert', 'host.id': 'web-01', 'alert.id': '2b0e0a55-6f0e-4a43-9d1e-0e0f6a7c3b11', 'rule.id': 'anomaly:parent-child.new_parent_child', 'rule.ruleset': 'anomaly',
    'alert.level': 'high', 'anomaly.score': 0.97, 'anomaly.profiler': 'parent-child', 'process.executable': '/tmp/x', ...extra,
  };
}

test('agents and imports cannot send alert events; the server can', () => {
  const fromAgent = checkEvent(alertEvent(), 'e');
  assert.equal(fromAgent.category, undefined);
  assert.deepEqual(fromAgent.problems.map((p) => [p.location?.path, p.message]), [['e["event.category"]', 'events of category alert are written by the server only']]);
  assert.equal(checkEvent(alertEvent(), 'e', 10, 'server').category?.name, 'alert');
  const telemetry = { '@timestamp': '2026-11-03T09:14:22.529Z', 'event.id': '123e4567-e89b-42d3-a456-426614174000', 'event.sequence': 1, 'event.category': 'process', 'event.action': 'start', 'host.id': 'h', 'process.pid': 1 };
  assert.equal(checkEvent({ ...telemetry }, 'e').category?.name, 'process');
  assert.equal(checkEvent({ ...telemetry }, 'e', 10, 'server').category, undefined, 'the server writes no telemetry under its own name');
});

test('a double field takes finite numbers only', () => {
  for (const good of [0, 0.5, 1, 0.8000001]) assert.deepEqual(checkEvent(alertEvent({ 'anomaly.score': good }), 'e', 10, 'server').problems, [], String(good));
  for (const bad of ['0.9', Number.NaN, Number.POSITIVE_INFINITY, true]) {
    const problems = checkEvent(alertEvent({ 'anomaly.score': bad }), 'e', 10, 'server').problems;
    assert.deepEqual(problems.map((p) => p.location?.path), ['e["anomaly.score"]'], String(bad));
  }
  assert.deepEqual(checkEvent(alertEvent({ 'alert.level': 'severe' }), 'e', 10, 'server').problems.map((p) => p.location?.path), ['e["alert.level"]']);
});

test('alerts are outside the telemetry unions (`any`, the events view) but in the field list', () => {
  const alert = categoryByName.get('alert')!;
  assert.equal(alert.origin, 'server');
  assert.ok(!telemetryCategories.includes(alert));
  assert.ok(telemetryCategories.length === categoryByName.size - 1);
  assert.ok(allEventFields.some((f) => f.name === 'anomaly.score'));
  assert.ok(!telemetryFields.some((f) => f.name === 'anomaly.score' || f.name === 'rule.ruleset'));
  assert.ok(!alert.fieldByName.has('winlog.event_data'), 'a server category does not get the Windows log fields');
  assert.ok(alert.fieldByName.has('process.entity_id') && alert.fieldByName.has('user.name'));
});
