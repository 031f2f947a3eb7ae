// Binary XML value types: decoding of sized substitution values and of Value tokens into the text evtxexport prints.
// Never reads outside `[start, end)` and never throws: a value too short for its type renders as the hex of its bytes.

import { hexLittleEndian, hexUpper, u16, u32, utf16Trimmed } from './bytes.js';
import { filetimeString, systemtimeString } from './time.js';

export const VALUE_NULL = 0x00;
export const VALUE_STRING = 0x01;
export const VALUE_ANSI = 0x02;
export const VALUE_BINXML = 0x21;
export const VALUE_ARRAY_FLAG = 0x80;

const ansiDecoder = new TextDecoder('windows-1252');

/** Fixed byte width of the scalar types (0 = variable or unknown). */
const WIDTH: readonly number[] = (() => {
  const w = new Array<number>(256).fill(0);
  w[0x03] = 1; w[0x04] = 1; w[0x05] = 2; w[0x06] = 2; w[0x07] = 4; w[0x08] = 4; w[0x09] = 8; w[0x0a] = 8;
  w[0x0b] = 4; w[0x0c] = 8; w[0x0d] = 4; w[0x0f] = 16; w[0x11] = 8; w[0x12] = 16; w[0x14] = 4; w[0x15] = 8;
  return w;
})();

/** Names of the value types, for messages and documentation. */
export function valueTypeName(type: number): string {
  const base = type & 0x7f;
  const names: Record<number, string> = {
    0x00: 'null', 0x01: 'string', 0x02: 'ansi string', 0x03: 'int8', 0x04: 'uint8', 0x05: 'int16', 0x06: 'uint16', 0x07: 'int32',
    0x08: 'uint32', 0x09: 'int64', 0x0a: 'uint64', 0x0b: 'real32', 0x0c: 'real64', 0x0d: 'bool', 0x0e: 'binary', 0x0f: 'guid',
    0x10: 'size_t', 0x11: 'filetime', 0x12: 'systemtime', 0x13: 'sid', 0x14: 'hexint32', 0x15: 'hexint64', 0x20: 'evt handle',
    0x21: 'binxml', 0x23: 'evt xml',
  };
  const name = names[base] ?? `unknown 0x${base.toString(16).padStart(2, '0')}`;
  return type & VALUE_ARRAY_FLAG ? `${name} array` : name;
}

function int64String(b: Buffer, p: number, signed: boolean): string {
  const hi = u32(b, p + 4);
  if (hi === 0) return u32(b, p).toString();
  return signed ? b.readBigInt64LE(p).toString() : b.readBigUInt64LE(p).toString();
}

function realString(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'INF' : '-INF';
  return String(value);
}

/** GUID at `p` as "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (upper case, like evtxexport). */
export function guidString(b: Buffer, p: number): string {
  return (
    '{' + hexUpper(b, p + 3, p + 4) + hexUpper(b, p + 2, p + 3) + hexUpper(b, p + 1, p + 2) + hexUpper(b, p, p + 1) +
    '-' + hexUpper(b, p + 5, p + 6) + hexUpper(b, p + 4, p + 5) +
    '-' + hexUpper(b, p + 7, p + 8) + hexUpper(b, p + 6, p + 7) +
    '-' + hexUpper(b, p + 8, p + 10) + '-' + hexUpper(b, p + 10, p + 16) + '}'
  );
}

/** Byte length of the SID at `p` (8 + 4 per sub-authority), or 0 when it does not fit before `end`. */
export function sidLength(b: Buffer, p: number, end: number): number {
  if (p + 8 > end) return 0;
  const length = 8 + 4 * b[p + 1]!;
  return p + length <= end ? length : 0;
}

/** SID at `p` as "S-1-5-21-...". The caller has checked its length with sidLength. */
export function sidString(b: Buffer, p: number): string {
  const count = b[p + 1]!;
  const authority = b[p + 2]! * 2 ** 40 + b[p + 3]! * 2 ** 32 + b[p + 4]! * 2 ** 24 + b[p + 5]! * 2 ** 16 + b[p + 6]! * 2 ** 8 + b[p + 7]!;
  let s = `S-${b[p]!}-${authority}`;
  for (let i = 0; i < count; i++) s += '-' + u32(b, p + 8 + 4 * i).toString();
  return s;
}

/** One scalar of a fixed-width type at `p` (the caller has checked that WIDTH bytes fit). */
function fixedScalar(b: Buffer, type: number, p: number): string {
  switch (type) {
    case 0x03: return ((b[p]! << 24) >> 24).toString();
    case 0x04: return b[p]!.toString();
    case 0x05: return ((u16(b, p) << 16) >> 16).toString();
    case 0x06: return u16(b, p).toString();
    case 0x07: return (u32(b, p) | 0).toString();
    case 0x08: return u32(b, p).toString();
    case 0x09: return int64String(b, p, true);
    case 0x0a: return int64String(b, p, false);
    case 0x0b: return realString(b.readFloatLE(p));
    case 0x0c: return realString(b.readDoubleLE(p));
    case 0x0d: return u32(b, p) !== 0 ? 'true' : 'false';
    case 0x0f: return guidString(b, p);
    case 0x11: return filetimeString(b, p);
    case 0x12: return systemtimeString(b, p);
    case 0x14: return hexLittleEndian(b, p, 4);
    case 0x15: return hexLittleEndian(b, p, 8);
    default: return hexUpper(b, p, p + WIDTH[type]!);
  }
}

