// Turns one assembled audit event (execve/execveat or exit_group records) into a process start or exit event.
// Never emits null or empty optional fields, never throws, never waits on disk: only a procfs readlink is synchronous.

import { readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { fieldBytes, type AuditRecord } from './record-parser.js';
import type { UserNames } from './user-names.js';
import type { ExecStarts } from '../internal/exec-starts.js';
import { processEntityId, readBootId, readProcStartTicks } from '../internal/process-identity.js';

export type ProcessCollectedEvent = Extract<CollectedEvent, { 'event.category': 'process' }>;

/** Schema limits of the process fields (packages/schema/src/fields.ts). */
const MAX_ARGS = 4096;
const MAX_ARG_LENGTH = 32768;
const MAX_COMMAND_LINE = 65536;
const MAX_PATH = 4096;
const MAX_NAME = 1024;

/** 4294967295 is (uid_t)-1 and (unsigned)-1: "not set" for auid and ses. */
const UNSET = '4294967295';

export type SyscallName = 'execve' | 'execveat' | 'exit_group' | 'init_module' | 'finit_module' | 'delete_module' | 'ptrace' | 'process_vm_writev';
const SYSCALL_NAMES: ReadonlySet<string> = new Set<SyscallName>(['execve', 'execveat', 'exit_group', 'init_module', 'finit_module', 'delete_module', 'ptrace', 'process_vm_writev']);

/** Syscall numbers by audit arch (AUDIT_ARCH_*), for records without the enriched SYSCALL= name. */
const SYSCALLS: Record<string, Record<string, SyscallName>> = {
  c000003e: { '59': 'execve', '322': 'execveat', '231': 'exit_group', '175': 'init_module', '313': 'finit_module', '176': 'delete_module', '101': 'ptrace', '311': 'process_vm_writev' }, // x86_64
  '40000003': { '11': 'execve', '358': 'execveat', '252': 'exit_group', '128': 'init_module', '350': 'finit_module', '129': 'delete_module', '26': 'ptrace', '348': 'process_vm_writev' }, // i386
  c00000b7: { '221': 'execve', '281': 'execveat', '94': 'exit_group', '105': 'init_module', '273': 'finit_module', '106': 'delete_module', '117': 'ptrace', '271': 'process_vm_writev' }, // aarch64
  c00000f3: { '221': 'execve', '281': 'execveat', '94': 'exit_group', '105': 'init_module', '273': 'finit_module', '106': 'delete_module', '117': 'ptrace', '271': 'process_vm_writev' }, // riscv64
  '40000028': { '11': 'execve', '387': 'execveat', '248': 'exit_group', '128': 'init_module', '379': 'finit_module', '129': 'delete_module', '26': 'ptrace', '377': 'process_vm_writev' }, // arm
};

export function syscallName(syscall: AuditRecord): SyscallName | undefined {
  const named = syscall.enriched.SYSCALL;
  if (named !== undefined && SYSCALL_NAMES.has(named)) return named as SyscallName;
  const arch = syscall.fields.arch?.toLowerCase();
  const number = syscall.fields.syscall;
  if (arch === undefined || number === undefined) return undefined;
  return SYSCALLS[arch]?.[number];
}

export interface DecodedArgs {
  args: string[];
  /** argc as the kernel logged it; may exceed args.length when records were lost. */
  argc: number;
  /** Whether every argument and every chunk of a split argument was present. */
  complete: boolean;
}

/**
 * Rebuilds argv from the EXECVE records of one event: `aN` values, or `aN_len` with chunks `aN[0]`, `aN[1]`, ...
 * (possibly spread over several records). Chunks are joined as bytes before UTF-8 decoding, so a multi-byte
 * character split between chunks survives.
 */
export function decodeExecveArgs(records: readonly AuditRecord[]): DecodedArgs | undefined {
  const execve = records.filter((r) => r.type === 'EXECVE');
  if (execve.length === 0) return undefined;
  const holder = (key: string) => execve.find((r) => key in r.fields);
  const argcText = holder('argc')?.fields.argc;
  const argc = argcText !== undefined && /^\d{1,9}$/.test(argcText) ? Number(argcText) : 0;
  const args: string[] = [];
  let complete = true;
  for (let i = 0; i < argc; i++) {
    const whole = holder(`a${i}`);
    if (whole) {
      args.push(fieldBytes(whole, `a${i}`)!.toString('utf8'));
      continue;
    }
    const lengthHolder = holder(`a${i}_len`);
    if (!lengthHolder) {
      complete = false;
      break;
    }
    const chunks: Buffer[] = [];
    let textLength = 0;
    for (let j = 0; ; j++) {
      const key = `a${i}[${j}]`;
      const chunkHolder = holder(key);
      if (!chunkHolder) break;
      chunks.push(fieldBytes(chunkHolder, key)!);
      textLength += (chunkHolder.hex[key] ?? chunkHolder.fields[key] ?? '').length;
    }
    // The kernel logs aN_len as the length of the logged text: bytes, or hex digits when the argument is encoded.
    if (String(textLength) !== lengthHolder.fields[`a${i}_len`]) complete = false;
    args.push(Buffer.concat(chunks).toString('utf8'));
  }
  return { args, argc, complete };
}

function proctitleArgs(records: readonly AuditRecord[]): string[] | undefined {
  const record = records.find((r) => r.type === 'PROCTITLE');
  const bytes = record ? fieldBytes(record, 'proctitle') : undefined;
  if (!bytes || bytes.length === 0) return undefined;
  return bytes
    .toString('utf8')
    .split('\u0000')
    .filter((arg, i, all) => arg.length > 0 || i < all.length - 1);
}

const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);

function toInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** The name for a numeric id: from the local table, else from the enriched trailer unless it says unknown. */
function nameFor(id: string, local: string | undefined, enriched: string | undefined): string | undefined {
  if (local !== undefined) return local;
  if (enriched === undefined || enriched === '' || enriched.startsWith('unknown(') || enriched === 'unset' || enriched === id) return undefined;
  return enriched;
}

/** Ids and names of the acting user and group, audit user, session and terminal of a SYSCALL record. */
export interface ActorFields {
  'user.id'?: string;
  'user.name'?: string;
  'user.effective.id'?: string;
  'user.effective.name'?: string;
  'group.id'?: string;
  'group.name'?: string;
  'user.audit.id'?: string;
  'user.audit.name'?: string;
  'process.session_id'?: number;
  'process.tty.name'?: string;
  'process.interactive': boolean;
}

/** The actor fields every event of an audited syscall carries (process, file, injection events share them). */
export function actorFields(syscall: AuditRecord, users?: UserNames): ActorFields {
  const f = syscall.fields;
  const e = syscall.enriched;
  const out: ActorFields = { 'process.interactive': false };
  if (f.uid !== undefined) {
    out['user.id'] = f.uid;
    const name = nameFor(f.uid, users?.user(f.uid), e.UID);
    if (name) out['user.name'] = name;
  }
  if (f.euid !== undefined) {
    out['user.effective.id'] = f.euid;
    const name = nameFor(f.euid, users?.user(f.euid), e.EUID);
    if (name) out['user.effective.name'] = name;
  }
  if (f.gid !== undefined) {
    out['group.id'] = f.gid;
    const name = nameFor(f.gid, users?.group(f.gid), e.GID);
    if (name) out['group.name'] = name;
  }
  if (f.auid !== undefined && f.auid !== UNSET && f.auid !== '-1') {
    out['user.audit.id'] = f.auid;
    const name = nameFor(f.auid, users?.user(f.auid), e.AUID);
    if (name) out['user.audit.name'] = name;
  }
  const session = toInt(f.ses);
  if (session !== undefined && f.ses !== UNSET && session >= 0) out['process.session_id'] = session;
  const tty = f.tty;
  if (tty !== undefined && tty !== '(none)' && tty !== '') {
    out['process.tty.name'] = tty;
    out['process.interactive'] = true;
  }
  return out;
}

export interface ProcessEventOptions {
  /** SHA-256 of an executable; omitted from events when absent or undefined. */
  hashFile?: (path: string) => Promise<string | undefined>;
  users?: UserNames;
  /** Executable of a live process (readlink of /proc/<pid>/exe by default); undefined when gone. */
  readExecutable?: (pid: number) => string | undefined;
  /** Most pid → executable entries remembered from exec events (default 16384). */
  maxPids?: number;
  /** Start time of a live process in clock ticks since boot (/proc/<pid>/stat field 22); undefined when gone. */
  readStartTicks?: (pid: number) => string | undefined;
  /** This boot's id (/proc/sys/kernel/random/boot_id by default): entity ids never repeat across reboots. */
  bootId?: string;
  /**
   * Start times of execs as the kernel reported them (another source's feed): a process gone before its exec record
   * was read gets its start time from here, so its entity id is the one its network and DNS events carry.
   */
  execStarts?: ExecStarts;
}

/** How long an exec whose process is gone waits for the feed of exec start times (its event and those after it wait). */
const EXEC_START_WAIT_MS = 2000;
/** An exec recorded by the feed up to this long before the audit record's time may be the same exec (clock reads differ). */
const EXEC_CLOCK_SLACK_MS = 2000;
/** Synthetic ids remembered with their final id (far more than can be in flight). */
const MAX_RENAMED = 4096;

