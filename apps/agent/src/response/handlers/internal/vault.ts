// The quarantine vault under the agent's state folder: one content file (mode 0000, immutable when possible) and one
// JSON record per entry. Never loses a file: the original is removed only after the vault copy is durable and hashes
// the same, and a restore never overwrites anything at the original path.

import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, constants, copyFileSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import { applyLockFlags, chattr, clearLockFlags, fsyncDir, hasFlag, octal, readFlags, setTimesNs, sha256File, writeJsonDurable } from './file-ops.js';

export interface VaultEntry {
  id: string;
  /** `pending` while the move runs; a crash leaves it pending and the content where the move got to. */
  state: 'pending' | 'quarantined' | 'restored';
  original_path: string;
  sha256: string;
  size: number;
  uid: number;
  gid: number;
  /** Permission bits in octal ("0755"), setuid/setgid/sticky included. */
  mode: string;
  /** Nanoseconds since the epoch, as decimal strings (bigints do not survive JSON). */
  atime_ns: string;
  mtime_ns: string;
  ctime_ns: string;
  /** lsattr flags the file had ("----i---------e-------"); null when its file system has none. */
  flags: string | null;
  nlink: number;
  inode: string;
  device: string;
  /** Whether the vault copy got the immutable flag. */
  vault_immutable: boolean;
  quarantined_at: string;
  task_id: string;
  restored_at?: string;
  restore_task_id?: string;
}

const ID = /^[0-9a-f]{32}$/;

/** Checks a vault record read from disk (it crosses a trust boundary: the disk may have been tampered with). */
export function parseVaultEntry(text: string, where: string): VaultEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new VigilError('system', `vault record ${where} is not JSON: ${(error as Error).message}`, { location: { file: where } });
  }
  const fail = (field: string, want: string): never => {
    throw new VigilError('system', `vault record ${where}: ${field} must be ${want}`, { location: { file: where, path: `$.${field}` } });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('(root)', 'an object');
  const v = value as Record<string, unknown>;
  const str = (field: string, pattern?: RegExp) => (typeof v[field] === 'string' && (!pattern || pattern.test(v[field] as string)) ? (v[field] as string) : fail(field, pattern ? `a string matching ${pattern}` : 'a string'));
  const int = (field: string) => (Number.isSafeInteger(v[field]) && (v[field] as number) >= 0 ? (v[field] as number) : fail(field, 'a non-negative integer'));
  const ns = /^-?\d{1,25}$/;
  const state = str('state');
  if (state !== 'pending' && state !== 'quarantined' && state !== 'restored') fail('state', 'pending, quarantined or restored');
  const flags = v.flags === null ? null : str('flags', /^[A-Za-z-]{1,40}$/);
  if (typeof v.vault_immutable !== 'boolean') fail('vault_immutable', 'a boolean');
  const entry: VaultEntry = {
    id: str('id', ID),
    state: state as VaultEntry['state'],
    original_path: str('original_path', /^\/[^\0]*$/),
    sha256: str('sha256', /^[0-9a-f]{64}$/),
    size: int('size'),
    uid: int('uid'),
    gid: int('gid'),
    mode: str('mode', /^[0-7]{4}$/),
    atime_ns: str('atime_ns', ns),
    mtime_ns: str('mtime_ns', ns),
    ctime_ns: str('ctime_ns', ns),
    flags,
    nlink: int('nlink'),
    inode: str('inode', /^\d+$/),
    device: str('device', /^\d+$/),
    vault_immutable: v.vault_immutable as boolean,
    quarantined_at: str('quarantined_at'),
    task_id: str('task_id'),
  };
  if (v.restored_at !== undefined) entry.restored_at = str('restored_at');
  if (v.restore_task_id !== undefined) entry.restore_task_id = str('restore_task_id');
  return entry;
}

export interface VaultOptions {
  /** Folder of the vault (`<stateDir>/quarantine`). */
  dir: string;
  /** Set the immutable flag on vault copies (default true; skipped silently where the file system has no flags). */
  immutable?: boolean;
}

export interface QuarantineResult {
  entry: VaultEntry;
  /** The path is gone and the vault copy hashes as the file did before the move. */
  verified: boolean;
  problems: string[];
}

export interface RestoreResult {
  entry: VaultEntry;
  verified: boolean;
  problems: string[];
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException)?.code ?? '');
}

