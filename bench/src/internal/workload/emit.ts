// Turns process trees (what a person, a daemon or an attack runs) into Vigil events shaped like the Linux sources
// produce them (auditd process starts with resolved executables, file, network, DNS, login and autostart events).
// Pure apart from the seeded random source; never touches the machine.

import { createHash } from 'node:crypto';

export type Event = Record<string, unknown>;

export interface Write {
  path: string;
  action?: 'create' | 'modify' | 'permission_change' | 'rename';
  executable?: boolean;
}

export interface Connect {
  /** Host name (resolved with a DNS event first) or address. */
  host: string;
  port: number;
  transport?: 'tcp' | 'udp';
}

/** One program run: its children run after it starts, in order. */
export interface Proc {
  /** Resolved executable path (what the kernel reports, symlinks followed); '' for a step inside the parent (a shell's own redirection). */
  exe: string;
  /** argv as typed; argv[0] may be a bare name. */
  argv: string[];
  user?: string;
  cwd?: string;
  children?: Proc[];
  writes?: Write[];
  connects?: Connect[];
  listens?: { port: number; transport?: 'tcp' | 'udp' }[];
  autostart?: { location: string; name: string; path?: string; action?: 'created' | 'modified' }[];
  services?: { name: string; action: 'created' | 'modified' | 'enabled' | 'started' }[];
  /** su/sudo switching to this user (an authentication privilege_switch event). */
  switchTo?: string;
  /** Content hash override (a freshly built binary). */
  hash?: string;
  /** Milliseconds between this start and the first child (default 5–200 ms). */
  gapMs?: number;
}

export const UIDS: Record<string, number> = { root: 0, daemon: 1, 'www-data': 33, postgres: 107, 'gitlab-runner': 998, deploy: 1001, ops1: 1002, ops2: 1003, backup: 34 };
const uidOf = (user: string) => UIDS[user] ?? 1000 + (Array.from(user).reduce((a, c) => a + c.charCodeAt(0), 0) % 500);

/** Public addresses for names: CDN-like names rotate within a few /24s, others have one address. */
export function addressOf(host: string, random: () => number): string {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host;
  const digest = createHash('sha256').update(host).digest();
  const rotating = /(cdn|cloudfront|akamai|fastly|googleapis|github|npmjs|debian|ubuntu|amazonaws|docker|pypi|golang|firefox|mozilla|google|microsoft)/.test(host);
  const net = rotating ? Math.floor(random() * 3) : 0;
  if (host.endsWith('.corp') || host.endsWith('.internal')) return `10.${digest[0]! % 8}.${digest[1]}.${1 + (digest[2]! % 250)}`;
  return `${23 + (digest[0]! % 180)}.${digest[1]}.${(digest[2]! + net) % 256}.${1 + (digest[3]! % 250)}`;
}

export interface HostSim {
  hostId: string;
  hostName: string;
  random: () => number;
  /** exe → content version on this host (bumped by package updates). */
  versions: Map<string, number>;
  nextPid: number;
  sequence: number;
  bootId: string;
}

export function createHostSim(hostId: string, hostName: string, random: () => number): HostSim {
  return { hostId, hostName, random, versions: new Map(), nextPid: 1000 + Math.floor(random() * 20000), sequence: 0, bootId: createHash('sha256').update(hostId).digest('hex').slice(0, 32) };
}

export function hashOf(sim: HostSim, exe: string): string {
  return createHash('sha256').update(`${exe}\u0000${sim.versions.get(exe) ?? 0}`).digest('hex');
}

export interface Parent {
  pid: number;
  entity: string;
  exe: string;
  user: string;
  cwd: string;
  tty?: string;
  session?: number;
}

