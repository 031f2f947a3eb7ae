// Browser helpers for the console's end-to-end tests: Debian's chromium through playwright-core against a real
// server (tests/src/harness.ts), a real in-process agent whose only source emits the events a test injects, and a
// record of every console error, page error and CSP violation a page produces.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '@vigil/common';
import { enroll, startAgent, type RunningAgent } from '@vigil/agent';
import { createPingHandler } from '@vigil/agent/response/handlers/ping';
import type { ActionHandler } from '@vigil/agent/response/handler';
import type { EventSink, EventSource } from '@vigil/sources';
import type { CollectedEvent } from '@vigil/schema';
import { ADMIN_PASSWORD, ApiClient, startServer, tempDir, waitFor, type ServerHandle } from '../harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
export const consoleDist = () => join(repoRoot(), 'apps', 'console', 'dist');

/** Fails loudly when the console is not built or chromium is missing (never skips). */
export function requireConsoleBuild(): void {
  assert.ok(existsSync(join(consoleDist(), 'index.html')), `the console is not built: run "npm run build -w @vigil/console" (no ${join(consoleDist(), 'index.html')})`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (scripts/setup.sh does)`);
}

export async function launchBrowser(): Promise<Browser> {
  requireConsoleBuild();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A server for browser tests: generous rate limits (a test clicks faster than people), real everything else. */
export function startConsoleServer(extraEnv: Record<string, string> = {}): Promise<ServerHandle> {
  return startServer({ VIGIL_API_RATE_PER_MIN: '100000', VIGIL_API_RATE_BURST: '10000', VIGIL_LOGIN_RATE_PER_MIN: '1000', ...extraEnv });
}

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings, uncaught page errors, CSP violations and failed requests, in order. */
  problems: string[];
  /** Returns the problems recorded so far and forgets them. */
  takeProblems(): string[];
}

/** A fresh browser context (own cookies) at 1280x800 with its problems recorded. */
export async function openTab(browser: Browser, server: ServerHandle): Promise<ConsoleTab> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, baseURL: server.apiUrl });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? '';
    if (!failure.includes('ERR_ABORTED')) problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
  });
  // CSP violations are events in the page: report each as a console error, which is recorded above.
  await context.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));" });
  return { context, page, problems, takeProblems: () => problems.splice(0) };
}

export async function login(page: Page, username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto('/');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('role').waitFor();
}

/** Opens a console path and waits for its page heading (not the loading placeholder). */
export async function visit(page: Page, path: string, title?: string | RegExp): Promise<void> {
  await page.goto(path);
  const heading = page.locator('#page-title');
  await heading.waitFor();
  if (title) await waitFor(`heading ${String(title)} on ${path}`, async () => ((await heading.textContent()) ?? '').match(title) !== null || undefined, 10_000);
}

export interface InjectedAgent {
  agentId: string;
  /** This machine's host name: the agent's heartbeats report it. */
  hostname: string;
  agent: RunningAgent;
  /** Emits events through the real agent pipeline (validation, spool, mTLS batch) and waits until the server has them. */
  emit(events: CollectedEvent[] | Record<string, unknown>[]): Promise<void>;
  /** What the injected source reports in heartbeats (lost / filtered counters). */
  stats: Record<string, number>;
  /** Whether the simulated isolation handler last isolated (true) or released (false) the host. */
  isolated: boolean;
  stop(): Promise<void>;
}

/**
 * Enrolls and starts a real agent (identity, spool, mTLS sender, heartbeats, task runner) in this process; its only
 * source emits what the test injects and its isolation is simulated. No audit rules, firewall or other machine state
 * are touched.
 */
export async function startInjectedAgent(server: ServerHandle, api: ApiClient): Promise<InjectedAgent> {
  const stateDir = tempDir('console-agent');
  // Heartbeats carry this machine's host name, which the server shows; enroll under the same name.
  const hostname = osHostname();
  const identity = await enroll({ serverUrl: server.apiUrl, token: await api.enrollmentToken(), caPem: server.caPem, stateDir, hostname });
  let sink: EventSink | undefined;
  const stats: Record<string, number> = { lost: 0, filtered: 0 };
  const source: EventSource = {
    name: 'injected',
    platforms: ['linux', 'darwin', 'win32'],
    start: async (s) => {
      sink = s;
    },
    stop: async () => {
      sink = undefined;
    },
    stats: () => ({ ...stats }),
  };
  // Response tasks run through the real task runner (signature, expiry and argument checks), but isolation is
  // simulated: the test must never change this machine's firewall. Other actions than ping are unsupported.
  // Its heartbeat reports the simulated state the way the real isolate handler reports the checked nftables table.
  const state = { isolated: false, since: null as string | null };
  const simulated = (action: string, isolated: boolean): ActionHandler => ({
    action,
    run: async () => {
      state.isolated = isolated;
      state.since = isolated ? new Date().toISOString() : null;
      return { ok: true, summary: `${isolated ? 'isolated' : 'released'} (simulated by the test agent)`, verified: true };
    },
    ...(isolated ? { report: async () => ({ isolation: { state: state.isolated ? ('isolated' as const) : ('released' as const), since: state.since, checked_at: new Date().toISOString() } }) } : {}),
  });
  const handlers = [createPingHandler() as unknown as ActionHandler, simulated('host.isolate', true), simulated('host.release', false)];
  const agent = await startAgent({ stateDir, sources: [source], flushMs: 50, heartbeatSeconds: 1, handlers, defense: false });
  let emitted = 0;
  return {
    agentId: identity.agentId,
    hostname,
    agent,
    stats,
    get isolated() {
      return state.isolated;
    },
    async emit(events) {
      assert.ok(sink, 'the injected source is not running');
      for (const event of events) sink.emit(event as CollectedEvent);
      emitted += events.length;
      const drained = await agent.drain(20_000);
      assert.ok(drained, 'the agent did not deliver the injected events within 20 s');
      assert.equal(agent.counters().invalid, 0, 'an injected event failed schema validation');
      await waitFor('the server to store the injected events', async () => {
        const reply = await api.get(`/api/v1/events/counts?host_id=${identity.agentId}&group_by=none`);
        return reply.body.total >= emitted ? true : undefined;
      }, 20_000);
    },
    stop: () => agent.stop(),
  };
}

/** Builders of injected events: a process start with entity ids, and events of that process. */
export function processStart(entityId: string, parentEntityId: string | null, pid: number, executable: string, commandLine: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': new Date().toISOString(),
    'event.category': 'process',
    'event.action': 'start',
    'process.pid': pid,
    'process.entity_id': entityId,
    ...(parentEntityId ? { 'process.parent.entity_id': parentEntityId } : {}),
    'process.parent.pid': 1,
    'process.executable': executable,
    'process.name': executable.split('/').pop(),
    'process.command_line': commandLine,
    'process.args': commandLine.split(' '),
    'user.name': 'www-data',
    'user.id': '33',
    ...extra,
  };
}

export function activity(entityId: string, pid: number, category: 'network' | 'file' | 'dns', action: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { '@timestamp': new Date().toISOString(), 'event.category': category, 'event.action': action, 'process.pid': pid, 'process.entity_id': entityId, ...fields };
}

export const uniqueId = () => randomUUID().slice(0, 8);

/** Where screenshots go when VIGIL_SCREENSHOTS=1 (docs/screenshots, kept current by running the console tests). */
export function screenshotPath(name: string): string | undefined {
  if (process.env.VIGIL_SCREENSHOTS !== '1') return undefined;
  const dir = join(repoRoot(), 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
