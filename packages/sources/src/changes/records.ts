// Turns a change of a watched file into change-record events: autostart entries, accounts and groups (per account,
// from the parsed before/after of passwd, group and shadow), sudoers, systemd units and SysV scripts and links.
// Never puts a password hash (or anything derived from one) into an event.

import { basename, dirname } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import type { UserNames } from '../internal/user-names.js';
import { dayToIso, parseGroup, parsePasswd, parseShadow, PRIVILEGED_GROUPS, type GroupEntry, type PasswdEntry, type ShadowEntry } from '../inventory/accounts.js';
import { parseUnitFile } from '../inventory/services.js';
import type { FileState } from './file-state.js';
import { truncate, unifiedDiff } from './unified-diff.js';
import type { WatchPoint } from './watch-points.js';

export interface FileChange {
  path: string;
  point: WatchPoint;
  before?: FileState;
  after?: FileState;
  /** Attributes that changed (content, mode, owner, target, type); empty for creation and deletion. */
  fields: string[];
}

export interface RecordLimits {
  /** Longest change.before / change.after (characters). */
  contentLimit: number;
  /** Longest change.diff (characters). */
  diffLimit: number;
}

type Fields = Record<string, unknown>;
const octal = (mode: number) => mode.toString(8).padStart(4, '0');

function textOf(state: FileState | undefined): string {
  if (!state) return '';
  if (state.kind === 'symlink') return `-> ${state.target ?? '?'}\n`;
  return state.text ?? '';
}

/** file.* fields of the entry (after the change, or before it for a deletion). */
function fileFields(path: string, state: FileState | undefined, previous: FileState | undefined, names: UserNames): Fields {
  const shown = state ?? previous;
  const owner = shown ? names.user(shown.uid) : undefined;
  const group = shown ? names.group(shown.gid) : undefined;
  return {
    'file.path': path,
    'file.name': basename(path),
    'file.directory': dirname(path),
    ...(shown
      ? {
          'file.type': shown.kind,
          'file.size': shown.size,
          'file.mode': octal(shown.mode),
          'file.uid': String(shown.uid),
          'file.gid': String(shown.gid),
          ...(owner ? { 'file.owner': owner } : {}),
          ...(group ? { 'file.group': group } : {}),
          'file.mtime': new Date(shown.mtimeMs).toISOString(),
          ...(shown.target ? { 'file.target_path': shown.target } : {}),
        }
      : {}),
    ...(state?.sha256 ? { 'file.hash.sha256': state.sha256 } : {}),
    ...(previous && state && previous.mode !== state.mode ? { 'file.previous_mode': octal(previous.mode) } : {}),
    ...(previous && state && previous.uid !== state.uid ? { 'file.previous_uid': String(previous.uid) } : {}),
  };
}

/** change.* fields from two texts (diff, truncated copies) and the content hashes. */
function changeFields(beforeText: string, afterText: string, fields: string[], limits: RecordLimits, label: string, hashes: { before?: string; after?: string } = {}): Fields {
  const diff = truncate(unifiedDiff(beforeText, afterText, { fromLabel: `a${label}`, toLabel: `b${label}` }), limits.diffLimit);
  const before = truncate(beforeText, limits.contentLimit);
  const after = truncate(afterText, limits.contentLimit);
  return {
    ...(beforeText ? { 'change.before': before.text } : {}),
    ...(afterText ? { 'change.after': after.text } : {}),
    ...(diff.text ? { 'change.diff': diff.text } : {}),
    ...(fields.length ? { 'change.fields': fields } : {}),
    ...(hashes.before ? { 'change.before_sha256': hashes.before } : {}),
    ...(hashes.after ? { 'change.after_sha256': hashes.after } : {}),
    ...(diff.truncated || before.truncated || after.truncated ? { 'change.truncated': true } : {}),
  };
}

function base(category: string, action: string, type: string, message: string): Fields {
  return { '@timestamp': new Date().toISOString(), 'event.category': category, 'event.action': action, 'event.type': type, 'event.outcome': 'success', 'event.provider': 'filesystem', message };
}

function verb(change: FileChange): { action: 'created' | 'modified' | 'deleted'; type: string; word: string } {
  if (!change.before) return { action: 'created', type: 'creation', word: 'created' };
  if (!change.after) return { action: 'deleted', type: 'deletion', word: 'deleted' };
  return { action: 'modified', type: 'change', word: `changed (${change.fields.join(', ')})` };
}

