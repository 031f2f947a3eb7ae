// Process injection from audited syscalls: ptrace attach/seize and pokes, process_vm_writev into another process,
// and programs executed from an anonymous memory file (memfd_create, fileless). Reads /proc only for the target's
// executable; never touches the target otherwise.

import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { syscallName } from './process-events.js';
import type { AuditRecord } from './record-parser.js';

export type InjectionCollectedEvent = Extract<CollectedEvent, { 'event.category': 'injection' }>;

/** ptrace requests worth reporting (linux/ptrace.h): the ones that take control of or write into another process. */
export const PTRACE_REQUESTS: Readonly<Record<number, 'ptrace_attach' | 'ptrace_poke'>> = {
  0x10: 'ptrace_attach', // PTRACE_ATTACH
  0x4206: 'ptrace_attach', // PTRACE_SEIZE
  0x4: 'ptrace_poke', // PTRACE_POKETEXT
  0x5: 'ptrace_poke', // PTRACE_POKEDATA
  0x6: 'ptrace_poke', // PTRACE_POKEUSER
};

const hexArg = (value: string | undefined): number | undefined => (value !== undefined && /^[0-9a-fA-F]{1,16}$/.test(value) ? Number.parseInt(value, 16) : undefined);

export interface InjectionEventOptions {
  entityOf?: (pid: number) => string | undefined;
  /** Executable of a live process; undefined when gone. */
  readExecutable?: (pid: number) => string | undefined;
}

/** Undefined unless the group is an audited ptrace or process_vm_writev call. */
export function buildInjectionEvent(records: readonly AuditRecord[], options: InjectionEventOptions = {}): InjectionCollectedEvent | undefined {
  const syscall = records.find((record) => record.type === 'SYSCALL');
  if (!syscall) return undefined;
  const name = syscallName(syscall);
  if (name !== 'ptrace' && name !== 'process_vm_writev') return undefined;
  const f = syscall.fields;
  let action: InjectionCollectedEvent['event.action'];
  let target: number | undefined;
  if (name === 'ptrace') {
    const request = hexArg(f.a0);
    const kind = request === undefined ? undefined : PTRACE_REQUESTS[request];
    if (!kind) return undefined;
    action = kind;
    target = hexArg(f.a1);
  } else {
    action = 'process_vm_write';
    target = hexArg(f.a0);
  }
  const pid = f.pid !== undefined && /^\d+$/.test(f.pid) ? Number(f.pid) : undefined;
  const success = f.success === 'yes';
  const event: InjectionCollectedEvent = {
    '@timestamp': new Date(syscall.timeMs).toISOString(),
    'event.category': 'injection',
    'event.action': action,
    'event.type': action === 'ptrace_attach' ? 'access' : 'change',
    'event.provider': 'auditd',
    'event.outcome': success ? 'success' : 'failure',
  };
  if (pid !== undefined) {
    event['process.pid'] = pid;
    const entity = options.entityOf?.(pid);
    if (entity) event['process.entity_id'] = entity;
  }
  if (f.ppid !== undefined && /^\d+$/.test(f.ppid)) event['process.parent.pid'] = Number(f.ppid);
  if (f.exe) {
    event['process.executable'] = f.exe;
    event['process.name'] = posix.basename(f.exe);
  }
  if (f.uid !== undefined) event['user.id'] = f.uid;
  if (target !== undefined && target > 0 && target < 2 ** 31) {
    event['target.process.pid'] = target;
    const targetEntity = options.entityOf?.(target);
    if (targetEntity) event['target.process.entity_id'] = targetEntity;
    // ptrace adds an OBJ_PID record naming the target; otherwise ask /proc while the target lives.
    const object = records.find((record) => record.type === 'OBJ_PID' && record.fields.opid === String(target));
    const executable = options.readExecutable?.(target);
    if (executable) {
      event['target.process.executable'] = executable;
      event['target.process.name'] = posix.basename(executable);
    } else if (object?.fields.ocomm) event['target.process.name'] = object.fields.ocomm;
  }
  event.message = `${name} ${action} by ${event['process.executable'] ?? `pid ${pid ?? '?'}`} on pid ${target ?? '?'}${success ? '' : ` (refused, exit ${f.exit ?? '?'})`}`;
  return event;
}

/** A successful exec of an anonymous memory file (`/memfd:name (deleted)`): the fileless-execution view of a process start. */
export function memfdExecution(start: Extract<CollectedEvent, { 'event.category': 'process' }>): InjectionCollectedEvent | undefined {
  const executable = start['process.executable'];
  if (start['event.action'] !== 'start' || start['event.outcome'] !== 'success' || typeof executable !== 'string' || !executable.startsWith('/memfd:')) return undefined;
  const event: InjectionCollectedEvent = {
    '@timestamp': start['@timestamp'],
    'event.category': 'injection',
    'event.action': 'memfd_exec',
    'event.type': 'start',
    'event.provider': 'auditd',
    'event.outcome': 'success',
    'process.pid': start['process.pid'],
    'process.executable': executable,
    message: `program executed from an anonymous memory file ${executable}`,
  };
  for (const key of ['process.entity_id', 'process.name', 'process.args', 'process.command_line', 'process.parent.pid', 'process.parent.entity_id', 'process.parent.executable', 'user.id', 'user.name'] as const) {
    const value = start[key];
    if (value !== undefined) (event as Record<string, unknown>)[key] = value;
  }
  return event;
}
