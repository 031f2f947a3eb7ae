// The EVTX file header (first 4 KiB): signature, versions, chunk count, flags and its CRC32.
// Never rejects a file: anything unexpected becomes a problem message and the chunks are read anyway.

import { crc32 } from './crc32.js';
import { u16, u32 } from './bytes.js';

export const FILE_HEADER_SIZE = 0x1000;
const FLAG_DIRTY = 0x1;
const FLAG_FULL = 0x2;
const FLAG_NO_CRC32 = 0x4;

export interface FileHeader {
  /** The first 8 bytes are "ElfFile\0". */
  valid: boolean;
  chunkCount: number;
  dirty: boolean;
  full: boolean;
  noCrc: boolean;
  nextRecordId: number;
  /** Problems with the header, as messages with the header offset they concern. */
  problems: { offset: number; message: string }[];
}

/** Reads the header from the first `size` bytes of the file (up to 4 KiB). */
export function readFileHeader(b: Buffer, size: number): FileHeader {
  const header: FileHeader = { valid: false, chunkCount: 0, dirty: false, full: false, noCrc: false, nextRecordId: 0, problems: [] };
  if (size < 128 || b.toString('latin1', 0, 8) !== 'ElfFile\0') {
    header.problems.push({ offset: 0, message: size < 8 ? 'file too short for an EVTX header' : 'no EVTX file signature ("ElfFile"): chunks are searched anyway' });
    return header;
  }
  header.valid = true;
  const headerSize = u32(b, 32);
  const minor = u16(b, 36);
  const major = u16(b, 38);
  const blockSize = u16(b, 40);
  const flags = u32(b, 120);
  header.chunkCount = u16(b, 42);
  header.nextRecordId = u32(b, 24) + u32(b, 28) * 0x100000000;
  header.dirty = (flags & FLAG_DIRTY) !== 0;
  header.full = (flags & FLAG_FULL) !== 0;
  header.noCrc = (flags & FLAG_NO_CRC32) !== 0;
  if (headerSize !== 128) header.problems.push({ offset: 32, message: `unexpected header size ${headerSize}` });
  if (major !== 3 || (minor !== 1 && minor !== 2)) header.problems.push({ offset: 36, message: `unexpected format version ${major}.${minor}` });
  if (blockSize !== FILE_HEADER_SIZE) header.problems.push({ offset: 40, message: `unexpected header block size ${blockSize}` });
  if ((flags & ~(FLAG_DIRTY | FLAG_FULL | FLAG_NO_CRC32)) !== 0) header.problems.push({ offset: 120, message: `unknown file flags 0x${flags.toString(16)}` });
  const stored = u32(b, 124);
  if (!header.noCrc || stored !== 0) {
    const computed = crc32(b.subarray(0, 120));
    if (computed !== stored) header.problems.push({ offset: 124, message: `file header checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})` });
  }
  return header;
}
