// Little-endian reads and text decoding on Buffers, written for the parser's hot loops (no closures, no allocation).
// Callers check bounds before calling; these functions never check them.

/** Unsigned 16-bit little-endian integer at `p`. */
export function u16(b: Buffer, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

/** Unsigned 32-bit little-endian integer at `p`. */
export function u32(b: Buffer, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

/** UTF-16LE text of `[start, end)`; `end - start` must be even. Short strings avoid the native call. */
export function utf16(b: Buffer, start: number, end: number): string {
  const n = (end - start) >> 1;
  if (n <= 8) {
    let s = '';
    for (let p = start; p < end; p += 2) s += String.fromCharCode(b[p]! | (b[p + 1]! << 8));
    return s;
  }
  return b.toString('utf16le', start, end);
}

/** UTF-16LE text of `[start, end)` without trailing NUL characters (the terminators EVTX stores in sized values). */
export function utf16Trimmed(b: Buffer, start: number, end: number): string {
  end = start + ((end - start) & ~1);
  while (end > start && b[end - 1] === 0 && b[end - 2] === 0) end -= 2;
  return utf16(b, start, end);
}

const HEX_UPPER: string[] = [];
const HEX_LOWER: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX_UPPER.push(i.toString(16).toUpperCase().padStart(2, '0'));
  HEX_LOWER.push(i.toString(16).padStart(2, '0'));
}

/** Upper-case hex of `[start, end)` without separators (how EVTX binary values are rendered). */
export function hexUpper(b: Buffer, start: number, end: number): string {
  if (end - start > 64) return b.toString('hex', start, end).toUpperCase();
  let s = '';
  for (let p = start; p < end; p++) s += HEX_UPPER[b[p]!]!;
  return s;
}

/**
 * `0x` and the lower-case hex of a little-endian unsigned integer of `width` bytes without leading zeros ("0x3e7",
 * "0x0"): how Windows renders HexInt32/HexInt64 values, and what Sigma rules compare against (`LogonId: '0x3e7'`).
 */
export function hexLittleEndian(b: Buffer, p: number, width: number): string {
  let i = width - 1;
  while (i > 0 && b[p + i] === 0) i--;
  let s = '0x' + b[p + i]!.toString(16);
  for (i--; i >= 0; i--) s += HEX_LOWER[b[p + i]!]!;
  return s;
}

/** Whether every byte of `[start, end)` is zero. */
export function allZero(b: Buffer, start: number, end: number): boolean {
  for (let p = start; p < end; p++) if (b[p] !== 0) return false;
  return true;
}
