// The file-level reader: summary, progress, abort, the file and chunk checksums, chunks the header does not declare,
// and how damaged chunks are walked and carved. Synthetic files, built byte by byte.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VigilError } from '@vigil/common';
import { readEvtxFile, type EvtxFileSummary, type EvtxProgress, type EvtxReadOptions, type EvtxRecord } from './index.js';
import { buildChunk, buildFile, FILETIME_2024, type SyntheticRecord } from './internal/synthetic.js';
import { crc32 } from './internal/crc32.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-evtx-reader-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function write(file: Buffer): string {
  const path = join(dir, `r${n++}.evtx`);
  writeFileSync(path, file);
  return path;
}

async function readAll(path: string, options?: EvtxReadOptions): Promise<{ records: EvtxRecord[]; summary: EvtxFileSummary }> {
  const records: EvtxRecord[] = [];
  const it = readEvtxFile(path, options);
  for (;;) {
    const next = await it.next();
    if (next.done) return { records, summary: next.value };
    records.push(next.value);
  }
}

/** Records 1..count, each `<Event><N>i</N></Event>` from one template defined by the chunk's first record. */
function records(first: number, count: number): SyntheticRecord[] {
  let offset = 0;
  return Array.from({ length: count }, (_, i) => ({
    id: first + i,
    written: FILETIME_2024 + BigInt(i) * 10_000_000n,
    write: (w) => {
      const body = (t: Parameters<Parameters<typeof w.templateInstance>[1]>[0]) => t.element('Event', [], (t) => t.element('N', [], (t) => t.substitution(0, 0x08)));
      const value = [{ type: 0x08, bytes: Buffer.from(Uint32Array.of(first + i).buffer) }];
      if (i === 0) offset = w.templateInstance(0xc000, body, value);
      else w.templateInstance(0xc000, body, value, offset);
    },
  }));
}

const ids = (list: EvtxRecord[]) => list.map((r) => r.recordId);

test('a clean file: records in file order, positions, summary and one progress call per chunk', async () => {
  const file = buildFile([buildChunk(records(1, 5)), buildChunk(records(6, 3))]);
  const progress: EvtxProgress[] = [];
  const { records: got, summary } = await readAll(write(file), { onProgress: (p) => progress.push(p) });
  assert.deepEqual(ids(got), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(got.map((r) => r.chunkIndex), [0, 0, 0, 0, 0, 1, 1, 1]);
  assert.equal(got[0]!.fileOffset, 4096 + 512);
  assert.equal(got[5]!.fileOffset, 4096 + 65536 + 512);
  assert.equal(got[1]!.writtenAt, '2024-01-01T00:00:01.000Z');
  assert.ok(got.every((r) => !r.recovered));
  assert.deepEqual(summary, { records: 8, recovered: 0, problems: [], chunks: 2, dirty: false });
  assert.deepEqual(progress, [
    { bytesRead: 4096 + 65536, totalBytes: file.length, records: 5, recovered: 0, errors: 0 },
    { bytesRead: file.length, totalBytes: file.length, records: 8, recovered: 0, errors: 0 },
  ]);
});

test('an aborted read throws a VigilError at the next record and closes the file', async () => {
  const path = write(buildFile([buildChunk(records(1, 5))]));
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const record of readEvtxFile(path, { signal: controller.signal })) {
        seen.push(record.recordId);
        if (record.recordId === 2) controller.abort(new Error('stop'));
      }
    })(),
    (error: unknown) => error instanceof VigilError && /aborted/.test(error.message),
  );
  assert.deepEqual(seen, [1, 2]);
  const already = new AbortController();
  already.abort();
  await assert.rejects(readAll(path, { signal: already.signal }), VigilError);
});

