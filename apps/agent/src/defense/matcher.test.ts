// Unit tests of the blocklist matcher (globs, exact paths, hashes, command lines) and of the bpftrace program text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import type { BlocklistPolicy } from '@vigil/protocol/blocklist';
import { globToRegExp } from '@vigil/common';
import { compileBlocklist, KERNEL_PATH_MAX } from './matcher.js';
import { execMonitorProgram, parseMonitorLine } from './bpftrace-program.js';

const HASH = 'a'.repeat(64);
const policy: BlocklistPolicy = {
  version: 3,
  updated_at: '2026-12-05T00:00:00.000Z',
  entries: [
    { id: 'p1', kind: 'path', value: '/tmp/evil', description: 'exact' },
    { id: 'p2', kind: 'path', value: '/opt/tools/*/miner', description: 'one segment' },
    { id: 'p3', kind: 'path', value: '/dev/shm/**', description: 'anything below' },
    { id: 'h1', kind: 'sha256', value: HASH, description: 'hash' },
    { id: 'c1', kind: 'cmdline', value: 'xmrig\\s+--donate-level', description: 'miner flags' },
    { id: 'p4', kind: 'path', value: '/tmp/has "quote"', description: 'not kernel safe' },
  ],
};

test('globs: * and ? stay within a segment, ** crosses segments, classes and literal dots work', () => {
  assert.ok(globToRegExp('/opt/*/miner').test('/opt/x/miner'));
  assert.ok(!globToRegExp('/opt/*/miner').test('/opt/x/y/miner'));
  assert.ok(globToRegExp('/opt/**/miner').test('/opt/x/y/miner'));
  assert.ok(globToRegExp('/tmp/a?c').test('/tmp/abc'));
  assert.ok(!globToRegExp('/tmp/a?c').test('/tmp/a/c'));
  assert.ok(globToRegExp('/tmp/[ab]x').test('/tmp/bx'));
  assert.ok(!globToRegExp('/tmp/[!ab]x').test('/tmp/bx'));
  assert.ok(!globToRegExp('/tmp/a.b').test('/tmp/aXb'));
  assert.ok(globToRegExp('/tmp/(x)+').test('/tmp/(x)+'), 'regex characters are literal');
});

test('matching: exact path on the execve path or the resolved executable, globs, command lines; hashes separately', () => {
  const rules = compileBlocklist(policy);
  assert.deepEqual(rules.kernelPaths, ['/tmp/evil']);
  assert.equal(rules.needsHash, true);
  assert.equal(rules.matchWithoutHash({ filename: '/tmp/evil' })?.id, 'p1');
  assert.equal(rules.matchWithoutHash({ filename: './evil', executable: '/tmp/evil' })?.id, 'p1', 'relative exec, resolved executable matches');
  assert.equal(rules.matchWithoutHash({ filename: '/opt/tools/v2/miner' })?.id, 'p2');
  assert.equal(rules.matchWithoutHash({ filename: '/dev/shm/a/b/c' })?.id, 'p3');
  assert.equal(rules.matchWithoutHash({ filename: '/usr/bin/xmrig', commandLine: '/usr/bin/xmrig  --donate-level 1' })?.id, 'c1');
  assert.equal(rules.matchWithoutHash({ filename: '/usr/bin/ls', executable: '/usr/bin/ls', commandLine: 'ls -l' }), undefined);
  assert.equal(rules.matchWithoutHash({ filename: '/tmp/evil2' }), undefined);
  assert.equal(rules.matchHash(HASH)?.id, 'h1');
  assert.equal(rules.matchHash('b'.repeat(64)), undefined);
  assert.equal(rules.kernelEntry('/tmp/evil')?.id, 'p1');
  assert.equal(compileBlocklist({ ...policy, entries: [] }).userspaceEntries, 0);
});

test('kernel paths: only printable paths without quotes or backslashes, and short enough to compare exactly', () => {
  const long = `/tmp/${'x'.repeat(KERNEL_PATH_MAX)}`;
  const rules = compileBlocklist({ ...policy, entries: [{ id: 'l', kind: 'path', value: long, description: '' }, { id: 'u', kind: 'path', value: '/tmp/ünï', description: '' }] });
  assert.deepEqual(rules.kernelPaths, []);
  assert.equal(rules.matchWithoutHash({ filename: long })?.id, 'l', 'still matched in user space');
});

test('bpftrace program: one kill probe per 64 paths excluding the agent and its children, then the report probe', () => {
  const paths = Array.from({ length: 65 }, (_, i) => `/tmp/p${i}`);
  const program = execMonitorProgram(paths, 4242);
  const lines = program.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^tracepoint:sched:sched_process_exec \/pid != 4242 && curtask->real_parent->tgid != 4242 && \(str\(args->filename\) == "\/tmp\/p0" \|\| /);
  assert.match(lines[0]!, /signal\("SIGKILL"\); printf\("K %d\\n", pid\);/);
  assert.match(lines[1]!, /"\/tmp\/p64"\)\//);
  assert.match(lines[2]!, /printf\("E %d %d %d %s\\n", pid, curtask->real_parent->tgid, uid, str\(args->filename\)\)/);
  assert.equal(execMonitorProgram(['/tmp/a"b'], 1).split('\n').filter(Boolean).length, 1, 'unsafe paths never reach the program');
});

test('monitor lines: kill and exec records parse; paths keep spaces; anything else is ignored', () => {
  assert.deepEqual(parseMonitorLine('{"type": "printf", "data": "K 123\\n"}'), { kind: 'killed', pid: 123 });
  assert.deepEqual(parseMonitorLine('{"type": "printf", "data": "E 5 4 1000 /tmp/a b\\n"}'), { kind: 'exec', pid: 5, ppid: 4, uid: 1000, filename: '/tmp/a b' });
  assert.equal(parseMonitorLine('{"type": "attached_probes", "data": {"probes": 2}}'), undefined);
  assert.equal(parseMonitorLine('not json'), undefined);
  assert.equal(parseMonitorLine('{"type": "printf", "data": "E x"}'), undefined);
  const random = seededRandom(5);
  for (let i = 0; i < 2000; i++) {
    const text = Array.from({ length: Math.floor(random() * 40) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
    const parsed = parseMonitorLine(JSON.stringify({ type: 'printf', data: text }));
    if (parsed) assert.ok(Number.isInteger(parsed.pid));
  }
});
