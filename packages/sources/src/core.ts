// The seam between collectors and the agent pipeline: an EventSource pushes collected events into a sink.
// Sources never assign event ids, sequence numbers or host ids, and never talk to the network or the spool.

import type { CollectedEvent } from '@vigil/schema';

/** Receives events from a source. `emit` never blocks; the agent pipeline owns buffering and backpressure. */
export interface EventSink {
  emit(event: CollectedEvent): void;
  /** A problem the operator should see (dropped records, a parse error with its location); never throws. */
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Lifecycle: `start` once, then `stop` once. `start` resolves when collection is running and rejects with a
 * VigilError (code `system` or `unavailable`) when it cannot run. `stop` removes everything the source installed
 * on the machine (audit rules, plugins, daemons it started) and is safe to call after a failed start.
 * `stats` may be called at any time, concurrently with emission.
 */
export interface EventSource {
  readonly name: string;
  readonly platforms: readonly NodeJS.Platform[];
  start(sink: EventSink): Promise<void>;
  stop(): Promise<void>;
  stats(): Record<string, number>;
}
