// CRC-32 (IEEE 802.3, as zlib computes it) for the EVTX header and chunk checksums.
// Uses zlib.crc32 where Node has it (20.15+) and a table-driven fallback otherwise; never allocates per call.

import * as zlib from 'node:zlib';

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

function crc32Table(data: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it). */
export const crc32: (data: Uint8Array, previous?: number) => number = typeof native === 'function' ? native : crc32Table;

/** The JavaScript implementation, exported so tests can check it against zlib. */
export const crc32Fallback = crc32Table;
