// One non-recursive inotify watch (fs.watch) per directory of a set that may change over time; directories that do
// not exist yet are skipped and picked up by the next `set`. Never watches recursively and never keeps the process alive.

import { statSync, watch, type FSWatcher } from 'node:fs';

export interface DirWatcher {
  /** Watches exactly these directories from now on (adds missing watches, closes ones no longer listed or broken). */
  set(dirs: Iterable<string>): void;
  /** Directories currently watched. */
  watched(): string[];
  close(): void;
}

/** `onChange(dir, name)` runs for every notification; `name` is the entry that changed, or null when unknown. */
export function createDirWatcher(onChange: (dir: string, name: string | null) => void): DirWatcher {
  const watchers = new Map<string, FSWatcher>();
  /** Inode of each watched directory: a directory removed and created again needs a new watch. */
  const inodes = new Map<string, number>();
  const inode = (dir: string) => {
    try {
      const st = statSync(dir);
      return st.isDirectory() ? st.ino : undefined;
    } catch {
      return undefined;
    }
  };
  const drop = (dir: string) => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
    inodes.delete(dir);
  };
  return {
    set(dirs) {
      const wanted = new Set(dirs);
      for (const dir of [...watchers.keys()]) if (!wanted.has(dir)) drop(dir);
      for (const dir of wanted) {
        const ino = inode(dir);
        if (watchers.has(dir)) {
          if (ino === inodes.get(dir)) continue;
          drop(dir);
        }
        if (ino === undefined) continue;
        try {
          const watcher = watch(dir, { persistent: false }, (_type, name) => onChange(dir, name === null ? null : String(name)));
          // The directory was removed or became unreadable: forget the watch; the owner's next `set` retries it.
          watcher.on('error', () => {
            drop(dir);
            onChange(dir, null);
          });
          watchers.set(dir, watcher);
          inodes.set(dir, ino);
        } catch {
          // missing or not a directory now
        }
      }
    },
    watched: () => [...watchers.keys()],
    close() {
      for (const dir of [...watchers.keys()]) drop(dir);
    },
  };
}
