// Delivers alerts and raw events to the configured destinations: alerts through the durable outbox with retries,
// backoff and dead letters; raw events by keyset paging over the event store behind a per-destination cursor.
// Never blocks ingest: `enqueueAlerts` only writes the deliveries to the outbox (one SQLite transaction, before it
// returns, so a crash right after an alert was stored does not lose its deliveries), and all network I/O runs in the
// background worker.

import { randomUUID } from 'node:crypto';
import { VigilError, createLogger } from '@vigil/common';
import { alertPasses, createExporter, eventPasses, type ExportAlert, type Exporter, type ExportRecord } from '@vigil/integrations';
import type { EventStore } from '@vigil/store';
import type { AlertRecord } from '../detection/detection-db.js';
import type { DestinationRecord, IntegrationsDb } from './integrations-db.js';

export interface IntegrationServiceOptions {
  db: IntegrationsDb;
  store: EventStore;
  /** How often an idle raw destination looks for new events. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Factory of exporters (tests replace it); default `createExporter`. */
  createExporter?: (destination: DestinationRecord) => Exporter;
}

export interface TestDelivery {
  delivered: boolean;
  error: string | null;
  latencyMs: number;
}

export interface IntegrationService {
  /** Starts the background worker. */
  start(): void;
  /** Writes a delivery of each new alert to the outbox of every matching alert destination before returning (kept in memory and retried only if the outbox write fails). */
  enqueueAlerts(alerts: readonly AlertRecord[]): void;
  /** Re-reads destinations after a change through the API (closes exporters of changed or removed ones). */
  reload(): void;
  /** Sends one test record to a destination right now, outside the outbox. */
  testDestination(id: string): Promise<TestDelivery>;
  /** Stops the worker, writes buffered alerts to the outbox and waits for deliveries in flight. */
  close(): Promise<void>;
}

const log = createLogger('server.integrations');
const MAX_IDLE_WAIT_MS = 1000;

export function toExportAlert(alert: AlertRecord): ExportAlert {
  return {
    id: alert.id,
    ruleId: alert.ruleId,
    ruleTitle: alert.ruleTitle,
    level: alert.level,
    kind: alert.kind,
    tags: alert.tags,
    hostId: alert.hostId,
    processKey: alert.processKey,
    firstSeen: alert.firstSeen,
    lastSeen: alert.lastSeen,
    count: alert.count,
    eventIds: alert.eventIds,
    fields: alert.fields,
    createdAt: alert.createdAt,
  };
}

/**
 * The keyset page query of raw forwarding: events after the cursor in (event.ingested, event.id) order. Safe without
 * any settle delay: the store gives every journal group a strictly later event.ingested and makes groups visible in
 * that order, so a group that is not visible yet sorts after everything this page can return.
 */
/** The page's cursor column: event.ingested with its microseconds (JavaScript dates keep only milliseconds). */
const CURSOR_COLUMN = 'vigil.cursor.ingested';

export function rawPageQuery(cursor: { ingested: string; eventId: string }, categories: readonly string[], limit: number): { sql: string; params: string[] } {
  const params = [cursor.ingested, cursor.eventId, ...categories];
  const categoryClause = categories.length ? ` AND "event.category" IN (${categories.map((_, i) => `$${i + 3}`).join(', ')})` : '';
  return {
    sql:
      `SELECT *, strftime("event.ingested", '%Y-%m-%dT%H:%M:%S.%fZ') AS "${CURSOR_COLUMN}" FROM events WHERE ("event.ingested" > CAST($1 AS TIMESTAMP) OR ("event.ingested" = CAST($1 AS TIMESTAMP) AND "event.id" > $2))` +
      `${categoryClause} ORDER BY "event.ingested", "event.id" LIMIT ${Math.max(1, Math.trunc(limit))}`,
    params,
  };
}

function testRecord(destination: DestinationRecord): ExportRecord {
  const now = new Date().toISOString();
  if (destination.stream === 'events') {
    return { type: 'event', event: { '@timestamp': now, 'event.id': randomUUID(), 'event.category': 'log', 'event.action': 'vigil_test', 'event.ingested': now, 'host.id': 'vigil-server', message: `Vigil test message for destination ${destination.name}` } };
  }
  return {
    type: 'alert',
    alert: { id: `test-${randomUUID()}`, ruleId: 'vigil-test', ruleTitle: `Vigil test message for destination ${destination.name}`, level: 'informational', kind: 'test', tags: ['vigil.test'], hostId: 'vigil-server', processKey: null, firstSeen: now, lastSeen: now, count: 1, eventIds: [], fields: [], createdAt: now },
  };
}

