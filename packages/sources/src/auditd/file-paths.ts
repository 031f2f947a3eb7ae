// The watched file-system set: defaults, validation of configured paths, and the audit rules that watch them.
// Never adds a syscall rule over all files: only path watches (dir=/path=, perm=wa), so untouched trees cost nothing.

import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { VigilError } from '@vigil/common';

/** Key of the file watch rules (`ausearch -k vigil-file`). */
export const FILE_RULE_KEY = 'vigil-file';

/**
 * Watched by default: system binaries and libraries, configuration (including cron, systemd, ld.so.preload, sudoers,
 * profile.d), boot files, the cron spool, home folders, root's home, the world-writable temporary folders and /var/log
 * (deletions of login and audit logs). Symbolic links (/bin → /usr/bin on merged-/usr systems) are resolved and nested
 * entries folded into their parent; missing folders are skipped.
 */
export const DEFAULT_FILE_WATCH_PATHS: readonly string[] = [
  '/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin',
  '/lib', '/lib64', '/usr/lib', '/usr/lib64', '/usr/local/lib',
  '/etc', '/boot',
  '/var/spool/cron', '/var/spool/at', '/var/spool/anacron',
  '/usr/lib/systemd', '/etc/systemd', '/run/systemd/system',
  '/home', '/root',
  '/tmp', '/var/tmp', '/dev/shm',
  '/var/log',
];

export interface FileWatchConfig {
  /** Folders or files to watch (default DEFAULT_FILE_WATCH_PATHS). */
  paths?: readonly string[];
  /** Folders whose changes are never reported (audit `never` rules, before the watches). */
  exclude?: readonly string[];
  /** Report writes to /proc/<pid>/mem (injection) and /proc/sys (file modify) (default true). */
  procWrites?: boolean;
  /** Report chattr-style flag changes (FS_IOC_SETFLAGS ioctl) (default true). */
  attributeFlags?: boolean;
}

export interface ResolvedWatchSet {
  /** Absolute real paths with their kind, outermost first; no entry is inside another. */
  watch: Array<{ path: string; kind: 'dir' | 'file' }>;
  exclude: string[];
  /** Configured entries left out, with the reason (missing, inside another entry, excluded). */
  skipped: Array<{ path: string; reason: string }>;
}

const MAX_PATHS = 256;

function checkPathList(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) throw new VigilError('invalid_config', `${where} must be a list of absolute paths`, { location: { path: where } });
  if (value.length > MAX_PATHS) throw new VigilError('invalid_config', `${where} has ${value.length} entries; at most ${MAX_PATHS}`, { location: { path: where } });
  return value.map((entry, i) => {
    if (typeof entry !== 'string' || !entry.startsWith('/') || entry.length > 4096 || /[\0\n]/.test(entry)) {
      throw new VigilError('invalid_config', `${where}[${i}] must be an absolute path without newlines, at most 4096 bytes`, { location: { path: `${where}[${i}]` } });
    }
    return entry;
  });
}

/** Validates a `file` configuration section (a plain object from JSON or YAML); errors name the offending key. */
export function checkFileWatchConfig(value: unknown, where = 'file'): FileWatchConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new VigilError('invalid_config', `${where} must be an object`, { location: { path: where } });
  const input = value as Record<string, unknown>;
  const config: FileWatchConfig = {};
  for (const key of Object.keys(input)) {
    if (!['paths', 'exclude', 'procWrites', 'attributeFlags'].includes(key)) {
      throw new VigilError('invalid_config', `${where}.${key} is not a file watch setting (paths, exclude, procWrites, attributeFlags)`, { location: { path: `${where}.${key}` } });
    }
  }
  if (input.paths !== undefined) config.paths = checkPathList(input.paths, `${where}.paths`);
  if (input.exclude !== undefined) config.exclude = checkPathList(input.exclude, `${where}.exclude`);
  for (const key of ['procWrites', 'attributeFlags'] as const) {
    if (input[key] === undefined) continue;
    if (typeof input[key] !== 'boolean') throw new VigilError('invalid_config', `${where}.${key} must be true or false`, { location: { path: `${where}.${key}` } });
    config[key] = input[key];
  }
  return config;
}

/** `VIGIL_FILE_WATCH` / `VIGIL_FILE_EXCLUDE`: colon-separated absolute paths replacing the defaults / excluded. */
export function fileWatchConfigFromEnv(env: NodeJS.ProcessEnv = process.env): FileWatchConfig {
  const list = (name: string) => {
    const text = env[name];
    if (text === undefined || text.trim() === '') return undefined;
    return checkPathList(text.split(':').filter(Boolean), name);
  };
  const paths = list('VIGIL_FILE_WATCH');
  const exclude = list('VIGIL_FILE_EXCLUDE');
  return { ...(paths ? { paths } : {}), ...(exclude ? { exclude } : {}) };
}

