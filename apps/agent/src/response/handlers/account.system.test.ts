// account.lock / account.unlock on real local users (created with useradd, removed afterwards even on failure): the
// password is locked, the account expired (su refuses it), every process of the user is killed; unlock restores the
// exact previous state, also for an account without a password. Run as root under `flock /tmp/vigil-system.lock`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { VigilError } from '@vigil/common';
import type { ActionHandler } from '../handler.js';
import { createAccountHandlers } from './account.js';
import { passwordStatus, readPasswd, readShadowExpiry } from './internal/accounts.js';
import { readStat } from './internal/procfs.js';
import { child, cleanupTestSupport, tempDir, testContext, waitFor } from './internal/test-support.js';

const users: string[] = [];
const newUser = (password: string | null): { name: string; uid: number; gid: number } => {
  const name = `vigil-t-${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['-M', '-s', '/bin/sh', name]);
  users.push(name);
  if (password === null) execFileSync('usermod', ['-p', '', name]);
  else execFileSync('chpasswd', { input: `${name}:${password}\n` });
  const entry = readPasswd().find((e) => e.name === name)!;
  return { name, uid: entry.uid, gid: entry.gid };
};

before(() => {
  assert.equal(process.getuid?.(), 0, 'the account system test needs root (useradd, usermod)');
});
after(() => {
  cleanupTestSupport();
  for (const name of users) {
    spawnSync('pkill', ['-KILL', '-u', name]);
    spawnSync('userdel', ['-f', name]);
  }
  const left = readPasswd().filter((e) => users.includes(e.name));
  assert.deepEqual(left, [], 'test users were removed');
});

const handlers = new Map(createAccountHandlers().map((h) => [h.action, h] as const));
const handler = (name: string): ActionHandler => handlers.get(name)!;
/** Whether a login shell as the user is allowed (PAM account checks run for su even when root asks). */
const canLogIn = (name: string) => spawnSync('su', ['-s', '/bin/sh', name, '-c', 'true'], { stdio: 'ignore' }).status === 0;

test('account.lock locks and expires the account and ends its sessions; account.unlock restores it exactly', async () => {
  const user = newUser('Correct-Horse-4711');
  const stateDir = tempDir('accounts');
  assert.equal(await passwordStatus(user.name), 'P');
  assert.equal(canLogIn(user.name), true);
  const sessions = [child('sleep', ['1000'], { uid: user.uid, gid: user.gid }), child('su', ['-s', '/bin/sh', user.name, '-c', 'sleep 1000'])];
  await waitFor('the user processes', () => sessions.every((s) => readStat(s.pid!)) || undefined);
  const locked = await handler('account.lock').run({ user: user.name }, testContext(stateDir));
  assert.equal(locked.verified, true, locked.summary);
  assert.equal(await passwordStatus(user.name), 'L');
  assert.equal(readShadowExpiry(user.name), '1');
  assert.equal(canLogIn(user.name), false, 'su must refuse a locked, expired account');
  const killed = locked.details?.killed as number[];
  assert.ok(killed.includes(sessions[0]!.pid!), `the user's sleep was killed: ${JSON.stringify(killed)}`);
  await waitFor('the su session to end', () => sessions[1]!.exitCode !== null || sessions[1]!.signalCode !== null || undefined);
  // A second lock must not overwrite the recorded state with the locked one.
  await handler('account.lock').run({ user: user.name }, testContext(stateDir));
  const unlocked = await handler('account.unlock').run({ user: user.name }, testContext(stateDir));
  assert.equal(unlocked.verified, true, unlocked.summary);
  assert.equal(await passwordStatus(user.name), 'P');
  assert.equal(readShadowExpiry(user.name), '');
  assert.equal(canLogIn(user.name), true);
});

test('an account without a password and with an expiry date gets both back on unlock', async () => {
  const user = newUser(null);
  execFileSync('usermod', ['-e', '30000', user.name]);
  const stateDir = tempDir('accounts');
  assert.equal(await passwordStatus(user.name), 'NP');
  const locked = await handler('account.lock').run({ user: user.name, end_sessions: false }, testContext(stateDir));
  assert.equal(locked.verified, true, locked.summary);
  assert.deepEqual(locked.details?.previous, { status: 'NP', expire: '30000' });
  const unlocked = await handler('account.unlock').run({ user: user.name }, testContext(stateDir));
  assert.equal(unlocked.verified, true, unlocked.summary);
  assert.equal(await passwordStatus(user.name), 'NP');
  assert.equal(readShadowExpiry(user.name), '30000');
});

test('account.lock refuses root and unknown accounts and changes nothing', async () => {
  const stateDir = tempDir('accounts');
  const rootBefore = readShadowExpiry('root');
  await assert.rejects(handler('account.lock').run({ user: 'root' }, testContext(stateDir)), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input' && /root/.test(e.message));
  assert.equal(readShadowExpiry('root'), rootBefore);
  await assert.rejects(handler('account.lock').run({ user: 'vigil-no-such-user' }, testContext(stateDir)), (e: unknown) => e instanceof VigilError && e.code === 'not_found');
  await assert.rejects(handler('account.unlock').run({ user: 'vigil-no-such-user' }, testContext(stateDir)), (e: unknown) => e instanceof VigilError && e.code === 'not_found');
});