let eventCounter = 0;
function base(sim: HostSim, timeMs: number, category: string, action: string, type: string): Event {
  return {
    '@timestamp': new Date(timeMs).toISOString(),
    'event.id': `${sim.hostId}-${(++eventCounter).toString(36)}`,
    'event.sequence': ++sim.sequence,
    'event.category': category,
    'event.action': action,
    'event.type': type,
    'event.provider': category === 'process' || category === 'authentication' ? 'auditd' : category === 'network' || category === 'dns' ? 'bpftrace' : 'vigil',
    'host.id': sim.hostId,
    'host.name': sim.hostName,
  };
}

function actor(parentOrSelf: { pid: number; entity: string; exe: string; user: string }): Event {
  return { 'process.pid': parentOrSelf.pid, 'process.entity_id': parentOrSelf.entity, 'process.executable': parentOrSelf.exe, 'process.name': basename(parentOrSelf.exe), 'user.name': parentOrSelf.user, 'user.id': String(uidOf(parentOrSelf.user)) };
}

export const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The process start event exactly as the auditd source builds it (process-events.ts). */
export function processStart(sim: HostSim, timeMs: number, parent: Parent, proc: Proc, pid: number, entity: string): Event {
  const user = proc.user ?? parent.user;
  const uid = String(uidOf(user));
  const event: Event = {
    ...base(sim, timeMs, 'process', 'start', 'start'),
    'event.outcome': 'success',
    'process.start': new Date(timeMs).toISOString(),
    'process.pid': pid,
    'process.entity_id': entity,
    'process.executable': proc.exe,
    'process.name': basename(proc.exe),
    'process.args': proc.argv,
    'process.args_count': proc.argv.length,
    'process.command_line': proc.argv.join(' '),
    'process.working_directory': proc.cwd ?? parent.cwd,
    'process.parent.pid': parent.pid,
    'process.parent.entity_id': parent.entity,
    'process.parent.executable': parent.exe,
    'process.parent.name': basename(parent.exe),
    'process.interactive': parent.tty !== undefined,
    'user.id': uid,
    'user.name': user,
    'user.effective.id': uid,
    'user.effective.name': user,
    'group.id': uid,
    'group.name': user,
    'process.hash.sha256': proc.hash ?? hashOf(sim, proc.exe),
  };
  if (parent.session !== undefined) {
    event['process.session_id'] = parent.session;
    event['user.audit.id'] = String(uidOf(parent.user));
    event['user.audit.name'] = parent.user;
  }
  if (parent.tty) event['process.tty.name'] = parent.tty;
  return event;
}

function entityOf(sim: HostSim, pid: number, timeMs: number): string {
  return createHash('sha256').update(`${sim.bootId}:${pid}:${timeMs}`).digest('hex').slice(0, 32);
}

/**
 * Emits a process tree started by `parent` at `timeMs`; returns the events in time order and the time the tree ended.
 * `label` is copied into every event as `_label` (ground truth for the evaluation; removed before profiling).
 */
