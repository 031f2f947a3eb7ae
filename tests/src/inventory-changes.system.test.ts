// End-to-end on this machine: a real `vigil agent` (with an operator config file) reports inventory and change
// records to a real `vigil server`; after useradd, a cron file and a new listener, GET /api/v1/hosts/:id/changes?since=T
// returns the account creation, the cron file (with their diffs) and the inventory rows that appeared.
// Changes accounts, files and (through the agent's auditd source) audit state: runs alone and restores all of it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApiClient, cleanup, startAgent, startServer, tempDir, waitFor, type AgentHandle, type ServerHandle } from './harness.js';

const suffix = randomBytes(3).toString('hex');
const USER = `vigile2e${suffix}`;
const CRON = `/etc/cron.d/vigil-e2e-${suffix}`;
const PORT = 20000 + Math.floor(Math.random() * 10000);
let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let listener: ChildProcess | undefined;
let auditRulesBefore = '';
const AF_UNIX_CONF = '/etc/audit/plugins.d/af_unix.conf';
let afUnixBefore = '';

const userExists = () => execFileSync('getent', ['passwd'], { encoding: 'utf8' }).split('\n').some((line) => line.startsWith(`${USER}:`));

before(async () => {
  auditRulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  afUnixBefore = existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF, 'utf8') : '';
  const config = join(tempDir('config'), 'agent.yml');
  writeFileSync(
    config,
    [
      'inventory:',
      '  intervals: { listening_ports: 2, users: 5 }',
      '  executable_dirs: [/usr/sbin]',
      'changes:',
      '  rescan_seconds: 5',
      'filters:',
      '  - name: keep the test quiet',
      '    onmatch: exclude',
      '    category: process',
      '    conditions:',
      '      process.name: [sleep]',
      '',
    ].join('\n'),
  );
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api, { env: { VIGIL_AGENT_CONFIG: config } });
});

after(async () => {
  listener?.kill();
  const problems: string[] = [];
  try {
    if (userExists()) execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  } catch (error) {
    problems.push(`userdel: ${(error as Error).message}`);
  }
  rmSync(CRON, { force: true });
  await cleanup();
  assert.equal(userExists(), false, 'test user removed');
  assert.equal(existsSync(CRON), false, 'cron file removed');
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), auditRulesBefore, 'audit rules restored');
  assert.equal(existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF, 'utf8') : '', afUnixBefore, 'af_unix plugin config restored');
  assert.deepEqual(problems, []);
});

test('changes since T: the new account, the cron file and the new listener, with diffs and the inventory before/after', async () => {
  const inventory = await waitFor(
    'the first inventory',
    async () => {
      const reply = await api.get(`/api/v1/hosts/${agent.agentId}/inventory?limit=10`);
      const tables = reply.body.tables as Record<string, { collected_at: string | null; total: number }> | undefined;
      return tables && Object.values(tables).every((t) => t.collected_at !== null) ? tables : undefined;
    },
    60_000,
    500,
  );
  assert.ok(inventory.packages!.total > 100, 'installed packages reported');
  assert.ok(inventory.users!.total > 5, 'accounts reported');
  // Let the first reports and the change source's first scan settle, then mark T.
  await new Promise((r) => setTimeout(r, 1500));
  const since = new Date().toISOString();

  execFileSync('useradd', ['-m', '-s', '/bin/bash', USER], { stdio: 'ignore' });
  writeFileSync(CRON, `17 3 * * * root /usr/local/bin/vigil-e2e-${suffix}\n`);
  listener = spawn(process.execPath, ['-e', `require('net').createServer().listen(${PORT}, '127.0.0.1')`], { stdio: 'ignore' });

  const changes = await waitFor(
    'the changes to reach the server',
    async () => {
      const reply = await api.get(`/api/v1/hosts/${agent.agentId}/changes?since=${encodeURIComponent(since)}`);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const body = reply.body as { records: Record<string, unknown>[]; inventory: Record<string, unknown>[] };
      const userRecord = body.records.find((r) => r['event.action'] === 'user_created' && r['user.target.name'] === USER);
      const cronRecord = body.records.find((r) => r['file.path'] === CRON);
      const userRow = body.inventory.find((t) => t.table === 'users' && t.key === JSON.stringify([USER]));
      const portRow = body.inventory.find((t) => t.table === 'listening_ports' && t.key === JSON.stringify(['tcp', '127.0.0.1', PORT]));
      return userRecord && cronRecord && userRow && portRow ? { body, userRecord, cronRecord, userRow, portRow } : undefined;
    },
    30_000,
    500,
  );
  const { userRecord, cronRecord, userRow, portRow } = changes;
  assert.equal(userRecord['event.category'], 'iam');
  assert.equal(userRecord['host.id'], agent.agentId);
  assert.match(String(userRecord['change.diff']), new RegExp(`\\n\\+${USER}:x:\\d+:\\d+::/home/${USER}:/bin/bash\\n`));
  assert.equal(cronRecord['event.category'], 'autostart');
  assert.equal(cronRecord['event.action'], 'created');
  assert.equal(cronRecord['autostart.location'], 'cron');
  assert.equal(cronRecord['autostart.command'], `17 3 * * * root /usr/local/bin/vigil-e2e-${suffix}`);
  assert.match(String(cronRecord['change.diff']), /^--- a\/etc\/cron\.d\/vigil-e2e-/);
  assert.match(String(cronRecord['change.after_sha256']), /^[0-9a-f]{64}$/);
  assert.equal(userRow.change, 'added');
  assert.equal((userRow.after as Record<string, unknown>)['user.shell'], '/bin/bash');
  assert.equal(portRow.change, 'added');
  assert.equal((portRow.after as Record<string, unknown>)['process.pid'], listener.pid);
  for (const record of changes.body.records) assert.ok(Date.parse(String(record['@timestamp'])) >= Date.parse(since), 'only records since T');

  // The inventory as it was at T does not have the account; now it does.
  const then = await api.get(`/api/v1/hosts/${agent.agentId}/inventory?table=users&at=${encodeURIComponent(since)}&limit=50000`);
  assert.ok(!(then.body.tables.users.rows as Record<string, unknown>[]).some((r) => r['user.name'] === USER));
  const now = await api.get(`/api/v1/hosts/${agent.agentId}/inventory?table=users&limit=50000`);
  assert.ok((now.body.tables.users.rows as Record<string, unknown>[]).some((r) => r['user.name'] === USER));

  // The heartbeat carries the filter counters per category.
  const host = await waitFor('filter counters in the heartbeat', async () => {
    const reply = await api.get(`/api/v1/hosts/${agent.agentId}`);
    const counters = reply.body.counters as Record<string, number> | null;
    return counters && counters['collected.iam'] !== undefined && counters['collected.autostart'] !== undefined ? reply.body : undefined;
  }, 15_000, 500);
  assert.equal(typeof host.counters.filtered, 'number');
  assert.ok(host.sources.inventory.tables_acknowledged >= 8, JSON.stringify(host.sources.inventory));
});
