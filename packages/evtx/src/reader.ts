// Streams the records of one EVTX file in file order, reading 1 MiB blocks of chunks ahead (constant memory per file).
// Damaged content is reported as problems in the summary and never thrown; only an unreadable file is a VigilError.

import { open, type FileHandle } from 'node:fs/promises';
import { VigilError } from '@vigil/common';
import type { EvtxFileSummary, EvtxProblem, EvtxReadOptions, EvtxRecord } from './types.js';
import { CHUNK_SIZE, parseChunk } from './internal/chunk.js';
import type { Template } from './internal/binxml.js';
import { FILE_HEADER_SIZE, readFileHeader } from './internal/file-header.js';

/** Chunks per read: 1 MiB blocks, two of them (the one being parsed and the one being read). */
const READ_CHUNKS = 16;
const BLOCK_SIZE = READ_CHUNKS * CHUNK_SIZE;

/** Distinct templates remembered per file for damaged chunks (a few hundred in real logs). */
const MAX_FILE_TEMPLATES = 4096;

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
  let pending: Promise<number> | undefined;
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

    // Templates seen so far in the file, by id: a damaged chunk whose template definitions were overwritten can still
    // render its records with the same template (same GUID) from an earlier chunk. Ids seen with two GUIDs are dropped.
    const fileTemplates = new Map<number, Template>();
    const guids = new Map<number, string>();
    const learnTemplates = (found: readonly { id: number; guid: string; template: Template }[]): void => {
      for (const { id, guid, template } of found) {
        const known = guids.get(id);
        if (known === undefined) {
          if (guids.size >= MAX_FILE_TEMPLATES) continue;
          guids.set(id, guid);
          fileTemplates.set(id, template);
        } else if (known !== guid) {
          fileTemplates.delete(id);
        }
      }
    };
    // Chunks are read in blocks of READ_CHUNKS, the next block while the current one is parsed (two fixed buffers).
    const buffers = [Buffer.allocUnsafe(BLOCK_SIZE), Buffer.allocUnsafe(BLOCK_SIZE)] as const;
    const readBlock = (index: number, start: number): Promise<number> => readAt(handle, path, buffers[index % 2]!, Math.min(BLOCK_SIZE, totalBytes - start), start);
    let bytesRead = headerBytes;
    pending = FILE_HEADER_SIZE < totalBytes ? readBlock(0, FILE_HEADER_SIZE) : undefined;
    for (let block = 0, start = FILE_HEADER_SIZE; pending !== undefined; block++, start += BLOCK_SIZE) {
      const filled = await pending;
      pending = filled === BLOCK_SIZE && start + BLOCK_SIZE < totalBytes ? readBlock(block + 1, start + BLOCK_SIZE) : undefined;
      const buffer = buffers[block % 2]!;
      for (let at = 0; at < filled; at += CHUNK_SIZE) {
        if (signal?.aborted) throw abortError(path, signal);
        const offset = start + at;
        const size = Math.min(CHUNK_SIZE, filled - at);
        bytesRead = offset + size;
        const chunkIndex = chunks++;
        const result = parseChunk(buffer.subarray(at, at + size), size, { chunkIndex, fileOffset: offset, noCrc: header.noCrc, templates: fileTemplates });
        learnTemplates(result.templates);
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
    }
    if (chunks === 0 && header.valid) addProblem({ fileOffset: FILE_HEADER_SIZE, message: 'the file holds no chunks' });
  } finally {
    // a consumer that stops early (or an abort) can leave the read-ahead in flight: let it finish before closing
    await pending?.catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
  if (unlisted > 0) problems.push({ fileOffset: 0, message: `${unlisted} further problems not listed` });
  return { records, recovered, problems, chunks, dirty };
}
