// A 100,000-row hunt result in the console stays virtualised: the table scrolls from the first row to the last
// while the DOM holds a bounded number of rows (the events arrive through the real ingest path first).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { ApiClient, cleanup, request, waitFor, type ServerHandle } from '../harness.js';
import { batchBody } from '../events.js';
import { launchBrowser, login, openTab, startConsoleServer, uniqueId, visit } from './browser.js';

const TOTAL = 100_000;
/** Rows the hunt asks for: the API's largest limit, so every stored event comes back. */
const SHOWN = TOTAL;
const BATCH = 5_000;
/** The most rows the table may render at once: what fits in view plus the overscan, far below the total. */
const MAX_RENDERED_ROWS = 80;
let server: ServerHandle;
let api: ApiClient;
let browser: Browser;
const marker = `scale-${uniqueId()}`;

before(async () => {
  browser = await launchBrowser();
  server = await startConsoleServer();
  api = await new ApiClient(server).login();
  const agent = await api.enrollKeys();
  const start = Date.now() - 30 * 60_000;
  for (let offset = 0; offset < TOTAL; offset += BATCH) {
    const events = Array.from({ length: BATCH }, (_, k) => {
      const i = offset + k;
      return {
        '@timestamp': new Date(start + i * 10).toISOString(),
        'event.id': randomUUID(),
        'event.sequence': i + 1,
        'event.category': 'process',
        'event.action': 'start',
        'host.id': agent.agentId,
        'process.pid': 10_000 + (i % 50_000),
        'process.executable': '/usr/bin/true',
        'process.name': 'true',
        'process.command_line': `true ${marker} row-${String(i).padStart(6, '0')}`,
      };
    });
    const reply = await request(`https://127.0.0.1:${server.agentPort}/agent/v1/events`, { raw: batchBody(agent.agentId, events), ca: server.caPem, key: agent.key, cert: agent.cert });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  }
  await waitFor('100,000 stored events', async () => ((await api.get('/api/v1/events/counts?group_by=none')).body.total === TOTAL ? true : undefined), 60_000);
});

after(async () => {
  await browser?.close();
  await cleanup();
});

test('a 100,000-row hunt result scrolls end to end with a bounded number of rows in the DOM', async () => {
  const tab = await openTab(browser, server);
  const { page } = tab;
  await login(page);
  await visit(page, '/hunt', 'Hunt');
  await page.getByTestId('hunt-limit').fill(String(SHOWN));
  await page.getByTestId('hunt-range').selectOption('all');
  await page.getByLabel('Hunt query').fill(`process where process.command_line contains "${marker}" | sort process.command_line asc | fields process.command_line, process.pid, @timestamp`);
  await page.getByRole('button', { name: 'Run hunt' }).click();
  const results = page.locator('[data-testid="hunt-results"][data-kind="events"]');
  await results.waitFor({ timeout: 120_000 });
  assert.equal(await results.getAttribute('data-rows'), String(SHOWN));
  const grid = page.getByRole('grid', { name: 'Hunt results' });
  assert.equal(await grid.getAttribute('aria-rowcount'), String(SHOWN + 1));
  const rendered = () => grid.locator('.vt-row').count();
  const firstRow = grid.locator('.vt-row').first();
  assert.match((await firstRow.textContent()) ?? '', /row-000000/);
  assert.ok((await rendered()) <= MAX_RENDERED_ROWS, `rows in the DOM at the top: ${await rendered()}`);

  // Scroll to the middle and to the end: the rows there render, the DOM stays bounded.
  for (const [fraction, row] of [[0.5, 'row-0499'], [1, `row-0${SHOWN - 1}`]] as const) {
    await grid.evaluate((element, f) => {
      element.scrollTop = (element.scrollHeight - element.clientHeight) * f;
    }, fraction);
    await grid.getByText(new RegExp(row)).first().waitFor();
    const count = await rendered();
    assert.ok(count <= MAX_RENDERED_ROWS, `rows in the DOM at ${fraction * 100}%: ${count}`);
  }
  const last = grid.locator(`[aria-rowindex="${SHOWN + 1}"]`);
  await last.waitFor();
  assert.match((await last.textContent()) ?? '', new RegExp(`row-0${SHOWN - 1}`));

  // Keyboard: Home goes back to the first row, End to the last, and the active row is always rendered.
  await grid.focus();
  await page.keyboard.press('Home');
  await grid.locator('[aria-rowindex="2"][aria-selected="true"]').waitFor();
  await page.keyboard.press('End');
  await grid.locator(`[aria-rowindex="${SHOWN + 1}"][aria-selected="true"]`).waitFor();
  assert.ok((await rendered()) <= MAX_RENDERED_ROWS);
  assert.deepEqual(tab.takeProblems(), []);
  await tab.context.close();
});
