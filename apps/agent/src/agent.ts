// The agent runtime: sources → validation → disk spool → batched mTLS sender, plus heartbeats.
// Never drops an event silently: every loss (spool bound, invalid event, refused batch) is counted and reported.

import { randomUUID } from 'node:crypto';
import { hostname, release, platform, arch, uptime } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { VIGIL_VERSION, createLogger } from '@vigil/common';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { limits, paths, type EventBatchAck, type HeartbeatBody } from '@vigil/protocol';
import type { EventFilter, EventSource, InventoryCollector } from '@vigil/sources';
import { inventoryPaths, type InventoryReply } from '@vigil/protocol/inventory';
import { loadIdentity } from './identity.js';
import { Spool, createBatchEncoder } from './spool.js';
import { AgentChannel, errorText } from './transport.js';
import type { ActionHandler } from './response/handler.js';
import { agentHandlers } from './response/handlers/index.js';
import { createTaskRunner, type TaskRunnerStats } from './response/task-runner.js';
import { startDefense, type Defense } from './defense/index.js';
import { createAgentYara } from './yara/agent-yara.js';
import { agentNiceFromEnv, raiseSchedulingPriority } from './scheduling.js';

export interface AgentOptions {
  stateDir: string;
  sources: EventSource[];
  spoolMaxBytes?: number;
  /** Most events per batch. */
  batchMaxEvents?: number;
  /** Longest an event waits in the spool before a partial batch is sent. */
  flushMs?: number;
  heartbeatSeconds?: number;
  /** Overrides the agent endpoint stored at enrollment (host:port). */
  endpoint?: string;
  /** Response handlers (default: every handler of response/handlers/index.ts); tasks come over their own connection. */
  handlers?: ActionHandler[];
  /** Exec blocklist enforcement (default on; docs/response-network.md). */
  defense?: boolean;
  /** YARA scanning with the rule set the server pushes (default on; docs/yara.md). */
  yara?: boolean;
  /** Operator filters applied before spooling; their per-category counters go into the heartbeat (docs/telemetry-linux.md). */
  filter?: EventFilter;
  /** Inventory collection, reported on its own route (docs/telemetry-linux.md#inventory). */
  inventory?: InventoryCollector;
  /**
   * Nice value of the agent's threads and of the processes it starts (scheduling.ts; default VIGIL_AGENT_NICE, else
   * -10); false keeps the inherited priority.
   */
  nice?: number | false;
}

export interface AgentCountersSnapshot {
  collected: number;
  sent: number;
  spooled: number;
  dropped: number;
  invalid: number;
  rejected: number;
  duplicates: number;
  batches: number;
  send_errors: number;
}

