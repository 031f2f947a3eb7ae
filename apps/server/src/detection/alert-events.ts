// Alerts as events: writes one `alert` event to the event store for each alert the detection database creates and for
// feedback on an alert, so the hunting language queries alerts like telemetry. Never blocks or fails the path that stored the alert.

import { randomUUID } from 'node:crypto';
import { createLogger, VigilError } from '@vigil/common';
import { sigmaLevels } from '@vigil/detect';
import { compileHunt } from '@vigil/hunt';
import { categoryByName, checkEvent, fieldSets, type VigilEvent } from '@vigil/schema';
import type { EventStore } from '@vigil/store';
import { alertContextOf, CONTEXT_FIELDS } from './alert-context.js';
import type { AlertContexts, AlertRecord } from './detection-db.js';

const log = createLogger('server.alert-events');

/**
 * The store append key (watermark and event.sequence counter) of alert events. Not a host: each event's `host.id` is
 * the alerted host. Never equal to an agent id (a UUID) or an imported host id (`imported-...`).
 */
export const ALERT_STREAM = 'vigil-server.alerts';
/** Alerts waiting to be written beyond this many are dropped (counted in `stats().dropped`): a storm must not grow memory. */
export const MAX_QUEUED_ALERTS = 10_000;
/** `host.id` of alerts that name no host (an external alert about a host Vigil does not know). */
export const NO_HOST = 'unknown';

