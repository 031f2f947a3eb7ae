// Where persistence, accounts and services live on a Linux host: the directories the change records watch, which
// entries of each count, and what they mean. Plain data derived from the file system and /etc/passwd.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PasswdEntry } from '../inventory/accounts.js';
import { SYSTEMD_UNIT_DIRS, SYSV_INIT_DIR } from '../inventory/services.js';

export type Handler = 'autostart' | 'accounts' | 'sudoers' | 'systemd_unit' | 'systemd_wants' | 'sysv_script' | 'sysv_link';

export interface WatchPoint {
  dir: string;
  /** Entries of `dir` that belong to this point; undefined: every file and link except those another point names. */
  names?: ReadonlySet<string>;
  handler: Handler;
  /** autostart.location of records from this point. */
  location?: string;
  /** autostart.user: the account the files belong to (home directories, user crontabs by file name). */
  user?: string;
  /** For user crontabs and at jobs: the file name is the user. */
  userFromName?: boolean;
  /** For .wants / .requires directories: the unit that wants the entries. */
  wantedBy?: string;
}

export const SHELL_RC_FILES = ['.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.profile', '.zshrc', '.zprofile', '.zshenv', '.zlogin', '.cshrc', '.tcshrc', '.kshrc', '.xprofile', '.xinitrc', '.xsessionrc'] as const;
export const AUTHORIZED_KEYS_FILES = ['authorized_keys', 'authorized_keys2'] as const;

const NOLOGIN = /(?:nologin|false|sync|halt|shutdown)$/;

function subdirs(dir: string, suffixes: readonly string[]): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && suffixes.some((suffix) => entry.name.endsWith(suffix)))
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

/** Accounts whose home directories are watched: root, regular users (uid 1000-65533) and any account with a login shell. */
export function watchedHomes(users: readonly PasswdEntry[]): { user: string; home: string }[] {
  const seen = new Set<string>();
  const out: { user: string; home: string }[] = [];
  for (const user of users) {
    const regular = user.uid === 0 || (user.uid >= 1000 && user.uid < 65534) || !NOLOGIN.test(user.shell);
    if (!regular || !user.home.startsWith('/') || user.home === '/' || seen.has(user.home)) continue;
    seen.add(user.home);
    out.push({ user: user.name, home: user.home });
  }
  return out;
}

/**
 * Every watch point for the host. Directories that do not exist yet are listed too (the source watches them once
 * they appear, at the next rescan).
 */
export function watchPoints(users: readonly PasswdEntry[]): WatchPoint[] {
  const points: WatchPoint[] = [
    { dir: '/etc', names: new Set(['passwd', 'group', 'shadow']), handler: 'accounts' },
    { dir: '/etc', names: new Set(['sudoers']), handler: 'sudoers' },
    { dir: '/etc/sudoers.d', handler: 'sudoers' },
    { dir: '/etc', names: new Set(['crontab']), handler: 'autostart', location: 'cron', user: 'root' },
    { dir: '/etc', names: new Set(['anacrontab']), handler: 'autostart', location: 'cron', user: 'root' },
    { dir: '/etc', names: new Set(['rc.local']), handler: 'autostart', location: 'rc_local', user: 'root' },
    { dir: '/etc/rc.d', names: new Set(['rc.local']), handler: 'autostart', location: 'rc_local', user: 'root' },
    { dir: '/etc', names: new Set(['ld.so.preload']), handler: 'autostart', location: 'ld_so_preload' },
    { dir: '/etc', names: new Set(['profile', 'bash.bashrc', 'bashrc', 'zprofile', 'zshrc', 'csh.cshrc', 'csh.login', 'environment']), handler: 'autostart', location: 'profile' },
    { dir: '/etc/profile.d', handler: 'autostart', location: 'profile' },
    { dir: '/etc/zsh', names: new Set(['zshrc', 'zprofile', 'zshenv', 'zlogin']), handler: 'autostart', location: 'profile' },
    { dir: '/etc/cron.d', handler: 'autostart', location: 'cron' },
    ...['hourly', 'daily', 'weekly', 'monthly', 'yearly'].map((period): WatchPoint => ({ dir: `/etc/cron.${period}`, handler: 'autostart', location: 'cron', user: 'root' })),
    { dir: '/var/spool/cron/crontabs', handler: 'autostart', location: 'cron', userFromName: true },
    { dir: '/var/spool/cron', handler: 'autostart', location: 'cron', userFromName: true },
    { dir: '/var/spool/cron/atjobs', handler: 'autostart', location: 'at' },
    { dir: '/var/spool/at', handler: 'autostart', location: 'at' },
    { dir: '/etc/udev/rules.d', handler: 'autostart', location: 'udev_rule' },
    { dir: '/lib/udev/rules.d', handler: 'autostart', location: 'udev_rule' },
    { dir: '/usr/lib/udev/rules.d', handler: 'autostart', location: 'udev_rule' },
    { dir: '/etc/xdg/autostart', handler: 'autostart', location: 'xdg_autostart' },
    { dir: SYSV_INIT_DIR, handler: 'sysv_script' },
    ...['rc0.d', 'rc1.d', 'rc2.d', 'rc3.d', 'rc4.d', 'rc5.d', 'rc6.d', 'rcS.d'].map((name): WatchPoint => ({ dir: `/etc/${name}`, handler: 'sysv_link' })),
  ];
  for (const dir of [...SYSTEMD_UNIT_DIRS, '/etc/systemd/user', '/usr/lib/systemd/user']) {
    points.push({ dir, handler: 'systemd_unit' });
    for (const wants of subdirs(dir, ['.wants', '.requires'])) points.push({ dir: wants, handler: 'systemd_wants', wantedBy: wants.slice(wants.lastIndexOf('/') + 1).replace(/\.(wants|requires)$/, '') });
  }
  for (const { user, home } of watchedHomes(users)) {
    points.push({ dir: home, names: new Set(SHELL_RC_FILES), handler: 'autostart', location: 'shell_rc', user });
    points.push({ dir: join(home, '.ssh'), names: new Set(AUTHORIZED_KEYS_FILES), handler: 'autostart', location: 'authorized_keys', user });
    points.push({ dir: join(home, '.config', 'autostart'), handler: 'autostart', location: 'xdg_autostart', user });
  }
  return points;
}

/** The point an entry of `dir` belongs to: the first point naming it, else the first point taking every entry. */
export function pointFor(points: readonly WatchPoint[], dir: string, name: string): WatchPoint | undefined {
  let open: WatchPoint | undefined;
  for (const point of points) {
    if (point.dir !== dir) continue;
    if (point.names?.has(name)) return point;
    if (!point.names && !open) open = point;
  }
  return open;
}