test('dirty flag, stale header chunk count and file header checksum', async () => {
  const file = buildFile([buildChunk(records(1, 2)), buildChunk(records(3, 2))], { dirty: true, declaredChunks: 1 });
  const { records: got, summary } = await readAll(write(file));
  assert.deepEqual(ids(got), [1, 2, 3, 4]);
  assert.equal(summary.dirty, true);
  assert.deepEqual(summary.problems.map((p) => p.message), ['the header declares 1 chunks; chunks from here on are read as well']);
  file[100] = 1; // inside the checksummed part of the file header
  const damaged = await readAll(write(file));
  assert.deepEqual(ids(damaged.records), [1, 2, 3, 4]);
  assert.match(damaged.summary.problems[0]!.message, /^file header checksum mismatch/);
});

test('records checksum mismatch: records that validate are still read, the damaged one is skipped and the walk resumes', async () => {
  const chunk = buildChunk(records(1, 4));
  // the third record's frame: break its size copy
  const third = 512 + chunk.readUInt32LE(512 + 4) + chunk.readUInt32LE(512 + chunk.readUInt32LE(512 + 4) + 4);
  const size = chunk.readUInt32LE(third + 4);
  chunk.writeUInt32LE(size + 8, third + size - 4);
  const { records: got, summary } = await readAll(write(buildFile([chunk])));
  assert.deepEqual(ids(got), [1, 2, 4]);
  assert.deepEqual(got.map((r) => r.recovered), [false, false, true]);
  assert.deepEqual(summary.problems.map((p) => p.message.replace(/0x[0-9a-f]+/g, 'X')), [
    'event records checksum mismatch (stored X, computed X): each record is validated on its own',
    `record 3 at chunk offset ${third}: damaged frame (size ${size} without a matching size copy)`,
  ]);
  assert.equal(summary.recovered, 1);
});

test('a chunk with a bad signature or header checksum is carved: its records are marked recovered', async () => {
  const chunk = buildChunk(records(1, 3));
  chunk.write('XXXXXXXX', 0, 'latin1');
  const bad = await readAll(write(buildFile([buildChunk(records(10, 1)), chunk])));
  assert.deepEqual(ids(bad.records), [10, 1, 2, 3]);
  assert.deepEqual(bad.records.map((r) => r.recovered), [false, true, true, true]);
  assert.match(bad.summary.problems[0]!.message, /^bad chunk signature/);
  const crc = buildChunk(records(1, 3));
  crc[200] = crc[200]! ^ 0xff; // inside the header's checksummed string table
  const carved = await readAll(write(buildFile([crc])));
  assert.deepEqual(ids(carved.records), [1, 2, 3]);
  assert.ok(carved.records.every((r) => r.recovered));
  assert.match(carved.summary.problems[0]!.message, /^chunk header checksum mismatch/);
});

test('truncated and zero-filled chunks', async () => {
  const file = buildFile([buildChunk(records(1, 3)), Buffer.alloc(65536), buildChunk(records(4, 3))]);
  const whole = await readAll(write(file));
  assert.deepEqual(ids(whole.records), [1, 2, 3, 4, 5, 6]);
  assert.equal(whole.summary.chunks, 3);
  assert.deepEqual(whole.summary.problems, []);
  // cut inside the third record of the last chunk: two records survive, the cut one is a problem
  const cut = file.subarray(0, 4096 + 2 * 65536 + 512 + 3 * 60);
  const partial = await readAll(write(cut));
  assert.deepEqual(ids(partial.records).slice(0, 3), [1, 2, 3]);
  assert.ok(partial.summary.problems.some((p) => /chunk truncated/.test(p.message)));
});

