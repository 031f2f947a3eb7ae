// End-to-end on the real kernel: `vigil agent` reports host-wide kernel changes (mount, clock, host name, swap, reboot
// and kexec attempts, BPF, firewall, promiscuous mode), process id/namespace/capability changes, crashes, raw sockets,
// credential-store reads, PAM account records and audit configuration changes to `vigil server`, with the acting process.
// Privileged actions that would change the machine run as nobody and are refused by the kernel (the attempt is the
// event); the rest are undone: the mount, the swap file, the network namespace, the test user, the audit watch.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, cleanup, startAgent, startServer, waitFor, type AgentHandle, type ServerHandle } from './harness.js';

let server: ServerHandle;
let api: ApiClient;
let agent: AgentHandle;
let rulesBefore = '';
let swapsBefore = '';
const tag = randomBytes(3).toString('hex');
const work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-e2e-system-')));
const mountPoint = join(work, 'mnt');
const swapFile = join(work, 'swap');
const netns = `vigil-e2e-${tag}`;
const expiredUser = `vx-exp-${tag}`;
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

// A process that installs a seccomp filter killing getppid, then calls it.
const SECCOMP_C = `#include <linux/seccomp.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stddef.h>
int main(void) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog p = {4, f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p);
  syscall(__NR_getppid);
  return 0;
}
`;

/** Runs a program to its end; resolves with its pid (the pid the audit records of what it did carry). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', env });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}
const perl = (code: string, ...args: string[]) => run('/usr/bin/perl', ['-e', code, ...args]);
const asNobody = (file: string, ...args: string[]) => run('/usr/bin/setpriv', [...NOBODY, file, ...args]);

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the system telemetry end-to-end test must run as root (auditd, mount, swapon, nft)');
  rulesBefore = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  swapsBefore = readFileSync('/proc/swaps', 'utf8');
  mkdirSync(mountPoint);
  writeFileSync(join(work, 'seccomp.c'), SECCOMP_C);
  execFileSync('gcc', ['-O', '-o', join(work, 'seccomp'), join(work, 'seccomp.c')]);
  server = await startServer();
  api = await new ApiClient(server).login();
  agent = await startAgent(server, api);
});

after(async () => {
  execFileSync('sh', ['-c', `umount ${mountPoint} 2>/dev/null; swapoff ${swapFile} 2>/dev/null; ip netns del ${netns} 2>/dev/null; userdel ${expiredUser} 2>/dev/null; auditctl -W ${work} -p x -k vigil-e2e-watch 2>/dev/null; true`]);
  await cleanup();
  rmSync(work, { recursive: true, force: true });
  assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }), rulesBefore, 'audit rules restored');
  assert.equal(readFileSync('/proc/swaps', 'utf8'), swapsBefore, 'swap restored');
});

interface Expectation {
  pair: string;
  /** Which event of that category/action is the one this test caused. */
  match: (e: Record<string, unknown>) => boolean;
  check?: (e: Record<string, unknown>) => void;
}

