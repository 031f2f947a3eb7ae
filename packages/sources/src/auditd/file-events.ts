// File operations from audited path watches: create, modify, delete, rename, link, chmod, chown, attribute changes,
// with the acting process; writes to /proc/<pid>/mem become injection events. Reads /proc only to resolve a directory
// descriptor of a live process, and the file itself only after the writer is done (to hash executables).

import { readFile } from 'node:fs/promises';
import { readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { actorFields } from './process-events.js';
import { fileSyscall, type FileSyscall } from './file-syscalls.js';
import type { InjectionCollectedEvent } from './injection-events.js';
import type { AuditRecord } from './record-parser.js';
import type { UserNames } from './user-names.js';
import type { FileInspection } from './file-inspector.js';
import { LD_SO_PRELOAD, ldSoPreloadEvents, parsePreloadList } from './ld-preload.js';

export type FileCollectedEvent = Extract<CollectedEvent, { 'event.category': 'file' }>;
type FileAction = FileCollectedEvent['event.action'];

const MAX_PATH = 4096;
const MAX_NAME = 1024;
const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);

const EVENT_TYPE: Record<string, string> = {
  create: 'creation',
  modify: 'change',
  delete: 'deletion',
  rename: 'change',
  permission_change: 'change',
  owner_change: 'change',
  attribute_change: 'change',
  link: 'creation',
};

/** chattr's attribute letters (e2fsprogs `chattr(1)`), as the names file.attributes uses. */
const CHATTR_LETTERS: Record<string, string> = {
  a: 'append_only', A: 'no_atime', c: 'compressed', C: 'no_cow', d: 'no_dump', D: 'sync_dir', e: 'extents', E: 'encrypted',
  F: 'casefold', i: 'immutable', I: 'indexed', j: 'data_journaling', m: 'no_compress', N: 'inline_data', P: 'project_hierarchy',
  s: 'secure_deletion', S: 'sync', t: 'no_tail_merge', T: 'top_dir', u: 'undeletable', V: 'verity', x: 'dax',
};

export interface ChattrRequest {
  /** Attribute names set by `+x` or `=x` operators. */
  set: string[];
  /** Attribute names cleared by `-x`. */
  cleared: string[];
  /** File operands in order. */
  files: string[];
}

/** Parses a chattr argument vector (argv[0] first); undefined when it has no mode operator or no file. */
export function parseChattrArgs(args: readonly string[]): ChattrRequest | undefined {
  const set: string[] = [];
  const cleared: string[] = [];
  const files: string[] = [];
  let options = true;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (options && arg === '--') {
      options = false;
    } else if (options && (arg === '-v' || arg === '-p')) {
      i++;
    } else if (options && /^-[RVf]+$/.test(arg)) {
      // recursive, verbose, quiet
    } else if (options && /^[+=-][a-zA-Z]+$/.test(arg) && [...arg.slice(1)].every((c) => c in CHATTR_LETTERS)) {
      const names = [...arg.slice(1)].map((c) => CHATTR_LETTERS[c]!);
      (arg[0] === '-' ? cleared : set).push(...names);
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0 || set.length + cleared.length === 0) return undefined;
  return { set: [...new Set(set)], cleared: [...new Set(cleared)], files };
}

