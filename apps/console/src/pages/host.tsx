// One host: its state and agent health, the timeline (paged, filtered, "changes since a date"), processes,
// connections and alerts, and the actions the caller's role allows (revoke; response actions in their panel).

import { useEffect, useMemo, useState } from 'react';
import { api, query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { isIsolated } from '../api/hosts.js';
import type { Alert, EventPage, Host, HuntEvent, HuntFieldInfo, HuntResult } from '../api/types.js';
import { Card, ConfirmDialog, Empty, ErrorBox, LevelBadge, Loading, Mono, Page, StateBadge, StatusBadge, TabPanel, Clip, UrlTabs } from '../components/ui.js';
import { EventDetails } from '../components/event-details.js';
import { ResponsePanel } from '../components/response-panel.js';
import { HostChanges, HostInventory } from '../components/host-inventory.js';
import { VirtualTable, type Column } from '../components/virtual-table.js';
import { Link, useLocation } from '../router.js';
import { formatTime, relativeTime } from '../lib/time.js';
import { eventSummary } from '../lib/event-summary.js';
import { hostHealth } from '../lib/health.js';
import { useCan, useSession } from '../session.js';
import type { PageProps } from '../nav.js';

/** The event categories the server knows, from its field list (the schema), sorted by name. */
function useEventCategories(): string[] {
  const fields = useResource<HuntFieldInfo[]>('/api/v1/hunt/fields');
  return useMemo(() => [...new Set((fields.data ?? []).flatMap((field) => field.categories))].sort(), [fields.data]);
}

export default function HostPage({ params }: PageProps) {
  const id = params.id ?? '';
  const location = useLocation();
  const tab = location.search.get('tab') ?? 'timeline';
  const host = useResource<Host>(`/api/v1/hosts/${encodeURIComponent(id)}`, { refreshMs: 10_000 });
  const canManage = useCan('hosts:manage');
  const { hasRoute } = useSession();
  const [revoking, setRevoking] = useState(false);
  const h = host.data;
  const health = h ? hostHealth(h.counters, h.sources) : null;

  return (
    <Page
      title={h ? h.hostname : 'Host'}
      subtitle={
        h ? (
          <>
            <StateBadge state={h.state} /> {isIsolated(h) ? <StateBadge state="isolated" /> : null} <Mono>{h.id}</Mono>
          </>
        ) : undefined
      }
      actions={
        h && canManage && h.state !== 'revoked' ? (
          <button type="button" className="danger" onClick={() => setRevoking(true)}>
            Revoke host…
          </button>
        ) : null
      }
    >
      <ErrorBox error={host.error} />
      {!h && host.loading ? <Loading what="host" /> : null}
      {h ? (
        <div className="grid-2">
          <Card title="Host">
            <dl className="kv compact">
              <div className="kv-row"><dt>Operating system</dt><dd>{[h.os?.name, h.os?.version, h.os?.kernel].filter(Boolean).join(' ') || '–'}</dd></div>
              <div className="kv-row"><dt>Address</dt><dd>{h.address ?? '–'}</dd></div>
              <div className="kv-row"><dt>Agent version</dt><dd>{h.version ?? '–'}</dd></div>
              <div className="kv-row"><dt>Enrolled</dt><dd>{formatTime(h.enrolled_at)}</dd></div>
              <div className="kv-row"><dt>Last seen</dt><dd>{formatTime(h.last_seen)} ({relativeTime(h.last_seen)})</dd></div>
              <div className="kv-row"><dt>Uptime</dt><dd>{h.uptime_s ? `${Math.floor(h.uptime_s / 3600)} h ${Math.floor((h.uptime_s % 3600) / 60)} min` : '–'}</dd></div>
              {h.revoked_at ? <div className="kv-row"><dt>Revoked</dt><dd>{formatTime(h.revoked_at)}</dd></div> : null}
            </dl>
          </Card>
          <Card title="Agent health">
            <dl className="kv compact">
              {Object.entries(h.counters ?? {}).map(([k, v]) => (
                <div className="kv-row" key={k}><dt>{k}</dt><dd>{String(v)}</dd></div>
              ))}
              <div className="kv-row"><dt>lost / filtered</dt><dd className={health?.lost ? 'text-bad' : undefined}>{health?.lost ?? 0} / {health?.filtered ?? 0}</dd></div>
              {health?.problems.length ? <div className="kv-row"><dt>details</dt><dd className="small">{health.problems.map(([k, v]) => `${k} ${v}`).join(' · ')}</dd></div> : null}
            </dl>
          </Card>
          <ResponsePanel host={h} onChange={host.reload} />
        </div>
      ) : null}
      <UrlTabs
        label="Host views"
        active={tab}
        fallback="timeline"
        tabs={[
          { id: 'timeline', label: 'Timeline' },
          { id: 'changes', label: 'Changes', hidden: !hasRoute('GET', '/api/v1/hosts/:id/changes') },
          { id: 'processes', label: 'Processes' },
          { id: 'connections', label: 'Connections' },
          { id: 'inventory', label: 'Inventory', hidden: !hasRoute('GET', '/api/v1/hosts/:id/inventory') },
          { id: 'alerts', label: 'Alerts' },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'timeline' ? <Timeline hostId={id} /> : null}
        {tab === 'changes' ? <HostChanges hostId={id} /> : null}
        {tab === 'processes' ? <HostHunt hostId={id} kind="processes" /> : null}
        {tab === 'connections' ? <HostHunt hostId={id} kind="connections" /> : null}
        {tab === 'inventory' ? <HostInventory hostId={id} /> : null}
        {tab === 'alerts' ? <HostAlerts hostId={id} /> : null}
      </TabPanel>
      {revoking && h ? (
        <ConfirmDialog
          title={`Revoke ${h.hostname}`}
          confirmLabel="Revoke host"
          danger
          onClose={() => setRevoking(false)}
          onConfirm={async () => {
            await api.post(`/api/v1/hosts/${encodeURIComponent(id)}/revoke`, { reason: 'revoked in the console' });
            host.reload();
          }}
        >
          <p>The agent's certificate is refused from now on: it can no longer send events or heartbeats. This cannot be undone; the host must enroll again.</p>
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function Timeline({ hostId }: { hostId: string }) {
  const categories = useEventCategories();
  const [category, setCategory] = useState('');
  const [action, setAction] = useState('');
  const [since, setSince] = useState('');
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  const [events, setEvents] = useState<HuntEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<HuntEvent | null>(null);
  const filters = useMemo(() => ({ category, action, from: since ? new Date(since).toISOString() : undefined, order }), [category, action, since, order]);

  const load = async (after: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.get<EventPage>(`/api/v1/hosts/${encodeURIComponent(hostId)}/events${query({ limit: 200, ...filters, cursor: after ?? undefined })}`);
      setEvents((current) => (after ? [...current, ...page.events] : page.events));
      setCursor(page.next_cursor);
    } catch (reason) {
      setError(reason);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hostId, filters]);

  return (
    <div>
      <div className="toolbar">
        <label className="inline-field">
          Category{' '}
          <select value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">all</option>
            {categories.map((c) => (
              <option key={c} value={c}>{c}</option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          Action <input value={action} onChange={(e) => setAction(e.target.value.trim())} placeholder="start, connect…" size={12} />
        </label>
        <label className="inline-field">
          Changes since <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <label className="inline-field">
          Order{' '}
          <select value={order} onChange={(e) => setOrder(e.target.value as 'asc' | 'desc')}>
            <option value="desc">newest first</option>
            <option value="asc">oldest first</option>
          </select>
        </label>
      </div>
      <ErrorBox error={error} />
      <VirtualTable
        label="Host timeline"
        height={420}
        columns={[
          { name: '@timestamp', label: 'time', width: 200 },
          { name: 'event.category', label: 'category', width: 120 },
          { name: 'event.action', label: 'action', width: 120 },
          { name: 'summary', label: 'what', width: 560 },
          { name: 'user.name', label: 'user', width: 120 },
        ]}
        rows={events.map((e) => ({ ...e, '@timestamp': formatTime(String(e['@timestamp'])), summary: eventSummary(e), __event: e }))}
        onOpen={(row) => setOpen(row.__event as HuntEvent)}
      />
      <div className="toolbar">
        <span className="muted" role="status">
          {events.length} events{cursor ? ' (more available)' : ''}
        </span>
        {cursor ? (
          <button type="button" onClick={() => void load(cursor)} disabled={loading}>
            {loading ? 'Loading…' : 'Load older events'}
          </button>
        ) : null}
      </div>
      {open ? <EventDetails event={open} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

const hostQueries = {
  processes: { query: 'process where event.action == "start" | limit 2000', columns: ['@timestamp', 'process.pid', 'process.name', 'process.command_line', 'user.name', 'process.parent.pid'] },
  connections: { query: 'network | limit 2000', columns: ['@timestamp', 'event.action', 'process.name', 'process.pid', 'source.ip', 'source.port', 'destination.ip', 'destination.port', 'network.transport'] },
} as const;

function HostHunt({ hostId, kind }: { hostId: string; kind: keyof typeof hostQueries }) {
  const [result, setResult] = useState<HuntResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<HuntEvent | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    setResult(null);
    api
      .post<HuntResult>('/api/v1/hunt', { query: hostQueries[kind].query, host_ids: [hostId], limit: 2000 }, controller.signal)
      .then(setResult)
      .catch((reason: unknown) => !controller.signal.aborted && setError(reason));
    return () => controller.abort();
  }, [hostId, kind]);
  const columns: Column[] = hostQueries[kind].columns.map((name) => ({ name, ...(name === '@timestamp' ? { width: 200 } : {}) }));
  return (
    <div>
      <ErrorBox error={error} />
      {!result && !error ? <Loading what={kind} /> : null}
      {result ? (
        <>
          <p className="muted">
            {result.rows.length} {kind === 'processes' ? 'process starts' : 'connection events'}, newest first{result.truncated ? ' (only the newest 2,000)' : ''}. Open a row for its details and process tree.
          </p>
          <VirtualTable
            label={kind === 'processes' ? 'Processes' : 'Connections'}
            columns={columns}
            rows={result.rows.map((r) => ({ ...r, '@timestamp': formatTime(String(r['@timestamp'])), __event: r }))}
            height={420}
            onOpen={(row) => setOpen(row.__event as HuntEvent)}
          />
        </>
      ) : null}
      {open ? <EventDetails event={open} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

function HostAlerts({ hostId }: { hostId: string }) {
  const alerts = useResource<Alert[]>(`/api/v1/alerts${query({ host_id: hostId, limit: 500 })}`, { refreshMs: 30_000 });
  if (alerts.error) return <ErrorBox error={alerts.error} />;
  if (!alerts.data) return <Loading what="alerts" />;
  if (!alerts.data.length) return <Empty>No alerts on this host.</Empty>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Alert</th>
          <th scope="col">Level</th>
          <th scope="col">Status</th>
          <th scope="col">Last seen</th>
          <th scope="col" className="num">Count</th>
        </tr>
      </thead>
      <tbody>
        {alerts.data.map((a) => (
          <tr key={a.id}>
            <td>
              <Link to={`/alerts/${encodeURIComponent(a.id)}`}>
                <Clip text={a.ruleTitle} />
              </Link>
            </td>
            <td><LevelBadge level={a.level} /></td>
            <td><StatusBadge status={a.status} /></td>
            <td>{formatTime(a.lastSeen)}</td>
            <td className="num">{a.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
