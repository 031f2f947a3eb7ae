// Reads the files of a ZIP archive held in memory (stored and deflated entries, CRC-checked), for rule-pack imports.
// Untrusted input: never throws anything but VigilError, bounds what it inflates, and refuses paths that escape.

import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { VigilError } from './errors.js';

export interface ZipEntry {
  /** Relative path inside the archive, with forward slashes. */
  path: string;
  data: Buffer;
}

export interface ZipLimits {
  maxEntries?: number;
  /** Sum of the uncompressed sizes of the files read. */
  maxTotalBytes?: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function fail(file: string, message: string, offset?: number): never {
  throw new VigilError('invalid_input', `${file}: ${message}`, { location: { file, ...(offset !== undefined ? { path: `byte ${offset}` } : {}) } });
}

/** Every file entry (directories skipped) in archive order; `select` filters by path before inflating. */
export function readZip(archive: Buffer, file: string, options: ZipLimits & { select?: (path: string) => boolean } = {}): ZipEntry[] {
  const maxEntries = options.maxEntries ?? 50_000;
  const maxTotal = options.maxTotalBytes ?? 256 * 1024 * 1024;
  if (archive.length < 22) fail(file, 'too short to be a ZIP archive');
  let eocd = -1;
  for (let i = archive.length - 22; i >= Math.max(0, archive.length - 22 - 65535); i--) {
    if (archive.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(file, 'no end-of-central-directory record: not a ZIP archive or truncated');
  const entryCount = archive.readUInt16LE(eocd + 10);
  const directorySize = archive.readUInt32LE(eocd + 12);
  const directoryOffset = archive.readUInt32LE(eocd + 16);
  if (entryCount === 0xffff || directoryOffset === 0xffffffff) fail(file, 'ZIP64 archives are not supported', eocd);
  if (entryCount > maxEntries) fail(file, `${entryCount} entries; the limit is ${maxEntries}`, eocd);
  if (directoryOffset + directorySize > eocd) fail(file, 'central directory lies outside the archive', eocd);

  const entries: ZipEntry[] = [];
  let total = 0;
  let at = directoryOffset;
  for (let n = 0; n < entryCount; n++) {
    if (at + 46 > eocd || archive.readUInt32LE(at) !== CENTRAL) fail(file, `central directory entry ${n} is damaged`, at);
    const flags = archive.readUInt16LE(at + 8);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localOffset = archive.readUInt32LE(at + 42);
    if (at + 46 + nameLength > eocd) fail(file, `entry ${n} name runs past the central directory`, at);
    const rawName = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
    if (rawName.endsWith('/')) continue;
    const path = rawName.replace(/\\/g, '/');
    if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').some((part) => part === '..')) fail(file, `entry ${JSON.stringify(rawName)} escapes the archive`, at);
    if (options.select && !options.select(path)) continue;
    if (flags & 0x1) fail(file, `entry ${path} is encrypted`, at);
    if (total + size > maxTotal) fail(file, `archive holds more than ${maxTotal} bytes of files`, at);
    if (localOffset + 30 > archive.length || archive.readUInt32LE(localOffset) !== LOCAL) fail(file, `local header of ${path} is damaged`, localOffset);
    const dataStart = localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
    if (dataStart + compressedSize > archive.length) fail(file, `data of ${path} runs past the end of the archive`, localOffset);
    const raw = archive.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch (error) {
        fail(file, `cannot inflate ${path}: ${(error as Error).message}`, dataStart);
      }
    } else fail(file, `entry ${path} uses compression method ${method}; only stored (0) and deflate (8) are supported`, localOffset);
    if (data.length !== size) fail(file, `entry ${path} is ${data.length} bytes, the directory says ${size}`, dataStart);
    if (crc32(data) >>> 0 !== crc) fail(file, `entry ${path} fails its CRC check`, dataStart);
    total += size;
    entries.push({ path, data });
  }
  return entries;
}

/** Builds a ZIP archive (deflated entries); the counterpart of readZip, used by exports and tests. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { path, data } of entries) {
    const name = Buffer.from(path, 'utf8');
    const compressed = deflateRawSync(data);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
