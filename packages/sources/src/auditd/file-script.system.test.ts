// System test: file operations, script execution, LD_PRELOAD / ld.so.preload and /proc/<pid>/mem writes through the
// real auditd source on this machine, with the default watch set. Needs root; restores audit rules, /etc/ld.so.preload
// and the files it made, also on failure. Run by hand as `flock /tmp/vigil-system.lock node --test ...`.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createAuditdSource } from './index.js';

type Event = Record<string, unknown>;
const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const PRELOAD = '/etc/ld.so.preload';

before(() => assert.equal(process.getuid?.(), 0, 'the file/script system test must run as root (audit rules)'));

async function waitFor<T>(what: string, find: () => T | undefined, ms = 10000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function run(file: string, args: string[], options: SpawnOptions = {}): Promise<{ pid: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ pid: child.pid!, code, stderr }));
  });
}

test('file operations, scripts, preloading and /proc/<pid>/mem writes arrive with the acting process', { timeout: 180000 }, async (t) => {
  const rulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-files-')));
  const preloadBefore = existsSync(PRELOAD) ? readFileSync(PRELOAD) : undefined;
  const locked = join(work, 'locked.conf');
  t.after(() => {
    // Cleanup runs even when an assertion failed: the immutable flag first, or the folder cannot be removed.
    try {
      execFileSync('chattr', ['-i', locked], { stdio: 'ignore' });
    } catch {
      // never locked
    }
    rmSync(work, { recursive: true, force: true });
    if (preloadBefore === undefined) {
      if (existsSync(PRELOAD)) unlinkSync(PRELOAD);
    } else writeFileSync(PRELOAD, preloadBefore);
  });

  const events: Event[] = [];
  const warnings: string[] = [];
  const source = createAuditdSource({ files: {} });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await source.stop();
  });
  await source.start({ emit: (event: CollectedEvent) => events.push(event as Event), warn: (message) => warnings.push(message) });
  const rules = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  assert.match(rules, /-w \/tmp -p wa|dir=\/tmp /, rules);
  assert.match(rules, /dir=\/proc/);
  const find = (category: string, action: string, match: (e: Event) => boolean) => () => events.find((e) => e['event.category'] === category && e['event.action'] === action && match(e));

  // --- file operations, each by its own process so the acting pid is known
  const tag = randomBytes(4).toString('hex');
  const note = join(work, `note-${tag}.txt`);
  const copy = join(work, `tool-${tag}`);
  const moved = join(work, `moved-${tag}`);
  const byPid = (pid: number, path: string) => (e: Event) => e['process.pid'] === pid && e['file.path'] === path;
  const created = await run('/bin/sh', ['-c', `echo one > ${note}`]);
  const appended = await run('/bin/sh', ['-c', `echo two >> ${note}`]);
  const cp = await run('/bin/cp', ['/bin/true', copy]);
  const create = await waitFor('the create', find('file', 'create', byPid(created.pid, note)));
  assert.equal(create['process.executable'], realpathSync('/bin/sh'));
  assert.equal(create['process.parent.pid'], process.pid);
  assert.equal(create['user.name'], 'root');
  assert.equal(create['file.directory'], work);
  await waitFor('the append', find('file', 'modify', byPid(appended.pid, note)));
  // Written files are looked at once they settle: the hash is of the content the writer left.
  const dropped = await waitFor('the copied executable', find('file', 'create', byPid(cp.pid, copy)));
  assert.equal(dropped['process.executable'], realpathSync('/bin/cp'));
  assert.equal(dropped['file.executable'], true, JSON.stringify(dropped));
  assert.equal(dropped['file.hash.sha256'], sha256File(realpathSync('/bin/true')), 'hashed after the copy finished');
  const chmod = await run('/bin/chmod', ['4755', copy]);
  const chown = await run('/bin/chown', ['nobody', note]);
  const mv = await run('/bin/mv', [copy, moved]);
  const rm = await run('/bin/rm', ['-f', moved]);
  writeFileSync(locked, 'x');
  const chattr = await run('/usr/bin/chattr', ['+i', locked]);
  assert.equal(chattr.code, 0, `chattr +i: ${chattr.stderr}`);

  const setuid = await waitFor('the chmod', find('file', 'permission_change', byPid(chmod.pid, copy)));
  assert.equal(setuid['file.setuid'], true);
  assert.equal(setuid['file.mode'], '4755');
  const owner = await waitFor('the chown', find('file', 'owner_change', byPid(chown.pid, note)));
  assert.equal(owner['file.uid'], '65534');
  const rename = await waitFor('the rename', find('file', 'rename', byPid(mv.pid, moved)));
  assert.equal(rename['file.previous_path'], copy);
  await waitFor('the delete', find('file', 'delete', byPid(rm.pid, moved)));
  const flags = await waitFor('the chattr', find('file', 'attribute_change', byPid(chattr.pid, locked)));
  assert.deepEqual(flags['file.attributes'], ['immutable']);

  // --- scripts: code on the command line and a script file run through its shebang
  const bash = await run('/bin/bash', ['-c', `echo vigil-${tag} > /dev/null`]);
  const python = await run('/usr/bin/python3', ['-c', `print("vigil-${tag}")`]);
  const script = join(work, `run-${tag}.sh`);
  writeFileSync(script, `#!/bin/sh\necho vigil-${tag} > /dev/null\n`);
  chmodSync(script, 0o755);
  const shebang = await run(script, []);
  const bashScript = await waitFor('bash -c', find('script', 'command', (e) => e['process.pid'] === bash.pid));
  assert.equal(bashScript['script.text'], `echo vigil-${tag} > /dev/null`);
  assert.equal(bashScript['script.language'], 'bash');
  assert.equal(bashScript['process.parent.pid'], process.pid);
  const pythonScript = await waitFor('python3 -c', find('script', 'command', (e) => e['process.pid'] === python.pid));
  assert.equal(pythonScript['script.language'], 'python');
  assert.equal(pythonScript['script.text'], `print("vigil-${tag}")`);
  const fileScript = await waitFor('the script file', find('script', 'file', (e) => e['process.pid'] === shebang.pid));
  assert.equal(fileScript['script.path'], script);
  assert.equal(fileScript['script.hash.sha256'], sha256File(script));

  // --- LD_PRELOAD in a new process's environment (read from /proc while it runs), and /etc/ld.so.preload written
  const library = join(work, `.hook-${tag}.so`);
  const preloaded = await run('/bin/sleep', ['1'], { env: { ...process.env, LD_PRELOAD: library } });
  const preloadEvent = await waitFor('the LD_PRELOAD start', find('injection', 'ld_preload', (e) => e['process.pid'] === preloaded.pid));
  assert.equal(preloadEvent['file.path'], library);
  assert.equal(preloadEvent['process.executable'], realpathSync('/bin/sleep'));
  // libc is loaded by every dynamic program already, so listing it in ld.so.preload changes nothing for them.
  const libc = realpathSync('/lib/x86_64-linux-gnu/libc.so.6');
  const writer = await run('/bin/sh', ['-c', `echo ${libc} > ${PRELOAD}`]);
  const preloadWrite = await waitFor('the ld.so.preload write', find('file', preloadBefore ? 'modify' : 'create', byPid(writer.pid, PRELOAD)));
  assert.equal(preloadWrite['process.executable'], realpathSync('/bin/sh'));
  const listed = await waitFor('the ld.so.preload library', find('injection', 'ld_preload', (e) => e['process.pid'] === writer.pid && e['file.path'] === libc));
  assert.match(String(listed.message), /ld\.so\.preload/);
  if (preloadBefore === undefined) unlinkSync(PRELOAD);
  else writeFileSync(PRELOAD, preloadBefore);

  // --- a write into a child's memory through /proc/<pid>/mem
  const injector = [
    'import ctypes, os, subprocess, time',
    "target = subprocess.Popen(['/bin/sleep', '5']); time.sleep(0.2)",
    'libc = ctypes.CDLL(None)',
    'libc.ptrace(16, target.pid, None, None); os.waitpid(target.pid, 0)',
    "maps = open(f'/proc/{target.pid}/maps').read().split('\\n')",
    "address = int([l for l in maps if ' rw-p ' in l][0].split('-')[0], 16)",
    "mem = open(f'/proc/{target.pid}/mem', 'r+b', buffering=0); mem.seek(address); mem.write(mem.read(8)); mem.close()",
    'libc.ptrace(17, target.pid, None, None); target.kill(); target.wait()',
    'print(target.pid)',
  ].join('\n');
  const injected = await new Promise<{ pid: number; target: number }>((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', injector], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ pid: child.pid!, target: Number(out.trim()) }) : reject(new Error(`injector exited ${code}`))));
  });
  const memWrite = await waitFor('the /proc/<pid>/mem write', find('injection', 'proc_mem_write', (e) => e['process.pid'] === injected.pid));
  assert.equal(memWrite['target.process.pid'], injected.target);
  assert.equal(memWrite['file.path'], `/proc/${injected.target}/mem`);
  assert.match(String(memWrite['process.executable']), /python3/);

  // --- a sysctl written with its own value
  const sysctl = '/proc/sys/vm/overcommit_ratio';
  const writeSysctl = await run('/bin/sh', ['-c', `echo $(cat ${sysctl}) > ${sysctl}`]);
  await waitFor('the sysctl write', find('file', 'modify', byPid(writeSysctl.pid, sysctl)));

  for (const event of events) {
    const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'test-host' };
    assert.deepEqual(checkEvent(full, 'event').problems, [], JSON.stringify(event));
  }
  assert.equal(events.filter((e) => e['process.pid'] === process.pid && e['event.category'] === 'file').length, 0, 'the agent never reports its own writes');
  const stats = source.stats();
  assert.equal(stats.parseErrors, 0, warnings.join('\n'));
  assert.ok(stats.watchRules! >= 5, JSON.stringify(stats));
  assert.equal(stats.serialGaps, 0, 'no audit event lost');

  execFileSync('chattr', ['-i', locked]);
  await source.stop();
  stopped = true;
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), rulesBefore, 'audit rules are back');
});
