// The agent's task runner: long-polls the server over its own mutual-TLS connection, verifies every envelope
// (signature, target, validity, nonce), validates arguments, runs the handler with an AbortSignal and a timeout, and
// reports acceptance, progress, results and refusals. Never runs an unverified task; never blocks event batches.

import { join } from 'node:path';
import { VigilError, createLogger } from '@vigil/common';
import {
  CANCEL_ACTION,
  actionCatalog,
  parsePollReply,
  taskLimits,
  taskPaths,
  verifyTask,
  type ActionOutcome,
  type ActionRegistry,
  type RefusalReason,
  type TaskBody,
  type TaskReport,
} from '@vigil/response';
import { AgentChannel, errorText } from '../transport.js';
import type { ActionContext, ActionHandler } from './handler.js';
import { openKeyPin, type KeyPin } from './key-pin.js';
import { openNonceStore, type NonceStore } from './nonce-store.js';

export interface TaskRunnerOptions {
  agentId: string;
  stateDir: string;
  /** host:port of the server's agent listener. */
  endpoint: string;
  credentials: { keyPem: string; certPem: string; caPem: string };
  handlers: readonly ActionHandler[];
  /** Default: the full action catalog of @vigil/response. */
  registry?: ActionRegistry;
  /** Handlers running at once; further tasks wait (default 4). */
  maxConcurrent?: number;
  /** Seconds the server may hold a poll (default taskLimits.pollWaitSeconds). */
  pollWaitSeconds?: number;
  /** Default timeout of a handler whose spec names none (default 60). */
  defaultTimeoutSeconds?: number;
}

export interface TaskRunnerStats {
  received: number;
  refused: number;
  succeeded: number;
  failed: number;
  running: number;
  poll_errors: number;
  key_id: string | null;
}

export interface TaskRunner {
  /** Calls every handler's `restore`, then starts the poll loop. */
  start(): Promise<void>;
  /** A task-signing key offer from a heartbeat reply (pins at first sight, follows rotations). */
  offerKey(offer: unknown): void;
  stats(): TaskRunnerStats;
  /** Stops polling, aborts running handlers, flushes pending reports (a few seconds at most). */
  stop(): Promise<void>;
}

const log = createLogger('agent.response');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface Running {
  task: TaskBody;
  controller: AbortController;
  /** Why it was aborted, when it was. */
  abortedBy?: 'timeout' | 'cancelled' | 'agent_stopping';
}

function parseEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!match?.[1] || !match[2]) throw new VigilError('invalid_config', `agent endpoint must be host:port, got ${JSON.stringify(endpoint)}`);
  return { host: match[1], port: Number(match[2]) };
}

