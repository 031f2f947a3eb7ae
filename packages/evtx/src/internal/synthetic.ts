// Builds small, valid EVTX files byte by byte (file header, chunks, templates, records) for tests and fuzzing.
// Test-only: never used by the reader. Checksums are computed, so reference tools accept what it writes.

import { crc32 } from './crc32.js';

/** A value of a template instance: its type byte and its bytes. */
export interface SyntheticValue {
  type: number;
  bytes: Buffer;
}

/** Writes binary XML at a known chunk offset, sharing the chunk's name table (names are written inline on first use). */
export class BinXmlWriter {
  readonly out: number[] = [];

  constructor(
    readonly base: number,
    readonly names: Map<string, number>,
    readonly depId: boolean,
  ) {}

  get offset(): number {
    return this.base + this.out.length;
  }

  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }

  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 0x10000));
  }

  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!);
    return this;
  }

  utf16(text: string): this {
    for (let i = 0; i < text.length; i++) this.u16(text.charCodeAt(i));
    return this;
  }

  patch32(at: number, v: number): void {
    const i = at - this.base;
    this.out[i] = v & 0xff;
    this.out[i + 1] = (v >> 8) & 0xff;
    this.out[i + 2] = (v >> 16) & 0xff;
    this.out[i + 3] = (v >>> 24) & 0xff;
  }

  name(name: string): this {
    const known = this.names.get(name);
    if (known !== undefined) return this.u32(known);
    const at = this.offset + 4;
    this.names.set(name, at);
    let hash = 0;
    for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 65599) + name.charCodeAt(i)) >>> 0;
    return this.u32(at).u32(0).u16(hash & 0xffff).u16(name.length).utf16(name).u16(0);
  }

  fragmentHeader(): this {
    return this.bytes([0x0f, 0x01, 0x01, 0x00]);
  }

  /** Writes an element: `attributes` and `content` write their own tokens. */
  element(name: string, attributes: ((w: this) => void)[], content?: (w: this) => void): this {
    this.u8(attributes.length > 0 ? 0x41 : 0x01);
    if (this.depId) this.u16(0xffff);
    const sizeAt = this.offset;
    this.u32(0).name(name);
    let listAt = -1;
    if (attributes.length > 0) {
      listAt = this.offset;
      this.u32(0);
    }
    attributes.forEach((write, i) => {
      this.u8(i < attributes.length - 1 ? 0x46 : 0x06);
      write(this);
    });
    if (listAt >= 0) this.patch32(listAt, this.offset - listAt - 4);
    if (content) {
      this.u8(0x02);
      content(this);
      this.u8(0x04);
    } else {
      this.u8(0x03);
    }
    this.patch32(sizeAt, this.offset - sizeAt - 4);
    return this;
  }

  /** An attribute's name; follow with a value or substitution token. */
  attributeName(name: string): this {
    return this.name(name);
  }

  text(value: string): this {
    return this.u8(0x05).u8(0x01).u16(value.length).utf16(value);
  }

  substitution(index: number, type: number, optional = false): this {
    return this.u8(optional ? 0x0e : 0x0d).u16(index).u8(type);
  }

  cdata(value: string): this {
    return this.u8(0x07).u16(value.length).utf16(value);
  }

  charRef(code: number): this {
    return this.u8(0x08).u16(code);
  }

  entityRef(name: string): this {
    return this.u8(0x09).name(name);
  }

  processingInstruction(target: string, data: string): this {
    this.u8(0x0a).name(target);
    return this.u8(0x0b).u16(data.length).utf16(data);
  }

  /** A template instance whose definition is written inline (first use in the chunk) or referenced at `existing`. */
  templateInstance(id: number, body: (w: BinXmlWriter) => void, values: SyntheticValue[], existing?: number): number {
    this.u8(0x0c).u8(0x01).u32(id);
    let definition: number;
    if (existing !== undefined) {
      definition = existing;
      this.u32(existing);
    } else {
      definition = this.offset + 4;
      this.u32(definition);
      this.u32(0).u32(id).u32(0x11111111).u32(0x22222222).u32(0x33333333);
      const sizeAt = this.offset;
      this.u32(0);
      const inner = new BinXmlWriter(this.offset, this.names, true);
      inner.fragmentHeader();
      body(inner);
      inner.u8(0x00);
      this.bytes(inner.out);
      this.patch32(sizeAt, inner.out.length);
    }
    this.u32(values.length);
    for (const v of values) this.u16(v.bytes.length).u8(v.type).u8(0);
    for (const v of values) this.bytes(v.bytes);
    return definition;
  }
}

