import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@vigil/common';
import { parseIsoTime, parseSyslogLine } from './syslog-line.js';

const NOW = new Date(2026, 11, 5, 12, 0, 0).getTime();
const local = (month: number, day: number, h: number, m: number, s: number, year = 2026) => new Date(year, month, day, h, m, s).getTime();

test('RFC 5424 examples (section 6.5), with and without structured data', () => {
  const one = parseSyslogLine('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff\'su root\' failed for lonvick on /dev/pts/8');
  assert.deepEqual(one, {
    format: 'rfc5424', facility: 4, severity: 2, timeMs: Date.parse('2003-10-11T22:14:15.003Z'), hostname: 'mymachine.example.com', appName: 'su',
    msgId: 'ID47', message: "'su root' failed for lonvick on /dev/pts/8",
  });
  const two = parseSyslogLine('<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It\'s time to make the do-nuts.');
  assert.equal(two.timeMs, Date.parse('2003-08-24T12:14:15.000Z'));
  assert.equal(two.procId, '8710');
  assert.equal(two.facility, 20);
  assert.equal(two.severity, 5);
  assert.equal(two.message, "%% It's time to make the do-nuts.");
  const three = parseSyslogLine('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]');
  assert.equal(three.structuredData, '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]');
  assert.equal(three.message, '');
  const escaped = parseSyslogLine('<13>1 - host app - - [id k="a\\]b"] hello');
  assert.equal(escaped.structuredData, '[id k="a\\]b"]');
  assert.equal(escaped.message, 'hello');
  assert.equal(escaped.timeMs, undefined, 'NILVALUE time');
});

test('RFC 3164 as local programs send it to /dev/log, and as syslog daemons write files', () => {
  assert.deepEqual(parseSyslogLine('<34>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8', { now: NOW }), {
    format: 'rfc3164', facility: 4, severity: 2, timeMs: local(9, 11, 22, 14, 15), hostname: 'mymachine', appName: 'su', message: "'su root' failed for lonvick on /dev/pts/8",
  });
  // glibc syslog(3): no host name.
  const glibc = parseSyslogLine('<86>Dec  5 10:00:00 sudo[4242]: pam_unix(sudo:session): session opened for user root', { now: NOW, hostname: false });
  assert.deepEqual(glibc, { format: 'rfc3164', facility: 10, severity: 6, timeMs: local(11, 5, 10, 0, 0), appName: 'sudo', procId: '4242', message: 'pam_unix(sudo:session): session opened for user root' });
  const noTag = parseSyslogLine('<13>Dec  5 10:00:00 plain words here', { now: NOW, hostname: false });
  assert.equal(noTag.appName, undefined);
  assert.equal(noTag.message, 'plain words here');
  const file = parseSyslogLine('Dec  5 10:00:01 vm sshd[812]: Accepted publickey for root from 192.0.2.1 port 52514 ssh2', { now: NOW });
  assert.deepEqual(file, { format: 'rfc3164', timeMs: local(11, 5, 10, 0, 1), hostname: 'vm', appName: 'sshd', procId: '812', message: 'Accepted publickey for root from 192.0.2.1 port 52514 ssh2' });
  const kernel = parseSyslogLine('Dec  5 10:00:02 vm kernel: [ 12.5] EXT4-fs (vda): mounted', { now: NOW });
  assert.equal(kernel.appName, 'kernel');
  assert.equal(kernel.message, '[ 12.5] EXT4-fs (vda): mounted');
  const iso = parseSyslogLine('2026-12-05T10:00:00.123456+01:00 vm CRON[99]: (root) CMD (run-parts /etc/cron.hourly)', { now: NOW });
  assert.equal(iso.timeMs, Date.parse('2026-12-05T09:00:00.123Z'));
  assert.equal(iso.appName, 'CRON');
  assert.equal(iso.hostname, 'vm');
  const noTime = parseSyslogLine('<13>myprog: hello');
  assert.deepEqual(noTime, { format: 'rfc3164', facility: 1, severity: 5, appName: 'myprog', message: 'hello' });
});

test('a December line read in January belongs to the previous year', () => {
  const january = new Date(2027, 0, 2, 0, 0, 0).getTime();
  assert.equal(parseSyslogLine('Dec 31 23:59:59 vm app: x', { now: january }).timeMs, local(11, 31, 23, 59, 59, 2026));
});

test('anything else is a plain message', () => {
  for (const line of ['', 'hello world', '<999>x', '<013>x', '<1', 'Foo  5 10:00:00 x', '2026-13-45T99:00:00Z x']) {
    const parsed = parseSyslogLine(line);
    assert.equal(parsed.format, 'plain', line);
    assert.equal(parsed.message, line);
  }
  assert.equal(parseIsoTime('2026-12-05 10:00:00Z'), Date.parse('2026-12-05T10:00:00Z'));
  assert.equal(parseIsoTime('2026-12-05T10:00:00+0100'), Date.parse('2026-12-05T09:00:00Z'));
});

test('fuzz: random and mutated lines never throw, and the message is always a suffix of the line', () => {
  const random = seededRandom(0x5ec7);
  const seeds = [
    '<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 [a b="\\]"] msg',
    '<86>Dec  5 10:00:00 sudo[1]: x',
    'Dec  5 10:00:01 vm sshd[812]: Accepted',
    '2026-12-05T10:00:00.123+01:00 vm CRON[99]: x',
  ];
  const alphabet = '<>[]"\\ :-0123456789TZ.+abcDec\ufeff\n\r\u0000é';
  for (let i = 0; i < 20000; i++) {
    let line = seeds[i % seeds.length]!;
    const edits = Math.floor(random() * 6);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (line.length + 1));
      const ch = alphabet[Math.floor(random() * alphabet.length)]!;
      line = random() < 0.5 ? line.slice(0, at) + ch + line.slice(at) : line.slice(0, at) + line.slice(at + 1);
    }
    const parsed = parseSyslogLine(line, { now: NOW, hostname: random() < 0.5 });
    const body = line.replace(/\n$/, '').replace(/\r$/, '');
    assert.ok(body.endsWith(parsed.message) || parsed.message === body.slice(-parsed.message.length).replace(/^\ufeff/, ''), JSON.stringify({ line, parsed }));
    if (parsed.timeMs !== undefined) assert.ok(Number.isFinite(parsed.timeMs));
    if (parsed.severity !== undefined) assert.ok(parsed.severity >= 0 && parsed.severity <= 7);
  }
  // An unterminated structured-data element longer than the line limit: cut, scanned once, still a message.
  const huge = parseSyslogLine(`<13>1 - h a - - [${'x'.repeat(200000)}`);
  assert.equal(huge.format, 'rfc3164');
  assert.ok(huge.message.length < 65536);
});
