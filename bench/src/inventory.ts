// Inventory, change records and operator filters on this machine: time to read each inventory table (first read and
// with warm caches), CPU of the collector and the change source while idle, and events/s through the sink filter
// against a bare loop (the named baseline). Reads the machine only; writes bench/results/inventory.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot as findRepoRoot } from '@vigil/common';
import { createChangeSource, createInventoryCollector, INVENTORY_TABLES, parseAgentConfig, createAgentFilter } from '@vigil/sources';
import { createTableReader } from '@vigil/sources/inventory/tables';
import type { InventoryReply } from '@vigil/protocol/inventory';
import { parseOptions } from './internal/options.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { formatInt, machineInfo, markdownTable, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    'idle-seconds': { description: 'how long the collector and the change source run idle while their CPU is measured', default: 30 },
    events: { description: 'events pushed through each filter configuration', default: 2_000_000 },
    'update-docs': { description: 'rewrite the inventory section of docs/benchmarks.md', default: false },
  },
  process.argv.slice(2),
);
const log = (message: string) => process.stderr.write(`[inventory] ${message}\n`);
const repoRoot = findRepoRoot();
const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

// ---- 1. table reads (the worker's code, in this thread) ----
const reader = createTableReader();
const tables: { table: string; rows: number; cold_ms: number; warm_ms: number }[] = [];
for (const table of INVENTORY_TABLES) {
  let started = performance.now();
  const cold = reader.read(table);
  const coldMs = performance.now() - started;
  started = performance.now();
  reader.read(table);
  tables.push({ table, rows: cold.rows.length, cold_ms: round(coldMs, 1), warm_ms: round(performance.now() - started, 1) });
}
log(`tables read: ${tables.map((t) => `${t.table} ${t.cold_ms}/${t.warm_ms} ms`).join(', ')}`);

// ---- 2. idle CPU of the collector (worker included) and the change source on the real host points ----
const inventory = createInventoryCollector();
let reports = 0;
await inventory.start({
  async publish(report): Promise<InventoryReply> {
    reports++;
    return { tables: report.tables.map((p) => ({ name: p.name, status: 'applied' as const, digest: p.digest, changes: 0 })) };
  },
});
const changes = createChangeSource();
let records = 0;
await changes.start({ emit: () => records++, warn: (message) => log(`warning: ${message}`) });
const settled = await inventory.settled(120_000);
if (!settled) throw new Error('the inventory did not settle within 120 s');
const idleStart = cpuSeconds();
const idleWall = performance.now();
await new Promise((r) => setTimeout(r, options['idle-seconds'] * 1000));
const idleCpu = cpuSeconds() - idleStart;
const idleSeconds = (performance.now() - idleWall) / 1000;
const rssMb = process.memoryUsage().rss / 2 ** 20;
const changeStats = changes.stats();
await inventory.stop();
await changes.stop();
log(`idle ${round(idleSeconds, 1)} s: ${round((idleCpu / idleSeconds) * 100, 2)}% of one core; ${changeStats.watches} watches, ${changeStats.tracked_files} files tracked`);

// ---- 3. filter throughput vs a bare loop ----
const categories = ['process', 'network', 'file', 'dns', 'authentication'];
const events = Array.from({ length: 10_000 }, (_, i) => ({
  'event.category': categories[i % categories.length]!,
  'event.action': i % 2 ? 'start' : 'connect',
  'process.executable': `/usr/bin/tool${i % 50}`,
  'process.parent.name': i % 7 === 0 ? 'cron' : 'bash',
  'file.path': `/var/tmp/dir${i % 30}/file${i}`,
  'destination.ip': `10.${i % 256}.0.${i % 200}`,
  'user.name': i % 3 ? 'root' : 'www-data',
}));
const rule = (category: string, i: number) => `  - { onmatch: exclude, category: ${category}, conditions: { process.executable: { glob: "/opt/app${i}/**" }, user: [svc${i}] } }`;
const configs: Record<string, string> = {
  'no rules (counters only)': 'filters: []\n',
  '20 rules, other categories': `filters:\n${Array.from({ length: 20 }, (_, i) => rule('script', i)).join('\n')}\n`,
  '20 exclude + 1 include rule, same category': `filters:\n${Array.from({ length: 20 }, (_, i) => rule('process', i)).join('\n')}\n  - { onmatch: include, category: process, conditions: { user: [root] } }\n  - { onmatch: exclude, category: network, conditions: { destination: { cidr: [10.0.0.0/8] } } }\n  - { onmatch: exclude, category: file, conditions: { path: { prefix: [/var/tmp/] } } }\n`,
};
const total = options.events;
let sink = 0;
const baselineStart = performance.now();
for (let i = 0; i < total; i++) if (events[i % events.length]!['event.category'] !== '') sink++;
const baselineRate = total / ((performance.now() - baselineStart) / 1000);
const filters: { config: string; events_per_s: number; kept: number; ratio_to_baseline: number }[] = [];
for (const [name, text] of Object.entries(configs)) {
  const filter = createAgentFilter(parseAgentConfig(text, `${name}.yml`));
  let kept = 0;
  const started = performance.now();
  for (let i = 0; i < total; i++) if (filter.accept(events[i % events.length]!)) kept++;
  const rate = total / ((performance.now() - started) / 1000);
  filters.push({ config: name, events_per_s: Math.round(rate), kept, ratio_to_baseline: round(rate / baselineRate, 3) });
}
if (sink !== total) throw new Error('baseline loop miscounted');

