// The evidence store: uploads stream to <dataDir>/evidence/<sha256> only when size and sha256 match what was
// declared; short, long, altered and oversized uploads leave nothing behind; same content is stored once; listing
// filters; the index survives a restart and interrupted uploads are cleaned at start.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import { EvidenceStore, evidenceSettingsFromEnv } from './evidence.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-evidence-'));
  dirs.push(dir);
  return dir;
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A body delivered in random chunks, like a network stream. */
const chunked = (content: Buffer, random: () => number) => {
  const parts: Buffer[] = [];
  for (let at = 0; at < content.length; ) {
    const size = 1 + Math.floor(random() * 70000);
    parts.push(content.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
};
const stored = (dir: string) => readdirSync(join(dir, 'evidence')).filter((n) => n !== '.incoming').sort();
const incoming = (dir: string) => readdirSync(join(dir, 'evidence', '.incoming'));

test('property: uploads of random content are stored byte-exact under their sha256, once per content', async () => {
  const random = seededRandom(3);
  const dir = dataDir();
  const store = new EvidenceStore(dir, { maxBytes: 1 << 22 });
  const hashes = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const content = i % 7 === 6 ? Buffer.from('the same content') : randomBytes(Math.floor(random() * 300_000));
    const record = await store.receive({ agentId: `agent-${i % 3}`, taskId: `task-${i}`, sourcePath: `/tmp/f${i}`, declaredSha256: sha(content), declaredSize: content.length, body: chunked(content, random) });
    hashes.add(record.sha256);
    assert.equal(record.sha256, sha(content));
    assert.equal(record.size, content.length);
    assert.ok(readFileSync(join(dir, 'evidence', record.sha256)).equals(content));
    const back: Buffer[] = [];
    for await (const chunk of store.open(record)) back.push(chunk as Buffer);
    assert.ok(Buffer.concat(back).equals(content));
  }
  assert.deepEqual(stored(dir), [...hashes].sort(), 'one file per distinct content');
  assert.equal(store.list({ limit: 1000 }).length, 40, 'one record per upload');
  assert.equal(store.list({ agentId: 'agent-1', limit: 1000 }).length, 13);
  assert.equal(store.list({ taskId: 'task-6', limit: 10 })[0]?.source_path, '/tmp/f6');
  assert.equal(store.list({ sha256: sha(Buffer.from('the same content')).toUpperCase(), limit: 10 }).length, 5);
  assert.equal(statSync(join(dir, 'evidence')).mode & 0o777, 0o700);
  store.close();
  const reopened = new EvidenceStore(dir, { maxBytes: 1 << 22 });
  assert.equal(reopened.list({ limit: 1000 }).length, 40);
  reopened.close();
});

test('altered, short, long and oversized uploads are refused and leave nothing behind', async () => {
  const dir = dataDir();
  const store = new EvidenceStore(dir, { maxBytes: 1000 });
  const content = randomBytes(800);
  const refused = async (change: { sha?: string; size?: number; body?: Buffer }, code: string, pattern: RegExp) => {
    await assert.rejects(
      store.receive({ agentId: 'a', taskId: null, sourcePath: '/x', declaredSha256: change.sha ?? sha(content), declaredSize: change.size ?? content.length, body: Readable.from([change.body ?? content]) }),
      (e: unknown) => e instanceof VigilError && e.code === code && pattern.test(e.message),
    );
    assert.deepEqual(stored(dir), []);
    assert.deepEqual(incoming(dir), []);
  };
  await refused({ sha: 'a'.repeat(64) }, 'conflict', /hash to .* declared a{64}/);
  await refused({ size: 801 }, 'invalid_input', /ended after 800 of 801/);
  await refused({ size: 799 }, 'invalid_input', /longer than its declared 799/);
  await refused({ size: 1001, body: randomBytes(1001) }, 'payload_too_large', /over the server's limit of 1000/);
  assert.equal(store.list({ limit: 10 }).length, 0);
  store.close();
});

test('interrupted uploads are removed at start; the limit comes from VIGIL_EVIDENCE_MAX_BYTES', () => {
  const dir = dataDir();
  new EvidenceStore(dir, { maxBytes: 10 }).close();
  writeFileSync(join(dir, 'evidence', '.incoming', 'half-written'), 'xx');
  new EvidenceStore(dir, { maxBytes: 10 }).close();
  assert.deepEqual(incoming(dir), []);
  assert.deepEqual(evidenceSettingsFromEnv({}), { maxBytes: 1024 * 1024 * 1024 });
  assert.deepEqual(evidenceSettingsFromEnv({ VIGIL_EVIDENCE_MAX_BYTES: '2048' }), { maxBytes: 2048 });
  assert.throws(() => evidenceSettingsFromEnv({ VIGIL_EVIDENCE_MAX_BYTES: '-1' }), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config');
});
