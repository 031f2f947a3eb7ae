// One 64 KiB EVTX chunk: header and checksums, the record walk, and signature carving where the chunk is damaged.
// Never throws for damaged bytes: every failure becomes a problem; every loop advances and carving has a work budget.

import { crc32 } from './crc32.js';
import type { EvtxProblem, EvtxRecord } from '../types.js';
import { allZero, u32 } from './bytes.js';
import { BinXmlError, CHUNK_DATA_START, compiledTemplates, createChunkState, MAX_TOKENS_PER_CHUNK, renderRecord, type ChunkState, type Template } from './binxml.js';
import { filetimeIso } from './time.js';

export const CHUNK_SIZE = 0x10000;
const ZERO_CHUNK = Buffer.alloc(CHUNK_SIZE);
const RECORD_SIGNATURE = 0x00002a2a;
/** Record header (signature, size, identifier, written time) plus the trailing size copy. */
const RECORD_OVERHEAD = 28;
/** Chunk flag: the chunk carries no CRC32 checksums (set by newer Windows versions together with the file flag). */
const CHUNK_FLAG_NO_CRC32 = 0x4;

export interface ChunkResult {
  records: EvtxRecord[];
  problems: EvtxProblem[];
  /** The chunk held only zero bytes (never used). */
  empty: boolean;
  /** Binary XML tokens parsed for this chunk (bounded by MAX_TOKENS_PER_CHUNK). */
  tokens: number;
  /** Templates the chunk defines that compiled without error, by id, for records of damaged chunks later in the file. */
  templates: { id: number; guid: string; template: Template }[];
}

export interface ChunkContext {
  chunkIndex: number;
  /** File offset of the chunk's first byte. */
  fileOffset: number;
  /** The file header says the file has no CRC32 checksums. */
  noCrc: boolean;
  /** Templates of earlier chunks by id, for records whose own chunk lost the definition (such records are recovered). */
  templates?: ReadonlyMap<number, Template>;
}

/** Record frame at `p`: signature, size between 28 bytes and the chunk's end, and the size copy at its end. */
function frameSize(b: Buffer, p: number, size: number): number {
  if (p + 24 > size || u32(b, p) !== RECORD_SIGNATURE) return 0;
  const length = u32(b, p + 4);
  if (length < RECORD_OVERHEAD || p + length > size) return 0;
  return u32(b, p + length - 4) === length ? length : 0;
}

/**
 * A torn record at `p`: signature and a plausible size, but the size copy at its end is zero because the end of the
 * record was never written (a snapshot taken mid-write). Returns its size, or 0.
 */
function tornSize(b: Buffer, p: number, size: number): number {
  if (p + 24 > size || u32(b, p) !== RECORD_SIGNATURE) return 0;
  const length = u32(b, p + 4);
  if (length < RECORD_OVERHEAD || p + length > size) return 0;
  return u32(b, p + length - 4) === 0 ? length : 0;
}

/** Next offset in `[from, size - 4)` holding the record signature `**\0\0`, or -1. */
function findSignature(b: Buffer, from: number, size: number): number {
  let p = from;
  while (p + 4 <= size) {
    const hit = b.indexOf(0x2a, p);
    if (hit < 0 || hit + 4 > size) return -1;
    if (b[hit + 1] === 0x2a && b[hit + 2] === 0 && b[hit + 3] === 0) return hit;
    p = hit + 1;
  }
  return -1;
}

function recordIdAt(b: Buffer, p: number): number {
  return u32(b, p + 8) + u32(b, p + 12) * 0x100000000;
}

interface Walk {
  c: ChunkState;
  ctx: ChunkContext;
  result: ChunkResult;
}

function problem(w: Walk, offset: number, message: string): void {
  w.result.problems.push({ fileOffset: w.ctx.fileOffset + offset, chunkIndex: w.ctx.chunkIndex, message });
}

/** Parses the record whose frame is at `p`; pushes it and returns true, or returns the reason it failed. */
function tryRecord(w: Walk, p: number, length: number, recovered: boolean): true | string {
  const b = w.c.b;
  const writtenAt = filetimeIso(b, p + 16);
  if (writtenAt === undefined) return 'written time out of range';
  const idLow = u32(b, p + 8);
  const idHigh = u32(b, p + 12);
  if (idHigh >= 0x200000) return 'record identifier out of range';
  try {
    w.c.usedFallback = false;
    const event = renderRecord(w.c, p + 24, p + length - 4);
    w.result.records.push({
      recordId: idHigh * 0x100000000 + idLow,
      writtenAt,
      chunkIndex: w.ctx.chunkIndex,
      fileOffset: w.ctx.fileOffset + p,
      recovered: recovered || w.c.usedFallback,
      event,
    });
    return true;
  } catch (error) {
    if (error instanceof BinXmlError) return error.message;
    if (error instanceof RangeError) return `binary XML too large: ${error.message}`;
    throw error;
  }
}

/**
 * Offset of the next record frame (signature, plausible size, matching size copy) in `[from, to)`, or -1.
 * Used to resynchronise after damage; the walk continues from the frame found.
 */
function resync(b: Buffer, from: number, to: number, size: number): number {
  let p = from;
  while (p < to) {
    const hit = findSignature(b, p, size);
    if (hit < 0 || hit >= to) return -1;
    if (frameSize(b, hit, size) > 0) return hit;
    p = hit + 1;
  }
  return -1;
}

