// bpftrace output decoding: a real capture decodes to the expected records (golden), and mutated or random lines
// only ever fail with a located VigilError (fuzz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom, VigilError } from '@vigil/common';
import { decodeHexEscapes, decodeRecord, parseOutputLine, type NetRecord } from './records.js';

/**
 * Captured on this machine (kernel 6.18, bpftrace 0.17) from the generated program while a Node process listened,
 * connected and accepted over ::1, bound and connected UDP sockets, resolved example.com through c-ares, Python sent a
 * 271-byte TXT query, and getent resolved a name through glibc (sendmmsg of A and AAAA) against a local server.
 */
const CAPTURE = fileURLToPath(new URL('../../src/bpftrace/testdata/loopback-session.ndjson', import.meta.url));
const lines = readFileSync(CAPTURE, 'utf8').split('\n').filter(Boolean);

function decodeAll(): { attached: number; records: NetRecord[] } {
  let attached = 0;
  const records: NetRecord[] = [];
  for (const line of lines) {
    const message = parseOutputLine(line);
    if (message.type === 'attached') attached = message.probes;
    if (message.type === 'printf') records.push(decodeRecord(message.data));
  }
  return { attached, records };
}

test('golden: every line of a real capture decodes, with the expected kinds in order', () => {
  const { attached, records } = decodeAll();
  assert.equal(attached, 17);
  assert.deepEqual(
    records.map((r) => r.kind),
    [
      'udp_connect', 'dns_query', 'chunk', 'udp_send', 'tcp_state', 'udp_bind', 'udp_connect', 'udp_send', 'tcp_state', 'tcp_state',
      'dns_answer', 'chunk', 'accept', 'dns_query', 'chunk', 'chunk', 'udp_send', 'udp_connect', 'dns_query', 'chunk', 'dns_query',
      'chunk', 'udp_send', 'dns_answer', 'chunk', 'dns_answer', 'chunk', 'udp_connect', 'udp_connect',
    ],
  );
});

test('golden: field values of each record kind', () => {
  const { records } = decodeAll();
  const task = { pid: 6482, tid: 6482, ppid: 6481, uid: 0, gid: 0, startTicks: '1744826', parentStartTicks: '1744826', comm: 'node' };
  assert.deepEqual(records[0], { kind: 'udp_connect', task, socket: { family: 4, localPort: 58799, remotePort: 53, localAddress: '127.0.0.1', remoteAddress: '127.0.0.77' } });
  assert.deepEqual(records[1], { kind: 'dns_query', task, length: 29, explicitAddress: false, socket: { family: 4, localPort: 58799, remotePort: 53, localAddress: '127.0.0.1', remoteAddress: '127.0.0.77' } });
  const chunk = records[2] as Extract<NetRecord, { kind: 'chunk' }>;
  assert.equal(chunk.tid, 6482);
  assert.equal(chunk.offset, 0);
  assert.equal(chunk.bytes.length, 29);
  assert.equal(chunk.bytes.subarray(12, 25).toString('latin1'), '\u0007example\u0003com\u0000');
  assert.deepEqual(records[4], {
    kind: 'tcp_state',
    task,
    sk: 'ffff88810a8230c0',
    oldState: 7,
    newState: 10,
    socket: { family: 6, localPort: 41757, remotePort: 0, localAddress: '::1', remoteAddress: '::' },
  });
  assert.deepEqual(records[12], { kind: 'accept', task, socket: { family: 6, localPort: 41757, remotePort: 56316, localAddress: '::1', remoteAddress: '::1' } });
  const longQuery = records[13] as Extract<NetRecord, { kind: 'dns_query' }>;
  assert.equal(longQuery.length, 271);
  assert.equal(longQuery.explicitAddress, true);
  assert.equal(longQuery.task.comm, 'python3');
  assert.deepEqual([(records[14] as { offset: number }).offset, (records[15] as { offset: number }).offset], [0, 200]);
  assert.equal((records[14] as { bytes: Buffer }).bytes.length + (records[15] as { bytes: Buffer }).bytes.length, 271);
  assert.deepEqual((records[28] as { socket: unknown }).socket, { family: 6, localPort: 59217, remotePort: 0, localAddress: 'fd00::2', remoteAddress: '2001:db8::1' });
});

