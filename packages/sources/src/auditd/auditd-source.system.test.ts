// System test: the real auditd source on this machine. Needs root and auditd installed; runs alone (one audit daemon).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createAuditdSource, DEFAULT_AUDITD_SOCKET } from './index.js';

const AF_UNIX_CONF = '/etc/audit/plugins.d/af_unix.conf';
const AUDITD_CONF = '/etc/audit/auditd.conf';

interface MachineState {
  rules: string;
  conf: Buffer | undefined;
  auditdConf: Buffer;
  auditdPids: number[];
  enabled: string | undefined;
  backlogLimit: string | undefined;
  backlogWaitTime: string | undefined;
}

/** Pids of live (non-zombie) processes named auditd. */
function auditdPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (name === 'auditd' && state !== 'Z') pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids.sort();
}

function machineState(): MachineState {
  const status = execFileSync('auditctl', ['-s'], { encoding: 'utf8' });
  return {
    rules: execFileSync('auditctl', ['-l'], { encoding: 'utf8' }),
    conf: existsSync(AF_UNIX_CONF) ? readFileSync(AF_UNIX_CONF) : undefined,
    auditdConf: readFileSync(AUDITD_CONF),
    auditdPids: auditdPids(),
    enabled: /^enabled (\d+)/m.exec(status)?.[1],
    backlogLimit: /^backlog_limit (\d+)/m.exec(status)?.[1],
    backlogWaitTime: /^backlog_wait_time (\d+)/m.exec(status)?.[1],
  };
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function waitFor<T>(what: string, find: () => T | undefined, ms = 10000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Run {
  file: string;
  args: string[];
  pid: number | undefined;
  code: number | null;
  error?: NodeJS.ErrnoException;
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, stdio: 'ignore' });
    child.on('error', (error) => resolve({ file, args, pid: child.pid, code: null, error }));
    child.on('exit', (code) => resolve({ file, args, pid: child.pid, code }));
  });
}

/** System tests fail loudly, never skip, where they cannot run: the audit subsystem needs root. */
before(() => assert.equal(process.getuid?.(), 0, 'the auditd system test must run as root (the audit subsystem needs it)'));

