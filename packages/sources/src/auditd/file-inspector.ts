// Looks at a file after a write once it has settled: size, whether it is an executable, and its SHA-256 if it is.
// An audited open fires before the data is written, so the hash waits until size and times stop changing. Bounded:
// beyond `maxPending` files waiting at once, new ones are answered at once without a look (counted as `skipped`).

import { open, stat } from 'node:fs/promises';

export interface FileInspection {
  size?: number;
  /** ELF, or a regular file with an execute bit. */
  executable?: boolean;
  sha256?: string;
}

export interface FileInspectorOptions {
  /** SHA-256 of a file (the source's hash cache). */
  sha256: (path: string) => Promise<string | undefined>;
  /** Time after the write before the first look, in ms (default 300). */
  settleMs?: number;
  /** Interval between looks while the file still changes, in ms (default 200). */
  pollMs?: number;
  /** Longest wait for a file that keeps changing, in ms (default 5000); then it is hashed as it is. */
  maxWaitMs?: number;
  /** Most files waiting at once (default 1024). */
  maxPending?: number;
}

export interface FileInspectorStats {
  inspected: number;
  hashed: number;
  /** Files answered without a look because too many were waiting. */
  skipped: number;
  /** Files gone before they could be looked at. */
  gone: number;
  pending: number;
}

export interface FileInspector {
  inspect(path: string): Promise<FileInspection>;
  stats(): FileInspectorStats;
}

interface Look {
  size: bigint;
  mtime: bigint;
  ctime: bigint;
  ino: bigint;
  mode: number;
  regular: boolean;
}

async function look(path: string): Promise<Look | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return { size: st.size, mtime: st.mtimeNs, ctime: st.ctimeNs, ino: st.ino, mode: Number(st.mode), regular: st.isFile() };
  } catch {
    return undefined;
  }
}

const same = (a: Look, b: Look) => a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime && a.ino === b.ino;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first bytes of a file, or undefined when it cannot be read. */
async function head(path: string, length: number): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export const isElf = (bytes: Buffer | undefined) => bytes !== undefined && bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;

export function createFileInspector(options: FileInspectorOptions): FileInspector {
  const settleMs = options.settleMs ?? 300;
  const pollMs = options.pollMs ?? 200;
  const maxWaitMs = options.maxWaitMs ?? 5000;
  const maxPending = options.maxPending ?? 1024;
  const counts = { inspected: 0, hashed: 0, skipped: 0, gone: 0 };
  let pending = 0;

  const settle = async (path: string): Promise<Look | undefined> => {
    const started = performance.now();
    await sleep(settleMs);
    let last = await look(path);
    while (last && performance.now() - started < maxWaitMs) {
      await sleep(pollMs);
      const now = await look(path);
      if (!now) return undefined;
      if (same(now, last)) return now;
      last = now;
    }
    return last;
  };

  return {
    async inspect(path) {
      if (pending >= maxPending) {
        counts.skipped++;
        return {};
      }
      pending++;
      try {
        const settled = await settle(path);
        if (!settled) {
          counts.gone++;
          return {};
        }
        counts.inspected++;
        if (!settled.regular) return {};
        const result: FileInspection = { size: Number(settled.size) };
        const executable = (settled.mode & 0o111) !== 0 || isElf(await head(path, 4));
        result.executable = executable;
        if (executable) {
          const digest = await options.sha256(path);
          if (digest) {
            result.sha256 = digest;
            counts.hashed++;
          }
        }
        return result;
      } finally {
        pending--;
      }
    },
    stats: () => ({ ...counts, pending }),
  };
}
