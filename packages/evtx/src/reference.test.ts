// Reference comparison: every EVTX file of the corpus against evtxexport (libevtx-utils) and against evtx_dump.py
// (python3-evtx); same records, same values after the normalisations in reference-compare.ts.
// The references run as child processes every time; nothing is cached. A missing corpus or tool fails the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { corpusPath } from '@vigil/common';
import { readEvtxFile, type EvtxFileSummary, type EvtxRecord, type XmlElement } from './index.js';
import { compareEvents, eventRecordId, type ReferenceDialect } from './internal/reference-compare.js';
import { readXmlElements } from './internal/xml-text.js';

function evtxFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.toLowerCase().endsWith('.evtx')) out.push(path);
    }
  };
  walk(root);
  return out;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 1 << 30, encoding: 'utf8' }, (error, stdout) => {
      // Both tools exit non-zero on files they cannot finish; what they printed before that still counts.
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error(`${command} is not installed (apt-get install ${command === 'evtxexport' ? 'libevtx-utils' : 'python3-evtx'})`));
      else resolve(stdout);
    });
  });
}

async function referenceEvents(dialect: ReferenceDialect, path: string): Promise<XmlElement[]> {
  const text = dialect === 'evtxexport' ? await run('evtxexport', ['-f', 'xml', path]) : await run('evtx_dump.py', [path]);
  const events: XmlElement[] = [];
  readXmlElements(text, (e) => e.name === 'Event' && events.push(e), ['Events']);
  return events;
}

async function ours(path: string): Promise<{ records: EvtxRecord[]; summary: EvtxFileSummary }> {
  const records: EvtxRecord[] = [];
  const it = readEvtxFile(path);
  for (;;) {
    const next = await it.next();
    if (next.done) return { records, summary: next.value };
    records.push(next.value);
  }
}

interface Tally {
  files: number;
  referenceRecords: number;
  ourRecords: number;
  identical: number;
  /** Reference records we report as damaged (in a problem naming the record) instead of rendering. */
  reportedDamaged: number;
  /** Reference records without an EventRecordID (python-evtx renders torn records that way); not comparable. */
  unidentified: number;
  failures: string[];
}

async function compareFile(dialect: ReferenceDialect, root: string, path: string, tally: Tally): Promise<void> {
  const [references, mine] = await Promise.all([referenceEvents(dialect, path), ours(path)]);
  const name = relative(root, path);
  tally.files++;
  tally.referenceRecords += references.length;
  tally.ourRecords += mine.records.length;
  if (mine.records.length < references.length) tally.failures.push(`${name}: ${mine.records.length} records, ${dialect} ${references.length}`);
  const byId = new Map<string, EvtxRecord[]>();
  for (const record of mine.records) {
    const id = eventRecordId(record.event) || String(record.recordId);
    const list = byId.get(id);
    if (list) list.push(record);
    else byId.set(id, [record]);
  }
  for (const reference of references) {
    const id = eventRecordId(reference);
    if (!id) {
      tally.unidentified++;
      continue;
    }
    const candidates = byId.get(id);
    if (!candidates) {
      if (mine.summary.problems.some((p) => p.message.startsWith(`record ${id} `))) tally.reportedDamaged++;
      else tally.failures.push(`${name}: record ${id} rendered by ${dialect} is missing and not reported`);
      continue;
    }
    let best: ReturnType<typeof compareEvents> | undefined;
    for (const candidate of candidates) {
      const differences = compareEvents(candidate.event, reference, dialect);
      if (!best || differences.length < best.length) best = differences;
      if (differences.length === 0) break;
    }
    if (best && best.length > 0) {
      for (const d of best.slice(0, 3)) tally.failures.push(`${name}: record ${id} ${d.path}: ours ${JSON.stringify(d.ours.slice(0, 200))}, ${dialect} ${JSON.stringify(d.reference.slice(0, 200))}`);
    } else {
      tally.identical++;
    }
  }
}

/** Runs `work` over `items` with `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function newTally(): Tally {
  return { files: 0, referenceRecords: 0, ourRecords: 0, identical: 0, reportedDamaged: 0, unidentified: 0, failures: [] };
}

test('every corpus file: the records evtxexport renders, with the same values', async (t) => {
  const root = corpusPath('evtx');
  const files = evtxFiles(root);
  assert.ok(files.length >= 300, `expected the ~330 corpus EVTX files under ${root}, found ${files.length}`);
  const tally = newTally();
  await pool(files, 2, (path) => compareFile('evtxexport', root, path, tally));
  t.diagnostic(JSON.stringify({ ...tally, failures: tally.failures.length }));
  assert.deepEqual(tally.failures.slice(0, 30), [], `${tally.failures.length} differences from evtxexport`);
  assert.equal(tally.unidentified, 0);
  assert.equal(tally.reportedDamaged, 0, 'evtxexport renders a record we only report as damaged');
  assert.ok(tally.identical >= 25000, `only ${tally.identical} records compared equal`);
  assert.ok(tally.ourRecords > tally.referenceRecords, 'the damaged files should give more records than evtxexport reads');
});

test('every corpus file: the records python-evtx renders, with the same values', async (t) => {
  const root = corpusPath('evtx');
  const files = evtxFiles(root);
  assert.ok(files.length >= 300, `expected the ~330 corpus EVTX files under ${root}, found ${files.length}`);
  const tally = newTally();
  await pool(files, 2, (path) => compareFile('python-evtx', root, path, tally));
  t.diagnostic(JSON.stringify({ ...tally, failures: tally.failures.length }));
  assert.deepEqual(tally.failures.slice(0, 30), [], `${tally.failures.length} differences from python-evtx`);
  assert.ok(tally.identical >= 21000, `only ${tally.identical} records compared equal`);
  assert.ok(tally.unidentified <= 1, `${tally.unidentified} records python-evtx prints without an EventRecordID (one torn record is known)`);
  assert.ok(tally.ourRecords > tally.referenceRecords, 'the damaged files should give more records than python-evtx reads');
});
