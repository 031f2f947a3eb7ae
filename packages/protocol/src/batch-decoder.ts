// Decodes and validates an agent's event batch: bytes in, schema-checked events out, or one clear error.
// Must never throw anything but VigilError, whatever the bytes; validation problems carry their JSON path.

import { VigilError } from '@vigil/common';
import { checkEvent, type VigilEvent } from '@vigil/schema';
import { limits } from './messages.js';

export interface DecodedBatch {
  hostId: string;
  events: VigilEvent[];
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
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
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

  const problems: VigilError['details'] = [];
  let previousSequence = -1;
  const ids = new Set<string>();
  for (let i = 0; i < events.length && problems.length < 20; i++) {
    const path = `events[${i}]`;
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
  }
  if (problems.length) {
    const first = problems[0]!;
    throw new VigilError('invalid_input', `batch rejected, nothing stored: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`, {
      location: first.location,
      details: problems,
    });
  }
  return { hostId: hostId as string, events: events as VigilEvent[] };
}