test('a task name with spaces is kept whole; other bpftrace messages are recognised', () => {
  const record = decodeRecord('A 1 2 3 4 5 6 7 4 80 5000 10.0.0.1 10.0.0.2 Web Content\n');
  assert.equal(record.kind === 'accept' && record.task.comm, 'Web Content');
  assert.deepEqual(decodeRecord('X 4242 4242 4200 0 0 987654 123 payload x\n'), {
    kind: 'exec',
    task: { pid: 4242, tid: 4242, ppid: 4200, uid: 0, gid: 0, startTicks: '987654', parentStartTicks: '123', comm: 'payload x' },
  });
  assert.deepEqual(parseOutputLine('{"type": "lost_events", "data": {"events": 12}}'), { type: 'lost', events: 12 });
  assert.deepEqual(parseOutputLine('{"type": "map", "data": {"@sent": {}}}'), { type: 'other', name: 'map' });
});

test('errors name the column of the bad field', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['A 1 2 3 4 5 6 7 4 80 5000 10.0.0.1 10.0.0.x comm', 36, /remote address is not an IPv4/],
    ['A 1 2 3 4 5 6 7 5 80 5000 10.0.0.1 10.0.0.2 comm', 17, /family must be 4 or 6/],
    ['A 1 2 3 4 5 6 7 4 80 70000 10.0.0.1 10.0.0.2 comm', 22, /remote port 70000 is above 65535/],
    ['S 1 2 3 4 5 6 7 zz 7 2 4 0 80 1.1.1.1 2.2.2.2 x', 17, /socket address is not a hex/],
    ['B 9 0 \\x4', 7, /not a sequence of \\xNN/],
    ['B 9 0 \\x4g', 9, /bad hex digit/],
    ['Z 1 2', 1, /unknown record kind/],
    ['X 1 2', 6, /record "X" has fewer than 8 fields/],
    ['X 1 2 3 4 5 6x 7 bash', 13, /start ticks/],
  ];
  for (const [data, column, message] of cases) {
    assert.throws(
      () => decodeRecord(data),
      (error: unknown) => error instanceof VigilError && error.code === 'invalid_input' && error.location?.column === column && message.test(error.message),
      data,
    );
  }
  assert.throws(() => parseOutputLine('{"type": "printf", "data": '), (e: unknown) => e instanceof VigilError && e.location?.column !== undefined);
  assert.throws(() => decodeHexEscapes('\\x41\\y42', 5), (e: unknown) => e instanceof VigilError && e.location?.column === 9);
});

test('fuzz: mutated capture lines and random text never throw anything but a located VigilError', () => {
  const random = seededRandom(0x5eed);
  const alphabet = ' 0123456789abcdefx\\:.ABSUPOQRXz\n"{}';
  const datas = lines.map((line) => parseOutputLine(line)).filter((m) => m.type === 'printf').map((m) => (m as { data: string }).data);
  let decoded = 0;
  for (let i = 0; i < 20000; i++) {
    let data: string;
    if (i % 5 === 0) {
      data = Array.from({ length: Math.floor(random() * 80) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    } else {
      const chars = [...datas[Math.floor(random() * datas.length)]!];
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (chars.length + 1));
        const kind = random();
        if (kind < 0.4) chars.splice(at, 1);
        else if (kind < 0.7) chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!);
        else chars[at] = alphabet[Math.floor(random() * alphabet.length)]!;
      }
      data = chars.join('');
    }
    try {
      const record = decodeRecord(data);
      decoded++;
      if (record.kind !== 'chunk') {
        assert.ok(Number.isSafeInteger(record.task.pid) && record.task.pid >= 0);
        if (record.kind !== 'exec') assert.ok(record.socket.localPort <= 65535 && record.socket.remotePort <= 65535);
      } else {
        assert.ok(record.bytes.length >= 1 && record.bytes.length <= 200);
      }
    } catch (error) {
      assert.ok(error instanceof VigilError, `not a VigilError for ${JSON.stringify(data)}: ${String(error)}`);
      assert.equal(error.code, 'invalid_input');
      const column = error.location?.column;
      assert.ok(column !== undefined && column >= 1 && column <= data.length + 1, `column ${column} outside ${JSON.stringify(data)}`);
    }
    const line = JSON.stringify({ type: 'printf', data });
    const cut = line.slice(0, Math.floor(random() * line.length));
    try {
      parseOutputLine(cut);
    } catch (error) {
      assert.ok(error instanceof VigilError && error.location?.column !== undefined);
    }
  }
  assert.ok(decoded > 1000, `some mutations still decode (${decoded})`);
});
