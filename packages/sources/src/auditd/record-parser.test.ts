import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError, seededRandom } from '@vigil/common';
import { parseRecord, fieldBytes, MAX_RECORD_LINE, type AuditRecord } from './record-parser.js';

const isInvalidInput = (error: unknown): boolean =>
  error instanceof VigilError && error.code === 'invalid_input' && typeof error.location?.column === 'number';

const SYSCALL =
  'type=SYSCALL msg=audit(1700000000.123:456): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=8 items=2 ppid=1 pid=2 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="ls" exe="/usr/bin/ls" key="vigil"';

test('parses the header, the time with milliseconds and plain fields', () => {
  const r = parseRecord(SYSCALL + '\n');
  assert.equal(r.type, 'SYSCALL');
  assert.equal(r.serial, 456);
  assert.equal(new Date(r.timeMs).toISOString(), '2023-11-14T22:13:20.123Z');
  assert.equal(r.node, undefined);
  assert.equal(r.fields.pid, '2');
  assert.equal(r.fields.comm, 'ls');
  assert.equal(r.fields.exe, '/usr/bin/ls');
  assert.equal(r.fields.tty, '(none)');
  assert.equal(r.fields.key, 'vigil');
  assert.equal(r.fields.a0, '55d0', 'syscall arguments are numbers, never hex-decoded text');
});

test('accepts a node= prefix and keeps it', () => {
  const r = parseRecord('node=web-1.example type=EOE msg=audit(1700000000.5:9): ');
  assert.equal(r.node, 'web-1.example');
  assert.equal(r.type, 'EOE');
  assert.equal(r.timeMs, 1700000000500);
  assert.equal(r.serial, 9);
});

test('decodes hex-encoded text fields as bytes to UTF-8, and nothing else', () => {
  const r = parseRecord(
    'type=SYSCALL msg=audit(1.000:1): a0=41 comm=6E6F6465 exe=2F746D702F6120622063 key=(null) name=C3A974C3A9 data=FF41',
  );
  assert.equal(r.fields.comm, 'node');
  assert.equal(r.fields.exe, '/tmp/a b c');
  assert.equal(r.fields.name, 'été');
  assert.equal(r.fields.data, '\uFFFDA', 'invalid UTF-8 becomes U+FFFD');
  assert.equal(r.fields.a0, '41');
  assert.equal('key' in r.fields, false, '(null) values are absent');
  assert.deepEqual([...fieldBytes(r, 'exe')!], [...Buffer.from('/tmp/a b c')]);
  assert.equal(r.hex.comm, '6E6F6465');
});

test('EXECVE arguments: quoted, hex, split chunks and lengths', () => {
  const r = parseRecord('type=EXECVE msg=audit(1.000:1): argc=3 a0="echo" a1=6869207468657265 a2_len=4 a2[0]=6869 a2[1]="hi"');
  assert.equal(r.fields.a0, 'echo');
  assert.equal(r.fields.a1, 'hi there');
  assert.equal(r.fields.a2_len, '4');
  assert.equal(r.fields['a2[0]'], 'hi');
  assert.equal(r.hex['a2[0]'], '6869');
  assert.equal(r.fields['a2[1]'], 'hi');
  assert.equal(r.hex['a2[1]'], undefined);
});

test("merges the fields of a msg='...' payload without overriding outer fields", () => {
  const r = parseRecord(
    "type=USER_CMD msg=audit(1488862769.030:19469538): user pid=3027 uid=497 auid=700 ses=11988 msg='cwd=\"/\" cmd=2F62696E2F6C73202D6C uid=1 terminal=? res=success'",
  );
  assert.equal(r.fields.cwd, '/');
  assert.equal(r.fields.cmd, '/bin/ls -l');
  assert.equal(r.fields.uid, '497');
  assert.equal(r.fields.res, 'success');
  assert.match(r.fields.msg!, /^cwd=/);
});

test('reads the enriched trailer after 0x1d, including braced values', () => {
  const r = parseRecord(
    'type=SOCKADDR msg=audit(1796416384.085:4): saddr=100000000000000000000000\x1dSADDR={ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 } UID="root" ARCH=x86_64',
  );
  assert.equal(r.fields.saddr, '100000000000000000000000');
  assert.equal(r.enriched.SADDR, '{ saddr_fam=netlink nlnk-fam=16 nlnk-pid=0 }');
  assert.equal(r.enriched.UID, 'root');
  assert.equal(r.enriched.ARCH, 'x86_64');
  assert.equal('UID' in r.fields, false);
});

test('daemon records without the colon after the header still parse', () => {
  const r = parseRecord('type=DAEMON_CONFIG msg=audit(1490239800.477:34) config changed, auid=0 pid=1512 res=success');
  assert.equal(r.fields.auid, '0');
  assert.equal(r.fields.res, 'success');
});

