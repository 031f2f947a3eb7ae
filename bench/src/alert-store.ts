// Alert store benchmark: the time to store one batch's detections in the detection database, as the detection worker
// does (one transaction per batch, repeats folded into open alerts), with Vigil's DetectionDb against, in the same run,
// the read-then-write store it replaced (per group: SELECT the newest open alert in the window, then UPDATE every
// column or INSERT; list indexes on (x, last_seen), group index on (group_key, last_stored_ms)). Both get the same
// seeded stream: batches of detections from a few hosts, rules and processes, most of them repeats, event time moving
// a quarter second per batch. WAL checkpoints run between timed batches (the server runs them on a thread of their
// own). Both must end with the same alerts (count per group), or the run aborts.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { seededRandom } from '@vigil/common';
import type { Detection } from '@vigil/detect';
import { DetectionDb, GROUPING_WINDOW_MS, groupKeyOf } from '@vigil/server/detection/detection-db';
import { SqliteFile } from '@vigil/server/sqlite-file';
import { createCleanupRegistry } from './internal/cleanup.js';
import { parseOptions } from './internal/options.js';
import { machineInfo, percentile, round, textTable } from './internal/report.js';

const options = parseOptions(
  {
    batches: { description: 'timed batches per store', default: 3000 },
    warmup: { description: 'batches stored before timing starts', default: 500 },
    detections: { description: 'detections per batch', default: 20 },
    hosts: { description: 'hosts', default: 8 },
    rules: { description: 'rules (picked with a skew: a few fire often)', default: 300 },
    processes: { description: 'acting processes per host the detections spread over', default: 6 },
    seed: { description: 'seed of the detection stream', default: 1 },
  },
  process.argv.slice(2),
);

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(resolve(here, '../..'), 'bench', 'results');
const log = (line: string) => process.stderr.write(line + '\n');
const cleanup = createCleanupRegistry(log);
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const BATCH_MS = 250;

/** The stream: batch i is stored at T0 + i × 250 ms with event times up to 5 s before that. */
function generateBatches(count: number): Detection[][] {
  const random = seededRandom(options.seed);
  const rules = Array.from({ length: options.rules }, (_, i) => ({ id: `rule-${i}`, title: `Suspicious behaviour number ${i}`, level: 'high' as const, tags: ['attack.execution', 'attack.t1059'] }));
  const batches: Detection[][] = [];
  let eventNumber = 0;
  for (let b = 0; b < count; b++) {
    const batch: Detection[] = [];
    for (let d = 0; d < options.detections; d++) {
      const host = Math.floor(random() * options.hosts);
      const id = `${randomId(random)}-${++eventNumber}`;
      batch.push({
        rule: rules[Math.floor(random() ** 2 * rules.length)]!,
        kind: 'sigma',
        hostId: `host-${host}-6f1c2a9e-8d4b-4e7a-9c3f-2b5d7e1a0c44`,
        eventIds: [id],
        time: new Date(T0 + b * BATCH_MS - Math.floor(random() * 5000)).toISOString(),
        processKey: `${host}:${1000 + Math.floor(random() * options.processes)}:${T0}`,
        fields: [{ field: 'process.command_line', value: `powershell.exe -nop -w hidden -enc ${randomId(random)}${randomId(random)}` }],
      } as Detection);
    }
    batches.push(batch);
  }
  return batches;
}

function randomId(random: () => number): string {
  return Math.floor(random() * 2 ** 52).toString(36).padStart(11, '0');
}

interface AlertStore {
  name: string;
  store(batch: readonly Detection[], nowMs: number): void;
  checkpoint(): void;
  /** Per group key, the summed count of its alerts. */
  counts(): Map<string, number>;
  close(): void;
}

function vigilStore(dir: string): AlertStore {
  const db = new DetectionDb(join(dir, 'detection.sqlite'));
  db.sqlite.db.pragma('wal_autocheckpoint = 0');
  return {
    name: 'vigil (DetectionDb)',
    store: (batch, nowMs) => void db.inOneTransaction(() => [db.storeEvaluated(batch, new Map([[batch[0]!.hostId, 1]]), nowMs)]),
    checkpoint: () => void db.sqlite.db.pragma('wal_checkpoint(PASSIVE)'),
    counts: () => countsOf(db.sqlite.db),
    close: () => db.close(),
  };
}