/** Parses one chunk read into `b` (`size` valid bytes, normally 64 KiB). */
export function parseChunk(b: Buffer, size: number, ctx: ChunkContext): ChunkResult {
  const result: ChunkResult = { records: [], problems: [], empty: false, tokens: 0, templates: [] };
  const c = createChunkState(b, size, ctx.templates);
  const w: Walk = { c, ctx, result };

  const magicOk = size >= CHUNK_DATA_START && b.toString('latin1', 0, 8) === 'ElfChnk\0';
  if (!magicOk && b.subarray(0, size).equals(ZERO_CHUNK.subarray(0, size))) {
    result.empty = true;
    return result;
  }
  if (size < CHUNK_SIZE) problem(w, 0, `chunk truncated: ${size} of ${CHUNK_SIZE} bytes present`);

  let headerOk = magicOk;
  let freeSpace = size;
  if (!magicOk) {
    problem(w, 0, 'bad chunk signature: records are carved from the whole chunk');
  } else {
    const flags = u32(b, 120);
    const noCrc = ctx.noCrc || (flags & CHUNK_FLAG_NO_CRC32) !== 0;
    const headerCrc = u32(b, 124);
    if (!noCrc || headerCrc !== 0) {
      const computed = crc32(b.subarray(128, CHUNK_DATA_START), crc32(b.subarray(0, 120)));
      if (computed !== headerCrc) {
        headerOk = false;
        problem(w, 124, `chunk header checksum mismatch (stored 0x${headerCrc.toString(16)}, computed 0x${computed.toString(16)}): records are carved from the whole chunk`);
      }
    }
    const declaredFree = u32(b, 48);
    if (headerOk && (declaredFree < CHUNK_DATA_START || declaredFree > size)) {
      headerOk = false;
      problem(w, 48, `chunk free-space offset ${declaredFree} is outside the chunk: records are carved from the whole chunk`);
    }
    if (headerOk) {
      freeSpace = declaredFree;
      const dataCrc = u32(b, 52);
      if (!noCrc || dataCrc !== 0) {
        const computed = crc32(b.subarray(CHUNK_DATA_START, freeSpace));
        if (computed !== dataCrc) problem(w, 52, `event records checksum mismatch (stored 0x${dataCrc.toString(16)}, computed 0x${computed.toString(16)}): each record is validated on its own`);
      }
    }
  }

  // Walk the records from the first one; where a frame or its XML is damaged, resynchronise by signature scan and
  // mark the record found that way as recovered. Records of a chunk whose header is unusable are all recovered.
  const end = headerOk ? freeSpace : size;
  let p = CHUNK_DATA_START;
  let carved = !headerOk;
  while (p + 24 <= end) {
    const length = frameSize(b, p, size);
    if (length > 0) {
      const outcome = tryRecord(w, p, length, carved);
      if (outcome === true) {
        p += length;
        carved = !headerOk;
        continue;
      }
      problem(w, p, `record ${recordIdAt(b, p)} at chunk offset ${p}: ${outcome}`);
    } else if (tornSize(b, p, size) > 0) {
      const torn = tornSize(b, p, size);
      const outcome = tryRecord(w, p, torn, true);
      problem(w, p, outcome === true
        ? `record ${recordIdAt(b, p)} at chunk offset ${p}: torn (its end was never written), rendered from the bytes present`
        : `record ${recordIdAt(b, p)} at chunk offset ${p}: torn (its end was never written): ${outcome}`);
      if (outcome === true) {
        p += torn;
        continue;
      }
    } else if (!headerOk && allZero(b, p, p + 24)) {
      // an unused tail, or a hole, in a chunk whose header cannot say where the records end: not a problem in itself
    } else {
      problem(w, p, u32(b, p) === RECORD_SIGNATURE && p + 16 <= size
        ? `record ${recordIdAt(b, p)} at chunk offset ${p}: damaged frame (size ${u32(b, p + 4)} without a matching size copy)`
        : `no record at chunk offset ${p}`);
    }
    if (c.tokenBudget <= 0) {
      problem(w, p, 'stopped: the chunk used up its parsing budget');
      break;
    }
    const next = resync(b, p + 1, end, size);
    if (next < 0) break;
    p = next;
    carved = true;
  }
  // A chunk header that lags behind its records (a dirty file, a copy taken while the log was written): records right
  // after the free-space offset that continue the identifier sequence are read too, as recovered. Stale records of an
  // earlier use of the chunk never continue the sequence, so they stay out.
  if (headerOk && result.records.length > 0) {
    const start = Math.max(p, end);
    let expected = result.records[result.records.length - 1]!.recordId + 1;
    let q = start;
    let extra = 0;
    for (let length = frameSize(b, q, size); length > 0 && recordIdAt(b, q) === expected; length = frameSize(b, q, size)) {
      if (tryRecord(w, q, length, true) !== true) break;
      q += length;
      expected++;
      extra++;
    }
    if (extra > 0) problem(w, start, `${extra} records after the chunk's free-space offset ${end} continue the identifier sequence: read as recovered`);
  }
  result.tokens = MAX_TOKENS_PER_CHUNK - Math.max(0, c.tokenBudget);
  result.templates = compiledTemplates(c);
  return result;
}
