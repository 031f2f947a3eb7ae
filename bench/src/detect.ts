// Detection benchmark: (a) events/s of the indexed (streaming) engine against naive evaluation over the Windows
// process_creation Sigma rules, in one process on one core; (b) alert latency inside a real Vigil server at a paced rate.
// Loopback only; every temp folder, child process and socket it starts is removed on success, failure and interrupt.

import { summariseCpuProfile } from './internal/cpu-profile.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { corpusPath } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { paths, type EventBatchAck } from '@vigil/protocol';
import type { CompiledRule, DetectEvent, Detection } from '@vigil/detect';
import { createIndexedEngine, type IndexStats } from '@vigil/detect/engine/indexed';
import { createNaiveEngine } from '@vigil/detect/engine/naive';
import type { RuleEngine } from '@vigil/detect/engine/rule-engine';
import { defaultSigmaMapping } from '@vigil/detect/mapping/index';
import { loadSigmaRules, readRuleSources, type RuleSource } from '@vigil/detect/sigma/index';
import { createCleanupRegistry } from './internal/cleanup.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { requestJson } from './internal/https-client.js';
import { parseOptions } from './internal/options.js';
import { formatInt, machineInfo, markdownTable, percentile, processCpuSeconds, round, textTable } from './internal/report.js';
import { startServerChild, stopServerChild } from './internal/server-child.js';
import { timedLoad, type TimedLoadResult } from './internal/timed-load.js';
import { createEnrollmentToken, enrollAgent, loginAdmin, type EnrolledAgent } from './internal/vigil-api.js';
import { benignWindowsTemplates, createTemplateMix, regressionProcessEvents, type WindowsTemplate } from './internal/windows-process-events.js';

const options = parseOptions(
  {
    events: { description: 'events evaluated by each engine in the one-core comparison', default: 200000 },
    'warmup-events': { description: 'events each engine evaluates before its clock starts', default: 20000 },
    'naive-events': { description: 'events the naive engine evaluates: the first N of the same array (0: all); detections are compared on those N', default: 0 },
    chunk: { description: 'events per evaluate() call in the one-core comparison (the server evaluates one batch per call)', default: 250 },
    'benign-templates': { description: 'distinct benign Windows process starts generated (events repeat them with fresh ids and times)', default: 16384 },
    'regression-share': { description: 'share of events drawn from the SigmaHQ process_creation regression events', default: 0.03 },
    seed: { description: 'seed of the event generator and the mix', default: 1 },
    'skip-server': { description: 'run only the one-core engine comparison, not the server latency run', default: false },
    rate: { description: 'events/s posted to the server, summed over all agents (paced)', default: 20000 },
    agents: { description: 'simulated agents, one request in flight each', default: 8 },
    batch: { description: 'events per batch posted to the server', default: 250 },
    duration: { description: 'measured seconds of the server run (after the warm-up)', default: 20 },
    warmup: { description: 'warm-up seconds of the server run, not measured', default: 5 },
    'update-docs': { description: 'write the measured tables into docs/benchmarks.md (section "## detect")', default: false },
    profile: { description: 'run the server child with --cpu-prof and print its top costs', default: false },
  },
  process.argv.slice(2),
);
if (options.events < 1000 || options.chunk < 1 || options['benign-templates'] < 1) throw new Error('need --events >= 1000, --chunk >= 1 and --benign-templates >= 1');
if (options['regression-share'] > 1) throw new Error('--regression-share must be between 0 and 1');
if (options.agents < 1 || options.batch < 1 || options.batch > 5000 || options.duration <= 0 || options.rate <= 0) throw new Error('need --agents >= 1, 1 <= --batch <= 5000, --duration > 0 and --rate > 0');
const agentCount = Math.floor(options.agents);
const batchSize = Math.floor(options.batch);
const eventCount = Math.floor(options.events);
const chunkSize = Math.floor(options.chunk);
const naiveCount = options['naive-events'] > 0 ? Math.min(eventCount, Math.floor(options['naive-events'])) : eventCount;

const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
const TARGET_EVENTS_PER_S = 100_000;
const TARGET_P99_MS = 10;
const PACK_NAME = 'sigma-windows-process-creation';
const RULE_FOLDERS = ['rules', 'rules-emerging-threats', 'rules-threat-hunting'] as const;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const resultsDir = join(repoRoot, 'bench', 'results');
const log = (line: string) => process.stderr.write(line + '\n');
const cleanup = createCleanupRegistry(log);
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

