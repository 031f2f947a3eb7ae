// Parsers of the response handlers' inputs (/proc/<pid>/stat and status, socket rows, lsattr, passwd,
// shadow, passwd -S, vault records): known lines, round trips of random values, and random garbage never throwing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VigilError, seededRandom } from '@vigil/common';
import { parseStat, parseStatus } from './procfs.js';
import { isListening, socketRow } from './netstat.js';
import { parseLsattr, touchTime } from './file-ops.js';
import { parsePasswdLine, parsePasswdStatus, shadowExpiry } from './accounts.js';
import { parseVaultEntry } from './vault.js';

const random = seededRandom(20261205);
const int = (max: number) => Math.floor(random() * max);
const garbage = (length: number) => Array.from({ length }, () => String.fromCharCode(int(3) === 0 ? 32 + int(95) : [40, 41, 32, 58, 10, 48 + int(10)][int(6)]!)).join('');

test('parseStat reads a real line, a command name with spaces and parentheses, and refuses malformed lines', () => {
  const line = '4711 (sleep) S 4700 4711 4700 34816 4711 4194304 120 0 0 0 0 0 0 0 20 0 1 0 8851234 5656576 211 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
  assert.deepEqual(parseStat(line), { pid: 4711, comm: 'sleep', state: 'S', ppid: 4700, flags: 4194304, startTicks: '8851234' });
  assert.deepEqual(parseStat('12 (a b) (c)) T 1 12 12 0 -1 2097216 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 0')?.comm, 'a b) (c)');
  assert.equal(parseStat('12 (x) S 1 2 3'), undefined);
  assert.equal(parseStat('x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22'), undefined);
  assert.equal(parseStat(''), undefined);
});

test('property: parseStat round-trips random stat lines and never throws on garbage', () => {
  for (let i = 0; i < 2000; i++) {
    const pid = 1 + int(4194303);
    const comm = garbage(int(16)).replace(/\n/g, '');
    const state = 'RSDZTtXIP'[int(9)]!;
    const ppid = int(4194304);
    const flags = int(2 ** 31);
    const start = int(2 ** 40);
    const middle = Array.from({ length: 15 }, () => String(int(1000))).join(' ');
    const fields = `${state} ${ppid} ${int(9999)} ${int(9999)} 0 -1 ${flags} ${middle} ${start} 1 2 3`;
    // the middle holds fields 10..21 plus spare ones; field 22 must be `start`
    const rest = fields.split(' ');
    rest.splice(19, rest.length - 19, String(start), '1', '2');
    const parsed = parseStat(`${pid} (${comm}) ${rest.join(' ')}`);
    assert.deepEqual(parsed, { pid, comm, state, ppid, flags, startTicks: String(start) }, `line ${i}`);
    const junk = garbage(int(200));
    const result = parseStat(junk);
    if (result) assert.ok(Number.isInteger(result.pid) && /^\d+$/.test(result.startTicks));
  }
});

test('parseStatus reads the uid and gid lines', () => {
  assert.deepEqual(parseStatus('Name:\tsshd\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t101\t102\t103\n'), { uids: [1000, 1000, 1000, 1000], gids: [100, 101, 102, 103] });
  assert.equal(parseStatus('Name:\tx\n'), undefined);
});

test('/proc/net entries become live-query rows with state names and 4/6 families', () => {
  assert.deepEqual(socketRow({ transport: 'tcp', type: 'ipv4', localIp: '127.0.0.1', localPort: 3306, remoteIp: '0.0.0.0', remotePort: 0, state: 0x0a, uid: 118, inode: 26618 }), {
    protocol: 'tcp', family: 4, local_address: '127.0.0.1', local_port: 3306, remote_address: '0.0.0.0', remote_port: 0, state: 'LISTEN', uid: 118, inode: 26618,
  });
  const udp = socketRow({ transport: 'udp', type: 'ipv6', localIp: '::1', localPort: 53, remoteIp: '::', remotePort: 0, state: 0x07, uid: 0, inode: 9 });
  assert.equal(udp.family, 6);
  assert.equal(udp.state, 'CLOSE');
  assert.ok(isListening(udp), 'an unconnected bound UDP socket listens');
  assert.equal(socketRow({ transport: 'tcp', type: 'ipv4', localIp: '1.2.3.4', localPort: 1, remoteIp: '5.6.7.8', remotePort: 2, state: 0x3f, uid: 0, inode: 1 }).state, '63', 'unknown states keep their number');
});

