// Follows a growing log file line by line across rotation: a new inode at the path (rename or delete and recreate) is
// read from its start after the old file is read to its end; a file that shrinks (truncation) is read again from
// the start and reported. Polls with stat; never holds more than one maximum-length line in memory.

import { open, stat, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface FileTailOptions {
  path: string;
  onLine: (line: string) => void;
  /** The file got shorter: `from` bytes had been read, it now holds `to`. */
  onTruncate?: (from: number, to: number) => void;
  /** A new file took the path (rotation) or the file appeared. */
  onRotate?: () => void;
  /** Read an existing file from its start (default false: only lines written after start). */
  fromStart?: boolean;
  /** Interval between checks, in ms (default 250). */
  pollMs?: number;
  /** Interval between checks while the file does not exist, in ms (default the larger of 2000 and pollMs). */
  missingPollMs?: number;
  /** Longer lines are cut here and the rest up to the newline dropped (default 65536). */
  maxLineLength?: number;
}

export interface FileTailStats {
  lines: number;
  bytes: number;
  rotations: number;
  truncations: number;
  longLines: number;
  open: boolean;
}

export interface FileTail {
  /** Opens the file if it exists (a missing file is waited for) and starts polling. */
  start(): Promise<void>;
  /** Reads what is there now, then stops; a partial last line is delivered. */
  stop(): Promise<void>;
  /** Runs one check now (tests). */
  poll(): Promise<void>;
  stats(): FileTailStats;
}

const CHUNK = 64 * 1024;

export function createFileTail(options: FileTailOptions): FileTail {
  const pollMs = options.pollMs ?? 250;
  const missingPollMs = options.missingPollMs ?? Math.max(2000, pollMs);
  const maxLine = options.maxLineLength ?? 65536;
  const counts = { lines: 0, bytes: 0, rotations: 0, truncations: 0, longLines: 0 };
  let handle: FileHandle | undefined;
  let identity = '';
  let position = 0;
  let decoder = new StringDecoder('utf8');
  let partial = '';
  let discarding = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const buffer = Buffer.alloc(CHUNK);

  const deliver = (text: string) => {
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (discarding) {
        discarding = false;
        partial = '';
        continue;
      }
      const line = partial + piece;
      partial = '';
      counts.lines++;
      options.onLine(line.length > maxLine ? line.slice(0, maxLine) : line);
    }
    if (discarding) return;
    partial += text.slice(start);
    if (partial.length > maxLine) {
      counts.longLines++;
      counts.lines++;
      options.onLine(partial.slice(0, maxLine));
      partial = '';
      discarding = true;
    }
  };

  const flushPartial = () => {
    const rest = decoder.end();
    if (rest) deliver(rest);
    if (partial.length > 0 && !discarding) {
      counts.lines++;
      options.onLine(partial);
    }
    partial = '';
    discarding = false;
    decoder = new StringDecoder('utf8');
  };

  const readToEnd = async () => {
    if (!handle) return;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      counts.bytes += bytesRead;
      deliver(decoder.write(buffer.subarray(0, bytesRead)));
    }
  };

  const close = async () => {
    const h = handle;
    handle = undefined;
    identity = '';
    await h?.close().catch(() => undefined);
  };

  const openAt = async (fromStart: boolean): Promise<boolean> => {
    let h: FileHandle;
    try {
      h = await open(options.path, 'r');
    } catch {
      return false;
    }
    const st = await h.stat();
    if (!st.isFile()) {
      await h.close();
      return false;
    }
    handle = h;
    identity = `${st.dev}:${st.ino}`;
    position = fromStart ? 0 : st.size;
    decoder = new StringDecoder('utf8');
    partial = '';
    discarding = false;
    return true;
  };

  const check = async () => {
    if (!handle) {
      if (await openAt(true)) {
        counts.rotations++;
        options.onRotate?.();
        await readToEnd();
      }
      return;
    }
    let current: string | undefined;
    try {
      const st = await stat(options.path);
      current = `${st.dev}:${st.ino}`;
    } catch {
      current = undefined;
    }
    if (current !== identity) {
      // Rotated or removed: what was written to the old file before the switch is still ours to read.
      await readToEnd();
      flushPartial();
      await close();
      if (current !== undefined && (await openAt(true))) {
        counts.rotations++;
        options.onRotate?.();
        await readToEnd();
      }
      return;
    }
    const size = (await handle.stat()).size;
    if (size < position) {
      counts.truncations++;
      flushPartial();
      options.onTruncate?.(position, size);
      position = 0;
    }
    if (size > position) await readToEnd();
  };

  const run = () => {
    running = check()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(run, handle ? pollMs : missingPollMs);
      });
    return running;
  };

  return {
    async start() {
      await openAt(options.fromStart ?? false);
      if (options.fromStart && handle) await readToEnd();
      timer = setTimeout(run, handle ? pollMs : missingPollMs);
    },
    async poll() {
      if (running) await running;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await readToEnd().catch(() => undefined);
      flushPartial();
      await close();
    },
    stats: () => ({ ...counts, open: handle !== undefined }),
  };
}
