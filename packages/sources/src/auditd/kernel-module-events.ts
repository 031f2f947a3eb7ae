// Kernel module load and unload attempts from audited init_module, finit_module and delete_module syscalls.
// Attempts the kernel refused (no loadable modules, unsigned, no permission) are events too: they are what attackers try.

import { posix } from 'node:path';
import type { CollectedEvent } from '@vigil/schema';
import { syscallName } from './process-events.js';
import type { AuditRecord } from './record-parser.js';

export type DriverCollectedEvent = Extract<CollectedEvent, { 'event.category': 'driver' }>;

const MAX_TEXT = 4096;
const clip = (text: string) => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);

/** Undefined unless the record group is an audited module syscall. `entityOf` links the acting process (optional). */
export function buildKernelModuleEvent(records: readonly AuditRecord[], entityOf?: (pid: number) => string | undefined): DriverCollectedEvent | undefined {
  const syscall = records.find((record) => record.type === 'SYSCALL');
  if (!syscall) return undefined;
  const name = syscallName(syscall);
  if (name !== 'init_module' && name !== 'finit_module' && name !== 'delete_module') return undefined;
  const f = syscall.fields;
  const pid = f.pid !== undefined && /^\d+$/.test(f.pid) ? Number(f.pid) : undefined;
  const success = f.success === 'yes';
  const unload = name === 'delete_module';
  const event: DriverCollectedEvent = {
    '@timestamp': new Date(syscall.timeMs).toISOString(),
    'event.category': 'driver',
    'event.action': unload ? 'unload' : success ? 'load' : 'load_attempt',
    'event.type': unload ? 'end' : 'start',
    'event.provider': 'auditd',
    'event.outcome': success ? 'success' : 'failure',
  };
  if (pid !== undefined) {
    event['process.pid'] = pid;
    const entity = entityOf?.(pid);
    if (entity) event['process.entity_id'] = entity;
  }
  if (f.ppid !== undefined && /^\d+$/.test(f.ppid)) event['process.parent.pid'] = Number(f.ppid);
  if (f.exe) {
    event['process.executable'] = clip(f.exe);
    event['process.name'] = clip(posix.basename(f.exe));
  }
  if (f.uid !== undefined) event['user.id'] = f.uid;
  if (f.euid !== undefined) event['user.effective.id'] = f.euid;
  // KERN_MODULE carries the module name the kernel saw; a PATH record, when present, the module file.
  const module = records.find((record) => record.type === 'KERN_MODULE')?.fields.name;
  if (module) event['driver.name'] = clip(module);
  const path = records.find((record) => record.type === 'PATH' && record.fields.name?.endsWith('.ko'))?.fields.name;
  if (path) {
    event['driver.path'] = clip(path);
    event['driver.name'] ??= clip(posix.basename(path, '.ko'));
  }
  const message = `${name} by ${event['process.executable'] ?? `pid ${pid ?? '?'}`}${success ? '' : ` refused (exit ${f.exit ?? '?'})`}`;
  event.message = message;
  return event;
}
