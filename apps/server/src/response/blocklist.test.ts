// Unit tests of the server's blocklist store: versions, validation, optimistic replace, host states, waiting polls.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseBlocklistPolicy } from '@vigil/protocol/blocklist';
import { BlocklistStore } from './blocklist.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-blocklist-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HASH = 'AB'.repeat(32);

test('every change raises the version; the policy agents get passes their validator', () => {
  const store = new BlocklistStore(join(dir, 'a.sqlite'));
  assert.equal(store.view().version, 0);
  const { entry, version } = store.add({ kind: 'sha256', value: HASH, description: ' miner ' }, 'alice');
  assert.equal(version, 1);
  assert.equal(entry.value, HASH.toLowerCase(), 'hashes are stored lowercase');
  assert.equal(entry.description, 'miner');
  assert.throws(() => store.add({ kind: 'sha256', value: HASH.toLowerCase() }, 'alice'), /already listed/);
  store.add({ kind: 'path', value: '/tmp/**/x' }, 'bob');
  assert.equal(store.view().version, 2);
  assert.deepEqual(parseBlocklistPolicy(store.policy()), store.policy());
  assert.equal(store.remove(entry.id, 'bob').version, 3);
  assert.throws(() => store.remove(entry.id, 'bob'), /no blocklist entry/);
  assert.equal(store.view().updated_by, 'bob');
  store.close();
  const reopened = new BlocklistStore(join(dir, 'a.sqlite'));
  assert.equal(reopened.view().version, 3, 'the version survives a restart');
  assert.equal(reopened.view().entries.length, 1);
  reopened.close();
});

test('replace keeps the ids of entries that stay and refuses a stale expected_version', () => {
  const store = new BlocklistStore(join(dir, 'b.sqlite'));
  const first = store.replace([{ kind: 'path', value: '/tmp/a' }, { kind: 'cmdline', value: 'nc -e' }], 'alice');
  const keptId = first.entries.find((e) => e.value === '/tmp/a')!.id;
  const second = store.replace([{ kind: 'path', value: '/tmp/a', description: 'kept' }, { kind: 'path', value: '/tmp/b' }], 'alice', first.version);
  assert.equal(second.entries.find((e) => e.value === '/tmp/a')!.id, keptId);
  assert.deepEqual(second.entries.map((e) => e.value).sort(), ['/tmp/a', '/tmp/b']);
  assert.throws(() => store.replace([], 'bob', first.version), (error: { code: string }) => error.code === 'conflict');
  assert.throws(() => store.replace([{ kind: 'path', value: '/tmp/a' }, { kind: 'path', value: '/tmp/a' }], 'bob'), /listed twice/);
  assert.throws(() => store.replace([{ kind: 'cmdline', value: '(x+)+' }], 'bob'), (error: { code: string; location: { path: string } }) => error.code === 'invalid_input' && error.location.path === 'body.entries[0].value');
  assert.equal(store.view().version, second.version, 'refused changes change nothing');
  store.close();
});

test('host states say whether each agent enforces the current version', () => {
  const store = new BlocklistStore(join(dir, 'c.sqlite'));
  store.add({ kind: 'path', value: '/tmp/x' }, 'alice');
  store.recordPoll('agent-1', { host_id: 'agent-1', applied_version: 1, wait_s: 25, status: { state: 'running', kernel_paths: 1, userspace_entries: 1, blocked: 2 } });
  store.recordPoll('agent-2', { host_id: 'agent-2', applied_version: 1, wait_s: 25, status: { state: 'failed', kernel_paths: 0, userspace_entries: 1, blocked: 0, error: 'bpftrace missing' } });
  store.recordPoll('agent-3', { host_id: 'agent-3', applied_version: 0, wait_s: 0, status: { state: 'idle', kernel_paths: 0, userspace_entries: 0, blocked: 0 } });
  assert.deepEqual(store.hosts().map((h) => [h.agent_id, h.current, h.error]), [['agent-1', true, null], ['agent-2', false, 'bpftrace missing'], ['agent-3', false, null]]);
  store.close();
});

test('a waiting poll ends on a change, on its timeout, and at close', async () => {
  const store = new BlocklistStore(join(dir, 'd.sqlite'));
  let woke = false;
  const waiting = store.waitForChange(0, 60_000).then(() => (woke = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(woke, false);
  store.add({ kind: 'path', value: '/tmp/y' }, 'alice');
  await waiting;
  const started = Date.now();
  await store.waitForChange(1, 50);
  assert.ok(Date.now() - started >= 40, 'waited for the timeout');
  const held = store.waitForChange(1, 60_000);
  store.close();
  await held;
});
