// The acting process of a network event: identity from the kernel record, executable, arguments and user names from
// /proc (read once per process and remembered in a small LRU). Never throws; a process that is gone keeps its kernel
// fields (pid, start time, comm, uid) only.

import { readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { processEntityId, readProcStartTicks } from '../internal/process-identity.js';
import type { UserNames } from '../internal/user-names.js';
import type { TaskFields } from './records.js';

/** The process fields that network and DNS events carry (names as in the schema's process field set). */
export type ProcessFields = Record<string, string | number | boolean | string[]>;

export interface ProcfsReader {
  /** Start ticks of a live process (/proc/<pid>/stat field 22), undefined when gone. */
  startTicks(pid: number): string | undefined;
  executable(pid: number): string | undefined;
  /** argv from /proc/<pid>/cmdline, undefined when gone or empty (kernel threads, zombies). */
  args(pid: number): string[] | undefined;
  workingDirectory(pid: number): string | undefined;
}

export const procfs: ProcfsReader = {
  startTicks: readProcStartTicks,
  executable(pid) {
    try {
      return readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return undefined;
    }
  },
  args(pid) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`);
      if (raw.length === 0) return undefined;
      const text = raw.toString('utf8');
      const parts = text.split('\u0000');
      if (parts.at(-1) === '') parts.pop();
      return parts;
    } catch {
      return undefined;
    }
  },
  workingDirectory(pid) {
    try {
      return readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return undefined;
    }
  },
};

interface Described {
  comm: string;
  executable: string | undefined;
  args: string[] | undefined;
  cwd: string | undefined;
}

export interface ProcessInfoOptions {
  bootId: string;
  users: UserNames;
  reader?: ProcfsReader;
  /** Processes remembered (default 4096). */
  maxEntries?: number;
}

export interface ProcessInfo {
  /** Process fields for the acting task of a record. */
  describe(task: TaskFields): ProcessFields;
  stats(): { hits: number; misses: number; gone: number };
}

const MAX_PATH = 4096;
const MAX_NAME = 1024;
const MAX_ARGS = 4096;
const MAX_ARG_LENGTH = 32768;
const MAX_COMMAND_LINE = 65536;
const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);

export function createProcessInfo(options: ProcessInfoOptions): ProcessInfo {
  const reader = options.reader ?? procfs;
  const maxEntries = Math.max(16, options.maxEntries ?? 4096);
  const cache = new Map<string, Described>();
  const counts = { hits: 0, misses: 0, gone: 0 };

  /**
   * What /proc says about pid when it is still the process that started at `ticks`; cached per (pid, ticks). An exec
   * keeps pid and start time but changes comm, so a different comm reads /proc again.
   */
  const lookup = (pid: number, ticks: string, comm: string | undefined): Described | undefined => {
    const key = `${pid}:${ticks}`;
    const known = cache.get(key);
    if (known && (comm === undefined || known.comm === comm)) {
      cache.delete(key);
      cache.set(key, known);
      counts.hits++;
      return known;
    }
    counts.misses++;
    if (reader.startTicks(pid) !== ticks) {
      counts.gone++;
      return undefined;
    }
    const described: Described = { comm: comm ?? known?.comm ?? '', executable: reader.executable(pid), args: reader.args(pid), cwd: reader.workingDirectory(pid) };
    // The process may have ended (and its pid been reused) between the reads: check its start time again.
    if (reader.startTicks(pid) !== ticks) {
      counts.gone++;
      return undefined;
    }
    cache.delete(key);
    cache.set(key, described);
    if (cache.size > maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    return described;
  };

  return {
    describe(task) {
      const fields: ProcessFields = {
        'process.pid': task.pid,
        'process.entity_id': processEntityId(options.bootId, task.pid, task.startTicks),
      };
      const self = lookup(task.pid, task.startTicks, task.comm);
      const executable = self?.executable?.replace(/ \(deleted\)$/, '');
      if (executable) {
        fields['process.executable'] = clip(executable, MAX_PATH);
        fields['process.name'] = clip(posix.basename(executable), MAX_NAME);
      } else if (task.comm) {
        fields['process.name'] = clip(task.comm, MAX_NAME);
      }
      if (self?.args && self.args.length > 0) {
        fields['process.args'] = self.args.slice(0, MAX_ARGS).map((arg) => clip(arg, MAX_ARG_LENGTH));
        fields['process.args_count'] = self.args.length;
        fields['process.command_line'] = clip(self.args.join(' '), MAX_COMMAND_LINE);
      }
      if (self?.cwd) fields['process.working_directory'] = clip(self.cwd, MAX_PATH);
      if (task.ppid > 0) {
        fields['process.parent.pid'] = task.ppid;
        fields['process.parent.entity_id'] = processEntityId(options.bootId, task.ppid, task.parentStartTicks);
        const parent = lookup(task.ppid, task.parentStartTicks, undefined);
        const parentExecutable = parent?.executable?.replace(/ \(deleted\)$/, '');
        if (parentExecutable) {
          fields['process.parent.executable'] = clip(parentExecutable, MAX_PATH);
          fields['process.parent.name'] = clip(posix.basename(parentExecutable), MAX_NAME);
        }
      }
      fields['user.id'] = String(task.uid);
      const user = options.users.user(task.uid);
      if (user) fields['user.name'] = user;
      fields['group.id'] = String(task.gid);
      const group = options.users.group(task.gid);
      if (group) fields['group.name'] = group;
      return fields;
    },
    stats: () => ({ ...counts }),
  };
}