/** The read-then-write store this benchmark compares with (the detection database before 2026-12-05 evening). */
function readThenWriteStore(dir: string): AlertStore {
  const db = new SqliteFile(join(dir, 'baseline.sqlite'), 'baseline alert database', { synchronous: 'NORMAL', schema: `CREATE TABLE alerts (
    id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_title TEXT NOT NULL, level TEXT NOT NULL, kind TEXT NOT NULL, tags TEXT NOT NULL,
    host_id TEXT NOT NULL, process_key TEXT, group_key TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    count INTEGER NOT NULL, event_ids TEXT NOT NULL, fields TEXT NOT NULL, group_values TEXT, status TEXT NOT NULL,
    assignee TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_stored_ms INTEGER NOT NULL);
    CREATE INDEX alerts_group ON alerts (group_key, last_stored_ms);
    CREATE INDEX alerts_host_time ON alerts (host_id, last_seen);
    CREATE INDEX alerts_rule ON alerts (rule_id, last_seen);
    CREATE INDEX alerts_status_time ON alerts (status, last_seen);
    CREATE TABLE detection_checkpoints (host_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL);` }).db;
  db.pragma('wal_autocheckpoint = 0');
  const find = db.prepare(`SELECT id, event_ids, first_seen, last_seen FROM alerts WHERE group_key = ? AND last_stored_ms >= ? AND status IN ('new', 'acknowledged', 'in_progress') ORDER BY last_stored_ms DESC LIMIT 1`);
  const update = db.prepare('UPDATE alerts SET count = count + ?, first_seen = ?, last_seen = ?, event_ids = ?, updated_at = ?, last_stored_ms = ? WHERE id = ?');
  const insert = db.prepare(`INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'new', NULL, ?, ?, ?)`);
  const checkpoint = db.prepare('INSERT INTO detection_checkpoints (host_id, sequence) VALUES (?, ?) ON CONFLICT (host_id) DO UPDATE SET sequence = max(sequence, excluded.sequence)');
  const store = db.transaction((batch: readonly Detection[], nowMs: number) => {
    const now = new Date(nowMs).toISOString();
    const groups = new Map<string, Detection[]>();
    for (const detection of batch) {
      const key = groupKeyOf(detection);
      (groups.get(key) ?? groups.set(key, []).get(key)!).push(detection);
    }
    for (const [key, group] of groups) {
      const existing = find.get(key, nowMs - GROUPING_WINDOW_MS) as { id: string; event_ids: string; first_seen: string; last_seen: string } | undefined;
      const ids: string[] = existing ? (JSON.parse(existing.event_ids) as string[]) : [];
      let first = existing?.first_seen ?? group[0]!.time;
      let last = existing?.last_seen ?? group[0]!.time;
      for (const detection of group) {
        for (const id of detection.eventIds) if (ids.length < 50 && !ids.includes(id)) ids.push(id);
        if (detection.time < first) first = detection.time;
        if (detection.time > last) last = detection.time;
      }
      if (existing) {
        update.run(group.length, first, last, JSON.stringify(ids), now, nowMs, existing.id);
        continue;
      }
      const d = group[0]!;
      insert.run(randomUUID(), d.rule.id, d.rule.title, d.rule.level, d.kind, JSON.stringify(d.rule.tags), d.hostId, d.processKey ?? null, key, first, last, group.length, JSON.stringify(ids), JSON.stringify(d.fields), now, now, nowMs);
    }
    checkpoint.run(batch[0]!.hostId, 1);
  });
  return {
    name: 'read-then-write (baseline)',
    store: (batch, nowMs) => void store.immediate(batch, nowMs),
    checkpoint: () => void db.pragma('wal_checkpoint(PASSIVE)'),
    counts: () => countsOf(db),
    close: () => db.close(),
  };
}

