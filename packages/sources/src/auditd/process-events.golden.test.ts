// Golden test: raw audit logs from public datasets, assembled and converted, give the known exec events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import { assertValidProcessEvent, convertAuditText, yamlCases } from './test-support.js';

const convert = (text: string) => convertAuditText(text);

const assertValid = assertValidProcessEvent;

const atomic = corpusPath('linux', 'otrf-security-datasets', 'atomic');

test('OTRF atomic: arp cache discovery (arp -a | grep -v ^?)', async () => {
  const events = await convert(readFileSync(join(atomic, 'sh_arp_cache_2020-11-10074812.log'), 'utf8'));
  const arp = events.find((e) => e['process.name'] === 'arp');
  assert.ok(arp, 'arp exec event');
  assert.equal(arp['@timestamp'], '2020-11-10T07:48:16.155Z');
  assert.equal(arp['event.action'], 'start');
  assert.equal(arp['event.outcome'], 'success');
  assert.equal(arp['process.executable'], '/usr/sbin/arp');
  assert.deepEqual(arp['process.args'], ['arp', '-a']);
  assert.equal(arp['process.command_line'], 'arp -a');
  assert.equal(arp['process.args_count'], 2);
  assert.equal(arp['process.pid'], 1631);
  assert.equal(arp['process.parent.pid'], 29002);
  assert.equal(arp['process.working_directory'], '/home/wardog');
  assert.equal(arp['user.id'], '1000');
  assert.equal(arp['user.audit.id'], '1000');
  assert.equal(arp['process.session_id'], 104);
  assert.equal(arp['process.tty.name'], 'pts0');
  assert.equal(arp['process.interactive'], true);
  const grep = events.find((e) => e['process.name'] === 'grep');
  assert.deepEqual(grep?.['process.args'], ['grep', '-v', '^?']);
  for (const event of events) assertValid(event);
});

test('OTRF atomic: binary padding with dd', async () => {
  const events = await convert(readFileSync(join(atomic, 'sh_binary_padding_dd_2020-11-10081941.log'), 'utf8'));
  assert.equal(events.length, 1);
  const dd = events[0]!;
  assert.equal(dd['process.executable'], '/bin/dd');
  assert.deepEqual(dd['process.args'], ['dd', 'if=/dev/zero', 'bs=1', 'count=1']);
  assert.equal(dd['process.command_line'], 'dd if=/dev/zero bs=1 count=1');
  assert.equal(dd['process.pid'], 2168);
  assertValid(dd);
});

interface CoalescedGolden {
  test_name: string;
  event: { process?: { pid?: string; ppid?: string; name?: string; exe?: string; cwd?: string; args?: string[] }; result?: string };
}

for (const file of ['ubuntu-16.10-linux-4.8.0', 'ubuntu-17.04-linux-4.10.0', 'ubuntu-20.04.6-linux-5.15.0-1034-gcp']) {
  test(`go-libaudit aucoalesce ${file}: exec events match go-libaudit's process fields`, async () => {
    const dir = join(corpusPath('linux', 'go-libaudit-testdata'), 'aucoalesce', 'testdata');
    const cases = yamlCases(readFileSync(join(dir, `${file}.yaml`), 'utf8'));
    const golden = JSON.parse(readFileSync(join(dir, `${file}.json.golden`), 'utf8')) as CoalescedGolden[];
    let checked = 0;
    for (const expected of golden) {
      const lines = cases.get(expected.test_name);
      assert.ok(lines, `case ${expected.test_name} in the YAML`);
      const events = await convert(lines.join('\n'));
      const p = expected.event.process;
      if (!lines.some((l) => l.startsWith('type=EXECVE')) || !p?.args) continue;
      assert.equal(events.length, 1, expected.test_name);
      const event = events[0]!;
      assert.deepEqual(event['process.args'], p.args);
      assert.equal(String(event['process.pid']), p.pid);
      assert.equal(String(event['process.parent.pid']), p.ppid);
      assert.equal(event['process.executable'], p.exe);
      assert.equal(event['process.name'], p.name);
      if (p.cwd) assert.equal(event['process.working_directory'], p.cwd);
      assert.equal(event['event.outcome'], expected.event.result);
      assertValid(event);
      checked++;
    }
    assert.ok(checked >= 1, 'no exec case checked');
  });
}
