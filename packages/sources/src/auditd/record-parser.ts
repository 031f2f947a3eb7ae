// Parses one audit record line as auditd writes it (log file or af_unix dispatcher, `format = string`).
// Never throws anything but VigilError('invalid_input') with a column, and never backtracks: time is linear in the line.

import { VigilError } from '@vigil/common';

/** One audit record. `fields` and `hex` are null-prototype maps, safe for any key a line may carry. */
export interface AuditRecord {
  /** `node=` prefix of forwarded records; absent on local records. */
  node?: string;
  /** Record type as written: `SYSCALL`, `EXECVE`, `UNKNOWN[1329]`, ... */
  type: string;
  /** Kernel time of the event, milliseconds since the epoch. */
  timeMs: number;
  /** Kernel event serial; records of one event share (node, timeMs, serial). */
  serial: number;
  /**
   * Field values with quotes removed and hex-encoded text decoded (invalid UTF-8 becomes U+FFFD).
   * Fields of a quoted `msg='...'` payload are merged in without overriding outer fields. `(null)` values are absent.
   */
  fields: Record<string, string>;
  /** The original hex text of every field that was decoded from hex, for byte-exact reassembly. */
  hex: Record<string, string>;
  /** Translated values after the enriched-format separator (0x1d): `UID`, `ARCH`, `SYSCALL`, ... */
  enriched: Record<string, string>;
}

/** Lines longer than this are rejected; the kernel's limit is 8970 bytes plus enrichment. */
export const MAX_RECORD_LINE = 1024 * 1024;

const ENRICHED_SEPARATOR = '\x1d';

/**
 * Fields that hold untrusted text: the kernel and libaudit write them quoted when they are plain
 * printable ASCII and as unquoted uppercase hex otherwise (spaces, quotes, control or non-ASCII bytes).
 */
const TEXT_FIELDS = new Set([
  'name', 'comm', 'exe', 'cwd', 'proctitle', 'key', 'data', 'acct', 'cmd', 'path', 'dir', 'watch', 'ocomm',
  'new-disk', 'old-disk', 'new-chardev', 'old-chardev', 'vm', 'root_dir', 'file', 'grp', 'new_group', 'old_group',
  'sw', 'new-net', 'old-net', 'new-fs', 'old-fs',
]);

