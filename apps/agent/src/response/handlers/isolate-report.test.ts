// The isolation report sent with heartbeats: released without a saved isolation (nft is not run), unverified with
// the reason when an isolation is saved but its nftables table is absent. Reads only; never changes the firewall.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeState } from '../internal/state-file.js';
import { isolationReport, type IsolationState } from './isolate.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-isolation-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const now = () => new Date(Date.UTC(2026, 1, 1, 12, 0, 0));

test('no saved isolation: released, checked now', async () => {
  assert.deepEqual(await isolationReport(dir, now), { state: 'released', since: null, checked_at: now().toISOString() });
});

test('a saved isolation whose table is not in force is unverified, with the reason and when it was applied', async () => {
  // The table name is Vigil's own and tests that apply it run in their own network namespaces, so it is absent here.
  const saved: IsolationState = { version: 1, isolated_at: '2026-02-01T11:00:00.000Z', task_id: 't1', args: {}, plan: { server: [{ family: 4, address: '192.0.2.1', port: 8444 }], allow: [], dns: [], dhcp: true } };
  writeState(join(dir, 'network', 'isolation.json'), saved);
  const report = await isolationReport(dir, now);
  assert.equal(report.state, 'unverified');
  assert.equal(report.since, saved.isolated_at);
  assert.equal(report.checked_at, now().toISOString());
  assert.match(report.problem ?? '', /vigil_isolation|nft/);
});
