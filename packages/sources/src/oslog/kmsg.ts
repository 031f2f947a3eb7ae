// The kernel log from /dev/kmsg: one record per read, `pri,seq,usec,flags[,...];text` plus ` KEY=value` lines.
// Reads without blocking a thread-pool thread (O_NONBLOCK, polled), skips what was logged before start, and counts
// records the kernel overwrote before they were read (EPIPE) instead of failing.

import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { VigilError } from '@vigil/common';

export interface KmsgRecord {
  facility: number;
  severity: number;
  seq: number;
  /** Microseconds since boot (CLOCK_MONOTONIC). */
  usec: number;
  message: string;
  /** ` SUBSYSTEM=...`, ` DEVICE=...` dictionary lines. */
  fields: Record<string, string>;
}

/** Undoes the kernel's `\xNN` escaping of non-printable bytes. */
function unescape(text: string): string {
  if (!text.includes('\\x')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      for (const b of Buffer.from(text[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parses one /dev/kmsg record; undefined when the prefix is malformed. */
export function parseKmsgRecord(text: string): KmsgRecord | undefined {
  const semicolon = text.indexOf(';');
  if (semicolon < 0 || semicolon > 128) return undefined;
  const prefix = text.slice(0, semicolon).split(',');
  if (prefix.length < 4 || !prefix.slice(0, 3).every((p) => /^\d{1,20}$/.test(p))) return undefined;
  const pri = Number(prefix[0]);
  const lines = text.slice(semicolon + 1).replace(/\n$/, '').split('\n');
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of lines.slice(1)) {
    const eq = line.indexOf('=');
    if (line.startsWith(' ') && eq > 1) fields[line.slice(1, eq)] = line.slice(eq + 1);
  }
  return { facility: pri >> 3, severity: pri & 7, seq: Number(prefix[1]), usec: Number(prefix[2]), message: unescape(lines[0] ?? ''), fields };
}

/** Boot time in ms since the epoch, from /proc/uptime (close enough for log times). */
export async function bootTimeMs(): Promise<number> {
  const uptime = Number.parseFloat((await readFile('/proc/uptime', 'utf8').catch(() => '0')).split(' ')[0] ?? '0');
  return Date.now() - uptime * 1000;
}

export interface KmsgReaderOptions {
  path?: string;
  onRecord: (record: KmsgRecord, timeMs: number) => void;
  /** How often to look for new records, in ms (default 1000). */
  pollMs?: number;
}

export interface KmsgReader {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): { records: number; lost: number; skipped: number };
}

const RECORD_MAX = 8192 + 1024;

export function createKmsgReader(options: KmsgReaderOptions): KmsgReader {
  const path = options.path ?? '/dev/kmsg';
  const pollMs = options.pollMs ?? 1000;
  const counts = { records: 0, lost: 0, skipped: 0 };
  const buffer = Buffer.alloc(RECORD_MAX);
  let handle: FileHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let boot = 0;
  let stopped = false;

  /** Reads every record available now; `deliver` false while skipping the backlog at start. */
  const readAvailable = async (deliver: boolean) => {
    while (handle && !stopped) {
      let n: number;
      try {
        n = (await handle.read(buffer, 0, buffer.length, null)).bytesRead;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return;
        if (code === 'EPIPE') {
          counts.lost++;
          continue;
        }
        throw error;
      }
      if (n === 0) return;
      if (!deliver) {
        counts.skipped++;
        continue;
      }
      const record = parseKmsgRecord(buffer.toString('utf8', 0, n));
      if (!record) continue;
      counts.records++;
      options.onRecord(record, boot + record.usec / 1000);
    }
  };

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    reading = readAvailable(true)
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };

  return {
    async start() {
      try {
        handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (cause) {
        throw new VigilError('unavailable', `cannot read the kernel log ${path}`, { cause });
      }
      boot = await bootTimeMs();
      await readAvailable(false);
      timer = setTimeout(tick, pollMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await reading;
      await handle?.close().catch(() => undefined);
      handle = undefined;
    },
    stats: () => ({ ...counts }),
  };
}
