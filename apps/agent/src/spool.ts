// The agent's bounded on-disk spool: every collected event is appended here before it is sent, and removed only
// after the server acknowledged it. Survives agent restarts and server outages; never holds more than `maxBytes`.

import { appendFileSync, closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '@vigil/common';

export interface SpoolOptions {
  dir: string;
  /** Upper bound of spooled bytes; the oldest segment is dropped (and counted) beyond it. */
  maxBytes: number;
  segmentBytes?: number;
}

interface Segment {
  firstSeq: number;
  lastSeq: number;
  file: string;
  bytes: number;
}

export interface SpoolBatch {
  /** Serialized events, one JSON object each, in sequence order. */
  lines: string[];
  firstSeq: number;
  lastSeq: number;
  bytes: number;
}

export interface SpoolStats {
  /** Events written and not yet acknowledged. */
  pending: number;
  pendingBytes: number;
  /** Events lost to the size bound since the spool was created. */
  dropped: number;
  ackedThrough: number;
  nextSequence: number;
}

const SEGMENT = /^seg-(\d{16})\.ndjson$/;
const segmentName = (seq: number) => `seg-${String(seq).padStart(16, '0')}.ndjson`;

/** Reads the sequence of one spooled line without parsing the whole event. */
function sequenceOf(line: string): number {
  const match = /"event\.sequence":(\d+)/.exec(line);
  if (!match?.[1]) throw new VigilError('internal', 'spooled line has no event.sequence');
  return Number(match[1]);
}

/**
 * Single-threaded contract: `append`, `readBatch` and `ack` are synchronous and must be called from one thread.
 * Sequence numbers are assigned here, so they are strictly increasing across restarts.
 */
export class Spool {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  #segments: Segment[] = [];
  #fd: number | undefined;
  #state = { ackedThrough: -1, dropped: 0, nextSequence: 1 };
  #readCursor: { file: string; seq: number; offset: number } = { file: '', seq: 0, offset: 0 };
  #dirty = false;
  /** An acknowledgement not yet written to state.json (written by `sync` and `close`). */
  #ackDirty = false;

  constructor(options: SpoolOptions) {
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes ?? Math.max(64 * 1024, Math.min(4 * 1024 * 1024, Math.floor(options.maxBytes / 8)));
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#load();
  }

  #stateFile(): string {
    return join(this.#dir, 'state.json');
  }

  #saveState(): void {
    this.#ackDirty = false;
    const tmp = this.#stateFile() + '.tmp';
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, JSON.stringify(this.#state));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.#stateFile());
  }

  #load(): void {
    if (existsSync(this.#stateFile())) {
      try {
        const saved = JSON.parse(readFileSync(this.#stateFile(), 'utf8')) as { ackedThrough?: number; dropped?: number; nextSequence?: number };
        this.#state.ackedThrough = Number(saved.ackedThrough ?? -1);
        this.#state.dropped = Number(saved.dropped ?? 0);
        this.#state.nextSequence = Number(saved.nextSequence ?? 1);
      } catch (error) {
        throw new VigilError('invalid_config', `spool state ${this.#stateFile()} is corrupt; move it away to start a new spool`, { cause: error });
      }
    }
    const files = readdirSync(this.#dir).filter((f) => SEGMENT.test(f)).sort();
    for (const file of files) {
      const path = join(this.#dir, file);
      let content = readFileSync(path, 'utf8');
      const complete = content.lastIndexOf('\n') + 1;
      if (complete !== content.length) {
        // A torn last line from a crash mid-write: it was never acknowledged, so cutting it loses nothing acknowledged.
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, Buffer.byteLength(content.slice(0, complete)));
        closeSync(fd);
        content = content.slice(0, complete);
      }
      if (content.length === 0) {
        rmSync(path);
        continue;
      }
      const lines = content.slice(0, -1).split('\n');
      this.#segments.push({ firstSeq: sequenceOf(lines[0]!), lastSeq: sequenceOf(lines[lines.length - 1]!), file: path, bytes: Buffer.byteLength(content) });
    }
    const last = this.#segments[this.#segments.length - 1];
    this.#state.nextSequence = Math.max(this.#state.nextSequence, (last?.lastSeq ?? 0) + 1, this.#state.ackedThrough + 1);
    this.#dropAcked();
    this.#resetReadCursor();
  }

  /** Never reuse sequence numbers the server has already seen (e.g. after the spool folder was lost). */
  raiseSequenceFloor(serverAckedThrough: number): void {
    if (serverAckedThrough + 1 > this.#state.nextSequence) {
      this.#state.nextSequence = serverAckedThrough + 1;
      this.#state.ackedThrough = Math.max(this.#state.ackedThrough, serverAckedThrough);
      this.#saveState();
      this.#resetReadCursor();
    }
  }

  /** Assigns the next sequence number via `serialize(seq)` and appends the line; returns the sequence. */
  append(serialize: (sequence: number) => string): number {
    const sequence = this.#state.nextSequence++;
    const line = serialize(sequence) + '\n';
    const bytes = Buffer.byteLength(line);
    let current = this.#segments[this.#segments.length - 1];
    if (!current || this.#fd === undefined || current.bytes + bytes > this.#segmentBytes) {
      if (this.#fd !== undefined) closeSync(this.#fd);
      current = { firstSeq: sequence, lastSeq: sequence - 1, file: join(this.#dir, segmentName(sequence)), bytes: 0 };
      this.#segments.push(current);
      this.#fd = openSync(current.file, 'a', 0o600);
    }
    writeSync(this.#fd, line);
    current.bytes += bytes;
    current.lastSeq = sequence;
    this.#dirty = true;
    this.#enforceBound();
    return sequence;
  }

  /**
   * Flushes appended events to stable storage (power-loss safety; a process crash loses nothing written) and records
   * the acknowledgements since the last call. The agent calls it once a second.
   */
  sync(): void {
    if (this.#fd !== undefined && this.#dirty) {
      fsyncSync(this.#fd);
      this.#dirty = false;
    }
    if (this.#ackDirty) this.#saveState();
  }

  #enforceBound(): void {
    let total = this.#segments.reduce((sum, s) => sum + s.bytes, 0);
    while (total > this.#maxBytes && this.#segments.length > 1) {
      const oldest = this.#segments.shift()!;
      const unacked = Math.max(0, oldest.lastSeq - Math.max(this.#state.ackedThrough, oldest.firstSeq - 1));
      this.#state.dropped += unacked;
      this.#state.ackedThrough = Math.max(this.#state.ackedThrough, oldest.lastSeq);
      rmSync(oldest.file, { force: true });
      total -= oldest.bytes;
      this.#saveState();
      this.#resetReadCursor();
    }
  }

  #dropAcked(): void {
    while (this.#segments.length > 1 && this.#segments[0]!.lastSeq <= this.#state.ackedThrough) {
      rmSync(this.#segments.shift()!.file, { force: true });
    }
  }

  #resetReadCursor(): void {
    this.#readCursor = { file: '', seq: this.#state.ackedThrough + 1, offset: 0 };
  }

  /** The next unacknowledged events, oldest first, at most `maxEvents` and about `maxBytes`; does not consume them. */
  readBatch(maxEvents: number, maxBytes: number): SpoolBatch | undefined {
    const lines: string[] = [];
    let bytes = 0;
    let firstSeq = -1;
    let want = this.#state.ackedThrough + 1;
    for (const segment of this.#segments) {
      if (lines.length >= maxEvents || bytes >= maxBytes) break;
      if (segment.lastSeq < want) continue;
      const start = this.#readCursor.file === segment.file && this.#readCursor.seq === want ? this.#readCursor.offset : 0;
      const length = Math.min(segment.bytes - start, maxBytes + 1024 * 1024);
      if (length <= 0) continue;
      const buffer = Buffer.alloc(length);
      const fd = openSync(segment.file, 'r');
      let read: number;
      try {
        read = readSync(fd, buffer, 0, length, start);
      } finally {
        closeSync(fd);
      }
      let pos = 0;
      while (lines.length < maxEvents) {
        const newline = buffer.indexOf(10, pos);
        if (newline < 0 || newline >= read) break;
        const line = buffer.toString('utf8', pos, newline);
        const lineBytes = newline + 1 - pos;
        const seq = sequenceOf(line);
        if (seq >= want) {
          if (bytes + lineBytes > maxBytes && lines.length > 0) return { lines, firstSeq, lastSeq: want - 1, bytes };
          if (firstSeq < 0) firstSeq = seq;
          lines.push(line);
          bytes += lineBytes;
          want = seq + 1;
          this.#readCursor = { file: segment.file, seq: want, offset: start + newline + 1 };
        }
        pos = newline + 1;
      }
    }
    return lines.length ? { lines, firstSeq, lastSeq: want - 1, bytes } : undefined;
  }

  /**
   * Marks everything up to `sequence` acknowledged and deletes fully acknowledged segments. On disk at the next
   * `sync` or `close`: an acknowledgement lost to a crash only resends events the server already has, and it counts
   * them as duplicates (the last segment is always kept, so sequences are never reused).
   */
  ack(sequence: number): void {
    if (sequence <= this.#state.ackedThrough) return;
    this.#state.ackedThrough = Math.min(sequence, this.#state.nextSequence - 1);
    this.#ackDirty = true;
    this.#dropAcked();
  }

  /** Moves events up to `sequence` out of the way after the server refused them as invalid. */
  reject(batch: SpoolBatch, reason: string): void {
    appendFileSync(join(this.#dir, 'rejected.ndjson'), JSON.stringify({ time: new Date().toISOString(), reason, first: batch.firstSeq, last: batch.lastSeq }) + '\n' + batch.lines.join('\n') + '\n', { mode: 0o600 });
    this.ack(batch.lastSeq);
  }

  stats(): SpoolStats {
    const pendingBytes = this.#segments.reduce((sum, s) => sum + s.bytes, 0);
    return {
      pending: Math.max(0, this.#state.nextSequence - 1 - this.#state.ackedThrough),
      pendingBytes,
      dropped: this.#state.dropped,
      ackedThrough: this.#state.ackedThrough,
      nextSequence: this.#state.nextSequence,
    };
  }

  close(): void {
    this.sync();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#saveState();
  }
}

/** Spool size from a human string such as 512MiB; throws invalid_config otherwise. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(text.trim());
  if (!match?.[1]) throw new VigilError('invalid_config', `size must look like 512MiB, got ${JSON.stringify(text)}`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 };
  return Math.floor(Number(match[1]) * factor[unit]!);
}