/** Lines present after and not before (non-comment), i.e. what a new cron line, key or profile line runs. */
function addedLines(before: string, after: string): string {
  const old = new Set(before.split('\n'));
  return after
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#') && !old.has(line))
    .join('\n')
    .slice(0, 4096);
}

function autostartRecord(change: FileChange, location: string, limits: RecordLimits, names: UserNames): Fields {
  const { action, type, word } = verb(change);
  const beforeText = textOf(change.before);
  const afterText = textOf(change.after);
  const shown = change.after ?? change.before;
  const user = change.point.userFromName ? basename(change.path) : change.point.user ?? (shown ? names.user(shown.uid) : undefined);
  let command: string | undefined;
  if (location === 'systemd_unit' && change.after?.text) command = parseUnitFile(change.after.text).execStart;
  else if (afterText) command = addedLines(beforeText, afterText) || undefined;
  return {
    ...base('autostart', action, type, `${location.replace(/_/g, ' ')} entry ${change.path} ${word}`),
    'autostart.location': location,
    'autostart.name': basename(change.path),
    ...(command ? { 'autostart.command': command } : {}),
    ...(user ? { 'autostart.user': user } : {}),
    ...fileFields(change.path, change.after, change.before, names),
    ...changeFields(beforeText, afterText, change.fields, limits, change.path, { ...(change.before?.sha256 ? { before: change.before.sha256 } : {}), ...(change.after?.sha256 ? { after: change.after.sha256 } : {}) }),
  };
}

function serviceRecord(change: FileChange, type: 'systemd' | 'sysv', limits: RecordLimits): Fields {
  const { action, type: eventType, word } = verb(change);
  const name = basename(change.path);
  const unit = change.after?.text && type === 'systemd' ? parseUnitFile(change.after.text) : undefined;
  const executable = type === 'sysv' ? change.path : unit?.execStart;
  const masked = change.after?.kind === 'symlink' && change.after.target === '/dev/null';
  return {
    ...base('service', action, eventType, `${type === 'systemd' ? 'systemd unit' : 'init script'} ${change.path} ${masked ? 'masked' : word}`),
    'service.name': name,
    'service.type': type,
    'service.unit_path': change.path,
    ...(executable ? { 'service.executable': executable } : {}),
    ...(unit?.user ? { 'service.account': unit.user } : {}),
    ...(masked ? { 'service.start_type': 'masked' } : {}),
    ...changeFields(textOf(change.before), textOf(change.after), change.fields, limits, change.path, { ...(change.before?.sha256 ? { before: change.before.sha256 } : {}), ...(change.after?.sha256 ? { after: change.after.sha256 } : {}) }),
  };
}

/** A link appearing in a .wants/.requires directory or an rc?.d S link: the service is enabled there. */
function enableRecord(change: FileChange, type: 'systemd' | 'sysv'): Fields | undefined {
  let name = basename(change.path);
  if (type === 'sysv') {
    if (!/^S\d\d/.test(name)) return undefined;
    name = name.slice(3);
  }
  const enabled = !!change.after && !change.before;
  const disabled = !change.after && !!change.before;
  if (!enabled && !disabled) return undefined;
  const where = type === 'systemd' ? `wanted by ${change.point.wantedBy}` : `started in ${basename(dirname(change.path))}`;
  const target = (change.after ?? change.before)?.target;
  return {
    ...base('service', enabled ? 'enabled' : 'disabled', 'change', `${type === 'systemd' ? 'unit' : 'init script'} ${name} ${enabled ? 'enabled' : 'no longer enabled'} (${where}; link ${change.path})`),
    'service.name': name,
    'service.type': type,
    'service.enabled': enabled,
    ...(target ? { 'service.unit_path': target } : {}),
    'change.fields': ['enabled'],
    'change.before': `${where}: ${disabled ? 'yes' : 'no'}`,
    'change.after': `${where}: ${enabled ? 'yes' : 'no'}`,
  };
}

function sudoersRecord(change: FileChange, limits: RecordLimits, names: UserNames): Fields {
  const { word } = verb(change);
  return {
    ...base('iam', 'sudoers_modified', 'change', `sudo rules ${change.path} ${word}`),
    ...fileFields(change.path, change.after, change.before, names),
    ...changeFields(textOf(change.before), textOf(change.after), change.before && change.after ? change.fields : [change.before ? 'deleted' : 'created'], limits, change.path, { ...(change.before?.sha256 ? { before: change.before.sha256 } : {}), ...(change.after?.sha256 ? { after: change.after.sha256 } : {}) }),
  };
}

