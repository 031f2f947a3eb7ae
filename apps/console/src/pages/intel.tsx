// Threat intel: what the indicator database holds (per type and source, what the stream matcher loaded and matched),
// the indicators themselves, feeds fetched on a schedule, and imports of STIX 2.1, MISP, CSV or plain lists.

import { useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useAction } from '../api/use-action.js';
import { useSubmit } from '../api/use-action.js';
import { Badge, Card, Empty, ErrorBox, Loading, Notice, Page, Stat, TabPanel, DeleteDialog, ToolbarAction, DeleteButton, UrlTabs } from '../components/ui.js';
import { SearchField } from '../components/filters.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { Link, useLocation } from '../router.js';
import { formatInterval, formatTime, relativeTime } from '../lib/time.js';
import { compactNumber } from '../lib/scale.js';
import { useCan } from '../session.js';

interface Summary {
  total: number;
  expired: number;
  by_type: Record<string, number>;
  by_source: { source: string; count: number }[];
  stream: { indicators: number; by_type: Record<string, number>; events_matched: number; hits: number; load_ms: number };
  feeds: number;
}

interface Indicator {
  id: string;
  type: string;
  value: string;
  source: string;
  confidence: number | null;
  expires_at: string | null;
  description: string | null;
  updated_at: string;
}

interface Feed {
  id: string;
  name: string;
  source: string;
  url: string;
  format: string;
  interval_s: number;
  enabled: boolean;
  confidence: number | null;
  status: string;
  last_error: string | null;
  last_run_at: string | null;
  last_success_at: string | null;
  last_counts: Record<string, number> | null;
}

interface ImportAnswer {
  format: string;
  entries: number;
  indicators: number;
  created: number;
  updated: number;
  removed: number;
  by_type: Record<string, number>;
  warnings: { severity: string; message: string; location?: Record<string, unknown> }[];
  warning_count: number;
  sweep_id: string | null;
  dry_run: boolean;
}

