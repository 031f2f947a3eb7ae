// Splits hunting query text into tokens with their offsets.
// Never interprets meaning beyond token shape, and never accepts control characters or over-long input.

import { queryError, quoted } from './query-error.js';

export const MAX_QUERY_LENGTH = 131_072;

export type TokenKind = 'ident' | 'string' | 'number' | 'duration' | 'regex' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier or operator text, decoded string or regex body, number or duration digits. */
  text: string;
  at: number;
  end: number;
  /** Strings: indices of unescaped `*` and `?`. */
  globs?: number[];
  /** Strings: the text between the quotes with only escaped quotes decoded (used when a string holds a regex). */
  raw?: string;
  /** Strings: offset of the first escape that is not valid outside a regex. */
  badEscape?: number;
  /** Numbers: the value; durations: milliseconds. */
  number?: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '=~', '!~', '<', '>', '=', '(', ')', '[', ']', ',', '|', '~', '-', '+', '!'];
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const IDENT_START = /[A-Za-z_@]/;
const IDENT_PART = /[A-Za-z0-9_.@]/;

export function tokenize(text: string): Token[] {
  if (text.length > MAX_QUERY_LENGTH) throw queryError(text, MAX_QUERY_LENGTH, `the query is longer than ${MAX_QUERY_LENGTH} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (code < 32 || code === 127 || (code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0xfeff) {
      throw queryError(text, i, `invisible or control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`, 'remove it, or write it inside a quoted string as an escape if it is part of a value');
    }
    const start = i;
    if (ch === '"' || ch === "'") {
      tokens.push(readString(text, i, ch));
      i = tokens[tokens.length - 1]!.end;
      continue;
    }
    if (ch === '@' && (text[i + 1] === '"' || text[i + 1] === "'")) {
      tokens.push(readVerbatim(text, i));
      i = tokens[tokens.length - 1]!.end;
      continue;
    }
    if (ch === '/') {
      tokens.push(readRegex(text, i));
      i = tokens[tokens.length - 1]!.end;
      continue;
    }
    if (ch >= '0' && ch <= '9') {
      while (i < text.length && /[0-9]/.test(text[i]!)) i++;
      if (text[i] === '.' && /[0-9]/.test(text[i + 1] ?? '')) {
        i++;
        while (i < text.length && /[0-9]/.test(text[i]!)) i++;
      }
      const digits = text.slice(start, i);
      const unitStart = i;
      while (i < text.length && /[A-Za-z]/.test(text[i]!)) i++;
      const unit = text.slice(unitStart, i).toLowerCase();
      const value = Number(digits);
      if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) throw queryError(text, start, `number ${quoted(digits)} is too large`);
      if (unit) {
        const scale = DURATION_MS[unit];
        if (scale === undefined) throw queryError(text, unitStart, `unknown duration unit ${quoted(unit)}`, 'use ms, s, m, h, d or w (for example 24h)');
        const ms = Math.round(value * scale);
        if (ms > 3650 * DURATION_MS.d!) throw queryError(text, start, `duration ${quoted(digits + unit)} is longer than ten years`);
        tokens.push({ kind: 'duration', text: digits + unit, at: start, end: i, number: ms });
      } else {
        tokens.push({ kind: 'number', text: digits, at: start, end: i, number: value });
      }
      continue;
    }
    if (IDENT_START.test(ch)) {
      while (i < text.length && IDENT_PART.test(text[i]!)) i++;
      const name = text.slice(start, i);
      if (name.endsWith('.')) throw queryError(text, start, `name ${quoted(name)} ends with a dot`);
      tokens.push({ kind: 'ident', text: name, at: start, end: i });
      continue;
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, at: start, end: i + op.length });
      i += op.length;
      continue;
    }
    const shown = String.fromCodePoint(text.codePointAt(i)!);
    throw queryError(text, i, `unexpected character ${quoted(shown)}`, ch === ';' ? 'a query is one expression; there is no statement separator' : 'put values in double quotes');
  }
  tokens.push({ kind: 'eof', text: '', at: text.length, end: text.length });
  return tokens;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r', '*': '*', '?': '?' };

function readString(text: string, start: number, quote: string): Token {
  let value = '';
  let raw = '';
  let badEscape: number | undefined;
  const globs: number[] = [];
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw queryError(text, start, 'unterminated string', `close it with ${quote}`);
    const ch = text[i]!;
    if (ch === quote) break;
    if (ch === '\\') {
      const next = text[i + 1] ?? '';
      const decoded = ESCAPES[next];
      if (decoded === undefined) {
        badEscape ??= i;
        value += '\\' + next;
      } else value += decoded;
      raw += next === quote ? quote : '\\' + next;
      i += 2;
      continue;
    }
    raw += ch;
    if (ch === '*' || ch === '?') globs.push(value.length);
    value += ch;
    i++;
  }
  return { kind: 'string', text: value, at: start, end: i + 1, globs, raw, ...(badEscape !== undefined ? { badEscape } : {}) };
}

/** `@"..."`: backslashes are plain characters; a doubled quote stands for one quote; `*` and `?` stay wildcards. */
function readVerbatim(text: string, start: number): Token {
  const quote = text[start + 1]!;
  let value = '';
  const globs: number[] = [];
  let i = start + 2;
  for (;;) {
    if (i >= text.length) throw queryError(text, start, 'unterminated verbatim string', `close it with ${quote}`);
    const ch = text[i]!;
    if (ch === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      break;
    }
    if (ch === '*' || ch === '?') globs.push(value.length);
    value += ch;
    i++;
  }
  return { kind: 'string', text: value, at: start, end: i + 1, globs, raw: value };
}

/** `/re/`: the body is kept as written except that `\/` stands for `/`. */
function readRegex(text: string, start: number): Token {
  let body = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw queryError(text, start, 'unterminated regular expression', 'close it with /');
    const ch = text[i]!;
    if (ch === '/') break;
    if (ch === '\\' && text[i + 1] === '/') {
      body += '/';
      i += 2;
      continue;
    }
    if (ch === '\\' && i + 1 < text.length) {
      body += ch + text[i + 1]!;
      i += 2;
      continue;
    }
    body += ch;
    i++;
  }
  return { kind: 'regex', text: body, at: start, end: i + 1 };
}
