// Reads each inventory table from the local machine as schema rows (without host.id and inventory.collected).
// Runs inside the inventory worker: synchronous file reads are fine there and never block the agent's event loop.

import { readFileSync, statSync } from 'node:fs';
import { createUserNames } from '../internal/user-names.js';
import { dayToIso, groupsOfUsers, parseGroup, parsePasswd, parseShadow, PRIVILEGED_GROUPS } from './accounts.js';
import { parseDpkgStatus } from './dpkg.js';
import { createExecutableScanner, executableDirs, type CachedFile } from './executables.js';
import { collectHostRow } from './host.js';
import { parseProcModules } from './kernel-modules.js';
import { createListeningScanner } from './listening.js';
import { scanServices } from './services.js';

export const INVENTORY_TABLES = ['host', 'users', 'groups', 'services', 'executables', 'packages', 'listening_ports', 'kernel_modules'] as const;
export type InventoryTableName = (typeof INVENTORY_TABLES)[number];

export interface TableReadOptions {
  /** Directories scanned for executables (default: PATH, the common locations and /opt/<name>/bin). */
  executableDirs?: readonly string[];
  maxExecutables?: number;
  maxHashBytes?: number;
  /** Where the files live (tests point this at a fixture tree); procfs always comes from /proc. */
  paths?: { passwd?: string; group?: string; shadow?: string; dpkgStatus?: string; dpkgInfo?: string; modules?: string; root?: string };
}