export default function IntelPage() {
  const location = useLocation();
  const tab = location.search.get('tab') ?? 'summary';
  const canRead = useCan('rules:read');
  return (
    <Page title="Threat intel">
      <UrlTabs
        label="Threat intel views"
        active={tab}
        fallback="summary"
        tabs={[
          { id: 'summary', label: 'Summary' },
          { id: 'indicators', label: 'Indicators' },
          { id: 'feeds', label: 'Feeds', hidden: !canRead },
          { id: 'import', label: 'Import', hidden: !useCan('rules:manage') },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'summary' ? <SummaryView /> : null}
        {tab === 'indicators' ? <Indicators /> : null}
        {tab === 'feeds' ? <Feeds /> : null}
        {tab === 'import' ? <Import /> : null}
      </TabPanel>
    </Page>
  );
}

function SummaryView() {
  const summary = useResource<Summary>('/api/v1/intel/summary', { refreshMs: 15_000 });
  const s = summary.data;
  return (
    <>
      <ErrorBox error={summary.error} />
      {!s && summary.loading ? <Loading what="summary" /> : null}
      {s ? (
        <>
          <div className="stats-row">
            <Stat label="Indicators" value={compactNumber(s.total)} hint={`${s.expired} expired`} testId="intel-total" />
            <Stat label="Matched by the stream" value={compactNumber(s.stream.indicators)} hint={`loaded in ${s.stream.load_ms} ms`} />
            <Stat label="Events matched" value={compactNumber(s.stream.events_matched)} hint={`${compactNumber(s.stream.hits)} hits since start`} tone={s.stream.hits ? 'bad' : undefined} />
            <Stat label="Feeds" value={s.feeds} />
          </div>
          <div className="grid-2">
            <Card title="By type">
              <table className="table">
                <tbody>
                  {Object.entries(s.by_type).map(([type, count]) => (
                    <tr key={type}>
                      <td>{type}</td>
                      <td className="num">{compactNumber(count)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
            <Card title="By source">
              <table className="table">
                <tbody>
                  {s.by_source.map((row) => (
                    <tr key={row.source}>
                      <td>{row.source}</td>
                      <td className="num">{compactNumber(row.count)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
          </div>
          <p className="muted">
            New indicators are swept over stored events automatically; run a sweep by hand on the <Link to="/sweeps">IOC sweeps</Link> page.
          </p>
        </>
      ) : null}
    </>
  );
}

function Indicators() {
  const [text, setText] = useState('');
  const indicators = useResource<Indicator[]>('/api/v1/indicators?limit=10000');
  const canManage = useCan('rules:manage');
  const [deleting, setDeleting] = useState<Indicator | null>(null);
  const shown = useMemo(() => {
    const needle = text.toLowerCase();
    return (indicators.data ?? []).filter((i) => !needle || `${i.type} ${i.value} ${i.source} ${i.description ?? ''}`.toLowerCase().includes(needle)).slice(0, 2000);
  }, [indicators.data, text]);
  return (
    <>
      <div className="toolbar" role="search">
        <SearchField label="Search indicators" placeholder="Search value, type, source or description  ( / )" value={text} onChange={setText} />
      </div>
      <ErrorBox error={indicators.error} />
      <ListTable rows={indicators.data ? shown : undefined} columns={['Type', 'Value', 'Source', { label: 'Confidence', className: 'num' }, 'Expires']} actions={canManage} empty="No indicator matches." testId="indicators-table">
        {(i) => (
          <tr key={i.id}>
            <td>{i.type}</td>
            <td>
              <code className="mono-wrap">{i.value}</code>
              {i.description ? <div className="small muted">{i.description}</div> : null}
            </td>
            <td>{i.source}</td>
            <td className="num">{i.confidence ?? '–'}</td>
            <td>{i.expires_at ? formatTime(i.expires_at) : 'never'}</td>
            {canManage ? (
              <td>
                <DeleteButton onClick={() => setDeleting(i)} />
              </td>
            ) : null}
          </tr>
        )}
      </ListTable>
      {deleting ? (
        <DeleteDialog title="Delete indicator" path={`/api/v1/intel/indicators/${encodeURIComponent(deleting.id)}`} onClose={() => setDeleting(null)} onDeleted={indicators.reload}>
          <p>
            <code className="mono">{deleting.value}</code> stops matching at once.
          </p>
        </DeleteDialog>
      ) : null}
    </>
  );
}

function Feeds() {
  const feeds = useResource<Feed[]>('/api/v1/intel/feeds', { refreshMs: 15_000 });
  const canManage = useCan('rules:manage');
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Feed | null>(null);
  const { message, error, act, setMessage } = useAction(feeds.reload);
  return (
    <>
      {canManage ? <ToolbarAction label="Add feed…" onClick={() => setAdding(true)} /> : null}
      <ErrorBox error={feeds.error ?? error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      <ListTable rows={feeds.data} columns={['Feed', 'Every', 'Status', 'Last run']} actions={canManage} empty="No feeds." testId="feeds-table">
        {(f) => (
          <tr key={f.id}>
            <td>
              <strong>{f.name}</strong> <span className="muted small">{f.format}</span>
              <div className="small muted mono-wrap">{f.url}</div>
            </td>
            <td>{formatInterval(f.interval_s)}</td>
            <td>
              <Badge tone={!f.enabled ? 'state-offline' : f.last_error ? 'state-revoked' : 'state-online'}>{f.enabled ? f.status : 'paused'}</Badge>
              {f.last_error ? <div className="text-bad small">{f.last_error}</div> : null}
            </td>
            <td className="small">
              {f.last_run_at ? relativeTime(f.last_run_at) : 'never'}
              {f.last_counts ? <div className="muted">{Object.entries(f.last_counts).map(([k, v]) => `${k} ${v}`).join(' · ')}</div> : null}
            </td>
            {canManage ? (
              <td className="actions">
                <button type="button" className="small" onClick={() => void act(async () => { const r = await api.post<{ status: string; error?: string | null }>(`/api/v1/intel/feeds/${f.id}/run`, {}); return `${f.name}: ${r.status}${r.error ? ` (${r.error})` : ''}`; })}>
                  Fetch now
                </button>
                <button type="button" className="small" onClick={() => void act(async () => { await api.patch(`/api/v1/intel/feeds/${f.id}`, { enabled: !f.enabled }); return `${f.name} ${f.enabled ? 'paused' : 'enabled'}`; })}>
                  {f.enabled ? 'Pause' : 'Enable'}
                </button>
                <DeleteButton onClick={() => setDeleting(f)} />
              </td>
            ) : null}
          </tr>
        )}
      </ListTable>
      {adding ? <AddFeed onClose={() => setAdding(false)} onAdded={(name) => { setMessage(`${name} added`); feeds.reload(); }} /> : null}
      {deleting ? (
        <DeleteDialog title={`Delete feed ${deleting.name}`} confirmLabel="Delete feed" path={`/api/v1/intel/feeds/${deleting.id}`} onClose={() => setDeleting(null)} onDeleted={feeds.reload}>
          <p>Every indicator of the feed ({deleting.source}) is removed with it and stops matching.</p>
        </DeleteDialog>
      ) : null}
    </>
  );
}

function AddFeed({ onClose, onAdded }: { onClose: () => void; onAdded: (name: string) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState('auto');
  const [hours, setHours] = useState(1);
  const [header, setHeader] = useState('');
  return (
    <FormModal
      title="Add feed"
      onClose={onClose}
      submitLabel="Add feed"
      onSubmit={async () => {
        await api.post('/api/v1/intel/feeds', { name, url, format, interval_s: Math.max(10, Math.round(hours * 3600)), ...(header ? { headers: { Authorization: header } } : {}) });
        onAdded(name);
      }}
    >
      <div className="form-grid">
        <label htmlFor="feed-name">Name</label>
        <input id="feed-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="abuse-ch" />
        <label htmlFor="feed-url">URL or server path</label>
        <input id="feed-url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://… or /var/lib/vigil/feeds/list.txt" />
        <label htmlFor="feed-format">Format</label>
        <select id="feed-format" value={format} onChange={(e) => setFormat(e.target.value)}>
          {['auto', 'stix', 'misp', 'csv', 'list'].map((f) => (
            <option key={f}>{f}</option>
          ))}
        </select>
        <label htmlFor="feed-hours">Fetch every (hours)</label>
        <input id="feed-hours" type="number" min={0.01} step="any" value={hours} onChange={(e) => setHours(Number(e.target.value) || 1)} />
        <label htmlFor="feed-auth">Authorization header</label>
        <input id="feed-auth" type="password" autoComplete="off" value={header} onChange={(e) => setHeader(e.target.value)} placeholder="optional (MISP key)" />
      </div>
    </FormModal>
  );
}

export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function Import() {
  const [content, setContent] = useState('');
  const [fileName, setFileName] = useState('');
  const [format, setFormat] = useState('');
  const [source, setSource] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [answer, setAnswer] = useState<ImportAnswer | null>(null);
  const { busy, error, setError, onSubmit } = useSubmit(async () => {
    setAnswer(null);
    setAnswer(await api.post<ImportAnswer>('/api/v1/intel/import', { content, ...(format ? { format } : {}), ...(source ? { source } : {}), ...(fileName ? { file_name: fileName } : {}), dry_run: dryRun }));
  });
  return (
    <div className="grid-2">
      <Card title="Import indicators">
        <form className="form-grid" onSubmit={onSubmit}>
          <label htmlFor="import-file">File</label>
          <input
            id="import-file"
            type="file"
            accept=".json,.csv,.txt,.stix,.misp"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              if (file.size > MAX_IMPORT_BYTES) {
                setError(new Error(`${file.name} is larger than 64 MiB`));
                return;
              }
              setFileName(file.name);
              setContent(await file.text());
            }}
          />
          <label htmlFor="import-content">or paste</label>
          <textarea id="import-content" rows={8} value={content} onChange={(e) => setContent(e.target.value)} spellCheck={false} placeholder="STIX 2.1 bundle, MISP event JSON, CSV or one indicator per line" />
          <label htmlFor="import-format">Format</label>
          <select id="import-format" value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="">detect</option>
            {['stix', 'misp', 'csv', 'list'].map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
          <label htmlFor="import-source">Source</label>
          <input id="import-source" value={source} onChange={(e) => setSource(e.target.value)} placeholder="import:<you>" />
          <label htmlFor="import-dry">Dry run (check, store nothing)</label>
          <input id="import-dry" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
          <span />
          <div>
            <button type="submit" className="primary" disabled={busy || !content.trim()}>
              {busy ? 'Importing…' : dryRun ? 'Check' : 'Import'}
            </button>
          </div>
        </form>
        <ErrorBox error={error} />
      </Card>
      <Card title="Result">
        {answer ? (
          <div data-testid="import-result">
            <Notice tone={answer.warning_count ? 'warning' : 'success'}>
              {answer.dry_run ? 'Checked (nothing stored)' : 'Imported'}: {answer.format}, {answer.entries} entries, {answer.indicators} indicators ({answer.created} new, {answer.updated} updated, {answer.removed} removed), {answer.warning_count} warnings.
              {answer.sweep_id ? (
                <>
                  {' '}
                  <Link to={`/sweeps/${encodeURIComponent(answer.sweep_id)}`}>Follow the sweep over stored events</Link>.
                </>
              ) : null}
            </Notice>
            {answer.warnings.length ? (
              <ul className="problems">
                {answer.warnings.slice(0, 50).map((w, i) => (
                  <li key={i} className="text-warn">
                    {w.location ? <code className="mono">{JSON.stringify(w.location)}</code> : null} {w.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : (
          <Empty>Check or import a document to see what it holds.</Empty>
        )}
      </Card>
    </div>
  );
}
