// Runtime validation of events against the schema: the gate every event passes at the server's door.
// Never accepts a field the schema does not define, and never throws on hostile input: problems come back as data.

import { isIP } from 'node:net';
import type { VigilErrorDetail } from '@vigil/common';
import type { CategoryOrigin, FieldDef } from './model.js';
import { categoryByName, inventoryTableByName, type ResolvedCategory } from './schema.js';

/** Longest accepted item of a `keyword[]` field, in characters. */
export const MAX_LIST_ITEM_LENGTH = 32768;
/** Largest accepted `object` field, in keys. */
export const MAX_OBJECT_KEYS = 512;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const HEX = /^[0-9a-fA-F]+$/;

function quote(name: string): string {
  return JSON.stringify(name);
}

/** The year written in an ISO_DATE string. For one ending in `Z` the UTC year is this one, or the next after a roll-over (`12-31T24:00`). */
function writtenYear(value: string): number {
  return (value.charCodeAt(0) - 48) * 1000 + (value.charCodeAt(1) - 48) * 100 + (value.charCodeAt(2) - 48) * 10 + (value.charCodeAt(3) - 48);
}

/**
 * Checks one value of a field; returns a problem description, or undefined when valid.
 * May normalise the value (hex to lowercase, dates with offsets to UTC): it then stores the normal form in `owner[key]`.
 */
