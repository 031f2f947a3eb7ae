import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, utimesSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashCache } from './hash-cache.js';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('hashes a file, then answers from the cache while its identity is unchanged', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'tool');
  const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  writeFileSync(file, data);
  const cache = createHashCache();
  assert.equal(await cache.sha256(file), sha256(data));
  assert.equal(await cache.sha256(file), sha256(data));
  assert.deepEqual({ hits: cache.stats().hits, misses: cache.stats().misses }, { hits: 1, misses: 1 });
});

test('a changed file is hashed again, even when its size and mtime are put back', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'tool');
  writeFileSync(file, 'aaaa');
  const cache = createHashCache();
  assert.equal(await cache.sha256(file), sha256('aaaa'));
  const { atime, mtime } = statSync(file);
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(file, 'bbbb');
  utimesSync(file, atime, mtime);
  assert.equal(await cache.sha256(file), sha256('bbbb'));
});

test('files over the limit, directories and missing files give undefined, never a throw', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'big'), Buffer.alloc(2048));
  mkdirSync(join(dir, 'sub'));
  const cache = createHashCache({ maxBytes: 1024 });
  assert.equal(await cache.sha256(join(dir, 'big')), undefined);
  assert.equal(await cache.sha256(join(dir, 'sub')), undefined);
  assert.equal(await cache.sha256(join(dir, 'missing')), undefined);
  assert.equal(cache.stats().skipped, 2);
  assert.equal(cache.stats().errors, 1);
});

test('concurrent requests for one file hash it once; the cache is a bounded LRU', async (t) => {
  const dir = tempDir(t);
  const files = Array.from({ length: 5 }, (_, i) => join(dir, `f${i}`));
  files.forEach((file, i) => writeFileSync(file, `content ${i}`));
  const cache = createHashCache({ maxEntries: 3, concurrency: 1 });
  const same = await Promise.all(Array.from({ length: 10 }, () => cache.sha256(files[0]!)));
  assert.ok(same.every((h) => h === sha256('content 0')));
  assert.equal(cache.stats().misses, 1);
  const all = await Promise.all(files.map((f) => cache.sha256(f)));
  assert.deepEqual(all, files.map((_, i) => sha256(`content ${i}`)));
  assert.equal(cache.stats().entries, 3);
});

test('hashing a large file leaves the event loop responsive', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'large');
  writeFileSync(file, Buffer.alloc(64 * 1024 * 1024, 1));
  const cache = createHashCache();
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  await cache.sha256(file);
  clearInterval(ticker);
  assert.ok(longest < 100, `the event loop stalled for ${longest.toFixed(1)} ms`);
});