function isExecveArgument(key: string): boolean {
  // a0, a12, a3[0]
  let i = 1;
  if (key.charCodeAt(0) !== 97 /* a */ || key.length < 2) return false;
  while (i < key.length && isDigit(key.charCodeAt(i))) i++;
  if (i === 1) return false;
  if (i === key.length) return true;
  if (key.charCodeAt(i) !== 91 /* [ */ || key.charCodeAt(key.length - 1) !== 93 /* ] */) return false;
  const start = ++i;
  while (i < key.length - 1 && isDigit(key.charCodeAt(i))) i++;
  return i === key.length - 1 && i > start;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** True when `value` is a non-empty, even-length string of hex digits. */
export function isHexText(value: string): boolean {
  if (value.length === 0 || value.length % 2 !== 0) return false;
  for (let i = 0; i < value.length; i++) if (!isHexDigit(value.charCodeAt(i))) return false;
  return true;
}

/** Decodes hex-encoded bytes as UTF-8; invalid sequences become U+FFFD. The caller checks `isHexText` first. */
export function decodeHexText(hex: string): string {
  return Buffer.from(hex, 'hex').toString('utf8');
}

/** Whether a field of this record type holds text that may be hex-encoded. */
export function isTextField(type: string, key: string): boolean {
  return TEXT_FIELDS.has(key) || (type === 'EXECVE' && isExecveArgument(key));
}

/** The bytes of a field as logged: hex-decoded for hex fields, else the (ASCII) text itself. */
export function fieldBytes(record: AuditRecord, key: string): Buffer | undefined {
  const hex = record.hex[key];
  if (hex !== undefined) return Buffer.from(hex, 'hex');
  const text = record.fields[key];
  return text === undefined ? undefined : Buffer.from(text, 'utf8');
}

function fail(message: string, index: number, cause?: unknown): never {
  throw new VigilError('invalid_input', `audit record: ${message}`, { location: { column: index + 1 }, ...(cause ? { cause } : {}) });
}

function emptyMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Reads digits at `pos`; returns the end index, failing when there are none or more than `max`. */
function readDigits(line: string, pos: number, max: number, what: string): number {
  let end = pos;
  while (end < line.length && isDigit(line.charCodeAt(end))) end++;
  if (end === pos) fail(`expected ${what} digits`, pos);
  if (end - pos > max) fail(`${what} has more than ${max} digits`, pos);
  return end;
}

function expect(line: string, pos: number, literal: string, what: string): number {
  if (!line.startsWith(literal, pos)) fail(`expected ${what}`, pos);
  return pos + literal.length;
}

/** Reads a bare token: everything up to whitespace, the enriched separator, or the end of `limit`. */
function tokenEnd(line: string, pos: number, limit: number): number {
  let end = pos;
  while (end < limit && !isSpace(line.charCodeAt(end)) && line.charCodeAt(end) !== 0x1d) end++;
  return end;
}

/**
 * Parses `key=value` pairs of `line[from, to)` into `record`. Bare words (`user`, `avc:`, `{ read }`) are skipped.
 * `nested` marks the inside of a `msg='...'` payload, whose fields never override outer ones.
 */
function parseBody(line: string, from: number, to: number, record: AuditRecord, nested: boolean): void {
  let pos = from;
  while (pos < to) {
    const c = line.charCodeAt(pos);
    if (isSpace(c)) {
      pos++;
      continue;
    }
    let keyEnd = pos;
    while (keyEnd < to) {
      const k = line.charCodeAt(keyEnd);
      if (k === 61 /* = */ || isSpace(k)) break;
      keyEnd++;
    }
    if (keyEnd >= to || line.charCodeAt(keyEnd) !== 61 || keyEnd === pos) {
      // A bare word, or `=value` without a key: not a field.
      pos = keyEnd === pos ? tokenEnd(line, pos + 1, to) : keyEnd;
      continue;
    }
    const key = line.slice(pos, keyEnd);
    let valueStart = keyEnd + 1;
    const quote = valueStart < to ? line.charCodeAt(valueStart) : -1;
    if (quote === 34 /* " */) {
      const close = line.indexOf('"', valueStart + 1);
      if (close < 0 || close >= to) fail(`unterminated quoted value of "${key.slice(0, 64)}"`, valueStart);
      store(record, key, line.slice(valueStart + 1, close), undefined, nested);
      pos = close + 1;
      continue;
    }
    if (quote === 39 /* ' */ && !nested) {
      // Userspace payloads cut at their maximum length lose the closing quote: the payload then runs to the end.
      const found = line.indexOf("'", valueStart + 1);
      const close = found < 0 || found > to ? to : found;
      store(record, key, line.slice(valueStart + 1, close), undefined, false);
      parseBody(line, valueStart + 1, close, record, true);
      pos = close + 1;
      continue;
    }
    const end = tokenEnd(line, valueStart, to);
    const raw = line.slice(valueStart, end);
    pos = end;
    valueStart = end;
    if (raw === '(null)') continue;
    if (isTextField(record.type, key) && isHexText(raw)) store(record, key, decodeHexText(raw), raw, nested);
    else store(record, key, raw, undefined, nested);
  }
}

function store(record: AuditRecord, key: string, value: string, hex: string | undefined, nested: boolean): void {
  if (key in record.fields) return;
  if (nested && key === 'msg') return;
  record.fields[key] = value;
  if (hex !== undefined) record.hex[key] = hex;
}

/** Parses the enriched trailer: `KEY=value`, `KEY="value"` or `KEY={ ... }`. */
function parseEnriched(line: string, from: number, record: AuditRecord): void {
  let pos = from;
  const to = line.length;
  while (pos < to) {
    if (isSpace(line.charCodeAt(pos)) || line.charCodeAt(pos) === 0x1d) {
      pos++;
      continue;
    }
    const space = tokenEnd(line, pos, to);
    let eq = pos;
    while (eq < space && line.charCodeAt(eq) !== 61 /* = */) eq++;
    if (eq >= space || eq === pos) {
      pos = space;
      continue;
    }
    const key = line.slice(pos, eq);
    const open = line.charCodeAt(eq + 1);
    let value: string;
    if (open === 34 /* " */ || open === 123 /* { */) {
      const close = line.indexOf(open === 34 ? '"' : '}', eq + 2);
      if (close < 0) fail(`unterminated enriched value of "${key.slice(0, 64)}"`, eq + 1);
      value = open === 34 ? line.slice(eq + 2, close) : line.slice(eq + 1, close + 1);
      pos = close + 1;
    } else {
      const end = tokenEnd(line, eq + 1, to);
      value = line.slice(eq + 1, end);
      pos = end;
    }
    if (!(key in record.enriched)) record.enriched[key] = value;
  }
}

/**
 * Parses one record line (a trailing newline is allowed). Accepts an optional `node=<name> ` prefix,
 * the `type=X msg=audit(<sec>.<frac>:<serial>):` header (the colon is optional, as some daemon records omit it),
 * and an enriched-format trailer.
 */
export function parseRecord(input: string): AuditRecord {
  let line = input;
  if (line.endsWith('\n')) line = line.slice(0, -1);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.length > MAX_RECORD_LINE) fail(`line is ${line.length} characters long; the limit is ${MAX_RECORD_LINE}`, MAX_RECORD_LINE);
  const separator = line.indexOf(ENRICHED_SEPARATOR);
  const bodyLimit = separator < 0 ? line.length : separator;

  let pos = 0;
  let node: string | undefined;
  if (line.startsWith('node=')) {
    const end = tokenEnd(line, 5, bodyLimit);
    if (end === 5) fail('empty node name', 5);
    node = line.slice(5, end);
    pos = end;
    while (pos < bodyLimit && isSpace(line.charCodeAt(pos))) pos++;
  }
  pos = expect(line, pos, 'type=', '"type="');
  const typeEnd = tokenEnd(line, pos, bodyLimit);
  const type = line.slice(pos, typeEnd);
  if (!isRecordType(type)) fail('record type must be letters, digits and underscores, optionally followed by [number]', pos);
  pos = typeEnd;
  while (pos < bodyLimit && isSpace(line.charCodeAt(pos))) pos++;
  pos = expect(line, pos, 'msg=audit(', '"msg=audit("');
  const secondsEnd = readDigits(line, pos, 12, 'seconds');
  const seconds = Number(line.slice(pos, secondsEnd));
  pos = expect(line, secondsEnd, '.', '"." after the seconds');
  const fractionEnd = readDigits(line, pos, 9, 'fraction');
  const millis = Number(line.slice(pos, Math.min(fractionEnd, pos + 3)).padEnd(3, '0'));
  pos = expect(line, fractionEnd, ':', '":" before the serial');
  const serialEnd = readDigits(line, pos, 15, 'serial');
  const serial = Number(line.slice(pos, serialEnd));
  pos = expect(line, serialEnd, ')', '")" after the serial');
  if (pos < bodyLimit && line.charCodeAt(pos) === 58 /* : */) pos++;
  if (pos > bodyLimit) fail('enriched separator inside the header', bodyLimit);

  const record: AuditRecord = {
    type,
    timeMs: seconds * 1000 + millis,
    serial,
    fields: emptyMap(),
    hex: emptyMap(),
    enriched: emptyMap(),
  };
  if (node !== undefined) record.node = node;
  parseBody(line, pos, bodyLimit, record, false);
  if (separator >= 0) parseEnriched(line, separator + 1, record);
  return record;
}

function isRecordType(type: string): boolean {
  if (type.length === 0 || type.length > 64) return false;
  let i = 0;
  while (i < type.length) {
    const c = type.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || isDigit(c) || c === 95)) break;
    i++;
  }
  if (i === 0) return false;
  if (i === type.length) return true;
  if (type.charCodeAt(i) !== 91 || type.charCodeAt(type.length - 1) !== 93) return false;
  const start = ++i;
  while (i < type.length - 1 && isDigit(type.charCodeAt(i))) i++;
  return i === type.length - 1 && i > start;
}
