// File telemetry overhead: what audit path watches (default watch set, /tmp included) cost a process that creates and
// deletes files in /tmp, against the same work unwatched (baseline), and whether the auditd source keeps up: events
// reported vs expected, kernel audit `lost` and backlog, time processes waited on a full backlog, agent and auditd CPU.
// Changes audit state through the auditd source, which restores it on every exit path; run it under the system lock.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectedEvent } from '@vigil/schema';
import { createAuditdSource } from '@vigil/sources';
import { createCleanupRegistry } from './internal/cleanup.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { parseOptions } from './internal/options.js';
import { formatInt, machineInfo, markdownTable, processCpuSeconds, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    files: { description: 'files created and deleted back to back in the unpaced throughput runs', default: 20000 },
    rates: { description: 'comma-separated paced rates, file create+delete pairs per second', default: '500,2000' },
    duration: { description: 'seconds of each paced run', default: 20 },
    idle: { description: 'seconds of idle measurement (noise from /proc writes, agent CPU)', default: 10 },
    'update-docs': { description: 'write the measured table into docs/benchmarks.md (section "## file-telemetry")', default: false },
  },
  process.argv.slice(2),
);
const rates = options.rates.split(',').map(Number).filter((n) => Number.isFinite(n) && n > 0);
if (rates.length === 0 || options.files < 1 || options.duration < 1) throw new Error('need --files >= 1, --duration >= 1 and at least one rate');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string) => process.stderr.write(`[file-telemetry] ${line}\n`);
const cleanup = createCleanupRegistry(log);

/** The load: `rate` 0 runs `count` pairs as fast as it can; otherwise paced pairs for `seconds`. Prints JSON counts. */
const LOAD = `
const fs = require('fs');
const [dir, rate, seconds, count] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const start = Date.now();
let done = 0;
const pair = () => { const p = dir + '/f' + done; fs.writeFileSync(p, 'x'); fs.unlinkSync(p); done++; };
const finish = () => console.log(JSON.stringify({ pairs: done, seconds: (Date.now() - start) / 1000 }));
if (rate === 0) { while (done < count) pair(); finish(); }
else {
  const total = rate * seconds;
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
    while (done < due) pair();
    if (done >= total) { clearInterval(timer); finish(); }
  }, 5);
}`;

interface LoadResult {
  pid: number;
  pairs: number;
  seconds: number;
  cpuSeconds: number;
}

