// Network telemetry overhead: CPU of bpftrace and of the agent side of the bpftrace source (this process) while a
// load process makes N TCP connects/s to its own loopback listener, against the same load with no tracing (baseline).
// Loopback only; the load process, the bpftrace child and any tracefs mount made here are removed on every exit path.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectedEvent } from '@vigil/schema';
import { createBpftraceSource } from '@vigil/sources';
import { createCleanupRegistry } from './internal/cleanup.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { parseOptions } from './internal/options.js';
import { formatInt, machineInfo, markdownTable, processCpuSeconds, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    rate: { description: 'TCP connects per second made by the load process', default: 1000 },
    duration: { description: 'seconds of load in each run (baseline and traced)', default: 30 },
    window: { description: 'flow aggregation window of the source, in ms', default: 5000 },
    'update-docs': { description: 'write the measured table into docs/benchmarks.md (section "## net-telemetry")', default: false },
  },
  process.argv.slice(2),
);
if (options.rate < 1 || options.duration < 1) throw new Error('need --rate >= 1 and --duration >= 1');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string) => process.stderr.write(`[net-telemetry] ${line}\n`);
const cleanup = createCleanupRegistry(log);

/** The load: a listener and a paced connect loop in one process; prints its counts as JSON when done. */
const LOAD = `
const net = require('net');
const [rate, seconds] = [Number(process.argv[1]), Number(process.argv[2])];
const server = net.createServer((c) => c.destroy()).listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const total = rate * seconds;
  let launched = 0, connected = 0, failed = 0, settled = 0;
  const start = Date.now();
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
    while (launched < due) {
      launched++;
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => { connected++; settled++; c.destroy(); });
      c.on('error', () => { failed++; settled++; });
    }
    if (launched >= total) {
      clearInterval(timer);
      const finish = () => (settled >= total ? (server.close(), console.log(JSON.stringify({ launched, connected, failed, seconds: (Date.now() - start) / 1000 }))) : setTimeout(finish, 20));
      finish();
    }
  }, 5);
});`;

interface LoadResult {
  pid: number;
  launched: number;
  connected: number;
  failed: number;
  seconds: number;
  cpuSeconds: number;
}

async function runLoad(): Promise<LoadResult> {
  const child: ChildProcess = spawn(process.execPath, ['-e', LOAD, String(options.rate), String(options.duration)], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.add('load process', () => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  let cpuSeconds = Number.NaN;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    // Read the CPU time while the process still exists: once it printed, it is about to exit.
    cpuSeconds = processCpuSeconds(child.pid!);
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`load process exited with ${code}`);
  return { pid: child.pid!, ...(JSON.parse(out) as Omit<LoadResult, 'pid' | 'cpuSeconds'>), cpuSeconds };
}

/** Pid of the bpftrace child of this process. */
function bpftracePid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === 'bpftrace' && ppid === process.pid) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

