// End-to-end on the real kernel: a YARA rule set uploaded to `vigil server` reaches a real `vigil agent`, which
// detects a test file when it is written into a watched folder and when a binary carrying the marker is executed,
// finds files in a fleet sweep and a string planted in a child process's memory in a memory sweep, runs the
// yara.scan_paths response action, and quarantines on hit when the rule set says so. Alerts are of kind yara.
// Changes audit state through the agent (auditd source): runs alone, restores it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, cleanup, startAgent, startServer, tempDir, waitFor, type AgentHandle, type ServerHandle } from './harness.js';
import { runTask } from './network-test-support.js';

const run = randomBytes(4).toString('hex');
const FILE_MARKER = `VIGIL-E2E-FILE-${run}`;
const RULES = `rule vigil_e2e_file_marker : e2e {
  meta:
    score = 85
  strings:
    $m = "${FILE_MARKER}"
  condition:
    $m
}

rule vigil_e2e_memory_marker {
  strings:
    $m = "VIGIL-E2E-MEM-${run}"
  condition:
    $m
}
`;

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let watchDir: string;

type Alert = { id: string; kind: string; ruleId: string; ruleTitle: string; level: string; hostId: string; fields: { field: string; value: unknown }[] };
const field = (alert: Alert, name: string) => alert.fields.find((f) => f.field === name)?.value;

async function yaraAlert(what: string, match: (alert: Alert) => boolean): Promise<Alert> {
  return waitFor(what, async () => ((await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as Alert[]).find((a) => a.kind === 'yara' && match(a)), 30_000, 250);
}

async function agentRuleSet(): Promise<Record<string, number> | undefined> {
  const hosts = (await api.get('/api/v1/hosts')).body as { id: string; sources: Record<string, Record<string, number>> | null }[];
  return hosts.find((h) => h.id === agent.agentId)?.sources?.yara;
}

async function putRuleSet(options: Record<string, unknown>): Promise<{ version: number; digest: string }> {
  const reply = await api.put(`/api/v1/yara/rulesets/e2e-${run}`, { description: 'end-to-end', files: [{ name: 'e2e.yar', text: RULES }], options, activate: true });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const version = reply.body.version as number;
  await waitFor(`the agent to use rule set version ${version}`, async () => ((await agentRuleSet())?.ruleset_version === version ? true : undefined), 60_000, 250);
  return { version, digest: reply.body.digest as string };
}

async function sweep(body: Record<string, unknown>): Promise<{ state: string; hosts: { state: string; files: number; matches: number }[]; hits: { path: string | null; pid: number | null; rule: string; sha256: string | null }[]; id: string }> {
  const created = await api.post('/api/v1/yara/sweeps', { host_ids: [agent.agentId], cpu_budget: 1, ...body });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  return waitFor(`sweep ${created.body.id as string}`, async () => {
    const reply = await api.get(`/api/v1/yara/sweeps/${created.body.id as string}`);
    return reply.body.state === 'done' || reply.body.state === 'failed' ? reply.body : undefined;
  }, 60_000, 250);
}

before(async () => {
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api);
  watchDir = tempDir('yara-watch');
  await putRuleSet({ watch_paths: [watchDir], scan_on_write: true, scan_on_exec: true, quarantine_on_hit: false });
});

after(async () => {
  // Vault copies are immutable (chattr +i): clear the flag so the agent's state folder can be removed.
  if (agent) spawnSync('chattr', ['-R', '-i', '-a', join(agent.stateDir, 'quarantine')]);
  await cleanup();
});

test('a test file written into a watched folder is detected on write', async () => {
  const path = join(watchDir, `dropped-${run}.bin`);
  const content = Buffer.concat([randomBytes(2048), Buffer.from(FILE_MARKER), randomBytes(16)]);
  writeFileSync(path, content);
  const alert = await yaraAlert('a yara alert for the written file', (a) => field(a, 'file.path') === path);
  assert.equal(alert.ruleId, 'yara:default.vigil_e2e_file_marker');
  assert.equal(alert.level, 'high', 'score 85');
  assert.equal(field(alert, 'yara.trigger'), 'write');
  assert.equal(field(alert, 'file.hash.sha256'), createHash('sha256').update(content).digest('hex'));
  assert.equal(field(alert, 'yara.action'), 'none');
  assert.deepEqual(field(alert, 'yara.tags'), ['e2e']);
  assert.ok(existsSync(path), 'no quarantine without the policy');
});

