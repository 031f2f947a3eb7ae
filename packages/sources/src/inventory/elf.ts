// ELF header parser for the executables inventory: class, machine, type, interpreter (PT_INTERP), needed libraries
// (DT_NEEDED through DT_STRTAB) and whether a symbol table exists. Reads only what it needs through positional reads;
// never trusts an offset or count from the file: every read is bounded, so hostile files cannot make it loop or allocate.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { VigilError } from '@vigil/common';

/** Positional reads from a file or a buffer; `read` may return fewer bytes than asked at the end. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export interface ElfInfo {
  class: 'ELF32' | 'ELF64';
  endianness: 'little' | 'big';
  /** executable (ET_EXEC, or ET_DYN that is a PIE), shared (library), relocatable, core, or unknown. */
  type: 'executable' | 'shared' | 'relocatable' | 'core' | 'unknown';
  /** Machine name (x86_64, aarch64, i386, ...) or `machine-<n>`. */
  machine: string;
  interpreter?: string;
  /** DT_NEEDED entries in file order. */
  needed: string[];
  /** No SHT_SYMTAB section (or no section headers at all). */
  stripped: boolean;
}

/** Bounds on what is read from one file; files beyond them are refused as malformed. */
const LIMITS = { headerTable: 1 << 20, dynamic: 1 << 20, string: 4096, needed: 1024 } as const;

const MACHINES: Record<number, string> = {
  2: 'sparc', 3: 'i386', 8: 'mips', 20: 'powerpc', 21: 'powerpc64', 22: 's390x', 40: 'arm', 43: 'sparcv9', 50: 'ia64',
  62: 'x86_64', 183: 'aarch64', 243: 'riscv', 258: 'loongarch',
};

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const SHT_SYMTAB = 2;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_1_PIE = 0x08000000;

export function bufferSource(buffer: Buffer): ByteSource {
  return { size: buffer.length, read: (offset, length) => buffer.subarray(Math.max(0, offset), Math.max(0, Math.min(buffer.length, offset + length))) };
}

/** A ByteSource over an open file descriptor (the caller closes it). */
export function fdSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      if (offset < 0 || offset >= size || length <= 0) return Buffer.alloc(0);
      const buffer = Buffer.allocUnsafe(Math.min(length, size - offset));
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.subarray(0, n);
    },
  };
}

function malformed(message: string): VigilError {
  return new VigilError('invalid_input', `malformed ELF file: ${message}`);
}

/** Whether the first bytes are the ELF magic. */
export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/**
 * Parses the ELF headers of `source`. Returns undefined when it is not an ELF file; throws VigilError
 * (`invalid_input`) when it is one but its headers point outside the file or beyond the limits.
 */
