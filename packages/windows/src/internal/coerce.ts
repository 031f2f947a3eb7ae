// Turns one rendered Windows value into the typed value of one Vigil field, following that field's schema definition.
// Never returns a value the schema validator would reject (it returns undefined instead) and never throws.

import { isIP } from 'node:net';
import { MAX_LIST_ITEM_LENGTH, type FieldDef } from '@vigil/schema';

const ISO_WITH_ZONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const ISO_WITHOUT_ZONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?$/;
const DECIMAL = /^[+-]?\d{1,20}$/;
const HEX_NUMBER = /^0x[0-9a-f]{1,20}$/i;
const HEX_DIGITS = /^[0-9a-f]+$/i;

/**
 * An ISO 8601 UTC timestamp (`...Z`) for a Windows time: ISO with `Z` or an offset, or a zone-less
 * `YYYY-MM-DD HH:MM:SS[.fff]` (Sysmon UtcTime), which is UTC by definition. Undefined for anything else,
 * for impossible calendar dates and for years outside 1970-2200.
 */
export function normalizeUtcTimestamp(text: string): string | undefined {
  let match = ISO_WITH_ZONE.exec(text);
  let zone: string;
  if (match) zone = match[4] ?? 'Z';
  else {
    match = ISO_WITHOUT_ZONE.exec(text);
    if (!match) return undefined;
    zone = 'Z';
  }
  const date = match[1] ?? '';
  const time = match[2] ?? '';
  const fraction = match[3] ?? '';
  const ms = Date.parse(`${date}T${time}${fraction}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const year = new Date(ms).getUTCFullYear();
  if (year < 1970 || year > 2200) return undefined;
  if (zone === 'Z') {
    // Date.parse rolls over impossible dates (February 30, 24:00); a round trip rejects them.
    if (new Date(ms).toISOString().slice(0, 19) !== `${date}T${time}`) return undefined;
    return `${date}T${time}${fraction}Z`;
  }
  return new Date(ms).toISOString();
}

/** A JS safe integer from a number, a decimal string or a `0x` hex string (Windows renders pids and ids both ways). */
export function parseInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  let big: bigint;
  if (DECIMAL.test(text)) big = BigInt(text);
  else if (HEX_NUMBER.test(text)) big = BigInt(text);
  else return undefined;
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  return Number(big);
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function textList(field: FieldDef, value: unknown, ipOnly: boolean): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  if (field.maxLength !== undefined && value.length > field.maxLength) return undefined;
  const out: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || item.length > MAX_LIST_ITEM_LENGTH) return undefined;
    if (ipOnly && isIP(item) === 0) return undefined;
    out.push(item);
  }
  return out;
}

/** The value as the field's type requires, or undefined when it cannot be one (the raw value then stays only in winlog.event_data). */
export function coerceToField(field: FieldDef, value: unknown): unknown {
  switch (field.type) {
    case 'keyword':
    case 'text': {
      let text = scalarText(value);
      if (text === undefined) return undefined;
      if (field.maxLength !== undefined && text.length > field.maxLength) return undefined;
      if (field.hexLength !== undefined) {
        if (text.length !== field.hexLength || !HEX_DIGITS.test(text)) return undefined;
        text = text.toLowerCase();
      }
      if (field.allowed && !field.allowed.includes(text)) return undefined;
      return text;
    }
    case 'long':
      return parseInteger(value);
    case 'integer': {
      const number = parseInteger(value);
      return number !== undefined && number >= -2147483648 && number <= 2147483647 ? number : undefined;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const lower = value.trim().toLowerCase();
        if (lower === 'true') return true;
        if (lower === 'false') return false;
      }
      return undefined;
    case 'date':
      return typeof value === 'string' ? normalizeUtcTimestamp(value.trim()) : undefined;
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0 ? value : undefined;
    case 'keyword[]':
      return textList(field, value, false);
    case 'ip[]':
      return textList(field, value, true);
    case 'object':
      return undefined;
  }
}
