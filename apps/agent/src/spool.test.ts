import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Spool, createBatchEncoder, parseSize, type SpoolBatch } from './spool.js';

const line = (seq: number, pad = 0) => JSON.stringify({ 'event.sequence': seq, 'message': 'x'.repeat(pad) });
const linesOf = (batch: SpoolBatch) => {
  assert.equal(batch.data[batch.data.length - 1], 10, 'a batch ends with a whole line');
  const lines = batch.data.toString('utf8').slice(0, -1).split('\n');
  assert.equal(lines.length, batch.count);
  assert.equal(batch.bytes, batch.data.length);
  return lines;
};
const seqs = (batch: SpoolBatch) => linesOf(batch).map((l) => (JSON.parse(l) as { 'event.sequence': number })['event.sequence']);

test('append assigns increasing sequences; batches respect limits; ack removes', () => {
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'spool-')), maxBytes: 10 * 1024 * 1024, segmentBytes: 4096 });
  for (let i = 0; i < 500; i++) spool.append((s) => line(s, 20));
  const first = spool.readBatch(100, 1 << 20)!;
  assert.deepEqual(seqs(first), Array.from({ length: 100 }, (_, i) => i + 1));
  // Not consumed until acknowledged: the same batch comes back.
  assert.deepEqual(seqs(spool.readBatch(100, 1 << 20)!), seqs(first));
  spool.ack(first.lastSeq);
  const second = spool.readBatch(1000, 2000)!;
  assert.equal(second.firstSeq, 101);
  assert.ok(second.bytes <= 2000 && second.count > 5);
  assert.deepEqual(seqs(second), Array.from({ length: second.count }, (_, i) => i + 101));
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
  assert.deepEqual(seqs(b.readBatch(1000, 1 << 20)!), Array.from({ length: 30 }, (_, i) => i + 21));
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

test('batches span segments, follow the cursor after an ack, and bring an event over the byte budget alone', () => {
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'spool-')), maxBytes: 64 * 1024 * 1024, segmentBytes: 4096 });
  const sizes = [10, 20, 300_000, 5, 5, 150_000, 40];
  for (let i = 0; i < 200; i++) spool.append((s) => line(s, sizes[i % sizes.length]!));
  const seen: number[] = [];
  for (let batch = spool.readBatch(7, 100_000); batch; batch = spool.readBatch(7, 100_000)) {
    const got = seqs(batch);
    assert.ok(got.length <= 7);
    assert.ok(batch.bytes <= 100_000 || got.length === 1, `over the budget only alone: ${batch.bytes} bytes, ${got.length} events`);
    assert.equal(got[0], batch.firstSeq);
    assert.equal(got[got.length - 1], batch.lastSeq);
    seen.push(...got);
    spool.ack(batch.lastSeq);
  }
  assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i + 1));
  spool.close();
});

test('encodeBatch makes the JSON body of the spooled events, newlines inside strings kept', () => {
  const spool = new Spool({ dir: mkdtempSync(join(tmpdir(), 'spool-')), maxBytes: 1 << 20, segmentBytes: 4096 });
  const messages = ['plain', 'two\nlines', 'ünïcødé ✓ 𝄞', '', '{"not":"a key"}\r\n'];
  for (const message of messages) spool.append((s) => JSON.stringify({ message, 'event.sequence': s }));
  const encode = createBatchEncoder(Buffer.from('{"host_id":"h-1","events":['));
  const batch = spool.readBatch(100, 1 << 20)!;
  const parsed = JSON.parse(encode(batch).toString('utf8')) as { host_id: string; events: { message: string; 'event.sequence': number }[] };
  assert.equal(parsed.host_id, 'h-1');
  assert.deepEqual(parsed.events, messages.map((message, i) => ({ message, 'event.sequence': i + 1 })));
  assert.equal(linesOf(batch).length, messages.length, 'the batch itself is unchanged');
  // The encoder reuses its buffer: a smaller next batch is encoded whole and alone.
  spool.ack(2);
  assert.deepEqual(JSON.parse(encode(spool.readBatch(1, 1 << 20)!).toString('utf8')), { host_id: 'h-1', events: [{ message: messages[2], 'event.sequence': 3 }] });
  assert.throws(() => createBatchEncoder(Buffer.from('{\n')), /newline/);
  spool.close();
});

test('a refused batch goes to rejected.ndjson as its lines under a header, and is acknowledged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 4096 });
  for (let i = 0; i < 5; i++) spool.append((s) => line(s));
  const batch = spool.readBatch(3, 1 << 20)!;
  spool.reject(batch, 'bad');
  const [header, ...rest] = readFileSync(join(dir, 'rejected.ndjson'), 'utf8').trimEnd().split('\n');
  assert.deepEqual({ ...(JSON.parse(header!) as object), time: 0 }, { time: 0, reason: 'bad', first: 1, last: 3 });
  assert.deepEqual(rest.map((l) => (JSON.parse(l) as { 'event.sequence': number })['event.sequence']), [1, 2, 3]);
  assert.equal(spool.readBatch(10, 1 << 20)!.firstSeq, 4);
  spool.close();
});

test('parseSize reads human sizes and refuses nonsense', () => {
  assert.equal(parseSize('512MiB'), 512 * 1024 * 1024);
  assert.equal(parseSize('10 KB'), 10000);
  assert.throws(() => parseSize('lots'), /size must look like/);
});
