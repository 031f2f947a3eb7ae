// Test fixture (no tests here): an event batch body as an agent with its own formatting might send it, with each
// event's byte range, as the batch decoder hands it to a store.

import type { VigilEvent } from '@vigil/schema';
import type { RawEventSlices } from '../core.js';

/** A batch body as an agent with its own formatting might send it (spaces after ':' and ','), and each event's range. */
export function rawBatch(events: readonly VigilEvent[]): RawEventSlices {
  const texts = events.map((event) => JSON.stringify(event, null, ' ').replace(/\n */g, ' '));
  const starts: number[] = [];
  const ends: number[] = [];
  let body = '{"host_id": "x", "events": [';
  texts.forEach((text, i) => {
    if (i) body += ', ';
    starts.push(Buffer.byteLength(body));
    body += text;
    ends.push(Buffer.byteLength(body));
  });
  return { source: Buffer.from(body + ']}'), starts, ends };
}

