import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileInspector } from './file-inspector.js';

const sha256 = async (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('executables (ELF or an execute bit) are hashed once settled; other files only sized', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-inspect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inspector = createFileInspector({ sha256, settleMs: 20, pollMs: 20 });
  const elf = join(dir, 'lib.so');
  writeFileSync(elf, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(100)]));
  chmodSync(elf, 0o644);
  const script = join(dir, 'run');
  writeFileSync(script, '#!/bin/sh\n');
  chmodSync(script, 0o755);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello');
  assert.deepEqual(await inspector.inspect(elf), { size: 104, executable: true, sha256: await sha256(elf) });
  assert.deepEqual(await inspector.inspect(script), { size: 10, executable: true, sha256: await sha256(script) });
  assert.deepEqual(await inspector.inspect(text), { size: 5, executable: false });
  assert.deepEqual(await inspector.inspect(join(dir, 'gone')), {});
  assert.deepEqual(await inspector.inspect(dir), {}, 'a folder');
  assert.equal(inspector.stats().hashed, 2);
  assert.equal(inspector.stats().gone, 1);
});

test('a file still being written is hashed after the writer stops', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-inspect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'payload');
  writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  const inspector = createFileInspector({ sha256, settleMs: 30, pollMs: 40, maxWaitMs: 5000 });
  const pending = inspector.inspect(path);
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 25));
    appendFileSync(path, Buffer.alloc(1000, i));
  }
  const result = await pending;
  assert.equal(result.size, 5004, 'saw the whole file');
  assert.equal(result.sha256, await sha256(path));
});

test('beyond maxPending, files are answered at once without a look', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-inspect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'x');
  writeFileSync(path, 'x');
  const inspector = createFileInspector({ sha256, settleMs: 50, maxPending: 2 });
  const results = await Promise.all([inspector.inspect(path), inspector.inspect(path), inspector.inspect(path)]);
  assert.deepEqual(results[2], {});
  assert.equal(results[0]?.size, 1);
  assert.equal(inspector.stats().skipped, 1);
  assert.equal(inspector.stats().pending, 0);
});