async function runLoad(dir: string, rate: number, seconds: number, count: number): Promise<LoadResult> {
  const child: ChildProcess = spawn(process.execPath, ['-e', LOAD, dir, String(rate), String(seconds), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.add('load process', () => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  let cpuSeconds = Number.NaN;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    cpuSeconds = processCpuSeconds(child.pid!);
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`load process exited with ${code}`);
  return { pid: child.pid!, ...(JSON.parse(out) as { pairs: number; seconds: number }), cpuSeconds };
}

interface AuditStatus {
  pid: number;
  lost: number;
  backlog: number;
  waitActual: number;
}

/**
 * `auditctl -s`, run asynchronously: a synchronous child would stop this process from reading auditd's socket, and
 * auditctl itself can wait on a full kernel backlog that only that reading drains (a deadlock until the wait times out).
 */
async function auditStatus(): Promise<AuditStatus> {
  const { stdout: text } = await promisify(execFile)('auditctl', ['-s'], { encoding: 'utf8' });
  const value = (key: string) => Number(new RegExp(`^${key} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { pid: value('pid'), lost: value('lost'), backlog: value('backlog'), waitActual: value('backlog_wait_time_actual') };
}

/** Samples the kernel backlog while `work` runs; returns its maximum. */
async function withBacklogSampling<T>(work: Promise<T>): Promise<{ result: T; backlogMax: number }> {
  let backlogMax = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      backlogMax = Math.max(backlogMax, (await auditStatus()).backlog);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await work.finally(() => (done = true));
  await sampler;
  return { result, backlogMax };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the file-telemetry benchmark needs root (audit rules)');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-files-'));
  cleanup.add('load folder', () => rmSync(dir, { recursive: true, force: true }));

  log(`baseline: ${formatInt(options.files)} create+delete pairs in ${dir}, unwatched`);
  const baseline = await runLoad(dir, 0, 0, options.files);

  const events: CollectedEvent[] = [];
  const warnings: string[] = [];
  const source = createAuditdSource({ files: {} });
  cleanup.add('auditd source', () => source.stop());
  await source.start({ emit: (e) => events.push(e), warn: (m) => warnings.push(m) });
  const auditdPid = (await auditStatus()).pid;
  const inDir = (e: CollectedEvent) => String((e as Record<string, unknown>)['file.path'] ?? '').startsWith(`${dir}/`);

  log(`idle: ${options.idle} s with the default watch set`);
  const idleStats = source.stats();
  const idleCpu = process.cpuUsage();
  const idleAuditd = processCpuSeconds(auditdPid);
  await new Promise((r) => setTimeout(r, options.idle * 1000));
  const idleAgent = process.cpuUsage(idleCpu);
  const idle = {
    agent_cpu_pct: round(((idleAgent.user + idleAgent.system) / 1e6 / options.idle) * 100, 2),
    auditd_cpu_pct: round(((processCpuSeconds(auditdPid) - idleAuditd) / options.idle) * 100, 2),
    file_events_per_s: round(((source.stats().fileEvents ?? 0) - (idleStats.fileEvents ?? 0)) / options.idle, 1),
    proc_writes_dropped_per_s: round(((source.stats().procWritesDropped ?? 0) - (idleStats.procWritesDropped ?? 0)) / options.idle, 1),
  };

  log(`watched: the same ${formatInt(options.files)} pairs with the auditd source running`);
  const before = await auditStatus();
  const unpaced = await withBacklogSampling(runLoad(dir, 0, 0, options.files));
  const afterUnpaced = await auditStatus();
  const throughput = {
    baseline_pairs_per_s: round(baseline.pairs / baseline.seconds, 0),
    watched_pairs_per_s: round(unpaced.result.pairs / unpaced.result.seconds, 0),
    kernel_lost: afterUnpaced.lost - before.lost,
    backlog_max: unpaced.backlogMax,
    backlog_wait_ms: afterUnpaced.waitActual - before.waitActual,
  };

  const paced: Array<Record<string, number>> = [];
  for (const rate of rates) {
    await new Promise((r) => setTimeout(r, 1000));
    events.length = 0;
    const gapsBefore = source.stats().serialGaps ?? 0;
    const status = await auditStatus();
    const agentBefore = process.cpuUsage();
    const auditdBefore = processCpuSeconds(auditdPid);
    log(`paced: ${formatInt(rate)} pairs/s for ${options.duration} s`);
    const run = await withBacklogSampling(runLoad(dir, rate, options.duration, 0));
    // Creates wait for their file to settle before they are emitted (at most ~5 s).
    await new Promise((r) => setTimeout(r, 6000));
    const agent = process.cpuUsage(agentBefore);
    const wall = run.result.seconds + 6;
    const after = await auditStatus();
    const mine = events.filter(inDir);
    const expected = run.result.pairs * 2;
    paced.push({
      rate,
      pairs: run.result.pairs,
      events_expected: expected,
      events_reported: mine.length,
      lost: expected - mine.length,
      serial_gaps: (source.stats().serialGaps ?? 0) - gapsBefore,
      kernel_lost: after.lost - status.lost,
      backlog_max: run.backlogMax,
      backlog_wait_ms: after.waitActual - status.waitActual,
      agent_cpu_pct: round(((agent.user + agent.system) / 1e6 / wall) * 100, 1),
      auditd_cpu_pct: round(((processCpuSeconds(auditdPid) - auditdBefore) / wall) * 100, 1),
      load_cpu_pct: round((run.result.cpuSeconds / run.result.seconds) * 100, 1),
    });
  }
  await source.stop();
  const stats = source.stats();

  const result = {
    date: '2026-12-05',
    machine: machineInfo(),
    files: options.files,
    watch_rules: stats.watchRules ?? 0,
    throughput_ratio: round(throughput.watched_pairs_per_s / throughput.baseline_pairs_per_s, 2),
    ...throughput,
    idle,
    paced,
    files_not_inspected: stats.filesNotInspected ?? 0,
    parse_errors: stats.parseErrors ?? 0,
    warnings: warnings.slice(0, 5),
  };

  const header = ['measure', 'value'];
  const rows: string[][] = [
    ['watch rules (default set, resolved)', formatInt(result.watch_rules)],
    ['idle: agent / auditd CPU, % of one core', `${idle.agent_cpu_pct} / ${idle.auditd_cpu_pct}`],
    ['idle: file events/s, /proc writes dropped/s', `${idle.file_events_per_s} / ${idle.proc_writes_dropped_per_s}`],
    ['unpaced create+delete pairs/s, baseline -> watched', `${formatInt(throughput.baseline_pairs_per_s)} -> ${formatInt(throughput.watched_pairs_per_s)}`],
    ['unpaced throughput ratio watched / baseline', `${result.throughput_ratio}x`],
    ['unpaced: kernel lost, backlog max, backlog wait (ms)', `${throughput.kernel_lost}, ${throughput.backlog_max}, ${throughput.backlog_wait_ms}`],
    ...paced.flatMap((p) => [
      [`${formatInt(p.rate!)} pairs/s: events reported / expected`, `${formatInt(p.events_reported!)} / ${formatInt(p.events_expected!)}`],
      [`${formatInt(p.rate!)} pairs/s: lost, kernel lost, backlog max, wait ms`, `${p.lost}, ${p.kernel_lost}, ${p.backlog_max}, ${p.backlog_wait_ms}`],
      [`${formatInt(p.rate!)} pairs/s: agent / auditd / load CPU %`, `${p.agent_cpu_pct} / ${p.auditd_cpu_pct} / ${p.load_cpu_pct}`],
    ]),
  ];
  process.stdout.write(`${textTable(header, rows)}\n`);
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, 'file-telemetry.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  log(`results ${relative(process.cwd(), out)}`);
  if (options['update-docs']) {
    const m = result.machine;
    const section = [
      '## file-telemetry',
      '',
      `\`npm run bench -- file-telemetry\` (${result.date}; ${m.cpu_model}, ${m.cores} cores, ${m.memory_gib} GiB, Node ${m.node}, kernel ${m.kernel}).`,
      `A load process creates (\`writeFileSync\`) and deletes a file in /tmp, first ${formatInt(options.files)} times as fast as it can without`,
      'auditing (baseline), then with the auditd source running the default watch set (each pair is two audited syscalls and',
      `two events), then paced at ${rates.map(formatInt).join(' and ')} pairs/s for ${options.duration} s each. "Lost" is expected minus reported`,
      'events of the load folder; "backlog wait" is the kernel\'s backlog_wait_time_actual delta: time audited processes were',
      'held because the kernel audit queue was full. CPU is user + system over the run, % of one core; the agent side is the',
      'auditd source in the benchmark process.',
      "The source bounds the kernel's backlog wait to 25 jiffies while it runs (`auditctl --backlog_wait_time`); with the",
      'kernel default (60 s per record) an earlier run of the unpaced phase managed 303 pairs/s and the load spent 74 s',
      'blocked. Runs vary with what else the machine does: a previous run with the bound measured 2,263 pairs/s unpaced',
      '(0.05x) and lost 0.16% of the events at 2,000 pairs/s.',
      '',
      markdownTable(header, rows),
      '',
    ].join('\n');
    log(`docs ${relative(process.cwd(), updateBenchmarkDocs(repoRoot, 'file-telemetry', section))}`);
  }
}

main()
  .catch((error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup.runAll());
