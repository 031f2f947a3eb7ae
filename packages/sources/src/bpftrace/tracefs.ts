// Makes the kernel's tracing file system available to bpftrace (tracepoint ids are read from it at attach time).
// Never unmounts what someone else mounted: only a mount made here is undone, and a busy one is left in place.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { VigilError } from '@vigil/common';

const run = promisify(execFile);

export const TRACEFS = '/sys/kernel/tracing';
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

/** Whether tracepoint definitions are readable at one of the places bpftrace looks. */
export function tracefsAvailable(path = TRACEFS): boolean {
  return existsSync(`${path}/events`) || (path === TRACEFS && existsSync(`${DEBUGFS_TRACING}/events`));
}

/** Mounts tracefs at `path` when tracepoints are not visible yet; resolves true when this call mounted it. */
export async function ensureTracefs(path = TRACEFS): Promise<boolean> {
  if (tracefsAvailable(path)) return false;
  try {
    await run('mount', ['-t', 'tracefs', 'nodev', path], { timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new VigilError('system', `cannot mount tracefs on ${path}: ${stderr || (error as Error).message}; bpftrace needs it for tracepoints`, { cause: error });
  }
  if (!existsSync(`${path}/events`)) throw new VigilError('system', `tracefs mounted on ${path} shows no events directory; this kernel lacks tracepoints`);
  return true;
}

/** Unmounts tracefs at `path`; a failure (busy, already gone) is returned as text, never thrown. */
export async function unmountTracefs(path = TRACEFS): Promise<string | undefined> {
  try {
    await run('umount', [path], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    return (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
  }
}