const result = {
  date: '2026-12-05',
  machine: machineInfo(),
  tables,
  executables_cold_ms: tables.find((t) => t.table === 'executables')!.cold_ms,
  executables_warm_ms: tables.find((t) => t.table === 'executables')!.warm_ms,
  listening_ports_warm_ms: tables.find((t) => t.table === 'listening_ports')!.warm_ms,
  idle_seconds: round(idleSeconds, 1),
  idle_cpu_pct: round((idleCpu / idleSeconds) * 100, 2),
  rss_mb: round(rssMb, 1),
  reports_during_run: reports,
  change_records_during_run: records,
  watches: changeStats.watches ?? 0,
  tracked_files: changeStats.tracked_files ?? 0,
  baseline_loop_events_per_s: Math.round(baselineRate),
  filters,
  filter_no_rules_events_per_s: filters[0]!.events_per_s,
  filter_worst_events_per_s: filters[2]!.events_per_s,
};

process.stdout.write(`${textTable(['table', 'rows', 'first read ms', 'warm read ms'], tables.map((t) => [t.table, formatInt(t.rows), String(t.cold_ms), String(t.warm_ms)]))}\n\n`);
process.stdout.write(
  `${textTable(['measure', 'value'], [
    [`idle CPU (collector + worker + change source), % of one core over ${result.idle_seconds} s`, String(result.idle_cpu_pct)],
    ['RSS of the benchmark process (MiB)', String(result.rss_mb)],
    ['inotify watches / files tracked', `${result.watches} / ${result.tracked_files}`],
  ])}\n\n`,
);
const filterRows = [['bare loop (baseline)', formatInt(baselineRate), '', '1.000'], ...filters.map((f) => [f.config, formatInt(f.events_per_s), formatInt(f.kept), f.ratio_to_baseline.toFixed(3)])];
process.stdout.write(`${textTable(['filter configuration', 'events/s', 'kept', 'vs baseline'], filterRows)}\n`);
const resultsDir = join(repoRoot, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const out = join(resultsDir, 'inventory.json');
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
log(`results ${relative(process.cwd(), out)}`);
if (options['update-docs']) {
  const m = result.machine;
  const section = [
    '## inventory',
    '',
    `\`npm run bench -- inventory\` (${result.date}; ${m.cpu_model}, ${m.cores} cores, ${m.memory_gib} GiB, Node ${m.node}, kernel ${m.kernel}).`,
    'Reads every inventory table of this machine twice in one thread (the second read uses the worker\'s caches: file',
    'hashes by inode/size/mtime, socket owners by inode), then runs the collector (with its worker thread) and the change',
    `source on the real watch points for ${result.idle_seconds} s after the first reports, and pushes ${formatInt(total)} synthetic events through the`,
    'agent\'s sink filter in three configurations against a bare loop over the same events (the baseline).',
    '',
    markdownTable(['table', 'rows', 'first read ms', 'warm read ms'], tables.map((t) => [t.table, formatInt(t.rows), String(t.cold_ms), String(t.warm_ms)])),
    '',
    markdownTable(['measure', 'value'], [
      ['idle CPU, collector + worker + change source (% of one core)', String(result.idle_cpu_pct)],
      ['RSS of the process (MiB)', String(result.rss_mb)],
      ['inotify watches / files tracked', `${result.watches} / ${result.tracked_files}`],
    ]),
    '',
    markdownTable(['filter configuration', 'events/s', 'vs bare loop'], [['bare loop (baseline)', formatInt(baselineRate), '1.000'], ...filters.map((f) => [f.config, formatInt(f.events_per_s), f.ratio_to_baseline.toFixed(3)])]),
  ].join('\n');
  log(`docs ${relative(process.cwd(), updateBenchmarkDocs(repoRoot, 'inventory', section))}`);
}
