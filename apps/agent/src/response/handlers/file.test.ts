// file.quarantine → file.restore is byte-, mode-, owner- and nanosecond-timestamp-exact (property test over random
// content, modes, owners and times, through a rename and through a cross-file-system copy); file.delete and
// path.restrict/unrestrict (mode only; flags are in file.system.test.ts) on real files; every refusal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import type { ActionHandler } from '../handler.js';
import { createFileHandlers, listVault } from './file.js';
import { setTimesNs, sha256File } from './internal/file-ops.js';
import { cleanupTestSupport, tempDir, testContext } from './internal/test-support.js';

after(cleanupTestSupport);

const refusedWith = (code: string, pattern: RegExp) => (error: unknown) => error instanceof VigilError && error.code === code && pattern.test(error.message);

function handlersFor(allowedRoots: string[]): (name: string) => ActionHandler {
  const map = new Map(createFileHandlers({ allowedRoots, vaultImmutable: false }).map((h) => [h.action, h] as const));
  return (name) => map.get(name)!;
}

interface Snapshot {
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** Reading a file may move its access time (relatime), so the content is read before the times are taken. */
function snap(path: string): Snapshot {
  const content = readFileSync(path);
  const stat = lstatSync(path, { bigint: true });
  return { content, mode: Number(stat.mode), uid: Number(stat.uid), gid: Number(stat.gid), atimeNs: stat.atimeNs, mtimeNs: stat.mtimeNs };
}

async function roundTrips(label: string, stateBase: string | undefined, seed: number, count: number): Promise<void> {
  const random = seededRandom(seed);
  const files = tempDir(`files-${label}`);
  const stateDir = tempDir(`state-${label}`, stateBase);
  const handler = handlersFor([files]);
  for (let i = 0; i < count; i++) {
    const path = join(files, `sample-${i}.bin`);
    const size = [0, 1, 4095, 4096, 65537][i % 5]! + Math.floor(random() * 3000);
    writeFileSync(path, randomBytes(size));
    const uid = Math.floor(random() * 70000);
    const gid = Math.floor(random() * 70000);
    chownSync(path, uid, gid);
    chmodSync(path, Math.floor(random() * 0o10000));
    const ns = () => BigInt(Math.floor(random() * 2_000_000_000)) * 1_000_000_000n + BigInt(Math.floor(random() * 1_000_000_000));
    await setTimesNs(path, ns(), ns());
    const before = snap(path);
    const context = testContext(stateDir);
    const quarantined = await handler('file.quarantine').run({ path }, context);
    assert.equal(quarantined.verified, true, `${label} #${i}: ${quarantined.summary}`);
    assert.equal(existsSync(path), false, `${label} #${i}: ${path} still exists after quarantine`);
    const id = quarantined.details?.vault_id as string;
    assert.match(id, /^[0-9a-f]{32}$/);
    const vaultCopy = join(stateDir, 'quarantine', `${id}.bin`);
    assert.equal((lstatSync(vaultCopy).mode & 0o7777), 0, 'vault copy has mode 0000');
    assert.equal((lstatSync(join(stateDir, 'quarantine')).mode & 0o777), 0o700, 'vault folder has mode 0700');
    assert.equal((await sha256File(vaultCopy)).sha256, quarantined.details?.sha256);
    const restored = await handler('file.restore').run({ vault_id: id }, testContext(stateDir));
    assert.equal(restored.verified, true, `${label} #${i}: ${restored.summary}`);
    const stat = lstatSync(path, { bigint: true });
    const after = { ...snap(path), atimeNs: stat.atimeNs };
    assert.ok(after.content.equals(before.content), `${label} #${i}: content differs`);
    assert.equal(after.mode.toString(8), before.mode.toString(8), `${label} #${i}: mode`);
    assert.equal(`${after.uid}:${after.gid}`, `${before.uid}:${before.gid}`, `${label} #${i}: owner`);
    assert.equal(after.mtimeNs, before.mtimeNs, `${label} #${i}: mtime`);
    assert.equal(after.atimeNs, before.atimeNs, `${label} #${i}: atime`);
    assert.equal(existsSync(vaultCopy), false, 'the vault copy is gone after restore');
  }
  const entries = listVault(stateDir);
  assert.equal(entries.length, count);
  assert.ok(entries.every((e) => e.state === 'restored'));
}

test('property: quarantine then restore is exact (same file system: rename)', async () => {
  await roundTrips('rename', undefined, 1, 40);
});

test('property: quarantine then restore is exact (vault on another file system: copy, verify, unlink)', async () => {
  assert.notEqual(lstatSync('/dev/shm').dev, lstatSync(tempDir('devcheck')).dev, '/dev/shm must be another file system than the temp folder for this test');
  await roundTrips('copy', '/dev/shm', 2, 20);
});

test('restore refuses when something exists at the path, when the entry was restored, and when the vault copy was altered', async () => {
  const files = tempDir('files');
  const stateDir = tempDir('state');
  const handler = handlersFor([files]);
  const path = join(files, 'payload');
  writeFileSync(path, 'malware');
  const first = await handler('file.quarantine').run({ path }, testContext(stateDir));
  const id = first.details?.vault_id as string;
  writeFileSync(path, 'a new file in the way');
  await assert.rejects(handler('file.restore').run({ vault_id: id }, testContext(stateDir)), refusedWith('conflict', /exists; move it away/));
  assert.equal(readFileSync(path, 'utf8'), 'a new file in the way');
  await handler('file.delete').run({ path }, testContext(stateDir));
  const vaultCopy = join(stateDir, 'quarantine', `${id}.bin`);
  chmodSync(vaultCopy, 0o600);
  writeFileSync(vaultCopy, 'tampered');
  await assert.rejects(handler('file.restore').run({ vault_id: id }, testContext(stateDir)), refusedWith('system', /tampered/));
  assert.equal(existsSync(path), false);
  await assert.rejects(handler('file.restore').run({ vault_id: 'f'.repeat(32) }, testContext(stateDir)), refusedWith('not_found', /no vault entry/));
  writeFileSync(path, 'second');
  const second = await handler('file.quarantine').run({ path }, testContext(stateDir));
  await handler('file.restore').run({ vault_id: second.details?.vault_id }, testContext(stateDir));
  await assert.rejects(handler('file.restore').run({ vault_id: second.details?.vault_id }, testContext(stateDir)), refusedWith('conflict', /already restored/));
});

test('quarantine refuses folders, symlinks, paths outside the allowed roots, system paths and the agent state', async () => {
  const files = tempDir('files');
  const stateDir = tempDir('state');
  const handler = handlersFor([files, stateDir]);
  const context = testContext(stateDir);
  mkdirSync(join(files, 'folder'));
  symlinkSync('/etc/hostname', join(files, 'link'));
  await assert.rejects(handler('file.quarantine').run({ path: join(files, 'folder') }, context), refusedWith('invalid_input', /not a regular file/));
  await assert.rejects(handler('file.quarantine').run({ path: join(files, 'link') }, context), refusedWith('invalid_input', /not a regular file/));
  await assert.rejects(handler('file.quarantine').run({ path: '/etc/hostname' }, context), refusedWith('invalid_input', /outside the folders this agent may act on/));
  await assert.rejects(handler('file.quarantine').run({ path: `${files}/../../etc/hostname` }, context), refusedWith('invalid_input', /outside the folders/));
  await assert.rejects(handler('file.quarantine').run({ path: join(files, 'missing') }, context), refusedWith('not_found', /does not exist/));
  writeFileSync(join(stateDir, 'agent.key'), 'secret');
  await assert.rejects(handler('file.quarantine').run({ path: join(stateDir, 'agent.key') }, context), refusedWith('invalid_input', /protected folder/));
  const everywhere = new Map(createFileHandlers({ vaultImmutable: false }).map((h) => [h.action, h] as const));
  for (const path of ['/', '/etc', '/usr/bin', '/etc/passwd', '/etc/shadow', '/proc/self/status', '/sys/kernel', process.execPath]) {
    await assert.rejects(everywhere.get('file.quarantine')!.run({ path }, context), refusedWith('invalid_input', /refusing/), path);
    await assert.rejects(everywhere.get('file.delete')!.run({ path, recursive: true }, context), refusedWith('invalid_input', /refusing/), path);
  }
  assert.ok(existsSync('/etc/passwd'));
});

test('file.delete records the sha256, deletes files, symlinks (not their targets) and, with recursive, trees', async () => {
  const files = tempDir('files');
  const stateDir = tempDir('state');
  const handler = handlersFor([files]);
  const context = testContext(stateDir);
  const target = join(files, 'target');
  writeFileSync(target, 'keep me');
  symlinkSync(target, join(files, 'link'));
  const link = await handler('file.delete').run({ path: join(files, 'link') }, context);
  assert.equal(link.verified, true);
  assert.equal(link.details?.link_target, target);
  assert.equal(readFileSync(target, 'utf8'), 'keep me');
  const file = await handler('file.delete').run({ path: target }, context);
  assert.equal(file.details?.sha256, (await import('node:crypto')).createHash('sha256').update('keep me').digest('hex'));
  assert.equal(existsSync(target), false);
  const tree = join(files, 'tree');
  mkdirSync(join(tree, 'a', 'b'), { recursive: true });
  for (const name of ['x', 'a/y', 'a/b/z']) writeFileSync(join(tree, name), name);
  await assert.rejects(handler('file.delete').run({ path: tree }, context), refusedWith('invalid_input', /recursive: true/));
  assert.ok(existsSync(join(tree, 'a/b/z')));
  const deleted = await handler('file.delete').run({ path: tree, recursive: true }, context);
  assert.equal(deleted.verified, true, deleted.summary);
  assert.equal(existsSync(tree), false);
  assert.equal(deleted.details?.files, 3);
  assert.deepEqual((deleted.details?.hashed as { path: string }[]).map((h) => h.path).sort(), ['a/b/z', 'a/y', 'x'].map((n) => join(tree, n)).sort());
});

test('file.delete refuses a tree that holds the agent state, and system folders', async () => {
  const stateParent = tempDir('holder');
  const stateDir = join(stateParent, 'agent-state');
  mkdirSync(stateDir);
  const handler = handlersFor(['/']);
  await assert.rejects(handler('file.delete').run({ path: stateParent, recursive: true }, testContext(stateDir)), refusedWith('invalid_input', /protected folder/));
  assert.ok(existsSync(stateDir));
  await assert.rejects(handler('file.delete').run({ path: '/dev/shm', recursive: true }, testContext(stateDir)), refusedWith('invalid_input', /system folder/));
});

test('path.restrict sets the mode and path.unrestrict restores the mode recorded before the first restriction', async () => {
  const files = tempDir('files');
  const stateDir = tempDir('state');
  const handler = handlersFor([files]);
  const path = join(files, 'webroot');
  mkdirSync(path);
  chmodSync(path, 0o2775);
  const first = await handler('path.restrict').run({ path, mode: '0700' }, testContext(stateDir));
  assert.equal(first.verified, true, first.summary);
  assert.equal(lstatSync(path).mode & 0o7777, 0o700);
  const second = await handler('path.restrict').run({ path, mode: '0000' }, testContext(stateDir));
  assert.equal(second.verified, true);
  assert.equal(lstatSync(path).mode & 0o7777, 0);
  assert.deepEqual((second.details?.previous as { mode: string }).mode, '2775', 'the record keeps the state before the first restriction');
  const undone = await handler('path.unrestrict').run({ path }, testContext(stateDir));
  assert.equal(undone.verified, true, undone.summary);
  assert.equal(lstatSync(path).mode & 0o7777, 0o2775);
  assert.deepEqual(readdirSync(join(stateDir, 'restrictions')), [], 'the record is removed once undone');
  await assert.rejects(handler('path.unrestrict').run({ path }, testContext(stateDir)), refusedWith('not_found', /no restriction/));
  symlinkSync(path, join(files, 'link'));
  await assert.rejects(handler('path.restrict').run({ path: join(files, 'link'), mode: '0000' }, testContext(stateDir)), refusedWith('invalid_input', /symbolic link/));
});
