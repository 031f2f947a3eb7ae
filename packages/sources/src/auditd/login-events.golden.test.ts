// Golden tests of login events against real PAM audit records from the corpus (go-libaudit test data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { corpusPath } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { buildLoginEvent, type AuthenticationCollectedEvent } from './login-events.js';
import { parseRecord } from './record-parser.js';

function eventsOf(file: string): Map<number, AuthenticationCollectedEvent> {
  const out = new Map<number, AuthenticationCollectedEvent>();
  for (const line of readFileSync(corpusPath('linux', 'go-libaudit-testdata', 'auparse', 'testdata', file), 'utf8').split('\n')) {
    if (!line.startsWith('type=USER_')) continue;
    const record = parseRecord(line);
    const event = buildLoginEvent([record]);
    if (!event) continue;
    assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, line).problems, []);
    out.set(record.serial, event);
  }
  return out;
}

test('sshd: a failed login of an invalid user and a successful login from an address', () => {
  const events = eventsOf('audit-ubuntu16.log');
  const failed = events.get(19955)!;
  assert.equal(failed['event.action'], 'logon_failed');
  assert.equal(failed['event.outcome'], 'failure');
  assert.equal(failed['user.name'], '(invalid user)', 'hex-encoded account decoded');
  assert.equal(failed['source.ip'], '179.38.151.221');
  assert.equal(failed['logon.service'], 'sshd');
  const ok = events.get(12651)!;
  assert.equal(ok['event.action'], 'logon');
  assert.equal(ok['user.id'], '1001');
  assert.equal(ok['source.ip'], '72.83.230.100');
  assert.equal(ok['logon.terminal'], '/dev/pts/1');
  assert.equal(ok['logon.id'], '36');
});

test('an ssh session: one logon, one logoff; PAM session records of sshd and cron are not doubled', () => {
  const events = [...eventsOf('audit-rhel7.log').values()];
  const actions = events.map((e) => `${e['logon.service']}:${e['event.action']}`);
  assert.ok(actions.includes('sshd:logon'), actions.join(' '));
  assert.ok(actions.includes('sshd:logoff'), actions.join(' '));
  assert.equal(actions.filter((a) => a === 'sshd:logon').length, actions.filter((a) => a === 'sshd:logoff').length);
  assert.ok(!actions.some((a) => a.startsWith('crond:')));
  const login = events.find((e) => e['event.action'] === 'logon')!;
  assert.equal(login['source.ip'], '96.241.146.97');
  assert.equal(login['source.domain'], 'pool-96-241-146-97.washdc.fios.verizon.net');
});

test('su and sudo sessions are privilege switches to the target account; failed authentications are failed logons', () => {
  const line = (type: string, serial: number, body: string) => parseRecord(`type=${type} msg=audit(1700000000.100:${serial}): pid=900 uid=1000 auid=1000 ses=4 msg='${body}'`);
  const su = buildLoginEvent([line('USER_START', 1, 'op=PAM:session_open grantors=pam_unix acct="root" exe="/usr/bin/su" hostname=? addr=? terminal=/dev/pts/2 res=success')])!;
  assert.equal(su['event.action'], 'privilege_switch');
  assert.equal(su['user.target.name'], 'root');
  assert.equal(su['user.audit.id'], '1000');
  const bad = buildLoginEvent([line('USER_AUTH', 2, 'op=PAM:authentication grantors=? acct="alice" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/2 res=failed')])!;
  assert.equal(bad['event.action'], 'logon_failed');
  assert.equal(bad['logon.method'], 'password');
  assert.equal(bad['user.name'], 'alice');
  assert.equal(buildLoginEvent([line('USER_AUTH', 3, 'op=PAM:authentication acct="alice" exe="/usr/bin/sudo" res=success')]), undefined, 'the session record reports success');
  const end = buildLoginEvent([line('USER_END', 4, 'op=PAM:session_close acct="root" exe="/usr/bin/su" terminal=/dev/pts/2 res=success')])!;
  assert.equal(end['event.action'], 'logoff');
});
