// The agent's Windows wiring: on win32 the event log source runs (and no Linux source); on Linux it never does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentSources } from './wiring.js';

test('win32 agents run the windows-eventlog source, Linux agents do not', () => {
  assert.deepEqual(agentSources('win32').map((source) => source.name), ['windows-eventlog']);
  assert.ok(!agentSources('linux').some((source) => source.name === 'windows-eventlog'));
});
