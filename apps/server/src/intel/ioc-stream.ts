// Stream matching of indicators in the detection path: an IOC matcher (@vigil/intel) holding every live indicator,
// loaded at start, changed incrementally as indicators are stored, deleted or expire, and run over each accepted batch
// after the Sigma rules; every hit becomes a detection of kind `ioc` naming the indicator, its type and source.
// Never blocks on anything but memory; never throws into the detection path.

import { createLogger } from '@vigil/common';
import type { DetectEvent, Detection, SigmaLevel } from '@vigil/detect';
import { createIocMatcher, type IndicatorType, type IocMatcher } from '@vigil/intel';
import type { IndicatorRecord, IntelDb } from './intel-db.js';

const log = createLogger('server.intel.stream');

/** What the matcher keeps per indicator (not the description, to keep a million indicators small). */
interface LiveIndicator {
  id: string;
  type: IndicatorType;
  value: string;
  source: string;
  confidence: number | null;
  expiresAt: string | null;
}

export interface IocStream {
  /** Detections for the events that match indicators (one per indicator and event). */
  match(events: readonly DetectEvent[]): Detection[];
  /** `hitsByType`: stream matches (alerts) per indicator type since the server started. */
  stats(): { indicators: number; byType: Record<IndicatorType, number>; eventsMatched: number; hits: number; hitsByType: Partial<Record<IndicatorType, number>>; loadMs: number };
  close(): void;
}

/** Alert level of an IOC hit from the indicator's confidence: unknown or >= 80 high, >= 50 medium, else low. */
export function iocLevel(confidence: number | null): SigmaLevel {
  if (confidence === null || confidence >= 80) return 'high';
  return confidence >= 50 ? 'medium' : 'low';
}

const live = (i: IndicatorRecord): LiveIndicator => ({ id: i.id, type: i.type, value: i.value, source: i.source, confidence: i.confidence, expiresAt: i.expiresAt });

export function createIocStream(deps: { db: IntelDb; expiryCheckMs?: number; now?: () => string }): IocStream {
  const now = deps.now ?? (() => new Date().toISOString());
  const started = performance.now();
  const matcher: IocMatcher<LiveIndicator> = createIocMatcher<LiveIndicator>();
  let lastExpiryCheck = now();
  const batch: LiveIndicator[] = [];
  deps.db.forEachLive(lastExpiryCheck, (indicator) => {
    batch.push(live(indicator));
    if (batch.length >= 10_000) matcher.add(batch.splice(0));
  });
  matcher.add(batch.splice(0));
  const loadMs = Math.round(performance.now() - started);
  log.info('indicators loaded for stream matching', { indicators: matcher.size, ms: loadMs });
  const counters = { eventsMatched: 0, hits: 0 };
  const hitsByType: Partial<Record<IndicatorType, number>> = {};

  const unsubscribe = deps.db.onIndicatorsChanged((change) => {
    const at = now();
    matcher.remove(change.removed);
    const expired = change.upserted.filter((i) => i.expiresAt !== null && i.expiresAt <= at).map((i) => i.id);
    matcher.remove(expired);
    matcher.add(change.upserted.filter((i) => i.expiresAt === null || i.expiresAt > at).map(live));
  });
  const expiryTimer = setInterval(() => {
    const at = now();
    const expired = deps.db.expiredBetween(lastExpiryCheck, at);
    lastExpiryCheck = at;
    if (expired.length) {
      matcher.remove(expired);
      log.info('indicators expired', { count: expired.length });
    }
  }, deps.expiryCheckMs ?? 30_000);
  expiryTimer.unref();

  return {
    match(events) {
      if (matcher.size === 0) return [];
      const detections: Detection[] = [];
      const at = now();
      for (const event of events) {
        const hits = matcher.match(event as Record<string, unknown>);
        if (!hits.length) continue;
        counters.eventsMatched++;
        for (const hit of hits) {
          const indicator = hit.indicator;
          // Expiry between two checks of the timer: never alert on an indicator past its expiry.
          if (indicator.expiresAt !== null && indicator.expiresAt <= at) continue;
          counters.hits++;
          hitsByType[indicator.type] = (hitsByType[indicator.type] ?? 0) + 1;
          const pid = event['process.entity_id'] ?? event['process.pid'];
          detections.push({
            rule: { id: `ioc:${indicator.id}`, title: `IOC ${indicator.type} ${indicator.value} (${indicator.source})`, level: iocLevel(indicator.confidence), tags: ['ioc', `ioc.${indicator.type}`] },
            kind: 'ioc',
            hostId: String(event['host.id'] ?? ''),
            eventIds: [String(event['event.id'] ?? '')],
            time: String(event['@timestamp'] ?? at),
            fields: [
              { field: hit.field, value: hit.value },
              { field: 'ioc.type', value: indicator.type },
              { field: 'ioc.value', value: indicator.value },
              { field: 'ioc.source', value: indicator.source },
              { field: 'ioc.indicator_id', value: indicator.id },
              ...(indicator.confidence !== null ? [{ field: 'ioc.confidence', value: indicator.confidence }] : []),
            ],
            ...(pid !== undefined && pid !== null ? { processKey: String(pid) } : {}),
          } as Detection);
        }
      }
      return detections;
    },
    stats: () => ({ indicators: matcher.size, byType: matcher.counts(), ...counters, hitsByType: { ...hitsByType }, loadMs }),
    close() {
      clearInterval(expiryTimer);
      unsubscribe();
    },
  };
}
