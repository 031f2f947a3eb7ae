// SHA-256 of executables, cached by file identity (dev, inode, size, mtime and ctime) in a bounded LRU.
// Never reads a file synchronously or whole into memory, never hashes files over the size limit, never throws.

import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export interface HashCacheOptions {
  /** Files larger than this are not hashed (default 256 MiB). */
  maxBytes?: number;
  /** Most cached hashes (default 4096). */
  maxEntries?: number;
  /** Most files hashed at the same time (default 2). */
  concurrency?: number;
}

export interface HashCacheStats {
  hits: number;
  misses: number;
  /** Files not hashed: too large, not a regular file. */
  skipped: number;
  /** Files that could not be read (gone, no permission). */
  errors: number;
  entries: number;
}

export interface HashCache {
  /** Lowercase hex SHA-256 of the file at `path`, or undefined when it cannot or may not be hashed. */
  sha256(path: string): Promise<string | undefined>;
  stats(): HashCacheStats;
}

export const DEFAULT_HASH_MAX_BYTES = 256 * 1024 * 1024;

/**
 * ctime is part of the identity because a writer can reset mtime but not ctime. Times are the number stats' ms with
 * their fraction (~0.1 µs resolution today); number stats cost a fraction of BigInt ones, and this runs for every exec.
 */
function identity(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

export function createHashCache(options: HashCacheOptions = {}): HashCache {
  const maxBytes = options.maxBytes ?? DEFAULT_HASH_MAX_BYTES;
  const maxEntries = Math.max(1, options.maxEntries ?? 4096);
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const cache = new Map<string, string>();
  const inFlight = new Map<string, Promise<string | undefined>>();
  const counts = { hits: 0, misses: 0, skipped: 0, errors: 0 };
  let running = 0;
  const waiting: Array<() => void> = [];

  const remember = (key: string, digest: string) => {
    cache.delete(key);
    cache.set(key, digest);
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
  };

  const slot = async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };

  /** Hashes through the open descriptor, so a file swapped after stat cannot be hashed under the old identity. */
  const hashFile = async (path: string, expected: string): Promise<string | undefined> => {
    const handle = await open(path, 'r');
    try {
      const before = await handle.stat();
      if (!before.isFile() || before.size > maxBytes) {
        counts.skipped++;
        return undefined;
      }
      const hash = createHash('sha256');
      const stream = handle.createReadStream({ autoClose: false, start: 0, highWaterMark: 256 * 1024 });
      for await (const chunk of stream) hash.update(chunk as Buffer);
      const digest = hash.digest('hex');
      const after = await handle.stat();
      const key = identity(after);
      if (key === identity(before) && key === expected) remember(key, digest);
      return digest;
    } finally {
      await handle.close().catch(() => undefined);
    }
  };

  return {
    async sha256(path) {
      let st: Stats;
      try {
        st = await stat(path);
      } catch {
        counts.errors++;
        return undefined;
      }
      if (!st.isFile() || st.size > maxBytes) {
        counts.skipped++;
        return undefined;
      }
      const key = identity(st);
      const cached = cache.get(key);
      if (cached !== undefined) {
        counts.hits++;
        remember(key, cached);
        return cached;
      }
      const pending = inFlight.get(key);
      if (pending) return pending;
      counts.misses++;
      const work = slot(() => hashFile(path, key))
        .catch(() => {
          counts.errors++;
          return undefined;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, work);
      return work;
    },
    stats: () => ({ ...counts, entries: cache.size }),
  };
}
