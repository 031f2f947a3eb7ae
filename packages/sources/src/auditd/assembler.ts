// Groups audit records into events by (node, serial): EOE closes an event, a timeout flushes events that never get one.
// Never holds unbounded memory: open events and records per event are capped, and the oldest event is dropped first.

import type { AuditRecord } from './record-parser.js';

export interface AssemblerOptions {
  /** Receives each complete event's records in arrival order (the EOE record itself is not included). */
  onEvent: (records: AuditRecord[]) => void;
  /** Told about each event dropped because too many were open. */
  onDrop?: (records: AuditRecord[]) => void;
  /** How long an event without EOE stays open after its first record, in ms (default 200). */
  flushMs?: number;
  /** Most events open at once; beyond it the oldest is dropped (default 4096). */
  maxOpen?: number;
  /** Most records kept per event; later ones are counted and discarded (default 4096). */
  maxRecordsPerEvent?: number;
  /** Monotonic clock in ms; replaceable for tests. */
  now?: () => number;
}

export interface AssemblerStats {
  /** Events handed to onEvent. */
  events: number;
  /** Events dropped because more than maxOpen were open. */
  dropped: number;
  /** Records discarded because their event already held maxRecordsPerEvent. */
  truncatedRecords: number;
  /** Events open now. */
  open: number;
  /** Most events open at once since the assembler was created. */
  openPeak: number;
}

export interface Assembler {
  /** Adds a record; may call onEvent (EOE) or onDrop (overflow) synchronously. */
  push(record: AuditRecord): void;
  /** Emits every open event whose timeout has passed at `now`. */
  flushExpired(now?: number): void;
  /** Emits every open event, oldest first. */
  flushAll(): void;
  /** Emits every open event and cancels the timer; later pushes are ignored. */
  close(): void;
  stats(): AssemblerStats;
}

interface OpenEvent {
  records: AuditRecord[];
  deadline: number;
}

export function createAssembler(options: AssemblerOptions): Assembler {
  const flushMs = options.flushMs ?? 200;
  const maxOpen = Math.max(1, options.maxOpen ?? 4096);
  const maxRecords = Math.max(1, options.maxRecordsPerEvent ?? 4096);
  const now = options.now ?? (() => performance.now());
  // Insertion order is first-record order, so the first entry always has the earliest deadline.
  const open = new Map<string, OpenEvent>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const counts = { events: 0, dropped: 0, truncatedRecords: 0, openPeak: 0 };

  const emit = (key: string, event: OpenEvent) => {
    open.delete(key);
    counts.events++;
    options.onEvent(event.records);
  };

  const arm = () => {
    if (timer || closed) return;
    const first = open.values().next();
    if (first.done) return;
    timer = setTimeout(() => {
      timer = undefined;
      flushExpired();
      arm();
    }, Math.max(0, first.value.deadline - now()));
    timer.unref();
  };

  function flushExpired(at = now()): void {
    for (const [key, event] of open) {
      if (event.deadline > at) break;
      emit(key, event);
    }
  }

  function flushAll(): void {
    for (const [key, event] of open) emit(key, event);
  }

  return {
    push(record) {
      if (closed) return;
      const key = `${record.node ?? ''}\u0000${record.serial}`;
      const event = open.get(key);
      if (record.type === 'EOE') {
        if (event) emit(key, event);
        return;
      }
      if (event) {
        if (event.records.length >= maxRecords) counts.truncatedRecords++;
        else event.records.push(record);
        return;
      }
      if (open.size >= maxOpen) {
        const oldest = open.entries().next();
        if (!oldest.done) {
          open.delete(oldest.value[0]);
          counts.dropped++;
          options.onDrop?.(oldest.value[1].records);
        }
      }
      open.set(key, { records: [record], deadline: now() + flushMs });
      if (open.size > counts.openPeak) counts.openPeak = open.size;
      arm();
    },
    flushExpired,
    flushAll,
    close() {
      if (closed) return;
      flushAll();
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    stats: () => ({ ...counts, open: open.size }),
  };
}