const inside = (path: string, parent: string) => path === parent || path.startsWith(parent === '/' ? '/' : `${parent}/`);

/** Resolves symbolic links, drops missing and nested entries. Reads the file system; never throws for a missing path. */
export function resolveWatchSet(config: FileWatchConfig, realpath: (path: string) => string = realpathSync, kindOf = statKind): ResolvedWatchSet {
  const skipped: ResolvedWatchSet['skipped'] = [];
  const real = (path: string): string | undefined => {
    try {
      return posix.normalize(realpath(path));
    } catch {
      return undefined;
    }
  };
  const exclude = [...new Set((config.exclude ?? []).map((p) => real(p) ?? posix.normalize(p)))];
  const found: Array<{ path: string; kind: 'dir' | 'file' }> = [];
  for (const configured of config.paths ?? DEFAULT_FILE_WATCH_PATHS) {
    const path = real(configured);
    const kind = path === undefined ? undefined : kindOf(path);
    if (path === undefined || kind === undefined) {
      skipped.push({ path: configured, reason: 'missing' });
      continue;
    }
    if (exclude.some((x) => inside(path, x))) {
      skipped.push({ path: configured, reason: 'excluded' });
      continue;
    }
    found.push({ path, kind });
  }
  found.sort((a, b) => a.path.length - b.path.length || a.path.localeCompare(b.path));
  const watch: ResolvedWatchSet['watch'] = [];
  for (const entry of found) {
    const parent = watch.find((w) => w.kind === 'dir' && inside(entry.path, w.path));
    if (parent) {
      if (parent.path !== entry.path) skipped.push({ path: entry.path, reason: `inside ${parent.path}` });
      continue;
    }
    watch.push(entry);
  }
  // Only exclusions inside a watched folder need a rule.
  const needed = exclude.filter((x) => watch.some((w) => w.kind === 'dir' && inside(x, w.path) && x !== w.path));
  return { watch, exclude: needed, skipped };
}

function statKind(path: string): 'dir' | 'file' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** FS_IOC_SETFLAGS (`_IOW('f', 2, long)`): 64-bit and 32-bit request numbers. chattr sets flags with it. */
export const FS_IOC_SETFLAGS = { b64: '0x40086602', b32: '0x40046602' } as const;

/**
 * The audit rules for a watch set, in the order they must be added: exclusions (`never`) first, then the watches,
 * then the /proc write rule and the flag-change ioctl. `selfPid` (the agent) is left out of every rule so the agent's
 * own writes never report themselves.
 */
export function fileAuditRules(set: ResolvedWatchSet, options: { selfPid: number; procWrites?: boolean; attributeFlags?: boolean }): string[][] {
  const self = ['-F', `pid!=${options.selfPid}`];
  const rules: string[][] = [];
  for (const path of set.exclude) rules.push(['never,exit', '-F', `dir=${path}`, '-k', FILE_RULE_KEY]);
  for (const { path, kind } of set.watch) {
    rules.push(['always,exit', '-F', `${kind === 'dir' ? 'dir' : 'path'}=${path}`, '-F', 'perm=wa', '-F', 'success=1', ...self, '-k', FILE_RULE_KEY]);
  }
  if (options.procWrites !== false) {
    // Opens for writing under /proc: /proc/<pid>/mem (injection) and /proc/sys; the rest is dropped in the agent.
    rules.push(['always,exit', '-F', 'arch=b64', '-S', 'open,openat,openat2', '-F', 'dir=/proc', '-F', 'perm=w', '-F', 'success=1', ...self, '-k', FILE_RULE_KEY]);
    rules.push(['always,exit', '-F', 'arch=b32', '-S', 'open,openat,openat2', '-F', 'dir=/proc', '-F', 'perm=w', '-F', 'success=1', ...self, '-k', FILE_RULE_KEY]);
  }
  if (options.attributeFlags !== false) {
    rules.push(['always,exit', '-F', 'arch=b64', '-S', 'ioctl', '-F', `a1=${FS_IOC_SETFLAGS.b64}`, '-F', 'success=1', ...self, '-k', FILE_RULE_KEY]);
    rules.push(['always,exit', '-F', 'arch=b32', '-S', 'ioctl', '-F', `a1=${FS_IOC_SETFLAGS.b32}`, '-F', 'success=1', ...self, '-k', FILE_RULE_KEY]);
  }
  return rules;
}