export function emitTree(sim: HostSim, timeMs: number, parent: Parent, proc: Proc, out: Event[], label?: string): number {
  const random = sim.random;
  const push = (event: Event) => out.push(label ? { ...event, _label: label } : event);
  let self: Parent;
  if (proc.exe === '') {
    self = parent;
  } else {
    const pid = sim.nextPid++;
    if (sim.nextPid > 4_000_000) sim.nextPid = 1000;
    const entity = entityOf(sim, pid, timeMs);
    push(processStart(sim, timeMs, parent, proc, pid, entity));
    self = { pid, entity, exe: proc.exe, user: proc.user ?? parent.user, cwd: proc.cwd ?? parent.cwd, ...(parent.tty ? { tty: parent.tty } : {}), ...(parent.session !== undefined ? { session: parent.session } : {}) };
  }
  const pid = self.pid;
  let t = timeMs + (proc.gapMs ?? 5 + Math.floor(random() * 200));
  if (proc.switchTo) {
    push({
      ...base(sim, t, 'authentication', 'privilege_switch', 'change'), 'event.outcome': 'success', 'process.pid': pid, 'process.executable': proc.exe, 'process.name': basename(proc.exe),
      'logon.service': basename(proc.exe), 'user.target.name': proc.switchTo, 'user.name': self.user, 'user.id': String(uidOf(self.user)),
    });
    self.user = proc.switchTo;
    t += 3;
  }
  for (const c of proc.connects ?? []) {
    const ip = addressOf(c.host, random);
    const isName = !/^[\d.:]+$/.test(c.host);
    if (isName) {
      push({ ...base(sim, t, 'dns', 'query', 'protocol'), ...actor(self), 'dns.question.name': c.host, 'dns.question.type': 'A', 'dns.resolved_ip': [ip], 'network.transport': 'udp', 'network.protocol': 'dns', 'network.direction': 'egress', 'destination.ip': '10.0.0.53', 'destination.port': 53 });
      t += 2 + Math.floor(random() * 20);
    }
    push({
      ...base(sim, t, 'network', 'connect', 'connection'), ...actor(self), 'network.transport': c.transport ?? 'tcp', 'network.type': 'ipv4', 'network.direction': 'egress',
      'source.ip': '10.0.0.2', 'source.port': 32768 + Math.floor(random() * 28000), 'destination.ip': ip, 'destination.port': c.port, ...(isName ? { 'destination.domain': c.host } : {}),
    });
    t += 5 + Math.floor(random() * 100);
  }
  for (const l of proc.listens ?? []) {
    push({ ...base(sim, t, 'network', 'listen', 'start'), ...actor(self), 'network.transport': l.transport ?? 'tcp', 'network.type': 'ipv4', 'network.direction': 'listening', 'source.ip': '0.0.0.0', 'source.port': l.port });
    t += 1;
  }
  for (const w of proc.writes ?? []) {
    const path = w.path.startsWith('/') ? w.path : `${self.cwd}/${w.path}`;
    const name = basename(path);
    const dot = name.lastIndexOf('.');
    push({
      ...base(sim, t, 'file', w.action ?? 'create', w.action === 'permission_change' || w.action === 'modify' || w.action === 'rename' ? 'change' : 'creation'), ...actor(self),
      'file.path': path, 'file.name': name, 'file.directory': path.slice(0, path.lastIndexOf('/')) || '/', ...(dot > 0 ? { 'file.extension': name.slice(dot + 1) } : {}),
      ...(w.executable ? { 'file.executable': true, 'file.mode': '0755' } : {}),
    });
    t += 1 + Math.floor(random() * 10);
  }
  for (const a of proc.autostart ?? []) {
    push({ ...base(sim, t, 'autostart', a.action ?? 'created', a.action === 'modified' ? 'change' : 'creation'), ...actor(self), 'autostart.location': a.location, 'autostart.name': a.name, ...(a.path ? { 'file.path': a.path } : {}) });
    t += 1;
  }
  for (const s of proc.services ?? []) {
    const type = s.action === 'created' ? 'creation' : s.action === 'started' ? 'start' : 'change';
    push({ ...base(sim, t, 'service', s.action, type), ...actor(self), 'service.name': s.name, 'service.type': 'systemd' });
    t += 1;
  }
  for (const child of proc.children ?? []) {
    t = emitTree(sim, t, self, child, out, label) + 2 + Math.floor(random() * 40);
  }
  return t;
}

export function loginEvent(sim: HostSim, timeMs: number, user: string, source: { ip?: string; terminal?: string }, service = 'sshd'): Event {
  return {
    ...base(sim, timeMs, 'authentication', 'logon', 'start'), 'event.outcome': 'success', 'logon.service': service, 'user.name': user, 'user.id': String(uidOf(user)),
    ...(source.ip ? { 'source.ip': source.ip } : {}), ...(source.terminal ? { 'logon.terminal': source.terminal } : {}), 'process.executable': service === 'sshd' ? '/usr/sbin/sshd' : '/usr/sbin/gdm3', 'process.name': service === 'sshd' ? 'sshd' : 'gdm3',
    'process.pid': sim.nextPid++, 'logon.method': service === 'sshd' ? 'publickey' : 'password',
  };
}