const TECHNIQUE_TAG = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Source events looked up per query (the hunting language's `in` holds at most 1000 values). */
const LOOKUP_CHUNK = 200;
/**
 * How far from the alert's first and last time its first event may lie: a detection is dated at its event, but a
 * correlation at its last event (its first may be a rule window earlier), and repeats can widen the alert's span.
 */
const LOOKUP_SLACK_MS = 5 * 60 * 1000;
const CORRELATION_SLACK_MS = 24 * 60 * 60 * 1000;

const alertCategory = categoryByName.get('alert')!;
/** Anomaly detail fields an anomaly alert carries in its `fields` (docs/anomaly.md) that the alert category defines. */
const ANOMALY_FIELDS: ReadonlySet<string> = new Set(fieldSets['alert']!.map((f) => f.name).filter((name) => name.startsWith('anomaly.')));

export interface AlertFeedback {
  verdict: 'expected';
  actor: string;
  note?: string;
}

export interface AlertEventStats {
  written: number;
  /** Alert events the store or the validator refused (logged). */
  failed: number;
  /** Alert events not queued because the queue was full or the writer closed. */
  dropped: number;
  /** Alert events written at close without the process context of their event (the store is not searched then). */
  withoutContext: number;
}

export interface AlertEventWriter {
  /**
   * Queues one `created` event per alert (the DetectionDb listener). Returns at once; events are written in order.
   * `contexts` (event id → the event's context fields) spares reading an alert's first event back from the store.
   */
  alertsCreated(alerts: readonly AlertRecord[], contexts?: AlertContexts): void;
  /** Queues one `feedback` event per alert, with the alert as it is now (its status after the feedback). */
  feedback(alerts: readonly AlertRecord[], feedback: AlertFeedback): void;
  /** Resolves when every event queued before the call was written or refused. */
  flush(): Promise<void>;
  stats(): AlertEventStats;
  /** Stops taking new alerts and waits for the queued ones; call before the store closes. */
  close(): Promise<void>;
}

export interface AlertEventJob {
  alert: AlertRecord;
  action: 'created' | 'feedback';
  feedback?: AlertFeedback;
  /** When the job was queued (the time of a feedback event). */
  at: string;
  /** Context fields of the alert's first event, when its creator had the event; otherwise read from the store. */
  source?: Record<string, unknown>;
}

/** Builds the `alert` event of one alert (`event.sequence` 0 until written), taking process context from its first event. */
export function alertEvent(job: AlertEventJob, source: Record<string, unknown> | undefined): Record<string, unknown> {
  const { alert, action } = job;
  const event: Record<string, unknown> = source ? alertContextOf(source) : {};
  for (const hit of alert.fields) {
    const name = hit.field === 'explanation' && alert.kind === 'anomaly' ? 'anomaly.explanation' : hit.field;
    if ((ANOMALY_FIELDS.has(name) || CONTEXT_FIELDS.has(name)) && event[name] === undefined) event[name] = hit.value;
  }
  const techniques = [...new Set(alert.tags.map((tag) => TECHNIQUE_TAG.exec(tag)?.[1]?.toUpperCase()).filter((t): t is string => t !== undefined))];
  Object.assign(event, {
    '@timestamp': action === 'created' && Number.isFinite(Date.parse(alert.firstSeen)) ? alert.firstSeen : job.at,
    'event.id': randomUUID(),
    'event.sequence': 0,
    'event.category': 'alert',
    'event.action': action,
    'event.type': action === 'created' ? 'info' : 'change',
    'event.kind': 'alert',
    'event.provider': 'vigil-server',
    'host.id': alert.hostId || NO_HOST,
    message: alert.ruleTitle,
    'alert.id': alert.id,
    'rule.id': alert.ruleId,
    'rule.name': alert.ruleTitle,
    'rule.ruleset': alert.kind,
    'alert.level': alert.level,
    'event.severity': sigmaLevels.indexOf(alert.level) + 1 || undefined,
    'alert.status': action === 'created' ? 'new' : alert.status,
    ...(alert.tags.length ? { tags: alert.tags.slice(0, 64) } : {}),
    ...(alert.eventIds.length ? { 'alert.event_ids': alert.eventIds.slice(0, 50) } : {}),
    ...(techniques.length ? { 'threat.technique.id': techniques } : {}),
    ...(job.feedback ? { 'alert.verdict': job.feedback.verdict, 'alert.actor': job.feedback.actor } : {}),
  });
  if (job.feedback?.note) event['message'] = `${alert.ruleTitle} – marked ${job.feedback.verdict} by ${job.feedback.actor}: ${job.feedback.note}`;
  return event;
}

/**
 * Validates an alert event as the server's own; a context field with a value the schema refuses is left out rather
 * than losing the alert. Returns undefined when a field the category requires is wrong.
 */
export function checkAlertEvent(event: Record<string, unknown>): VigilEvent | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    const check = checkEvent(event, 'alert', 50, 'server');
    if (check.category) return event as unknown as VigilEvent;
    let removed = false;
    for (const problem of check.problems) {
      const match = /^alert\[("(?:[^"\\]|\\.)*")\]$/.exec(problem.location?.path ?? '');
      const name = match ? (JSON.parse(match[1]!) as string) : undefined;
      if (name !== undefined && !alertCategory.requiredFields.includes(name) && name in event) {
        delete event[name];
        removed = true;
      }
    }
    if (!removed) break;
  }
  return undefined;
}

