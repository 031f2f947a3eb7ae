// The change-records source on this machine's real persistence points: useradd, a cron file in /etc/cron.d and a new
// authorized_keys entry for root produce records with diffs. Changes accounts and files: run under
// `flock /tmp/vigil-system.lock`; everything it changed is restored even when an assertion fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import type { EventSink } from '../core.js';
import { createChangeSource } from './change-source.js';

const suffix = randomBytes(3).toString('hex');
const USER = `vigilct${suffix}`;
const CRON = `/etc/cron.d/vigil-test-${suffix}`;
const SSH_DIR = '/root/.ssh';
const KEYS = join(SSH_DIR, 'authorized_keys');
const KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${suffix}vigiltestkey vigil-test-${suffix}`;
const hadSshDir = existsSync(SSH_DIR);
const keysBefore = existsSync(KEYS) ? readFileSync(KEYS) : undefined;
const stateDir = mkdtempSync(join(tmpdir(), 'vigil-changes-system-'));

for (const tool of ['useradd', 'userdel']) {
  if (!existsSync(`/usr/sbin/${tool}`)) throw new Error(`${tool} is needed for this test (apt-get install passwd)`);
}

after(() => {
  const problems: string[] = [];
  const attempt = (what: string, action: () => void) => {
    try {
      action();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  attempt('userdel', () => {
    if (execFileSync('getent', ['passwd', USER], { encoding: 'utf8' }).trim()) execFileSync('userdel', ['-r', USER], { stdio: 'ignore' });
  });
  attempt('cron file', () => rmSync(CRON, { force: true }));
  attempt('authorized_keys', () => {
    if (keysBefore !== undefined) writeFileSync(KEYS, keysBefore);
    else rmSync(KEYS, { force: true });
    if (!hadSshDir) rmSync(SSH_DIR, { recursive: true, force: true });
  });
  rmSync(stateDir, { recursive: true, force: true });
  assert.equal(execFileSync('getent', ['passwd'], { encoding: 'utf8' }).includes(`${USER}:`), false, 'test user removed');
  assert.equal(existsSync(CRON), false, 'cron file removed');
  assert.equal(existsSync(SSH_DIR), hadSshDir, '/root/.ssh restored');
  assert.deepEqual(problems, []);
});

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test('useradd, a cron file and an authorized_keys entry are change records with diffs', async () => {
  const events: Record<string, unknown>[] = [];
  const sink: EventSink = { emit: (e) => events.push(e as unknown as Record<string, unknown>), warn: () => undefined };
  const source = createChangeSource({ stateDir });
  await source.start(sink);
  try {
    assert.equal(events.length, 0, 'the first start only records the state');

    execFileSync('useradd', ['-m', '-s', '/bin/bash', USER], { stdio: 'ignore' });
    const uid = execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim();
    const created = await until('user_created', () => events.find((e) => e['event.action'] === 'user_created' && e['user.target.name'] === USER));
    assert.equal(created['event.category'], 'iam');
    assert.equal(created['user.target.id'], uid);
    assert.equal(created['user.target.home'], `/home/${USER}`);
    assert.equal(created['file.path'], '/etc/passwd');
    assert.match(String(created['change.diff']), new RegExp(`\\n\\+${USER}:x:${uid}:\\d+::/home/${USER}:/bin/bash\\n`));
    assert.match(String(created['change.before_sha256']), /^[0-9a-f]{64}$/);
    assert.notEqual(created['change.before_sha256'], created['change.after_sha256']);
    await until('group_created', () => events.find((e) => e['event.action'] === 'group_created' && e['group.target.name'] === USER));
    // The new home directory is watched from now on: its skeleton rc files appear as created.
    await until('the new home directory is watched', () => (source.stats().points! > 0 && events.some((e) => e['autostart.location'] === 'shell_rc' && String(e['file.path']).startsWith(`/home/${USER}/`)) ? true : undefined));

    writeFileSync(CRON, `*/5 * * * * root /tmp/vigil-test-${suffix}.sh\n`);
    const cron = await until('cron record', () => events.find((e) => e['file.path'] === CRON));
    assert.equal(cron['event.category'], 'autostart');
    assert.equal(cron['event.action'], 'created');
    assert.equal(cron['autostart.location'], 'cron');
    assert.equal(cron['autostart.command'], `*/5 * * * * root /tmp/vigil-test-${suffix}.sh`);

    mkdirSync(SSH_DIR, { recursive: true, mode: 0o700 });
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(KEYS, `${keysBefore?.toString() ?? ''}${KEY}\n`, { mode: 0o600 });
    const key = await until('authorized_keys record', () => events.find((e) => e['file.path'] === KEYS));
    assert.equal(key['autostart.location'], 'authorized_keys');
    assert.equal(key['autostart.user'], 'root');
    assert.equal(key['event.action'], keysBefore === undefined ? 'created' : 'modified');
    assert.ok(String(key['change.diff']).includes(`+${KEY}\n`));
    assert.equal(key['autostart.command'], KEY);

    for (const event of events) assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, [], JSON.stringify(event));
    assert.ok(!JSON.stringify(events).includes('$y$') && !JSON.stringify(events).includes('$6$'), 'no password hash in any record');
  } finally {
    await source.stop();
  }
});