test('auditd source: real execs and exits arrive complete, and stop leaves the machine as it was', { timeout: 120000 }, async (t) => {
  const before = machineState();
  const work = mkdtempSync(join(tmpdir(), 'vigil-auditd-'));
  const cwd = realpathSync(work);
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const noexec = join(cwd, 'not-executable.sh');
  writeFileSync(noexec, '#!/bin/sh\necho never\n');
  chmodSync(noexec, 0o644);

  const events: CollectedEvent[] = [];
  const warnings: string[] = [];
  const source = createAuditdSource();
  assert.equal(source.name, 'auditd');
  assert.deepEqual(source.platforms, ['linux']);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await source.stop();
  });
  await source.start({ emit: (event) => events.push(event), warn: (message) => warnings.push(message) });
  assert.ok(existsSync(DEFAULT_AUDITD_SOCKET), 'the af_unix socket exists while running');
  assert.match(execFileSync('auditctl', ['-s'], { encoding: 'utf8' }), /^backlog_wait_time 25$/m, 'backlog waits are bounded while running');
  assert.match(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), /key=vigil/);

  const tag = randomBytes(6).toString('hex');
  const runs: Run[] = [];
  for (let i = 0; i < 50; i++) {
    const marker = `vigil-test-${tag}-${i}`;
    runs.push(await (i % 2 === 0 ? run('/bin/echo', [marker, `arg with spaces ${i}`], cwd) : run('/bin/sh', ['-c', `exit ${i}`, marker], cwd)));
  }
  const failed = await run(noexec, [`vigil-test-${tag}-fail`], cwd);
  assert.equal(failed.error?.code, 'EACCES');

  const me = process.pid;
  const nodeExe = realpathSync(process.execPath);
  const hashes = new Map([
    ['/bin/echo', sha256File(realpathSync('/bin/echo'))],
    ['/bin/sh', sha256File(realpathSync('/bin/sh'))],
  ]);
  const find = (pid: number | undefined, action: string) =>
    events.find((e) => e['event.category'] === 'process' && e['process.pid'] === pid && e['event.action'] === action);

  for (const r of runs) {
    assert.equal(r.error, undefined);
    const start = await waitFor(`the start of ${r.file} ${r.args.join(' ')} (pid ${r.pid})`, () => find(r.pid, 'start'));
    const where = `${r.file} ${r.args.join(' ')}`;
    assert.equal(start['event.outcome'], 'success', where);
    assert.equal(start['event.provider'], 'auditd');
    assert.equal(start['event.type'], 'start');
    assert.equal(start['process.parent.pid'], me, where);
    assert.equal(start['process.parent.executable'], nodeExe, where);
    assert.deepEqual(start['process.args'], [r.file, ...r.args], where);
    assert.equal(start['process.args_count'], r.args.length + 1);
    assert.equal(start['process.command_line'], [r.file, ...r.args].join(' '));
    assert.equal(start['process.executable'], realpathSync(r.file), where);
    assert.equal(start['process.hash.sha256'], hashes.get(r.file), where);
    assert.equal(start['process.working_directory'], cwd, where);
    assert.equal(start['user.id'], '0');
    assert.equal(start['user.name'], 'root');
    assert.equal(start['user.effective.id'], '0');
    assert.equal(start['group.id'], '0');
    assert.ok(Math.abs(Date.parse(start['@timestamp']) - Date.now()) < 60000, start['@timestamp']);
    const exit = await waitFor(`the exit of pid ${r.pid}`, () => find(r.pid, 'exit'));
    assert.equal(exit['process.exit_code'], r.code, where);
    assert.equal(exit['event.type'], 'end');
    assert.equal(exit['process.parent.pid'], me);
    assert.equal(exit['process.executable'], realpathSync(r.file));
    assert.ok(Date.parse(exit['@timestamp']) >= Date.parse(start['@timestamp']));
  }

  const failure = await waitFor('the failed exec', () =>
    events.find((e) => e['event.category'] === 'process' && e['event.outcome'] === 'failure' && e['process.executable'] === noexec),
  );
  assert.equal(failure['event.action'], 'start');
  assert.equal(failure['process.parent.pid'], me);
  assert.equal(failure['process.working_directory'], cwd);

  // Kernel module load and unload attempts (this kernel has no loadable modules: both are refused, and still audited).
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const moduleCalls = await run(python, ['-c', 'import ctypes; libc = ctypes.CDLL(None); libc.syscall(175, None, 0, b""); libc.syscall(176, b"vigil_test_mod", 0)'], cwd);
  assert.equal(moduleCalls.code, 0, JSON.stringify(moduleCalls));
  const moduleEvent = (action: string) => events.find((e) => e['event.category'] === 'driver' && e['process.pid'] === moduleCalls.pid && e['event.action'] === action);
  const attempt = await waitFor('the refused module load', () => moduleEvent('load_attempt'));
  assert.equal(attempt['event.outcome'], 'failure');
  assert.equal(attempt['event.provider'], 'auditd');
  assert.equal(attempt['process.parent.pid'], me);
  assert.match(String(attempt['process.executable']), /python3/);
  const unload = await waitFor('the module unload attempt', () => moduleEvent('unload'));
  assert.equal(unload['event.outcome'], 'failure');

  // su to another account: PAM's session records become a privilege switch and a logoff.
  const su = await run('/usr/bin/su', ['-s', '/bin/sh', 'nobody', '-c', 'true'], cwd);
  assert.equal(su.code, 0, JSON.stringify(su));
  const loginEvent = (action: string) => events.find((e) => e['event.category'] === 'authentication' && e['logon.service'] === 'su' && e['event.action'] === action && e['user.target.name'] === 'nobody');
  const switched = await waitFor('the su privilege switch', () => loginEvent('privilege_switch'));
  assert.equal(switched['event.outcome'], 'success');
  assert.equal(switched['process.pid'], su.pid);
  assert.equal(switched['user.id'], '0');

  // Injection: ptrace attach of a child, a (refused) process_vm_writev into it, and a program run from a memfd.
  const injector = [
    'import ctypes, os, subprocess, time',
    'libc = ctypes.CDLL(None)',
    "target = subprocess.Popen(['/bin/sleep', '5']); time.sleep(0.2)",
    'libc.ptrace(16, target.pid, None, None); os.waitpid(target.pid, 0); libc.ptrace(17, target.pid, None, None)',
    "class iovec(ctypes.Structure): _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]",
    "buf = ctypes.create_string_buffer(b'x' * 8); local = iovec(ctypes.cast(buf, ctypes.c_void_p), 8); remote = iovec(0x1000, 8)",
    'libc.syscall(311, target.pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)',
    'target.kill(); target.wait()',
    "fd = os.memfd_create('vigil-test'); os.write(fd, open('/bin/true', 'rb').read())",
    'child = os.fork()',
    "if child == 0: os.execv(f'/proc/self/fd/{fd}', ['vigil-memfd'])",
    'os.waitpid(child, 0)',
  ].join('\n');
  const injected = await run(python, ['-c', injector], cwd);
  assert.equal(injected.code, 0, JSON.stringify(injected));
  const injection = (action: string) =>
    events.find((e) => e['event.category'] === 'injection' && e['event.action'] === action && (e['process.pid'] === injected.pid || e['process.parent.pid'] === injected.pid)) as
      | Record<string, unknown>
      | undefined;
  const attach = await waitFor('the ptrace attach', () => injection('ptrace_attach'));
  assert.equal(attach['event.outcome'], 'success');
  assert.ok(Number(attach['target.process.pid']) > 0);
  assert.match(String(attach['process.executable']), /python3/);
  const write = await waitFor('the process_vm_writev', () => injection('process_vm_write'));
  assert.equal(write['target.process.pid'], attach['target.process.pid']);
  const fileless = await waitFor('the memfd execution', () => injection('memfd_exec'));
  assert.match(String(fileless['process.executable']), /^\/memfd:vigil-test/);

  for (const event of events) {
    const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'test-host' };
    assert.deepEqual(checkEvent(full, 'event').problems, [], JSON.stringify(event));
  }
  const stats = source.stats();
  assert.ok(stats.records! > 0 && stats.events! >= 101, JSON.stringify(stats));
  assert.equal(stats.parseErrors, 0, warnings.join('\n'));

  await source.stop();
  stopped = true;
  await source.stop();
  const after = machineState();
  assert.equal(after.rules, before.rules, 'audit rules are back');
  assert.deepEqual(after.conf, before.conf, 'af_unix.conf is byte-identical');
  assert.deepEqual(after.auditdConf, before.auditdConf, 'auditd.conf (q_depth raised while running) is byte-identical');
  // A running auditd 3.0.9 may have been restarted (new pid) when its reloaded af_unix plugin accepted no connection.
  assert.equal(after.auditdPids.length > 0, before.auditdPids.length > 0, 'auditd runs, or does not, as before');
  if (before.auditdPids.length === 0) assert.deepEqual(after.auditdPids, []);
  assert.equal(after.enabled, before.enabled, 'the kernel enabled flag is back');
  assert.equal(after.backlogLimit, before.backlogLimit, 'the backlog limit is back');
  assert.equal(after.backlogWaitTime, before.backlogWaitTime, 'the backlog wait time is back');
  assert.equal(existsSync(DEFAULT_AUDITD_SOCKET), false, 'our socket is gone');
  assert.equal(stats.serialGaps, 0, 'no audit event was lost between the kernel and us');
});

