// Alerts: triage list (filters, status and assignee per alert, bulk actions on a selection) and incidents (grouped by
// the server: same host and process tree within a window; triage of an incident reaches all its alerts). Actions
// appear only for roles with alerts:manage.

import { useMemo, useState } from 'react';
import { api, errorMessage, query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import { alertStatuses, closedStatuses, levels, type Alert, type AlertStatus, type Incident } from '../api/types.js';
import { Empty, ErrorBox, LevelBadge, Loading, Page, StatusBadge, TabPanel, Notice, Clip, UrlTabs } from '../components/ui.js';
import { FilterSelect, SearchField, useSearchText, hostOptions, spacedOptions } from '../components/filters.js';
import { Link, setSearchParam, useLocation } from '../router.js';
import { formatTime, relativeTime } from '../lib/time.js';
import { toggled } from '../lib/sets.js';
import { useCan, useSession } from '../session.js';

export default function AlertsPage() {
  const location = useLocation();
  const view = location.search.get('view') ?? 'list';
  const status = location.search.get('status') ?? 'open';
  const level = location.search.get('level') ?? '';
  const host = location.search.get('host') ?? '';
  const [text, setText] = useSearchText();
  const canManage = useCan('alerts:manage');
  const { state } = useSession();
  const me = state.status === 'ready' ? state.info.name : '';
  const hosts = useHosts();
  const alerts = useResource<Alert[]>(
    `/api/v1/alerts${query({ status: status === 'open' || status === 'all' ? undefined : status, level: level || undefined, host_id: host || undefined, limit: 2000 })}`,
    { refreshMs: 20_000 },
  );
  const incidentList = useResource<Incident[]>(
    view === 'incidents' ? `/api/v1/incidents${query({ status: status === 'all' ? undefined : status, host_id: host || undefined, limit: 500 })}` : null,
    { refreshMs: 20_000 },
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkStatus, setBulkStatus] = useState<AlertStatus>('acknowledged');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const list = useMemo(() => {
    const needle = text.toLowerCase();
    return (alerts.data ?? []).filter(
      (a) => (status !== 'open' || !closedStatuses.has(a.status)) && (!needle || `${a.ruleTitle} ${a.tags.join(' ')} ${hosts.nameOf(a.hostId)} ${a.assignee ?? ''}`.toLowerCase().includes(needle)),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [alerts.data, text, status, hosts.names]);
  const incidents = useMemo(() => {
    const needle = text.toLowerCase();
    return (incidentList.data ?? []).filter(
      (i) => (!level || i.level === level) && (!needle || `${i.rules.join(' ')} ${i.tags.join(' ')} ${hosts.nameOf(i.hostId)} ${i.assignee ?? ''}`.toLowerCase().includes(needle)),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [incidentList.data, text, level, hosts.names]);

  const patchIncident = async (id: string, body: { status?: AlertStatus; assignee?: string | null }) => {
    setBusy(true);
    setMessage(null);
    try {
      const updated = await api.patch<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`, body);
      setMessage(`Incident updated: ${updated.alertCount} alert${updated.alertCount === 1 ? '' : 's'}`);
    } catch (error) {
      setMessage(`Incident not updated: ${errorMessage(error)}`);
    }
    setBusy(false);
    incidentList.reload();
    alerts.reload();
  };
  const patch = async (ids: readonly string[], body: { status?: AlertStatus; assignee?: string | null }) => {
    setBusy(true);
    setMessage(null);
    const failures: string[] = [];
    for (const id of ids) {
      try {
        await api.patch(`/api/v1/alerts/${encodeURIComponent(id)}`, body);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    setBusy(false);
    setMessage(failures.length ? `${ids.length - failures.length} updated, ${failures.length} failed: ${failures[0]}` : `${ids.length} alert${ids.length === 1 ? '' : 's'} updated`);
    setSelected(new Set());
    alerts.reload();
  };

  const toggle = (id: string) => setSelected((current) => toggled(current, id));
  const allSelected = list.length > 0 && list.every((a) => selected.has(a.id));

  return (
    <Page title="Alerts" subtitle={alerts.data ? `${list.length} shown` : undefined}>
      <div className="toolbar" role="search">
        <SearchField
          label="Search alerts"
          placeholder="Search rule, tag, host or assignee  ( / )"
          value={text}
          onChange={setText}
        />
        <FilterSelect
          label="Status"
          value={status}
          onChange={(value) => setSearchParam('status', value === 'open' ? null : value)}
          testId="filter-status"
          anyLabel={null}
          options={[{ value: 'open', label: 'open' }, { value: 'all', label: 'all' }, ...spacedOptions(alertStatuses)]}
        />
        <FilterSelect label="Level" value={level} onChange={(value) => setSearchParam('level', value)} options={levels} />
        <FilterSelect label="Host" value={host} onChange={(value) => setSearchParam('host', value)} options={hostOptions(hosts.data)} />
      </div>
      <UrlTabs
        label="Alert views"
        active={view}
        param="view"
        fallback="list"
        tabs={[
          { id: 'list', label: 'Alerts' },
          { id: 'incidents', label: `Incidents${incidentList.data ? ` (${incidents.length})` : ''}` },
        ]}
      />
      <ErrorBox error={view === 'incidents' ? incidentList.error : alerts.error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      {view !== 'incidents' && !alerts.data && alerts.loading ? <Loading what="alerts" /> : null}
      {view === 'incidents' && !incidentList.data && incidentList.loading ? <Loading what="incidents" /> : null}
      <TabPanel id={view}>
        {view === 'list' ? (
          <>
            {canManage ? (
              <div className="toolbar bulk" aria-label="Bulk actions">
                <span className="muted">{selected.size} selected</span>
                <FilterSelect label="Set status" value={bulkStatus} onChange={(value) => setBulkStatus(value as AlertStatus)} disabled={!selected.size} testId="bulk-status" anyLabel={null} options={spacedOptions(alertStatuses)} />
                <button type="button" disabled={!selected.size || busy} onClick={() => void patch([...selected], { status: bulkStatus })} data-testid="bulk-apply">
                  Apply to selected
                </button>
                <button type="button" disabled={!selected.size || busy} onClick={() => void patch([...selected], { assignee: me })}>
                  Assign to me
                </button>
                <button type="button" disabled={!selected.size || busy} onClick={() => void patch([...selected], { assignee: null })}>
                  Unassign
                </button>
              </div>
            ) : null}
            {alerts.data && !list.length ? <Empty>No alerts match.</Empty> : null}
            {list.length ? (
              <table className="table" data-testid="alerts-table">
                <thead>
                  <tr>
                    {canManage ? (
                      <th scope="col" className="check">
                        <input
                          type="checkbox"
                          aria-label="Select all shown alerts"
                          checked={allSelected}
                          onChange={() => setSelected(allSelected ? new Set() : new Set(list.map((a) => a.id)))}
                        />
                      </th>
                    ) : null}
                    <th scope="col">Level</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Host</th>
                    <th scope="col">Status</th>
                    <th scope="col">Assignee</th>
                    <th scope="col" className="num">Count</th>
                    <th scope="col">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.id} data-alert-id={a.id}>
                      {canManage ? (
                        <td className="check">
                          <input type="checkbox" aria-label={`Select ${a.ruleTitle} on ${hosts.nameOf(a.hostId)}`} checked={selected.has(a.id)} onChange={() => toggle(a.id)} />
                        </td>
                      ) : null}
                      <td><LevelBadge level={a.level} /></td>
                      <td>
                        <Link to={`/alerts/${encodeURIComponent(a.id)}`}>
                          <Clip text={a.ruleTitle} max={70} />
                        </Link>
                        <div className="small muted">{a.tags.filter((t) => t.startsWith('attack.t')).join(' ')}</div>
                      </td>
                      <td>{a.hostId ? <Link to={`/hosts/${encodeURIComponent(a.hostId)}`}>{hosts.nameOf(a.hostId)}</Link> : <span className="muted">external</span>}</td>
                      <td>
                        {canManage ? (
                          <select
                            aria-label={`Status of ${a.ruleTitle}`}
                            value={a.status}
                            disabled={busy}
                            onChange={(e) => void patch([a.id], { status: e.target.value as AlertStatus })}
                            data-testid="row-status"
                          >
                            {alertStatuses.map((s) => (
                              <option key={s} value={s}>
                                {s.replace('_', ' ')}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <StatusBadge status={a.status} />
                        )}
                      </td>
                      <td>{a.assignee ?? <span className="muted">–</span>}</td>
                      <td className="num">{a.count}</td>
                      <td title={formatTime(a.lastSeen)}>{relativeTime(a.lastSeen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </>
        ) : (
          <div className="incidents">
            <p className="muted">
              The server groups alerts of the same host whose processes share a process tree, within its incident window (30 minutes by default). Status and assignee set here apply to every alert of the incident.
            </p>
            {incidentList.data && !incidents.length ? <Empty>No incidents.</Empty> : null}
            {incidents.map((incident) => (
              <details key={incident.id} className="incident" data-testid="incident" data-incident-id={incident.id} open={incidents.length <= 5}>
                <summary>
                  <LevelBadge level={incident.level} /> <StatusBadge status={incident.status} /> <strong>{incident.hostId ? hosts.nameOf(incident.hostId) : 'external'}</strong> · {incident.alertCount} alert{incident.alertCount === 1 ? '' : 's'} ({incident.openAlerts} open) · {formatTime(incident.firstSeen)} – {formatTime(incident.lastSeen)}
                  {incident.assignee ? <> · assigned to {incident.assignee}</> : null}
                  <div className="small muted">{incident.tags.join(' ')}</div>
                </summary>
                {canManage ? (
                  <div className="toolbar" aria-label="Incident triage">
                    <FilterSelect
                      label="Incident status"
                      value={incident.status}
                      onChange={(value) => void patchIncident(incident.id, { status: value as AlertStatus })}
                      disabled={busy}
                      testId="incident-status"
                      anyLabel={null}
                      options={spacedOptions(alertStatuses)}
                    />
                    <button type="button" disabled={busy} onClick={() => void patchIncident(incident.id, { assignee: me })}>
                      Assign incident to me
                    </button>
                    <button type="button" disabled={busy || !incident.assignee} onClick={() => void patchIncident(incident.id, { assignee: null })}>
                      Unassign
                    </button>
                  </div>
                ) : null}
                <ul className="plain">
                  {incident.alerts.map((a) => (
                    <li key={a.id}>
                      <LevelBadge level={a.level} /> <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.ruleTitle}</Link> <StatusBadge status={a.status} /> <span className="muted small">{formatTime(a.firstSeen)}{a.assignee ? ` · ${a.assignee}` : ''}</span>
                    </li>
                  ))}
                  {incident.alertCount > incident.alerts.length ? <li className="muted small">and {incident.alertCount - incident.alerts.length} more</li> : null}
                </ul>
              </details>
            ))}
          </div>
        )}
      </TabPanel>
    </Page>
  );
}
