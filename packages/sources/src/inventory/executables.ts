// Executables on PATH and in the common system locations, with sha256, owner, mode bits and ELF metadata.
// Runs in the inventory worker (synchronous I/O). Hashes each file once per (device, inode, size, mtime, ctime);
// never follows a directory recursively and never reads more than the configured bytes per file.

import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { createUserNames, type UserNames } from '../internal/user-names.js';
import { fdSource, parseElf, type ElfInfo } from './elf.js';

export const COMMON_EXECUTABLE_DIRS = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/usr/games', '/usr/local/games'] as const;

export interface ExecutableScanLimits {
  /** Most rows; further files are counted as truncated. */
  maxFiles: number;
  /** Files larger than this are listed without a hash. */
  maxHashBytes: number;
}

export interface ExecutableScanStats {
  files: number;
  hashed: number;
  cached: number;
  elfErrors: number;
  unreadable: number;
  truncated: number;
}

/** What is remembered about one file between scans (plain data: it travels between the worker and the agent). */
export interface CachedFile {
  sha256?: string;
  elf?: ElfInfo;
  elfError?: boolean;
}

/** PATH's absolute entries, the common locations and /opt/<name>/bin, deduplicated by real path, in that order. */
export function executableDirs(pathEnv = process.env.PATH ?? '', extra: readonly string[] = []): string[] {
  const candidates = [...pathEnv.split(':'), ...COMMON_EXECUTABLE_DIRS, ...extra];
  try {
    for (const name of readdirSync('/opt')) candidates.push(join('/opt', name, 'bin'));
  } catch {
    // no /opt
  }
  const seen = new Set<string>();
  const dirs: string[] = [];
  for (const dir of candidates) {
    if (!dir || !isAbsolute(dir)) continue;
    let real: string;
    try {
      real = realpathSync(dir);
      if (!statSync(real).isDirectory()) continue;
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    dirs.push(real);
  }
  return dirs;
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function cacheKey(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** Read buffer shared by all hashing in this thread. */
const chunk = Buffer.allocUnsafe(1 << 20);

/** Reads an open file once for its ELF headers and sha256. */
function inspect(fd: number, size: number, maxHashBytes: number): CachedFile {
  const result: CachedFile = {};
  try {
    const elf = parseElf(fdSource(fd, size));
    if (elf) result.elf = elf;
  } catch {
    result.elfError = true;
  }
  if (size <= maxHashBytes) {
    const hash = createHash('sha256');
    let position = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n <= 0) break;
      hash.update(chunk.subarray(0, n));
      position += n;
    }
    result.sha256 = hash.digest('hex');
  }
  return result;
}

export interface ExecutableScanner {
  scan(dirs: readonly string[], limits: ExecutableScanLimits): { rows: Record<string, unknown>[]; stats: ExecutableScanStats };
  /** The hash cache as plain entries (to keep it while the worker thread is gone) and its restoration. */
  exportCache(): [string, CachedFile][];
  importCache(entries: readonly [string, CachedFile][]): void;
}

/** A scanner that remembers hashes between scans (entries of files no longer seen are dropped after each scan). */
export function createExecutableScanner(names: UserNames = createUserNames()): ExecutableScanner {
  let cache = new Map<string, CachedFile>();
  return {
    scan(dirs, limits) {
      const stats: ExecutableScanStats = { files: 0, hashed: 0, cached: 0, elfErrors: 0, unreadable: 0, truncated: 0 };
      const next = new Map<string, CachedFile>();
      const rows: Record<string, unknown>[] = [];
      for (const dir of dirs) {
        let entries: string[];
        try {
          entries = readdirSync(dir).sort();
        } catch {
          stats.unreadable++;
          continue;
        }
        for (const name of entries) {
          const path = join(dir, name);
          let link: Stats;
          let st: Stats;
          try {
            link = lstatSync(path);
            st = link.isSymbolicLink() ? statSync(path) : link;
          } catch {
            continue; // dangling link or gone
          }
          if (!st.isFile() || (st.mode & 0o111) === 0) continue;
          if (rows.length >= limits.maxFiles) {
            stats.truncated++;
            continue;
          }
          stats.files++;
          const key = cacheKey(st);
          let info = next.get(key) ?? cache.get(key);
          if (info) stats.cached++;
          else {
            let fd: number | undefined;
            try {
              fd = openSync(path, 'r');
              const opened = fstatSync(fd);
              info = inspect(fd, opened.size, limits.maxHashBytes);
              if (info.sha256) stats.hashed++;
            } catch {
              stats.unreadable++;
              info = {};
            } finally {
              if (fd !== undefined) closeSync(fd);
            }
          }
          next.set(key, info);
          if (info.elfError) stats.elfErrors++;
          const owner = names.user(st.uid);
          const group = names.group(st.gid);
          let target: string | undefined;
          if (link.isSymbolicLink()) {
            try {
              target = realpathSync(path);
            } catch {
              target = undefined;
            }
          }
          const elf = info.elf;
          rows.push({
            'file.path': path,
            'file.name': basename(path),
            'file.directory': dirname(path),
            'file.type': link.isSymbolicLink() ? 'symlink' : 'file',
            ...(target ? { 'file.target_path': target } : {}),
            'file.size': st.size,
            'file.mode': modeText(st.mode),
            'file.uid': String(st.uid),
            'file.gid': String(st.gid),
            ...(owner ? { 'file.owner': owner } : {}),
            ...(group ? { 'file.group': group } : {}),
            'file.mtime': new Date(Math.floor(st.mtimeMs)).toISOString(),
            'file.setuid': (st.mode & 0o4000) !== 0,
            'file.setgid': (st.mode & 0o2000) !== 0,
            'file.executable': true,
            ...(info.sha256 ? { 'file.hash.sha256': info.sha256 } : {}),
            ...(elf
              ? {
                  'file.elf.header.class': elf.class,
                  'file.elf.architecture': elf.machine,
                  'file.elf.type': elf.type,
                  ...(elf.interpreter !== undefined ? { 'file.elf.interpreter': elf.interpreter } : {}),
                  'file.elf.needed': elf.needed,
                  'file.elf.stripped': elf.stripped,
                }
              : {}),
          });
        }
      }
      cache = next;
      return { rows, stats };
    },
    exportCache: () => [...cache],
    importCache(entries) {
      cache = new Map(entries);
    },
  };
}
