// Scans files with compiled rules: skips what is not a regular file or larger than the limit, reads the file once
// (bounded), sets the per-file externals, and caches results by device, inode, size, mtime and ctime per rule set, so
// an unchanged file is never scanned twice. Synchronous by design: it runs in a worker (agent) or a benchmark loop.

import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { safeExternal } from './compile.js';
import type { FileScanResult, YaraMatch } from './core.js';
import { fileExternals } from './externals.js';
import type { RuleEngine } from './partition.js';

export interface FileScannerOptions {
  /** Compiled rules (compileRuleSet) or their partitions (compilePartitioned); both return the same matches. */
  rules: RuleEngine;
  /** Identifies the rule set in the cache (a new set never reuses old results). */
  rulesId: string;
  /** Files larger than this are skipped (default 64 MiB). */
  maxFileSize?: number;
  /** Entries kept in the result cache (default 100,000; 0 disables it). */
  cacheEntries?: number;
  /** Extra externals for every scan (values must be defined in the rule set). */
  externals?: Record<string, string>;
}

export interface FileScanner {
  scan(path: string): FileScanResult;
  /**
   * The scan set that would scan this file now (its first two bytes and size), '' for a whole-set engine or a file
   * that cannot be opened (its scan reports why). Sweeps order files by it; it never changes a scan's result.
   */
  setKey(path: string): string;
  /** SHA-256 of a file (for hits), streamed in 1 MiB blocks; undefined when unreadable. */
  sha256(path: string): string | undefined;
  stats(): { scanned: number; cached: number; skipped: number; bytes: number; cacheSize: number };
}

interface CacheEntry {
  key: string;
  matches: YaraMatch[];
}

export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;

/** Converts the engine's match objects to ours. */
export function toMatches(raw: readonly { ruleIdentifier: string; namespace: string; tags: string[]; meta: object; matches: { identifier: string }[] }[]): YaraMatch[] {
  return raw.map((m) => ({ rule: m.ruleIdentifier, namespace: m.namespace, tags: [...m.tags], meta: { ...(m.meta as Record<string, unknown>) }, strings: [...new Set(m.matches.map((s) => s.identifier))] }));
}

export function createFileScanner(options: FileScannerOptions): FileScanner {
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const capacity = options.cacheEntries ?? 100_000;
  const cache = new Map<string, CacheEntry>();
  const counters = { scanned: 0, cached: 0, skipped: 0, bytes: 0 };
  const extra = Object.fromEntries(Object.entries(options.externals ?? {}).map(([k, v]) => [k, safeExternal(v)]));
  let scratch = Buffer.allocUnsafe(1024 * 1024);
  const head = Buffer.alloc(2);

  function remember(inode: string, entry: CacheEntry): void {
    if (!capacity) return;
    cache.delete(inode);
    cache.set(inode, entry);
    if (cache.size > capacity) cache.delete(cache.keys().next().value!);
  }

  return {
    scan(path) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (error) {
        counters.skipped++;
        return { path, size: 0, skipped: 'unreadable', cached: false, matches: [], error: (error as NodeJS.ErrnoException).code ?? String(error) };
      }
      try {
        let stat: Stats;
        stat = fstatSync(fd);
        if (!stat.isFile()) {
          counters.skipped++;
          return { path, size: stat.size, skipped: 'not_regular', cached: false, matches: [] };
        }
        if (stat.size > maxFileSize) {
          counters.skipped++;
          return { path, size: stat.size, skipped: 'too_large', cached: false, matches: [] };
        }
        const inode = `${stat.dev}:${stat.ino}`;
        const key = `${options.rulesId}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${path}`;
        const hit = cache.get(inode);
        if (hit && hit.key === key) {
          counters.cached++;
          remember(inode, hit);
          return { path, size: stat.size, cached: true, matches: hit.matches };
        }
        // Read at most maxFileSize + 1 bytes: a file that grew past the limit since fstat is still bounded. One buffer
        // is reused across files (it only grows): fresh large buffers cost page faults on every file.
        const wanted = Math.min(stat.size, maxFileSize) + 1;
        if (scratch.length < wanted) scratch = Buffer.allocUnsafe(Math.min(maxFileSize + 1, Math.max(wanted, scratch.length * 2)));
        const buffer = scratch.subarray(0, wanted);
        let length = 0;
        for (;;) {
          const n = readSync(fd, buffer, length, buffer.length - length, length);
          if (n <= 0) break;
          length += n;
          if (length >= buffer.length) break;
        }
        if (length > maxFileSize) {
          counters.skipped++;
          return { path, size: length, skipped: 'too_large', cached: false, matches: [] };
        }
        const data = buffer.subarray(0, length);
        const externals = { ...Object.fromEntries(Object.entries(fileExternals(path, stat, data.subarray(0, 64))).map(([k, v]) => [k, safeExternal(v)])), ...extra };
        const matches = toMatches(options.rules.scan(data, externals));
        counters.scanned++;
        counters.bytes += length;
        remember(inode, { key, matches });
        return { path, size: length, cached: false, matches };
      } catch (error) {
        counters.skipped++;
        return { path, size: 0, skipped: 'unreadable', cached: false, matches: [], error: (error as Error).message };
      } finally {
        closeSync(fd);
      }
    },
    setKey(path) {
      const setKey = options.rules.setKey;
      if (!setKey) return '';
      let fd: number | undefined;
      try {
        fd = openSync(path, 'r');
        const size = fstatSync(fd).size;
        const n = size > 0 ? readSync(fd, head, 0, 2, 0) : 0;
        return setKey.call(options.rules, head.subarray(0, n), Math.min(size, maxFileSize));
      } catch {
        return '';
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
    sha256(path) {
      let fd: number | undefined;
      try {
        fd = openSync(path, 'r');
        const hash = createHash('sha256');
        const block = Buffer.allocUnsafe(1024 * 1024);
        for (;;) {
          const n = readSync(fd, block, 0, block.length, null);
          if (n <= 0) break;
          hash.update(block.subarray(0, n));
        }
        return hash.digest('hex');
      } catch {
        return undefined;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
    stats: () => ({ ...counters, cacheSize: cache.size }),
  };
}
