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
  /**
   * The events as spooled: one JSON object per line, each line ending in a newline, in sequence order. A newline
   * byte occurs only at the end of a line (JSON text escapes it). Valid until the spool's next `readBatch`.
   */
  data: Buffer;
  /** Events in `data`. */
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** `data.length`. */
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

const SEQUENCE_KEY = Buffer.from('"event.sequence":');
/** Smallest read of a segment; a read is sized from the segment's average line so a batch is mostly one read. */
const MIN_READ = 64 * 1024;
/** The read buffer doubles up to this, then grows only by what a read needs. */
const MAX_READ_BUFFER = 8 * 1024 * 1024;

/** The sequence of the spooled line `buffer[start, end)`, read from its bytes. */
function sequenceIn(buffer: Buffer, start: number, end: number): number {
  const key = buffer.indexOf(SEQUENCE_KEY, start);
  let pos = key + SEQUENCE_KEY.length;
  if (key < 0 || pos >= end) throw new VigilError('internal', 'spooled line has no event.sequence');
  let value = 0;
  const first = pos;
  for (let c = buffer[pos]!; c >= 48 && c <= 57 && pos < end; c = buffer[++pos]!) value = value * 10 + (c - 48);
  if (pos === first) throw new VigilError('internal', 'spooled line has no event.sequence');
  return value;
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
  /** Reused by every `readBatch`: grows to the largest batch read, so reading allocates nothing per batch. */
  #readBuffer: Buffer = Buffer.allocUnsafeSlow(0);
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

  /**
   * The next unacknowledged events, oldest first, at most `maxEvents` and `maxBytes` (one event over `maxBytes` comes
   * alone); does not consume them. `data` is a view of the spool's read buffer, reused by the next `readBatch`: the
   * sender keeps no copy of a batch, and reading makes neither per-event objects nor a new buffer per batch.
   */
  readBatch(maxEvents: number, maxBytes: number): SpoolBatch | undefined {
    let count = 0;
    /** Bytes of taken events at the start of the read buffer. */
    let bytes = 0;
    let firstSeq = -1;
    let want = this.#state.ackedThrough + 1;
    let full = false;
    for (const segment of this.#segments) {
      if (full || count >= maxEvents || bytes >= maxBytes) break;
      if (segment.lastSeq < want) continue;
      let offset = this.#readCursor.file === segment.file && this.#readCursor.seq === want ? this.#readCursor.offset : 0;
      const averageLine = segment.bytes / Math.max(1, segment.lastSeq - segment.firstSeq + 1);
      const fd = openSync(segment.file, 'r');
      try {
        while (!full && count < maxEvents && offset < segment.bytes) {
          // Enough for the events still wanted (lines vary, hence the margin), never past the byte budget's next line.
          const estimate = Math.ceil(averageLine * (maxEvents - count) * 1.25) + MIN_READ;
          let size = Math.min(segment.bytes - offset, Math.max(MIN_READ, Math.min(estimate, maxBytes - bytes + 1)));
          let read = readSync(fd, this.#readRoom(bytes, size), bytes, size, offset);
          if (read <= 0) break;
          // A line longer than the read: read it whole (the first event of a batch may exceed the budget).
          while (count === 0 && read === size && offset + size < segment.bytes && this.#readBuffer.lastIndexOf(10, bytes + read - 1) < bytes) {
            size = Math.min(segment.bytes - offset, size * 2);
            read = readSync(fd, this.#readRoom(bytes, size), bytes, size, offset);
          }
          const buffer = this.#readBuffer;
          const chunkEnd = bytes + read;
          let pos = bytes;
          let taken = -1;
          let takenEnd = -1;
          while (count < maxEvents) {
            const newline = buffer.indexOf(10, pos);
            if (newline < 0 || newline >= chunkEnd) break;
            const lineBytes = newline + 1 - pos;
            const seq = sequenceIn(buffer, pos, newline);
            if (seq >= want) {
              if (bytes + (takenEnd < 0 ? 0 : takenEnd - taken) + lineBytes > maxBytes && count > 0) {
                full = true;
                break;
              }
              if (taken < 0) taken = pos;
              takenEnd = newline + 1;
              if (firstSeq < 0) firstSeq = seq;
              count++;
              want = seq + 1;
            }
            pos = newline + 1;
          }
          const consumed = pos - bytes;
          if (taken >= 0) {
            // Acknowledged lines before the first taken one are skipped: taken events stay contiguous from 0.
            if (taken > bytes) buffer.copyWithin(bytes, taken, takenEnd);
            this.#readCursor = { file: segment.file, seq: want, offset: offset + takenEnd - bytes };
            bytes += takenEnd - taken;
          }
          // No whole line fitted: the next one is over what is left of the byte budget.
          if (consumed === 0) full = true;
          offset += consumed;
        }
      } finally {
        closeSync(fd);
      }
    }
    if (count === 0) return undefined;
    return { data: this.#readBuffer.subarray(0, bytes), count, firstSeq, lastSeq: want - 1, bytes };
  }

  /** The read buffer with room for `size` bytes after the first `keep` (kept when it grows). */
  #readRoom(keep: number, size: number): Buffer {
    if (this.#readBuffer.length < keep + size) {
      const grown = Buffer.allocUnsafeSlow(Math.max(keep + size, Math.min(2 * this.#readBuffer.length, MAX_READ_BUFFER)));
      this.#readBuffer.copy(grown, 0, 0, keep);
      this.#readBuffer = grown;
    }
    return this.#readBuffer;
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
    const header = JSON.stringify({ time: new Date().toISOString(), reason, first: batch.firstSeq, last: batch.lastSeq }) + '\n';
    appendFileSync(join(this.#dir, 'rejected.ndjson'), Buffer.concat([Buffer.from(header), batch.data]), { mode: 0o600 });
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

const BATCH_TAIL = Buffer.from(']}');

/**
 * Makes request bodies of spooled batches: `head` (JSON text up to the events array's `[`, without a newline), the
 * events joined by commas, `]}`. Every newline byte of spooled NDJSON ends an event (JSON text escapes newlines inside
 * strings; UTF-8 uses the byte for nothing else), so each becomes a comma. The body is a view of the encoder's own
 * buffer, reused by its next call: encode the next batch only once the previous request is finished.
 */
export function createBatchEncoder(head: Buffer): (batch: SpoolBatch) => Buffer {
  if (head.includes(10)) throw new VigilError('internal', 'a batch head must not contain a newline');
  let buffer = Buffer.allocUnsafeSlow(0);
  return (batch) => {
    const events = batch.data.length - 1;
    const size = head.length + events + BATCH_TAIL.length;
    if (buffer.length < size) buffer = Buffer.allocUnsafeSlow(Math.max(size, Math.min(2 * buffer.length, 16 * 1024 * 1024)));
    head.copy(buffer, 0);
    batch.data.copy(buffer, head.length, 0, events);
    BATCH_TAIL.copy(buffer, head.length + events);
    const end = head.length + events;
    for (let at = buffer.indexOf(10, head.length); at >= 0 && at < end; at = buffer.indexOf(10, at + 1)) buffer[at] = 44;
    return buffer.subarray(0, size);
  };
}

/** Spool size from a human string such as 512MiB; throws invalid_config otherwise. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(text.trim());
  if (!match?.[1]) throw new VigilError('invalid_config', `size must look like 512MiB, got ${JSON.stringify(text)}`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 };
  return Math.floor(Number(match[1]) * factor[unit]!);
}