// ---- accounts ----

const passwdLine = (u: PasswdEntry) => `${u.name}:x:${u.uid}:${u.gid}:${u.gecos}:${u.home}:${u.shell}\n`;
const groupLine = (g: GroupEntry) => `${g.name}:x:${g.gid}:${g.members.join(',')}\n`;
const shadowText = (s: ShadowEntry) =>
  `${s.name}: password ${s.status}, last changed ${s.lastChangeDays !== undefined ? dayToIso(s.lastChangeDays).slice(0, 10) : 'unknown'}, expires ${s.expireDays !== undefined ? dayToIso(s.expireDays).slice(0, 10) : 'never'}\n`;

/** The text kept for /etc/shadow: one status line per account with a short digest of the hash field (never shown). */
export function renderShadow(content: Buffer): string {
  return parseShadow(content.toString('utf8'))
    .map((s) => `${s.name}:${s.status}:${s.lastChangeDays ?? ''}:${s.expireDays ?? ''}:${s.digest}`)
    .join('\n');
}

function parseRenderedShadow(text: string): Map<string, ShadowEntry> {
  const out = new Map<string, ShadowEntry>();
  for (const line of text.split('\n')) {
    const [name, status, last, expire, digest] = line.split(':');
    if (!name || !status || digest === undefined) continue;
    out.set(name, { name, status: status as ShadowEntry['status'], ...(last ? { lastChangeDays: Number(last) } : {}), ...(expire ? { expireDays: Number(expire) } : {}), digest });
  }
  return out;
}

function byName<T extends { name: string }>(list: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of list) if (!map.has(item.name)) map.set(item.name, item);
  return map;
}

