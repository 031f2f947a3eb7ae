// The part of an event an alert event carries: the acting process and the host name. Shared by the detection worker
// (which has the event at hand when it creates an alert) and the alert-event writer (which otherwise reads it back).

import { fieldSets } from '@vigil/schema';

/** Fields copied from the event that made the alert: the acting process and host name. */
export const CONTEXT_FIELDS: ReadonlySet<string> = new Set([...fieldSets['process']!.map((f) => f.name), 'host.name']);

/** The context fields of an event (the same values, not copies). */
export function alertContextOf(event: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const key in event) if (CONTEXT_FIELDS.has(key)) context[key] = event[key];
  return context;
}