export interface RunningAgent {
  agentId: string;
  counters(): AgentCountersSnapshot;
  /** The task runner's counters and pinned task-signing key id. */
  tasks(): TaskRunnerStats;
  /** Resolves once everything collected so far is acknowledged by the server (or the timeout passes). */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

const log = createLogger('agent');

function osName(): { name: string; version: string } {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const get = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?`, 'm').exec(text)?.[1] ?? '';
    return { name: get('NAME') || platform(), version: get('VERSION_ID') };
  } catch {
    return { name: platform(), version: '' };
  }
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const identity = loadIdentity(options.stateDir);
  // Before any source starts: their readers run on these threads and their helpers (bpftrace) inherit the priority.
  const nice = options.nice === undefined ? agentNiceFromEnv() : options.nice === false ? undefined : options.nice;
  const priority = nice === undefined ? undefined : raiseSchedulingPriority(nice);
  if (priority?.problem) log.warn(priority.problem.message, { code: priority.problem.code });
  const yara = options.yara === false ? undefined : createAgentYara({ stateDir: options.stateDir, endpoint: options.endpoint ?? identity.agentEndpoint, agentId: identity.agentId, credentials: identity });
  if (yara) options = { ...options, sources: [...options.sources, yara] };
  const spool = new Spool({ dir: join(options.stateDir, 'spool'), maxBytes: options.spoolMaxBytes ?? 512 * 1024 * 1024 });
  const channel = new AgentChannel(options.endpoint ?? identity.agentEndpoint, identity);
  const handlers = options.handlers ?? agentHandlers();
  const runner = createTaskRunner({
    agentId: identity.agentId,
    stateDir: options.stateDir,
    endpoint: options.endpoint ?? identity.agentEndpoint,
    credentials: identity,
    handlers,
  });
  const batchMaxEvents = Math.min(options.batchMaxEvents ?? 2000, limits.maxBatchEvents);
  const batchMaxBytes = Math.floor(limits.maxBatchBytes / 2);
  const flushMs = options.flushMs ?? 200;
  const encodeBatch = createBatchEncoder(Buffer.from(`{"host_id":${JSON.stringify(identity.agentId)},"events":[`));
  let heartbeatSeconds = options.heartbeatSeconds ?? 10;
  const host = hostname();
  const startedAt = Date.now();
  const counters = { collected: 0, sent: 0, invalid: 0, rejected: 0, duplicates: 0, batches: 0, send_errors: 0 };
  /** Sources whose start failed: the agent runs without them; the heartbeat marks them `start_failed: 1`. */
  const failedSources = new Set<string>();
  let stopping = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => ((wake = undefined), resolve()), ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const sink = {
    emit(collected: CollectedEvent): void {
      const event = collected as unknown as Record<string, unknown>;
      if (options.filter && !options.filter.accept(event)) return;
      event['event.id'] = randomUUID();
      event['host.id'] = identity.agentId;
      if (event['host.name'] === undefined) event['host.name'] = host;
      event['event.sequence'] = 0;
      const check = checkEvent(event, 'event');
      if (!check.category) {
        counters.invalid++;
        if (counters.invalid <= 20 || counters.invalid % 1000 === 0) log.warn('source produced an invalid event; not spooled', { problems: check.problems.slice(0, 3), invalid: counters.invalid });
        return;
      }
      spool.append((sequence) => {
        event['event.sequence'] = sequence;
        return JSON.stringify(event);
      });
      counters.collected++;
      yara?.observe(event);
    },
    warn(message: string, fields?: Record<string, unknown>): void {
      log.warn(message, fields);
    },
  };

  // The main thread reads every source's socket: how long it was busy, and how late timers fired, between heartbeats.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  let loopDelayPeakMs = 0;
  let loopUsedSince: EventLoopUtilization = performance.eventLoopUtilization();
  function loopCounters(): Record<string, number> {
    const maxMs = loopDelay.max / 1e6;
    loopDelayPeakMs = Math.max(loopDelayPeakMs, maxMs);
    const used = performance.eventLoopUtilization(loopUsedSince);
    loopUsedSince = performance.eventLoopUtilization();
    const counters = {
      loop_delay_max_ms: Math.round(maxMs),
      loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e6),
      loop_delay_peak_ms: Math.round(loopDelayPeakMs),
      loop_busy_pct: Math.round(used.utilization * 1000) / 10,
    };
    loopDelay.reset();
    return counters;
  }

  function snapshot(): AgentCountersSnapshot {
    const stats = spool.stats();
    const sourceDropped = options.sources.reduce((sum, source) => sum + (source.stats().dropped ?? 0), 0);
    return { ...counters, spooled: stats.pending, dropped: stats.dropped + sourceDropped };
  }

  async function sendOnce(): Promise<boolean> {
    const batch = spool.readBatch(batchMaxEvents, batchMaxBytes);
    if (!batch) return false;
    // One batch at a time: the spool's read buffer and the encoder's body are reused once this request is finished.
    const result = await channel.post(paths.events, encodeBatch(batch));
    if (result.status === 200) {
      const ack = result.body as EventBatchAck;
      spool.ack(Math.min(ack.acked_through, batch.lastSeq));
      counters.sent += ack.accepted + ack.duplicates;
      counters.duplicates += ack.duplicates;
      counters.batches++;
      return true;
    }
    if (result.status === 400 || result.status === 413) {
      counters.rejected += batch.count;
      log.error('server refused a batch as invalid; moved to spool/rejected.ndjson', { first: batch.firstSeq, last: batch.lastSeq, error: errorText(result) });
      spool.reject(batch, errorText(result));
      return true;
    }
    throw new Error(`HTTP ${result.status}: ${errorText(result)}`);
  }

  const sender = (async () => {
    let backoff = 250;
    while (!stopping) {
      const pending = spool.stats().pending;
      if (pending === 0) {
        await sleep(1000);
        continue;
      }
      if (pending < batchMaxEvents) await sleep(flushMs);
      try {
        while (!stopping && (await sendOnce())) backoff = 250;
      } catch (error) {
        counters.send_errors++;
        if (counters.send_errors <= 5 || counters.send_errors % 50 === 0) log.warn('sending failed; events stay in the spool', { error: (error as Error).message, retry_ms: backoff, pending: spool.stats().pending });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  })();

  const os = { platform: platform(), ...osName(), kernel: release(), arch: arch() };
  async function heartbeat(): Promise<void> {
    const body: HeartbeatBody = {
      host_id: identity.agentId,
      version: VIGIL_VERSION,
      hostname: host,
      os,
      uptime_s: Math.round(uptime()),
      agent_uptime_s: Math.round((Date.now() - startedAt) / 1000),
      // The agent's own resident memory (all its threads), so a fleet can watch the footprint without a shell.
      counters: { ...snapshot(), ...options.filter?.counters(), rss_bytes: process.memoryUsage.rss(), ...loopCounters(), ...(priority ? { nice: priority.nice } : {}) },
      sources: Object.fromEntries([
        ...options.sources.map((s) => [s.name, failedSources.has(s.name) ? { ...s.stats(), start_failed: 1 } : s.stats()]),
        ...(options.inventory ? [[options.inventory.name, options.inventory.stats()]] : []),
      ]),
    };
    for (const handler of handlers) {
      if (!handler.report) continue;
      try {
        Object.assign(body, await handler.report({ stateDir: options.stateDir }));
      } catch (error) {
        log.warn('a response handler could not report its state', { action: handler.action, error: (error as Error).message });
      }
    }
    const result = await channel.post(paths.heartbeat, JSON.stringify(body), 10_000);
    if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${errorText(result)}`);
    const reply = result.body as { acked_through: number; heartbeat_interval_s: number; task_signing_key?: unknown };
    if (reply.task_signing_key !== undefined) runner.offerKey(reply.task_signing_key);
    yara?.onHeartbeat(result.body as Record<string, unknown>);
    spool.raiseSequenceFloor(reply.acked_through);
    if (!options.heartbeatSeconds && reply.heartbeat_interval_s > 0) heartbeatSeconds = reply.heartbeat_interval_s;
  }
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const scheduleHeartbeat = (delayMs: number) => {
    heartbeatTimer = setTimeout(() => {
      heartbeat()
        .catch((error: unknown) => log.warn('heartbeat failed', { error: (error as Error).message }))
        .finally(() => !stopping && scheduleHeartbeat(heartbeatSeconds * 1000));
    }, delayMs);
  };
  // Response state (isolation, blocklists) is restored before anything else talks to the network.
  await runner.start();
  const defense: Defense | undefined = options.defense === false ? undefined : startDefense({ agentId: identity.agentId, stateDir: options.stateDir, endpoint: options.endpoint ?? identity.agentEndpoint, credentials: identity, emit: (event) => sink.emit(event), warn: (message, fields) => sink.warn(message, fields) });
  await heartbeat().catch((error: unknown) => log.warn('server not reachable at start; collecting into the spool', { error: (error as Error).message }));
  scheduleHeartbeat(heartbeatSeconds * 1000);
  const syncTimer = setInterval(() => spool.sync(), 1000);

  const started: EventSource[] = [];
  try {
    let firstFailure: unknown;
    for (const source of options.sources) {
      try {
        await source.start(sink);
      } catch (error) {
        // One source that cannot run (bpftrace missing, auditd busy) must not take the others down.
        firstFailure ??= error;
        failedSources.add(source.name);
        log.error('source failed to start; the agent runs without it', { source: source.name, error: (error as Error).message });
        continue;
      }
      started.push(source);
      log.info('source started', { source: source.name });
    }
    if (started.length === 0 && firstFailure !== undefined) throw firstFailure;
  } catch (error) {
    stopping = true;
    for (const source of started.reverse()) await source.stop().catch(() => undefined);
    await runner.stop();
    await defense?.stop();
    clearInterval(syncTimer);
    clearTimeout(heartbeatTimer);
    loopDelay.disable();
    wake?.();
    await sender;
    spool.close();
    channel.close();
    throw error;
  }
  await options.inventory?.start({
    async publish(report) {
      const result = await channel.post(inventoryPaths.report, JSON.stringify({ host_id: identity.agentId, ...report }), 60_000);
      if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${errorText(result)}`);
      return result.body as InventoryReply;
    },
  });
  log.info('agent running', { agent_id: identity.agentId, endpoint: options.endpoint ?? identity.agentEndpoint, sources: options.sources.map((s) => s.name), nice: priority?.nice ?? 'inherited' });

  return {
    agentId: identity.agentId,
    counters: snapshot,
    tasks: () => runner.stats(),
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (spool.stats().pending === 0) return true;
        wake?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      return spool.stats().pending === 0;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const source of [...options.sources].reverse()) {
        await source.stop().catch((error: unknown) => log.error('source did not stop cleanly', { source: source.name, error: (error as Error).message }));
      }
      await options.inventory?.stop();
      clearInterval(syncTimer);
      clearTimeout(heartbeatTimer);
      loopDelay.disable();
      await runner.stop();
      await defense?.stop();
      wake?.();
      await sender;
      await heartbeat().catch(() => undefined);
      spool.close();
      channel.close();
      log.info('agent stopped', snapshot() as unknown as Record<string, unknown>);
    },
  };
}
