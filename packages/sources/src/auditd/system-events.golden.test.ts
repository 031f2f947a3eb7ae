// Golden tests of kernel/host change, process self-change, raw socket, credential read, PAM account and audit config
// events: real records recorded on this machine's kernel (testdata/system-6.18.log, made by testdata/system-6.18.sh
// with the rules of systemAuditRules) and the go-libaudit corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath, repoRoot } from '@vigil/common';
import { checkEvent } from '@vigil/schema';
import { buildAccountEvent } from './account-events.js';
import { createSystemEventBuilder, systemAuditRules } from './system-events.js';
import { groupsOf, yamlCases } from './test-support.js';

type Event = Record<string, unknown>;
const RECORDED = join(repoRoot(), 'packages', 'sources', 'src', 'auditd', 'testdata', 'system-6.18.log');

function convert(text: string, ownKeys: readonly string[] = ['vigil', 'vigil-file', 'vigil-sensitive']): Event[] {
  const system = createSystemEventBuilder({ entityOf: (pid) => `E-${pid}` });
  const events: Event[] = [];
  for (const group of groupsOf(text)) {
    const event = (buildAccountEvent(group, { ownKeys }) ?? system(group)) as Event | undefined;
    if (!event) continue;
    assert.deepEqual(checkEvent({ ...event, 'event.id': randomUUID(), 'event.sequence': 1, 'host.id': 'h' }, `serial ${group[0]!.serial}`).problems, []);
    events.push(event);
  }
  return events;
}

const recorded = () => convert(readFileSync(RECORDED, 'utf8'));
const find = (events: Event[], action: string, where: (e: Event) => boolean = () => true) => {
  const event = events.find((e) => e['event.action'] === action && where(e));
  assert.ok(event, `no ${action} event among ${[...new Set(events.map((e) => e['event.action']))].join(' ')}`);
  return event;
};

test('every action recorded on this kernel is produced, each event valid against the schema', () => {
  const pairs = new Set(recorded().map((e) => `${String(e['event.category'])}/${String(e['event.action'])}`));
  const expected = [
    'system/mount', 'system/unmount', 'system/time_change', 'system/hostname_change', 'system/domainname_change', 'system/reboot_request',
    'system/kexec_load', 'system/swap_on', 'system/swap_off', 'system/io_port_access', 'system/key_add', 'system/process_accounting',
    'system/bpf_program_load', 'system/bpf_program_unload', 'system/firewall_change', 'system/promiscuous_mode',
    'process/uid_change', 'process/gid_change', 'process/capabilities_change', 'process/namespace_create', 'process/namespace_enter',
    'process/chroot', 'process/pivot_root', 'process/personality_change', 'process/name_change', 'process/crash', 'process/seccomp_violation',
    'process/io_uring_setup', 'process/userfaultfd', 'injection/memfd_create', 'injection/process_vm_read', 'injection/fd_steal',
    'network/raw_socket', 'network/packet_socket', 'file/sensitive_read', 'system/handle_open', 'log/kernel_log_cleared', 'log/audit_policy_change',
    'authentication/account_check', 'authentication/account_check_failed', 'authentication/credentials_acquired',
    'authentication/credentials_disposed', 'authentication/login_uid_set',
  ];
  assert.deepEqual(expected.filter((pair) => !pairs.has(pair)), [], 'missing');
  assert.deepEqual([...pairs].filter((pair) => !expected.includes(pair)), [], 'unexpected');
});

test('attempts the kernel refused are failures with the acting process and user', () => {
  const events = recorded();
  const reboot = find(events, 'reboot_request');
  assert.equal(reboot['event.outcome'], 'failure');
  assert.equal(reboot['user.id'], '65534');
  assert.equal(reboot['process.executable'], '/usr/bin/perl');
  assert.equal(reboot['system.operation'], 'restart');
  assert.match(String(reboot['process.entity_id']), /^E-\d+$/);
  const clock = find(events, 'time_change');
  assert.equal(clock['event.outcome'], 'failure');
  assert.equal(clock['process.name'], 'date');
  assert.match(String(clock.message), /refused \(exit -1\)/);
  assert.equal(find(events, 'kernel_log_cleared')['event.outcome'], 'failure');
});

test('mounts, swap and namespaces carry what they acted on', () => {
  const events = recorded();
  const mount = find(events, 'mount', (e) => e['file.path'] === '/tmp/vx-mnt');
  assert.equal(mount['process.executable'], '/usr/bin/mount');
  assert.equal(mount['event.outcome'], 'success');
  assert.equal(find(events, 'swap_on')['system.target'], '/tmp/vx-swap');
  assert.match(String(find(events, 'namespace_create', (e) => e['process.name'] === 'unshare').message), /unshare net by/);
  assert.match(String(find(events, 'personality_change').message), /ADDR_NO_RANDOMIZE/);
  assert.equal(find(events, 'name_change')['process.name'], 'vx-renamed');
  const raw = find(events, 'raw_socket');
  assert.equal(raw['network.type'], 'ipv4');
  assert.equal(raw['network.transport'], 'icmp');
  assert.equal(find(events, 'sensitive_read', (e) => e['process.name'] === 'cat')['file.path'], '/etc/shadow');
  const firewall = find(events, 'firewall_change');
  assert.equal(firewall['system.operation'], 'nft_register_table');
  assert.equal(firewall['process.name'], 'nft');
  assert.equal(find(events, 'promiscuous_mode')['system.target'], 'lo');
  const seccomp = find(events, 'seccomp_violation');
  assert.equal(seccomp['process.executable'], '/tmp/exp2/seccomp');
  assert.equal(find(events, 'crash', (e) => e['process.name'] === 'dash')['event.outcome'], 'failure');
  const login = find(events, 'login_uid_set');
  assert.equal(login['user.target.id'], '4242');
  assert.equal(find(events, 'account_check_failed')['user.target.name'], 'vx-expired');
});