test('files longer than one read block: order across blocks, and stopping early leaves nothing running', async () => {
  const chunks = Array.from({ length: 40 }, (_, i) => buildChunk(records(1 + i * 2, 2)));
  const path = write(buildFile(chunks));
  const { records: got, summary } = await readAll(path);
  assert.deepEqual(ids(got), Array.from({ length: 80 }, (_, i) => i + 1));
  assert.equal(summary.chunks, 40);
  assert.equal(got[78]!.fileOffset, 4096 + 39 * 65536 + 512);
  assert.equal(got[78]!.chunkIndex, 39);
  for (const stopAt of [1, 33, 79]) {
    const seen: number[] = [];
    for await (const record of readEvtxFile(path)) {
      seen.push(record.recordId);
      if (record.recordId === stopAt) break;
    }
    assert.equal(seen.length, stopAt);
  }
});

test('constant memory per file: a 16 MiB file is read with a few MiB live, however far into it the reader is', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // one chunk filled with records, repeated 256 times: a quarter of a million records
  const chunk = buildChunk(records(1, 1000));
  const path = write(buildFile(Array.from({ length: 256 }, () => chunk)));
  const live = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = live();
  const samples: number[] = [];
  let count = 0;
  for await (const record of readEvtxFile(path, { onProgress: (p) => p.bytesRead % (32 * 65536) === 4096 && samples.push(live() - before) })) {
    if (record.recordId > 0) count++;
  }
  assert.equal(count, 256 * 1000);
  assert.ok(samples.length >= 7, `${samples.length} samples`);
  // Two 1 MiB read buffers and one chunk's records are live at a time; a reader that kept records or chunks would hold
  // some 200 MiB by the last sample (about 3 MiB are live here).
  const MiB = 1024 * 1024;
  assert.ok(Math.max(...samples) < 8 * MiB, `live memory grew by ${samples.map((s) => (s / MiB).toFixed(1)).join(', ')} MiB`);
});

test('a record whose chunk lost its template definition is rendered with the same template from an earlier chunk', async () => {
  const damaged = buildChunk(records(10, 3));
  const first = damaged.readUInt32LE(512 + 4);
  damaged.fill(0, 512, 512 + first); // the record that defined the template inline is gone
  const { records: got, summary } = await readAll(write(buildFile([buildChunk(records(1, 2)), damaged])));
  assert.deepEqual(ids(got), [1, 2, 11, 12]);
  assert.deepEqual(got.map((r) => r.recovered), [false, false, true, true]);
  assert.equal(got[2]!.event.children.length, 1);
  assert.deepEqual(got[2]!.event, { name: 'Event', attributes: {}, children: [{ name: 'N', attributes: {}, children: ['11'] }] });
  assert.ok(summary.problems.some((p) => p.message === 'no record at chunk offset 512'));
  // without the earlier chunk the same records are problems, not guesses
  const alone = await readAll(write(buildFile([damaged])));
  assert.deepEqual(ids(alone.records), []);
  assert.ok(alone.summary.problems.some((p) => /^record 11 .*no template at offset/.test(p.message)));
});

test('records after a lagging free-space offset that continue the identifier sequence are read as recovered', async () => {
  const chunk = buildChunk(records(1, 4));
  let third = 512;
  for (let i = 0; i < 2; i++) third += chunk.readUInt32LE(third + 4);
  // the header says the chunk ends after record 2 (its checksums are recomputed for that, as a lagging header has them)
  chunk.writeUInt32LE(third, 48);
  chunk.writeUInt32LE(crc32(chunk.subarray(512, third)), 52);
  chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), 124);
  const { records: got, summary } = await readAll(write(buildFile([chunk])));
  assert.deepEqual(ids(got), [1, 2, 3, 4]);
  assert.deepEqual(got.map((r) => r.recovered), [false, false, true, true]);
  assert.deepEqual(summary.problems.map((p) => p.message), [`2 records after the chunk's free-space offset ${third} continue the identifier sequence: read as recovered`]);
  // a stale record after the offset (an identifier that does not follow) stays out
  chunk.writeBigUInt64LE(99n, third + 8);
  const stale = await readAll(write(buildFile([chunk])));
  assert.deepEqual(ids(stale.records), [1, 2]);
  assert.deepEqual(stale.summary.problems, []);
});
