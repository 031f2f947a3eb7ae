// Compiles an exec blocklist policy into what enforcement needs: exact paths the kernel can match (and kill on) at
// exec, and one userspace check of an exec (paths, hashes, command lines). Pure: never reads files or kills.

import type { BlocklistEntry, BlocklistPolicy } from '@vigil/protocol/blocklist';
import { globToRegExp } from '@vigil/common';

export interface ExecFacts {
  /** The path given to execve (may be relative or a symlink). */
  filename: string;
  /** The resolved executable (/proc/<pid>/exe), when it could be read. */
  executable?: string;
  /** argv joined with spaces, when it could be read. */
  commandLine?: string;
}

export interface CompiledBlocklist {
  version: number;
  /** Exact absolute paths, safe to embed in the kernel program (killed before the program's first instruction). */
  kernelPaths: string[];
  /** Entries checked in user space after exec (globs, hashes, command lines; exact paths too, as a second check). */
  userspaceEntries: number;
  /** Whether any entry needs the executable's sha256. */
  needsHash: boolean;
  /** The first entry the exec matches without hashing, if any. */
  matchWithoutHash(facts: ExecFacts): BlocklistEntry | undefined;
  /** The first sha256 entry for this hash, if any. */
  matchHash(sha256: string): BlocklistEntry | undefined;
  /** The kernel path entry for a path the kernel killed on. */
  kernelEntry(path: string): BlocklistEntry | undefined;
}

/** Longest path the kernel program compares (bpftrace string size minus the terminator). */
export const KERNEL_PATH_MAX = 190;


const isGlob = (path: string) => /[*?[]/.test(path);
/** Paths the kernel program can hold as a string literal: printable ASCII without quote or backslash. */
const kernelSafe = (path: string) => path.length <= KERNEL_PATH_MAX && /^[\x20-\x7e]+$/.test(path) && !/["\\]/.test(path);

export function compileBlocklist(policy: BlocklistPolicy): CompiledBlocklist {
  const exact = new Map<string, BlocklistEntry>();
  const globs: { entry: BlocklistEntry; regex: RegExp }[] = [];
  const hashes = new Map<string, BlocklistEntry>();
  const commandLines: { entry: BlocklistEntry; regex: RegExp }[] = [];
  for (const entry of policy.entries) {
    if (entry.kind === 'sha256') {
      if (!hashes.has(entry.value)) hashes.set(entry.value, entry);
    } else if (entry.kind === 'cmdline') commandLines.push({ entry, regex: new RegExp(entry.value) });
    else if (isGlob(entry.value)) globs.push({ entry, regex: globToRegExp(entry.value) });
    else if (!exact.has(entry.value)) exact.set(entry.value, entry);
  }
  const pathMatch = (path: string | undefined): BlocklistEntry | undefined => {
    if (!path) return undefined;
    const hit = exact.get(path);
    if (hit) return hit;
    return globs.find((g) => g.regex.test(path))?.entry;
  };
  return {
    version: policy.version,
    kernelPaths: [...exact.keys()].filter(kernelSafe),
    userspaceEntries: policy.entries.length,
    needsHash: hashes.size > 0,
    matchWithoutHash(facts) {
      const absolute = facts.filename.startsWith('/') ? facts.filename : undefined;
      const byPath = pathMatch(absolute) ?? pathMatch(facts.executable);
      if (byPath) return byPath;
      if (facts.commandLine === undefined) return undefined;
      const line = facts.commandLine.length > 65536 ? facts.commandLine.slice(0, 65536) : facts.commandLine;
      return commandLines.find((c) => c.regex.test(line))?.entry;
    },
    matchHash: (sha256) => hashes.get(sha256),
    kernelEntry: (path) => exact.get(path),
  };
}
