// What the change records remember about each watched file: identity (stat), sha256, owner, mode, link target and
// the text used for diffs. Reading a file is bounded; content is kept only for small text files.

import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';

export interface FileState {
  kind: 'file' | 'symlink';
  /** Changes whenever the file may have changed (inode, size, times, mode, owner). */
  statKey: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  sha256?: string;
  target?: string;
  /** Text used for diffs (the content, or a rendering such as shadow's status lines); absent for large or binary files. */
  text?: string;
}

export interface ReadLimits {
  /** Largest file whose text is kept for diffs (bytes). */
  maxContentBytes: number;
  /** Largest file that is hashed (bytes); bigger files are compared by stat only. */
  maxHashBytes: number;
}

export function statKey(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}:${st.gid}`;
}

/**
 * Reads one entry. Returns undefined when it is gone or is neither a regular file nor a symbolic link.
 * `render` turns the content into the text kept for diffs (default: the UTF-8 text unless it holds NUL bytes).
 */
export function readFileState(path: string, limits: ReadLimits, render?: (content: Buffer) => string | undefined): FileState | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  const base = { statKey: statKey(st), size: st.size, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: Math.floor(st.mtimeMs) };
  if (st.isSymbolicLink()) {
    try {
      return { kind: 'symlink', ...base, target: readlinkSync(path) };
    } catch {
      return undefined;
    }
  }
  if (!st.isFile()) return undefined;
  if (st.size > limits.maxHashBytes) return { kind: 'file', ...base };
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = Math.min(fstatSync(fd).size, limits.maxHashBytes);
    const content = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, content, read, size - read, read);
      if (n <= 0) break;
      read += n;
    }
    const bytes = content.subarray(0, read);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    let text: string | undefined;
    if (render) text = render(bytes);
    else if (bytes.length <= limits.maxContentBytes && !bytes.includes(0)) text = bytes.toString('utf8');
    return { kind: 'file', ...base, size: read, sha256, ...(text !== undefined ? { text } : {}) };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Which attributes differ between two states of one path (content, mode, owner, target). */
export function changedFields(before: FileState, after: FileState): string[] {
  const fields: string[] = [];
  if (before.kind !== after.kind) fields.push('type');
  if (before.sha256 !== after.sha256 || (before.sha256 === undefined && before.size !== after.size)) fields.push('content');
  if (before.target !== after.target) fields.push('target');
  if (before.mode !== after.mode) fields.push('mode');
  if (before.uid !== after.uid || before.gid !== after.gid) fields.push('owner');
  return fields;
}
