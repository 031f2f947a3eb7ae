// Agent handlers of file.quarantine, file.restore, file.delete, path.restrict and path.unrestrict
// (specs in @vigil/response/actions/file). Never acts outside the path policy and never follows a final symlink.

import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';
import type { ActionOutcome } from '@vigil/response';
import type { ActionContext, ActionHandler } from '../handler.js';
import { createPathPolicy, type PathPolicy, type PathPolicyOptions } from './internal/path-policy.js';
import { createVault, type VaultEntry } from './internal/vault.js';
import { applyLockFlags, clearLockFlags, hasFlag, octal, readFlags, sha256File, writeJsonDurable } from './internal/file-ops.js';
import { runCommand } from '../internal/command.js';

export interface FileHandlerOptions extends PathPolicyOptions {
  /** Make vault copies immutable (chattr +i) where the file system supports it (default true). */
  vaultImmutable?: boolean;
  /** file.delete records the sha256 of at most this many files of a tree (default 1000); the rest are counted. */
  deleteHashLimit?: number;
}

export type QuarantineArgs = { path: string };
export type RestoreArgs = { vault_id: string };
export type DeleteArgs = { path: string; recursive?: boolean };
export type RestrictArgs = { path: string; mode?: string; immutable?: boolean };
export type UnrestrictArgs = { path: string };

const vaultDir = (context: Pick<ActionContext, 'stateDir'>) => join(context.stateDir, 'quarantine');
const restrictionsDir = (context: Pick<ActionContext, 'stateDir'>) => join(context.stateDir, 'restrictions');

function lstatOrNotFound(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new VigilError('not_found', `${path} does not exist`, { location: { path: 'args.path' } });
    throw VigilError.wrap(error, 'system', `cannot stat ${path}`);
  }
}

const exists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

const typeOf = (stat: Stats) => (stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : stat.isFIFO() ? 'fifo' : stat.isSocket() ? 'socket' : 'device');

function describeEntry(entry: VaultEntry) {
  return {
    vault_id: entry.id,
    original_path: entry.original_path,
    sha256: entry.sha256,
    size: entry.size,
    uid: entry.uid,
    gid: entry.gid,
    mode: entry.mode,
    mtime: new Date(Number(BigInt(entry.mtime_ns) / 1_000_000n)).toISOString(),
    flags: entry.flags,
    nlink: entry.nlink,
    vault_immutable: entry.vault_immutable,
  };
}

interface TreeEntry {
  path: string;
  type: string;
  size: number;
}

/** Every entry of a tree without following links; refuses a tree that crosses a mount point or holds a protected path. */
function walkTree(root: string, rootStat: Stats, policy: PathPolicy): TreeEntry[] {
  const out: TreeEntry[] = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.dev !== rootStat.dev) throw new VigilError('invalid_input', `refusing to delete ${root}: ${path} is on another file system (mount point)`, { location: { path: 'args.path' } });
      policy.check(path);
      out.push({ path, type: typeOf(stat), size: stat.isFile() ? stat.size : 0 });
      if (stat.isDirectory()) stack.push(path);
      if (out.length > 1_000_000) throw new VigilError('invalid_input', `refusing to delete ${root}: more than a million entries`, { location: { path: 'args.path' } });
    }
  }
  return out;
}

interface RestrictionRecord {
  path: string;
  /** Permission bits before the first restriction, octal. */
  mode: string;
  /** lsattr flags before the first restriction; null on file systems without flags. */
  flags: string | null;
  restricted_at: string;
  task_id: string;
}

function parseRestriction(text: string, where: string): RestrictionRecord {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new VigilError('system', `restriction record ${where} is not JSON: ${(error as Error).message}`, { location: { file: where } });
  }
  const ok =
    typeof value === 'object' &&
    value !== null &&
    typeof value.path === 'string' &&
    typeof value.mode === 'string' &&
    /^[0-7]{4}$/.test(value.mode) &&
    (value.flags === null || (typeof value.flags === 'string' && /^[A-Za-z-]{1,40}$/.test(value.flags))) &&
    typeof value.restricted_at === 'string' &&
    typeof value.task_id === 'string';
  if (!ok) throw new VigilError('system', `restriction record ${where} is malformed`, { location: { file: where } });
  return value as unknown as RestrictionRecord;
}