function countsOf(db: SqliteFile['db']): Map<string, number> {
  const rows = db.prepare('SELECT group_key AS key, sum(count) AS n FROM alerts GROUP BY group_key').all() as { key: string; n: number }[];
  return new Map(rows.map((row) => [row.key, row.n]));
}

interface Timing {
  p50: number;
  p99: number;
  mean: number;
  alerts: number;
}

function run(store: AlertStore, batches: readonly Detection[][]): Timing {
  const times: number[] = [];
  for (let b = 0; b < batches.length; b++) {
    const started = performance.now();
    store.store(batches[b]!, T0 + b * BATCH_MS);
    if (b >= options.warmup) times.push(performance.now() - started);
    if (b % 50 === 49) store.checkpoint();
  }
  times.sort((x, y) => x - y);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, t) => a + t, 0) / times.length, alerts: store.counts().size };
}

async function main(): Promise<void> {
  const batches = generateBatches(options.warmup + options.batches);
  log(`alert-store benchmark: ${options.warmup} + ${options.batches} batches of ${options.detections} detections (${options.hosts} hosts, ${options.rules} rules, ${options.processes} processes per host)`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-alert-store-'));
  cleanup.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
  // Alternating order over two rounds: the faster round of each counts (the machine may be shared).
  const results = new Map<string, Timing>();
  const counts = new Map<string, Map<string, number>>();
  for (const round of [0, 1]) {
    const makers = round === 0 ? [vigilStore, readThenWriteStore] : [readThenWriteStore, vigilStore];
    for (const make of makers) {
      const sub = join(dir, `${round}-${make.name}`);
      mkdirSync(sub);
      const store = make(sub);
      const timing = run(store, batches);
      counts.set(store.name, store.counts());
      store.close();
      const best = results.get(store.name);
      if (!best || timing.p50 < best.p50) results.set(store.name, timing);
      log(`${store.name}, round ${round + 1}: p50 ${round2(timing.p50)} ms, p99 ${round2(timing.p99)} ms per batch`);
    }
  }
  const [vigilCounts, baselineCounts] = [...counts.values()];
  const same = vigilCounts!.size === baselineCounts!.size && [...vigilCounts!].every(([key, n]) => baselineCounts!.get(key) === n);
  if (!same) throw new Error('the two stores ended with different alerts: the comparison is void');
  const vigil = results.get('vigil (DetectionDb)')!;
  const baseline = results.get('read-then-write (baseline)')!;
  const detectionsTotal = options.batches * options.detections;
  process.stdout.write(
    textTable(
      ['per batch', 'vigil', 'read-then-write'],
      [
        ['p50 ms', round2(vigil.p50), round2(baseline.p50)],
        ['p99 ms', round2(vigil.p99), round2(baseline.p99)],
        ['mean ms', round2(vigil.mean), round2(baseline.mean)],
        ['alerts at the end', String(vigil.alerts), String(baseline.alerts)],
      ],
    ) + `\nbaseline / vigil p50: ${round(baseline.p50 / vigil.p50, 2)}x   (${detectionsTotal.toLocaleString('en-US')} detections timed per store; load average ${loadavg()[0]!.toFixed(2)})\n`,
  );
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'alert-store.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'alert-store',
        date: new Date().toISOString(),
        vigil_batch_p50_ms: round(vigil.p50, 3),
        vigil_batch_p99_ms: round(vigil.p99, 3),
        baseline_batch_p50_ms: round(baseline.p50, 3),
        baseline_batch_p99_ms: round(baseline.p99, 3),
        ratio_p50: round(baseline.p50 / vigil.p50, 2),
        batches: options.batches,
        detections_per_batch: options.detections,
        alerts: vigil.alerts,
        machine: machineInfo(),
        load_average: loadavg()[0],
      },
      null,
      2,
    ) + '\n',
  );
  log(`results ${file}`);
}

const round2 = (value: number) => value.toFixed(2);

main()
  .catch((error: unknown) => {
    log(`alert-store benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup.runAll());
