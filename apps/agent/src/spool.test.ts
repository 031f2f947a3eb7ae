import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Spool, parseSize } from './spool.js';

const line = (seq: number, pad = 0) => JSON.stringify({ 'event.sequence': seq, 'message': 'x'.repeat(pad) });
const seqs = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { 'event.sequence': number })['event.sequence']);

test('append assigns increasing sequences; batches respect limits; ack removes', () => {
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'spool-')), maxBytes: 10 * 1024 * 1024, segmentBytes: 4096 });
  for (let i = 0; i < 500; i++) spool.append((s) => line(s, 20));
  const first = spool.readBatch(100, 1 << 20)!;
  assert.deepEqual(seqs(first.lines), Array.from({ length: 100 }, (_, i) => i + 1));
  // Not consumed until acknowledged: the same batch comes back.
  assert.deepEqual(seqs(spool.readBatch(100, 1 << 20)!.lines), seqs(first.lines));
  spool.ack(first.lastSeq);
  const second = spool.readBatch(1000, 2000)!;
  assert.equal(second.firstSeq, 101);
  assert.ok(second.bytes <= 2000 && second.lines.length > 5);
  spool.ack(500);
  assert.equal(spool.readBatch(10, 1 << 20), undefined);
  assert.equal(spool.stats().pending, 0);
  spool.close();
});

test('restart resumes after the last acknowledged event and never reuses a sequence; a torn line is cut', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const a = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 2048 });
  for (let i = 0; i < 50; i++) a.append((s) => line(s));
  a.ack(20);
  a.close();
  const segments = readdirSync(dir).filter((f) => f.startsWith('seg-')).sort();
  appendFileSync(join(dir, segments[segments.length - 1]!), '{"event.sequence":51,"mess'); // crash mid-write
  const b = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 2048 });
  assert.deepEqual(seqs(b.readBatch(1000, 1 << 20)!.lines), Array.from({ length: 30 }, (_, i) => i + 21));
  assert.equal(b.append((s) => line(s)), 51);
  b.raiseSequenceFloor(1000);
  assert.equal(b.append((s) => line(s)), 1001);
  b.close();
});

test('an acknowledgement reaches disk at the next sync; one lost to a crash resends its events and reuses no sequence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const a = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
  for (let i = 0; i < 50; i++) a.append((s) => line(s));
  a.ack(10);
  a.sync();
  a.ack(30);
  // Crash: `a` is abandoned without sync or close.
  const b = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
  assert.equal(b.readBatch(1000, 1 << 20)!.firstSeq, 11);
  assert.equal(b.append((s) => line(s)), 51);
  b.ack(51);
  b.close();
  const c = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
  assert.equal(c.readBatch(1000, 1 << 20), undefined, 'close records the last acknowledgement');
  c.close();
});

test('the size bound drops the oldest segment and counts what was lost', () => {
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'spool-')), maxBytes: 8192, segmentBytes: 2048 });
  for (let i = 0; i < 400; i++) spool.append((s) => line(s, 30));
  const stats = spool.stats();
  assert.ok(stats.pendingBytes <= 8192 + 2048, `bounded: ${stats.pendingBytes}`);
  assert.ok(stats.dropped > 0);
  assert.equal(stats.dropped + stats.pending, 400);
  const batch = spool.readBatch(1000, 1 << 20)!;
  assert.equal(batch.firstSeq, stats.ackedThrough + 1);
  assert.equal(batch.lastSeq, 400);
  spool.close();
});

test('parseSize reads human sizes and refuses nonsense', () => {
  assert.equal(parseSize('512MiB'), 512 * 1024 * 1024);
  assert.equal(parseSize('10 KB'), 10000);
  assert.throws(() => parseSize('lots'), /size must look like/);
});