function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw VigilError.wrap(error, 'system', `cannot stat ${path}`);
  }
}

/** Copies `from` to a new file `to` (never overwriting), fsyncs it and removes it again if anything fails. */
function copyDurable(from: string, to: string): void {
  try {
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    const fd = openSync(to, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (!isCode(error, 'EEXIST')) {
      try {
        unlinkSync(to);
      } catch {
        // nothing was created
      }
    }
    throw error;
  }
}

export interface Vault {
  readonly dir: string;
  quarantine(path: string, taskId: string): Promise<QuarantineResult>;
  restore(id: string, taskId: string, checkPath: (path: string) => string): Promise<RestoreResult>;
  get(id: string): VaultEntry | undefined;
  list(): VaultEntry[];
}

export function createVault(options: VaultOptions): Vault {
  const dir = options.dir;
  const wantImmutable = options.immutable ?? true;
  const content = (id: string) => join(dir, `${id}.bin`);
  const record = (id: string) => join(dir, `${id}.json`);

  const ensureDir = () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  };

  const get = (id: string): VaultEntry | undefined => {
    if (!ID.test(id)) return undefined;
    let text: string;
    try {
      text = readFileSync(record(id), 'utf8');
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw VigilError.wrap(error, 'system', `cannot read vault record ${id}`);
    }
    return parseVaultEntry(text, record(id));
  };

  return {
    dir,
    get,
    list() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((name) => /^[0-9a-f]{32}\.json$/.test(name))
        .map((name) => get(name.slice(0, 32)))
        .filter((entry): entry is VaultEntry => !!entry);
    },

    async quarantine(path, taskId) {
      const before = lstatOrUndefined(path);
      if (!before) throw new VigilError('not_found', `${path} does not exist`, { location: { path: 'args.path' } });
      if (!before.isFile()) throw new VigilError('invalid_input', `${path} is not a regular file (quarantine moves regular files; use file.delete for links and folders)`, { location: { path: 'args.path' } });
      ensureDir();
      const flags = await readFlags(path);
      const problems: string[] = [];
      const id = randomBytes(16).toString('hex');
      const dest = content(id);
      // The times of the file before this action reads it (reading may move the access time).
      const digestBefore = await sha256File(path);
      const entry: VaultEntry = {
        id,
        state: 'pending',
        original_path: path,
        sha256: digestBefore.sha256,
        size: digestBefore.size,
        uid: Number(before.uid),
        gid: Number(before.gid),
        mode: octal(Number(before.mode)),
        atime_ns: String(before.atimeNs),
        mtime_ns: String(before.mtimeNs),
        ctime_ns: String(before.ctimeNs),
        flags: flags ?? null,
        nlink: Number(before.nlink),
        inode: String(before.ino),
        device: String(before.dev),
        vault_immutable: false,
        quarantined_at: new Date().toISOString(),
        task_id: taskId,
      };
      writeJsonDurable(record(id), entry);
      try {
        await clearLockFlags(path, flags);
        try {
          renameSync(path, dest);
        } catch (error) {
          if (!isCode(error, 'EXDEV')) throw error;
          copyDurable(path, dest);
          const copied = await sha256File(dest);
          if (copied.sha256 !== digestBefore.sha256) {
            unlinkSync(dest);
            throw new VigilError('conflict', `${path} changed while it was copied into the vault; nothing was moved, retry`);
          }
          unlinkSync(path);
        }
      } catch (error) {
        try {
          unlinkSync(record(id));
        } catch {
          // the record is only a leftover
        }
        if (lstatOrUndefined(path)) await applyLockFlags(path, flags).catch(() => undefined);
        throw VigilError.wrap(error, 'system', `cannot move ${path} into the vault`);
      }
      chownSync(dest, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
      chmodSync(dest, 0o000);
      const after = await sha256File(dest);
      if (after.sha256 !== digestBefore.sha256) {
        problems.push(`the file changed between hashing and moving: the vault holds sha256 ${after.sha256}, the file had ${digestBefore.sha256}`);
        entry.sha256 = after.sha256;
        entry.size = after.size;
      }
      if (wantImmutable) {
        try {
          if ((await readFlags(dest)) !== undefined) {
            await chattr(dest, '+i');
            entry.vault_immutable = hasFlag(await readFlags(dest), 'i');
          }
        } catch (error) {
          problems.push(`vault copy not made immutable: ${(error as Error).message}`);
        }
      }
      fsyncDir(dir);
      entry.state = 'quarantined';
      writeJsonDurable(record(id), entry);
      if (lstatOrUndefined(path)) problems.push(`something exists at ${path} again (recreated after the move)`);
      return { entry, verified: problems.length === 0, problems };
    },

    async restore(id, taskId, checkPath) {
      const entry = get(id);
      if (!entry) throw new VigilError('not_found', `no vault entry ${id}`, { location: { path: 'args.vault_id' } });
      // A pending entry is one whose quarantine was interrupted after the record was written: restorable when its
      // content made it into the vault (the hash check below proves it is the recorded file).
      if (entry.state === 'restored') throw new VigilError('conflict', `vault entry ${id} was already restored (${entry.restored_at ?? 'time unknown'})`, { location: { path: 'args.vault_id' } });
      const path = checkPath(entry.original_path);
      if (lstatOrUndefined(path)) throw new VigilError('conflict', `${path} exists; move it away before restoring vault entry ${id}`);
      const src = content(id);
      if (!lstatOrUndefined(src)) throw new VigilError('system', `vault entry ${id} has no content file ${src}`);
      if (entry.vault_immutable) await chattr(src, '-i');
      const stored = await sha256File(src);
      if (stored.sha256 !== entry.sha256) throw new VigilError('system', `vault copy of ${id} hashes ${stored.sha256}, recorded ${entry.sha256}: the vault was tampered with; not restored`);
      try {
        try {
          linkSync(src, path);
        } catch (error) {
          if (!isCode(error, 'EXDEV', 'EPERM', 'EMLINK')) throw error;
          copyDurable(src, path);
        }
      } catch (error) {
        if (entry.vault_immutable) await chattr(src, '+i').catch(() => undefined);
        if (isCode(error, 'EEXIST')) throw new VigilError('conflict', `${path} was created while restoring; not overwritten`);
        if (isCode(error, 'ENOENT')) throw new VigilError('not_found', `the folder of ${path} does not exist any more`, { cause: error });
        throw VigilError.wrap(error, 'system', `cannot restore ${path}`);
      }
      const problems: string[] = [];
      const restored = await sha256File(path);
      if (restored.sha256 !== entry.sha256) problems.push(`restored content hashes ${restored.sha256}, recorded ${entry.sha256}`);
      // The vault name goes first: after a hard link both names share the inode, whose flags are set below.
      unlinkSync(src);
      fsyncDir(dir);
      // chown clears setuid/setgid, so the mode comes after it; times come after every write and read.
      chownSync(path, entry.uid, entry.gid);
      chmodSync(path, parseInt(entry.mode, 8));
      await setTimesNs(path, BigInt(entry.atime_ns), BigInt(entry.mtime_ns));
      await applyLockFlags(path, entry.flags ?? undefined);
      const after = lstatSync(path, { bigint: true });
      if (Number(after.uid) !== entry.uid || Number(after.gid) !== entry.gid) problems.push(`owner is ${after.uid}:${after.gid}, recorded ${entry.uid}:${entry.gid}`);
      if (octal(Number(after.mode)) !== entry.mode) problems.push(`mode is ${octal(Number(after.mode))}, recorded ${entry.mode}`);
      if (String(after.mtimeNs) !== entry.mtime_ns) problems.push(`modification time is ${after.mtimeNs} ns, recorded ${entry.mtime_ns}`);
      if (String(after.atimeNs) !== entry.atime_ns) problems.push(`access time is ${after.atimeNs} ns, recorded ${entry.atime_ns}`);
      const flagsNow = entry.flags === null ? undefined : await readFlags(path);
      for (const flag of ['i', 'a'] as const) if (entry.flags !== null && hasFlag(flagsNow, flag) !== hasFlag(entry.flags, flag)) problems.push(`flag ${flag} is ${hasFlag(flagsNow, flag) ? 'set' : 'clear'}, recorded ${hasFlag(entry.flags, flag) ? 'set' : 'clear'}`);
      entry.state = 'restored';
      entry.restored_at = new Date().toISOString();
      entry.restore_task_id = taskId;
      writeJsonDurable(record(id), entry);
      return { entry, verified: problems.length === 0, problems };
    },
  };
}
