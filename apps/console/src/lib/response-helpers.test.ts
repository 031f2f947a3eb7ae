// Response helpers: a host's isolation from its tasks (latest success decides, newer in-flight ones are pending), the
// agent's checked report preferred when current, and action arguments from the form generated out of an action's JSON Schema.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { isolationFrom, shownIsolation } from './isolation.js';
import { argsFromForm, formFields, type JsonSchema } from './schema-args.js';

const task = (id: string, host_id: string, action: string, state: string, minute: number) => ({ id, host_id, action, state, created_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString() });

test('isolation: the latest successful isolate or release decides; newer in-flight tasks are pending', () => {
  const map = isolationFrom([
    task('1', 'a', 'host.isolate', 'succeeded', 1),
    task('2', 'a', 'host.release', 'failed', 2),
    task('3', 'b', 'host.isolate', 'succeeded', 1),
    task('4', 'b', 'host.release', 'succeeded', 3),
    task('5', 'c', 'host.isolate', 'succeeded', 1),
    task('6', 'c', 'host.release', 'running', 4),
    task('7', 'd', 'host.isolate', 'awaiting_approval', 1),
    task('8', 'e', 'agent.ping', 'succeeded', 1),
  ]);
  assert.equal(map.get('a')?.state, 'isolated', 'a failed release changes nothing');
  assert.equal(map.get('b')?.state, 'released');
  assert.deepEqual([map.get('c')?.state, map.get('c')?.settled, map.get('c')?.task.id], ['pending', 'isolated', '6']);
  assert.equal(map.has('d'), false, 'waiting for approval is not on its way yet');
  assert.equal(map.has('e'), false);
});

test('isolation shown: the agent report wins when checked after the deciding task; in-flight tasks stay pending', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const isolated = isolationFrom([{ ...task('1', 'a', 'host.isolate', 'succeeded', 1), finished_at: at(2) }]).get('a');
  const report = (state: 'isolated' | 'released' | 'unverified', minute: number) => ({ state, since: state === 'released' ? null : at(1), checked_at: at(minute) });
  assert.deepEqual(shownIsolation(isolated, report('isolated', 3)), { state: 'isolated', verifiedAt: at(3) });
  assert.deepEqual(shownIsolation(isolated, report('released', 1)), { state: 'isolated', verifiedAt: null }, 'a report older than the task predates it');
  assert.deepEqual(shownIsolation(isolated, { ...report('unverified', 4), problem: 'table inet vigil_isolation is missing' }), { state: 'unverified', verifiedAt: at(4), problem: 'table inet vigil_isolation is missing' });
  assert.deepEqual(shownIsolation(undefined, report('isolated', 0)), { state: 'isolated', verifiedAt: at(0) }, 'isolated without a task the console can see');
  assert.deepEqual(shownIsolation(undefined, null), { state: 'released', verifiedAt: null });
  const pending = isolationFrom([task('1', 'a', 'host.isolate', 'succeeded', 1), task('2', 'a', 'host.release', 'running', 5)]).get('a');
  assert.equal(shownIsolation(pending, report('isolated', 6)).state, 'pending');
});

test('property: isolation does not depend on the order tasks arrive in', () => {
  const random = seededRandom(11);
  const states = ['succeeded', 'failed', 'running', 'queued', 'cancelled', 'awaiting_approval'];
  for (let round = 0; round < 500; round++) {
    const tasks = Array.from({ length: Math.floor(random() * 12) }, (_, i) => task(`t${i}`, `h${Math.floor(random() * 3)}`, random() < 0.5 ? 'host.isolate' : 'host.release', states[Math.floor(random() * states.length)]!, Math.floor(random() * 20)));
    const shuffled = [...tasks].sort(() => random() - 0.5);
    const a = isolationFrom(tasks);
    const b = isolationFrom(shuffled);
    assert.deepEqual([...a].sort(), [...b].sort());
    for (const [host, value] of a) {
      const own = tasks.filter((t) => t.host_id === host);
      assert.ok(own.includes(value.task));
      if (value.state !== 'pending') assert.equal(value.task.state, 'succeeded');
    }
  }
});

const schema: JsonSchema = {
  type: 'object',
  required: ['pid'],
  properties: {
    pid: { type: 'integer', minimum: 1 },
    signal: { type: 'string', enum: ['TERM', 'KILL'], default: 'TERM' },
    tree: { type: 'boolean', default: false },
    allow: { type: 'array', items: { type: 'string' } },
    note: { type: ['string', 'null'] },
    extra: { type: 'object' },
  },
};

test('form fields follow the schema and arguments come back typed', () => {
  assert.deepEqual(formFields(schema).map((f) => [f.name, f.kind, f.required, f.initial]), [
    ['pid', 'number', true, ''],
    ['signal', 'select', false, 'TERM'],
    ['tree', 'checkbox', false, false],
    ['allow', 'list', false, ''],
    ['note', 'text', false, ''],
    ['extra', 'json', false, ''],
  ]);
  assert.deepEqual(argsFromForm(schema, { pid: ' 4242 ', tree: true, allow: '10.0.0.1\n10.0.0.2, 10.0.0.3', extra: '{"a":1}' }), { args: { pid: 4242, signal: 'TERM', tree: true, allow: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], extra: { a: 1 } }, problems: [] });
  assert.deepEqual(argsFromForm(schema, { pid: '', extra: '{' }).problems, [{ field: 'pid', message: 'required' }, { field: 'extra', message: 'not valid JSON' }]);
  assert.deepEqual(argsFromForm(schema, { pid: 'x' }).problems, [{ field: 'pid', message: 'not a number' }]);
  assert.deepEqual(argsFromForm(undefined, {}), { args: {}, problems: [] });
});
