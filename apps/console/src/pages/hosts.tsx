// Hosts: the inventory of enrolled endpoints with search, state filter and grouping (by OS, state or agent version),
// and enrollment tokens for adding hosts (administrators).

import { useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { isIsolated, useHostTags, useHosts } from '../api/hosts.js';
import { useIsolation } from '../api/response.js';
import type { EnrollmentToken, Host } from '../api/types.js';
import { Badge, Card, Empty, ErrorBox, Loading, Mono, Page, StateBadge, DeleteDialog } from '../components/ui.js';
import { FilterSelect, SearchField, useSearchText, type FilterOption } from '../components/filters.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { Link, setSearchParam, useLocation } from '../router.js';
import { relativeTime, formatTime } from '../lib/time.js';
import { hostHealth } from '../lib/health.js';
import { compactNumber } from '../lib/scale.js';
import { useCan } from '../session.js';

/** What the list knows about a host besides the API's host view. */
interface HostRow {
  host: Host;
  isolated: boolean;
  tags: string[];
}

const hostStates: readonly FilterOption[] = ['online', 'offline', 'isolated', 'revoked'].map((v) => ({ value: v, label: v }));

const groupings = {
  none: { label: 'no grouping', keys: (): string[] => [''] },
  tag: { label: 'tag', keys: (r: HostRow): string[] => (r.tags.length ? r.tags.map((t) => `tag: ${t}`) : ['untagged']) },
  os: { label: 'operating system', keys: (r: HostRow): string[] => [[r.host.os?.name, r.host.os?.version].filter(Boolean).join(' ') || 'unknown OS'] },
  state: { label: 'state', keys: (r: HostRow): string[] => [r.isolated ? 'isolated' : r.host.state] },
  version: { label: 'agent version', keys: (r: HostRow): string[] => [r.host.version ?? 'unknown version'] },
} as const;
type Grouping = keyof typeof groupings;

export function hostMatches(row: HostRow, needle: string): boolean {
  if (!needle) return true;
  const host = row.host;
  const hay = [host.hostname, host.id, host.address, host.version, host.os?.name, host.os?.version, host.state, row.isolated ? 'isolated' : '', ...row.tags].filter(Boolean).join(' ').toLowerCase();
  return needle
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((term) => hay.includes(term));
}

export default function HostsPage() {
  const location = useLocation();
  const hosts = useHosts(10_000);
  const [text, setText] = useSearchText();
  const state = location.search.get('state') ?? '';
  const group = (location.search.get('group') ?? 'none') as Grouping;
  const canEnroll = useCan('enrollment:manage');
  const [enrolling, setEnrolling] = useState(false);

  const isolation = useIsolation(undefined, 10_000);
  const tags = useHostTags(useMemo(() => (hosts.data ?? []).map((h) => h.id), [hosts.data]));
  const rows = useMemo<HostRow[]>(
    () => (hosts.data ?? []).map((host) => ({ host, isolated: isIsolated(host) || isolation.map.get(host.id)?.state === 'isolated', tags: tags.get(host.id) ?? [] })),
    [hosts.data, isolation.map, tags],
  );
  const filtered = useMemo(
    () => rows.filter((r) => hostMatches(r, text) && (!state || (state === 'isolated' ? r.isolated : r.host.state === state))).sort((a, b) => a.host.hostname.localeCompare(b.host.hostname)),
    [rows, text, state],
  );
  const groups = useMemo(() => {
    const map = new Map<string, HostRow[]>();
    const keysOf = (groupings[group] ?? groupings.none).keys;
    for (const r of filtered) for (const key of keysOf(r)) (map.get(key) ?? map.set(key, []).get(key)!).push(r);
    return [...map].sort((a, b) => a[0].localeCompare(b[0]));
  }, [filtered, group]);

  return (
    <Page
      title="Hosts"
      subtitle={hosts.data ? `${filtered.length} of ${hosts.data.length} hosts` : undefined}
      actions={
        canEnroll ? (
          <button type="button" className="primary" onClick={() => setEnrolling(true)}>
            Add hosts…
          </button>
        ) : null
      }
    >
      <div className="toolbar" role="search">
        <SearchField
          label="Search hosts"
          placeholder="Search by name, id, address, OS, version or tag  ( / )"
          value={text}
          onChange={setText}
        />
        <FilterSelect label="State" value={state} onChange={(value) => setSearchParam('state', value)} options={hostStates} />
        <FilterSelect label="Group by" value={group} onChange={(value) => setSearchParam('group', value === 'none' ? '' : value)} anyLabel={null} options={Object.entries(groupings).map(([key, g]) => ({ value: key, label: g.label }))} />
      </div>
      <ErrorBox error={hosts.error} />
      {!hosts.data && hosts.loading ? <Loading what="hosts" /> : null}
      {hosts.data && !filtered.length ? <Empty>{hosts.data.length ? 'No host matches.' : 'No hosts are enrolled yet.'}</Empty> : null}
      {groups.map(([name, list]) => (
        <div key={name || 'all'} className="host-group">
          {group !== 'none' ? (
            <h2 className="group-title">
              {name} <span className="muted">({list.length})</span>
            </h2>
          ) : null}
          <table className="table" data-testid="hosts-table">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">State</th>
                <th scope="col">Operating system</th>
                <th scope="col">Agent</th>
                <th scope="col">Address</th>
                <th scope="col">Last seen</th>
                <th scope="col" className="num">Events lost</th>
              </tr>
            </thead>
            <tbody>
              {list.map(({ host: h, isolated, tags: hostTags }) => {
                const health = hostHealth(h.counters, h.sources);
                return (
                  <tr key={h.id} data-host-id={h.id}>
                    <td>
                      <Link to={`/hosts/${encodeURIComponent(h.id)}`}>{h.hostname}</Link>
                      <div className="small muted">
                        <Mono>{h.id}</Mono>
                      </div>
                      {hostTags.length ? (
                        <div>
                          {hostTags.map((t) => (
                            <Badge key={t} tone="tag">
                              {t}
                            </Badge>
                          ))}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <StateBadge state={h.state} /> {isolated ? <StateBadge state="isolated" /> : null}
                    </td>
                    <td>{[h.os?.name, h.os?.version].filter(Boolean).join(' ') || '–'}</td>
                    <td>{h.version ?? '–'}</td>
                    <td>{h.address ?? '–'}</td>
                    <td title={formatTime(h.last_seen)}>{relativeTime(h.last_seen)}</td>
                    <td className={`num${health.lost ? ' text-bad' : ''}`}>{compactNumber(health.lost)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
      {canEnroll ? <EnrollmentTokens /> : null}
      {enrolling ? <EnrollDialog onClose={() => setEnrolling(false)} /> : null}
    </Page>
  );
}

function EnrollDialog({ onClose }: { onClose: () => void }) {
  const [description, setDescription] = useState('');
  const [maxUses, setMaxUses] = useState(1);
  const [hours, setHours] = useState(24);
  const [created, setCreated] = useState<{ token: string; expires_at: string; ca_fingerprint: string } | null>(null);
  const command = created ? `vigil enroll --server ${window.location.origin} --token ${created.token} --ca-fingerprint ${created.ca_fingerprint}` : '';
  return (
    <FormModal
      title="Add hosts"
      onClose={onClose}
      doneLabel={created ? 'Done' : undefined}
      submitLabel="Create enrollment token"
      keepOpen
      onSubmit={async () => {
        setCreated(await api.post('/api/v1/enrollment-tokens', { description, max_uses: maxUses, expires_in_s: Math.round(hours * 3600) }));
      }}
    >
      {created ? (
        <>
          <p>Run this on each endpoint (the token is shown only now; it expires {formatTime(created.expires_at)}):</p>
          <pre className="code" data-testid="enroll-command">
            {command}
          </pre>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(command)}>
            Copy command
          </button>
        </>
      ) : (
        <div className="form-grid">
          <label htmlFor="enroll-description">Description</label>
          <input id="enroll-description" value={description} maxLength={200} onChange={(e) => setDescription(e.target.value)} placeholder="web servers" />
          <label htmlFor="enroll-uses">Hosts that may enroll (0: unlimited until expiry)</label>
          <input id="enroll-uses" type="number" min={0} max={1000000} value={maxUses} onChange={(e) => setMaxUses(Number(e.target.value))} />
          <label htmlFor="enroll-hours">Valid for (hours)</label>
          <input id="enroll-hours" type="number" min={1} max={2160} value={hours} onChange={(e) => setHours(Number(e.target.value))} />
        </div>
      )}
    </FormModal>
  );
}

function EnrollmentTokens() {
  const tokens = useResource<EnrollmentToken[]>('/api/v1/enrollment-tokens', { refreshMs: 30_000 });
  const [revoking, setRevoking] = useState<EnrollmentToken | null>(null);
  const active = (tokens.data ?? []).filter((t) => !t.revokedAt && Date.parse(t.expiresAt) > Date.now() && (t.maxUses === 0 || t.uses < t.maxUses));
  return (
    <Card title="Active enrollment tokens">
      <ErrorBox error={tokens.error} />
      <ListTable rows={active} columns={['Description', 'Created by', 'Expires', { label: 'Uses', className: 'num' }]} actions empty="No active enrollment tokens.">
        {(t) => (
          <tr key={t.id}>
            <td>{t.description || <span className="muted">no description</span>}</td>
            <td>{t.createdBy}</td>
            <td>{formatTime(t.expiresAt)}</td>
            <td className="num">
              {t.uses} / {t.maxUses || '∞'}
            </td>
            <td>
              <button type="button" className="danger small" onClick={() => setRevoking(t)}>
                Revoke
              </button>
            </td>
          </tr>
        )}
      </ListTable>
      {revoking ? (
        <DeleteDialog title="Revoke enrollment token" confirmLabel="Revoke token" path={`/api/v1/enrollment-tokens/${encodeURIComponent(revoking.id)}`} onClose={() => setRevoking(null)} onDeleted={tokens.reload}>
          <p>Agents can no longer enroll with “{revoking.description || revoking.id}”. Hosts enrolled with it keep working.</p>
        </DeleteDialog>
      ) : null}
    </Card>
  );
}