test('maps are null-prototype: hostile keys are plain data', () => {
  const r = parseRecord('type=X msg=audit(1.0:1): __proto__=1 constructor="x" toString=y');
  assert.equal(r.fields.__proto__, '1');
  assert.equal(r.fields.constructor, 'x');
  assert.equal(Object.getPrototypeOf(r.fields), null);
});

test('bad lines are invalid_input errors with a column', () => {
  const cases: Array<[string, number]> = [
    ['', 1],
    ['garbage', 1],
    ['type=UNKNOWN[1329] msg=?', 20],
    ['type=SYSCALL msg=audit(1700000000:1): a=1', 34],
    ['type=SYSCALL msg=audit(1700000000.1:x): a=1', 37],
    ['type=SYSCALL msg=audit(1.1:1): comm="unterminated', 37],
    ["type=USER msg=audit(1.1:1): msg='op=\"x", 37],
    ['type= msg=audit(1.1:1):', 6],
    ['type=A\x1d msg=audit(1.1:1):', 7],
  ];
  for (const [line, column] of cases) {
    assert.throws(
      () => parseRecord(line),
      (error: unknown) => isInvalidInput(error) && (error as VigilError).location?.column === column,
      JSON.stringify(line),
    );
  }
  assert.throws(() => parseRecord('type=X msg=audit(1.1:1): a=' + 'x'.repeat(MAX_RECORD_LINE)), isInvalidInput);
  assert.equal(parseRecord("type=USER msg=audit(1.1:1): msg='op=x res=succ").fields.res, 'succ', 'a payload cut at its end still parses');
});

const rng = seededRandom;

const SEEDS = [
  SYSCALL,
  'node=h type=EXECVE msg=audit(1.000:1): argc=3 a0="echo" a1=6869207468657265 a2_len=4 a2[0]=6869 a2[1]="hi"',
  "type=USER_LOGIN msg=audit(1492896301.818:19955): pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=179.38.151.221 terminal=sshd res=failed'",
  'type=SOCKADDR msg=audit(1.085:4): saddr=100000000000000000000000\x1dSADDR={ saddr_fam=netlink nlnk-fam=16 } UID="root"',
  'type=PROCTITLE msg=audit(1451781471.394:194435): proctitle=737368643A206275726E205B707269765D',
  'type=EOE msg=audit(1.2:3):',
];
const ALPHABET = ['=', '"', "'", ' ', '(', ')', ':', '.', '\x1d', '{', '}', '[', ']', 'a', 'A', '0', '9', 'F', 'type=', 'msg=audit(', '\u00e9', '\u0000', '\t', 'node='];

test('fuzz: random and mutated lines only ever raise invalid_input VigilErrors, and every call returns', () => {
  const random = rng(0x5eed1e55);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 20000; i++) {
    let line: string;
    if (i % 3 === 0) {
      const parts: string[] = [];
      const n = Math.floor(random() * 40);
      for (let j = 0; j < n; j++) parts.push(pick(ALPHABET));
      line = parts.join('');
    } else {
      line = pick(SEEDS);
      const edits = 1 + Math.floor(random() * 6);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(random() * (line.length + 1));
        const kind = random();
        if (kind < 0.35) line = line.slice(0, at) + pick(ALPHABET) + line.slice(at);
        else if (kind < 0.7) line = line.slice(0, at) + line.slice(at + 1 + Math.floor(random() * 5));
        else if (kind < 0.85) line = line.slice(0, at);
        else line = line.slice(0, at) + line.slice(Math.floor(random() * line.length));
      }
    }
    try {
      const record: AuditRecord = parseRecord(line);
      assert.equal(typeof record.type, 'string');
      assert.ok(Number.isFinite(record.timeMs) && Number.isSafeInteger(record.serial));
      parsed++;
    } catch (error) {
      assert.ok(isInvalidInput(error), `unexpected ${String(error)} for ${JSON.stringify(line)}`);
      const column = (error as VigilError).location!.column!;
      assert.ok(column >= 1 && column <= line.length + 1, `column ${column} outside ${JSON.stringify(line)}`);
      rejected++;
    }
  }
  assert.ok(parsed > 1000 && rejected > 1000, `parsed ${parsed}, rejected ${rejected}`);
});

test('worst-case lines near the size limit parse in linear time', () => {
  const header = 'type=X msg=audit(1.1:1): ';
  const lines = [
    header + 'a '.repeat(400000),
    header + '= '.repeat(400000),
    header + 'k=v '.repeat(200000),
    header + "msg='" + 'a="b" '.repeat(100000) + "'",
    header + 'x=1\x1d' + 'K '.repeat(400000) + 'Z=1',
    header + 'name=' + 'AB'.repeat(400000),
  ];
  for (const line of lines) {
    const started = performance.now();
    parseRecord(line);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  }
});