export interface TableResult {
  rows: Record<string, unknown>[];
  /** Numbers for the agent's stats (hashed files, skipped lines, ...). */
  stats: Record<string, number>;
  /** Set when the table could not be read at all (the rows are then empty and must not replace a good snapshot). */
  error?: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The reader's caches as plain data: file hashes and socket owners survive a worker thread that exits when idle. */
export interface ReaderCache {
  files?: [string, CachedFile][];
  owners?: [number, { pid: number; fd: string }][];
}

export interface TableReader {
  read(table: InventoryTableName): TableResult;
  /** The caches the given tables use (file hashes for executables, socket owners for listening_ports). */
  exportCache(tables: readonly InventoryTableName[]): ReaderCache;
  importCache(cache: ReaderCache): void;
}

export function createTableReader(options: TableReadOptions = {}): TableReader {
  const paths = {
    passwd: '/etc/passwd',
    group: '/etc/group',
    shadow: '/etc/shadow',
    dpkgStatus: '/var/lib/dpkg/status',
    dpkgInfo: '/var/lib/dpkg/info',
    modules: '/proc/modules',
    root: '/',
    ...options.paths,
  };
  const names = createUserNames({ passwdPath: paths.passwd, groupPath: paths.group });
  const executables = createExecutableScanner(names);
  const listening = createListeningScanner(names);

  const readers: Record<InventoryTableName, () => TableResult> = {
    host: () => ({ rows: [collectHostRow()], stats: {} }),
    users: (): TableResult => {
      const passwdText = read(paths.passwd);
      if (passwdText === undefined) return { rows: [], stats: {}, error: `cannot read ${paths.passwd}` };
      const users = parsePasswd(passwdText);
      const groups = parseGroup(read(paths.group) ?? '');
      const shadowText = read(paths.shadow);
      const shadow = new Map(parseShadow(shadowText ?? '').map((s) => [s.name, s]));
      const memberships = groupsOfUsers(users, groups);
      const today = Math.floor(Date.now() / 86_400_000);
      const rows = users.map((user) => {
        const status = shadow.get(user.name);
        const groupNames = memberships.get(user.name) ?? [];
        const expired = status?.expireDays !== undefined && status.expireDays <= today;
        return {
          'user.name': user.name,
          'user.id': String(user.uid),
          'group.id': String(user.gid),
          ...(user.gecos ? { 'user.full_name': user.gecos.split(',')[0]!.slice(0, 1024) } : {}),
          'user.home': user.home,
          'user.shell': user.shell,
          'user.password_status': status?.status ?? 'unknown',
          'user.locked': status ? status.status === 'locked' || status.status === 'disabled' || expired : false,
          ...(status?.lastChangeDays !== undefined ? { 'user.password_changed': dayToIso(status.lastChangeDays) } : {}),
          'user.privileged': user.uid === 0 || groupNames.some((g) => PRIVILEGED_GROUPS.has(g)),
          'user.groups': groupNames,
        };
      });
      return { rows, stats: { shadow_unreadable: shadowText === undefined ? 1 : 0 } };
    },
    groups: () => {
      const text = read(paths.group);
      if (text === undefined) return { rows: [], stats: {}, error: `cannot read ${paths.group}` };
      const seen = new Set<string>();
      const rows = parseGroup(text)
        .filter((g) => !seen.has(g.name) && seen.add(g.name))
        .map((g) => ({ 'group.name': g.name, 'group.id': String(g.gid), 'group.members': g.members }));
      return { rows, stats: {} };
    },
    services: () => ({
      rows: scanServices(paths.root).map((s) => ({
        'service.name': s.name,
        'service.type': s.type,
        'service.enabled': s.enabled,
        'service.start_type': s.startType,
        ...(s.executable ? { 'service.executable': s.executable } : {}),
        'service.unit_path': s.unitPath,
        ...(s.account ? { 'service.account': s.account } : {}),
      })),
      stats: {},
    }),
    executables: () => {
      const { rows, stats } = executables.scan(options.executableDirs ?? executableDirs(), { maxFiles: options.maxExecutables ?? 10_000, maxHashBytes: options.maxHashBytes ?? 256 * 1024 * 1024 });
      return { rows, stats: { ...stats } };
    },
    packages: (): TableResult => {
      const text = read(paths.dpkgStatus);
      if (text === undefined) return { rows: [], stats: { dpkg_missing: 1 } };
      const { packages, skipped } = parseDpkgStatus(text);
      const seen = new Set<string>();
      const rows: Record<string, unknown>[] = [];
      for (const pkg of packages) {
        const key = `${pkg.name}|${pkg.architecture}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let installed: string | undefined;
        for (const list of [`${paths.dpkgInfo}/${pkg.name}:${pkg.architecture}.list`, `${paths.dpkgInfo}/${pkg.name}.list`]) {
          try {
            installed = new Date(Math.floor(statSync(list).mtimeMs)).toISOString();
            break;
          } catch {
            // try the other name
          }
        }
        rows.push({
          'package.name': pkg.name,
          'package.version': pkg.version,
          'package.architecture': pkg.architecture,
          'package.type': 'deb',
          ...(pkg.size !== undefined ? { 'package.size': pkg.size } : {}),
          ...(pkg.summary ? { 'package.description': pkg.summary } : {}),
          ...(installed ? { 'package.installed': installed } : {}),
        });
      }
      return { rows, stats: { dpkg_skipped: skipped } };
    },
    listening_ports: () => {
      const { rows, stats } = listening.scan();
      return { rows, stats: { ...stats } };
    },
    kernel_modules: (): TableResult => {
      const text = read(paths.modules);
      if (text === undefined) return { rows: [], stats: { modules_unavailable: 1 } };
      const { modules, skipped } = parseProcModules(text);
      return {
        rows: modules.map((m) => ({ 'driver.name': m.name, 'driver.size': m.size, 'driver.used_by': m.usedBy, 'driver.state': m.state, ...(m.taint ? { 'driver.tainted': m.taint } : {}) })),
        stats: { modules_skipped: skipped },
      };
    },
  };

  return {
    read(table) {
      try {
        return readers[table]();
      } catch (error) {
        return { rows: [], stats: {}, error: (error as Error).message };
      }
    },
    exportCache: (tables) => ({
      ...(tables.includes('executables') ? { files: executables.exportCache() } : {}),
      ...(tables.includes('listening_ports') ? { owners: listening.exportOwners() } : {}),
    }),
    importCache(cache) {
      if (cache.files) executables.importCache(cache.files);
      if (cache.owners) listening.importOwners(cache.owners);
    },
  };
}
