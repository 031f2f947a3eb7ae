// FILETIME and SYSTEMTIME rendering in the forms Windows and evtxexport use (ISO 8601 UTC, 100 ns precision).
// Exact for every 64-bit FILETIME (no floating-point rounding); never throws, whatever the bytes.

import { u16, u32 } from './bytes.js';

const SECONDS_1601_TO_1970 = 11644473600;
const TWO_POW_32_DIV_1E7 = 429; // 2^32 = 429 * 1e7 + 4967296
const TWO_POW_32_MOD_1E7 = 4967296;
const MAX_DATE_MS = 8.64e15;

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** "YYYY-MM-DDTHH:MM:SS" (or the extended-year form) of whole seconds since 1970; the previous answer is cached. */
function secondPrefix(unixSeconds: number): string {
  if (unixSeconds === cachedSecond) return cachedPrefix;
  const ms = unixSeconds * 1000;
  const iso = Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : '+275760-09-13T00:00:00.000Z';
  cachedSecond = unixSeconds;
  cachedPrefix = iso.slice(0, iso.length - 5);
  return cachedPrefix;
}

/** Seconds since 1601 and the 100 ns remainder of a FILETIME given as two unsigned 32-bit halves. */
function splitFiletime(lo: number, hi: number): { seconds: number; ticks: number } {
  if (hi < 0x40000000) {
    const low = hi * TWO_POW_32_MOD_1E7 + lo; // < 2^53: exact
    return { seconds: hi * TWO_POW_32_DIV_1E7 + Math.floor(low / 1e7), ticks: low % 1e7 };
  }
  const big = (BigInt(hi) << 32n) | BigInt(lo);
  return { seconds: Number(big / 10000000n), ticks: Number(big % 10000000n) };
}

/** The 9-digit fraction evtxexport and Event Viewer print: the 7 digits of 100 ns ticks and "00". */
function fraction(ticks: number): string {
  return (ticks + 10000000).toString().slice(1) + '00';
}

/** FILETIME at `p` as "2021-03-31T23:51:45.018767400Z". */
export function filetimeString(b: Buffer, p: number): string {
  const { seconds, ticks } = splitFiletime(u32(b, p), u32(b, p + 4));
  return `${secondPrefix(seconds - SECONDS_1601_TO_1970)}.${fraction(ticks)}Z`;
}

/** FILETIME at `p` as a JavaScript ISO string with milliseconds ("2021-03-31T23:51:45.018Z"), or undefined when out of range. */
export function filetimeIso(b: Buffer, p: number): string | undefined {
  const { seconds, ticks } = splitFiletime(u32(b, p), u32(b, p + 4));
  const unixSeconds = seconds - SECONDS_1601_TO_1970;
  if (Math.abs(unixSeconds * 1000) > MAX_DATE_MS) return undefined;
  return `${secondPrefix(unixSeconds)}.${(Math.floor(ticks / 10000) + 1000).toString().slice(1)}Z`;
}

function pad(value: number, width: number): string {
  return value.toString().padStart(width, '0');
}

/** SYSTEMTIME (8 little-endian u16: year, month, weekday, day, hour, minute, second, milliseconds) at `p`, as "2024-03-15T13:45:30.123Z". */
export function systemtimeString(b: Buffer, p: number): string {
  return (
    `${pad(u16(b, p), 4)}-${pad(u16(b, p + 2), 2)}-${pad(u16(b, p + 6), 2)}T` +
    `${pad(u16(b, p + 8), 2)}:${pad(u16(b, p + 10), 2)}:${pad(u16(b, p + 12), 2)}.${pad(u16(b, p + 14), 3)}Z`
  );
}
