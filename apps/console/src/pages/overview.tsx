// Overview: alerts by severity over time, open alerts by severity, top rules and hosts, host states, ingest rate and
// agent health (lost or filtered events). Refreshes itself while visible.

import { useEffect, useMemo, useRef, useState } from 'react';
import { api, query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { isIsolated, useHosts } from '../api/hosts.js';
import { useIsolation } from '../api/response.js';
import { closedStatuses, levels, type Alert, type DetectionMetrics, type Host, type HuntResult, type IngestCounters } from '../api/types.js';
import { Card, ErrorBox, Page, Stat, StateBadge, Empty } from '../components/ui.js';
import { TimeChart } from '../charts/time-chart.js';
import { BarChart } from '../charts/bar-chart.js';
import { DonutChart } from '../charts/donut-chart.js';
import { bucketize, relativeTime } from '../lib/time.js';
import { levelColors, stateColors } from '../lib/colors.js';
import { compactNumber } from '../lib/scale.js';
import { hostHealth } from '../lib/health.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';

const ranges = { '1h': { ms: 3_600_000, step: 300_000 }, '24h': { ms: 86_400_000, step: 3_600_000 }, '7d': { ms: 7 * 86_400_000, step: 6 * 3_600_000 } } as const;
type RangeKey = keyof typeof ranges;

export default function OverviewPage() {
  const [range, setRange] = useState<RangeKey>('24h');
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const { ms, step } = ranges[range];
  const start = Math.floor((now - ms) / step) * step + step;
  const canAlerts = useCan('alerts:read');
  const canEvents = useCan('events:read');
  const hosts = useHosts(15_000);
  const alerts = useResource<Alert[]>(canAlerts ? `/api/v1/alerts${query({ since: new Date(start).toISOString(), limit: 10000 })}` : null, { refreshMs: 30_000 });
  const open = useResource<{ level: string; status: string; count: number }[]>(canAlerts ? '/api/v1/alerts/summary' : null, { refreshMs: 30_000 });
  const ingest = useResource<IngestCounters>(useCan('hosts:read') ? '/api/v1/metrics/ingest' : null, { refreshMs: 10_000 });
  const detection = useResource<DetectionMetrics>(canAlerts ? '/api/v1/metrics/detection' : null, { refreshMs: 30_000 });
  const rate = useIngestRate(ingest.data);
  const [events, setEvents] = useState<HuntResult | null>(null);
  useEffect(() => {
    if (!canEvents) return;
    const controller = new AbortController();
    api
      .post<HuntResult>('/api/v1/hunt', { query: `any | timechart span=${step / 60_000}m count() as events`, start: new Date(start).toISOString(), limit: 10000 }, controller.signal)
      .then(setEvents)
      .catch(() => setEvents(null));
    return () => controller.abort();
  }, [canEvents, start, step]);

  const alertBuckets = useMemo(
    () => bucketize(alerts.data ?? [], { start, end: now + 1, stepMs: step, time: (a) => a.firstSeen, key: (a) => a.level, keys: levels }),
    [alerts.data, start, now, step],
  );
  const eventBuckets = useMemo(
    () => bucketize(events?.rows ?? [], { start, end: now + 1, stepMs: step, time: (r) => String(r['@timestamp']), key: () => 'events', weight: (r) => Number(r.events) || 0, keys: ['events'] }),
    [events, start, now, step],
  );
  const topRules = useMemo(() => top(alerts.data ?? [], (a) => a.ruleTitle, (a) => a.count), [alerts.data]);
  const topHosts = useMemo(() => top(alerts.data ?? [], (a) => a.hostId, (a) => a.count), [alerts.data]);
  const openByLevel = useMemo(() => {
    const counts: Record<string, number> = {};
    for (const row of open.data ?? []) if (!closedStatuses.has(row.status)) counts[row.level] = (counts[row.level] ?? 0) + row.count;
    return counts;
  }, [open.data]);
  const isolation = useIsolation(undefined, 15_000);
  const isolated = (h: Host) => isIsolated(h) || isolation.map.get(h.id)?.state === 'isolated';
  const hostList = hosts.data ?? [];
  const states = { online: 0, offline: 0, isolated: 0, revoked: 0 };
  for (const h of hostList) {
    if (isolated(h)) states.isolated++;
    if (h.state === 'online' || h.state === 'offline' || h.state === 'revoked') states[h.state as 'online' | 'offline' | 'revoked']++;
  }
  const health = hostList.filter((h) => h.state !== 'revoked').map((h) => ({ host: h, health: hostHealth(h.counters, h.sources) }));
  const lost = health.reduce((sum, h) => sum + h.health.lost, 0);
  const filtered = health.reduce((sum, h) => sum + h.health.filtered, 0);
  const openTotal = Object.values(openByLevel).reduce((a, b) => a + b, 0);

  return (
    <Page
      title="Overview"
      actions={
        <label className="inline-field">
          Range{' '}
          <select value={range} onChange={(e) => setRange(e.target.value as RangeKey)} data-testid="overview-range">
            <option value="1h">last hour</option>
            <option value="24h">last 24 hours</option>
            <option value="7d">last 7 days</option>
          </select>
        </label>
      }
    >
      <ErrorBox error={alerts.error ?? hosts.error} />
      <div className="stats-row">
        <Stat label="Hosts online" value={states.online} hint={`${states.offline} offline · ${states.revoked} revoked`} tone="good" testId="stat-online" />
        <Stat label="Hosts isolated" value={states.isolated} tone={states.isolated ? 'warn' : undefined} testId="stat-isolated" />
        <Stat label="Open alerts" value={openTotal} hint={`${openByLevel.critical ?? 0} critical · ${openByLevel.high ?? 0} high`} tone={openTotal ? 'bad' : undefined} testId="stat-open-alerts" />
        <Stat label="Ingest rate" value={rate === null ? '–' : `${compactNumber(rate)}/s`} hint={ingest.data ? `${compactNumber(ingest.data.accepted)} events since start` : undefined} testId="stat-ingest" />
        <Stat label="Events lost" value={compactNumber(lost)} hint={`${compactNumber(filtered)} filtered by sources`} tone={lost ? 'bad' : undefined} testId="stat-lost" />
        <Stat label="Rules active" value={detection.data?.rulesActive ?? '–'} hint={detection.data ? `${compactNumber(detection.data.eventsEvaluated)} events evaluated` : undefined} />
      </div>
      <div className="grid-2">
        <Card title="Alerts by severity over time" className="span-2">
          <TimeChart id="alerts-over-time" label="Alerts by severity over time" buckets={alertBuckets} series={levels.map((l) => ({ key: l, label: l, color: levelColors[l]! }))} mode="bars" stepMs={step} />
        </Card>
        <Card title="Open alerts by severity">
          {openTotal ? <DonutChart id="open-by-level" label="Open alerts by severity" parts={levels.map((l) => ({ key: l, label: l, value: openByLevel[l] ?? 0, color: levelColors[l]! }))} centerLabel="open" /> : <Empty>No open alerts.</Empty>}
        </Card>
        <Card title="Hosts">
          <DonutChart
            id="host-states"
            label="Hosts by state"
            parts={(['online', 'offline', 'isolated', 'revoked'] as const).map((s) => ({ key: s, label: s, value: states[s], color: stateColors[s]! }))}
            centerLabel="hosts"
          />
        </Card>
        <Card title="Top rules" actions={<Link to="/alerts">All alerts</Link>}>
          {topRules.length ? <BarChart id="top-rules" label="Rules with the most detections" items={topRules.map(([key, value]) => ({ key, label: key, value, href: `/alerts?q=${encodeURIComponent(key)}` }))} color="#f97316" /> : <Empty>No alerts in this range.</Empty>}
        </Card>
        <Card title="Top hosts" actions={<Link to="/hosts">All hosts</Link>}>
          {topHosts.length ? <BarChart id="top-hosts" label="Hosts with the most detections" items={topHosts.map(([key, value]) => ({ key, label: hosts.nameOf(key), value, href: key ? `/hosts/${encodeURIComponent(key)}` : '/alerts' }))} /> : <Empty>No alerts in this range.</Empty>}
        </Card>
        {canEvents ? (
          <Card title="Events stored" className="span-2">
            <TimeChart id="events-over-time" label="Events stored over time" buckets={eventBuckets} series={[{ key: 'events', label: 'events', color: '#38bdf8' }]} mode="area" stepMs={step} />
          </Card>
        ) : null}
        <Card title="Agent health" className="span-2">
          {health.length ? (
            <table className="table" data-testid="agent-health">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">State</th>
                  <th scope="col">Last seen</th>
                  <th scope="col" className="num">Collected</th>
                  <th scope="col" className="num">Sent</th>
                  <th scope="col" className="num">Spooled</th>
                  <th scope="col" className="num">Lost</th>
                  <th scope="col" className="num">Filtered</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {health.map(({ host, health: h }) => (
                  <tr key={host.id} className={h.lost ? 'row-bad' : undefined}>
                    <td>
                      <Link to={`/hosts/${encodeURIComponent(host.id)}`}>{host.hostname}</Link>
                    </td>
                    <td>
                      <StateBadge state={isolated(host) ? 'isolated' : host.state} />
                    </td>
                    <td>{relativeTime(host.last_seen, now)}</td>
                    <td className="num">{compactNumber(host.counters?.collected ?? 0)}</td>
                    <td className="num">{compactNumber(host.counters?.sent ?? 0)}</td>
                    <td className="num">{compactNumber(host.counters?.spooled ?? 0)}</td>
                    <td className="num" data-testid="health-lost">{compactNumber(h.lost)}</td>
                    <td className="num" data-testid="health-filtered">{compactNumber(h.filtered)}</td>
                    <td className="small">{h.problems.map(([k, v]) => `${k} ${v}`).join(' · ') || 'no losses'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No enrolled hosts yet. Enroll one from the Hosts page.</Empty>
          )}
        </Card>
      </div>
    </Page>
  );
}

function top<T>(items: readonly T[], key: (item: T) => string, weight: (item: T) => number, n = 8): [string, number][] {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(key(item), (sums.get(key(item)) ?? 0) + weight(item));
  return [...sums].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
}

/** Events per second between the last two samples of the ingest counters. */
function useIngestRate(counters: IngestCounters | undefined): number | null {
  const last = useRef<{ at: number; accepted: number } | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  useEffect(() => {
    if (!counters) return;
    const now = performance.now();
    const previous = last.current;
    last.current = { at: now, accepted: counters.accepted };
    if (previous && now - previous.at > 500) setRate(Math.max(0, ((counters.accepted - previous.accepted) * 1000) / (now - previous.at)));
  }, [counters]);
  return rate;
}
