// End-to-end on the real kernel: `vigil agent` reports file operations, script execution, LD_PRELOAD use and OS log
// lines to `vigil server` with the acting process, and the Linux pack's file and preload rules fire. Writes one file in
// /etc/cron.d (removed again, also on failure); changes audit state, restores it when the agent stops.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from './harness.js';

const RULES = {
  cronWrite: 'a71f8c1e-6844-4eae-a3fe-0e6fc53ac39f', // Vigil: Cron Table or Cron Directory Written
  setuid: '6236717b-826a-4fc7-8ef2-d86b56eceb20', // Vigil: Setuid or Setgid Bit Set on a File
  preload: '69366e09-364c-40dd-b15c-2322a76580bc', // Vigil: Program Started With a Preloaded Library From an Untrusted Location
};

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let rulesBefore = '';
let devLogBefore = false;
const tag = randomBytes(4).toString('hex');
const cronFile = `/etc/cron.d/vigil-e2e-${tag}`;
const work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-e2e-files-')));

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', env });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the file telemetry end-to-end test must run as root (auditd, /etc/cron.d)');
  rulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  devLogBefore = existsSync('/dev/log');
  server = await startServer();
  api = await new ApiClient(server).login();
  // The server stores events under /tmp, which the agent watches: without the exclusion each stored batch would report
  // the server's own journal writes, which would be stored and reported again.
  agent = await startAgent(server, api, { env: { VIGIL_FILE_EXCLUDE: server.dataDir } });
});

after(async () => {
  if (existsSync(cronFile)) unlinkSync(cronFile);
  rmSync(work, { recursive: true, force: true });
  await cleanup();
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), rulesBefore, 'audit rules restored');
  assert.equal(existsSync('/dev/log'), devLogBefore, 'the agent removed the /dev/log it served (or left a syslog daemon\'s alone)');
});

test('file, script, preload and log events reach the server with the acting process; the pack rules fire', async () => {
  const sh = realpathSync('/bin/sh');
  const cronWriter = await run(sh, ['-c', `echo '* * * * * root true' > ${cronFile}`]);
  const tool = join(work, 'tool');
  const cp = await run('/bin/cp', ['/bin/true', tool]);
  const byPid = (pid: number) => (e: Record<string, unknown>) => e['process.pid'] === pid;
  const files = () => api.hostEvents(agent.agentId, 'category=file&limit=10000');

  const cron = await waitFor('the cron file event', async () => (await files()).find((e) => byPid(cronWriter)(e) && e['file.path'] === cronFile), 30_000, 250);
  assert.equal(cron['event.action'], 'create');
  assert.equal(cron['process.executable'], sh);
  assert.equal(cron['process.parent.pid'], process.pid);
  assert.equal(cron['user.name'], 'root');
  assert.equal(cron['host.id'], agent.agentId);
  assert.ok(cron['process.entity_id'], 'the acting process has an entity id');

  const copy = await waitFor('the copied executable, hashed', async () => (await files()).find((e) => byPid(cp)(e) && e['file.path'] === tool), 30_000, 250);
  assert.equal(copy['file.executable'], true);
  assert.match(String(copy['file.hash.sha256']), /^[0-9a-f]{64}$/);
  const chmod = await run('/bin/chmod', ['u+s', tool]);
  const setuid = await waitFor('the setuid chmod', async () => (await files()).find((e) => byPid(chmod)(e) && e['event.action'] === 'permission_change'), 30_000, 250);
  assert.equal(setuid['file.setuid'], true);

  const bash = await run('/bin/bash', ['-c', `echo vigil-e2e-${tag} > /dev/null`]);
  const script = await waitFor('the script event', async () => (await api.hostEvents(agent.agentId, 'category=script&limit=1000')).find(byPid(bash)), 30_000, 250);
  assert.equal(script['event.action'], 'command');
  assert.equal(script['script.text'], `echo vigil-e2e-${tag} > /dev/null`);

  const library = join(work, `.hook-${tag}.so`);
  const preloaded = await run('/bin/sleep', ['1'], { ...process.env, LD_PRELOAD: library });
  const preload = await waitFor('the LD_PRELOAD event', async () => (await api.hostEvents(agent.agentId, 'category=injection&limit=1000')).find((e) => byPid(preloaded)(e) && e['event.action'] === 'ld_preload'), 30_000, 250);
  assert.equal(preload['file.path'], library);

  // Without a syslog daemon the agent serves /dev/log; with one, the line goes to the daemon's files the agent tails.
  execFileSync('logger', ['-t', `vigil-e2e-${tag}`, '-p', 'auth.warning', 'hello from the e2e test']);
  const log = await waitFor('the log event', async () => (await api.hostEvents(agent.agentId, 'category=log&limit=1000')).find((e) => e['log.syslog.appname'] === `vigil-e2e-${tag}`), 30_000, 250);
  assert.equal(log['log.level'], 'warning');
  assert.equal(log['log.syslog.facility.name'], 'auth');

  const expected = new Map([
    [RULES.cronWrite, cron['event.id']],
    [RULES.setuid, setuid['event.id']],
    [RULES.preload, preload['event.id']],
  ]);
  await waitFor('alerts of the cron, setuid and preload rules', async () => {
    const list = (await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as { ruleId: string; eventIds: string[] }[];
    return [...expected].every(([rule, event]) => list.some((a) => a.ruleId === rule && a.eventIds.includes(event as string))) ? list : undefined;
  }, 30_000, 250);

  const host = await waitFor('a heartbeat with file events counted', async () => {
    const hosts = (await api.get('/api/v1/hosts')).body as { id: string; sources: Record<string, Record<string, number>> | null }[];
    const mine = hosts.find((h) => h.id === agent.agentId);
    return (mine?.sources?.auditd?.fileEvents ?? 0) > 0 && (mine?.sources?.oslog?.events ?? 0) > 0 ? mine : undefined;
  }, 30_000, 250);
  assert.equal(host.sources!.auditd!.parseErrors, 0);
  assert.ok(host.sources!.auditd!.watchRules! >= 5);
  // No feedback loop: nothing from the server's data folder was reported.
  assert.equal((await files()).filter((e) => String(e['file.path']).startsWith(server.dataDir)).length, 0);
});
