// Golden test: every record of go-libaudit's auparse test logs against go-libaudit's own decoded output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath, VigilError } from '@vigil/common';
import { parseRecord } from './record-parser.js';
import { decodeSockaddr } from './sockaddr.js';

interface GoldenRecord {
  '@timestamp': string;
  record_type: string;
  sequence: number;
  data?: Record<string, string>;
}

/** Values go-libaudit interprets (names for numbers, SELinux context parts); we keep the raw value. */
const INTERPRETED = new Set(['arch', 'syscall', 'exit', 'auid', 'ses', 'result', 'res', 'key', 'sig', 'old-auid', 'old-ses']);
/** Keys go-libaudit derives and we do not (SELinux context parts, AVC words, SOCKADDR parts decoded separately). */
const DERIVED = /^(subj_|obj_)|^(seperms|seresult|old_auid|new_auid)$/;
const SOCKADDR_KEYS = new Set(['family', 'addr', 'port', 'path']);

const dir = join(corpusPath('linux', 'go-libaudit-testdata'), 'auparse', 'testdata');
const logs = readdirSync(dir).filter((name) => name.endsWith('.log'));

test('the corpus holds the go-libaudit auparse logs with golden files', () => {
  assert.ok(logs.length >= 7, logs.join(', '));
});

for (const name of logs) {
  test(`go-libaudit ${name}: every line parses or is rejected exactly where go-libaudit rejects it, values match`, () => {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    const golden = JSON.parse(readFileSync(join(dir, `${name}.golden`), 'utf8')) as Array<GoldenRecord | null>;
    assert.equal(lines.length, golden.length);
    let compared = 0;
    lines.forEach((line, i) => {
      const expected = golden[i];
      const where = `${name}:${i + 1}`;
      if (expected === null || expected === undefined) {
        assert.throws(() => parseRecord(line), (e: unknown) => e instanceof VigilError && e.code === 'invalid_input', where);
        return;
      }
      const record = parseRecord(line);
      assert.equal(record.type.toLowerCase(), expected.record_type, where);
      assert.equal(record.timeMs, Date.parse(expected['@timestamp']), where);
      assert.equal(record.serial, expected.sequence, where);
      const data = expected.data ?? {};
      if (record.type === 'SOCKADDR') {
        const decoded = decodeSockaddr(record.fields.saddr ?? '');
        for (const key of SOCKADDR_KEYS) {
          const want = data[key];
          const got = decoded?.[key as keyof typeof decoded];
          assert.equal(got === undefined ? undefined : String(got), want, `${where} ${key}`);
        }
      }
      for (const [key, want] of Object.entries(data)) {
        if (INTERPRETED.has(key)) continue;
        if (!(key in record.fields)) {
          assert.ok(DERIVED.test(key) || (record.type === 'SOCKADDR' && SOCKADDR_KEYS.has(key)), `${where}: missing ${key}`);
          continue;
        }
        assert.equal(record.fields[key], want, `${where} ${key}`);
        compared++;
      }
    });
    assert.ok(compared > 0, 'no values compared');
  });
}

test('selected decoded values: hex EXECVE, PROCTITLE, CWD, PATH, exe, nested msg fields', () => {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map((line) => {
    try {
      return parseRecord(line);
    } catch {
      return undefined;
    }
  });
  const rhel7 = read('audit-rhel7.log');
  const jq = rhel7.find((r) => r?.type === 'EXECVE' && r.fields.a0 === 'jq')!;
  assert.equal(jq.fields.a1, '.');
  assert.ok(jq.fields.a2!.startsWith('{\n        "dev": "08:01",'), jq.fields.a2!.slice(0, 40));
  assert.equal(rhel7.find((r) => r?.type === 'CWD' && r.hex.cwd)!.fields.cwd, '/tmp/a b c');
  assert.equal(rhel7.find((r) => r?.type === 'USER_CMD')!.fields.cmd, './metricbeat -c mb.dev.yml');
  assert.equal(rhel7.find((r) => r?.type === 'SYSCALL' && r.hex.exe)!.fields.exe, '/usr/bin/python2.7;58d1ccfb (deleted)');
  const test3 = read('test3.log');
  assert.equal(test3.find((r) => r?.type === 'PROCTITLE' && r.hex.proctitle)!.fields.proctitle, 'sshd: burn [priv]');
  const ubuntu16 = read('audit-ubuntu16.log');
  assert.equal(ubuntu16.find((r) => r?.type === 'USER_LOGIN')!.fields.acct, '(invalid user)');
  const ubuntu14 = read('audit-ubuntu14.log');
  assert.equal(ubuntu14[0]!.fields.name, '/share/general/path_redacted');
  assert.deepEqual(decodeSockaddr('0A000016000000000000000000000000000000000000000000000000'), { family: 'ipv6', port: 22, addr: '::' });
  assert.deepEqual(decodeSockaddr('0A0000160000000020010DB8000000000000000000000001000000000'.slice(0, 56)), {
    family: 'ipv6',
    port: 22,
    addr: '2001:db8::1',
  });
});