function accountRecords(change: FileChange, limits: RecordLimits, privilegedMembers: (user: string) => boolean): Fields[] {
  const file = basename(change.path);
  const beforeText = change.before?.text ?? '';
  const afterText = change.after?.text ?? '';
  const out: Fields[] = [];
  const fileInfo = { 'file.path': change.path, ...(change.after?.sha256 ? { 'file.hash.sha256': change.after.sha256 } : {}) };
  const hashes = { ...(change.before?.sha256 ? { before: change.before.sha256 } : {}), ...(change.after?.sha256 ? { after: change.after.sha256 } : {}) };
  if (file === 'passwd') {
    const before = byName(parsePasswd(beforeText));
    const after = byName(parsePasswd(afterText));
    for (const [name, user] of after) {
      const old = before.get(name);
      const target = { 'user.target.name': name, 'user.target.id': String(user.uid), 'user.target.home': user.home, 'user.target.shell': user.shell, 'user.target.privileged': user.uid === 0 || privilegedMembers(name) };
      if (!old) {
        out.push({ ...base('iam', 'user_created', 'creation', `account ${name} (uid ${user.uid}) created`), ...target, ...fileInfo, ...changeFields('', passwdLine(user), [], limits, change.path, hashes) });
        continue;
      }
      const fields = (['uid', 'gid', 'gecos', 'home', 'shell'] as const).filter((key) => old[key] !== user[key]);
      if (fields.length) out.push({ ...base('iam', 'user_modified', 'change', `account ${name} changed (${fields.join(', ')})`), ...target, ...fileInfo, ...changeFields(passwdLine(old), passwdLine(user), fields, limits, change.path, hashes) });
    }
    for (const [name, old] of before) {
      if (after.has(name)) continue;
      out.push({ ...base('iam', 'user_deleted', 'deletion', `account ${name} (uid ${old.uid}) deleted`), 'user.target.name': name, 'user.target.id': String(old.uid), 'user.target.home': old.home, ...fileInfo, ...changeFields(passwdLine(old), '', [], limits, change.path, hashes) });
    }
  } else if (file === 'group') {
    const before = byName(parseGroup(beforeText));
    const after = byName(parseGroup(afterText));
    for (const [name, group] of after) {
      const old = before.get(name);
      const target = { 'group.target.name': name, 'group.target.id': String(group.gid) };
      if (!old) {
        out.push({ ...base('iam', 'group_created', 'creation', `group ${name} (gid ${group.gid}) created`), ...target, ...fileInfo, ...changeFields('', groupLine(group), [], limits, change.path, hashes) });
      } else if (old.gid !== group.gid) {
        out.push({ ...base('iam', 'group_modified', 'change', `group ${name} gid ${old.gid} → ${group.gid}`), ...target, ...fileInfo, ...changeFields(groupLine(old), groupLine(group), ['gid'], limits, change.path, hashes) });
      }
      const oldMembers = new Set(old?.members ?? []);
      const newMembers = new Set(group.members);
      for (const member of group.members) {
        if (oldMembers.has(member)) continue;
        const privileged = PRIVILEGED_GROUPS.has(name);
        out.push({ ...base('iam', 'group_member_added', 'change', `${member} added to group ${name}${privileged ? ' (privileged group)' : ''}`), ...target, 'user.target.name': member, ...(privileged ? { 'user.target.privileged': true } : {}), ...fileInfo, ...changeFields(old ? groupLine(old) : '', groupLine(group), ['members'], limits, change.path, hashes) });
      }
      for (const member of oldMembers) {
        if (newMembers.has(member)) continue;
        out.push({ ...base('iam', 'group_member_removed', 'change', `${member} removed from group ${name}`), ...target, 'user.target.name': member, ...fileInfo, ...changeFields(old ? groupLine(old) : '', groupLine(group), ['members'], limits, change.path, hashes) });
      }
    }
    for (const [name, old] of before) {
      if (after.has(name)) continue;
      out.push({ ...base('iam', 'group_deleted', 'deletion', `group ${name} (gid ${old.gid}) deleted`), 'group.target.name': name, 'group.target.id': String(old.gid), ...fileInfo, ...changeFields(groupLine(old), '', [], limits, change.path, hashes) });
    }
  } else if (file === 'shadow') {
    // Accounts appearing or disappearing here are reported from /etc/passwd; only changes of existing ones count.
    const before = parseRenderedShadow(beforeText);
    const after = parseRenderedShadow(afterText);
    for (const [name, now] of after) {
      const old = before.get(name);
      if (!old) continue;
      const target = { 'user.target.name': name };
      const texts = () => changeFields(shadowText(old), shadowText(now), [], limits, change.path);
      const wasLocked = old.status === 'locked' || old.status === 'disabled';
      const isLocked = now.status === 'locked' || now.status === 'disabled';
      if (!wasLocked && isLocked) out.push({ ...base('iam', 'user_disabled', 'change', `account ${name} locked (password ${now.status})`), ...target, 'file.path': change.path, ...texts(), 'change.fields': ['password_status'] });
      else if (wasLocked && !isLocked) out.push({ ...base('iam', 'user_enabled', 'change', `account ${name} unlocked (password ${now.status})`), ...target, 'file.path': change.path, ...texts(), 'change.fields': ['password_status'] });
      // Locking or unlocking adds or removes a "!" (the hash field changes, the change date does not): reported above.
      const lockOnly = wasLocked !== isLocked && old.lastChangeDays === now.lastChangeDays;
      if (old.digest !== now.digest && !lockOnly) out.push({ ...base('iam', 'password_changed', 'change', `password of ${name} changed`), ...target, 'file.path': change.path, ...texts(), 'change.fields': ['password'] });
      if (old.expireDays !== now.expireDays) out.push({ ...base('iam', 'user_modified', 'change', `expiry of ${name} changed`), ...target, 'file.path': change.path, ...texts(), 'change.fields': ['expire'] });
    }
  }
  return out;
}

export interface RecordContext {
  limits: RecordLimits;
  names: UserNames;
  /** Whether an account is a member of a privileged group (from the current /etc/group). */
  privileged(user: string): boolean;
}

/** The change-record events for one changed watched entry. */
export function recordsFor(change: FileChange, context: RecordContext): CollectedEvent[] {
  const { limits, names } = context;
  const events: Fields[] = [];
  switch (change.point.handler) {
    case 'autostart':
      events.push(autostartRecord(change, change.point.location ?? 'other', limits, names));
      break;
    case 'accounts':
      events.push(...accountRecords(change, limits, context.privileged));
      break;
    case 'sudoers':
      events.push(sudoersRecord(change, limits, names));
      break;
    case 'systemd_unit':
      events.push(serviceRecord(change, 'systemd', limits), autostartRecord(change, 'systemd_unit', limits, names));
      break;
    case 'sysv_script':
      events.push(serviceRecord(change, 'sysv', limits), autostartRecord(change, 'init_script', limits, names));
      break;
    case 'systemd_wants': {
      const record = enableRecord(change, 'systemd');
      if (record) events.push(record);
      break;
    }
    case 'sysv_link': {
      const record = enableRecord(change, 'sysv');
      if (record) events.push(record);
      break;
    }
  }
  return events as unknown as CollectedEvent[];
}
