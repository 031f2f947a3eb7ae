// Intel benchmark: (a) stream IOC matching in events/s with 1M indicators loaded (the @vigil/intel matcher the server
// runs after Sigma), against a naive matcher in the same run (one Set per type for exact values, linear scans over
// every CIDR range and every domain for ranges and subdomains); (b) YARA scan MB/s and files/s of YARA-X
// (@litko/yara-x, as the agent sweeps: sweepFiles, files grouped by scan set; read, per-file externals, scan) against Debian's `yara` 4.2.3 CLI on the same
// signature-base rules and the same file list, one thread each (the headline) and, threads-equal, N worker threads
// each with its own compiled rule set taking files from one shared counter against `yara -p N`. This file is also
// the entry of those worker threads (see yaraWorker). Temp folders are removed on success, failure and interrupt.

import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { corpusPath, seededRandom } from '@vigil/common';
import { createIocMatcher, formatCidr, indicatorFields, parseAddress, parseCidr, type IndicatorType, type MatchableIndicator } from '@vigil/intel';
import { compilePartitioned, compileRuleSet, createFileScanner, DEFAULT_EXTERNALS, sweepFiles, type FileScanner } from '@vigil/yara';
import { signatureBase } from '@vigil/yara/internal/test-support';
import { createCleanupRegistry } from './internal/cleanup.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { parseOptions } from './internal/options.js';
import { formatInt, machineInfo, markdownTable, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    indicators: { description: 'indicators loaded into the matcher', default: 1_000_000 },
    events: { description: 'events matched by the Vigil matcher', default: 300_000 },
    'naive-events': { description: 'events matched by the naive matcher (the first N of the same list; hits are compared on those)', default: 2_000 },
    'hit-share': { description: 'share of events carrying a listed value', default: 0.01 },
    seed: { description: 'seed of the generated indicators and events', default: 7 },
    'yara-paths': { description: 'comma-separated folders whose regular files (not symlinks) are scanned by both YARA engines', default: '/usr/bin,/usr/sbin' },
    'yara-max-file-size': { description: 'files larger than this (bytes) are left out of the YARA file list', default: 64 * 1024 * 1024 },
    'yara-large-file': { description: 'one large file scanned alone by both engines (throughput without per-file costs; empty: skip)', default: '/usr/bin/node' },
    'yara-threads': { description: 'threads-equal comparison: N YARA-X worker threads (own compiled rules each, files from a shared counter) against `yara -p N` (0: skip)', default: 2 },
    'yara-full-set': { description: 'scan with the whole compiled set instead of the per-file-type scan sets the agent uses (compilePartitioned)', default: false },
    rounds: { description: 'YARA runs per engine, alternating; the fastest counts (the machine may be shared)', default: 3 },
    'skip-yara': { description: 'run only the IOC part', default: false },
    'update-docs': { description: 'write the tables into docs/benchmarks.md (section "## intel")', default: false },
  },
  process.argv.slice(2),
);

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const resultsDir = join(repoRoot, 'bench', 'results');
const log = (line: string) => process.stderr.write(line + '\n');
const cleanup = createCleanupRegistry(log);
const random = seededRandom(options.seed);
const hex = (length: number) => Array.from({ length }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

// ---- (a) IOC matching ----

/** Shares of the 1M indicators per type (roughly what public feeds hold: hashes and addresses first). */
const mix: [IndicatorType, number][] = [
  ['sha256', 0.35], ['md5', 0.12], ['sha1', 0.08], ['ip', 0.2], ['cidr', 0.03], ['domain', 0.15], ['url', 0.03], ['file_name', 0.02], ['path', 0.01], ['process_name', 0.005], ['port', 0.005],
];

function generateValue(type: IndicatorType, i: number): string {
  switch (type) {
    case 'sha256': return hex(64);
    case 'md5': return hex(32);
    case 'sha1': return hex(40);
    case 'ip': return random() < 0.9 ? `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}` : `2001:db8:${(i % 65536).toString(16)}::${Math.floor(random() * 65536).toString(16)}`;
    case 'cidr': return formatCidr(parseCidr(random() < 0.85 ? `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.0/${16 + Math.floor(random() * 9)}` : `2001:db8:${(i % 65536).toString(16)}::/48`)!);
    case 'domain': return `${hex(8)}.${pick(['evil', 'c2', 'cdn', 'update', 'mail'])}-${i % 50000}.${pick(['com', 'net', 'org', 'info', 'top', 'xyz'])}`;
    case 'url': return `http://${hex(6)}.example-${i % 10000}.com/${hex(8)}/payload.bin`;
    case 'file_name': return `${hex(10)}.exe`;
    case 'path': return `/tmp/.${hex(8)}/${hex(6)}`;
    case 'process_name': return `${hex(7)}`;
    case 'port': return String(1024 + (i % 60000));
  }
}

function generateIndicators(count: number): MatchableIndicator[] {
  const out: MatchableIndicator[] = [];
  for (const [type, share] of mix) {
    const n = Math.round(count * share);
    for (let i = 0; i < n; i++) {
      out.push({ id: `i${out.length}`, type, value: generateValue(type, i) });
    }
  }
  return out.slice(0, count);
}

function generateEvents(count: number, listed: MatchableIndicator[]): Record<string, unknown>[] {
  const byType = new Map<IndicatorType, MatchableIndicator[]>();
  for (const indicator of listed) (byType.get(indicator.type) ?? byType.set(indicator.type, []).get(indicator.type)!).push(indicator);
  const some = (type: IndicatorType) => pick(byType.get(type)!).value;
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const hit = random() < options['hit-share'];
    const kind = random();
    if (kind < 0.5) {
      const name = hit && random() < 0.2 ? some('process_name') : pick(['bash', 'sh', 'python3', 'curl', 'sshd', 'cron', 'node', 'systemd']);
      events.push({
        'event.category': 'process', 'event.action': 'start', 'process.pid': 1000 + i, 'process.name': name, 'process.executable': hit && random() < 0.2 ? some('path') : `/usr/bin/${name}`,
        'process.parent.name': 'bash', 'process.parent.executable': '/usr/bin/bash',
        'process.command_line': hit && random() < 0.2 ? `curl -s ${some('url')} -o /tmp/x` : `${name} --option value ${i}`,
        'process.hash.sha256': hit ? some('sha256') : hex(64), 'process.hash.md5': hex(32), 'process.hash.sha1': hex(40),
      });
    } else if (kind < 0.8) {
      const v6 = random() < 0.1;
      events.push({
        'event.category': 'network', 'event.action': 'connect', 'process.pid': 1000 + i, 'process.name': 'curl',
        'source.ip': v6 ? '2001:db8:ffff::10' : '10.1.2.3', 'source.port': 40000 + (i % 20000),
        'destination.ip': hit ? (random() < 0.5 ? some('ip') : some('ip').replace(/\.\d+$/, '.1')) : v6 ? `2a00:1450:4001::${(i % 65536).toString(16)}` : `${100 + (i % 100)}.${i % 256}.${(i >> 8) % 256}.${i % 199}`,
        'destination.port': hit && random() < 0.2 ? Number(some('port')) : 443, 'network.transport': 'tcp',
      });
    } else {
      events.push({
        'event.category': 'dns', 'event.action': 'query', 'process.pid': 1000 + i, 'process.name': 'systemd-resolved',
        'dns.question.name': hit ? `www.${some('domain')}` : `host-${i % 5000}.example.org`, 'dns.resolved_ip': [`${100 + (i % 100)}.1.2.${i % 250}`],
      });
    }
  }
  return events;
}

