// Host-wide kernel state changes and risky process self-changes from audited syscalls and kernel audit records:
// mounts, clock, host name, swap, reboot/kexec, BPF, firewall, promiscuous mode, id and namespace changes, crashes.
// Never reads anything but the records it is given and the entity table; never emits for a record group it does not know.

import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { known } from './login-events.js';
import { actorFields } from './process-events.js';
import type { AuditRecord } from './record-parser.js';
import type { UserNames } from './user-names.js';

type Category = 'system' | 'process' | 'injection' | 'network' | 'file' | 'log';
type EventOf<C extends Category> = Extract<CollectedEvent, { 'event.category': C }>;
export type SystemCollectedEvent = EventOf<Category>;

/** Key of the sensitive-read path rules (their openat records carry it). */
export const SENSITIVE_READ_KEY = 'vigil-sensitive';

/** Credential stores whose reads are reported (file/sensitive_read); missing ones are skipped at rule time. */
export const SENSITIVE_READ_PATHS: readonly string[] = ['/etc/shadow', '/etc/gshadow', '/etc/security/opasswd', '/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_ed25519_key'];

interface Mapping {
  category: Category;
  action: string;
  type: string;
}
const m = (category: Category, action: string, type: string): Mapping => ({ category, action, type });

/** What each audited syscall is reported as. `socket` and the sensitive-read opens are decided by their arguments. */
const SYSCALL_ACTIONS: Readonly<Record<string, Mapping>> = {
  mount: m('system', 'mount', 'change'),
  fsmount: m('system', 'mount', 'change'),
  move_mount: m('system', 'mount', 'change'),
  umount: m('system', 'unmount', 'change'),
  umount2: m('system', 'unmount', 'change'),
  clock_settime: m('system', 'time_change', 'change'),
  settimeofday: m('system', 'time_change', 'change'),
  sethostname: m('system', 'hostname_change', 'change'),
  setdomainname: m('system', 'domainname_change', 'change'),
  reboot: m('system', 'reboot_request', 'change'),
  kexec_load: m('system', 'kexec_load', 'change'),
  kexec_file_load: m('system', 'kexec_load', 'change'),
  swapon: m('system', 'swap_on', 'start'),
  swapoff: m('system', 'swap_off', 'end'),
  iopl: m('system', 'io_port_access', 'access'),
  ioperm: m('system', 'io_port_access', 'access'),
  add_key: m('system', 'key_add', 'creation'),
  acct: m('system', 'process_accounting', 'change'),
  setuid: m('process', 'uid_change', 'change'),
  setreuid: m('process', 'uid_change', 'change'),
  setresuid: m('process', 'uid_change', 'change'),
  setgid: m('process', 'gid_change', 'change'),
  setregid: m('process', 'gid_change', 'change'),
  setresgid: m('process', 'gid_change', 'change'),
  capset: m('process', 'capabilities_change', 'change'),
  unshare: m('process', 'namespace_create', 'change'),
  setns: m('process', 'namespace_enter', 'change'),
  chroot: m('process', 'chroot', 'change'),
  pivot_root: m('process', 'pivot_root', 'change'),
  personality: m('process', 'personality_change', 'change'),
  prctl: m('process', 'name_change', 'change'),
  io_uring_setup: m('process', 'io_uring_setup', 'start'),
  userfaultfd: m('process', 'userfaultfd', 'start'),
  memfd_create: m('injection', 'memfd_create', 'creation'),
  process_vm_readv: m('injection', 'process_vm_read', 'access'),
  pidfd_getfd: m('injection', 'fd_steal', 'access'),
  open_by_handle_at: m('system', 'handle_open', 'access'),
  syslog: m('log', 'kernel_log_cleared', 'deletion'),
};

