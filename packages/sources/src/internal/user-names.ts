// Resolves numeric uids and gids to names from /etc/passwd and /etc/group, reloading a file when it changes.
// Never blocks for long (two small synchronous reads, at most once per recheck interval) and never throws on bad files.

import { readFileSync, statSync } from 'node:fs';

export interface UserNamesOptions {
  passwdPath?: string;
  groupPath?: string;
  /** How often, at most, the files' modification time is checked, in ms (default 1000). */
  recheckMs?: number;
  /** Monotonic clock in ms; replaceable for tests. */
  now?: () => number;
}

export interface UserNames {
  /** Name of a uid, or undefined when unknown. */
  user(uid: string | number): string | undefined;
  /** Name of a gid, or undefined when unknown. */
  group(gid: string | number): string | undefined;
}

interface Table {
  path: string;
  /** mtime, size and inode of the loaded file; '' when it could not be read. */
  version: string | undefined;
  names: Map<string, string>;
  checkedAt: number;
}

/** Parses `name:password:id:...` lines; the first entry for an id wins, as with getpwuid(3). */
export function parseIdFile(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const parts = line.split(':');
    const name = parts[0];
    const id = parts[2];
    if (!name || id === undefined || !/^\d{1,10}$/.test(id)) continue;
    const key = String(Number(id));
    if (!names.has(key)) names.set(key, name);
  }
  return names;
}

export function createUserNames(options: UserNamesOptions = {}): UserNames {
  const recheckMs = options.recheckMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const tables: Table[] = [
    { path: options.passwdPath ?? '/etc/passwd', version: undefined, names: new Map(), checkedAt: -Infinity },
    { path: options.groupPath ?? '/etc/group', version: undefined, names: new Map(), checkedAt: -Infinity },
  ];

  const refresh = (table: Table) => {
    const at = now();
    if (at - table.checkedAt < recheckMs) return;
    table.checkedAt = at;
    let version = '';
    try {
      const st = statSync(table.path, { bigint: true });
      version = `${st.mtimeNs}:${st.size}:${st.ino}`;
    } catch {
      version = '';
    }
    if (version === table.version) return;
    table.version = version;
    try {
      table.names = version ? parseIdFile(readFileSync(table.path, 'utf8')) : new Map();
    } catch {
      table.names = new Map();
    }
  };

  const lookup = (table: Table, id: string | number) => {
    refresh(table);
    return table.names.get(String(id));
  };

  return {
    user: (uid) => lookup(tables[0]!, uid),
    group: (gid) => lookup(tables[1]!, gid),
  };
}
