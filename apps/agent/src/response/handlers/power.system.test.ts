// host.reboot and host.shutdown for real, inside a new PID namespace (unshare --pid --fork --mount-proc): the
// handler reports first, then its reboot(2) (through `reboot -f` / `poweroff -f`) ends that namespace's init with
// SIGHUP (reboot) or SIGINT (power off), which proves the call was made without taking the machine down.
// NEVER run these handlers in the root namespace. Run as root under `flock /tmp/vigil-system.lock`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanupTestSupport, tempDir } from './internal/test-support.js';

const handlerModule = pathToFileURL(fileURLToPath(new URL('./power.js', import.meta.url))).href;
/** Login records the systemctl halt compatibility writes on a forced reboot; restored after the test. */
const loginRecords = ['/var/log/wtmp', '/run/utmp', '/var/log/btmp'];
const saved = new Map<string, { content: Buffer; mode: number } | undefined>();

before(() => {
  assert.equal(process.getuid?.(), 0, 'the power test needs root (PID namespaces, reboot(2))');
  for (const file of loginRecords) saved.set(file, existsSync(file) ? { content: readFileSync(file), mode: statSync(file).mode } : undefined);
});
after(() => {
  for (const [file, before] of saved) {
    if (before) writeFileSync(file, before.content, { mode: before.mode & 0o7777 });
    else rmSync(file, { force: true });
  }
  cleanupTestSupport();
});

/** Runs the handler as PID 1 of a new PID namespace; resolves with its report and how the namespace's init ended. */
async function inPidNamespace(action: 'host.reboot' | 'host.shutdown'): Promise<{ stdout: string; signal: NodeJS.Signals | null; code: number | null; stateDir: string }> {
  const stateDir = tempDir('power');
  const script = join(stateDir, 'power-in-namespace.mjs');
  writeFileSync(
    script,
    `import { createPowerHandlers } from ${JSON.stringify(handlerModule)};
// Refuse to do anything unless this process is PID 1 of its own PID namespace.
if (process.pid !== 1) { console.log(JSON.stringify({ refused: 'not pid 1, pid ' + process.pid })); process.exit(3); }
const handler = createPowerHandlers({ sysrqTrigger: false, graceMs: 5000 }).find((h) => h.action === ${JSON.stringify(action)});
const context = { agentId: 'ns-agent', stateDir: ${JSON.stringify(stateDir)}, server: { host: '127.0.0.1', port: 1 }, taskId: 'power-task', signal: new AbortController().signal, progress() {} };
const outcome = await handler.run({ delay_seconds: 1, reason: 'power test' }, context);
console.log(JSON.stringify(outcome));
setInterval(() => {}, 1000);
`,
  );
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = (await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.notEqual(signal, 'SIGKILL', `the namespace did not end within 30 s: ${stdout} ${stderr}`);
  return { stdout, signal, code, stateDir };
}

for (const [action, signal] of [['host.reboot', 'SIGHUP'], ['host.shutdown', 'SIGINT']] as const) {
  test(`${action} reports success first, then reboot(2) ends the PID namespace with ${signal}`, async () => {
    const bootBefore = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8');
    const result = await inPidNamespace(action);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, `exactly one report before the power-off: ${result.stdout}`);
    const outcome = JSON.parse(lines[0]!) as { ok: boolean; verified: boolean; summary: string; details: { action: string; delay_seconds: number; methods: string[] } };
    assert.equal(outcome.ok, true, result.stdout);
    assert.equal(outcome.verified, false, 'a power-off cannot be verified before it happens');
    assert.equal(outcome.details.action, action);
    assert.equal(outcome.details.delay_seconds, 1);
    assert.match(outcome.details.methods[0]!, action === 'host.reboot' ? /^reboot -f$/ : /^poweroff -f$/);
    // reboot(2) in a child PID namespace kills its init and reports the command as its exit signal.
    assert.equal(result.signal, signal, `namespace init ended with code ${result.code}, signal ${result.signal}`);
    const marker = JSON.parse(readFileSync(join(result.stateDir, 'power-pending.json'), 'utf8')) as { action: string; task_id: string; boot_id: string };
    assert.deepEqual([marker.action, marker.task_id, marker.boot_id], [action, 'power-task', bootBefore.trim()]);
    assert.equal(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'), bootBefore, 'this host is still up');
  });
}
