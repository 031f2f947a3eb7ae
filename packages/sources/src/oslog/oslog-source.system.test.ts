// System test: the OS log source with its defaults on this machine. Without a syslog daemon it serves /dev/log (logger
// and glibc's syslog(3) through python's syslog module reach it) and reads the kernel log; with one, it leaves /dev/log
// alone. Writes one line to /dev/kmsg. Restores /dev/log as it was, also on failure. Needs root.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, lstatSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createOslogSource, DEFAULT_LOG_FILES } from './index.js';

type Event = Record<string, unknown>;

before(() => assert.equal(process.getuid?.(), 0, 'the OS log system test must run as root (/dev/log, /dev/kmsg)'));

async function waitFor<T>(what: string, find: () => T | undefined, ms = 10000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('defaults: /dev/log when free, the kernel log, and tailed files reach the sink as log events', { timeout: 60000 }, async (t) => {
  const devLogBefore = existsSync('/dev/log') ? lstatSync('/dev/log').ino : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-oslog-sys-'));
  const file = join(dir, 'app.log');
  writeFileSync(file, '');
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    // A failed run must not leave our /dev/log behind.
    if (devLogBefore === undefined && existsSync('/dev/log')) unlinkSync('/dev/log');
  });
  const events: Event[] = [];
  const warnings: string[] = [];
  const source = createOslogSource({ files: [...DEFAULT_LOG_FILES, file], kmsg: devLogBefore === undefined ? 'auto' : true, pollMs: 100, kmsgPollMs: 100 });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await source.stop();
  });
  await source.start({ emit: (e: CollectedEvent) => events.push(e as Event), warn: (m) => warnings.push(m) });
  const tag = randomBytes(4).toString('hex');

  if (devLogBefore === undefined) {
    assert.ok(lstatSync('/dev/log').isSocket(), 'the source serves /dev/log');
    execFileSync('logger', ['-t', `vigil-${tag}`, '-p', 'authpriv.notice', `logger line ${tag}`]);
    const fromLogger = await waitFor('the logger line', () => events.find((e) => e['log.syslog.appname'] === `vigil-${tag}`));
    assert.equal(fromLogger['event.provider'], 'syslog');
    assert.equal(fromLogger['log.level'], 'notice');
    assert.equal(fromLogger['log.syslog.facility.name'], 'authpriv');
    assert.equal(fromLogger.message, `logger line ${tag}`);
    // glibc syslog(3): NUL-free datagram with tag[pid].
    const python = execFileSync('/usr/bin/python3', ['-c', `import os, syslog; syslog.openlog('vigil-py-${tag}', syslog.LOG_PID, syslog.LOG_DAEMON); syslog.syslog(syslog.LOG_ERR, 'from glibc'); print(os.getpid())`], { encoding: 'utf8' });
    const fromGlibc = await waitFor('the syslog(3) line', () => events.find((e) => e['log.syslog.appname'] === `vigil-py-${tag}`));
    assert.equal(fromGlibc['process.pid'], Number(python.trim()));
    assert.equal(fromGlibc['log.level'], 'err');
    assert.equal(fromGlibc['log.syslog.facility.name'], 'daemon');
  } else {
    assert.equal(lstatSync('/dev/log').ino, devLogBefore, 'a syslog daemon keeps its /dev/log');
  }

  writeFileSync('/dev/kmsg', `<4>vigil-kmsg-${tag}: kernel log line\n`);
  const kernel = await waitFor('the /dev/kmsg line', () => events.find((e) => e['event.provider'] === 'kmsg' && String(e.message).includes(`vigil-kmsg-${tag}`)));
  assert.equal(kernel['log.syslog.severity.code'], 4);
  assert.equal(kernel['log.level'], 'warning');
  assert.ok(Math.abs(Date.parse(String(kernel['@timestamp'])) - Date.now()) < 60000, 'kernel time converted to wall time');

  appendFileSync(file, `Dec  5 10:00:00 vm vigil-file-${tag}[7]: file line\n`);
  const fromFile = await waitFor('the tailed line', () => events.find((e) => e['log.syslog.appname'] === `vigil-file-${tag}`));
  assert.equal(fromFile['log.file.path'], file);

  for (const event of events) assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, [], JSON.stringify(event));
  await source.stop();
  stopped = true;
  if (devLogBefore === undefined) assert.equal(existsSync('/dev/log'), false, '/dev/log is removed on stop');
  else assert.equal(lstatSync('/dev/log').ino, devLogBefore);
  assert.deepEqual(warnings, []);
});