test('a binary carrying the marker is detected when it is executed', async () => {
  const dir = tempDir('yara-exec');
  const path = join(dir, `marked-${run}`);
  copyFileSync(realpathSync('/usr/bin/true'), path);
  appendFileSync(path, FILE_MARKER);
  chmodSync(path, 0o755);
  assert.equal(spawnSync(path).status, 0);
  const alert = await yaraAlert('a yara alert for the executed binary', (a) => field(a, 'file.path') === path);
  assert.equal(field(alert, 'yara.trigger'), 'exec');
  assert.equal(typeof field(alert, 'process.pid'), 'number');
});

test('a fleet sweep of paths finds the planted file and reports per-host progress and hits', async () => {
  const root = tempDir('yara-sweep');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(root, 'a', `clean-${i}.txt`), `clean ${i}`);
  const planted = join(root, 'a', 'b', 'planted.dat');
  writeFileSync(planted, `header ${FILE_MARKER} trailer`);
  const done = await sweep({ kind: 'paths', paths: [root] });
  assert.equal(done.state, 'done', JSON.stringify(done));
  assert.deepEqual(done.hosts.map((h) => [h.state, h.files, h.matches]), [['done', 41, 1]]);
  assert.deepEqual(done.hits.map((h) => [h.path, h.rule]), [[planted, 'vigil_e2e_file_marker']]);
  assert.match(done.hits[0]!.sha256!, /^[0-9a-f]{64}$/);
  const alert = await yaraAlert('a yara alert for the swept file', (a) => field(a, 'file.path') === planted);
  assert.equal(field(alert, 'yara.trigger'), 'sweep');
  assert.equal(field(alert, 'yara.sweep_id'), done.id);
});

test('a memory sweep finds a string planted in a child process', async (t) => {
  // Built from two halves at run time: the whole marker exists only in the child's heap, not in its arguments.
  const child = spawn(process.execPath, ['-e', `globalThis.keep = Buffer.from(['VIGIL-E2E-MEM', '${run}'].join('-')); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const done = await sweep({ kind: 'memory', pids: [child.pid] });
  assert.equal(done.state, 'done', JSON.stringify(done));
  assert.deepEqual(done.hits.map((h) => [h.pid, h.rule]), [[child.pid, 'vigil_e2e_memory_marker']]);
  const alert = await yaraAlert('a yara alert for the process memory', (a) => a.ruleId === 'yara:default.vigil_e2e_memory_marker' && field(a, 'process.pid') === child.pid);
  assert.equal(field(alert, 'process.executable'), process.execPath);
});

test('the yara.scan_paths response action scans on demand and reports the matches', async () => {
  const root = tempDir('yara-task');
  const planted = join(root, 'task-planted.txt');
  writeFileSync(planted, FILE_MARKER);
  writeFileSync(join(root, 'clean.txt'), 'clean');
  const task = await runTask(api, agent.agentId, 'yara.scan_paths', { paths: [root] }, 60_000);
  assert.equal(task.state, 'succeeded', JSON.stringify(task));
  assert.equal(task.outcome!.details!.files, 2);
  assert.deepEqual((task.outcome!.details!.hits as { path: string; rules: string[] }[]).map((h) => [h.path, h.rules]), [[planted, ['vigil_e2e_file_marker']]]);
});

test('with quarantine on hit, a detected file is moved into the vault', async () => {
  await putRuleSet({ watch_paths: [watchDir], scan_on_write: true, scan_on_exec: true, quarantine_on_hit: true });
  const path = join(watchDir, `quarantine-me-${run}.bin`);
  writeFileSync(path, `x ${FILE_MARKER} y`);
  const alert = await yaraAlert('a yara alert for the quarantined file', (a) => field(a, 'file.path') === path);
  assert.equal(field(alert, 'yara.action'), 'quarantined');
  assert.equal(existsSync(path), false, 'the file left its folder');
  const vault = join(agent.stateDir, 'quarantine');
  assert.ok(readdirSync(vault).length > 0, 'the vault holds it');
});