const rssMiB = (pid: number) => {
  const kb = /^VmRSS:\s*(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the net-telemetry benchmark needs root (bpftrace)');
  log(`baseline: ${options.rate} connects/s for ${options.duration} s without tracing`);
  const baseline = await runLoad();

  const events: CollectedEvent[] = [];
  const warnings: string[] = [];
  const source = createBpftraceSource({ windowMs: options.window });
  cleanup.add('bpftrace source', () => source.stop());
  await source.start({ emit: (e) => events.push(e), warn: (m) => warnings.push(m) });
  const bpftrace = bpftracePid();
  if (!bpftrace) throw new Error('bpftrace child not found');
  log(`traced: the same load with the bpftrace source running (bpftrace pid ${bpftrace})`);
  const agentBefore = process.cpuUsage();
  const bpftraceBefore = processCpuSeconds(bpftrace);
  const started = Date.now();
  const traced = await runLoad();
  const wall = (Date.now() - started) / 1000;
  const agentCpu = process.cpuUsage(agentBefore);
  const bpftraceCpu = processCpuSeconds(bpftrace) - bpftraceBefore;
  const agentRss = process.memoryUsage().rss / 2 ** 20;
  const bpftraceRss = rssMiB(bpftrace);
  await new Promise((r) => setTimeout(r, options.window + 500));
  await source.stop();
  const stats = source.stats();

  const of = (action: string) => events.filter((e) => e['process.pid'] === traced.pid && e['event.action'] === action && e['event.category'] === 'network');
  const sum = (list: CollectedEvent[]) => list.reduce((n, e) => n + ((e as Record<string, unknown>)['network.connection_count'] as number), 0);
  const connects = of('connect');
  const accepts = of('accept');
  const pct = (seconds: number, over: number) => round((seconds / over) * 100, 1);
  const result = {
    date: '2026-12-05',
    machine: machineInfo(),
    rate: options.rate,
    duration_s: options.duration,
    window_ms: options.window,
    connects_launched: traced.launched,
    connects_established: traced.connected,
    connects_reported: sum(connects),
    accepts_reported: sum(accepts),
    connect_events: connects.length,
    events_total: events.length,
    lines_read: stats.lines ?? 0,
    lost: stats.dropped ?? 0,
    parse_errors: stats.parseErrors ?? 0,
    agent_cpu_pct: pct((agentCpu.user + agentCpu.system) / 1e6, wall),
    bpftrace_cpu_pct: pct(bpftraceCpu, wall),
    load_cpu_pct_baseline: pct(baseline.cpuSeconds, baseline.seconds),
    load_cpu_pct_traced: pct(traced.cpuSeconds, traced.seconds),
    load_cpu_ratio: round(traced.cpuSeconds / traced.seconds / (baseline.cpuSeconds / baseline.seconds), 2),
    agent_rss_mb: round(agentRss, 1),
    bpftrace_rss_mb: round(bpftraceRss, 1),
    warnings: warnings.slice(0, 5),
  };

  const header = ['measure', 'value'];
  const rows: string[][] = [
    ['connects/s (target)', formatInt(result.rate)],
    ['connects launched / established', `${formatInt(result.connects_launched)} / ${formatInt(result.connects_established)}`],
    ['connects reported (sum of network.connection_count)', formatInt(result.connects_reported)],
    ['accepts reported', formatInt(result.accepts_reported)],
    ['connect events (after folding)', formatInt(result.connect_events)],
    ['kernel records read', formatInt(result.lines_read)],
    ['lost (perf buffer)', formatInt(result.lost)],
    ['bpftrace CPU, % of one core', String(result.bpftrace_cpu_pct)],
    ['agent-side source CPU, % of one core', String(result.agent_cpu_pct)],
    ['load process CPU, baseline -> traced (%)', `${result.load_cpu_pct_baseline} -> ${result.load_cpu_pct_traced}`],
    ['load CPU ratio traced / baseline', `${result.load_cpu_ratio}x`],
    ['RSS agent / bpftrace (MiB)', `${result.agent_rss_mb} / ${result.bpftrace_rss_mb}`],
  ];
  process.stdout.write(`${textTable(header, rows)}\n`);
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, 'net-telemetry.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  log(`results ${relative(process.cwd(), out)}`);
  if (options['update-docs']) {
    const m = result.machine;
    const section = [
      '## net-telemetry',
      '',
      `\`npm run bench -- net-telemetry\` (${result.date}; ${m.cpu_model}, ${m.cores} cores, ${m.memory_gib} GiB, Node ${m.node}, kernel ${m.kernel}).`,
      `A load process makes ${formatInt(result.rate)} TCP connects/s to its own loopback listener for ${result.duration_s} s, first without`,
      'tracing (baseline), then with the bpftrace source running in the benchmark process (the agent side: decoding, /proc',
      `enrichment, flow folding with a ${result.window_ms} ms window). CPU is user + system time over the run, in % of one core.`,
      'The BPF programs run in the traced processes, so their cost shows as the load process\'s extra CPU.',
      '',
      markdownTable(header, rows),
      '',
    ].join('\n');
    log(`docs ${relative(process.cwd(), updateBenchmarkDocs(repoRoot, 'net-telemetry', section))}`);
  }
}

main()
  .catch((error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup.runAll());