export function createTaskRunner(options: TaskRunnerOptions): TaskRunner {
  const registry = options.registry ?? actionCatalog();
  const handlers = new Map<string, ActionHandler>();
  for (const handler of options.handlers) {
    if (handlers.has(handler.action)) throw new VigilError('invalid_config', `two handlers for action ${handler.action}`);
    if (!registry.get(handler.action)) throw new VigilError('invalid_config', `handler for ${handler.action}, which is not in the action catalog`);
    handlers.set(handler.action, handler);
  }
  const server = parseEndpoint(options.endpoint);
  const responseDir = join(options.stateDir, 'response');
  let keyPin: KeyPin | undefined;
  let nonces: NonceStore | undefined;
  const channel = new AgentChannel(options.endpoint, options.credentials);
  const maxConcurrent = options.maxConcurrent ?? 4;
  const wait = Math.min(options.pollWaitSeconds ?? taskLimits.pollWaitSeconds, taskLimits.pollWaitSeconds);
  const counters = { received: 0, refused: 0, succeeded: 0, failed: 0, poll_errors: 0 };
  const running = new Map<string, Running>();
  /** Finished tasks whose final report has not reached the server yet (listed as running in polls). */
  const unreported = new Set<string>();
  const slots: (() => void)[] = [];
  let active = 0;
  let stopping = false;
  let loop: Promise<void> | undefined;

  // ---- reports: one sender, in order, retried until delivered (or the agent stops) ----
  const reports: TaskReport[] = [];
  let wakeSender: (() => void) | undefined;
  let sender: Promise<void> | undefined;
  function report(entry: Omit<TaskReport, 'host_id'>): void {
    // Progress is best effort: a long queue drops it rather than delaying results.
    if (entry.state === 'progress' && reports.length > 20) return;
    reports.push({ host_id: options.agentId, ...entry });
    wakeSender?.();
  }
  async function sendReports(): Promise<void> {
    let backoff = 250;
    while (true) {
      const next = reports[0];
      if (!next) {
        if (stopping) return;
        await new Promise<void>((resolve) => (wakeSender = resolve));
        wakeSender = undefined;
        continue;
      }
      try {
        const result = await channel.post(taskPaths.result, JSON.stringify(next), 15_000);
        // 4xx: the server will never accept this report (task unknown, cancelled, invalid); retrying cannot help.
        if (result.status !== 200 && !(result.status >= 400 && result.status < 500)) throw new Error(`HTTP ${result.status}: ${errorText(result)}`);
        if (result.status !== 200) log.warn('server refused a task report', { task: next.task_id, state: next.state, status: result.status, error: errorText(result) });
        reports.shift();
        if (next.task_id && (next.state === 'succeeded' || next.state === 'failed')) unreported.delete(next.task_id);
        backoff = 250;
      } catch (error) {
        if (stopping) return;
        log.warn('task report not delivered; retrying', { task: next.task_id, state: next.state, error: (error as Error).message, retry_ms: backoff });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  function refuse(reason: RefusalReason, message: string, taskId: string | undefined): void {
    counters.refused++;
    log.warn('task refused', { task: taskId, reason, message });
    report({ ...(taskId ? { task_id: taskId } : {}), state: 'refused', refusal: { reason, message } });
  }

  async function acquire(): Promise<void> {
    if (active < maxConcurrent) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => slots.push(resolve));
  }
  function release(): void {
    const next = slots.shift();
    if (next) next();
    else active--;
  }

  async function execute(task: TaskBody, args: Record<string, unknown>, handler: ActionHandler, timeoutSeconds: number): Promise<void> {
    const entry: Running = { task, controller: new AbortController() };
    running.set(task.task_id, entry);
    unreported.add(task.task_id);
    await acquire();
    const started = performance.now();
    const abort = (why: NonNullable<Running['abortedBy']>) => {
      entry.abortedBy ??= why;
      entry.controller.abort(new VigilError('conflict', why === 'timeout' ? `handler did not finish within ${timeoutSeconds} s` : why === 'cancelled' ? 'task was cancelled' : 'agent is stopping'));
    };
    const timer = setTimeout(() => abort('timeout'), timeoutSeconds * 1000);
    try {
      if (entry.abortedBy) throw entry.controller.signal.reason;
      report({ task_id: task.task_id, state: 'running' });
      const context: ActionContext = {
        agentId: options.agentId,
        stateDir: options.stateDir,
        server,
        taskId: task.task_id,
        signal: entry.controller.signal,
        progress: (update) => report({ task_id: task.task_id, state: 'progress', progress: { message: String(update.message).slice(0, 2000), ...(typeof update.fraction === 'number' ? { fraction: Math.min(1, Math.max(0, update.fraction)) } : {}) } }),
      };
      // A handler that ignores its signal still gets its task reported as aborted on time.
      const aborted = new Promise<never>((_, reject) => entry.controller.signal.addEventListener('abort', () => reject(entry.controller.signal.reason as Error), { once: true }));
      const outcome: ActionOutcome = await Promise.race([handler.run(args, context), aborted]);
      const duration = Math.round(performance.now() - started);
      const clean: ActionOutcome = { ok: Boolean(outcome.ok), summary: String(outcome.summary).slice(0, 2000), verified: Boolean(outcome.verified), ...(outcome.details ? { details: outcome.details } : {}) };
      if (clean.ok) {
        counters.succeeded++;
        report({ task_id: task.task_id, state: 'succeeded', outcome: clean, duration_ms: duration });
      } else {
        counters.failed++;
        report({ task_id: task.task_id, state: 'failed', outcome: clean, error: { code: 'not_effective', message: clean.summary }, duration_ms: duration });
      }
      log.info('task finished', { task: task.task_id, action: task.action, ok: clean.ok, verified: clean.verified, ms: duration });
    } catch (error) {
      counters.failed++;
      const wrapped = VigilError.wrap(error);
      const code = entry.abortedBy ?? wrapped.code;
      report({ task_id: task.task_id, state: 'failed', error: { code, message: wrapped.message.slice(0, 4000) }, duration_ms: Math.round(performance.now() - started) });
      log.warn('task failed', { task: task.task_id, action: task.action, code, error: wrapped.message });
    } finally {
      clearTimeout(timer);
      running.delete(task.task_id);
      release();
    }
  }

  /** Verifies one envelope and starts it; refusals are reported. Never throws. */
  function handle(envelope: unknown): void {
    counters.received++;
    const store = nonces;
    if (!store || !keyPin) return refuse('malformed', 'task runner is not started', undefined);
    const verdict = verifyTask(envelope, { publicKey: keyPin.current()?.pem, agentId: options.agentId, now: Date.now(), seenNonce: (nonce) => store.seen(nonce) });
    if (!verdict.ok) return refuse(verdict.reason, verdict.message, verdict.taskId);
    const task = verdict.task;
    if (task.action === CANCEL_ACTION) {
      const target = task.args.task_id;
      if (typeof target !== 'string') return refuse('invalid_args', 'task.cancel needs args.task_id', task.task_id);
      try {
        store.record(task.nonce, task.expires_at, task.task_id);
      } catch (error) {
        return refuse('replayed', VigilError.wrap(error).message, task.task_id);
      }
      const entry = running.get(target);
      if (entry) {
        entry.abortedBy ??= 'cancelled';
        entry.controller.abort(new VigilError('conflict', `task was cancelled by ${task.issued_by}`));
        log.info('task cancelled', { task: target, by: task.issued_by });
      }
      return;
    }
    const spec = registry.get(task.action);
    if (!spec) return refuse('unknown_action', `action ${task.action} is not in this agent's catalog (agent too old?)`, task.task_id);
    let args: Record<string, unknown>;
    try {
      args = registry.validateArgs(task.action, task.args);
    } catch (error) {
      return refuse('invalid_args', VigilError.wrap(error).message, task.task_id);
    }
    const handler = handlers.get(task.action);
    if (!handler || !spec.platforms.includes(process.platform)) return refuse('unsupported', `this agent (${process.platform}) has no handler for ${task.action}`, task.task_id);
    try {
      // Recorded (fsynced) before the handler runs: a crash after this point can never run the task twice.
      store.record(task.nonce, task.expires_at, task.task_id);
    } catch (error) {
      return refuse('replayed', `cannot record the task nonce: ${VigilError.wrap(error).message}`, task.task_id);
    }
    void execute(task, args, handler, spec.timeoutSeconds ?? options.defaultTimeoutSeconds ?? 60);
  }

  function offerKey(offer: unknown): void {
    if (!keyPin) return;
    try {
      keyPin.offer(offer);
    } catch (error) {
      log.error('task-signing key offered by the server refused; keeping the pinned key', { error: VigilError.wrap(error).message });
    }
  }

  async function pollLoop(): Promise<void> {
    let backoff = 250;
    while (!stopping) {
      try {
        const body = JSON.stringify({ host_id: options.agentId, wait_s: wait, running: [...new Set([...running.keys(), ...unreported])].slice(0, 1000) });
        const sent = Date.now();
        const result = await channel.post(taskPaths.poll, body, (wait + 15) * 1000);
        if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${errorText(result)}`);
        const reply = parsePollReply(result.body);
        offerKey(reply.task_signing_key);
        for (const envelope of reply.tasks) handle(envelope);
        backoff = 250;
        // An empty answer that came back at once (server closing, a newer poll, wait_s 0) must not become a busy loop.
        if (!reply.tasks.length && Date.now() - sent < 500) await sleep(500);
      } catch (error) {
        if (stopping) return;
        counters.poll_errors++;
        if (counters.poll_errors <= 5 || counters.poll_errors % 50 === 0) log.warn('task poll failed', { error: (error as Error).message, retry_ms: backoff });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  return {
    async start() {
      try {
        keyPin = openKeyPin(options.stateDir);
        nonces = openNonceStore(join(responseDir, 'nonces.log'));
      } catch (error) {
        // Telemetry keeps running; tasks stay off until the state is repaired (re-enrollment), never run unchecked.
        log.error('response tasks are disabled', { error: VigilError.wrap(error).message });
        keyPin = undefined;
        nonces = undefined;
        return;
      }
      for (const handler of handlers.values()) {
        if (!handler.restore) continue;
        try {
          await handler.restore({ agentId: options.agentId, stateDir: options.stateDir, server, signal: new AbortController().signal });
          log.info('response state restored', { action: handler.action });
        } catch (error) {
          log.error('restoring response state failed', { action: handler.action, error: VigilError.wrap(error).message });
        }
      }
      sender = sendReports();
      loop = pollLoop();
    },
    offerKey,
    stats: () => ({ ...counters, running: running.size, key_id: keyPin?.current()?.keyId ?? null }),
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const entry of running.values()) {
        entry.abortedBy ??= 'agent_stopping';
        entry.controller.abort(new VigilError('conflict', 'agent is stopping'));
      }
      // Running handlers settle (their failure is queued as a report), then pending reports get a few seconds.
      const deadline = Date.now() + 5000;
      while (running.size && Date.now() < deadline) await sleep(20);
      while (reports.length && Date.now() < deadline) {
        wakeSender?.();
        await sleep(20);
      }
      wakeSender?.();
      channel.close();
      await Promise.race([Promise.allSettled([loop, sender]), sleep(2000)]);
      nonces?.close();
    },
  };
}