/** Syscall numbers by audit arch, for records without the enriched SYSCALL= name (x86_64, aarch64). */
const NUMBERS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  c000003e: {
    '165': 'mount', '166': 'umount2', '432': 'fsmount', '429': 'move_mount', '227': 'clock_settime', '164': 'settimeofday', '159': 'adjtimex',
    '305': 'clock_adjtime', '170': 'sethostname', '171': 'setdomainname', '169': 'reboot', '246': 'kexec_load', '320': 'kexec_file_load',
    '167': 'swapon', '168': 'swapoff', '172': 'iopl', '173': 'ioperm', '248': 'add_key', '163': 'acct', '105': 'setuid', '113': 'setreuid',
    '117': 'setresuid', '106': 'setgid', '114': 'setregid', '119': 'setresgid', '126': 'capset', '272': 'unshare', '308': 'setns',
    '161': 'chroot', '155': 'pivot_root', '135': 'personality', '157': 'prctl', '425': 'io_uring_setup', '323': 'userfaultfd',
    '319': 'memfd_create', '310': 'process_vm_readv', '438': 'pidfd_getfd', '304': 'open_by_handle_at', '103': 'syslog', '41': 'socket',
    '2': 'open', '257': 'openat', '437': 'openat2', '321': 'bpf', '46': 'sendmsg', '44': 'sendto', '3': 'close', '1': 'write',
  },
  c00000b7: {
    '40': 'mount', '39': 'umount2', '432': 'fsmount', '429': 'move_mount', '112': 'clock_settime', '170': 'settimeofday', '171': 'adjtimex',
    '266': 'clock_adjtime', '161': 'sethostname', '162': 'setdomainname', '142': 'reboot', '104': 'kexec_load', '294': 'kexec_file_load',
    '224': 'swapon', '225': 'swapoff', '217': 'add_key', '89': 'acct', '146': 'setuid', '145': 'setreuid', '147': 'setresuid', '144': 'setgid',
    '143': 'setregid', '149': 'setresgid', '91': 'capset', '97': 'unshare', '268': 'setns', '51': 'chroot', '41': 'pivot_root',
    '92': 'personality', '167': 'prctl', '425': 'io_uring_setup', '282': 'userfaultfd', '279': 'memfd_create', '270': 'process_vm_readv',
    '438': 'pidfd_getfd', '265': 'open_by_handle_at', '116': 'syslog', '198': 'socket', '56': 'openat', '437': 'openat2', '280': 'bpf',
  },
};

/** The syscall's name: the enriched SYSCALL= field, else the number table of its arch. */
export function systemSyscallName(syscall: AuditRecord): string | undefined {
  const named = syscall.enriched.SYSCALL;
  if (named !== undefined && !named.startsWith('unknown')) return named;
  const arch = syscall.fields.arch?.toLowerCase();
  const number = syscall.fields.syscall;
  return arch === undefined || number === undefined ? undefined : NUMBERS[arch]?.[number];
}

/**
 * Audit rules (auditctl arguments after -a) for the syscalls above, 64- and 32-bit. Noise is cut in the kernel:
 * personality queries (0xffffffff), prctl other than PR_SET_NAME, sockets other than raw IP and packet, syslog other
 * than clear, memfd_create with sealing flags. `selfPid` (the agent) is left out of the sensitive reads: its inventory reads /etc/shadow.
 */