/** 0xffffff9c (AT_FDCWD, -100) in either width. */
function isAtFdcwd(hex: string | undefined): boolean {
  if (hex === undefined || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return false;
  return (BigInt(`0x${hex}`) & 0xffffffffn) === 0xffffff9cn;
}

function hexNumber(hex: string | undefined): number | undefined {
  if (hex === undefined || !/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  const value = BigInt(`0x${hex}`);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** S_IFMT of an octal mode from a PATH record (`0100644`) to the file.type vocabulary. */
export function fileTypeOf(mode: number): string | undefined {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o140000:
      return 'socket';
    case 0o010000:
      return 'fifo';
    case 0o020000:
    case 0o060000:
      return 'device';
    default:
      return undefined;
  }
}

export const formatMode = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** `fe:00` (hex major:minor, as PATH records log it) → `254:0`. */
function device(dev: string | undefined): string | undefined {
  const match = dev === undefined ? null : /^([0-9a-fA-F]{1,8}):([0-9a-fA-F]{1,8})$/.exec(dev);
  return match ? `${Number.parseInt(match[1]!, 16)}:${Number.parseInt(match[2]!, 16)}` : undefined;
}

/** PATH records name the item's role `nametype=` (kernel 4.x+) or `objtype=` (older kernels, RHEL 7). */
const nameType = (record: AuditRecord) => record.fields.nametype ?? record.fields.objtype;

const parseOctal = (text: string | undefined) => (text !== undefined && /^[0-7]{1,8}$/.test(text) ? Number.parseInt(text, 8) : undefined);

/** The acting-process fields a file event carries, copied onto the injection and log events derived from it. */
const ACTOR_KEYS = ['process.pid', 'process.entity_id', 'process.parent.pid', 'process.parent.entity_id', 'process.executable', 'process.name', 'process.working_directory', 'user.id', 'user.name', 'user.effective.id', 'user.effective.name', 'group.id', 'group.name', 'user.audit.id', 'user.audit.name', 'process.session_id', 'process.tty.name', 'process.interactive'] as const;

function copyActor(from: object, to: object): void {
  for (const key of ACTOR_KEYS) {
    const value = (from as Record<string, unknown>)[key];
    if (value !== undefined) (to as Record<string, unknown>)[key] = value;
  }
}

/** Truncating writes under this folder are also reported as log/audit_log_cleared. */
const LOG_DIRECTORY = '/var/log/';
const O_TRUNC = 0o1000n;

/** Whether the syscall empties the file: O_TRUNC on open, creat(2), or truncate to length 0. */
function emptied(spec: FileSyscall, fields: Record<string, string>): boolean {
  if (spec.truncates) return true;
  if (spec.flags) {
    const flags = fields[spec.flags];
    return flags !== undefined && /^[0-9a-fA-F]{1,16}$/.test(flags) && (BigInt(`0x${flags}`) & O_TRUNC) !== 0n;
  }
  if (spec.length) return fields[spec.length] === '0';
  return false;
}

type LogCollectedEvent = Extract<CollectedEvent, { 'event.category': 'log' }>;

function clearedLog(base: Partial<FileCollectedEvent>, timeMs: number, path: string, who: string): LogCollectedEvent {
  const event: LogCollectedEvent = {
    '@timestamp': new Date(timeMs).toISOString(),
    'event.category': 'log',
    'event.action': 'audit_log_cleared',
    'event.type': 'deletion',
    'event.provider': 'auditd',
    'event.outcome': 'success',
    'log.file.path': clip(path, MAX_PATH),
    message: `${who} emptied the log file ${path}`,
  };
  copyActor(base, event);
  return event;
}

/** A /proc path written to: the memory of a process, or a sysctl. */
export function classifyProcPath(path: string, actorPid: number | undefined): { kind: 'mem'; pid: number } | { kind: 'sysctl' } | undefined {
  const mem = /^\/proc\/(\d+|self|thread-self)(?:\/task\/(\d+))?\/mem$/.exec(path);
  if (mem) {
    const who = mem[1]!;
    const pid = who === 'self' || who === 'thread-self' ? actorPid : Number(who);
    return pid !== undefined && pid > 0 && pid < 2 ** 31 ? { kind: 'mem', pid } : undefined;
  }
  if (path.startsWith('/proc/sys/')) return { kind: 'sysctl' };
  return undefined;
}

export interface FileEventOptions {
  users?: UserNames;
  entityOf?: (pid: number) => string | undefined;
  /** Executable of a live process (for injection targets); undefined when gone. */
  readExecutable?: (pid: number) => string | undefined;
  /** Target of /proc/<pid>/fd/<fd> or /proc/<pid>/cwd of a live process; undefined when gone. */
  readLink?: (path: string) => string | undefined;
  /** Waits until a written file is settled and hashes it when it is an executable (file-inspector.ts). */
  inspect?: (path: string) => Promise<FileInspection>;
  /** Reads /etc/ld.so.preload after it changed (default: the file, at most 64 KiB). */
  readPreload?: () => Promise<string | undefined>;
  /** The agent's own pid: its writes are never reported (the audit rules exclude it too). */
  selfPid?: number;
  /** Path prefixes never reported (the same as the audit `never` rules). */
  exclude?: readonly string[];
  /** Most directory inodes remembered for resolving names relative to a directory descriptor (default 4096). */
  maxDirectories?: number;
}

export interface FileBuildResult {
  /** Events ready now, in audit order. */
  now: CollectedEvent[];
  /** Events that wait for the written file to settle (hash of an executable); emitted when ready, out of order. */
  later?: Promise<CollectedEvent[]>;
}

export interface FileEventStats {
  fileEvents: number;
  procMemWrites: number;
  /** Writes under /proc other than mem and sys, dropped. */
  procOther: number;
  /** File events whose path could not be made absolute (a directory descriptor of a process that was gone). */
  unresolved: number;
}

export interface FileEventBuilder {
  /** Undefined unless the records are an audited file syscall. Call in audit order. */
  build(records: readonly AuditRecord[]): FileBuildResult | undefined;
  /** Remembers the working directory and arguments of every exec, for syscalls that log neither (chattr's ioctl). */
  noteExec(records: readonly AuditRecord[]): void;
  stats(): FileEventStats;
}

const defaultReadLink = (path: string): string | undefined => {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
};

export function createFileEventBuilder(options: FileEventOptions = {}): FileEventBuilder {
  const readLink = options.readLink ?? defaultReadLink;
  const maxDirs = Math.max(16, options.maxDirectories ?? 4096);
  const exclude = (options.exclude ?? []).map((p) => posix.normalize(p));
  const counts: FileEventStats = { fileEvents: 0, procMemWrites: 0, procOther: 0, unresolved: 0 };
  /** dev:inode of directories → absolute path, learned from names that were absolute or cwd-relative. */
  const directories = new Map<string, string>();
  /** pid → what its last exec logged (cwd and argv), for ioctl records, which carry neither; bounded. */
  const execs = new Map<number, { cwd?: string; args: string[]; ioctls: number }>();

  const rememberDir = (item: AuditRecord, path: string) => {
    const key = `${item.fields.dev ?? ''}:${item.fields.inode ?? ''}`;
    if (!item.fields.inode) return;
    directories.delete(key);
    directories.set(key, path);
    if (directories.size > maxDirs) directories.delete(directories.keys().next().value!);
  };

  const excluded = (path: string) => exclude.some((x) => path === x || path.startsWith(`${x}/`));

  /** Makes `name` absolute: as logged, against the cwd, or against a directory descriptor of a live process. */
  const resolve = (name: string | undefined, dirfd: string | undefined, pid: number | undefined, cwd: string | undefined, parent: AuditRecord | undefined): string | undefined => {
    if (name === undefined || name === '') return undefined;
    if (name.startsWith('/')) return posix.normalize(name);
    if (dirfd === undefined || isAtFdcwd(dirfd)) return cwd ? posix.join(cwd, name) : undefined;
    const fd = hexNumber(dirfd);
    const base = fd !== undefined && pid !== undefined ? readLink(`/proc/${pid}/fd/${fd}`) : undefined;
    if (base?.startsWith('/')) return posix.join(base, name);
    const known = parent?.fields.inode ? directories.get(`${parent.fields.dev ?? ''}:${parent.fields.inode}`) : undefined;
    return known ? posix.join(known, name) : undefined;
  };

  const descriptorPath = (fd: number | undefined, pid: number | undefined): string | undefined => {
    if (fd === undefined || pid === undefined) return undefined;
    const target = readLink(`/proc/${pid}/fd/${fd}`);
    return target?.startsWith('/') ? target.replace(/ \(deleted\)$/, '') : undefined;
  };

  const actor = (syscall: AuditRecord, cwd: string | undefined): Partial<FileCollectedEvent> => {
    const f = syscall.fields;
    const event: Record<string, unknown> = {};
    const pid = decimal(f.pid);
    if (pid !== undefined) {
      event['process.pid'] = pid;
      const entity = options.entityOf?.(pid);
      if (entity) event['process.entity_id'] = entity;
    }
    const ppid = decimal(f.ppid);
    if (ppid !== undefined) {
      event['process.parent.pid'] = ppid;
      const parentEntity = options.entityOf?.(ppid);
      if (parentEntity) event['process.parent.entity_id'] = parentEntity;
    }
    if (f.exe) {
      event['process.executable'] = clip(f.exe, MAX_PATH);
      event['process.name'] = clip(posix.basename(f.exe), MAX_NAME);
    }
    if (cwd) event['process.working_directory'] = clip(cwd, MAX_PATH);
    Object.assign(event, actorFields(syscall, options.users));
    return event as Partial<FileCollectedEvent>;
  };

  /** The file.* fields of a PATH item (inode, device, mode, owner) for `path`. */
  const describe = (path: string, item: AuditRecord | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      'file.path': clip(path, MAX_PATH),
      'file.name': clip(posix.basename(path) || path, MAX_NAME),
      'file.directory': clip(posix.dirname(path), MAX_PATH),
    };
    const ext = posix.extname(path);
    if (ext.length > 1 && ext.length <= 32) out['file.extension'] = ext.slice(1);
    if (!item) return out;
    const f = item.fields;
    const mode = parseOctal(f.mode);
    if (mode !== undefined) {
      const type = fileTypeOf(mode);
      if (type) out['file.type'] = type;
      out['file.mode'] = formatMode(mode);
      if (mode & 0o4000) out['file.setuid'] = true;
      if (mode & 0o2000) out['file.setgid'] = true;
    }
    if (f.inode && /^\d+$/.test(f.inode)) out['file.inode'] = f.inode;
    const dev = device(f.dev);
    if (dev) out['file.device'] = dev;
    if (f.ouid !== undefined && /^\d+$/.test(f.ouid)) {
      out['file.uid'] = f.ouid;
      const owner = options.users?.user(f.ouid);
      if (owner) out['file.owner'] = owner;
    }
    if (f.ogid !== undefined && /^\d+$/.test(f.ogid)) {
      out['file.gid'] = f.ogid;
      const group = options.users?.group(f.ogid);
      if (group) out['file.group'] = group;
    }
    return out;
  };

  const finish = (base: Partial<FileCollectedEvent>, action: FileAction, timeMs: number, fields: Record<string, unknown>, message: string): FileCollectedEvent => {
    counts.fileEvents++;
    return {
      '@timestamp': new Date(timeMs).toISOString(),
      'event.category': 'file',
      'event.action': action,
      'event.type': EVENT_TYPE[action] ?? 'change',
      'event.provider': 'auditd',
      'event.outcome': 'success',
      ...base,
      ...fields,
      message: clip(message, 65536),
    } as FileCollectedEvent;
  };

  /** Waits for the written file, adds size, executable and hash; a changed /etc/ld.so.preload adds ld_preload events. */
  const inspectLater = (event: FileCollectedEvent): Promise<CollectedEvent[]> | undefined => {
    const path = event['file.path'];
    const type = event['file.type'];
    if (type !== undefined && type !== 'file') return undefined;
    const preload = path === LD_SO_PRELOAD;
    if (!options.inspect && !preload) return undefined;
    return (async () => {
      if (options.inspect) {
        const seen = await options.inspect(path).catch((): FileInspection => ({}));
        if (seen.size !== undefined) event['file.size'] = seen.size;
        if (seen.executable !== undefined) event['file.executable'] = seen.executable;
        if (seen.sha256) event['file.hash.sha256'] = seen.sha256;
      }
      if (!preload) return [event];
      const text = await (options.readPreload ?? readPreloadFile)().catch(() => undefined);
      return [event, ...ldSoPreloadEvents(text === undefined ? [] : parsePreloadList(text, true), event)];
    })();
  };

  const procWrite = (syscall: AuditRecord, path: string, item: AuditRecord | undefined, cwd: string | undefined): FileBuildResult | undefined => {
    const pid = decimal(syscall.fields.pid);
    const target = classifyProcPath(path, pid);
    if (!target) {
      counts.procOther++;
      return undefined;
    }
    const base = actor(syscall, cwd);
    if (target.kind === 'sysctl') {
      return { now: [finish(base, 'modify', syscall.timeMs, describe(path, item), `${base['process.executable'] ?? 'a process'} wrote ${path}`)] };
    }
    counts.procMemWrites++;
    const event: InjectionCollectedEvent = {
      '@timestamp': new Date(syscall.timeMs).toISOString(),
      'event.category': 'injection',
      'event.action': 'proc_mem_write',
      'event.type': 'change',
      'event.provider': 'auditd',
      'event.outcome': 'success',
      'file.path': clip(path, MAX_PATH),
      'file.name': 'mem',
      'target.process.pid': target.pid,
    };
    copyActor(base, event);
    const targetEntity = options.entityOf?.(target.pid);
    if (targetEntity) event['target.process.entity_id'] = targetEntity;
    const executable = options.readExecutable?.(target.pid);
    if (executable) {
      event['target.process.executable'] = clip(executable, MAX_PATH);
      event['target.process.name'] = clip(posix.basename(executable), MAX_NAME);
    }
    const self = target.pid === pid;
    event.message = `${base['process.executable'] ?? `pid ${pid ?? '?'}`} opened ${self ? 'its own' : `pid ${target.pid}'s`} memory (${path}) for writing`;
    return { now: [event] };
  };

  return {
    stats: () => ({ ...counts }),

    noteExec(records) {
      const syscall = records.find((r) => r.type === 'SYSCALL');
      if (!syscall || syscall.fields.success !== 'yes') return;
      const name = syscall.enriched.SYSCALL;
      const execve = records.some((r) => r.type === 'EXECVE');
      if (!execve && name !== 'execve' && name !== 'execveat') return;
      const pid = decimal(syscall.fields.pid);
      if (pid === undefined) return;
      const args: string[] = [];
      const record = records.find((r) => r.type === 'EXECVE');
      const argc = decimal(record?.fields.argc) ?? 0;
      for (let i = 0; i < Math.min(argc, 64); i++) {
        const value = record?.fields[`a${i}`];
        if (value === undefined) break;
        args.push(value);
      }
      const cwd = records.find((r) => r.type === 'CWD')?.fields.cwd;
      execs.delete(pid);
      execs.set(pid, { ...(cwd ? { cwd } : {}), args, ioctls: 0 });
      if (execs.size > 4096) execs.delete(execs.keys().next().value!);
    },

    build(records) {
      const syscall = records.find((r) => r.type === 'SYSCALL');
      if (!syscall) return undefined;
      const found = fileSyscall(syscall);
      if (!found) return undefined;
      const { name, spec } = found;
      const f = syscall.fields;
      if (f.success !== 'yes') return undefined;
      const pid = decimal(f.pid);
      if (pid !== undefined && pid === options.selfPid) return undefined;
      const cwd = records.find((r) => r.type === 'CWD')?.fields.cwd;
      const items = records.filter((r) => r.type === 'PATH');
      const typed = (t: string) => items.filter((r) => nameType(r) === t);
      const parent = typed('PARENT')[0];
      // Names relative to AT_FDCWD with an absolute directory teach us that directory's inode.
      for (const p of typed('PARENT')) {
        const at = spec.dirfd === undefined || isAtFdcwd(f[spec.dirfd]);
        const path = p.fields.name && at ? resolve(p.fields.name, undefined, pid, cwd, undefined) : undefined;
        if (path) rememberDir(p, path);
      }
      const base = actor(syscall, cwd);
      const who = String(base['process.executable'] ?? `pid ${pid ?? '?'}`);
      const emit = (event: FileCollectedEvent): FileBuildResult | undefined => {
        if (excluded(event['file.path'])) return undefined;
        const later = ['create', 'modify', 'rename', 'permission_change'].includes(event['event.action']) ? inspectLater(event) : undefined;
        return later ? { now: [], later } : { now: [event] };
      };
      const unresolved = () => {
        counts.unresolved++;
        return undefined;
      };

      switch (spec.op) {
        case 'open':
        case 'truncate': {
          const created = typed('CREATE')[0];
          const item = created ?? items.filter((r) => nameType(r) !== 'PARENT').at(-1);
          const path = resolve(item?.fields.name, spec.dirfd ? f[spec.dirfd] : undefined, pid, cwd, parent) ?? descriptorPath(spec.fd ? hexNumber(f[spec.fd]) : undefined, pid);
          if (!path) return unresolved();
          if (path === '/proc' || path.startsWith('/proc/')) return procWrite(syscall, path, item, cwd);
          const action: FileAction = created ? 'create' : 'modify';
          const written = emit(finish(base, action, syscall.timeMs, describe(path, item), `${who} ${created ? 'created' : 'wrote'} ${path}`));
          // Emptying an existing log (`> /var/log/auth.log`, truncate -s 0) erases evidence: also a log/audit_log_cleared.
          if (!created && written && path.startsWith(LOG_DIRECTORY) && emptied(spec, f)) written.now.push(clearedLog(base, syscall.timeMs, path, who));
          return written;
        }
        case 'mkdir':
        case 'mknod': {
          const item = typed('CREATE')[0];
          const path = resolve(item?.fields.name, spec.dirfd ? f[spec.dirfd] : undefined, pid, cwd, parent);
          if (!path || !item) return unresolved();
          if (spec.op === 'mkdir') rememberDir(item, path);
          return emit(finish(base, 'create', syscall.timeMs, describe(path, item), `${who} created ${spec.op === 'mkdir' ? 'folder ' : ''}${path}`));
        }
        case 'unlink':
        case 'rmdir': {
          const item = typed('DELETE')[0];
          const path = resolve(item?.fields.name, spec.dirfd ? f[spec.dirfd] : undefined, pid, cwd, parent);
          if (!path || !item) return unresolved();
          return emit(finish(base, 'delete', syscall.timeMs, describe(path, item), `${who} deleted ${path}`));
        }
        case 'rename': {
          const created = typed('CREATE')[0];
          const deleted = typed('DELETE');
          const old = deleted.find((d) => created && d.fields.inode === created.fields.inode) ?? deleted[0];
          const parents = typed('PARENT');
          const to = resolve(created?.fields.name, spec.newDirfd ? f[spec.newDirfd] : undefined, pid, cwd, parents[1] ?? parent);
          const from = resolve(old?.fields.name, spec.dirfd ? f[spec.dirfd] : undefined, pid, cwd, parent);
          if (!to) return unresolved();
          const fields = describe(to, created);
          if (from) fields['file.previous_path'] = clip(from, MAX_PATH);
          if (created && fileTypeOf(parseOctal(created.fields.mode) ?? 0) === 'dir') rememberDir(created, to);
          return emit(finish(base, 'rename', syscall.timeMs, fields, `${who} renamed ${from ?? 'a file'} to ${to}`));
        }
        case 'link':
        case 'symlink': {
          const created = typed('CREATE')[0];
          const path = resolve(created?.fields.name, spec.newDirfd ? f[spec.newDirfd] : undefined, pid, cwd, typed('PARENT').at(-1) ?? parent);
          if (!path || !created) return unresolved();
          const fields = describe(path, created);
          let target: string | undefined;
          if (spec.op === 'symlink') target = items.find((r) => nameType(r) === 'UNKNOWN' || (r !== created && nameType(r) !== 'PARENT'))?.fields.name;
          else {
            const source = items.find((r) => nameType(r) === 'NORMAL');
            target = resolve(source?.fields.name, spec.dirfd ? f[spec.dirfd] : undefined, pid, cwd, parent);
          }
          if (target) fields['file.target_path'] = clip(target, MAX_PATH);
          return emit(finish(base, 'link', syscall.timeMs, fields, `${who} linked ${path}${target ? ` to ${target}` : ''}${spec.op === 'symlink' ? ' (symbolic)' : ''}`));
        }
        case 'chmod':
        case 'chown':
        case 'xattr':
        case 'utime': {
          const item = items.find((r) => nameType(r) !== 'PARENT');
          const path = resolve(item?.fields.name, spec.dirfd ? f[spec.dirfd] : undefined, pid, cwd, parent) ?? descriptorPath(spec.fd ? hexNumber(f[spec.fd]) : undefined, pid);
          if (!path) return unresolved();
          const fields = describe(path, item);
          if (spec.op === 'chmod') return chmodEvent(base, syscall, spec, fields, path, who);
          if (spec.op === 'chown') return chownEvent(base, syscall, spec, fields, path, who);
          return emit(finish(base, 'attribute_change', syscall.timeMs, fields, `${who} changed ${spec.op === 'xattr' ? `extended attributes (${name})` : 'timestamps'} of ${path}`));
        }
        case 'ioctl':
          return flagsEvent(base, syscall, who);
      }
      return undefined;

      function chmodEvent(base: Partial<FileCollectedEvent>, syscall: AuditRecord, spec: FileSyscall, fields: Record<string, unknown>, path: string, who: string) {
        const before = fields['file.mode'];
        const requested = spec.mode ? hexNumber(syscall.fields[spec.mode]) : undefined;
        if (before !== undefined) fields['file.previous_mode'] = before;
        if (requested !== undefined) {
          fields['file.mode'] = formatMode(requested);
          fields['file.setuid'] = (requested & 0o4000) !== 0;
          fields['file.setgid'] = (requested & 0o2000) !== 0;
        }
        return emit(finish(base, 'permission_change', syscall.timeMs, fields, `${who} changed the mode of ${path}${before ? ` from ${String(before)}` : ''}${requested !== undefined ? ` to ${formatMode(requested)}` : ''}`));
      }

      function chownEvent(base: Partial<FileCollectedEvent>, syscall: AuditRecord, spec: FileSyscall, fields: Record<string, unknown>, path: string, who: string) {
        const unchanged = spec.ids16 ? 0xffff : 0xffffffff;
        const id = (arg: string | undefined) => {
          const value = hexNumber(arg);
          return value === undefined || (value & unchanged) === unchanged ? undefined : value & unchanged;
        };
        const uid = spec.uid ? id(syscall.fields[spec.uid]) : undefined;
        const gid = spec.gid ? id(syscall.fields[spec.gid]) : undefined;
        if (fields['file.uid'] !== undefined) fields['file.previous_uid'] = fields['file.uid'];
        if (uid !== undefined) {
          fields['file.uid'] = String(uid);
          const owner = options.users?.user(uid);
          if (owner) fields['file.owner'] = owner;
          else delete fields['file.owner'];
        }
        if (gid !== undefined) {
          fields['file.gid'] = String(gid);
          const group = options.users?.group(gid);
          if (group) fields['file.group'] = group;
          else delete fields['file.group'];
        }
        return emit(finish(base, 'owner_change', syscall.timeMs, fields, `${who} changed the owner of ${path} to ${uid ?? '-'}:${gid ?? '-'}`));
      }

      function flagsEvent(base: Partial<FileCollectedEvent>, syscall: AuditRecord, who: string): FileBuildResult | undefined {
        const known = pid === undefined ? undefined : execs.get(pid);
        let path = descriptorPath(hexNumber(syscall.fields.a0), pid);
        let request: ChattrRequest | undefined;
        const proctitle = records.find((r) => r.type === 'PROCTITLE')?.fields.proctitle;
        const args = known?.args.length ? known.args : proctitle ? proctitle.split('\u0000') : [];
        if (posix.basename(syscall.fields.exe ?? '') === 'chattr') request = parseChattrArgs(args);
        if (!path && request && known) {
          // chattr sets flags on its operands in order; the n-th ioctl of this process is the n-th file (without -R).
          const operand = request.files[known.ioctls];
          if (operand !== undefined) path = operand.startsWith('/') ? posix.normalize(operand) : known.cwd ? posix.join(known.cwd, operand) : undefined;
        }
        if (known) known.ioctls++;
        if (!path) return unresolved();
        const fields = describe(path, undefined);
        if (request?.set.length) fields['file.attributes'] = request.set;
        const change = request ? [...request.set.map((a) => `+${a}`), ...request.cleared.map((a) => `-${a}`)].join(' ') : 'flags';
        return emit(finish(base, 'attribute_change', syscall.timeMs, fields, `${who} set ${change} on ${path}`));
      }
    },
  };
}

async function readPreloadFile(): Promise<string | undefined> {
  try {
    const text = await readFile(LD_SO_PRELOAD, 'utf8');
    return text.slice(0, 65536);
  } catch {
    return undefined;
  }
}