const JOURNAL = '/var/lib/vigil/auditd-source.json';

test('after a crash (SIGKILL) the next run restores the state the crashed run recorded', { timeout: 120000 }, async (t) => {
  const before = machineState();
  const journalDirExisted = existsSync('/var/lib/vigil');
  const script = [
    `import { createAuditdSource } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};`,
    'const source = createAuditdSource();',
    'await source.start({ emit() {}, warn() {} });',
    "process.stdout.write('ready\\n');",
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('ready') ? resolve() : undefined));
    child.on('exit', (code) => reject(new Error(`the child exited with ${code} before it was ready`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(JOURNAL), 'the crashed run left its journal');
  assert.notDeepEqual(readFileSync(AF_UNIX_CONF), before.conf, 'the crashed run left its plugin config');
  assert.match(readFileSync(AUDITD_CONF, 'utf8'), /^q_depth = 65536$/m, 'the crashed run left its raised queue depth');
  assert.match(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), /key=vigil/);

  const warnings: string[] = [];
  const source = createAuditdSource();
  await source.start({ emit: () => undefined, warn: (message) => warnings.push(message) });
  assert.ok(warnings.some((w) => w.includes('did not stop cleanly')), warnings.join('\n'));
  await source.stop();
  const after = machineState();
  assert.equal(after.rules, before.rules);
  assert.deepEqual(after.conf, before.conf);
  assert.deepEqual(after.auditdConf, before.auditdConf, 'auditd.conf is back from the journal');
  assert.equal(after.auditdPids.length > 0, before.auditdPids.length > 0);
  assert.equal(after.enabled, before.enabled);
  assert.equal(after.backlogLimit, before.backlogLimit);
  assert.equal(after.backlogWaitTime, before.backlogWaitTime, 'the backlog wait time the crashed run changed is back');
  assert.equal(existsSync(JOURNAL), false, 'the journal is gone');
  assert.equal(existsSync('/var/lib/vigil'), journalDirExisted);
});