export function createIntegrationService(options: IntegrationServiceOptions): IntegrationService {
  const { db, store } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const makeExporter = options.createExporter ?? ((destination: DestinationRecord) => createExporter(destination.settings));
  let destinations: DestinationRecord[] = db.listDestinations();
  const exporters = new Map<string, { updatedAt: string; exporter: Exporter }>();
  const inFlight = new Map<string, Promise<void>>();
  /** Raw destinations whose last page was short: they wait `pollIntervalMs` before reading again. */
  const idleUntil = new Map<string, number>();
  let buffered: { destinationId: string; record: ExportRecord }[] = [];
  let flushScheduled = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let closing = false;

  /** Writes buffered deliveries to the outbox; on failure they stay buffered and the write is retried in a second. */
  function flush(): void {
    flushScheduled = false;
    if (!buffered.length) return;
    const entries = buffered;
    buffered = [];
    try {
      db.enqueue(entries);
    } catch (error) {
      buffered = entries.concat(buffered);
      log.error('could not write alerts to the outbox; retrying', { error: String(error), deliveries: entries.length });
      if (!flushScheduled && !closing) {
        flushScheduled = true;
        setTimeout(flush, 1000).unref();
      }
      return;
    }
    wake();
  }

  function exporterFor(destination: DestinationRecord): Exporter {
    const cached = exporters.get(destination.id);
    if (cached && cached.updatedAt === destination.updatedAt) return cached.exporter;
    if (cached) void cached.exporter.close().catch(() => undefined);
    const exporter = makeExporter(destination);
    exporters.set(destination.id, { updatedAt: destination.updatedAt, exporter });
    return exporter;
  }

  async function deliverAlerts(destination: DestinationRecord): Promise<boolean> {
    const batch = db.nextBatch(destination.id, destination.batchSize);
    if (!batch.length) return false;
    try {
      await exporterFor(destination).send(batch.map((entry) => entry.record));
      db.markSent(destination.id, batch.map((entry) => entry.id));
    } catch (error) {
      const message = VigilError.wrap(error, 'unavailable').message;
      const died = db.markFailed(destination.id, batch.map((entry) => entry.id), message, destination.retry);
      log.warn('delivery failed', { destination: destination.name, deliveries: batch.length, dead_lettered: died, error: message });
    }
    return true;
  }

  async function forwardEvents(destination: DestinationRecord): Promise<void> {
    const cursor = db.state(destination.id)?.cursor ?? { ingested: new Date().toISOString(), eventId: '' };
    let full = false;
    try {
      const rows = await store.search(rawPageQuery(cursor, destination.filters.categories ?? [], destination.batchSize));
      full = rows.length >= destination.batchSize;
      const last = rows[rows.length - 1];
      const lastCursor = last ? { ingested: String(last[CURSOR_COLUMN]), eventId: String(last['event.id']) } : undefined;
      for (const row of rows) delete row[CURSOR_COLUMN];
      const events = rows.filter((row) => eventPasses(destination.filters, row));
      if (!rows.length) return;
      if (events.length) await exporterFor(destination).send(events.map((event) => ({ type: 'event', event })));
      db.markPageSent(destination.id, lastCursor!, events.length);
    } catch (error) {
      const message = VigilError.wrap(error, 'unavailable').message;
      db.markPageFailed(destination.id, message, destination.retry);
      log.warn('raw forwarding failed', { destination: destination.name, error: message });
    } finally {
      if (full) idleUntil.delete(destination.id);
      else idleUntil.set(destination.id, Date.now() + pollIntervalMs);
    }
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, delayMs));
  }

  function wake(): void {
    schedule(0);
  }

  function tick(): void {
    timer = undefined;
    if (!running) return;
    const now = Date.now();
    let nextWake = now + MAX_IDLE_WAIT_MS;
    for (const destination of destinations) {
      if (!destination.enabled || inFlight.has(destination.id)) continue;
      const state = db.state(destination.id);
      if (!state) continue;
      if (state.nextAttemptMs > now) {
        nextWake = Math.min(nextWake, state.nextAttemptMs);
        continue;
      }
      if (destination.stream === 'events') {
        const idle = idleUntil.get(destination.id) ?? 0;
        if (idle > now) {
          nextWake = Math.min(nextWake, idle);
          continue;
        }
      }
      const work = destination.stream === 'events' ? forwardEvents(destination) : deliverAlerts(destination).then(() => undefined);
      const tracked = work
        .catch((error: unknown) => log.error('delivery worker failed', { destination: destination.name, error: String(error) }))
        .finally(() => {
          inFlight.delete(destination.id);
          wake();
        });
      inFlight.set(destination.id, tracked);
    }
    schedule(nextWake - now);
  }

  return {
    start() {
      if (running || closing) return;
      running = true;
      wake();
    },

    enqueueAlerts(alerts) {
      for (const destination of destinations) {
        if (!destination.enabled || destination.stream !== 'alerts') continue;
        for (const alert of alerts) {
          if (alertPasses(destination.filters, alert)) buffered.push({ destinationId: destination.id, record: { type: 'alert', alert: toExportAlert(alert) } });
        }
      }
      if (buffered.length && !flushScheduled) flush();
    },

    reload() {
      destinations = db.listDestinations();
      const current = new Map(destinations.map((d) => [d.id, d]));
      for (const [id, cached] of exporters) {
        const destination = current.get(id);
        if (!destination || !destination.enabled || destination.updatedAt !== cached.updatedAt) {
          exporters.delete(id);
          const pending = inFlight.get(id) ?? Promise.resolve();
          void pending.then(() => cached.exporter.close()).catch(() => undefined);
        }
      }
      for (const id of idleUntil.keys()) if (!current.has(id)) idleUntil.delete(id);
      wake();
    },

    async testDestination(id) {
      const destination = db.getDestination(id);
      if (!destination) throw new VigilError('not_found', 'no such destination');
      const exporter = makeExporter(destination);
      const started = Date.now();
      try {
        await exporter.send([testRecord(destination)]);
        return { delivered: true, error: null, latencyMs: Date.now() - started };
      } catch (error) {
        return { delivered: false, error: VigilError.wrap(error, 'unavailable').message, latencyMs: Date.now() - started };
      } finally {
        await exporter.close().catch(() => undefined);
      }
    },

    async close() {
      closing = true;
      running = false;
      if (timer) clearTimeout(timer);
      flush();
      await Promise.all(inFlight.values());
      await Promise.all([...exporters.values()].map((cached) => cached.exporter.close().catch(() => undefined)));
      exporters.clear();
    },
  };
}