export function parseElf(source: ByteSource): ElfInfo | undefined {
  const ident = source.read(0, 64);
  if (!isElf(ident)) return undefined;
  const cls = ident[4];
  const data = ident[5];
  if (cls !== 1 && cls !== 2) throw malformed(`unknown class ${String(cls)}`);
  if (data !== 1 && data !== 2) throw malformed(`unknown data encoding ${String(data)}`);
  const is64 = cls === 2;
  const le = data === 1;
  const headerSize = is64 ? 64 : 52;
  if (ident.length < headerSize) throw malformed('file shorter than its header');
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => {
    const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const word = (b: Buffer, o: number) => (is64 ? u64(b, o) : u32(b, o));
  const sword = (b: Buffer, o: number) => (is64 ? (le ? b.readBigInt64LE(o) : b.readBigInt64BE(o)) : BigInt(le ? b.readInt32LE(o) : b.readInt32BE(o)));

  const eType = u16(ident, 16);
  const machineNumber = u16(ident, 18);
  const phoff = is64 ? u64(ident, 0x20) : u32(ident, 0x1c);
  const shoff = is64 ? u64(ident, 0x28) : u32(ident, 0x20);
  const phentsize = u16(ident, is64 ? 0x36 : 0x2a);
  const phnum = u16(ident, is64 ? 0x38 : 0x2c);
  const shentsize = u16(ident, is64 ? 0x3a : 0x2e);
  let shnum = u16(ident, is64 ? 0x3c : 0x30);

  const table = (offset: number, entsize: number, count: number, minEntry: number, what: string): Buffer => {
    if (count === 0) return Buffer.alloc(0);
    if (entsize < minEntry) throw malformed(`${what} entry size ${entsize} is below ${minEntry}`);
    const bytes = entsize * count;
    if (bytes > LIMITS.headerTable) throw malformed(`${what} table of ${bytes} bytes`);
    if (offset + bytes > source.size) throw malformed(`${what} table ends beyond the file`);
    const buffer = source.read(offset, bytes);
    if (buffer.length < bytes) throw malformed(`${what} table is truncated`);
    return buffer;
  };

  interface Segment { type: number; offset: number; vaddr: number; filesz: number }
  const phdrs = table(phoff, phentsize, phnum, is64 ? 56 : 32, 'program header');
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    segments.push(
      is64
        ? { type: u32(phdrs, o), offset: u64(phdrs, o + 8), vaddr: u64(phdrs, o + 16), filesz: u64(phdrs, o + 32) }
        : { type: u32(phdrs, o), offset: u32(phdrs, o + 4), vaddr: u32(phdrs, o + 8), filesz: u32(phdrs, o + 16) },
    );
  }

  const cString = (offset: number, max: number, what: string): string => {
    if (offset < 0 || offset >= source.size) throw malformed(`${what} string offset ${offset} is outside the file`);
    const bytes = source.read(offset, Math.min(max, LIMITS.string));
    const end = bytes.indexOf(0);
    if (end < 0) throw malformed(`${what} string is not terminated within ${Math.min(max, LIMITS.string)} bytes`);
    return bytes.subarray(0, end).toString('utf8');
  };

  let interpreter: string | undefined;
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) interpreter = cString(interp.offset, interp.filesz, 'PT_INTERP');

  const needed: string[] = [];
  let pie = false;
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (dynamic && dynamic.filesz > 0) {
    if (dynamic.filesz > LIMITS.dynamic) throw malformed(`dynamic segment of ${dynamic.filesz} bytes`);
    if (dynamic.offset + dynamic.filesz > source.size) throw malformed('dynamic segment ends beyond the file');
    const dyn = source.read(dynamic.offset, dynamic.filesz);
    const entry = is64 ? 16 : 8;
    const neededOffsets: number[] = [];
    let strtab: number | undefined;
    let strsz: number | undefined;
    for (let o = 0; o + entry <= dyn.length; o += entry) {
      const tag = sword(dyn, o);
      const value = word(dyn, o + entry / 2);
      if (tag === BigInt(DT_NULL)) break;
      if (tag === BigInt(DT_NEEDED)) {
        if (neededOffsets.length >= LIMITS.needed) throw malformed(`more than ${LIMITS.needed} DT_NEEDED entries`);
        neededOffsets.push(value);
      } else if (tag === BigInt(DT_STRTAB)) strtab = value;
      else if (tag === BigInt(DT_STRSZ)) strsz = value;
      else if (tag === BigInt(DT_FLAGS_1)) pie = (value & DF_1_PIE) !== 0;
    }
    if (neededOffsets.length) {
      if (strtab === undefined) throw malformed('DT_NEEDED without DT_STRTAB');
      // DT_STRTAB is a virtual address: find the loaded segment holding it to get a file offset.
      const load = segments.find((s) => s.type === PT_LOAD && strtab! >= s.vaddr && strtab! < s.vaddr + s.filesz);
      if (!load) throw malformed('DT_STRTAB is not inside a loaded segment');
      const base = strtab - load.vaddr + load.offset;
      for (const offset of neededOffsets) {
        if (strsz !== undefined && offset >= strsz) throw malformed(`DT_NEEDED offset ${offset} beyond DT_STRSZ ${strsz}`);
        needed.push(cString(base + offset, strsz !== undefined ? strsz - offset : LIMITS.string, 'DT_NEEDED'));
      }
    }
  }

  let stripped = true;
  if (shoff > 0 && shentsize > 0) {
    // Extended numbering: with more than 0xff00 sections e_shnum is 0 and section 0's sh_size holds the count.
    if (shnum === 0) {
      const first = table(shoff, shentsize, 1, is64 ? 64 : 40, 'section header');
      shnum = is64 ? u64(first, 0x20) : u32(first, 0x14);
    }
    const shdrs = table(shoff, shentsize, shnum, is64 ? 64 : 40, 'section header');
    for (let i = 0; i < shnum; i++) {
      if (u32(shdrs, i * shentsize + 4) === SHT_SYMTAB) {
        stripped = false;
        break;
      }
    }
  }

  const type: ElfInfo['type'] =
    eType === 1 ? 'relocatable' : eType === 2 ? 'executable' : eType === 3 ? (interpreter !== undefined || pie ? 'executable' : 'shared') : eType === 4 ? 'core' : 'unknown';
  return {
    class: is64 ? 'ELF64' : 'ELF32',
    endianness: le ? 'little' : 'big',
    type,
    machine: MACHINES[machineNumber] ?? `machine-${machineNumber}`,
    ...(interpreter !== undefined ? { interpreter } : {}),
    needed,
    stripped,
  };
}

/** Parses the ELF file at `path`; undefined when it is not ELF. Throws VigilError on malformed headers or I/O errors. */
export function parseElfFile(path: string): ElfInfo | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw VigilError.wrap(error, 'system', `cannot open ${path}`);
  }
  try {
    return parseElf(fdSource(fd, fstatSync(fd).size));
  } finally {
    closeSync(fd);
  }
}
