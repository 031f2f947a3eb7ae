// Estimates audit events lost before they reached us (kernel backlog, auditd's dispatcher queue) from kernel serial gaps.
// Never counts auditd's own DAEMON_* records (their serials are auditd's) or forwarded records (node=); never grows unbounded.

import type { AuditRecord } from './record-parser.js';

export interface SerialGapCounter {
  observe(record: AuditRecord): void;
  /** Serials skipped so far, less the late arrivals that filled a gap. */
  gaps(): number;
}

/** `window` is how many recent serials are remembered to recognise records of an event already seen. */
export function createSerialGapCounter(window = 1024): SerialGapCounter {
  let highest = 0;
  let gaps = 0;
  const recent = new Set<number>();
  return {
    observe(record) {
      const serial = record.serial;
      if (record.node !== undefined || serial === 0 || record.type.startsWith('DAEMON_') || recent.has(serial)) return;
      recent.add(serial);
      if (recent.size > window) recent.delete(recent.values().next().value as number);
      if (highest === 0) highest = serial;
      else if (serial > highest) {
        gaps += serial - highest - 1;
        highest = serial;
      } else if (gaps > 0) gaps--;
    },
    gaps: () => gaps,
  };
}