test('the source\'s own rule installs are not audit policy changes; others are', () => {
  const line = (key: string) => `type=CONFIG_CHANGE msg=audit(1796445806.340:77): auid=4294967295 ses=4294967295 op=add_rule key="${key}" list=4 res=1`;
  assert.equal(convert(line('vigil-file')).length, 0);
  const other = convert(line('watch-etc'));
  assert.equal(other[0]?.['event.action'], 'audit_policy_change');
  assert.match(String(other[0]?.message), /add_rule key=watch-etc/);
});

test('a thread naming itself again is reported once per process and name', () => {
  const prctl = (serial: number) => `type=SYSCALL msg=audit(1796445806.340:${serial}): arch=c000003e syscall=157 success=yes exit=0 a0=f a1=7ffd a2=0 a3=0 items=0 ppid=1 pid=900 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="ThreadPoolForeg" exe="/usr/lib/chromium/chromium" key="vigil"`;
  assert.equal(convert([prctl(1), prctl(2), prctl(3)].join('\n')).length, 1);
});

test('rules: sockets, prctl, personality and memfd_create are narrowed in the kernel; sensitive reads skip the agent', () => {
  const rules = systemAuditRules({ key: 'vigil', selfPid: 4321, sensitivePaths: ['/etc/shadow'] }).map((r) => r.join(' '));
  assert.ok(rules.includes('always,exit -F arch=b64 -S socket -F a0=2 -F a1&=3 -k vigil'));
  assert.ok(rules.includes('always,exit -F arch=b64 -S prctl -F a0=15 -k vigil'));
  assert.ok(rules.includes('always,exit -F arch=b64 -S memfd_create -F a1<2 -k vigil'));
  assert.ok(rules.includes('always,exit -F path=/etc/shadow -F perm=r -F pid!=4321 -k vigil-sensitive'));
  assert.ok(!rules.some((r) => r.includes('arch=b32') && /kexec|io_uring|pidfd_getfd|iopl/.test(r)), 'names auditctl 3.0 does not know for i386');
});

test('corpus: promiscuous mode, firewall, crash, clock and seccomp records of other kernels', () => {
  const aucoalesce = (file: string, name: string) => {
    const lines = yamlCases(readFileSync(join(corpusPath('linux', 'go-libaudit-testdata'), 'aucoalesce', 'testdata', file), 'utf8')).get(name);
    assert.ok(lines, `${file}: no case ${name}`);
    return convert(lines.join('\n'));
  };
  const promisc = aucoalesce('ubuntu-16.10-linux-4.8.0.yaml', 'ANOM_PROMISCUOUS');
  assert.equal(promisc[0]?.['event.action'], 'promiscuous_mode');
  assert.equal(promisc[0]?.['system.operation'], 'promiscuous off');
  assert.equal(promisc[0]?.['system.target'], 'ens4');
  assert.equal(promisc[0]?.['user.audit.id'], '1001');
  const netfilter = aucoalesce('ubuntu-16.10-linux-4.8.0.yaml', 'NETFILTER_CFG');
  assert.equal(netfilter[0]?.['event.action'], 'firewall_change');
  assert.equal(netfilter[0]?.['system.target'], 'filter');
  const abend = aucoalesce('random-internet.yaml', 'ANOM_ABEND SIGSEGV seg fault');
  assert.equal(abend[0]?.['event.action'], 'crash');
  assert.equal(abend[0]?.['process.pid'], 31242);
  assert.equal(abend[0]?.['process.name'], 'httpd');
  const inject = aucoalesce('random-internet.yaml', 'TIME_INJOFFSET');
  assert.equal(inject[0]?.['event.action'], 'time_change');
  const config = aucoalesce('ubuntu-16.10-linux-4.8.0.yaml', 'CONFIG_CHANGE remove rule');
  assert.equal(config[0]?.['event.action'], 'audit_policy_change');
  const seccomp = convert(readFileSync(corpusPath('linux', 'go-libaudit-testdata', 'auparse', 'testdata', 'test3.log'), 'utf8')).filter((e) => e['event.action'] === 'seccomp_violation');
  assert.equal(seccomp[0]?.['process.executable'], '/usr/sbin/sshd');
});

test('corpus: an sshd login yields account check, credentials and login uid events with the account', () => {
  const text = readFileSync(corpusPath('linux', 'go-libaudit-testdata', 'auparse', 'testdata', 'audit-rhel7.log'), 'utf8');
  const events = convert(text.split('\n').filter((line) => /^type=\w+ msg=audit\(/.test(line)).join('\n'));
  const account = find(events, 'account_check');
  assert.equal(account['user.target.name'], 'andrew_kroh');
  assert.equal(account['logon.service'], 'sshd');
  assert.equal(account['source.ip'], '96.241.146.97');
  assert.equal(find(events, 'credentials_acquired')['user.target.name'], 'andrew_kroh');
  const login = find(events, 'login_uid_set');
  assert.equal(login['user.target.id'], '1000');
  assert.equal(login['process.pid'], 1298);
});
