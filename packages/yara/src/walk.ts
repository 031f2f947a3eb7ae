// Walks directory trees for sweeps: never follows symbolic links, never enters pseudo file systems (/proc, /sys,
// /dev, /run) unless asked for explicitly, stays on the starting device when told to, and reports unreadable folders
// instead of failing. A generator, so a sweep can pause (CPU budget) or stop between files.

import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface WalkOptions {
  /** Do not cross into other file systems than the one each root is on (default false). */
  oneFileSystem?: boolean;
  /** Path prefixes never entered (default /proc, /sys, /dev, /run). A root inside one is still walked. */
  exclude?: readonly string[];
  /** Deepest folder level below a root (default 64). */
  maxDepth?: number;
  onError?(path: string, error: NodeJS.ErrnoException): void;
}

export const DEFAULT_WALK_EXCLUDES: readonly string[] = ['/proc', '/sys', '/dev', '/run'];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

/** Yields every regular file below (or at) the roots, each root once. */
export function* walkFiles(roots: readonly string[], options: WalkOptions = {}): Generator<string> {
  const excludes = options.exclude ?? DEFAULT_WALK_EXCLUDES;
  const maxDepth = options.maxDepth ?? 64;
  for (const root of roots) {
    let rootStat;
    try {
      rootStat = lstatSync(root);
    } catch (error) {
      options.onError?.(root, error as NodeJS.ErrnoException);
      continue;
    }
    if (rootStat.isFile()) {
      yield root;
      continue;
    }
    if (!rootStat.isDirectory()) continue;
    const active = excludes.filter((prefix) => !under(root, prefix));
    const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
    while (stack.length) {
      const { dir, depth } = stack.pop()!;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        options.onError?.(dir, error as NodeJS.ErrnoException);
        continue;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isFile()) yield path;
        else if (entry.isDirectory() && depth < maxDepth && !active.some((prefix) => under(path, prefix))) {
          if (options.oneFileSystem) {
            try {
              if (lstatSync(path).dev !== rootStat.dev) continue;
            } catch {
              continue;
            }
          }
          stack.push({ dir: path, depth: depth + 1 });
        }
      }
    }
  }
}