test('lsattr, passwd, shadow and passwd -S lines', () => {
  assert.equal(parseLsattr('----i---------e------- /srv/x\n'), '----i---------e-------');
  assert.equal(parseLsattr('lsattr: Operation not supported While reading flags on /proc/1'), undefined);
  assert.deepEqual(parsePasswdLine('mallory:x:1001:1001:Mallory,,,:/home/mallory:/bin/bash'), { name: 'mallory', uid: 1001, gid: 1001, home: '/home/mallory', shell: '/bin/bash' });
  assert.equal(parsePasswdLine('broken:x:abc:1:::'), undefined);
  assert.equal(parsePasswdLine('+::::::'), undefined);
  const shadow = 'root:*:20000:0:99999:7:::\nmallory:!$y$j9T$abc:20792:0:99999:7::1:\nbob:$y$x:20792:0:99999:7:::\nbad:x:1\n';
  assert.equal(shadowExpiry(shadow, 'mallory'), '1');
  assert.equal(shadowExpiry(shadow, 'bob'), '');
  assert.equal(shadowExpiry(shadow, 'bad'), undefined);
  assert.equal(shadowExpiry(shadow, 'nobody'), undefined);
  assert.equal(parsePasswdStatus('mallory L 2026-12-05 0 99999 7 -1\n', 'mallory'), 'L');
  assert.equal(parsePasswdStatus('mallory NP 2026-12-05 0 99999 7 -1\n', 'mallory'), 'NP');
  assert.equal(parsePasswdStatus('other P 2026-12-05 0 99999 7 -1\n', 'mallory'), undefined);
  assert.equal(touchTime(1_700_000_000_123_456_789n), '@1700000000.123456789');
  assert.equal(touchTime(-5_500_000_000n), '@-5.500000000');
  assert.equal(touchTime(7n), '@0.000000007');
});

test('property: vault records from disk are checked field by field; garbage is a system error with the file', () => {
  const good = {
    id: 'a'.repeat(32), state: 'quarantined', original_path: '/tmp/x', sha256: 'b'.repeat(64), size: 3, uid: 0, gid: 0, mode: '0644',
    atime_ns: '1', mtime_ns: '2', ctime_ns: '3', flags: null, nlink: 1, inode: '5', device: '6', vault_immutable: true, quarantined_at: 'now', task_id: 't',
  };
  assert.deepEqual(parseVaultEntry(JSON.stringify(good), 'x.json'), good);
  const keys = Object.keys(good);
  const values: unknown[] = [null, -1, 1.5, '', '../../etc/passwd', 'A'.repeat(32), [], {}, true, '0999', 'pending'];
  for (let i = 0; i < 2000; i++) {
    const broken: Record<string, unknown> = { ...good };
    const key = keys[int(keys.length)]!;
    broken[key] = values[int(values.length)];
    try {
      const entry = parseVaultEntry(JSON.stringify(broken), 'x.json');
      assert.match(entry.id, /^[0-9a-f]{32}$/);
      assert.match(entry.original_path, /^\//);
      assert.match(entry.mode, /^[0-7]{4}$/);
    } catch (error) {
      assert.ok(error instanceof VigilError && error.code === 'system' && error.location?.file === 'x.json', String(error));
    }
    assert.throws(() => parseVaultEntry(garbage(int(100)), 'y.json'), (error: unknown) => error instanceof VigilError && error.code === 'system');
  }
});