export function systemAuditRules(options: { key: string; selfPid: number; sensitivePaths?: readonly string[] }): string[][] {
  const k = ['-k', options.key];
  const rules: string[][] = [];
  for (const arch of ['b64', 'b32']) {
    const A = ['always,exit', '-F', `arch=${arch}`];
    rules.push(
      [...A, '-S', 'mount,umount2', ...k],
      [...A, '-S', 'sethostname,setdomainname,clock_settime,settimeofday', ...k],
      [...A, '-S', 'reboot,swapon,swapoff,acct', ...k],
      [...A, '-S', 'setuid,setreuid,setresuid,setgid,setregid,setresgid,capset', ...k],
      [...A, '-S', 'unshare,setns,chroot,pivot_root', ...k],
      [...A, '-S', 'personality', '-F', 'a0!=4294967295', ...k],
      [...A, '-S', 'prctl', '-F', 'a0=15', ...k],
      [...A, '-S', 'process_vm_readv,userfaultfd,open_by_handle_at,add_key', ...k],
      // Without sealing flags (0 or MFD_CLOEXEC), as fileless loaders call it: browsers create sealed memfds by the thousand.
      [...A, '-S', 'memfd_create', '-F', 'a1<2', ...k],
      [...A, '-S', 'syslog', '-F', 'a0=5', ...k],
      [...A, '-S', 'syslog', '-F', 'a0=4', ...k],
    );
    if (arch === 'b64') {
      // Not in the i386 table of auditctl 3.0, or not on every 64-bit arch: each is a rule of its own so one refusal drops only it.
      rules.push([...A, '-S', 'kexec_load,kexec_file_load', ...k], [...A, '-S', 'iopl,ioperm', ...k], [...A, '-S', 'io_uring_setup', ...k], [...A, '-S', 'pidfd_getfd', ...k]);
      rules.push([...A, '-S', 'fsmount,move_mount', ...k]);
    }
    // socket(AF_INET=2 / AF_INET6=10, SOCK_RAW=3 with any flags), socket(AF_PACKET=17).
    rules.push([...A, '-S', 'socket', '-F', 'a0=2', '-F', 'a1&=3', ...k], [...A, '-S', 'socket', '-F', 'a0=10', '-F', 'a1&=3', ...k], [...A, '-S', 'socket', '-F', 'a0=17', ...k]);
  }
  for (const path of options.sensitivePaths ?? SENSITIVE_READ_PATHS) {
    rules.push(['always,exit', '-F', `path=${path}`, '-F', 'perm=r', '-F', `pid!=${options.selfPid}`, '-k', SENSITIVE_READ_KEY]);
  }
  return rules;
}

export interface SystemEventOptions {
  entityOf?: (pid: number) => string | undefined;
  users?: UserNames;
  /** Rule keys whose CONFIG_CHANGE records are our own rule installs and are not reported. */
  ownKeys?: readonly string[];
}

const MAX_TEXT = 4096;
const clip = (text: string) => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
const digits = (value: string | undefined) => (value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined);
const hex = (value: string | undefined) => (value !== undefined && /^[0-9a-f]{1,16}$/i.test(value) ? BigInt(`0x${value}`) : undefined);
const UNSET = '4294967295';

const CLONE_FLAGS: ReadonlyArray<[bigint, string]> = [
  [0x00020000n, 'mnt'], [0x02000000n, 'cgroup'], [0x04000000n, 'uts'], [0x08000000n, 'ipc'], [0x10000000n, 'user'], [0x20000000n, 'pid'], [0x40000000n, 'net'], [0x00000080n, 'time'],
];
const namespaces = (flags: bigint | undefined) => (flags === undefined ? [] : CLONE_FLAGS.filter(([bit]) => (flags & bit) !== 0n).map(([, name]) => name));

const REBOOT_COMMANDS: Readonly<Record<string, string>> = {
  '1234567': 'restart', cdef0123: 'halt', '4321fedc': 'power_off', a1b2c3d4: 'restart2', '45584543': 'kexec', d000fce2: 'software_suspend', '89abcdef': 'cad_on', '0': 'cad_off',
};

/**
 * Common fields of an event caused by the process of a SYSCALL record (or of a standalone record's pid=/exe=); unset
 * values (`?`, `(none)`, the unset audit uid) are left out. Shared by the account records (account-events.ts).
 */
