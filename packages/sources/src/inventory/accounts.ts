// Parsers of /etc/passwd, /etc/group and /etc/shadow for the users and groups inventory and the change records.
// Never keeps or returns a password hash: shadow entries come back as a status and a short digest used only to compare.

import { createHash } from 'node:crypto';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export type PasswordStatus = 'set' | 'empty' | 'locked' | 'disabled';

export interface ShadowEntry {
  name: string;
  status: PasswordStatus;
  /** Days since 1970-01-01 of the last password change; undefined when empty or 0 (must change). */
  lastChangeDays?: number;
  /** Days after which the account expires, when set. */
  expireDays?: number;
  /** First 16 hex digits of SHA-256 of the hash field: tells a changed password without keeping the hash. */
  digest: string;
}

/** Groups whose members are root-equivalent through sudo or su rules in Debian and Red Hat defaults. */
export const PRIVILEGED_GROUPS: ReadonlySet<string> = new Set(['root', 'sudo', 'wheel', 'admin']);

const NUM = /^\d{1,10}$/;

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.length > 0 && !line.startsWith('#') && !line.startsWith('+') && !line.startsWith('-'))
    .map((line) => line.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(text)) {
    if (f.length < 7 || !f[0] || !NUM.test(f[2]!) || !NUM.test(f[3]!)) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4]!, home: f[5]!, shell: f.slice(6).join(':') });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(text)) {
    if (f.length < 4 || !f[0] || !NUM.test(f[2]!)) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: f[3]!.split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

export function passwordStatus(hash: string): PasswordStatus {
  if (hash === '') return 'empty';
  if (hash === '*' || hash === '!' || hash === '!!' || hash === '!*' || hash === 'x') return 'disabled';
  if (hash.startsWith('!')) return 'locked';
  if (hash.startsWith('*')) return 'disabled';
  return 'set';
}

export function parseShadow(text: string): ShadowEntry[] {
  const out: ShadowEntry[] = [];
  for (const f of lines(text)) {
    if (f.length < 2 || !f[0]) continue;
    const hash = f[1]!;
    const last = f[2] && NUM.test(f[2]) && f[2] !== '0' ? Number(f[2]) : undefined;
    const expire = f[7] && NUM.test(f[7]) ? Number(f[7]) : undefined;
    out.push({
      name: f[0],
      status: passwordStatus(hash),
      ...(last !== undefined ? { lastChangeDays: last } : {}),
      ...(expire !== undefined ? { expireDays: expire } : {}),
      digest: createHash('sha256').update(hash).digest('hex').slice(0, 16),
    });
  }
  return out;
}

/** ISO date of a day count since 1970-01-01. */
export function dayToIso(days: number): string {
  return new Date(days * 86_400_000).toISOString();
}

/** Group names of each user: the primary group (by gid) and every group listing the user as a member, sorted. */
export function groupsOfUsers(users: readonly PasswdEntry[], groups: readonly GroupEntry[]): Map<string, string[]> {
  const byGid = new Map(groups.map((g) => [g.gid, g.name]));
  const result = new Map<string, Set<string>>();
  for (const user of users) {
    const set = new Set<string>();
    const primary = byGid.get(user.gid);
    if (primary) set.add(primary);
    result.set(user.name, set);
  }
  for (const group of groups) for (const member of group.members) result.get(member)?.add(group.name);
  return new Map([...result].map(([name, set]) => [name, [...set].sort()]));
}