export interface SyntheticRecord {
  id: number;
  /** FILETIME of the record header. */
  written: bigint;
  /** Writes the record's binary XML (after the fragment header) at the writer's position. */
  write(w: BinXmlWriter): void;
}

const FILETIME_2024 = 133485408000000000n; // 2024-01-01T00:00:00Z

/** One 64 KiB chunk holding the given records, with header, tables and both checksums. */
export function buildChunk(records: SyntheticRecord[]): Buffer {
  const chunk = Buffer.alloc(0x10000);
  const names = new Map<string, number>();
  let p = 512;
  let lastOffset = 512;
  for (const record of records) {
    const w = new BinXmlWriter(p + 24, names, false);
    w.fragmentHeader();
    record.write(w);
    w.u8(0x00);
    const size = 24 + w.out.length + 4;
    if (p + size > chunk.length) throw new Error('synthetic records do not fit in one chunk');
    chunk.write('**\0\0', p, 'latin1');
    chunk.writeUInt32LE(size, p + 4);
    chunk.writeBigUInt64LE(BigInt(record.id), p + 8);
    chunk.writeBigUInt64LE(record.written, p + 16);
    Buffer.from(w.out).copy(chunk, p + 24);
    chunk.writeUInt32LE(size, p + size - 4);
    lastOffset = p;
    p += size;
  }
  chunk.write('ElfChnk\0', 0, 'latin1');
  const first = BigInt(records[0]?.id ?? 1);
  const last = BigInt(records[records.length - 1]?.id ?? 1);
  chunk.writeBigUInt64LE(first, 8);
  chunk.writeBigUInt64LE(last, 16);
  chunk.writeBigUInt64LE(first, 24);
  chunk.writeBigUInt64LE(last, 32);
  chunk.writeUInt32LE(128, 40);
  chunk.writeUInt32LE(lastOffset, 44);
  chunk.writeUInt32LE(p, 48);
  chunk.writeUInt32LE(crc32(chunk.subarray(512, p)), 52);
  chunk.writeUInt32LE(crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), 124);
  return chunk;
}

/** A complete file: header (version 3.1, clean) followed by the chunks. */
export function buildFile(chunks: Buffer[], options: { dirty?: boolean; declaredChunks?: number; nextRecordId?: number } = {}): Buffer {
  const header = Buffer.alloc(0x1000);
  header.write('ElfFile\0', 0, 'latin1');
  header.writeBigUInt64LE(0n, 8);
  header.writeBigUInt64LE(BigInt(Math.max(0, chunks.length - 1)), 16);
  header.writeBigUInt64LE(BigInt(options.nextRecordId ?? 1), 24);
  header.writeUInt32LE(128, 32);
  header.writeUInt16LE(1, 36);
  header.writeUInt16LE(3, 38);
  header.writeUInt16LE(0x1000, 40);
  header.writeUInt16LE(options.declaredChunks ?? chunks.length, 42);
  header.writeUInt32LE(options.dirty ? 1 : 0, 120);
  header.writeUInt32LE(crc32(header.subarray(0, 120)), 124);
  return Buffer.concat([header, ...chunks]);
}

export { FILETIME_2024 };
