// Reading event fields defensively: profilers see whatever a batch carried, so wrong types are treated as absent.
// Never throws and never coerces objects to "[object Object]".

import type { ProfileEvent } from '../core.js';

/** A non-empty string field (trimmed of nothing), or undefined. */
export function text(event: ProfileEvent, field: string, maxLength = 4096): string | undefined {
  const value = event[field];
  if (typeof value !== 'string' || value.length === 0) return undefined;
  return value.length > maxLength ? value.slice(0, maxLength) : value;
}

/** A finite integer field (numbers or digit strings), or undefined. */
export function integer(event: ProfileEvent, field: string): number | undefined {
  const value = event[field];
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** A list of strings (non-strings dropped), or undefined when the field is not an array. */
export function strings(event: ProfileEvent, field: string, maxItems = 256): string[] | undefined {
  const value = event[field];
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') out.push(item.length > 4096 ? item.slice(0, 4096) : item);
    if (out.length >= maxItems) break;
  }
  return out;
}

export function basename(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const at = trimmed.lastIndexOf('/');
  return at >= 0 ? trimmed.slice(at + 1) : trimmed;
}

/** Shortens a value for an explanation sentence. */
export function shown(value: string, max = 120): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