export function createFileHandlers(options: FileHandlerOptions = {}): ActionHandler[] {
  const policyFor = (context: Pick<ActionContext, 'stateDir'>) => createPathPolicy(context.stateDir, options);
  const vaultFor = (context: Pick<ActionContext, 'stateDir'>) => createVault({ dir: vaultDir(context), immutable: options.vaultImmutable ?? true });
  const hashLimit = options.deleteHashLimit ?? 1000;

  const quarantine: ActionHandler<QuarantineArgs> = {
    action: 'file.quarantine',
    async run(args, context): Promise<ActionOutcome> {
      const path = policyFor(context).resolve(args.path);
      const result = await vaultFor(context).quarantine(path, context.taskId);
      return {
        ok: result.verified,
        verified: result.verified,
        summary: result.verified ? `quarantined ${path} (sha256 ${result.entry.sha256.slice(0, 12)}…, ${result.entry.size} bytes) as vault entry ${result.entry.id}` : `quarantined ${path} as vault entry ${result.entry.id}, but: ${result.problems.join('; ')}`,
        details: { ...describeEntry(result.entry), ...(result.entry.nlink > 1 ? { warning: `the file had ${result.entry.nlink} hard links; the others still hold its content` } : {}), ...(result.problems.length ? { problems: result.problems } : {}) },
      };
    },
  };

  const restore: ActionHandler<RestoreArgs> = {
    action: 'file.restore',
    async run(args, context): Promise<ActionOutcome> {
      const policy = policyFor(context);
      const result = await vaultFor(context).restore(args.vault_id, context.taskId, (path) => policy.check(path, 'vault_id'));
      return {
        ok: result.verified,
        verified: result.verified,
        summary: result.verified ? `restored ${result.entry.original_path} from vault entry ${result.entry.id} (content, owner, mode and times verified)` : `restored ${result.entry.original_path}, but: ${result.problems.join('; ')}`,
        details: { ...describeEntry(result.entry), ...(result.problems.length ? { problems: result.problems } : {}) },
      };
    },
  };

  const remove: ActionHandler<DeleteArgs> = {
    action: 'file.delete',
    async run(args, context): Promise<ActionOutcome> {
      const policy = policyFor(context);
      const path = policy.resolve(args.path);
      const stat = lstatOrNotFound(path);
      const details: Record<string, unknown> = { path, type: typeOf(stat) };
      let entries: TreeEntry[] = [];
      if (stat.isDirectory()) {
        if (!args.recursive) throw new VigilError('invalid_input', `${path} is a folder; set recursive: true to delete it with everything below it`, { location: { path: 'args.recursive' } });
        entries = walkTree(path, stat, policy);
        const files = entries.filter((e) => e.type === 'file');
        const hashed: { path: string; sha256: string; size: number }[] = [];
        for (const file of files.slice(0, hashLimit)) {
          if (context.signal.aborted) throw new VigilError('conflict', 'task cancelled before anything was deleted');
          hashed.push({ path: file.path, ...(await sha256File(file.path)) });
        }
        // A task report is at most 1 MiB: the hashes listed stay under half of it (long paths).
        let listedBytes = 0;
        const listed = hashed.filter((h) => (listedBytes += h.path.length + 100) <= 512 * 1024);
        Object.assign(details, { files: files.length, folders: entries.filter((e) => e.type === 'directory').length + 1, entries: entries.length, bytes: files.reduce((sum, f) => sum + f.size, 0), hashed: listed, hashed_all: listed.length === files.length });
      } else if (stat.isFile()) {
        Object.assign(details, await sha256File(path), { mode: octal(stat.mode), uid: stat.uid, gid: stat.gid });
      } else if (stat.isSymbolicLink()) {
        details.link_target = readlinkSync(path);
      }
      const erase = () => (stat.isDirectory() ? rmSync(path, { recursive: true, force: false }) : unlinkSync(path));
      try {
        erase();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw VigilError.wrap(error, 'system', `cannot delete ${path}`);
        // Immutable or append-only files (a favourite of persistence malware) refuse even root: clear and retry.
        const cleared = await runCommand('chattr', stat.isDirectory() ? ['-R', '-i', '-a', '--', path] : ['-i', '-a', '--', path]);
        details.cleared_flags = cleared.code === 0;
        try {
          erase();
        } catch (again) {
          throw VigilError.wrap(again, 'system', `cannot delete ${path}`);
        }
      }
      const verified = !exists(path);
      return {
        ok: verified,
        verified,
        summary: verified
          ? stat.isDirectory()
            ? `deleted ${path} (${entries.length + 1} entries, ${String(details.bytes)} bytes)`
            : `deleted ${path}${typeof details.sha256 === 'string' ? ` (sha256 ${details.sha256.slice(0, 12)}…)` : ''}`
          : `${path} still exists after deleting it`,
        details,
      };
    },
  };

  const recordPath = (context: Pick<ActionContext, 'stateDir'>, path: string) => join(restrictionsDir(context), `${createHash('sha256').update(path).digest('hex')}.json`);
  const readRecord = (file: string): RestrictionRecord | undefined => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw VigilError.wrap(error, 'system', `cannot read ${file}`);
    }
    return parseRestriction(text, file);
  };

  const restrict: ActionHandler<RestrictArgs> = {
    action: 'path.restrict',
    async run(args, context): Promise<ActionOutcome> {
      if (args.mode === undefined && args.immutable === undefined) throw new VigilError('invalid_input', 'give mode, immutable or both', { location: { path: 'args' } });
      const path = policyFor(context).resolve(args.path);
      const stat = lstatOrNotFound(path);
      if (stat.isSymbolicLink()) throw new VigilError('invalid_input', `${path} is a symbolic link; restrict its target instead`, { location: { path: 'args.path' } });
      const flags = await readFlags(path);
      if (args.immutable !== undefined && flags === undefined) throw new VigilError('system', `the file system of ${path} has no immutable flag`, { location: { path: 'args.immutable' } });
      const file = recordPath(context, path);
      mkdirSync(restrictionsDir(context), { recursive: true, mode: 0o700 });
      // Only the first restriction records the original state; a second one must not record the restricted state.
      const record = readRecord(file) ?? { path, mode: octal(stat.mode), flags: flags ?? null, restricted_at: new Date().toISOString(), task_id: context.taskId };
      writeJsonDurable(file, record);
      const wantMode = args.mode !== undefined ? parseInt(args.mode, 8) : stat.mode & 0o7777;
      const wantImmutable = args.immutable ?? hasFlag(flags, 'i');
      // Immutable and append-only files refuse chmod: clear both, then set what is wanted (append-only stays).
      await clearLockFlags(path, flags);
      chmodSync(path, wantMode);
      await applyLockFlags(path, `${hasFlag(flags, 'a') ? 'a' : ''}${wantImmutable ? 'i' : ''}`);
      const after = lstatSync(path);
      const flagsAfter = await readFlags(path);
      const problems: string[] = [];
      if ((after.mode & 0o7777) !== wantMode) problems.push(`mode is ${octal(after.mode)}, wanted ${octal(wantMode)}`);
      if (flags !== undefined && hasFlag(flagsAfter, 'i') !== wantImmutable) problems.push(`immutable flag is ${hasFlag(flagsAfter, 'i') ? 'set' : 'clear'}`);
      const verified = problems.length === 0;
      return {
        ok: verified,
        verified,
        summary: verified ? `restricted ${path}: mode ${octal(wantMode)}${wantImmutable ? ', immutable' : ''}` : `restricting ${path} did not take: ${problems.join('; ')}`,
        details: { path, previous: { mode: record.mode, flags: record.flags }, mode: octal(after.mode), flags: flagsAfter ?? null, immutable: hasFlag(flagsAfter, 'i'), ...(problems.length ? { problems } : {}) },
      };
    },
  };

  const unrestrict: ActionHandler<UnrestrictArgs> = {
    action: 'path.unrestrict',
    async run(args, context): Promise<ActionOutcome> {
      const path = policyFor(context).resolve(args.path);
      const file = recordPath(context, path);
      const record = readRecord(file);
      if (!record) throw new VigilError('not_found', `no restriction of ${path} is recorded on this agent`, { location: { path: 'args.path' } });
      const stat = lstatOrNotFound(path);
      if (stat.isSymbolicLink()) throw new VigilError('conflict', `${path} has been replaced by a symbolic link; not changed`);
      const flags = await readFlags(path);
      await clearLockFlags(path, flags);
      chmodSync(path, parseInt(record.mode, 8));
      await applyLockFlags(path, record.flags ?? undefined);
      const after = lstatSync(path);
      const flagsAfter = await readFlags(path);
      const problems: string[] = [];
      if (octal(after.mode) !== record.mode) problems.push(`mode is ${octal(after.mode)}, recorded ${record.mode}`);
      for (const flag of ['i', 'a'] as const) if (record.flags !== null && hasFlag(flagsAfter, flag) !== hasFlag(record.flags, flag)) problems.push(`flag ${flag} is ${hasFlag(flagsAfter, flag) ? 'set' : 'clear'}, recorded ${hasFlag(record.flags, flag) ? 'set' : 'clear'}`);
      const verified = problems.length === 0;
      if (verified) unlinkSync(file);
      return {
        ok: verified,
        verified,
        summary: verified ? `restored ${path} to mode ${record.mode}${hasFlag(record.flags ?? undefined, 'i') ? ', immutable' : ''} as before ${record.restricted_at}` : `undoing the restriction of ${path} did not take: ${problems.join('; ')}`,
        details: { path, mode: octal(after.mode), flags: flagsAfter ?? null, restricted_at: record.restricted_at, ...(problems.length ? { problems } : {}) },
      };
    },
  };

  return [quarantine, restore, remove, restrict, unrestrict];
}

/** Entries of the quarantine vault of an agent state folder (for the CLI and tests). */
export function listVault(stateDir: string): VaultEntry[] {
  return createVault({ dir: vaultDir({ stateDir }) }).list();
}
