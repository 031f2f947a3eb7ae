// Who a process is across pid reuse and reboots: the entity id formula every source shares, and its procfs inputs.
// Never throws: a process that is gone yields undefined, an unreadable boot id a fixed placeholder.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Start time of a live process in clock ticks since boot (/proc/<pid>/stat field 22), or undefined when it is gone. */
export function readProcStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19];
    return ticks && /^\d+$/.test(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** This boot's id (/proc/sys/kernel/random/boot_id), or `unknown-boot` when it cannot be read. */
export function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

/**
 * process.entity_id: a hash of boot id, pid and the process start time (in ticks when the process is still alive when
 * its event is handled, else the exec time), so trees survive pid reuse and reboots. Unique per host; the host id
 * makes it unique in the fleet.
 */
export function processEntityId(bootId: string, pid: number, start: string): string {
  return createHash('sha256').update(`${bootId}:${pid}:${start}`).digest('base64url').slice(0, 22);
}