/**
 * A sized substitution value as text, or as a list of texts for array types; null for the null type.
 * `end - start` is the size from the template instance's value descriptor. BinXml values are not handled here.
 */
export function renderSizedValue(b: Buffer, type: number, start: number, end: number): string | string[] | null {
  const size = end - start;
  switch (type) {
    case VALUE_NULL:
      return null;
    case VALUE_STRING:
      return utf16Trimmed(b, start, end);
    case VALUE_ANSI: {
      let e = end;
      while (e > start && b[e - 1] === 0) e--;
      return ansiDecoder.decode(b.subarray(start, e));
    }
    case 0x0d: // bool: 4 bytes normally, but any non-zero value of any width is true
      for (let p = start; p < end; p++) if (b[p] !== 0) return 'true';
      return 'false';
    case 0x0e: // binary
    case 0x20: // EvtHandle
      return hexUpper(b, start, end);
    case 0x10: // size_t: a pointer-sized unsigned integer, printed in decimal like evtxexport and python-evtx do
      return size === 4 ? u32(b, start).toString() : size === 8 ? int64String(b, start, false) : hexUpper(b, start, end);
    case 0x13: {
      const length = sidLength(b, start, end);
      return length > 0 ? sidString(b, start) : hexUpper(b, start, end);
    }
    case 0x23: // EvtXml: UTF-16 XML text
      return utf16Trimmed(b, start, end);
    default:
      break;
  }
  if (type & VALUE_ARRAY_FLAG) return renderArray(b, type & 0x7f, start, end);
  const width = WIDTH[type]!;
  if (width > 0 && size >= width) return fixedScalar(b, type, start);
  return hexUpper(b, start, end);
}

/** The items of an array value: NUL-separated for strings, consecutive for fixed widths, self-sized for SIDs. */
function renderArray(b: Buffer, base: number, start: number, end: number): string[] {
  const items: string[] = [];
  if (base === VALUE_STRING) {
    let itemStart = start;
    const last = start + ((end - start) & ~1);
    for (let p = start; p < last; p += 2) {
      if (b[p] === 0 && b[p + 1] === 0) {
        items.push(utf16Trimmed(b, itemStart, p));
        itemStart = p + 2;
      }
    }
    if (itemStart < last) items.push(utf16Trimmed(b, itemStart, last));
    return items;
  }
  if (base === VALUE_ANSI) {
    let itemStart = start;
    for (let p = start; p < end; p++) {
      if (b[p] === 0) {
        items.push(ansiDecoder.decode(b.subarray(itemStart, p)));
        itemStart = p + 1;
      }
    }
    if (itemStart < end) items.push(ansiDecoder.decode(b.subarray(itemStart, end)));
    return items;
  }
  if (base === 0x13) {
    let p = start;
    while (p < end) {
      const length = sidLength(b, p, end);
      if (length === 0) break;
      items.push(sidString(b, p));
      p += length;
    }
    return items;
  }
  const width = base === 0x10 ? ((end - start) % 8 === 0 ? 8 : 4) : WIDTH[base]!;
  if (width === 0) return [hexUpper(b, start, end)];
  for (let p = start; p + width <= end; p += width) {
    items.push(base === 0x10 ? (width === 4 ? u32(b, p).toString() : int64String(b, p, false)) : fixedScalar(b, base, p));
  }
  return items;
}

/**
 * A Value token's value at `p` (type byte already read by the caller): its text and where it ends, or undefined when it
 * does not fit before `end`. Strings carry a 16-bit character count; other types have their natural width.
 */
export function readUnsizedValue(b: Buffer, type: number, p: number, end: number): { text: string; end: number } | undefined {
  if (type === VALUE_STRING) {
    if (p + 2 > end) return undefined;
    const stop = p + 2 + 2 * u16(b, p);
    return stop <= end ? { text: utf16Trimmed(b, p + 2, stop), end: stop } : undefined;
  }
  if (type === VALUE_ANSI) {
    if (p + 2 > end) return undefined;
    const stop = p + 2 + u16(b, p);
    const text = renderSizedValue(b, VALUE_ANSI, p + 2, stop);
    return stop <= end && typeof text === 'string' ? { text, end: stop } : undefined;
  }
  if (type === 0x0e) {
    if (p + 4 > end) return undefined;
    const stop = p + 4 + u32(b, p);
    return stop <= end ? { text: hexUpper(b, p + 4, stop), end: stop } : undefined;
  }
  if (type === 0x13) {
    const length = sidLength(b, p, end);
    return length > 0 ? { text: sidString(b, p), end: p + length } : undefined;
  }
  if (type === 0x10) return p + 8 <= end ? { text: int64String(b, p, false), end: p + 8 } : undefined;
  if (type === VALUE_NULL) return { text: '', end: p };
  const width = WIDTH[type] ?? 0;
  if (width === 0 || p + width > end) return undefined;
  return { text: fixedScalar(b, type, p), end: p + width };
}