export function actingProcess(record: AuditRecord, options: Pick<SystemEventOptions, 'entityOf' | 'users'>): Record<string, unknown> {
  const f = record.fields;
  const out: Record<string, unknown> = {};
  const pid = digits(f.pid);
  if (pid !== undefined) {
    out['process.pid'] = pid;
    const entity = options.entityOf?.(pid);
    if (entity) out['process.entity_id'] = entity;
  }
  const ppid = digits(f.ppid);
  if (ppid !== undefined) out['process.parent.pid'] = ppid;
  const exe = known(f.exe);
  if (exe && exe !== '(null)') {
    out['process.executable'] = clip(exe);
    out['process.name'] = clip(posix.basename(exe));
  } else if (known(f.comm)) out['process.name'] = clip(f.comm!);
  if (record.type === 'SYSCALL') Object.assign(out, actorFields(record, options.users));
  else {
    if (known(f.uid)) out['user.id'] = f.uid;
    if (known(f.gid)) out['group.id'] = f.gid;
    if (known(f.auid) && f.auid !== UNSET) out['user.audit.id'] = f.auid;
    const ses = digits(f.ses);
    if (ses !== undefined && f.ses !== UNSET) out['process.session_id'] = ses;
  }
  return out;
}

function baseEvent(record: AuditRecord, mapping: Mapping, success: boolean): Record<string, unknown> {
  return {
    '@timestamp': new Date(record.timeMs).toISOString(),
    'event.category': mapping.category,
    'event.action': mapping.action,
    'event.type': mapping.type,
    'event.provider': 'auditd',
    'event.outcome': success ? 'success' : 'failure',
  };
}

const who = (event: Record<string, unknown>) => String(event['process.executable'] ?? event['process.name'] ?? `pid ${String(event['process.pid'] ?? '?')}`);
const pathOf = (records: readonly AuditRecord[], nametype?: string) =>
  records.find((r) => r.type === 'PATH' && r.fields.name !== undefined && (nametype === undefined || r.fields.nametype === nametype))?.fields.name;

/** Kernel records that stand for a change themselves, with or without a SYSCALL record of the same event. */
function fromKernelRecord(records: readonly AuditRecord[], options: SystemEventOptions): Record<string, unknown> | undefined {
  const syscall = records.find((r) => r.type === 'SYSCALL');
  const first = (type: string) => records.find((r) => r.type === type);
  const actor = (record: AuditRecord) => actingProcess(syscall ?? record, options);

  const abend = first('ANOM_ABEND');
  const seccomp = first('SECCOMP');
  if (seccomp) {
    const f = seccomp.fields;
    const event: Record<string, unknown> = { ...baseEvent(seccomp, m('process', 'seccomp_violation', 'denied'), false), ...actingProcess(seccomp, options) };
    const name = seccomp.enriched.SYSCALL && !seccomp.enriched.SYSCALL.startsWith('unknown') ? seccomp.enriched.SYSCALL : `syscall ${f.syscall ?? '?'}`;
    event.message = `seccomp ${f.code ?? '?'} stopped ${name} of ${who(event)}${f.sig && f.sig !== '0' ? ` (signal ${f.sig})` : ''}`;
    return event;
  }
  if (abend) {
    const f = abend.fields;
    const event: Record<string, unknown> = { ...baseEvent(abend, m('process', 'crash', 'end'), false), ...actingProcess(abend, options) };
    event.message = `${who(event)} ended on signal ${f.sig ?? '?'}`;
    return event;
  }
  const promisc = first('ANOM_PROMISCUOUS');
  if (promisc) {
    const f = promisc.fields;
    const on = (hex(f.prom) ?? 0n) !== 0n;
    const event: Record<string, unknown> = { ...baseEvent(promisc, m('system', 'promiscuous_mode', 'change'), true), ...actor(promisc), 'system.syscall': 'ANOM_PROMISCUOUS', 'system.operation': on ? 'promiscuous on' : 'promiscuous off' };
    if (f.dev) event['system.target'] = clip(f.dev);
    event.message = `${f.dev ?? '?'} promiscuous mode ${on ? 'on' : 'off'} by ${who(event)}`;
    return event;
  }
  const netfilter = records.filter((r) => r.type === 'NETFILTER_CFG');
  if (netfilter.length > 0) {
    const f = netfilter[0]!.fields;
    const event: Record<string, unknown> = { ...baseEvent(netfilter[0]!, m('system', 'firewall_change', 'change'), true), ...actor(netfilter[0]!), 'system.syscall': 'NETFILTER_CFG' };
    if (f.table) event['system.target'] = clip(f.table);
    if (f.op) event['system.operation'] = clip(f.op);
    const ops = [...new Set(netfilter.map((r) => r.fields.op).filter((op): op is string => op !== undefined))];
    event.message = clip(`netfilter ${ops.join(', ') || 'change'} on table ${f.table ?? '?'} (family ${f.family ?? '?'}, ${netfilter.length} record${netfilter.length === 1 ? '' : 's'}) by ${who(event)}`);
    return event;
  }
  const bpf = first('BPF');
  if (bpf) {
    const f = bpf.fields;
    const load = f.op === 'LOAD';
    const event: Record<string, unknown> = { ...baseEvent(bpf, m('system', load ? 'bpf_program_load' : 'bpf_program_unload', load ? 'start' : 'end'), true), ...actor(bpf), 'system.syscall': 'BPF' };
    if (f['prog-id']) event['system.target'] = `prog-id ${f['prog-id']}`;
    if (f.op) event['system.operation'] = f.op;
    event.message = `BPF program ${f['prog-id'] ?? '?'} ${load ? 'loaded' : 'unloaded'} by ${who(event)}`;
    return event;
  }
  const time = first('TIME_ADJNTPVAL') ?? first('TIME_INJOFFSET');
  if (time) {
    const f = time.fields;
    const event: Record<string, unknown> = { ...baseEvent(time, m('system', 'time_change', 'change'), true), ...actor(time), 'system.syscall': time.type, 'system.target': 'clock' };
    const op = f.op ?? (time.type === 'TIME_INJOFFSET' ? 'inject offset' : undefined);
    if (op) event['system.operation'] = op;
    event.message = `clock ${op ?? 'adjusted'}${f.old !== undefined ? ` ${f.old} -> ${f.new ?? '?'}` : f.sec !== undefined ? ` by ${f.sec}s ${f.nsec ?? 0}ns` : ''} by ${who(event)}`;
    return event;
  }
  return undefined;
}