function checkValue(field: FieldDef, value: unknown, owner: Record<string, unknown>, key: string): string | undefined {
  switch (field.type) {
    case 'keyword':
    case 'text': {
      if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
      if (field.maxLength !== undefined && value.length > field.maxLength) return `is ${value.length} characters long; the limit is ${field.maxLength}`;
      if (field.hexLength !== undefined) {
        if (value.length !== field.hexLength || !HEX.test(value)) return `must be ${field.hexLength} hex digits`;
        if (value !== value.toLowerCase()) owner[key] = value.toLowerCase();
      }
      if (field.allowed && !field.allowed.includes(value)) return `must be one of ${field.allowed.join(', ')}`;
      return undefined;
    }
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : `must be an integer, got ${describe(value)}`;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 ? undefined : `must be a 32-bit integer, got ${describe(value)}`;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a finite number, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${describe(value)}`;
    case 'date': {
      if (typeof value !== 'string' || !ISO_DATE.test(value)) return `must be an ISO 8601 timestamp such as 2026-01-02T03:04:05.678Z, got ${describe(value)}`;
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return `is not a valid date: ${value}`;
      const utc = value.endsWith('Z');
      // A UTC date of 1970-2199 is inside 1970-2200 even after a roll-over into the next year: no Date needed.
      if (utc && writtenYear(value) >= 1970 && writtenYear(value) <= 2199) return undefined;
      const year = new Date(ms).getUTCFullYear();
      if (year < 1970 || year > 2200) return `is outside 1970-2200: ${value}`;
      if (!utc) owner[key] = new Date(ms).toISOString();
      return undefined;
    }
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0 ? undefined : `must be an IPv4 or IPv6 address, got ${describe(value)}`;
    case 'keyword[]':
    case 'ip[]': {
      if (!Array.isArray(value)) return `must be a list of strings, got ${describe(value)}`;
      if (field.maxLength !== undefined && value.length > field.maxLength) return `has ${value.length} items; the limit is ${field.maxLength}`;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== 'string') return `item ${i} must be a string, got ${describe(item)}`;
        if (item.length > MAX_LIST_ITEM_LENGTH) return `item ${i} is ${item.length} characters long; the limit is ${MAX_LIST_ITEM_LENGTH}`;
        if (field.type === 'ip[]' && isIP(item) === 0) return `item ${i} must be an IP address, got ${JSON.stringify(item.slice(0, 64))}`;
      }
      return undefined;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `must be an object, got ${describe(value)}`;
      const keys = Object.keys(value);
      if (keys.length > MAX_OBJECT_KEYS) return `has ${keys.length} keys; the limit is ${MAX_OBJECT_KEYS}`;
      for (const key of keys) {
        const item = (value as Record<string, unknown>)[key];
        if (key.length > 256) return `has a key longer than 256 characters`;
        if (item !== null && typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') return `key ${quote(key)} must hold a string, number, boolean or null`;
        if (typeof item === 'string' && item.length > MAX_LIST_ITEM_LENGTH) return `key ${quote(key)} holds more than ${MAX_LIST_ITEM_LENGTH} characters`;
      }
      return undefined;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export interface EventCheck {
  /** The category of a valid event. */
  category?: ResolvedCategory;
  problems: VigilErrorDetail[];
}

/**
 * Validates one event in place (normalising hex case and date offsets). `path` prefixes problem locations,
 * e.g. `events[3]`. At most `limit` problems are reported. `origin` is who writes the event: events of a category the
 * server writes (alerts) are refused unless the caller is the server (`origin: 'server'`), so no agent or import can
 * forge one.
 */
export function checkEvent(candidate: unknown, path: string, limit = 10, origin: CategoryOrigin = 'agent'): EventCheck {
  const problems: VigilErrorDetail[] = [];
  const add = (where: string, message: string) => {
    if (problems.length < limit) problems.push({ message, location: { path: where } });
  };
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    add(path, `an event must be a JSON object, got ${describe(candidate)}`);
    return { problems };
  }
  const event = candidate as Record<string, unknown>;
  const categoryName = event['event.category'];
  const category = typeof categoryName === 'string' ? categoryByName.get(categoryName) : undefined;
  if (!category) {
    add(`${path}["event.category"]`, categoryName === undefined ? 'event.category is missing' : `unknown event.category ${describe(categoryName)}`);
    return { problems };
  }
  if (category.origin !== origin) {
    add(`${path}["event.category"]`, category.origin === 'server' ? `events of category ${category.name} are written by the server only` : `the server does not write events of category ${category.name}`);
    return { problems };
  }
  for (const key in event) {
    const field = category.fieldByName.get(key);
    if (!field) {
      add(`${path}[${quote(key)}]`, `unknown field ${quote(key)} for category ${category.name}`);
      continue;
    }
    const value = event[key];
    if (value === null || value === undefined) {
      delete event[key];
      continue;
    }
    const problem = checkValue(field, value, event, key);
    if (problem) add(`${path}[${quote(key)}]`, `${key} ${problem}`);
  }
  for (const name of category.requiredFields) {
    if (event[name] === undefined) add(`${path}[${quote(name)}]`, `${name} is required for category ${category.name}`);
  }
  const action = event['event.action'];
  if (typeof action === 'string' && !category.actionNames.has(action)) {
    add(`${path}["event.action"]`, `event.action ${quote(action)} is not one of ${category.name}: ${[...category.actionNames].join(', ')}`);
  }
  const id = event['event.id'];
  if (typeof id === 'string' && !UUID.test(id)) add(`${path}["event.id"]`, 'event.id must be a lowercase UUID');
  const hostId = event['host.id'];
  if (typeof hostId === 'string' && !HOST_ID.test(hostId)) add(`${path}["host.id"]`, 'host.id may hold only letters, digits, dot, underscore and dash (1-64)');
  const sequence = event['event.sequence'];
  if (typeof sequence === 'number' && sequence < 0) add(`${path}["event.sequence"]`, 'event.sequence must not be negative');
  return problems.length ? { problems } : { category, problems };
}

/**
 * Validates one inventory row of `table` in place (same value rules as events). `host.id` and `inventory.collected`
 * are set by the server and are not required here. Returns the problems, at most `limit`.
 */
export function checkInventoryRow(table: string, candidate: unknown, path: string, limit = 10): VigilErrorDetail[] {
  const problems: VigilErrorDetail[] = [];
  const add = (where: string, message: string) => {
    if (problems.length < limit) problems.push({ message, location: { path: where } });
  };
  const def = inventoryTableByName.get(table);
  if (!def) {
    add(path, `unknown inventory table ${quote(table)}`);
    return problems;
  }
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    add(path, `an inventory row must be a JSON object, got ${describe(candidate)}`);
    return problems;
  }
  const row = candidate as Record<string, unknown>;
  for (const key in row) {
    const field = def.fieldByName.get(key);
    if (!field) {
      add(`${path}[${quote(key)}]`, `unknown field ${quote(key)} for inventory table ${table}`);
      continue;
    }
    const value = row[key];
    if (value === null || value === undefined) {
      delete row[key];
      continue;
    }
    const problem = checkValue(field, value, row, key);
    if (problem) add(`${path}[${quote(key)}]`, `${key} ${problem}`);
  }
  for (const name of [...def.required, ...def.key]) {
    if (name === 'host.id') continue;
    if (row[name] === undefined) add(`${path}[${quote(name)}]`, `${name} is required for inventory table ${table}`);
  }
  return problems;
}
