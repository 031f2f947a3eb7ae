// File primitives of the response handlers: hashing without following symlinks, attribute flags (lsattr/chattr),
// nanosecond timestamps, durable JSON records. Never follows the last symlink of a path it hashes.

import { createHash } from 'node:crypto';
import { constants, createReadStream, fsyncSync, openSync, closeSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { VigilError } from '@vigil/common';
import { runCommand, runChecked } from '../../internal/command.js';

export interface Digest {
  sha256: string;
  size: number;
}

/** SHA-256 and length of a file's content, read through `O_NOFOLLOW` (a symlink is refused by the kernel). */
export function sha256File(path: string, signal?: AbortSignal): Promise<Digest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      reject(error);
      return;
    }
    const stream = createReadStream(path, { fd, autoClose: true, highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
    stream.on('data', (chunk) => {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    });
    stream.on('error', (error) => reject(error));
    stream.on('end', () => resolve({ sha256: hash.digest('hex'), size }));
  });
}

/**
 * The attribute flags `lsattr -d` prints for a path ("----i---------e-------"), or undefined when the file system
 * has none (tmpfs, proc).
 */
export async function readFlags(path: string): Promise<string | undefined> {
  const result = await runCommand('lsattr', ['-d', '--', path]);
  if (result.code !== 0) {
    if (/not supported|Inappropriate ioctl/i.test(result.stderr)) return undefined;
    throw new VigilError('system', `lsattr ${path} failed: ${result.stderr.trim()}`);
  }
  return parseLsattr(result.stdout);
}

/** The flag field of one `lsattr -d` line; undefined when the line is not lsattr output. */
export function parseLsattr(line: string): string | undefined {
  const match = /^([A-Za-z-]{4,40})\s/.exec(line);
  return match?.[1];
}

export const hasFlag = (flags: string | undefined, flag: 'i' | 'a') => !!flags && flags.includes(flag);

/** `chattr <change> path`, e.g. `+i`, `-i`, `-ia`. */
export async function chattr(path: string, change: string): Promise<void> {
  await runChecked('chattr', [change, '--', path]);
}

/** Clears the immutable and append-only flags when set (neither a rename nor a chmod works otherwise). */
export async function clearLockFlags(path: string, flags: string | undefined): Promise<void> {
  const clear = `${hasFlag(flags, 'i') ? 'i' : ''}${hasFlag(flags, 'a') ? 'a' : ''}`;
  if (clear) await chattr(path, `-${clear}`);
}

/** Sets the lock flags of `flags` (immutable, append-only) on a path. */
export async function applyLockFlags(path: string, flags: string | undefined): Promise<void> {
  const set = `${hasFlag(flags, 'a') ? 'a' : ''}${hasFlag(flags, 'i') ? 'i' : ''}`;
  if (set) await chattr(path, `+${set}`);
}

/** "@<seconds>.<nanoseconds>" of a bigint nanosecond time, the form GNU touch reads without losing precision. */
export function touchTime(ns: bigint): string {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  return `@${negative ? '-' : ''}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
}

/** Sets access and modification time to the nanosecond (Node's utimes works in floating-point seconds). */
export async function setTimesNs(path: string, atimeNs: bigint, mtimeNs: bigint): Promise<void> {
  await runChecked('touch', ['-c', '-a', '-d', touchTime(atimeNs), '--', path]);
  await runChecked('touch', ['-c', '-m', '-d', touchTime(mtimeNs), '--', path]);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes JSON so a crash leaves either the old or the new record: temp file, fsync, rename, fsync of the folder. */
export function writeJsonDurable(path: string, value: unknown, mode = 0o600): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeFileSync(fd, JSON.stringify(value, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDir(dirname(path));
}

/** Permission bits as four octal digits, "0755". */
export const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');