/** Undefined unless the group is one of the syscalls or kernel records this module reports. */
export function buildSystemEvent(records: readonly AuditRecord[], options: SystemEventOptions = {}): SystemCollectedEvent | undefined {
  const kernel = fromKernelRecord(records, options);
  if (kernel) return kernel as SystemCollectedEvent;
  const syscall = records.find((r) => r.type === 'SYSCALL');
  if (!syscall) return undefined;
  const name = systemSyscallName(syscall);
  if (name === undefined) return undefined;
  const f = syscall.fields;
  const success = f.success === 'yes';
  const a0 = hex(f.a0);
  const a1 = hex(f.a1);
  let mapping = SYSCALL_ACTIONS[name];
  const extra: Record<string, unknown> = {};
  let detail = '';

  if (name === 'socket') {
    const family = a0;
    const type = a1 === undefined ? undefined : a1 & 0xfn;
    if (family === 17n) mapping = m('network', 'packet_socket', 'start');
    else if ((family === 2n || family === 10n) && type === 3n) {
      mapping = m('network', 'raw_socket', 'start');
      extra['network.type'] = family === 2n ? 'ipv4' : 'ipv6';
      const protocol = Number(hex(f.a2) ?? -1n);
      const transport = ({ 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 255: 'raw' } as Record<number, string>)[protocol];
      if (transport) extra['network.transport'] = transport;
    } else return undefined;
    detail = `family ${String(family)}`;
  } else if (f.key === SENSITIVE_READ_KEY && (name === 'open' || name === 'openat' || name === 'openat2')) {
    mapping = m('file', 'sensitive_read', 'access');
  } else if (name === 'prctl' && a0 !== 15n) return undefined;
  else if (name === 'personality' && a0 === 0xffffffffn) return undefined;
  else if (name === 'syslog' && a0 !== 4n && a0 !== 5n) return undefined;
  if (!mapping) return undefined;

  const event: Record<string, unknown> = { ...baseEvent(syscall, mapping, success), ...actingProcess(syscall, options), ...extra };
  if (mapping.category === 'system') event['system.syscall'] = name;
  const path = pathOf(records, 'NORMAL') ?? pathOf(records);
  switch (name) {
    case 'mount':
    case 'umount2':
    case 'umount':
    case 'swapon':
    case 'swapoff':
      if (path) {
        event['file.path'] = clip(path);
        event['system.target'] = clip(path);
      }
      break;
    case 'sethostname':
    case 'setdomainname':
      event['system.target'] = name === 'sethostname' ? 'hostname' : 'domainname';
      break;
    case 'clock_settime':
    case 'settimeofday':
      event['system.target'] = name === 'clock_settime' ? `clock ${String(a0 ?? '?')}` : 'clock 0';
      break;
    case 'reboot': {
      const command = f.a2 === undefined ? undefined : REBOOT_COMMANDS[f.a2.toLowerCase()];
      event['system.operation'] = command ?? `cmd ${f.a2 ?? '?'}`;
      break;
    }
    case 'unshare':
      detail = namespaces(a0).join(',') || `flags 0x${f.a0 ?? '?'}`;
      break;
    case 'setns':
      detail = namespaces(a1).join(',') || 'any namespace';
      break;
    case 'chroot':
    case 'pivot_root':
      detail = `to ${path ?? '?'}`;
      break;
    case 'open_by_handle_at':
      if (path) event['file.path'] = clip(path);
      break;
    case 'open':
    case 'openat':
    case 'openat2':
      if (path) {
        event['file.path'] = clip(path);
        event['file.name'] = clip(posix.basename(path));
        event['file.directory'] = clip(posix.dirname(path));
        detail = path;
      }
      break;
    case 'prctl':
      // The record is written at syscall exit: comm is already the new name.
      if (f.comm) event['process.name'] = clip(f.comm);
      detail = `renamed to ${f.comm ?? '?'}`;
      break;
    case 'personality':
      detail = `persona 0x${f.a0 ?? '?'}${a0 !== undefined && (a0 & 0x0040000n) !== 0n ? ' (ADDR_NO_RANDOMIZE)' : ''}`;
      break;
    case 'setuid':
    case 'setgid':
      detail = `to ${String(a0 ?? '?')}`;
      break;
    case 'setreuid':
    case 'setresuid':
    case 'setregid':
    case 'setresgid':
      detail = `to ${[f.a0, f.a1, f.a2].slice(0, name.startsWith('setres') ? 3 : 2).map((v) => (v === 'ffffffff' ? '-1' : String(hex(v) ?? '?'))).join('/')}`;
      break;
    case 'process_vm_readv': {
      const target = a0 === undefined ? undefined : Number(a0);
      if (target !== undefined) {
        (event as Record<string, unknown>)['target.process.pid'] = target;
        const entity = options.entityOf?.(target);
        if (entity) event['target.process.entity_id'] = entity;
      }
      break;
    }
    case 'syslog':
      detail = a0 === 4n ? 'read and clear' : 'clear';
      break;
  }
  const target = event['system.target'];
  event.message = clip(`${name}${detail ? ` ${detail}` : ''}${typeof target === 'string' && !detail ? ` ${target}` : ''} by ${who(event)}${success ? '' : ` refused (exit ${f.exit ?? '?'})`}`);
  return event as SystemCollectedEvent;
}

/**
 * `buildSystemEvent` with one piece of state: a process renaming itself to a name it already took is reported once
 * (threads of browsers and runtimes name themselves as they start: prctl records carry the process id, not the thread's).
 */
export function createSystemEventBuilder(options: SystemEventOptions & { maxNames?: number } = {}): (records: readonly AuditRecord[]) => SystemCollectedEvent | undefined {
  const seen = new Set<string>();
  const max = options.maxNames ?? 4096;
  return (records) => {
    const event = buildSystemEvent(records, options);
    if (event?.['event.action'] !== 'name_change') return event;
    const key = `${String(event['process.pid'])}\u0000${String(event['process.name'])}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (seen.size > max) seen.delete(seen.values().next().value!);
    return event;
  };
}