// ---- rules ----

/** The indented block under a top-level `logsource:` key, or '' when the file has none. */
function logsourceBlock(text: string): string {
  return /^logsource:[ \t]*(?:#.*)?$((?:\r?\n(?:[ \t]+.*|[ \t]*))*)/m.exec(text)?.[1] ?? '';
}

/** Whether a rule file declares logsource product windows and category process_creation (read from its text, before parsing). */
function isWindowsProcessCreation(text: string): boolean {
  const block = logsourceBlock(text);
  return /^[ \t]+product:[ \t]*['"]?windows['"]?[ \t]*(?:#.*)?$/m.test(block) && /^[ \t]+category:[ \t]*['"]?process_creation['"]?[ \t]*(?:#.*)?$/m.test(block);
}

interface RuleFigures {
  /** Rule files with a Windows process_creation logsource, relative to the corpus's sigma folder. */
  sources: RuleSource[];
  rules: CompiledRule[];
  /** Compiled rules whose logsource Vigil routes (the others never match). */
  loaded: number;
  errors: number;
  warnings: number;
  deprecated: number;
  loadSeconds: number;
}

function loadRules(): RuleFigures {
  const started = performance.now();
  const root = corpusPath('sigma');
  const sources = RULE_FOLDERS.flatMap((folder) => readRuleSources(join(root, folder)))
    .filter((source) => isWindowsProcessCreation(source.text))
    .map((source) => ({ file: relative(root, source.file), text: source.text }));
  if (!sources.length) throw new Error(`no Windows process_creation rules under ${root}`);
  const mapping = defaultSigmaMapping();
  const set = loadSigmaRules(sources, { resolver: mapping.resolver, router: mapping.router });
  return {
    sources,
    rules: set.rules,
    loaded: set.rules.filter((rule) => rule.route !== undefined).length,
    errors: set.problems.filter((p) => p.severity === 'error').length,
    warnings: set.problems.filter((p) => p.severity === 'warning').length,
    deprecated: set.deprecated,
    loadSeconds: (performance.now() - started) / 1000,
  };
}

// ---- events ----

interface EventPool {
  benign: WindowsTemplate[];
  regression: WindowsTemplate[];
  regressionTests: number;
  next: () => WindowsTemplate;
}

function eventPool(): EventPool {
  const started = performance.now();
  const benign = benignWindowsTemplates(options.seed, Math.floor(options['benign-templates']), Date.now() - 86_400_000);
  const { events: regression, tests } = regressionProcessEvents();
  for (const [i, template] of [...benign.slice(0, 200), ...regression].entries()) {
    const check = checkEvent({ ...template, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'bench-host' }, `template[${i}]`);
    if (check.problems.length) throw new Error(`mapped Windows event fails the schema: ${JSON.stringify(check.problems.slice(0, 3))}`);
  }
  log(`events  ${formatInt(benign.length)} benign templates and ${regression.length} regression events (${tests} tests) mapped in ${seconds(started)} s`);
  return { benign, regression, regressionTests: tests, next: createTemplateMix(benign, regression, options['regression-share'], options.seed * 7919 + 1) };
}

/**
 * `count` events from the mix, each with its own event.id, event.sequence and time, parsed from JSON as ingest receives
 * them: every event has its own strings, as on the server (copies of a template would share theirs, and an engine that
 * keys work by value would then never hash a string twice).
 */
function materialise(pool: EventPool, count: number, hostId: string, hostName: string, startMs: number): DetectEvent[] {
  const out: DetectEvent[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const event = { ...pool.next(), '@timestamp': new Date(startMs + i).toISOString(), 'event.id': randomUUID(), 'event.sequence': i + 1, 'host.id': hostId, 'host.name': hostName };
    out[i] = JSON.parse(JSON.stringify(event)) as DetectEvent;
  }
  return out;
}

// ---- (a) one core: indexed against naive ----

interface EngineRun {
  name: string;
  events: number;
  seconds: number;
  cpuSeconds: number;
  eventsPerS: number;
  detections: number;
  /** FNV-1a over every detection's rule id and event id, in order: equal runs report the same things in the same order. */
  fingerprint: number;
}

function fnv(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

function evaluateAll(engine: RuleEngine, events: readonly DetectEvent[]): { detections: number; fingerprint: number } {
  let detections = 0;
  let fingerprint = 2166136261;
  for (let at = 0; at < events.length; at += chunkSize) {
    const found: Detection[] = engine.evaluate(events.slice(at, at + chunkSize));
    detections += found.length;
    for (const d of found) fingerprint = fnv(fnv(fingerprint, d.rule.id), d.eventIds[0] ?? '');
  }
  return { detections, fingerprint };
}

function timeEngine(engine: RuleEngine, warm: readonly DetectEvent[], events: readonly DetectEvent[]): EngineRun {
  const warmStart = performance.now();
  evaluateAll(engine, warm);
  log(`${engine.name.padEnd(8)} warm-up on ${formatInt(warm.length)} events took ${seconds(warmStart)} s; measuring ${formatInt(events.length)} events`);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const { detections, fingerprint } = evaluateAll(engine, events);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const run = { name: engine.name, events: events.length, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6, eventsPerS: events.length / elapsed, detections, fingerprint };
  log(`${engine.name.padEnd(8)} ${formatInt(run.eventsPerS)} events/s, ${formatInt(detections)} detections in ${elapsed.toFixed(1)} s`);
  return run;
}

interface EngineFigures {
  indexed: EngineRun;
  naive: EngineRun;
  stats: IndexStats;
  buildSeconds: number;
}

function runEngines(rules: readonly CompiledRule[], pool: EventPool): EngineFigures {
  const genStart = performance.now();
  const base = Date.now() - 3_600_000;
  const warm = materialise(pool, Math.floor(options['warmup-events']), 'bench-host-warm', 'bench-host-warm.corp.contoso.com', base - 600_000);
  const events = materialise(pool, eventCount, 'bench-host', 'bench-host.corp.contoso.com', base);
  log(`events  ${formatInt(events.length)} measured + ${formatInt(warm.length)} warm-up events materialised in ${seconds(genStart)} s`);
  const buildStart = performance.now();
  const indexed = createIndexedEngine({ rules });
  const stats = indexed.stats(); // builds every category index, so the build is not part of the measured time
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const naive = createNaiveEngine({ rules });
  log(`indexed engine built in ${buildSeconds.toFixed(2)} s: ${stats.prefilteredRules} rules prefiltered, ${stats.alwaysEvaluatedRules} always evaluated, ${formatInt(stats.automatonStates)} automaton states`);
  const indexedRun = timeEngine(indexed, warm, events);
  // The warm-up is longer than the engine's calibration (4,096 events per category): the measured events ran on the
  // index rebuilt with observed needle shares, as a server's engine does after its first seconds.
  const calibrated = indexed.stats().calibratedCategories;
  log(`indexed  ${calibrated} of ${stats.categories} categories calibrated by the end of the run`);
  const naiveEvents = events.slice(0, naiveCount);
  const naiveRun = timeEngine(naive, warm, naiveEvents);
  // With --naive-events the indexed engine's output on the same prefix is recomputed (untimed) for the comparison.
  const indexedOnPrefix = naiveCount === events.length ? indexedRun : { ...indexedRun, ...evaluateAll(indexed, naiveEvents) };
  if (indexedOnPrefix.detections !== naiveRun.detections || indexedOnPrefix.fingerprint !== naiveRun.fingerprint) {
    throw new Error(`ENGINES DISAGREE on ${formatInt(naiveCount)} events: indexed reported ${indexedOnPrefix.detections} detections (fingerprint ${indexedOnPrefix.fingerprint}), naive ${naiveRun.detections} (fingerprint ${naiveRun.fingerprint})`);
  }
  log(`verify  both engines report the same ${formatInt(naiveRun.detections)} detections in the same order on ${formatInt(naiveCount)} events`);
  return { indexed: indexedRun, naive: naiveRun, stats: { ...stats, calibratedCategories: calibrated }, buildSeconds };
}

// ---- (b) the server: alert latency at a paced rate ----

interface DetectionMetrics {
  rulesActive: number;
  eventsEvaluated: number;
  detections: number;
  alertsCreated: number;
  alertsGrouped: number;
  alertLatencyP50Ms: number | null;
  alertLatencyP99Ms: number | null;
  /** p50/p99 ms of the latency's parts in the detection worker (queue, decode, evaluate, matchers, store). */
  alertLatencyStages?: Record<string, { p50: number | null; p99: number | null }>;
  /** Batches matched ahead of their acknowledgement (counters since start); absent on servers without it. */
  speculation?: { handed: number; ready: number; late: number; discarded: number; skipped: number };
}

interface Batch {
  body: Buffer;
  events: number;
  lastSequence: number;
}

interface ServerFigures {
  load: TimedLoadResult;
  packSeconds: number;
  packRulesLoaded: number;
  packErrors: number;
  rulesActive: number;
  atStart: DetectionMetrics;
  atEnd: DetectionMetrics;
  final: DetectionMetrics;
  serverCpuCores: number;
}

/** Fields every sent event gets fresh; the rest of an event is its template's pre-serialized tail. */
const headKeys = new Set(['@timestamp', 'event.id', 'event.sequence', 'host.id', 'host.name']);

function tailOf(template: WindowsTemplate): string {
  const tail: Record<string, unknown> = {};
  for (const key in template) if (!headKeys.has(key)) tail[key] = template[key];
  return JSON.stringify(tail).slice(1);
}

function agentBatches(pool: EventPool, tails: Map<WindowsTemplate, string>, agent: EnrolledAgent, count: number, startMs: number, eventGapMs: number): Batch[] {
  const hostPart = `"host.id":${JSON.stringify(agent.id)},"host.name":${JSON.stringify(agent.hostname)},`;
  const batches: Batch[] = [];
  let sequence = 0;
  for (let b = 0; b < count; b++) {
    const parts: string[] = new Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      sequence++;
      const template = pool.next();
      let tail = tails.get(template);
      if (tail === undefined) tails.set(template, (tail = tailOf(template)));
      parts[i] = `{"@timestamp":"${new Date(startMs + sequence * eventGapMs).toISOString()}","event.id":"${randomUUID()}","event.sequence":${sequence},${hostPart}${tail}`;
    }
    const body = Buffer.from(`{"host_id":${JSON.stringify(agent.id)},"events":[${parts.join(',')}]}`);
    if (b % 25 === 0) {
      const events = (JSON.parse(body.toString('utf8')) as { events: unknown[] }).events;
      events.forEach((event, i) => {
        const check = checkEvent(event, `events[${i}]`);
        if (check.problems.length) throw new Error(`generated event fails the schema: ${JSON.stringify(check.problems.slice(0, 3))}`);
      });
    }
    batches.push({ body, events: batchSize, lastSequence: sequence });
  }
  return batches;
}

async function runServer(rules: RuleFigures, pool: EventPool): Promise<ServerFigures> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-detect-'));
  cleanup.add('remove server data', () => rmSync(work, { recursive: true, force: true }));
  const password = randomBytes(24).toString('base64url');
  const profileDir = options.profile ? join(work, 'profile') : undefined;
  const server = await startServerChild({ dataDir: join(work, 'server'), adminPassword: password, log, profileDir });
  cleanup.add('stop server', () => stopServerChild(server));
  const serverPid = server.process.pid!;
  log(`server  pid ${serverPid}, api ${server.apiUrl}, agents on port ${server.agentPort}`);
  const session = await loginAdmin(server, password, cleanup);

  const packStart = performance.now();
  const pack = await requestJson<{ rules_loaded: number; errors: number; warnings: number }>(`${server.apiUrl}/api/v1/rule-packs/${PACK_NAME}`, {
    method: 'PUT',
    agent: session.api,
    headers: session.auth,
    body: JSON.stringify({ version: 'corpus', description: 'SigmaHQ Windows process_creation rules (rules, rules-emerging-threats, rules-threat-hunting)', files: rules.sources }),
  });
  const packSeconds = (performance.now() - packStart) / 1000;
  log(`pack    ${PACK_NAME}: ${pack.body.rules_loaded} rules loaded from ${rules.sources.length} files (${pack.body.errors} errors, ${pack.body.warnings} warnings) in ${packSeconds.toFixed(1)} s`);
  if (pack.body.rules_loaded !== rules.rules.length) throw new Error(`the server loaded ${pack.body.rules_loaded} rules of the pack, the benchmark compiled ${rules.rules.length}`);
  const metricsUrl = `${server.apiUrl}/api/v1/metrics/detection`;
  const metrics = async () => (await requestJson<DetectionMetrics>(metricsUrl, { method: 'GET', agent: session.api, headers: session.auth })).body;

  const token = await createEnrollmentToken(session, agentCount);
  const perAgentRate = options.rate / agentCount;
  const intervalMs = (batchSize / perAgentRate) * 1000;
  const batchesPerAgent = Math.ceil(((options.warmup + options.duration) * 1000) / intervalMs) + 2;
  const tails = new Map<WindowsTemplate, string>();
  const agents: (EnrolledAgent & { batches: Batch[] })[] = [];
  const genStart = performance.now();
  for (let i = 0; i < agentCount; i++) {
    const enrolled = await enrollAgent(session, server, token, `WKS-BENCH-${String(i + 1).padStart(3, '0')}.corp.contoso.com`, cleanup, `close agent ${i}`);
    agents.push({ ...enrolled, batches: agentBatches(pool, tails, enrolled, batchesPerAgent, Date.now(), 1000 / perAgentRate) });
  }
  log(`agents  ${agentCount} enrolled; ${batchesPerAgent} batches of ${batchSize} events each generated in ${seconds(genStart)} s; one batch per agent every ${intervalMs.toFixed(1)} ms`);

  const eventsUrl = `https://127.0.0.1:${server.agentPort}${paths.events}`;
  let atStart: Promise<DetectionMetrics> | undefined;
  let atEnd: Promise<DetectionMetrics> | undefined;
  let cpuAtStart = 0;
  let cpuAtEnd = 0;
  const load = await timedLoad<Batch>({
    label: 'detect',
    queues: agents.map((a) => a.batches),
    warmupS: options.warmup,
    durationS: options.duration,
    intervalMs,
    onWindowStart: () => {
      cpuAtStart = processCpuSeconds(serverPid);
      // Latency percentiles cover the measured window only, not the warm-up.
      atStart = requestJson(`${session.apiUrl}/api/v1/metrics/detection/reset`, { method: 'POST', agent: session.api, headers: { ...session.auth, 'content-type': 'application/json' }, body: '{}' }).then(() => metrics());
    },
    onWindowEnd: () => {
      cpuAtEnd = processCpuSeconds(serverPid);
      atEnd = metrics();
    },
    send: async (worker, batch) => {
      const agent = agents[worker]!;
      const ack = await requestJson<EventBatchAck>(eventsUrl, { method: 'POST', agent: agent.https, body: batch.body });
      if (ack.body.accepted !== batch.events || ack.body.duplicates !== 0 || ack.body.acked_through !== batch.lastSequence) {
        throw new Error(`agent ${agent.id}: expected ${batch.events} accepted through sequence ${batch.lastSequence}, got ${JSON.stringify(ack.body)}`);
      }
      return ack.body.accepted;
    },
  });
  // The server evaluates in its detection worker after acknowledging: wait (at most 60 s) for it to catch up.
  let final = await metrics();
  for (const deadline = Date.now() + 60_000; final.eventsEvaluated < load.totalEvents && Date.now() < deadline; final = await metrics()) await new Promise((r) => setTimeout(r, 200));
  if (final.eventsEvaluated !== load.totalEvents) throw new Error(`VERIFICATION FAILED: agents were acknowledged ${load.totalEvents} events but the server evaluated ${final.eventsEvaluated}`);
  log(`verify  server evaluated ${formatInt(final.eventsEvaluated)} events = ${formatInt(load.totalEvents)} acknowledged`);
  await stopServerChild(server);
  if (profileDir) {
    // One profile per thread (main thread, detection worker, baseline worker, ...): node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.
    for (const file of readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile')).sort()) {
      const profile = summariseCpuProfile(join(profileDir, file), 25);
      const busyMs = profile.totalMs - (profile.functions.find((r) => r.name === '(idle)')?.selfMs ?? 0);
      process.stdout.write(`\nserver CPU profile ${file} (${formatInt(profile.totalMs)} ms sampled)\n` + textTable(['self time by function', 'ms', '%'], profile.functions.map((r) => [r.name, formatInt(r.selfMs), r.percent.toFixed(1)])) + '\n');
      process.stdout.write(textTable(['self time by package', 'ms', '%'], profile.packages.slice(0, 12).map((r) => [r.name, formatInt(r.selfMs), r.percent.toFixed(1)])) + `\n(busy, all but idle: ${formatInt(busyMs)} ms)\n`);
    }
  }
  return {
    load,
    packSeconds,
    packRulesLoaded: pack.body.rules_loaded,
    packErrors: pack.body.errors,
    rulesActive: final.rulesActive,
    atStart: await atStart!,
    atEnd: await atEnd!,
    final,
    serverCpuCores: (cpuAtEnd - cpuAtStart) / options.duration,
  };
}

// ---- report ----

function fixed(value: number | null | undefined, digits: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

async function main(): Promise<void> {
  const machine = machineInfo();
  log(`detect benchmark: ${formatInt(eventCount)} events per engine; server ${options['skip-server'] ? 'skipped' : `${formatInt(options.rate)} events/s from ${agentCount} agents, ${options.warmup} s warm-up + ${options.duration} s measured`}; ${machine.cores} × ${machine.cpu_model}`);
  const rules = loadRules();
  log(`rules   ${rules.sources.length} Windows process_creation rule files, ${rules.rules.length} compiled (${rules.loaded} routed, ${rules.errors} errors, ${rules.warnings} warnings) in ${rules.loadSeconds.toFixed(1)} s`);
  const pool = eventPool();
  const engines = runEngines(rules.rules, pool);
  const server = options['skip-server'] ? undefined : await runServer(rules, pool);
  await cleanup.runAll();

  const ratio = engines.indexed.eventsPerS / engines.naive.eventsPerS;
  const perThousand = (engines.indexed.detections / eventCount) * 1000;
  const engineRows = [
    ['events/s', formatInt(engines.indexed.eventsPerS), formatInt(engines.naive.eventsPerS)],
    ['events evaluated', formatInt(engines.indexed.events), formatInt(engines.naive.events)],
    ['seconds', engines.indexed.seconds.toFixed(2), engines.naive.seconds.toFixed(2)],
    ['CPU seconds', engines.indexed.cpuSeconds.toFixed(2), engines.naive.cpuSeconds.toFixed(2)],
    ['detections', formatInt(engines.indexed.detections), formatInt(engines.naive.detections)],
    ['detections per 1,000 events', perThousand.toFixed(1), ((engines.naive.detections / engines.naive.events) * 1000).toFixed(1)],
  ];
  const ruleLine = `rules: ${rules.sources.length} files considered, ${rules.loaded} loaded (${rules.errors} errors); ${engines.stats.prefilteredRules} prefiltered, ${engines.stats.alwaysEvaluatedRules} always evaluated`;
  process.stdout.write(`\n${textTable([`${formatInt(eventCount)} events, one core`, 'indexed (streaming)', 'naive (every rule)'], engineRows)}\n\nindexed / naive: ${ratio.toFixed(1)}x   ${ruleLine}\nload average (1 min) at start ${loadAtStart}, now ${loadavg()[0]!.toFixed(2)} on ${machine.cores} cores\n`);

  let serverRows: string[][] = [];
  let window: { events: number; detections: number; created: number; grouped: number } | undefined;
  if (server) {
    const lat = server.load.latenciesMs;
    window = {
      events: server.atEnd.eventsEvaluated - server.atStart.eventsEvaluated,
      detections: server.atEnd.detections - server.atStart.detections,
      created: server.atEnd.alertsCreated - server.atStart.alertsCreated,
      grouped: server.atEnd.alertsGrouped - server.atStart.alertsGrouped,
    };
    serverRows = [
      ['events/s offered (target)', formatInt(options.rate)],
      ['events/s acknowledged', formatInt(server.load.windowEvents / options.duration)],
      ['alert latency p50 ms (server)', fixed(server.atEnd.alertLatencyP50Ms, 2)],
      ['alert latency p99 ms (server)', fixed(server.atEnd.alertLatencyP99Ms, 2)],
      ...Object.entries(server.atEnd.alertLatencyStages ?? {}).map(([stage, p]) => [`  of which ${stage} p50 / p99 ms`, `${fixed(p.p50, 2)} / ${fixed(p.p99, 2)}`]),
      ...(server.atEnd.speculation && server.atStart.speculation
        ? [['batches matched ahead: ready / late / not taken', `${formatInt(server.atEnd.speculation.ready - server.atStart.speculation.ready)} / ${formatInt(server.atEnd.speculation.late - server.atStart.speculation.late)} / ${formatInt(server.atEnd.speculation.skipped - server.atStart.speculation.skipped)}`]]
        : []),
      ['ack latency p50 ms (client)', fixed(percentile(lat, 50), 2)],
      ['ack latency p99 ms (client)', fixed(percentile(lat, 99), 2)],
      ['events evaluated in window', formatInt(window.events)],
      ['detections in window', formatInt(window.detections)],
      ['alerts created / grouped in window', `${formatInt(window.created)} / ${formatInt(window.grouped)}`],
      ['rules active on the server', formatInt(server.rulesActive)],
      ['server CPU cores', fixed(server.serverCpuCores, 2)],
      ['late batches (behind the pace)', formatInt(server.load.lateSends)],
    ];
    process.stdout.write(`\n${textTable([`server, ${agentCount} agents × ${formatInt(options.rate / agentCount)} events/s`, 'value'], serverRows)}\n`);
    if (server.load.exhausted) log('WARNING: an agent ran out of pre-generated batches before the window closed.');
    if (server.load.lateSends) log(`WARNING: ${server.load.lateSends} batches left more than one interval late: the server did not keep the offered rate.`);
  }

  const p99 = server?.atEnd.alertLatencyP99Ms ?? null;
  const result = {
    benchmark: 'detect',
    date: new Date().toISOString(),
    matcher_events_per_s: Math.round(engines.indexed.eventsPerS),
    naive_events_per_s: Math.round(engines.naive.eventsPerS),
    ratio_vs_naive: round(ratio, 1),
    alert_latency_p50_ms: server ? server.atEnd.alertLatencyP50Ms : null,
    alert_latency_p99_ms: p99,
    ack_latency_p50_ms: server ? round(percentile(server.load.latenciesMs, 50), 2) : null,
    ack_latency_p99_ms: server ? round(percentile(server.load.latenciesMs, 99), 2) : null,
    rules_total: rules.sources.length,
    rules_loaded: rules.loaded,
    rules_compiled: rules.rules.length,
    rules_errors: rules.errors,
    rules_prefiltered: engines.stats.prefilteredRules,
    rules_always_evaluated: engines.stats.alwaysEvaluatedRules,
    automaton_states: engines.stats.automatonStates,
    calibrated_categories: engines.stats.calibratedCategories,
    index_build_s: round(engines.buildSeconds, 2),
    rules_load_s: round(rules.loadSeconds, 2),
    events: eventCount,
    naive_events: naiveCount,
    chunk: chunkSize,
    warmup_events: Math.floor(options['warmup-events']),
    detections: engines.indexed.detections,
    detections_per_1000_events: round(perThousand, 2),
    matcher_cpu_s: round(engines.indexed.cpuSeconds, 2),
    naive_cpu_s: round(engines.naive.cpuSeconds, 2),
    event_mix: { benign_templates: pool.benign.length, regression_events: pool.regression.length, regression_tests: pool.regressionTests, regression_share: options['regression-share'], seed: options.seed },
    target_events_per_s: TARGET_EVENTS_PER_S,
    target_p99_ms: TARGET_P99_MS,
    meets_throughput_target: engines.indexed.eventsPerS >= TARGET_EVENTS_PER_S,
    meets_latency_target: p99 === null ? null : p99 <= TARGET_P99_MS,
    server: server
      ? {
          rate_offered: options.rate,
          events_per_s_acknowledged: Math.round(server.load.windowEvents / options.duration),
          agents: agentCount,
          batch_size: batchSize,
          warmup_s: options.warmup,
          duration_s: options.duration,
          events_total: server.load.totalEvents,
          events_in_window: server.load.windowEvents,
          late_batches: server.load.lateSends,
          pool_exhausted: server.load.exhausted,
          rules_active: server.rulesActive,
          pack_rules_loaded: server.packRulesLoaded,
          pack_errors: server.packErrors,
          pack_install_s: round(server.packSeconds, 2),
          window: window!,
          metrics_at_window_start: server.atStart,
          metrics_at_window_end: server.atEnd,
          metrics_final: server.final,
          server_cpu_cores: round(server.serverCpuCores, 2),
        }
      : null,
    machine: { ...machine },
    /** 1-minute load average at the start and at the end of the run: the machine is shared, so figures vary with it. */
    load_average: { start: loadAtStart, end: round(loadavg()[0]!, 2) },
  };
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, 'detect.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  log(`results ${relative(process.cwd(), out)}`);

  if (options['update-docs']) {
    const flags = process.argv.slice(2).filter((a) => a !== '--update-docs');
    const lines = [
      '## detect',
      '',
      'What is measured. (a) One process, one core: the compiled SigmaHQ Windows process_creation rules (every rule under',
      '`rules/`, `rules-emerging-threats/` and `rules-threat-hunting/` of the corpus with `product: windows`, `category: process_creation`)',
      'go into the indexed (streaming) engine and into the naive engine, which evaluates every rule on every event. Both evaluate',
      `the same pre-generated ${formatInt(eventCount)} events (each parsed from JSON, as ingest receives them)${naiveCount < eventCount ? ` (the naive engine only the first ${formatInt(naiveCount)})` : ''} in calls of ${chunkSize} events, after a warm-up of ${formatInt(result.warmup_events)} other events;`,
      'the index is built before the clock starts. Both must report the same detections in the same order, or the run aborts.',
      `Events: ${Math.round((1 - options['regression-share']) * 100)}% benign Sysmon event 1 process starts (svchost, browsers, Teams, Office, PowerShell and cmd with`,
      'ordinary arguments, build tools, conhost, dllhost, rundll32 with system DLLs, msiexec, git, node, python, ..., with parents, users,',
      `integrity levels and hashes; ${formatInt(pool.benign.length)} distinct ones, seeded) and ${Math.round(options['regression-share'] * 100)}% drawn from the ${pool.regression.length} process-start events of the SigmaHQ`,
      'process_creation regression tests; all are evtx_dump-style JSON mapped by `@vigil/windows` exactly as ingest maps them.',
      `(b) A real Vigil server (child process, embedded store) with the same rules installed as a pack through \`PUT /api/v1/rule-packs/${PACK_NAME}\``,
      `(plus its built-in Linux pack); ${agentCount} enrolled agents post batches of ${batchSize} events of the same mix over mutual TLS, paced to ${formatInt(options.rate)} events/s`,
      `in total, for ${options.warmup} s of warm-up and ${options.duration} s measured. "Alert latency" is the server's own figure from \`GET /api/v1/metrics/detection\`:`,
      'from the store acknowledging a batch (`store.append` resolved) to that batch\'s alerts being stored in the detection database, over the',
      'batches that produced alerts (its window is the last 10,000 such batches, so the warm-up is included). It does not include',
      'TLS, request parsing or the store write; the client-side ack latency (request sent to acknowledgement received, batches inside',
      'the window) covers all of those plus the detection step, which runs before the reply.',
      '',
      'Targets: at least 100,000 events/s on one core for the indexed engine; alert latency p99 at most 10 ms at 20,000 events/s.',
      `This run: ${formatInt(engines.indexed.eventsPerS)} events/s (${result.meets_throughput_target ? 'met' : 'not met'})` +
        (server ? `; p99 ${fixed(p99, 2)} ms (${result.meets_latency_target ? 'met' : 'not met'}), with the server acknowledging ${formatInt(server.load.windowEvents / options.duration)} of the ${formatInt(options.rate)} events/s offered.` : '; server run skipped.'),
      '',
      '```',
      `npx tsc -b && npm run bench -- detect${flags.length ? ' ' + flags.join(' ') : ''}`,
      '```',
      '',
      `Machine: ${machine.cores} cores (\`nproc\`), ${machine.cpu_model}, ${machine.memory_gib} GiB RAM, Linux ${machine.kernel}, Node ${machine.node}. Date: ${result.date.slice(0, 10)}. Load average (1 min): ${result.load_average.start} at start, ${result.load_average.end} at the end.`,
      `Rules: ${result.rules_total} files considered, ${result.rules_loaded} loaded (${result.rules_errors} errors); ${result.rules_prefiltered} prefiltered by literals, ${result.rules_always_evaluated} always evaluated.`,
      '',
      markdownTable([`${formatInt(eventCount)} events, one core`, 'indexed (streaming)', 'naive (every rule)'], [...engineRows, ['indexed / naive', `${ratio.toFixed(1)}x`, '']]),
      '',
    ];
    if (server) lines.push(markdownTable([`server, ${agentCount} agents × ${formatInt(options.rate / agentCount)} events/s`, 'value'], serverRows), '');
    const file = updateBenchmarkDocs(repoRoot, 'detect', lines.join('\n'));
    log(`docs    ${relative(process.cwd(), file)} updated`);
  }
  if (engines.indexed.eventsPerS < TARGET_EVENTS_PER_S) log(`note: ${formatInt(engines.indexed.eventsPerS)} events/s is below the ${formatInt(TARGET_EVENTS_PER_S)} events/s target`);
  if (p99 !== null && p99 > TARGET_P99_MS) log(`note: alert latency p99 ${p99} ms is above the ${TARGET_P99_MS} ms target`);
}

main().catch(async (error: unknown) => {
  if (cleanup.interrupted) return; // the signal handler cleans up and exits
  log(`detect benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup.runAll();
  process.exit(1);
});
