// Turns query literals into checked parameter values: timestamps, LIKE patterns, CIDR bounds and RE2-safe regexes.
// Never returns SQL text; everything produced here is bound as a parameter.

import type { StringValue, TimeValue } from '../ast.js';
import { queryError, quoted } from './query-error.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO 8601 date or date-time (UTC when no zone is given) to epoch milliseconds, or null. */
export function parseDate(text: string): number | null {
  const m = DATE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${(frac + '000').slice(0, 3)}${zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone}`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return null;
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return ms;
}

/** An ISO timestamp (UTC, milliseconds) for a time value, refusing years outside 1970..9999. */
export function timeParam(text: string, value: TimeValue | StringValue, now: Date): string {
  let base: number | null;
  let offset = 0;
  if (value.kind === 'time') {
    base = value.base.kind === 'now' ? now.getTime() : parseDate(value.base.text);
    offset = value.offsetMs;
  } else base = parseDate(value.value);
  if (base === null) {
    const shown = value.kind === 'string' ? value.value : value.base.kind === 'date' ? value.base.text : 'now()';
    throw queryError(text, value.at, `${quoted(shown)} is not a date`, 'write dates as "2026-01-31" or "2026-01-31T13:45:00Z", or use now() - 24h');
  }
  const ms = base + offset;
  if (ms < 0 || ms > Date.UTC(9999, 11, 31)) throw queryError(text, value.at, 'the time is outside the years 1970 to 9999');
  return new Date(ms).toISOString();
}

/** A LIKE pattern (backslash escapes) for a string whose unescaped `*` and `?` are wildcards. */
export function likePattern(value: StringValue, prefix: '' | '%', suffix: '' | '%'): string {
  const globs = new Set(value.globs);
  let out = prefix;
  for (let i = 0; i < value.value.length; i++) {
    const ch = value.value[i]!;
    if (globs.has(i)) out += ch === '*' ? '%' : '_';
    else if (ch === '%' || ch === '_' || ch === '\\') out += '\\' + ch;
    else out += ch;
  }
  return out + suffix;
}

export interface ParsedCidr {
  family: 4 | 6;
  low: number | string;
  high: number | string;
}

/** Parses "10.0.0.0/8", "fe80::/10" or a single address; the host bits of the network are ignored. */
export function parseCidr(text: string, network: string, at: number): ParsedCidr {
  const bad = (why: string) => queryError(text, at, `${quoted(network)} is not a network: ${why}`, 'write networks as "10.0.0.0/8" or "fe80::/10"');
  const [address = '', prefixText, extra] = network.trim().split('/');
  if (extra !== undefined) throw bad('more than one "/"');
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw bad('the prefix length is not a number');
  if (address.includes('.') && !address.includes(':')) {
    const parts = address.split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw bad('bad IPv4 address');
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) throw bad('an IPv4 prefix is at most 32');
    const value = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
    const size = 2 ** (32 - prefix);
    const low = Math.floor(value / size) * size;
    return { family: 4, low, high: low + size - 1 };
  }
  const groups = expandIpv6(address.toLowerCase());
  if (!groups) throw bad('bad IPv6 address');
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefix > 128) throw bad('an IPv6 prefix is at most 128');
  const value = BigInt('0x' + groups.join(''));
  const hostBits = BigInt(128 - prefix);
  const mask = (1n << hostBits) - 1n;
  const low = (value >> hostBits) << hostBits;
  return { family: 6, low: low.toString(16).padStart(32, '0'), high: (low | mask).toString(16).padStart(32, '0') };
}

function expandIpv6(address: string): string[] | null {
  if (!/^[0-9a-f:]+$/.test(address)) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const split = (s: string | undefined) => (s ? s.split(':') : []);
  const left = split(halves[0]);
  const right = split(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => g.padStart(4, '0'));
}

/**
 * Checks that a regular expression means the same in RE2 (DuckDB, ClickHouse) as written: JavaScript syntax in
 * unicode mode, minus what RE2 lacks (look-around, back-references) and with bounded repetition.
 */
export function checkRegex(text: string, pattern: string, at: number): void {
  const bad = (why: string, hint = 'regular expressions use RE2 syntax: no look-around or back-references') => queryError(text, at, `invalid regular expression ${quoted(pattern)}: ${why}`, hint);
  if (!pattern) throw bad('it is empty');
  if (pattern.length > 4096) throw bad('it is longer than 4096 characters');
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    throw bad((error as Error).message.replace(/^Invalid regular expression: \/.*\/u?: /s, ''));
  }
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9k]/.test(next)) throw bad('back-references are not supported');
      if (/[a-zA-Z0-9]/.test(next) && !/[dDwWsSbBnrtfv]/.test(next) || (inClass && /[bB]/.test(next))) throw bad(`the escape \\${next} is not supported`);
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') throw bad('empty character class');
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?' && pattern[i + 2] !== ':') throw bad('only (?:...) groups are supported');
    if (ch === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i));
      if (m && (Number(m[1]) > 1000 || (m[2] && Number(m[2]) > 1000))) throw bad('a repetition count is at most 1000');
    }
  }
}