test('kernel, process, socket, credential-read, account and audit-config events reach the server with the acting process', async () => {
  const expect: Expectation[] = [];
  const byPid = (pair: string, pid: number, check?: Expectation['check']) => expect.push({ pair, match: (e) => e['process.pid'] === pid, ...(check ? { check } : {}) });
  const byParent = (pair: string, ppid: number, check?: Expectation['check']) => expect.push({ pair, match: (e) => e['process.parent.pid'] === ppid, ...(check ? { check } : {}) });

  byPid('system/mount', await run('/usr/bin/mount', ['-t', 'tmpfs', `vigil-${tag}`, mountPoint]), (e) => {
    assert.equal(e['file.path'], mountPoint);
    assert.equal(e['process.executable'], '/usr/bin/mount');
    assert.equal(e['event.outcome'], 'success');
    assert.ok(e['process.entity_id'], 'the acting process has an entity id');
  });
  byPid('system/unmount', await run('/usr/bin/umount', [mountPoint]));
  byPid('system/time_change', await asNobody('/usr/bin/date', '-s', '@1'), (e) => {
    assert.equal(e['event.outcome'], 'failure');
    assert.equal(e['user.id'], '65534');
  });
  byPid('system/hostname_change', await asNobody('/usr/bin/perl', '-e', 'my $n = "vx"; syscall(170, $n, 2)'));
  byPid('system/domainname_change', await perl('my $d = $ARGV[0]; syscall(171, $d, length $d)', readFileSync('/proc/sys/kernel/domainname', 'utf8').trim()), (e) => assert.equal(e['event.outcome'], 'success'));
  byPid('system/reboot_request', await asNobody('/usr/bin/perl', '-e', 'syscall(169, 0xfee1dead, 672274793, 0x1234567, 0)'), (e) => {
    assert.equal(e['system.operation'], 'restart');
    assert.equal(e['event.outcome'], 'failure');
  });
  byPid('system/kexec_load', await asNobody('/usr/bin/perl', '-e', 'syscall(246, 0, 0, 0, 0)'));
  byPid('system/io_port_access', await asNobody('/usr/bin/perl', '-e', 'syscall(172, 3)'));
  execFileSync('sh', ['-c', `dd if=/dev/zero of=${swapFile} bs=1M count=8 2>/dev/null && chmod 600 ${swapFile} && mkswap ${swapFile} >/dev/null`]);
  byPid('system/swap_on', await run('/usr/sbin/swapon', [swapFile]), (e) => assert.equal(e['system.target'], swapFile));
  byPid('system/swap_off', await run('/usr/sbin/swapoff', [swapFile]));
  byPid('system/key_add', await perl('my ($t, $d, $v) = ("user", "vigil-e2e", "x"); syscall(248, $t, $d, $v, 1, -2) > 0 or die "add_key: $!"'));
  byPid('system/process_accounting', await perl('syscall(163, 0)'));
  byPid('system/handle_open', await perl('syscall(304, -100, 0, 0)'));
  const bpftrace = await run('/bin/sh', ['-c', "ulimit -l 8192; exec bpftrace -e 'BEGIN { exit(); }'"]);
  byPid('system/bpf_program_load', bpftrace, (e) => assert.equal(e['process.name'], 'bpftrace'));
  byPid('system/bpf_program_unload', bpftrace);
  const isolated = await run('/usr/bin/unshare', ['-n', 'sh', '-c', 'ip link set lo promisc on && nft add table inet vigil_e2e']);
  byParent('system/promiscuous_mode', isolated, (e) => {
    assert.equal(e['system.target'], 'lo');
    assert.equal(e['process.name'], 'ip');
  });
  byParent('system/firewall_change', isolated, (e) => {
    assert.equal(e['system.operation'], 'nft_register_table');
    assert.equal(e['process.name'], 'nft');
  });

  const setpriv = await asNobody('/usr/bin/true');
  byPid('process/uid_change', setpriv, (e) => assert.equal(e['process.name'], 'setpriv'));
  byPid('process/gid_change', setpriv);
  byPid('process/capabilities_change', await run('/usr/bin/setpriv', ['--inh-caps=-all', '/usr/bin/true']));
  byPid('process/namespace_create', await run('/usr/bin/unshare', ['-n', '/usr/bin/true']), (e) => assert.match(String(e.message), /unshare net/));
  execFileSync('ip', ['netns', 'add', netns]);
  byPid('process/namespace_enter', await run('/usr/sbin/ip', ['netns', 'exec', netns, '/usr/bin/true']));
  execFileSync('ip', ['netns', 'del', netns]);
  byPid('process/chroot', await run('/usr/sbin/chroot', ['/', '/usr/bin/true']));
  byPid('process/pivot_root', await run('/usr/bin/unshare', ['-m', 'pivot_root', '/nonexistent', '/nonexistent']));
  byPid('process/personality_change', await run('/usr/bin/setarch', ['-R', '/usr/bin/true']), (e) => assert.match(String(e.message), /ADDR_NO_RANDOMIZE/));
  byPid('process/name_change', await perl(`$0 = "vx-${tag}"; 1`), (e) => assert.equal(e['process.name'], `vx-${tag}`));
  byPid('process/crash', await run('/bin/sh', ['-c', 'kill -SEGV $$']), (e) => assert.equal(e['event.outcome'], 'failure'));
  byPid('process/seccomp_violation', await run(join(work, 'seccomp'), []), (e) => assert.equal(e['process.executable'], join(work, 'seccomp')));
  byPid('process/io_uring_setup', await perl('my $p = "\\0" x 120; syscall(425, 1, $p) >= 0 or die "io_uring_setup: $!"'), (e) => assert.equal(e['event.outcome'], 'success'));
  byPid('process/userfaultfd', await perl('syscall(323, 0) >= 0 or die "userfaultfd: $!"'));

  byPid('injection/memfd_create', await perl('my $n = "vx"; syscall(319, $n, 0) >= 0 or die "memfd_create: $!"'));
  const sleeper = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  byPid('injection/process_vm_read', await perl('syscall(310, $ARGV[0] + 0, 0, 0, 0, 0, 0)', String(sleeper.pid)), (e) => assert.equal(e['target.process.pid'], sleeper.pid));
  sleeper.kill();
  byPid('injection/fd_steal', await perl('syscall(438, -1, 0, 0)'));
  const sockets = await perl('socket(my $s, 2, 3, 1) or die "raw: $!"; socket(my $p, 17, 3, 0) or die "packet: $!"');
  byPid('network/raw_socket', sockets, (e) => assert.equal(e['network.transport'], 'icmp'));
  byPid('network/packet_socket', sockets);
  byPid('file/sensitive_read', await run('/usr/bin/cat', ['/etc/shadow']), (e) => assert.equal(e['file.path'], '/etc/shadow'));
  byPid('log/kernel_log_cleared', await asNobody('/usr/bin/dmesg', '-C'));
  const watch = await run('/usr/sbin/auditctl', ['-w', work, '-p', 'x', '-k', 'vigil-e2e-watch']);
  byPid('log/audit_policy_change', watch, (e) => assert.match(String(e.message), /add_rule key=vigil-e2e-watch/));
  execFileSync('auditctl', ['-W', work, '-p', 'x', '-k', 'vigil-e2e-watch']);

  byPid('authentication/login_uid_set', await run('/bin/bash', ['-c', 'echo 4242 > /proc/self/loginuid']), (e) => assert.equal(e['user.target.id'], '4242'));
  const su = await run('/usr/bin/su', ['nobody', '-s', '/bin/true']);
  byPid('authentication/account_check', su, (e) => assert.equal(e['user.target.name'], 'nobody'));
  byPid('authentication/credentials_acquired', su);
  byPid('authentication/credentials_disposed', su);
  execFileSync('useradd', ['-e', '1970-01-02', '-M', '-s', '/bin/true', expiredUser]);
  byPid('authentication/account_check_failed', await run('/usr/bin/su', [expiredUser, '-s', '/bin/true']), (e) => assert.equal(e['user.target.name'], expiredUser));
  execFileSync('userdel', [expiredUser]);

  const categories = [...new Set(expect.map((x) => x.pair.split('/')[0]!))];
  const found = new Map<Expectation, Record<string, unknown>>();
  const missing = () => expect.filter((x) => !found.has(x)).map((x) => x.pair);
  await waitFor(
    'every expected event on the server',
    async () => {
      for (const category of categories) {
        const events = await api.hostEvents(agent.agentId, `category=${category}&limit=10000`);
        for (const x of expect) {
          if (found.has(x) || !x.pair.startsWith(`${category}/`)) continue;
          const event = events.find((e) => `${String(e['event.category'])}/${String(e['event.action'])}` === x.pair && x.match(e));
          if (event) found.set(x, event);
        }
      }
      return missing().length === 0 ? true : undefined;
    },
    90_000,
    1000,
  ).catch(() => assert.fail(`not on the server: ${missing().join(', ')}`));
  for (const [x, event] of found) {
    assert.equal(event['host.id'], agent.agentId, x.pair);
    assert.equal(event['event.provider'], 'auditd', x.pair);
    x.check?.(event);
  }
});
