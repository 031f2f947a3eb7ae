// Decodes and validates an agent's event batch: bytes in, schema-checked events out, or one clear error.
// Must never throw anything but VigilError, whatever the bytes; validation problems carry their JSON path.

import { isAscii, isUtf8 } from 'node:buffer';
import { VigilError } from '@vigil/common';
import { categoryByName, checkEvent, type VigilEvent } from '@vigil/schema';
import { limits } from './messages.js';

/**
 * Where each decoded event's JSON text lies in the received body, for stores that journal the bytes as received
 * instead of serialising the event again. `starts[i]` is -1 when event i has no usable slice; otherwise
 * `source[starts[i]..ends[i])` is one JSON object on one line (no raw newline), valid UTF-8, without `\u` escapes,
 * objects deeper than one level or repeated keys, and it parses to exactly the validated `events[i]` (validation
 * changed nothing in it).
 */
export interface EventSlices {
  source: Buffer;
  starts: Int32Array;
  ends: Int32Array;
}

export interface DecodedBatch {
  hostId: string;
  events: VigilEvent[];
  /** Present for Buffer bodies that are valid UTF-8 (an event holding a `\u` escape has no slice). */
  slices?: EventSlices;
}

export interface DecodeOptions {
  /** The agent id proven by the client certificate; every event must belong to it. */
  expectedHostId: string;
  maxBytes?: number;
  maxEvents?: number;
}

function jsonError(error: unknown, body: Buffer | string): VigilError {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  const location: { path: string; column?: number } = { path: '$' };
  if (position?.[1]) location.column = Number(position[1]) + 1;
  const size = typeof body === 'string' ? body.length : body.byteLength;
  return new VigilError('invalid_input', `batch body is not valid JSON (${size} bytes): ${message}`, { location });
}