export interface ProcessEventBuilder {
  /**
   * Returns undefined when the records are not an execve/execveat/exit_group event. Otherwise the decision and the
   * pid table update happen synchronously, in call order, and the returned promise adds the executable's hash.
   * Call it in event order.
   */
  build(records: readonly AuditRecord[]): Promise<ProcessCollectedEvent> | undefined;
  /** The entity id of a process known from its exec or from /proc, for events of other kinds by that process. */
  entityOf(pid: number): string | undefined;
  /**
   * The id events should carry for entity id `id`. A process gone before its exec record was read first gets a
   * synthetic id (events built meanwhile carry it); once the exec start feed gives its start time, this returns the
   * real id for the synthetic one.
   */
  canonicalEntity(id: string): string;
  /** Resolves once the synthetic id `id` is final (renamed or not); undefined when `id` is not waiting. */
  entityPending(id: string): Promise<void> | undefined;
  /** Execs whose process was gone when built (a synthetic id first), and of those the ones the feed gave a real id. */
  stats(): { provisional: number; fromFeed: number };
}

export function readProcExecutable(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

export { processEntityId, readProcStartTicks } from '../internal/process-identity.js';

export function createProcessEventBuilder(options: ProcessEventOptions = {}): ProcessEventBuilder {
  const readExecutable = options.readExecutable ?? readProcExecutable;
  const readStartTicks = options.readStartTicks ?? readProcStartTicks;
  const bootId = options.bootId ?? readBootId();
  const maxPids = Math.max(1, options.maxPids ?? 16384);
  const executables = new Map<number, string>();
  /** pid → entity id of the process that pid is now, learned from exec events (bounded like `executables`). */
  const entities = new Map<number, string>();

  /** Synthetic ids (see canonicalEntity) and the ids they turned out to be, oldest first. */
  const renamed = new Map<string, string>();
  const pendingEntities = new Map<string, Promise<void>>();
  const identity = { provisional: 0, fromFeed: 0 };

  /** Gives the synthetic id of a process that was gone its real id once the exec start feed has its start time. */
  const settleEntity = (pid: number, synthetic: string, sinceMs: number, event: ProcessCollectedEvent): Promise<void> => {
    const settled = options
      .execStarts!.ticksOf(pid, sinceMs - EXEC_CLOCK_SLACK_MS, EXEC_START_WAIT_MS)
      .then((ticks) => {
        if (ticks === undefined) return;
        identity.fromFeed++;
        const real = processEntityId(bootId, pid, ticks);
        event['process.entity_id'] = real;
        renamed.set(synthetic, real);
        if (renamed.size > MAX_RENAMED) renamed.delete(renamed.keys().next().value!);
        if (entities.get(pid) === synthetic) rememberEntity(pid, real);
      })
      .finally(() => pendingEntities.delete(synthetic));
    pendingEntities.set(synthetic, settled);
    return settled;
  };

  const rememberEntity = (pid: number, entity: string) => {
    entities.delete(pid);
    entities.set(pid, entity);
    if (entities.size > maxPids) {
      const oldest = entities.keys().next();
      if (!oldest.done) entities.delete(oldest.value);
    }
  };

  /** The entity id of a running (or just seen) process: known from its exec, else from /proc, else undefined. */
  const entityOf = (pid: number | undefined): string | undefined => {
    if (pid === undefined || pid <= 0) return undefined;
    const known = entities.get(pid);
    if (known) return known;
    const ticks = readStartTicks(pid);
    return ticks === undefined ? undefined : processEntityId(bootId, pid, ticks);
  };

  const remember = (pid: number, exe: string) => {
    executables.delete(pid);
    executables.set(pid, exe);
    if (executables.size > maxPids) {
      const oldest = executables.keys().next();
      if (!oldest.done) executables.delete(oldest.value);
    }
  };

  const parentExecutable = (ppid: number | undefined): string | undefined => {
    if (ppid === undefined || ppid <= 0) return undefined;
    return readExecutable(ppid) ?? executables.get(ppid);
  };

  /** Fields shared by start and exit: who ran it, where, and the parent. */
  const common = (event: ProcessCollectedEvent, syscall: AuditRecord, ppid: number | undefined) => {
    if (ppid !== undefined) event['process.parent.pid'] = ppid;
    const parentEntity = entityOf(ppid);
    if (parentEntity) event['process.parent.entity_id'] = parentEntity;
    const parent = parentExecutable(ppid);
    if (parent) {
      event['process.parent.executable'] = clip(parent, MAX_PATH);
      event['process.parent.name'] = clip(posix.basename(parent), MAX_NAME);
    }
    Object.assign(event, actorFields(syscall, options.users));
  };

  const buildStart = (records: readonly AuditRecord[], syscall: AuditRecord): Promise<ProcessCollectedEvent> | undefined => {
    const f = syscall.fields;
    const pid = toInt(f.pid);
    if (pid === undefined) return undefined;
    const ppid = toInt(f.ppid);
    const timestamp = new Date(syscall.timeMs).toISOString();
    const success = f.success === 'yes';
    const cwd = records.find((r) => r.type === 'CWD')?.fields.cwd;
    let executable: string | undefined;
    if (success) {
      executable = f.exe;
    } else {
      // A failed exec logs the caller's exe=; the attempted file is PATH item 0.
      const attempted = records.find((r) => r.type === 'PATH' && r.fields.item === '0')?.fields.name;
      if (attempted) executable = attempted.startsWith('/') || cwd === undefined ? attempted : posix.resolve(cwd, attempted);
    }
    const event: ProcessCollectedEvent = {
      '@timestamp': timestamp,
      'event.category': 'process',
      'event.action': 'start',
      'event.type': 'start',
      'event.provider': 'auditd',
      'process.pid': pid,
    };
    if (f.success === 'yes' || f.success === 'no') event['event.outcome'] = success ? 'success' : 'failure';
    if (success) event['process.start'] = timestamp;
    let settling: Promise<void> | undefined;
    if (success) {
      // An exec keeps the pid and the start time of the process it replaces: a live process gets its /proc id, one that
      // is gone a synthetic id now and the real one when the exec start feed has it.
      const ticks = readStartTicks(pid);
      const entity = ticks !== undefined ? processEntityId(bootId, pid, ticks) : processEntityId(bootId, pid, `t${syscall.timeMs}:${syscall.serial}`);
      event['process.entity_id'] = entity;
      rememberEntity(pid, entity);
      if (ticks === undefined) identity.provisional++;
      if (ticks === undefined && options.execStarts) settling = settleEntity(pid, entity, syscall.timeMs, event);
    }
    if (executable) {
      event['process.executable'] = clip(executable, MAX_PATH);
      event['process.name'] = clip(posix.basename(executable), MAX_NAME);
    }
    const decoded = success ? decodeExecveArgs(records) : undefined;
    const args = decoded?.args ?? (success ? proctitleArgs(records) : undefined);
    if (args && args.length > 0) {
      const kept = args.slice(0, MAX_ARGS).map((arg) => clip(arg, MAX_ARG_LENGTH));
      event['process.args'] = kept;
      event['process.args_count'] = decoded ? Math.max(decoded.argc, args.length) : args.length;
      event['process.command_line'] = clip(args.join(' '), MAX_COMMAND_LINE);
    }
    if (cwd) event['process.working_directory'] = clip(cwd, MAX_PATH);
    common(event, syscall, ppid);
    if (success && executable) remember(pid, executable);
    const hashed =
      !executable || !options.hashFile
        ? Promise.resolve(event)
        : options
            .hashFile(executable)
            .catch(() => undefined)
            .then((digest) => {
              if (digest) event['process.hash.sha256'] = digest;
              return event;
            });
    return settling ? Promise.all([hashed, settling]).then(() => event) : hashed;
  };

  const buildExit = (syscall: AuditRecord): ProcessCollectedEvent | undefined => {
    const f = syscall.fields;
    const pid = toInt(f.pid);
    if (pid === undefined) return undefined;
    const timestamp = new Date(syscall.timeMs).toISOString();
    const event: ProcessCollectedEvent = {
      '@timestamp': timestamp,
      'event.category': 'process',
      'event.action': 'exit',
      'event.type': 'end',
      'event.provider': 'auditd',
      'process.pid': pid,
      'process.end': timestamp,
    };
    if (f.exe) {
      event['process.executable'] = clip(f.exe, MAX_PATH);
      event['process.name'] = clip(posix.basename(f.exe), MAX_NAME);
    }
    const a0 = f.a0;
    // exit_group(status): the parent sees status & 0xff.
    if (a0 !== undefined && /^[0-9a-fA-F]{1,16}$/.test(a0)) event['process.exit_code'] = Number(BigInt(`0x${a0}`) & 0xffn);
    const entity = entityOf(pid);
    if (entity) event['process.entity_id'] = entity;
    common(event, syscall, toInt(f.ppid));
    executables.delete(pid);
    entities.delete(pid);
    return event;
  };

  return {
    entityOf,
    canonicalEntity: (id) => (renamed.size === 0 ? id : (renamed.get(id) ?? id)),
    entityPending: (id) => (pendingEntities.size === 0 ? undefined : pendingEntities.get(id)),
    stats: () => ({ ...identity }),
    build(records) {
      const syscall = records.find((r) => r.type === 'SYSCALL');
      if (!syscall) return undefined;
      const name = syscallName(syscall);
      if (name === 'execve' || name === 'execveat') return buildStart(records, syscall);
      if (name === 'exit_group') {
        const event = buildExit(syscall);
        return event ? Promise.resolve(event) : undefined;
      }
      return undefined;
    },
  };
}