/** The obvious matcher: a Set per exact type; every CIDR and every domain indicator checked against each value. */
function createNaiveMatcher(indicators: readonly MatchableIndicator[]) {
  const exact = new Map<IndicatorType, Set<string>>();
  const cidrs = indicators.filter((i) => i.type === 'cidr').map((i) => ({ id: i.id, range: parseCidr(i.value)! }));
  const domains = indicators.filter((i) => i.type === 'domain');
  const idOf = new Map<string, string[]>();
  for (const i of indicators) {
    if (i.type === 'cidr' || i.type === 'domain') continue;
    (exact.get(i.type) ?? exact.set(i.type, new Set()).get(i.type)!).add(i.value);
    const key = `${i.type}\u0000${i.value}`;
    idOf.set(key, [...(idOf.get(key) ?? []), i.id]);
  }
  const inRange = (bytes: Uint8Array, family: number, range: ReturnType<typeof parseCidr> & object) => {
    if (family !== range.family) return false;
    for (let bit = 0; bit < range.prefix; bit++) if (((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) !== ((range.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1)) return false;
    return true;
  };
  return (event: Record<string, unknown>): string[] => {
    const hits = new Set<string>();
    for (const [type, fields] of Object.entries(indicatorFields) as [IndicatorType, (typeof indicatorFields)[IndicatorType]][]) {
      for (const { field } of fields) {
        const raw = event[field];
        for (const item of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
          const text = String(item);
          if (type === 'cidr') {
            const address = parseAddress(text);
            if (address) for (const c of cidrs) if (inRange(address.bytes, address.family, c.range)) hits.add(c.id);
          } else if (type === 'domain') {
            const name = text.toLowerCase();
            for (const d of domains) if (name === d.value || name.endsWith(`.${d.value}`)) hits.add(d.id);
          } else if (type === 'url') {
            for (const m of text.matchAll(/\bhttps?:\/\/\S+/g)) if (exact.get('url')?.has(m[0])) for (const id of idOf.get(`url\u0000${m[0]}`) ?? []) hits.add(id);
          } else {
            const value = type === 'process_name' || type === 'file_name' ? text.toLowerCase() : text;
            if (exact.get(type)?.has(value)) for (const id of idOf.get(`${type}\u0000${value}`) ?? []) hits.add(id);
          }
        }
      }
    }
    return [...hits].sort();
  };
}

interface IocFigures {
  indicators: number;
  buildSeconds: number;
  heapMiB: number;
  events: number;
  eventsPerSecond: number;
  hits: number;
  eventsWithHits: number;
  naiveEvents: number;
  naiveEventsPerSecond: number;
  agreement: boolean;
}

function iocBenchmark(): IocFigures {
  const count = Math.floor(options.indicators);
  log(`generating ${formatInt(count)} indicators and ${formatInt(options.events)} events (seed ${options.seed}) ...`);
  const indicators = generateIndicators(count);
  const events = generateEvents(Math.floor(options.events), indicators);
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const matcher = createIocMatcher(indicators);
  const buildSeconds = (performance.now() - started) / 1000;
  global.gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  log(`matcher built in ${buildSeconds.toFixed(1)} s (${matcher.size} indicators, ~${heapMiB.toFixed(0)} MiB heap)`);
  for (let i = 0; i < Math.min(20_000, events.length); i++) matcher.match(events[i]!);
  let hits = 0;
  let eventsWithHits = 0;
  started = performance.now();
  for (const event of events) {
    const found = matcher.match(event);
    if (found.length) {
      hits += found.length;
      eventsWithHits++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const naive = createNaiveMatcher(indicators);
  const naiveCount = Math.min(events.length, Math.floor(options['naive-events']));
  let agreement = true;
  started = performance.now();
  const naiveResults = events.slice(0, naiveCount).map((event) => naive(event));
  const naiveSeconds = (performance.now() - started) / 1000;
  for (let i = 0; i < naiveCount; i++) {
    const ours = matcher.match(events[i]!).map((h) => h.indicator.id).sort();
    if (JSON.stringify(ours) !== JSON.stringify(naiveResults[i])) {
      agreement = false;
      log(`disagreement on event ${i}: matcher ${JSON.stringify(ours)} naive ${JSON.stringify(naiveResults[i])}`);
      break;
    }
  }
  return { indicators: matcher.size, buildSeconds, heapMiB, events: events.length, eventsPerSecond: events.length / seconds, hits, eventsWithHits, naiveEvents: naiveCount, naiveEventsPerSecond: naiveCount / naiveSeconds, agreement };
}

// ---- (b) YARA ----

/** One timed run: wall seconds, CPU seconds (user + system, all threads of the engine) and matches found. */
interface Run {
  seconds: number;
  cpuSeconds: number;
  matches: number;
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) of this process, all threads (YARA-X, its worker threads). */
function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** CPU seconds of this process's waited-for children (the yara CLI and its threads): cutime + cstime of /proc/self/stat. */
function childCpuSeconds(): number {
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot read cutime/cstime from /proc/self/stat: ${stat.slice(0, 200)}`);
  return ticks / clockTicks;
}

interface YaraFigures {
  rules: number;
  ruleFiles: number;
  files: number;
  megabytes: number;
  yaraxCompileSeconds: number;
  yaraxSeconds: number;
  yaraxMBs: number;
  yaraxFilesPerSecond: number;
  yaraxMatches: number;
  /** Same run, the whole set in one scanner (what partitioning is measured against); equal matches required. */
  yaraxFullSeconds: number;
  yaraxFullMatches: number;
  /** Same run, scan sets, files in list order one at a time (batches of one: the sweep order before issue 8's grouping). */
  yaraxGroupedSeconds: number;
  yaraxGroupedCpuSeconds: number;
  yaraxGroupedMatches: number;
  /** Scan sets (base, 4d5a, ...) and the files each scanned in one pass. */
  yaraxSets: Record<string, number>;
  cliCompileSeconds: number;
  cliSeconds: number;
  cliMBs: number;
  cliFilesPerSecond: number;
  cliMatches: number;
  cliThreadsDefaultSeconds: number;
  largeFile: string | null;
  largeMB: number;
  yaraxLargeMBs: number;
  cliLargeMBs: number;
  /** YARA-X's fixed cost of one scan with this rule set (an empty buffer). */
  yaraxEmptyScanMs: number;
  /** Threads-equal comparison (0 when skipped): N YARA-X worker threads against `yara -p N`. */
  threads: number;
  yaraxThreadedSeconds: number;
  yaraxThreadedMatches: number;
  cliThreadedSeconds: number;
  cliThreadedMatches: number;
  /** Least CPU seconds (user + system, all threads) of the rounds: YARA-X in this process, the CLI as a child. */
  yaraxCpuSeconds: number;
  cliCpuSeconds: number;
  yaraxThreadedCpuSeconds: number;
  cliThreadedCpuSeconds: number;
}

interface YaraWorkerData {
  intelYaraWorker: true;
  files: string[];
  fullSet?: boolean;
  /** Int32Array over a SharedArrayBuffer: [0] is the next file index to take. */
  next: SharedArrayBuffer;
}

type YaraWorkerMessage = { type: 'ready' } | { type: 'done'; matches: number; files: number } | { type: 'error'; message: string };

/**
 * Worker-thread side of the threads-equal run: compiles signature-base once (each thread owns its rules: a YARA-X
 * scanner is single-threaded), then on every 'go' takes file indexes from the shared counter until the list is
 * exhausted and scans them as the agent does (createFileScanner), then reports 'done'; 'stop' ends the thread.
 */
function yaraWorker(data: YaraWorkerData): void {
  const port = parentPort!;
  const post = (message: YaraWorkerMessage) => port.postMessage(message);
  try {
    const full = !!data.fullSet;
    const compiled = full ? compileRuleSet(signatureBase(), { trusted: true }).rules : compilePartitioned(signatureBase());
    if (!compiled) throw new Error('signature-base did not compile in the worker');
    const scanner = createFileScanner({ rules: compiled, rulesId: 'bench-thread', cacheEntries: 0, maxFileSize: 2 ** 31 });
    for (const file of data.files.slice(0, 5)) scanner.scan(file);
    const next = new Int32Array(data.next);
    port.on('message', (message: string) => {
      if (message === 'stop') return port.close();
      let matches = 0;
      let files = 0;
      for (;;) {
        const index = Atomics.add(next, 0, 1);
        if (index >= data.files.length) break;
        matches += scanner.scan(data.files[index]!).matches.length;
        files++;
      }
      post({ type: 'done', matches, files });
    });
    post({ type: 'ready' });
  } catch (error) {
    post({ type: 'error', message: (error as Error).stack ?? String(error) });
  }
}

/** Starts `count` YARA worker threads (each compiles the rules: seconds) and returns a runner of one pass over `files`. */
async function startYaraWorkers(count: number, files: string[]): Promise<{ run(): Promise<Run>; stop(): Promise<void> }> {
  const next = new SharedArrayBuffer(4);
  const counter = new Int32Array(next);
  const data: YaraWorkerData = { intelYaraWorker: true, files, next, fullSet: options['yara-full-set'] };
  const workers = Array.from({ length: count }, () => new Worker(fileURLToPath(import.meta.url), { workerData: data }));
  const nextMessage = (worker: Worker) =>
    new Promise<YaraWorkerMessage>((resolvePromise, reject) => {
      const onMessage = (message: YaraWorkerMessage) => {
        worker.off('error', onError);
        if (message.type === 'error') reject(new Error(`YARA worker: ${message.message}`));
        else resolvePromise(message);
      };
      const onError = (error: Error) => {
        worker.off('message', onMessage);
        reject(error);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  const stop = async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    await Promise.all(workers.map(nextMessage));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    async run() {
      Atomics.store(counter, 0, 0);
      const cpu = ownCpuSeconds();
      const t = performance.now();
      const done = workers.map(nextMessage);
      for (const worker of workers) worker.postMessage('go');
      const results = await Promise.all(done);
      const seconds = (performance.now() - t) / 1000;
      const cpuSeconds = ownCpuSeconds() - cpu;
      const scanned = results.reduce((sum, r) => sum + (r.type === 'done' ? r.files : 0), 0);
      if (scanned !== files.length) throw new Error(`YARA workers scanned ${scanned} of ${files.length} files`);
      return { seconds, cpuSeconds, matches: results.reduce((sum, r) => sum + (r.type === 'done' ? r.matches : 0), 0) };
    },
    stop,
  };
}

function emptyScanMs(rules: NonNullable<ReturnType<typeof compileRuleSet>['rules']>): number {
  const t = performance.now();
  for (let i = 0; i < 200; i++) rules.scan(Buffer.alloc(0));
  return (performance.now() - t) / 200;
}

function fileList(): { files: string[]; bytes: number } {
  const files: string[] = [];
  let bytes = 0;
  for (const folder of String(options['yara-paths']).split(',').filter(Boolean)) {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (!stat.isFile() || stat.size > options['yara-max-file-size'] || stat.size === 0) continue;
      files.push(path);
      bytes += stat.size;
    }
  }
  return { files, bytes };
}

async function yaraBenchmark(): Promise<YaraFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-intel-'));
  cleanup.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
  const rules = signatureBase();
  const { files, bytes } = fileList();
  if (!files.length) throw new Error(`no files under ${options['yara-paths']}`);
  log(`YARA: ${rules.length} rule files (signature-base), ${files.length} files, ${(bytes / 1e6).toFixed(0)} MB`);
  let started = performance.now();
  const compiled = compileRuleSet(rules, { trusted: true });
  if (!compiled.rules) throw new Error(`signature-base did not compile: ${JSON.stringify(compiled.problems.slice(0, 3))}`);
  const fullCompileSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const parted = compilePartitioned(rules);
  const yaraxCompileSeconds = options['yara-full-set'] ? fullCompileSeconds : (performance.now() - started) / 1000;
  log(`YARA: compiled the whole set in ${fullCompileSeconds.toFixed(1)} s, the scan sets (${parted.sets.map((x) => `${x.key}: ${x.rules} rules`).join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Warm-up: the first scans pay one-off costs (lazy module init) in both engines.
  const warm = createFileScanner({ rules: compiled.rules, rulesId: 'warm', cacheEntries: 0 });
  for (const file of files.slice(0, 5)) warm.scan(file);
  const scanner = createFileScanner({ rules: options['yara-full-set'] ? compiled.rules : parted, rulesId: 'bench', cacheEntries: 0, maxFileSize: 2 ** 31 });
  const fullScanner = createFileScanner({ rules: compiled.rules, rulesId: 'bench-full', cacheEntries: 0, maxFileSize: 2 ** 31 });
  const yaraxRun = (list: readonly string[], with_ = scanner) => {
    let matches = 0;
    const cpu = ownCpuSeconds();
    const t = performance.now();
    for (const file of list) matches += with_.scan(file).matches.length;
    return { seconds: (performance.now() - t) / 1000, cpuSeconds: ownCpuSeconds() - cpu, matches };
  };

  // The headline: the agent's sweep (sweepFiles: batches of files in list order, each ordered by the scan set that
  // scans it, the 2-byte head read and fstat per file counted). `batchFiles: 1` keeps list order (the A/B row).
  const yaraxSweepRun = async (list: readonly string[], batchFiles?: number, with_: FileScanner = scanner): Promise<Run> => {
    let matches = 0;
    const cpu = ownCpuSeconds();
    const t = performance.now();
    const summary = await sweepFiles(list, { scanner: with_, ...(batchFiles ? { batchFiles } : {}), onMatch: (r) => void (matches += r.matches.length) });
    if (summary.files !== list.length) throw new Error(`the sweep scanned ${summary.files} of ${list.length} files`);
    return { seconds: (performance.now() - t) / 1000, cpuSeconds: ownCpuSeconds() - cpu, matches };
  };

  const ruleRoot = corpusPath('yara', 'signature-base');
  const externals = Object.keys(DEFAULT_EXTERNALS).flatMap((name) => ['-d', `${name}=`]);
  const compiledFile = join(dir, 'signature-base.yarc');
  started = performance.now();
  const yarac = spawnSync('yarac', [...externals, ...rules.map((r) => join(ruleRoot, r.name)), compiledFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (yarac.status !== 0) throw new Error(`yarac failed: ${yarac.stderr.slice(0, 500)}`);
  const cliCompileSeconds = (performance.now() - started) / 1000;
  const list = join(dir, 'files.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const cliRun = (targets: string[], threads: string[] = ['-p', '1']) => {
    const cpu = childCpuSeconds();
    const t = performance.now();
    const result = spawnSync('yara', ['-C', '-w', ...threads, ...externals, compiledFile, ...targets], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`yara failed (${result.status}): ${result.stderr.slice(0, 500)}`);
    return { seconds: (performance.now() - t) / 1000, cpuSeconds: childCpuSeconds() - cpu, matches: result.stdout.split('\n').filter(Boolean).length };
  };
  // The machine is shared: each engine runs `rounds` times, alternating, and the fastest run counts.
  const best = (runs: Run[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  // CPU time (user + system, every thread of the engine) is less disturbed by other work than wall time: the least of the rounds.
  const leastCpu = (runs: Run[]) => Math.min(...runs.map((r) => r.cpuSeconds));
  const yaraxRuns: Run[] = [];
  const yaraxFullRuns: Run[] = [];
  const yaraxGroupedRuns: Run[] = [];
  const cliRuns: Run[] = [];
  const large = options['yara-large-file'];
  const largeBytes = large ? lstatSync(large).size : 0;
  const yaraxLarge: Run[] = [];
  const cliLarge: Run[] = [];
  for (let round = 0; round < options.rounds; round++) {
    cliRuns.push(cliRun(['--scan-list', list]));
    yaraxRuns.push(await yaraxSweepRun(files));
    yaraxFullRuns.push(yaraxRun(files, fullScanner));
    if (!options['yara-full-set']) yaraxGroupedRuns.push(await yaraxSweepRun(files, 1));
    if (large) {
      cliLarge.push(cliRun([large]));
      yaraxLarge.push(yaraxRun([large]));
    }
  }
  const single = best(cliRuns);
  const ours = best(yaraxRuns);
  const yaraxSeconds = ours.seconds;
  const yaraxMatches = ours.matches;
  const setsBefore = parted.counters();
  await yaraxSweepRun(files);
  const yaraxSets = Object.fromEntries(Object.entries(parted.counters()).map(([k, v]) => [k, v - (setsBefore[k] ?? 0)]));
  if (yaraxGroupedRuns.length && best(yaraxGroupedRuns).matches !== yaraxMatches) throw new Error(`list order found ${best(yaraxGroupedRuns).matches} matches, the sweep's order ${yaraxMatches}`);
  if (best(yaraxFullRuns).matches !== yaraxMatches) throw new Error(`scan sets found ${yaraxMatches} matches, the whole set ${best(yaraxFullRuns).matches}`);
  const threaded = cliRun(['--scan-list', list], []);
  // Threads-equal: N YARA-X worker threads (as many scanners, each with its own compiled rules) against `yara -p N`.
  const threads = Math.floor(options['yara-threads']);
  const yaraxThreadedRuns: Run[] = [];
  const cliThreadedRuns: Run[] = [];
  if (threads > 0) {
    log(`YARA: starting ${threads} YARA-X worker threads (each compiles the rules) ...`);
    const pool = await startYaraWorkers(threads, files);
    cleanup.add('YARA worker threads', () => pool.stop());
    for (let round = 0; round < options.rounds; round++) {
      cliThreadedRuns.push(cliRun(['--scan-list', list], ['-p', String(threads)]));
      yaraxThreadedRuns.push(await pool.run());
    }
    await pool.stop();
  }
  return {
    rules: compiled.ruleCount, ruleFiles: rules.length, files: files.length, megabytes: bytes / 1e6,
    yaraxCpuSeconds: leastCpu(yaraxRuns), cliCpuSeconds: leastCpu(cliRuns),
    yaraxCompileSeconds, yaraxSeconds, yaraxMBs: bytes / 1e6 / yaraxSeconds, yaraxFilesPerSecond: files.length / yaraxSeconds, yaraxMatches,
    yaraxFullSeconds: best(yaraxFullRuns).seconds, yaraxFullMatches: best(yaraxFullRuns).matches, yaraxSets,
    yaraxGroupedSeconds: yaraxGroupedRuns.length ? best(yaraxGroupedRuns).seconds : 0, yaraxGroupedCpuSeconds: yaraxGroupedRuns.length ? leastCpu(yaraxGroupedRuns) : 0, yaraxGroupedMatches: yaraxGroupedRuns.length ? best(yaraxGroupedRuns).matches : 0,
    cliCompileSeconds, cliSeconds: single.seconds, cliMBs: bytes / 1e6 / single.seconds, cliFilesPerSecond: files.length / single.seconds, cliMatches: single.matches, cliThreadsDefaultSeconds: threaded.seconds,
    largeFile: large || null, largeMB: largeBytes / 1e6,
    yaraxLargeMBs: large ? largeBytes / 1e6 / best(yaraxLarge).seconds : 0, cliLargeMBs: large ? largeBytes / 1e6 / best(cliLarge).seconds : 0,
    yaraxEmptyScanMs: emptyScanMs(compiled.rules),
    threads,
    yaraxThreadedSeconds: threads > 0 ? best(yaraxThreadedRuns).seconds : 0,
    yaraxThreadedMatches: threads > 0 ? best(yaraxThreadedRuns).matches : 0,
    cliThreadedSeconds: threads > 0 ? best(cliThreadedRuns).seconds : 0,
    yaraxThreadedCpuSeconds: threads > 0 ? leastCpu(yaraxThreadedRuns) : 0,
    cliThreadedCpuSeconds: threads > 0 ? leastCpu(cliThreadedRuns) : 0,
    cliThreadedMatches: threads > 0 ? best(cliThreadedRuns).matches : 0,
  };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const ioc = iocBenchmark();
  const iocRows = [
    ['Vigil matcher (hash sets, prefix tries, label trie)', formatInt(ioc.events), formatInt(ioc.eventsPerSecond), '1.0x'],
    ['naive (Set per type, linear CIDR and domain scans)', formatInt(ioc.naiveEvents), formatInt(ioc.naiveEventsPerSecond), `${round(ioc.naiveEventsPerSecond / ioc.eventsPerSecond, 4)}x`],
  ];
  const iocHeader = ['matcher', 'events', 'events/s', 'vs Vigil'];
  console.log(`\nIOC stream matching, ${formatInt(ioc.indicators)} indicators (build ${ioc.buildSeconds.toFixed(1)} s, ~${ioc.heapMiB.toFixed(0)} MiB heap), ${formatInt(ioc.eventsWithHits)} of ${formatInt(ioc.events)} events hit (${formatInt(ioc.hits)} hits); results agree on the naive sample: ${ioc.agreement}\n`);
  console.log(textTable(iocHeader, iocRows));
  let yara: YaraFigures | undefined;
  if (!options['skip-yara']) {
    yara = await yaraBenchmark();
    const rows = [
      [`YARA-X 1.x via @litko/yara-x 0.3.0 (the agent's sweep: read + per-file externals + scan${options['yara-full-set'] ? ', whole set' : ', scan set per file type, files grouped by set'})`, yara.yaraxCompileSeconds.toFixed(1), yara.yaraxSeconds.toFixed(1), round(yara.yaraxMBs, 1).toString(), round(yara.yaraxFilesPerSecond, 1).toString(), String(yara.yaraxMatches)],
      ['YARA-X, whole set in one scanner (same run)', '-', yara.yaraxFullSeconds.toFixed(1), round(yara.megabytes / yara.yaraxFullSeconds, 1).toString(), round(yara.files / yara.yaraxFullSeconds, 1).toString(), String(yara.yaraxFullMatches)],
      ...(yara.yaraxGroupedSeconds ? [['YARA-X, scan sets, list order (sweep batches of one file)', '-', yara.yaraxGroupedSeconds.toFixed(1), round(yara.megabytes / yara.yaraxGroupedSeconds, 1).toString(), round(yara.files / yara.yaraxGroupedSeconds, 1).toString(), String(yara.yaraxGroupedMatches)]] : []),
      ['yara 4.2.3 CLI, -p 1 (yarac-compiled rules, --scan-list)', yara.cliCompileSeconds.toFixed(1), yara.cliSeconds.toFixed(1), round(yara.cliMBs, 1).toString(), round(yara.cliFilesPerSecond, 1).toString(), String(yara.cliMatches)],
    ];
    if (yara.threads > 0) {
      rows.push(
        [`YARA-X, ${yara.threads} worker threads (own rules each, shared file counter)`, '-', yara.yaraxThreadedSeconds.toFixed(1), round(yara.megabytes / yara.yaraxThreadedSeconds, 1).toString(), round(yara.files / yara.yaraxThreadedSeconds, 1).toString(), String(yara.yaraxThreadedMatches)],
        [`yara 4.2.3 CLI, -p ${yara.threads}`, '-', yara.cliThreadedSeconds.toFixed(1), round(yara.megabytes / yara.cliThreadedSeconds, 1).toString(), round(yara.files / yara.cliThreadedSeconds, 1).toString(), String(yara.cliThreadedMatches)],
      );
    }
    const header = ['engine', 'compile s', 'scan s', 'MB/s', 'files/s', 'matches'];
    console.log(`\nYARA, signature-base (${yara.ruleFiles} files, ${formatInt(yara.rules)} rules) over ${formatInt(yara.files)} files, ${yara.megabytes.toFixed(0)} MB (${options['yara-paths']}); yara CLI with its default threads: ${yara.cliThreadsDefaultSeconds.toFixed(1)} s\n`);
    console.log(textTable(header, rows));
    console.log(`\nYARA-X / yara CLI (one thread each): ${round(yara.yaraxMBs / yara.cliMBs, 2)}x; scan sets / whole set: ${round(yara.yaraxFullSeconds / yara.yaraxSeconds, 2)}x (files per set: ${JSON.stringify(yara.yaraxSets)}); YARA-X fixed cost per scan, whole set: ${yara.yaraxEmptyScanMs.toFixed(2)} ms`);
    if (yara.yaraxGroupedSeconds) console.log(`list order (batches of one): sweep order / list order ${round(yara.yaraxGroupedSeconds / yara.yaraxSeconds, 2)}x; list order: YARA-X / yara CLI ${round(yara.cliSeconds / yara.yaraxGroupedSeconds, 2)}x, CPU ${yara.yaraxGroupedCpuSeconds.toFixed(2)} s (CLI / YARA-X ${round(yara.cliCpuSeconds / yara.yaraxGroupedCpuSeconds, 2)}x)`);
    if (yara.threads > 0) console.log(`YARA-X / yara CLI (${yara.threads} threads each): ${round(yara.cliThreadedSeconds / yara.yaraxThreadedSeconds, 2)}x`);
    console.log(`CPU seconds (user + system, least of the rounds): YARA-X ${yara.yaraxCpuSeconds.toFixed(2)}, yara CLI ${yara.cliCpuSeconds.toFixed(2)} (CLI / YARA-X ${round(yara.cliCpuSeconds / yara.yaraxCpuSeconds, 2)}x)` + (yara.threads > 0 ? `; ${yara.threads} threads: YARA-X ${yara.yaraxThreadedCpuSeconds.toFixed(2)}, CLI ${yara.cliThreadedCpuSeconds.toFixed(2)} (${round(yara.cliThreadedCpuSeconds / yara.yaraxThreadedCpuSeconds, 2)}x)` : ''));
    if (yara.largeFile) console.log(`one large file (${yara.largeFile}, ${yara.largeMB.toFixed(0)} MB): YARA-X ${round(yara.yaraxLargeMBs, 1)} MB/s, yara CLI ${round(yara.cliLargeMBs, 1)} MB/s (${round(yara.yaraxLargeMBs / yara.cliLargeMBs, 2)}x)`);
  }
  const result = {
    benchmark: 'intel',
    date: new Date().toISOString(),
    machine,
    ioc_events_per_s: Math.round(ioc.eventsPerSecond),
    indicators: ioc.indicators,
    ioc_naive_events_per_s: Math.round(ioc.naiveEventsPerSecond),
    ioc_vs_naive: round(ioc.eventsPerSecond / ioc.naiveEventsPerSecond, 1),
    ioc_build_s: round(ioc.buildSeconds, 2),
    ioc_heap_mib: Math.round(ioc.heapMiB),
    ioc_events: ioc.events,
    ioc_events_with_hits: ioc.eventsWithHits,
    ioc_agreement: ioc.agreement,
    ...(yara
      ? {
          yara_mb_per_s: round(yara.yaraxMBs, 1),
          yara_cli_mb_per_s: round(yara.cliMBs, 1),
          yara_files_per_s: round(yara.yaraxFilesPerSecond, 1),
          yara_cli_files_per_s: round(yara.cliFilesPerSecond, 1),
          yara_vs_cli: round(yara.yaraxMBs / yara.cliMBs, 2),
          yara_files: yara.files,
          yara_mb: round(yara.megabytes, 1),
          yara_rules: yara.rules,
          yara_compile_s: round(yara.yaraxCompileSeconds, 2),
          yara_cli_compile_s: round(yara.cliCompileSeconds, 2),
          yara_cli_default_threads_s: round(yara.cliThreadsDefaultSeconds, 2),
          yara_matches: yara.yaraxMatches,
          yara_scan_sets: !options['yara-full-set'],
          yara_files_per_set: yara.yaraxSets,
          yara_full_set_mb_per_s: round(yara.megabytes / yara.yaraxFullSeconds, 1),
          ...(yara.yaraxGroupedSeconds ? { yara_list_order_mb_per_s: round(yara.megabytes / yara.yaraxGroupedSeconds, 1), yara_list_order_cpu_s: round(yara.yaraxGroupedCpuSeconds, 2), yara_list_order_vs_cli: round(yara.cliSeconds / yara.yaraxGroupedSeconds, 2), yara_sweep_vs_list_order: round(yara.yaraxGroupedSeconds / yara.yaraxSeconds, 2) } : {}),
          yara_sets_vs_full_set: round(yara.yaraxFullSeconds / yara.yaraxSeconds, 2),
          yara_cli_matches: yara.cliMatches,
          yara_empty_scan_ms: round(yara.yaraxEmptyScanMs, 3),
          yara_cpu_s: round(yara.yaraxCpuSeconds, 2),
          yara_cli_cpu_s: round(yara.cliCpuSeconds, 2),
          yara_vs_cli_cpu: round(yara.cliCpuSeconds / yara.yaraxCpuSeconds, 2),
          ...(yara.threads > 0
            ? {
                yara_threads: yara.threads,
                yara_threaded_mb_per_s: round(yara.megabytes / yara.yaraxThreadedSeconds, 1),
                yara_cli_threaded_mb_per_s: round(yara.megabytes / yara.cliThreadedSeconds, 1),
                yara_threaded_files_per_s: round(yara.files / yara.yaraxThreadedSeconds, 1),
                yara_cli_threaded_files_per_s: round(yara.files / yara.cliThreadedSeconds, 1),
                yara_threaded_vs_cli: round(yara.cliThreadedSeconds / yara.yaraxThreadedSeconds, 2),
                yara_threaded_matches: yara.yaraxThreadedMatches,
                yara_cli_threaded_matches: yara.cliThreadedMatches,
                yara_threaded_cpu_s: round(yara.yaraxThreadedCpuSeconds, 2),
                yara_cli_threaded_cpu_s: round(yara.cliThreadedCpuSeconds, 2),
              }
            : {}),
          ...(yara.largeFile ? { yara_large_file: yara.largeFile, yara_large_mb: round(yara.largeMB, 1), yara_large_mb_per_s: round(yara.yaraxLargeMBs, 1), yara_cli_large_mb_per_s: round(yara.cliLargeMBs, 1) } : {}),
        }
      : {}),
  };
  writeFileSync(join(resultsDir, 'intel.json'), JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${join(resultsDir, 'intel.json')}`);
  if (options['update-docs']) {
    const lines = [
      '## intel',
      '',
      `Run \`npm run bench -- intel --update-docs\` on ${machine.cpu_model} (${machine.cores} cores, ${machine.memory_gib} GiB), Node ${machine.node}, ${new Date().toISOString().slice(0, 10)}, while other work ran on the machine (load average ${loadavg()[0]!.toFixed(1)} at the end). Figures: \`bench/results/intel.json\`.`,
      '',
      `**IOC stream matching** with ${formatInt(ioc.indicators)} generated indicators loaded (35% SHA-256, 20% IPs, 15% domains, 12% MD5, 8% SHA-1, 3% CIDR, 3% URLs, the rest names, paths and ports), over generated process, network and DNS events of which ${(options['hit-share'] * 100).toFixed(0)}% are built to carry a listed value (${formatInt(ioc.eventsWithHits)} of ${formatInt(ioc.events)} events hit in all, because random addresses also fall into the generated CIDR ranges), one thread. Baseline in the same run: a naive matcher (one Set per type for exact values, linear scans over every CIDR and every domain for ranges and subdomains), on the first ${formatInt(ioc.naiveEvents)} events; both found the same hits: ${ioc.agreement}. Building the matcher took ${ioc.buildSeconds.toFixed(1)} s and ~${ioc.heapMiB.toFixed(0)} MiB of heap.`,
      '',
      markdownTable(iocHeader, iocRows),
    ];
    if (yara) {
      lines.push(
        '',
        `**YARA** with signature-base (${yara.ruleFiles} files, ${formatInt(yara.rules)} rules, externals defined) over the ${formatInt(yara.files)} regular files of ${options['yara-paths']} (${yara.megabytes.toFixed(0)} MB, page cache warm), one thread each: YARA-X as the agent sweeps (sweepFiles: batches of 1,024 files in list order, each ordered by scan set; per file read, set filename/filepath/extension/filetype/owner, scan) against \`yara -C -p 1 --scan-list\` with \`yarac\`-compiled rules (constant externals). With its default threads the CLI took ${yara.cliThreadsDefaultSeconds.toFixed(1)} s.`,
        '',
        markdownTable(['engine', 'compile s', 'scan s', 'MB/s', 'files/s', 'matches'], [
          [`YARA-X (@litko/yara-x 0.3.0), the agent's sweep${options['yara-full-set'] ? ', whole set' : ', scan set per file type, files grouped by set'}`, yara.yaraxCompileSeconds.toFixed(1), yara.yaraxSeconds.toFixed(1), round(yara.yaraxMBs, 1).toString(), round(yara.yaraxFilesPerSecond, 1).toString(), String(yara.yaraxMatches)],
          ['YARA-X, whole set in one scanner (same run)', '', yara.yaraxFullSeconds.toFixed(1), round(yara.megabytes / yara.yaraxFullSeconds, 1).toString(), round(yara.files / yara.yaraxFullSeconds, 1).toString(), String(yara.yaraxFullMatches)],
          ...(yara.yaraxGroupedSeconds ? [['YARA-X, scan sets, list order (sweep batches of one file)', '', yara.yaraxGroupedSeconds.toFixed(1), round(yara.megabytes / yara.yaraxGroupedSeconds, 1).toString(), round(yara.files / yara.yaraxGroupedSeconds, 1).toString(), String(yara.yaraxGroupedMatches)]] : []),
          ['yara 4.2.3 CLI, `-p 1`', yara.cliCompileSeconds.toFixed(1), yara.cliSeconds.toFixed(1), round(yara.cliMBs, 1).toString(), round(yara.cliFilesPerSecond, 1).toString(), String(yara.cliMatches)],
          ...(yara.threads > 0
            ? [
                [`YARA-X, ${yara.threads} worker threads`, '', yara.yaraxThreadedSeconds.toFixed(1), round(yara.megabytes / yara.yaraxThreadedSeconds, 1).toString(), round(yara.files / yara.yaraxThreadedSeconds, 1).toString(), String(yara.yaraxThreadedMatches)],
                [`yara 4.2.3 CLI, \`-p ${yara.threads}\``, '', yara.cliThreadedSeconds.toFixed(1), round(yara.megabytes / yara.cliThreadedSeconds, 1).toString(), round(yara.files / yara.cliThreadedSeconds, 1).toString(), String(yara.cliThreadedMatches)],
              ]
            : []),
        ]),
        '',
        `Headline (\`yara_mb_per_s\` / \`yara_cli_mb_per_s\`, one thread each): YARA-X / CLI on this file mix **${round(yara.yaraxMBs / yara.cliMBs, 2)}x** (target: parity).` +
          (yara.threads > 0 ? ` Threads-equal with ${yara.threads} threads each (\`yara_threaded_*\`: ${yara.threads} worker threads, each with its own compiled rules, taking files from one shared counter, against \`yara -p ${yara.threads}\`): **${round(yara.cliThreadedSeconds / yara.yaraxThreadedSeconds, 2)}x** (on 2 cores shared with other work).` : '') +
          ` **Scan sets** (packages/yara/src/partition.ts, docs/yara.md): the rules are split by the file head their top-level conditions require (\`uint16(0) == 0x5a4d\`, \`pe.\` tests: MZ; ELF) and by file size at 1 MiB (top-level \`filesize < N\`), and each file is scanned once with the set of its head and size (${Object.entries(yara.yaraxSets).map(([k, v]) => `${k}: ${formatInt(v)} files`).join(', ')}); results equal the whole set's (${yara.yaraxFullMatches} matches both, and the corpus test compares them match for match). Same run, one thread: scan sets in sweep order / whole set in one scanner = **${round(yara.yaraxFullSeconds / yara.yaraxSeconds, 2)}x**` + (yara.yaraxGroupedSeconds ? `; sweep order / list order (batches of one file, same scan sets) = **${round(yara.yaraxGroupedSeconds / yara.yaraxSeconds, 2)}x** wall, ${round(yara.yaraxGroupedCpuSeconds / yara.yaraxCpuSeconds, 2)}x CPU.` : '.') + ` The whole set pays a fixed ${yara.yaraxEmptyScanMs.toFixed(2)} ms per scan (an empty buffer) inside the engine; beyond that, YARA-X's time is its pattern search per byte (docs/yara.md, Performance).` +
          (yara.largeFile ? ` On one large file (${yara.largeFile}, ${yara.largeMB.toFixed(0)} MB) YARA-X scans ${round(yara.yaraxLargeMBs, 1)} MB/s against the CLI's ${round(yara.cliLargeMBs, 1)} MB/s (**${round(yara.yaraxLargeMBs / yara.cliLargeMBs, 2)}x**).` : '') +
          ` **CPU time** (user + system of every thread, the least of the rounds; less disturbed by other work than wall time): YARA-X ${yara.yaraxCpuSeconds.toFixed(2)} s, the CLI ${yara.cliCpuSeconds.toFixed(2)} s (CLI / YARA-X **${round(yara.cliCpuSeconds / yara.yaraxCpuSeconds, 2)}x**)` +
          (yara.threads > 0 ? `; ${yara.threads} threads each: ${yara.yaraxThreadedCpuSeconds.toFixed(2)} s against ${yara.cliThreadedCpuSeconds.toFixed(2)} s (${round(yara.cliThreadedCpuSeconds / yara.yaraxThreadedCpuSeconds, 2)}x).` : '.') +
          ` What each side's time holds: YARA-X's starts with the compiled rules in memory and covers opening, reading, per-file externals, scanning and converting matches; the CLI's is the whole \`yara\` process (start, loading the \`yarac\` file: ~0.05–0.1 s, reading the list, memory-mapping and scanning each file, printing matches). Each figure is the fastest of ${options.rounds} alternating runs (the machine is shared).`,
      );
    }
    log(`updated ${updateBenchmarkDocs(repoRoot, 'intel', lines.join('\n'))}`);
  }
}

if (!isMainThread && (workerData as Partial<YaraWorkerData> | null)?.intelYaraWorker) yaraWorker(workerData as YaraWorkerData);
else main()
  .catch((error: unknown) => {
    log(`intel benchmark failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup.runAll());
