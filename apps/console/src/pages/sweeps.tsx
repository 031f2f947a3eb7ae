// IOC sweeps: search stored events of every host for indicators (hashes, IPs, domains, paths, process names) and read
// which hosts saw each, when first, and the first event.

import { useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import type { Sweep, SweepDetail } from '../api/types.js';
import { useSubmit } from '../api/use-action.js';
import { Badge, Card, ErrorBox, Loading, Notice, Page } from '../components/ui.js';
import { ListTable } from '../components/list-table.js';
import { Link, navigate } from '../router.js';
import { formatTime } from '../lib/time.js';
import { parseIndicators } from '../lib/indicators.js';
import type { PageProps } from '../nav.js';

export default function SweepsPage({ params }: PageProps) {
  const sweeps = useResource<Sweep[]>('/api/v1/sweeps?limit=100', { refreshMs: 5_000 });
  return (
    <Page title="IOC sweeps">
      <div className="grid-2">
        <SweepForm onStarted={(id) => { sweeps.reload(); navigate(`/sweeps/${encodeURIComponent(id)}`); }} />
        <Card title="Recent sweeps">
          <ErrorBox error={sweeps.error} />
          <ListTable rows={sweeps.data} columns={['Started', 'State', { label: 'Indicators', className: 'num' }, { label: 'Seen', className: 'num' }, 'By']} empty="No sweeps yet." testId="sweeps-table">
            {(s) => (
              <tr key={s.id} aria-current={params.id === s.id ? 'true' : undefined}>
                <td>
                  <Link to={`/sweeps/${encodeURIComponent(s.id)}`}>{formatTime(s.created_at)}</Link>
                </td>
                <td>
                  <Badge tone={`sweep-${s.state}`}>{s.state}</Badge>
                </td>
                <td className="num">{s.indicator_count}</td>
                <td className={`num${s.matched_count ? ' text-bad' : ''}`}>{s.matched_count}</td>
                <td>{s.trigger.kind === 'alert' ? 'alert' : s.requested_by ?? '–'}</td>
              </tr>
            )}
          </ListTable>
        </Card>
      </div>
      {params.id ? <SweepResults id={params.id} /> : null}
    </Page>
  );
}

function SweepForm({ onStarted }: { onStarted: (id: string) => void }) {
  const [text, setText] = useState('');
  const [description, setDescription] = useState('');
  const parsed = useMemo(() => parseIndicators(text), [text]);
  const { busy, error, onSubmit } = useSubmit(async () => {
    const sweep = await api.post<{ id: string }>('/api/v1/sweeps', { indicators: parsed.indicators, ...(description ? { description } : {}) });
    setText('');
    onStarted(sweep.id);
  });
  return (
    <Card title="New sweep">
      <form className="form-grid single" onSubmit={onSubmit}>
        <label htmlFor="sweep-indicators">Indicators, one per line (a bare value or “type value”: md5, sha1, sha256, ip, cidr, domain, port, process_name, path)</label>
        <textarea id="sweep-indicators" rows={7} value={text} onChange={(e) => setText(e.target.value)} data-search spellCheck={false} placeholder={'203.0.113.7\nevil.example.com\n/tmp/dropper\nsha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'} />
        <p className="small muted" role="status">
          {parsed.indicators.length} indicator{parsed.indicators.length === 1 ? '' : 's'}
          {parsed.indicators.length ? `: ${summary(parsed.indicators)}` : ''}
        </p>
        {parsed.problems.length ? (
          <ul className="problems" aria-label="Lines that are not indicators">
            {parsed.problems.slice(0, 10).map((p) => (
              <li key={p.line}>
                line {p.line}: {p.message}
              </li>
            ))}
          </ul>
        ) : null}
        <label htmlFor="sweep-description">Description</label>
        <input id="sweep-description" value={description} maxLength={2000} onChange={(e) => setDescription(e.target.value)} />
        <div>
          <button type="submit" className="primary" disabled={busy || !parsed.indicators.length || parsed.problems.length > 0}>
            {busy ? 'Starting…' : 'Start sweep'}
          </button>
        </div>
        <ErrorBox error={error} />
      </form>
    </Card>
  );
}

function summary(indicators: { type: string }[]): string {
  const counts = new Map<string, number>();
  for (const i of indicators) counts.set(i.type, (counts.get(i.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${n} ${t}`).join(', ');
}

function SweepResults({ id }: { id: string }) {
  const sweep = useResource<SweepDetail>(`/api/v1/sweeps/${encodeURIComponent(id)}`, { refreshMs: 3_000 });
  const { nameOf } = useHosts();
  const s = sweep.data;
  return (
    <Card title="Sweep results">
      <ErrorBox error={sweep.error} />
      {!s && sweep.loading ? <Loading what="sweep" /> : null}
      {s ? (
        <>
          <p>
            <Badge tone={`sweep-${s.state}`}>{s.state}</Badge> {s.indicator_count} indicators, {s.matched_count} seen · started {formatTime(s.started_at ?? s.created_at)}
            {s.finished_at ? ` · finished ${formatTime(s.finished_at)}` : ''}
          </p>
          {s.error ? <Notice tone="warning">{s.error}</Notice> : null}
          <table className="table" data-testid="sweep-results">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Indicator</th>
                <th scope="col" className="num">Events</th>
                <th scope="col">Hosts</th>
                <th scope="col">First seen</th>
                <th scope="col">First event</th>
              </tr>
            </thead>
            <tbody>
              {[...s.indicators]
                .sort((a, b) => b.count - a.count)
                .map((i) => (
                  <tr key={i.indicator_id} className={i.count ? 'row-bad' : undefined}>
                    <td>{i.type}</td>
                    <td>
                      <code className="mono">{i.value}</code>
                    </td>
                    <td className="num">{i.count}</td>
                    <td>
                      {i.hosts.map((h) => (
                        <Link key={h} to={`/hosts/${encodeURIComponent(h)}`} className="tag">
                          {nameOf(h)}
                        </Link>
                      ))}
                    </td>
                    <td>{i.first_seen ? formatTime(i.first_seen) : '–'}</td>
                    <td>{i.first_event_id && i.first_host_id ? <Link to={`/hunt?q=${encodeURIComponent(`any where event.id == "${i.first_event_id}"`)}`}>open event</Link> : '–'}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Card>
  );
}