export function decodeEventBatch(body: Buffer | string, options: DecodeOptions): DecodedBatch {
  const maxBytes = options.maxBytes ?? limits.maxBatchBytes;
  const maxEvents = options.maxEvents ?? limits.maxBatchEvents;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > maxBytes) throw new VigilError('payload_too_large', `batch is ${size} bytes; the limit is ${maxBytes}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : batchBodyText(body));
  } catch (error) {
    throw jsonError(error, body);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new VigilError('invalid_input', 'batch must be a JSON object {"host_id": ..., "events": [...]}', { location: { path: '$' } });
  }
  const { host_id: hostId, events } = parsed as Record<string, unknown>;
  for (const key of Object.keys(parsed)) {
    if (key !== 'host_id' && key !== 'events') throw new VigilError('invalid_input', `unknown batch key ${JSON.stringify(key)}`, { location: { path: `$[${JSON.stringify(key)}]` } });
  }
  if (hostId !== options.expectedHostId) {
    throw new VigilError('forbidden', `batch host_id ${JSON.stringify(hostId)} does not match the agent certificate (${options.expectedHostId})`, { location: { path: '$.host_id' } });
  }
  if (!Array.isArray(events)) throw new VigilError('invalid_input', 'batch "events" must be a list', { location: { path: '$.events' } });
  if (events.length === 0) throw new VigilError('invalid_input', 'batch has no events', { location: { path: '$.events' } });
  if (events.length > maxEvents) throw new VigilError('payload_too_large', `batch has ${events.length} events; the limit is ${maxEvents}`, { location: { path: '$.events' } });

  const slices = typeof body === 'string' ? undefined : locateEvents(body, events.length);
  const problems: VigilError['details'] = [];
  let previousSequence = -1;
  const ids = new Set<string>();
  for (let i = 0; i < events.length && problems.length < 20; i++) {
    const path = `events[${i}]`;
    // Validation normalises some values in place (hex case, date offsets, nulls dropped): such an event's bytes are
    // not what is stored, so it loses its slice.
    if (slices && slices.starts[i]! >= 0 && !keepsRawForm(events[i])) slices.starts[i] = -1;
    const check = checkEvent(events[i], path, 20 - problems.length);
    if (!check.category) {
      problems.push(...check.problems);
      continue;
    }
    const event = events[i] as Record<string, unknown>;
    if (event['host.id'] !== hostId) {
      problems.push({ message: `host.id ${JSON.stringify(event['host.id'])} does not match the agent (${hostId})`, location: { path: `${path}["host.id"]` } });
    }
    const sequence = event['event.sequence'] as number;
    if (sequence <= previousSequence) {
      problems.push({ message: `event.sequence ${sequence} does not increase (previous ${previousSequence}); events must be sent in sequence order`, location: { path: `${path}["event.sequence"]` } });
    }
    previousSequence = sequence;
    const id = event['event.id'] as string;
    if (ids.has(id)) problems.push({ message: `event.id ${id} appears twice in the batch`, location: { path: `${path}["event.id"]` } });
    ids.add(id);
    if (slices && slices.starts[i]! >= 0 && slices.keyCounts[i] !== memberCount(event)) slices.starts[i] = -1;
  }
  if (problems.length) {
    const first = problems[0]!;
    throw new VigilError('invalid_input', `batch rejected, nothing stored: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`, {
      location: first.location,
      details: problems,
    });
  }
  return { hostId: hostId as string, events: events as VigilEvent[], ...(slices ? { slices: { source: slices.source, starts: slices.starts, ends: slices.ends } } : {}) };
}

/**
 * A batch body as text, exactly as UTF-8 decoding gives it: an all-ASCII body (Linux events; Windows events without
 * non-ASCII text) is read as latin1, the same string for less work (no decoding, one byte per character).
 */
export function batchBodyText(body: Uint8Array): string {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** Members of the event plus members of its object values (validation allows objects one level deep). */
function memberCount(event: Record<string, unknown>): number {
  let count = 0;
  for (const key in event) {
    count++;
    const value = event[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) count += Object.keys(value).length;
  }
  return count;
}

/** Per category, the fields whose values validation may rewrite unless they are already normal (hex, dates). */
const normalisedFields = new Map<string, { hex: string[]; dates: string[] }>();
function fieldsToCheck(categoryName: unknown): { hex: string[]; dates: string[] } | undefined {
  if (typeof categoryName !== 'string') return undefined;
  let fields = normalisedFields.get(categoryName);
  if (!fields) {
    const category = categoryByName.get(categoryName);
    if (!category) return undefined;
    fields = { hex: category.fields.filter((f) => f.hexLength !== undefined).map((f) => f.name), dates: category.fields.filter((f) => f.type === 'date').map((f) => f.name) };
    normalisedFields.set(categoryName, fields);
  }
  return fields;
}

/** True when checkEvent will not rewrite any value of this (not yet validated) event. */
function keepsRawForm(candidate: unknown): boolean {
  if (typeof candidate !== 'object' || candidate === null) return false;
  const event = candidate as Record<string, unknown>;
  const fields = fieldsToCheck(event['event.category']);
  if (!fields) return false;
  for (const name of fields.hex) {
    const value = event[name];
    if (typeof value === 'string' && value !== value.toLowerCase()) return false;
  }
  for (const name of fields.dates) {
    const value = event[name];
    if (typeof value === 'string' && !value.endsWith('Z')) return false;
  }
  return true;
}

/** True when the byte before `at`, ignoring JSON whitespace, is a colon (an object that is a member's value). */
function followsColon(body: Buffer, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d)) i--;
  return body[i] === 0x3a;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Positions of the `\u` escapes in a JSON text, ascending: a backslash that escapes (odd in its run of backslashes)
 * followed by `u`. An escaped backslash before a `u` (`C:\\users`) is not one.
 */
function unicodeEscapes(body: Buffer): number[] {
  const out: number[] = [];
  for (let at = body.indexOf('\\u'); at >= 0; at = body.indexOf('\\u', at + 1)) {
    let run = 1;
    while (at - run >= 0 && body[at - run] === BACKSLASH) run++;
    if (run % 2 === 1) out.push(at);
  }
  return out;
}

/**
 * Finds the byte range of each element of the top-level `events` array in a body that JSON.parse accepted. Returns
 * undefined when the body is not valid UTF-8 or the elements found are not `count` objects. An element with a raw
 * newline, a `\u` escape (it may encode a lone surrogate) or an object below its members' values gets start -1; `keyCounts` holds
 * each element's number of keys, its own and those of its object values (compared with the parsed object's to rule
 * out repeated keys).
 */
export function locateEvents(body: Buffer, count: number): (EventSlices & { keyCounts: Int32Array }) | undefined {
  if (!isUtf8(body)) return undefined;
  const escapes = unicodeEscapes(body);
  let nextEscape = 0;
  const starts = new Int32Array(count).fill(-1);
  const ends = new Int32Array(count);
  const keyCounts = new Int32Array(count);
  const length = body.length;
  let depth = 0;
  let topKeyIsEvents = false;
  let inEvents = false;
  let index = -1;
  let usable = true;
  let keys = 0;
  for (let i = 0; i < length; i++) {
    const c = body[i]!;
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        j = body.indexOf(QUOTE, j);
        if (j < 0) return undefined;
        let backslashes = 0;
        while (body[j - 1 - backslashes] === BACKSLASH) backslashes++;
        if ((backslashes & 1) === 0) break;
        j++;
      }
      if (depth === 1) topKeyIsEvents = j - i === 7 && body.toString('latin1', i + 1, j) === 'events';
      i = j;
      continue;
    }
    switch (c) {
      case 0x7b: // {
      case 0x5b: // [
        depth++;
        if (depth === 2 && c === 0x5b && topKeyIsEvents) inEvents = true;
        else if (inEvents && depth === 3) {
          if (c !== 0x7b || ++index >= count) return undefined;
          starts[index] = i;
          usable = true;
          keys = 0;
        } else if (inEvents && c === 0x7b && (depth > 4 || !followsColon(body, i))) usable = false;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        if (inEvents && depth === 3) {
          while (nextEscape < escapes.length && escapes[nextEscape]! < starts[index]!) nextEscape++;
          if (nextEscape < escapes.length && escapes[nextEscape]! < i) usable = false;
          if (usable) ends[index] = i + 1;
          else starts[index] = -1;
          keyCounts[index] = keys;
        } else if (inEvents && depth === 2) inEvents = topKeyIsEvents = false;
        depth--;
        break;
      case 0x3a: // :
        if (inEvents && depth >= 3) keys++;
        break;
      case 0x0a:
      case 0x0d:
        if (inEvents && depth >= 3) usable = false;
        break;
    }
  }
  if (index !== count - 1 || depth !== 0) return undefined;
  for (let i = 0; i < count; i++) if (ends[i]! <= starts[i]!) starts[i] = -1;
  return { source: body, starts, ends, keyCounts };
}
