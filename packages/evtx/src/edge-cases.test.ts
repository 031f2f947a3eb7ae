// The parser-edge-cases corpus (samples of the Rust evtx crate) against corpus/evtx/parser-edge-cases/expected-counts.tsv:
// at least as many records as the Rust crate and libevtx read from each file, and its damage reported as problems.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import { readEvtxFile, type EvtxFileSummary, type EvtxRecord } from './index.js';

interface Row {
  file: string;
  rustOk: number;
  rustErr: number | undefined;
  /** The Rust count is iterations (records + errors), not records. */
  iterations: boolean;
  what: string;
  libevtx: number;
}

function readRows(): Row[] {
  const text = readFileSync(corpusPath('evtx', 'parser-edge-cases', 'expected-counts.tsv'), 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  assert.equal(header, 'file\trust_evtx_ok_records\trust_evtx_err_records\twhat_it_exercises\tlibevtx_20181227_evtxexport_records', 'expected-counts.tsv changed its columns');
  return lines.map((line, i) => {
    const [file, ok, err, what, libevtx] = line.split('\t');
    const rustOk = Number.parseInt(ok ?? '', 10);
    const libevtxCount = Number.parseInt(libevtx ?? '', 10);
    assert.ok(file && Number.isInteger(rustOk) && Number.isInteger(libevtxCount), `expected-counts.tsv line ${i + 2} is malformed: ${JSON.stringify(line)}`);
    const errCount = Number.parseInt(err ?? '', 10);
    return { file, rustOk, rustErr: Number.isInteger(errCount) ? errCount : undefined, iterations: (ok ?? '').includes('ok+err'), what: what ?? '', libevtx: libevtxCount };
  });
}

async function readAll(path: string): Promise<{ records: EvtxRecord[]; summary: EvtxFileSummary }> {
  const records: EvtxRecord[] = [];
  const it = readEvtxFile(path);
  for (;;) {
    const next = await it.next();
    if (next.done) return { records, summary: next.value };
    records.push(next.value);
  }
}

const rows = readRows();

test('expected-counts.tsv lists the 13 edge-case files', () => {
  assert.equal(rows.length, 13);
});

for (const row of rows) {
  test(`${row.file}: ${row.what}`, async () => {
    const { records, summary } = await readAll(corpusPath('evtx', 'parser-edge-cases', row.file));
    const recordProblems = summary.problems.filter((p) => /^record \d+ /.test(p.message)).length;
    if (row.iterations) {
      assert.ok(records.length + recordProblems >= row.rustOk, `${records.length} records + ${recordProblems} record problems, Rust evtx iterates ${row.rustOk}`);
    } else {
      assert.ok(records.length >= row.rustOk, `${records.length} records, Rust evtx reads ${row.rustOk}`);
    }
    assert.ok(records.length >= row.libevtx, `${records.length} records, libevtx reads ${row.libevtx}`);
    if ((row.rustErr ?? 0) > 0 || row.iterations) assert.ok(summary.problems.length > 0, 'the damage the Rust crate reports as errors must show up as problems');
    for (const record of records) {
      assert.equal(record.event.name, 'Event', `record ${record.recordId} renders <${record.event.name}>`);
      assert.ok(record.event.children.some((c) => typeof c !== 'string' && c.name === 'System'), `record ${record.recordId} has no System element`);
    }
    const ids = records.map((r) => `${r.fileOffset}`);
    assert.equal(new Set(ids).size, ids.length, 'a record was yielded twice');
  });
}

test('sample-with-zero-data-size-event: the zero-size record is a problem and the records after it are recovered', async () => {
  const { records, summary } = await readAll(corpusPath('evtx', 'parser-edge-cases', 'sample-with-zero-data-size-event.evtx'));
  assert.ok(summary.problems.some((p) => /damaged frame \(size 0 /.test(p.message)), JSON.stringify(summary.problems));
  const chunk0 = records.filter((r) => r.chunkIndex === 0).map((r) => r.recordId);
  // libevtx and the Rust crate stop at record 3; the rest of the chunk follows it.
  assert.deepEqual(chunk0.slice(0, 3), [1, 2, 4]);
  assert.ok(chunk0.length > 100);
  assert.equal(records.filter((r) => r.recovered).length, 1);
});

test('2-vss_7-System: the chunk after the zero-filled area is read', async () => {
  const { records, summary } = await readAll(corpusPath('evtx', 'parser-edge-cases', '2-vss_7-System.evtx'));
  assert.ok(summary.chunks > new Set(records.map((r) => r.chunkIndex)).size, 'some chunks are empty');
  assert.ok(summary.dirty);
  assert.ok(records.length >= 1160);
});

test('sample_with_a_bad_chunk_magic: records of the chunk with the bad signature are carved where their templates survive', async () => {
  const { records, summary } = await readAll(corpusPath('evtx', 'parser-edge-cases', 'sample_with_a_bad_chunk_magic.evtx'));
  assert.ok(summary.problems.some((p) => p.message.startsWith('bad chunk signature')));
  assert.ok(summary.recovered >= 1);
  assert.ok(records.length >= 270);
});
