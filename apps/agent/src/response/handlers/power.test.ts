// host.reboot / host.shutdown scheduling with harmless stand-in commands (the real reboot(2) runs only inside a PID
// namespace, in power.system.test.ts): the report comes before the command, commands are tried in order, a host
// without any way to power off is refused, and the next start reads the marker.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VigilError } from '@vigil/common';
import { createPowerHandlers, defaultPowerCommands } from './power.js';
import { cleanupTestSupport, tempDir, testContext, waitFor } from './internal/test-support.js';

after(cleanupTestSupport);

test('the report comes first; after the delay the commands run in order until one takes the host down', async () => {
  const stateDir = tempDir('power');
  const log = join(stateDir, 'ran.log');
  const commands = {
    reboot: [['sh', '-c', `echo first >> ${log}; exit 1`], ['sh', '-c', `echo second >> ${log}`]],
    shutdown: [['sh', '-c', `echo off >> ${log}`]],
  };
  const reboot = createPowerHandlers({ commands, sysrqTrigger: false, graceMs: 50 }).find((h) => h.action === 'host.reboot')!;
  const outcome = await reboot.run({ delay_seconds: 1 }, testContext(stateDir, 'reboot-task'));
  assert.equal(outcome.ok, true);
  assert.equal(outcome.verified, false);
  assert.equal(existsSync(log), false, 'nothing ran before the report');
  assert.deepEqual(outcome.details?.methods, commands.reboot.map((c) => c.join(' ')));
  const ran = await waitFor('both commands', () => (existsSync(log) && readFileSync(log, 'utf8').includes('second') ? readFileSync(log, 'utf8') : undefined), 5000);
  assert.equal(ran, 'first\nsecond\n');
});

test('a host without any power command or SysRq trigger is refused; defaults prefer reboot -f without systemd', async () => {
  const [shutdown] = createPowerHandlers({ commands: { reboot: [], shutdown: [['/nonexistent/poweroff', '-f']] }, sysrqTrigger: false });
  await assert.rejects(shutdown!.run({}, testContext(tempDir('power'))), (e: unknown) => e instanceof VigilError && e.code === 'system' && /no way to shutdown/.test(e.message));
  assert.deepEqual(defaultPowerCommands(false).reboot[0], ['reboot', '-f']);
  assert.deepEqual(defaultPowerCommands(false).shutdown[0], ['poweroff', '-f']);
  assert.deepEqual(defaultPowerCommands(true).reboot[0], ['systemctl', 'reboot', '--force']);
});

test('restore at the next start consumes the marker of its action only', async () => {
  const stateDir = tempDir('power');
  const marker = join(stateDir, 'power-pending.json');
  const [shutdown, reboot] = createPowerHandlers({ sysrqTrigger: false });
  writeFileSync(marker, JSON.stringify({ action: 'host.reboot', task_id: 't', boot_id: 'an-older-boot', scheduled_at: '2026-12-05T00:00:00Z' }));
  const context = { agentId: 'a', stateDir, server: { host: '127.0.0.1', port: 1 }, signal: new AbortController().signal };
  await shutdown!.restore!(context);
  assert.equal(existsSync(marker), true, 'another action leaves the marker alone');
  await reboot!.restore!(context);
  assert.equal(existsSync(marker), false);
  writeFileSync(marker, '{not json');
  await reboot!.restore!(context);
  assert.equal(existsSync(marker), false, 'an unreadable marker is removed');
});
