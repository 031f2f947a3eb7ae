// Durable JSON state of response handlers under the agent state dir (isolation plan, blocked addresses).
// Writes are atomic (temp file, fsync, rename, fsync of the folder): a crash leaves the old or the new file, never half.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { VigilError } from '@vigil/common';

export function readState<T>(file: string, check: (value: unknown) => value is T): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw VigilError.wrap(error, 'system', `cannot read ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new VigilError('system', `${file} is not valid JSON: ${(error as Error).message}`, { location: { file } });
  }
  if (!check(value)) throw new VigilError('system', `${file} does not have the expected shape`, { location: { file } });
  return value;
}

export function writeState(file: string, value: unknown): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/** Runs operations on one piece of state one at a time (isolate and release never interleave). */
export function serialised(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}