export function createAlertEventWriter(deps: { store: EventStore }): AlertEventWriter {
  const { store } = deps;
  const stats: AlertEventStats = { written: 0, failed: 0, dropped: 0, withoutContext: 0 };
  let queue: AlertEventJob[] = [];
  let draining: Promise<void> | null = null;
  let closed = false;
  let sequence: number | undefined;
  let warnedFull = false;

  function enqueue(jobs: AlertEventJob[]): void {
    if (closed) {
      stats.dropped += jobs.length;
      return;
    }
    const room = Math.max(0, MAX_QUEUED_ALERTS - queue.length);
    if (jobs.length > room) {
      stats.dropped += jobs.length - room;
      if (!warnedFull) log.warn('alert events dropped: the queue is full (alerts stay in the detection database)', { queued: queue.length });
      warnedFull = true;
      jobs = jobs.slice(0, room);
    }
    if (!jobs.length) return;
    queue.push(...jobs);
    draining ??= drain().finally(() => (draining = null));
  }

  async function drain(): Promise<void> {
    while (queue.length) {
      const jobs = queue;
      queue = [];
      warnedFull = false;
      try {
        await write(jobs);
      } catch (error) {
        stats.failed += jobs.length;
        log.error('writing alert events failed (the alerts stay in the detection database)', { alerts: jobs.length, error: VigilError.wrap(error).message });
      }
    }
  }

  /** The first event of each alert, by id, from the store (hosts and time bounded). */
  async function sources(jobs: readonly AlertEventJob[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const wanted = jobs.filter((j) => !j.source && j.alert.hostId && EVENT_ID.test(j.alert.eventIds[0] ?? ''));
    for (let i = 0; i < wanted.length && !closed; i += LOOKUP_CHUNK) {
      const chunk = wanted.slice(i, i + LOOKUP_CHUNK);
      const ids = [...new Set(chunk.map((j) => j.alert.eventIds[0]!))];
      const first = Math.min(...chunk.map((j) => Date.parse(j.alert.firstSeen) - (j.alert.kind === 'correlation' ? CORRELATION_SLACK_MS : LOOKUP_SLACK_MS)));
      const last = Math.max(...chunk.map((j) => Date.parse(j.alert.lastSeen) + LOOKUP_SLACK_MS));
      const options = {
        hostIds: [...new Set(chunk.map((j) => j.alert.hostId))],
        limit: ids.length,
        ...(Number.isFinite(first) && Number.isFinite(last) ? { start: new Date(first).toISOString(), end: new Date(last).toISOString() } : {}),
      };
      const query = compileHunt(`any where event.id in_cs (${ids.map((id) => JSON.stringify(id)).join(', ')})`, options);
      for (const row of await store.search(query)) if (typeof row['event.id'] === 'string') found.set(row['event.id'], row);
    }
    return found;
  }

  async function write(jobs: readonly AlertEventJob[]): Promise<void> {
    let context = new Map<string, Record<string, unknown>>();
    // Once closing, what is queued is written at once without searching the store for its events' context: a backlog
    // of searches would hold the server's stop for minutes.
    if (!closed && jobs.some((job) => !job.source)) {
      try {
        context = await sources(jobs);
      } catch (error) {
        log.warn('cannot read the events behind alerts; alert events go without process context', { error: VigilError.wrap(error).message });
      }
    }
    const sourceOf = (job: AlertEventJob) => job.source ?? context.get(job.alert.eventIds[0] ?? '');
    if (closed) stats.withoutContext += jobs.filter((job) => !sourceOf(job)).length;
    const events: VigilEvent[] = [];
    for (const job of jobs) {
      const event = checkAlertEvent(alertEvent(job, sourceOf(job)));
      if (event) events.push(event);
      else {
        stats.failed++;
        log.error('an alert event did not validate and was not written', { alert: job.alert.id, rule: job.alert.ruleId });
      }
    }
    if (!events.length) return;
    sequence ??= await store.watermark(ALERT_STREAM);
    for (const event of events) (event as { 'event.sequence': number })['event.sequence'] = ++sequence;
    const result = await store.append(ALERT_STREAM, events);
    stats.written += result.accepted;
  }

  async function flush(): Promise<void> {
    while (draining) await draining;
  }

  return {
    alertsCreated(alerts, contexts) {
      const at = new Date().toISOString();
      enqueue(
        alerts.map((alert) => {
          const source = contexts?.get(alert.eventIds[0] ?? '');
          return source ? { alert, action: 'created', at, source } : { alert, action: 'created', at };
        }),
      );
    },
    feedback(alerts, feedback) {
      const at = new Date().toISOString();
      enqueue(alerts.map((alert) => ({ alert, action: 'feedback', feedback, at })));
    },
    flush,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      await flush();
      if (stats.withoutContext) log.info('alert events written at close without process context', { events: stats.withoutContext });
    },
  };
}
