// Golden test: file syscalls in go-libaudit's public audit test data (Ubuntu 16.04/17.04, RHEL 7) give the file events
// go-libaudit's own normaliser describes (path, inode, mode, owner, acting process), in Vigil's vocabulary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '@vigil/common';
import { checkEvent, type CollectedEvent } from '@vigil/schema';
import { createFileEventBuilder } from './file-events.js';
import { groupsOf, yamlCases } from './test-support.js';

const dir = join(corpusPath('linux', 'go-libaudit-testdata'), 'aucoalesce', 'testdata');

interface Golden {
  test_name: string;
  event: {
    file?: { path?: string; inode?: string; mode?: string; uid?: string; gid?: string } | null;
    process?: { pid?: string; ppid?: string; exe?: string; cwd?: string };
    summary?: { action?: string };
  };
}

function caseOf(file: string, name: string): { records: string; golden: Golden } {
  const records = yamlCases(readFileSync(join(dir, `${file}.yaml`), 'utf8')).get(name);
  const golden = (JSON.parse(readFileSync(join(dir, `${file}.json.golden`), 'utf8')) as Golden[]).find((g) => g.test_name === name);
  assert.ok(records && golden, `${file}: case ${name}`);
  return { records: records.join('\n'), golden };
}

function convert(text: string): Record<string, unknown>[] {
  const builder = createFileEventBuilder({ readLink: () => undefined });
  const events: CollectedEvent[] = [];
  for (const group of groupsOf(text)) events.push(...(builder.build(group)?.now ?? []));
  for (const event of events) {
    const full = { ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' };
    assert.deepEqual(checkEvent(full, 'event').problems, []);
  }
  return events as Record<string, unknown>[];
}

function assertProcess(event: Record<string, unknown>, golden: Golden): void {
  const p = golden.event.process!;
  assert.equal(String(event['process.pid']), p.pid);
  assert.equal(String(event['process.parent.pid']), p.ppid);
  assert.equal(event['process.executable'], p.exe);
  assert.equal(event['process.working_directory'], p.cwd);
}

test('go-libaudit ubuntu-17.04 "unlink syscall": vim deletes its swap file', () => {
  const { records, golden } = caseOf('ubuntu-17.04-linux-4.10.0', 'unlink syscall');
  const [event, ...rest] = convert(records);
  assert.equal(rest.length, 0);
  assert.equal(golden.event.summary?.action, 'deleted');
  assert.equal(event!['event.action'], 'delete');
  assert.equal(event!['file.path'], golden.event.file?.path);
  assert.equal(event!['file.inode'], golden.event.file?.inode);
  assert.equal(event!['file.mode'], golden.event.file?.mode);
  assert.equal(event!['file.uid'], golden.event.file?.uid);
  assert.equal(event!['file.gid'], golden.event.file?.gid);
  assert.equal(event!['user.audit.id'], '1001');
  assert.equal(event!['process.tty.name'], 'pts1');
  assertProcess(event!, golden);
});

test('go-libaudit ubuntu-17.04 "rename syscall": vim moves the rules file to its backup name', () => {
  const { records, golden } = caseOf('ubuntu-17.04-linux-4.10.0', 'rename syscall');
  const [event, ...rest] = convert(records);
  assert.equal(rest.length, 0);
  assert.equal(golden.event.summary?.action, 'renamed');
  assert.equal(event!['event.action'], 'rename');
  // go-libaudit names the source as the object; Vigil's file.path is the new name and file.previous_path the old one.
  assert.equal(event!['file.previous_path'], golden.event.file?.path);
  assert.equal(event!['file.path'], '/etc/audit/rules.d/audit.rules~');
  assert.equal(event!['file.inode'], golden.event.file?.inode);
  assert.equal(event!['file.mode'], golden.event.file?.mode);
  assertProcess(event!, golden);
});

test('go-libaudit rhel-7 "make-device": systemd-logind creates a FIFO (objtype= instead of nametype=)', () => {
  const { records, golden } = caseOf('rhel-7-linux-3.10.0', 'make-device');
  const [event, ...rest] = convert(records);
  assert.equal(rest.length, 0);
  assert.equal(event!['event.action'], 'create');
  assert.equal(event!['file.path'], '/run/systemd/sessions/23.ref');
  assert.equal(event!['file.type'], 'fifo');
  assert.equal(event!['file.mode'], '0600');
  assert.equal(event!['file.device'], '0:19');
  assert.equal(event!['process.executable'], '/usr/lib/systemd/systemd-logind;58f98c85 (deleted)', 'hex-encoded exe decoded');
  assertProcess(event!, golden);
});

test('go-libaudit ubuntu-16.04 "AVC_AppArmor_unlink": the unlink under an AppArmor audit record is a delete', () => {
  const { records, golden } = caseOf('ubuntu-16.04-linux-4.13.0', 'AVC_AppArmor_unlink');
  const [event, ...rest] = convert(records);
  assert.equal(rest.length, 0);
  assert.equal(event!['event.action'], 'delete');
  assert.equal(event!['file.path'], '/var/lib/apt/lists/partial/.apt-acquire-privs-test.zW4jyj');
  assert.equal(event!['file.uid'], '100');
  assert.equal(event!['user.effective.id'], '100');
  assertProcess(event!, golden);
});

test('no event from the non-file cases of the corpus files', () => {
  const skipped = ['unlink syscall', 'rename syscall', 'make-device', 'AVC_AppArmor_unlink'];
  let checked = 0;
  for (const file of ['ubuntu-17.04-linux-4.10.0', 'rhel-7-linux-3.10.0', 'ubuntu-16.04-linux-4.13.0', 'ubuntu-16.10-linux-4.8.0']) {
    for (const [name, lines] of yamlCases(readFileSync(join(dir, `${file}.yaml`), 'utf8'))) {
      if (skipped.includes(name)) continue;
      const events = convert(lines.join('\n'));
      // Only real file syscalls may produce events; everything else (logins, execs, sockets, AVCs) must not.
      for (const event of events) assert.ok(String(event['file.path']).startsWith('/'), `${file} ${name}: ${JSON.stringify(event)}`);
      checked++;
    }
  }
  assert.ok(checked > 20, `only ${checked} cases`);
});
