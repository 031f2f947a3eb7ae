// The accepted events of an acknowledged batch, decoded again from its body on a worker thread (detection, baselines).
// Only for bodies the request thread already decoded and the store acknowledged; never for untrusted input.

import type { DetectEvent } from '@vigil/detect';
import { batchBodyText, decodeEventBatch } from '@vigil/protocol';

/**
 * The last `accepted` events of `body` (the store's duplicates are the batch's head). `parsesAsValidated`: the request
 * thread's decoder found that the events' bytes parse to exactly the validated events, so JSON.parse is enough.
 * Throws what the decoder throws (a bug: the same bytes were decoded before the acknowledgement).
 */
export function acceptedEventsOf(body: Uint8Array, hostId: string, accepted: number | undefined, parsesAsValidated: boolean | undefined): DetectEvent[] {
  const text = batchBodyText(body);
  const decoded = (parsesAsValidated ? (JSON.parse(text) as { events: unknown[] }).events : decodeEventBatch(text, { expectedHostId: hostId }).events) as unknown as DetectEvent[];
  const count = accepted ?? decoded.length;
  return count === decoded.length ? decoded : decoded.slice(decoded.length - count);
}

/**
 * One event of an acknowledged body from its byte range (the batch decoder's slices, whose bytes parse alone to
 * exactly the validated event): what `acceptedEventsOf` gives for it with `parsesAsValidated`, decoded on its own.
 */
export function eventOfSlice(body: Uint8Array, start: number, end: number): DetectEvent {
  return JSON.parse(batchBodyText(body.subarray(start, end))) as DetectEvent;
}
