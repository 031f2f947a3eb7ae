import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTail } from './file-tail.js';

function setUp(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('new lines only, partial lines wait for their newline, multi-byte characters split across writes survive', async (t) => {
  const path = join(setUp(t), 'app.log');
  writeFileSync(path, 'old line\n');
  const lines: string[] = [];
  const tail = createFileTail({ path, onLine: (l) => lines.push(l), pollMs: 60_000 });
  await tail.start();
  appendFileSync(path, 'first\nsec');
  await tail.poll();
  assert.deepEqual(lines, ['first']);
  const euro = Buffer.from('€');
  appendFileSync(path, Buffer.concat([Buffer.from('ond '), euro.subarray(0, 1)]));
  await tail.poll();
  appendFileSync(path, Buffer.concat([euro.subarray(1), Buffer.from('\n')]));
  await tail.poll();
  assert.deepEqual(lines, ['first', 'second €']);
  appendFileSync(path, 'unterminated');
  await tail.stop();
  assert.deepEqual(lines, ['first', 'second €', 'unterminated'], 'stop delivers the partial last line');
});

test('rotation by rename: the rest of the old file, then the new file from its start', async (t) => {
  const dir = setUp(t);
  const path = join(dir, 'syslog');
  writeFileSync(path, '');
  const lines: string[] = [];
  let rotations = 0;
  const tail = createFileTail({ path, onLine: (l) => lines.push(l), onRotate: () => rotations++, pollMs: 60_000 });
  await tail.start();
  appendFileSync(path, 'a\n');
  await tail.poll();
  appendFileSync(path, 'b\n');
  renameSync(path, `${path}.1`);
  appendFileSync(`${path}.1`, 'c\n');
  writeFileSync(path, 'd\n');
  await tail.poll();
  assert.deepEqual(lines, ['a', 'b', 'c', 'd']);
  assert.equal(rotations, 1);
  // Deleted, then recreated later.
  unlinkSync(path);
  await tail.poll();
  assert.equal(tail.stats().open, false);
  writeFileSync(path, 'e\n');
  await tail.poll();
  assert.deepEqual(lines, ['a', 'b', 'c', 'd', 'e']);
  await tail.stop();
});

test('truncation is reported and the file is read again from the start', async (t) => {
  const path = join(setUp(t), 'auth.log');
  writeFileSync(path, '');
  const lines: string[] = [];
  const truncations: Array<[number, number]> = [];
  const tail = createFileTail({ path, onLine: (l) => lines.push(l), onTruncate: (from, to) => truncations.push([from, to]), pollMs: 60_000 });
  await tail.start();
  appendFileSync(path, 'one\ntwo\n');
  await tail.poll();
  truncateSync(path, 0);
  appendFileSync(path, 'x\n');
  await tail.poll();
  assert.deepEqual(truncations, [[8, 2]]);
  assert.deepEqual(lines, ['one', 'two', 'x']);
  await tail.stop();
});

test('a missing file is waited for; fromStart reads what is there; overlong lines are cut once', async (t) => {
  const dir = setUp(t);
  const path = join(dir, 'later.log');
  const lines: string[] = [];
  const tail = createFileTail({ path, onLine: (l) => lines.push(l), pollMs: 60_000, maxLineLength: 10 });
  await tail.start();
  await tail.poll();
  writeFileSync(path, `${'x'.repeat(25)}\nshort\n${'y'.repeat(12)}`);
  await tail.poll();
  appendFileSync(path, 'yyy\nz\n');
  await tail.poll();
  assert.deepEqual(lines, ['x'.repeat(10), 'short', 'y'.repeat(10), 'z']);
  assert.equal(tail.stats().longLines, 1, 'the partial overlong line; the complete one is cut in place');
  await tail.stop();
  const existing = join(dir, 'existing.log');
  writeFileSync(existing, 'p\nq\n');
  const seen: string[] = [];
  const reread = createFileTail({ path: existing, onLine: (l) => seen.push(l), fromStart: true, pollMs: 60_000 });
  await reread.start();
  await reread.stop();
  assert.deepEqual(seen, ['p', 'q']);
});
