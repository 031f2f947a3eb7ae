// Process memory scanning: parses /proc/<pid>/maps, reads every readable region of /proc/<pid>/mem in bounded chunks
// that overlap (a match spanning a chunk boundary and shorter than the overlap is still seen), and scans each chunk.
// Never writes to the target, never stops it, and never reads more than the configured total per process.

import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { VigilError } from '@vigil/common';
import type { RuleEngine } from './partition.js';
import type { YaraMatch } from './core.js';
import { toMatches } from './file-scanner.js';

export interface MemoryRegion {
  start: number;
  end: number;
  perms: string;
  offset: number;
  device: string;
  inode: number;
  /** Mapped file or pseudo name ([heap], [stack], [anon:...]); '' for anonymous memory. */
  path: string;
}

/**
 * Parses the text of /proc/<pid>/maps. Throws `invalid_input` naming the line for a line that is not a mapping.
 * Mappings above 2^53 (kernel space such as [vsyscall]) are left out.
 */
export function parseProcMaps(text: string, source = 'maps'): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+([r-][w-][x-][psS-])\s+([0-9a-f]+)\s+([0-9a-f]+:[0-9a-f]+)\s+(\d+)\s*(.*)$/.exec(line);
    if (!m) throw new VigilError('invalid_input', `not a memory mapping: ${JSON.stringify(line.slice(0, 120))}`, { location: { file: source, line: index + 1 } });
    if (m[1]!.length > 16 || m[2]!.length > 16 || BigInt(`0x${m[2]}`) < BigInt(`0x${m[1]}`)) {
      throw new VigilError('invalid_input', `mapping addresses out of range: ${m[1]}-${m[2]}`, { location: { file: source, line: index + 1 } });
    }
    const start = parseInt(m[1]!, 16);
    const end = parseInt(m[2]!, 16);
    // Kernel-space mappings ([vsyscall] at 0xffffffffff600000) lie above 2^53 and are never process memory.
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return;
    regions.push({ start, end, perms: m[3]!, offset: parseInt(m[4]!, 16), device: m[5]!, inode: Number(m[6]), path: m[7]!.trim() });
  });
  return regions;
}

export interface MemoryScanOptions {
  /** Bytes read and scanned at once (default 16 MiB). */
  chunkSize?: number;
  /** Bytes each chunk repeats of the previous one (default 4 KiB; the longest match that can span a boundary). */
  overlap?: number;
  /** Most bytes read per process (default 2 GiB). */
  maxBytes?: number;
  /** Regions larger than this are read only up to it (default 512 MiB). */
  maxRegionSize?: number;
  /** Also scan file-backed read-only mappings of executables and libraries (default false: they are files on disk). */
  includeFileMappings?: boolean;
  /** Called between chunks (CPU budget, progress, cancellation). */
  between?: () => Promise<void> | void;
}

export interface MemoryMatch extends YaraMatch {
  /** Address of the region where the rule first matched, hex. */
  region: string;
  regionPath: string;
}

export interface MemoryScanResult {
  pid: number;
  regions: number;
  bytes: number;
  unreadable: number;
  matches: MemoryMatch[];
  truncated: boolean;
}

/** Which regions a scan reads: readable, not [vvar]/[vsyscall], and anonymous or writable unless file mappings are asked for. */
export function scannableRegions(regions: readonly MemoryRegion[], includeFileMappings = false): MemoryRegion[] {
  return regions.filter((r) => {
    if (r.perms[0] !== 'r') return false;
    if (r.path === '[vvar]' || r.path === '[vsyscall]' || r.path === '[vvar_vclock]') return false;
    if (!includeFileMappings && r.path.startsWith('/') && r.perms[1] !== 'w' && !r.path.includes(' (deleted)') && !r.path.startsWith('/memfd:')) return false;
    return true;
  });
}

/** Scans the readable memory of a process. Needs ptrace rights over it (root, or the same user with ptrace_scope 0). */
export async function scanProcessMemory(pid: number, rules: RuleEngine, options: MemoryScanOptions = {}): Promise<MemoryScanResult> {
  const chunkSize = options.chunkSize ?? 16 * 1024 * 1024;
  const overlap = Math.min(options.overlap ?? 4096, Math.floor(chunkSize / 2));
  const maxBytes = options.maxBytes ?? 2 * 1024 * 1024 * 1024;
  const maxRegion = options.maxRegionSize ?? 512 * 1024 * 1024;
  let mapsText: string;
  try {
    mapsText = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (error) {
    throw new VigilError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'system', `cannot read the memory map of pid ${pid}: ${(error as Error).message}`);
  }
  const regions = scannableRegions(parseProcMaps(mapsText, `/proc/${pid}/maps`), options.includeFileMappings);
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/mem`, 'r');
  } catch (error) {
    throw new VigilError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'system', `cannot open the memory of pid ${pid}: ${(error as Error).message}`);
  }
  const result: MemoryScanResult = { pid, regions: 0, bytes: 0, unreadable: 0, matches: [], truncated: false };
  const seen = new Set<string>();
  const buffer = Buffer.allocUnsafe(chunkSize);
  try {
    for (const region of regions) {
      if (result.bytes >= maxBytes) {
        result.truncated = true;
        break;
      }
      result.regions++;
      const end = Math.min(region.end, region.start + maxRegion);
      if (end < region.end) result.truncated = true;
      for (let at = region.start; at < end; ) {
        if (result.bytes >= maxBytes) {
          result.truncated = true;
          break;
        }
        const length = Math.min(chunkSize, end - at);
        let read = 0;
        try {
          while (read < length) {
            const n = readSync(fd, buffer, read, length - read, at + read);
            if (n <= 0) break;
            read += n;
          }
        } catch {
          // Guard pages and mappings that vanished read as EIO: the rest of the region is skipped.
        }
        if (read === 0) {
          result.unreadable++;
          break;
        }
        result.bytes += read;
        for (const match of toMatches(rules.scan(buffer.subarray(0, read)))) {
          const key = `${match.namespace}:${match.rule}`;
          if (seen.has(key)) continue;
          seen.add(key);
          result.matches.push({ ...match, region: `0x${region.start.toString(16)}`, regionPath: region.path });
        }
        if (read < length || at + read >= end) break;
        at += read - overlap;
        await options.between?.();
      }
      await options.between?.();
    }
  } finally {
    closeSync(fd);
  }
  return result;
}

/** Pids of running processes (numeric entries of /proc), ascending. */
export function listPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}
