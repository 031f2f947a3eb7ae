// Streams the records of one EVTX file in file order, reading one 64 KiB chunk at a time (constant memory per file).
// Damaged content is reported as problems in the summary and never thrown; only an unreadable file is a VigilError.

import { open, type FileHandle } from 'node:fs/promises';
import { VigilError } from '@vigil/common';
import type { EvtxFileSummary, EvtxProblem, EvtxReadOptions, EvtxRecord } from './types.js';
import { CHUNK_SIZE, parseChunk } from './internal/chunk.js';
import { FILE_HEADER_SIZE, readFileHeader } from './internal/file-header.js';

/** Problems kept per file; further ones are counted in one closing problem so memory stays bounded. */
export const MAX_PROBLEMS_PER_FILE = 1000;

function fileError(path: string, error: unknown, action: string): VigilError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  const kind = code === 'ENOENT' ? 'not_found' : code === 'EISDIR' ? 'invalid_input' : 'system';
  return new VigilError(kind, `cannot ${action} ${path}: ${reason}`, { cause: error, location: { file: path } });
}

async function readAt(handle: FileHandle, path: string, buffer: Buffer, length: number, position: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, filled, length - filled, position + filled));
    } catch (error) {
      throw fileError(path, error, 'read');
    }
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

function abortError(path: string, signal: AbortSignal): VigilError {
  return new VigilError('unavailable', `reading ${path} was aborted`, { cause: signal.reason, location: { file: path } });
}

/**
 * Streams the records of one file in file order with constant memory per file; problems are reported, never thrown
 * (except an unreadable file, or an abort through `options.signal`, which throw a VigilError). The generator's return
 * value is the file's summary.
 */
export async function* readEvtxFile(path: string, options: EvtxReadOptions = {}): AsyncGenerator<EvtxRecord, EvtxFileSummary> {
  const { signal, onProgress } = options;
  if (signal?.aborted) throw abortError(path, signal);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(path, error, 'open');
  }
  const problems: EvtxProblem[] = [];
  let unlisted = 0;
  const addProblem = (p: EvtxProblem): void => {
    if (problems.length < MAX_PROBLEMS_PER_FILE) problems.push(p);
    else unlisted++;
  };
  let records = 0;
  let recovered = 0;
  let chunks = 0;
  let dirty = false;
  try {
    let totalBytes: number;
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new VigilError('invalid_input', `${path} is not a regular file`, { location: { file: path } });
      totalBytes = stat.size;
    } catch (error) {
      throw error instanceof VigilError ? error : fileError(path, error, 'stat');
    }
    const headerBuffer = Buffer.alloc(FILE_HEADER_SIZE);
    const headerBytes = await readAt(handle, path, headerBuffer, Math.min(FILE_HEADER_SIZE, totalBytes), 0);
    const header = readFileHeader(headerBuffer, headerBytes);
    dirty = header.dirty;
    for (const p of header.problems) addProblem({ fileOffset: p.offset, message: p.message });

    const chunk = Buffer.alloc(CHUNK_SIZE);
    let bytesRead = headerBytes;
    for (let offset = FILE_HEADER_SIZE; offset < totalBytes; offset += CHUNK_SIZE) {
      if (signal?.aborted) throw abortError(path, signal);
      const size = await readAt(handle, path, chunk, Math.min(CHUNK_SIZE, totalBytes - offset), offset);
      if (size === 0) break;
      bytesRead = offset + size;
      const chunkIndex = chunks++;
      const result = parseChunk(chunk, size, { chunkIndex, fileOffset: offset, noCrc: header.noCrc });
      if (header.valid && chunkIndex === header.chunkCount && result.records.length > 0) {
        addProblem({ fileOffset: offset, chunkIndex, message: `the header declares ${header.chunkCount} chunks; chunks from here on are read as well` });
      }
      for (const p of result.problems) addProblem(p);
      for (const record of result.records) {
        if (signal?.aborted) throw abortError(path, signal);
        records++;
        if (record.recovered) recovered++;
        yield record;
      }
      onProgress?.({ bytesRead, totalBytes, records, recovered, errors: problems.length + unlisted });
    }
    if (chunks === 0 && header.valid) addProblem({ fileOffset: FILE_HEADER_SIZE, message: 'the file holds no chunks' });
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (unlisted > 0) problems.push({ fileOffset: 0, message: `${unlisted} further problems not listed` });
  return { records, recovered, problems, chunks, dirty };
}
