// The agent's handler list against the action catalog: every action declared for Linux has exactly one handler, and
// every handler runs a declared action (a handler the server can never sign for, or an action no agent can run, is a bug).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionCatalog } from '@vigil/response';
import { agentHandlers } from './index.js';

test('every Linux action of the catalog has exactly one handler, and every handler has a declared action', () => {
  const handled = agentHandlers().map((h) => h.action);
  const duplicates = handled.filter((name, i) => handled.indexOf(name) !== i);
  assert.deepEqual(duplicates, [], 'one handler per action');
  const linux = actionCatalog().list().filter((spec) => spec.platforms.includes('linux')).map((spec) => spec.name);
  assert.deepEqual(linux.filter((name) => !handled.includes(name)), [], 'declared for Linux but without a handler');
  assert.deepEqual(handled.filter((name) => !actionCatalog().get(name)), [], 'handled but not declared');
  assert.ok(linux.length >= 24, `${linux.length} Linux actions`);
});
