// Hunt: write a query (autocomplete from the schema, errors marked where they are), run it over a time range, read
// the results (virtualised table, charts for stats/top/timechart), save it, schedule it with an alert threshold.

import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { levels, type HuntFieldInfo, type HuntResult, type Level, type SavedHunt } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { ErrorBox, Notice, Page, TabPanel, LevelBadge, Clip, DeleteDialog, DeleteButton, UrlTabs } from '../components/ui.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { QueryEditor, type QueryError } from '../hunt/query-editor.js';
import { HuntResults } from '../hunt/results.js';
import { setSearchParam, useLocation } from '../router.js';
import { formatTime } from '../lib/time.js';
import { useCan } from '../session.js';

const ranges: Record<string, number | null> = { '15m': 900_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, all: null };

export default function HuntPage() {
  const location = useLocation();
  const tab = location.search.get('tab') ?? 'query';
  const fields = useResource<HuntFieldInfo[]>('/api/v1/hunt/fields');
  const [text, setText] = useState(location.search.get('q') ?? '');
  const [range, setRange] = useState('24h');
  const [limit, setLimit] = useState(1000);
  const [result, setResult] = useState<HuntResult | null>(null);
  const [ran, setRan] = useState('');
  const [error, setError] = useState<QueryError | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const [saving, setSaving] = useState(false);
  const canSave = useCan('rules:manage');
  const controller = useRef<AbortController | null>(null);

  const run = async (queryText = text) => {
    if (!queryText.trim()) return;
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setRunning(true);
    setError(null);
    setFailure(null);
    const ms = ranges[range];
    try {
      const answer = await api.post<HuntResult>('/api/v1/hunt', { query: queryText, limit, ...(ms ? { start: new Date(Date.now() - ms).toISOString() } : {}) }, mine.signal);
      setResult(answer);
      setRan(queryText);
      setSearchParam('q', queryText);
    } catch (reason) {
      if ((reason as Error).name === 'AbortError') return;
      const location_ = reason instanceof ApiError ? reason.body.location : undefined;
      if (reason instanceof ApiError && reason.status === 400 && location_?.path === 'query' && location_.column) {
        setError({ message: reason.message, line: location_.line ?? 1, column: location_.column });
        setResult(null);
      } else setFailure(reason);
    } finally {
      if (controller.current === mine) setRunning(false);
    }
  };

  // A query in the URL (a shared link, a saved hunt) runs when the page opens.
  const initial = useRef(location.search.get('q'));
  useEffect(() => {
    if (initial.current) void run(initial.current);
    return () => controller.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <Page title="Hunt">
      <UrlTabs
        label="Hunt views"
        active={tab}
        fallback="query"
        tabs={[
          { id: 'query', label: 'Query' },
          { id: 'saved', label: 'Saved and scheduled' },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'query' ? (
          <>
            <form
              className="hunt-form"
              onSubmit={(event) => {
                event.preventDefault();
                void run();
              }}
            >
              <QueryEditor value={text} onChange={(v) => { setText(v); if (error) setError(null); }} onRun={() => void run()} fields={fields.data ?? []} error={error} />
              <div className="toolbar">
                <label className="inline-field">
                  Time range{' '}
                  <select value={range} onChange={(e) => setRange(e.target.value)} data-testid="hunt-range">
                    {Object.keys(ranges).map((r) => (
                      <option key={r} value={r}>
                        {r === 'all' ? 'all time' : `last ${r}`}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="inline-field">
                  Row limit <input type="number" min={1} max={100000} value={limit} onChange={(e) => setLimit(Math.max(1, Math.min(100000, Number(e.target.value) || 1)))} data-testid="hunt-limit" />
                </label>
                <button type="submit" className="primary" disabled={running || !text.trim()}>
                  {running ? 'Running…' : 'Run hunt'}
                </button>
                <span className="muted small">Ctrl+Enter runs · Ctrl+Space suggests · see docs/query-language.md</span>
                {canSave ? (
                  <button type="button" onClick={() => setSaving(true)} disabled={!text.trim()}>
                    Save…
                  </button>
                ) : null}
              </div>
            </form>
            <ErrorBox error={failure} />
            {result ? <HuntResults result={result} queryText={ran} /> : null}
          </>
        ) : (
          <SavedHunts
            onLoad={(q) => {
              setText(q);
              setSearchParam('tab', null);
              void run(q);
            }}
          />
        )}
      </TabPanel>
      {saving ? <SaveDialog query={text} onClose={() => setSaving(false)} /> : null}
    </Page>
  );
}

const intervals: [string, number | null][] = [['by hand only', null], ['every 5 minutes', 300], ['every 15 minutes', 900], ['every hour', 3600], ['every day', 86400]];

function SaveDialog({ query, onClose }: { query: string; onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [interval, setInterval_] = useState<number | null>(null);
  const [threshold, setThreshold] = useState(1);
  const [level, setLevel] = useState<Level>('medium');
  const [tags, setTags] = useState('');
  const [done, setDone] = useState(false);
  return (
    <FormModal
      title="Save hunt"
      onClose={onClose}
      doneLabel={done ? 'Close' : undefined}
      submitLabel="Save"
      submitDisabled={!name.trim()}
      keepOpen
      onSubmit={async () => {
        await api.post('/api/v1/hunts', { name: name.trim(), description, query, interval_s: interval, threshold, level, tags: tags.split(/[\s,]+/).filter(Boolean) });
        setDone(true);
      }}
    >
      {done ? (
        <Notice tone="success">Saved. Find it under “Saved and scheduled”.</Notice>
      ) : (
        <div className="form-grid">
          <label htmlFor="save-name">Name</label>
          <input id="save-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} autoFocus />
          <label htmlFor="save-description">Description</label>
          <input id="save-description" value={description} maxLength={2000} onChange={(e) => setDescription(e.target.value)} />
          <label htmlFor="save-interval">Schedule</label>
          <select id="save-interval" value={String(interval)} onChange={(e) => setInterval_(e.target.value === 'null' ? null : Number(e.target.value))}>
            {intervals.map(([label, value]) => (
              <option key={label} value={String(value)}>
                {label}
              </option>
            ))}
          </select>
          <label htmlFor="save-threshold">Alert when a run finds at least (rows)</label>
          <input id="save-threshold" type="number" min={1} value={threshold} onChange={(e) => setThreshold(Math.max(1, Number(e.target.value) || 1))} />
          <label htmlFor="save-level">Alert level</label>
          <select id="save-level" value={level} onChange={(e) => setLevel(e.target.value as Level)}>
            {levels.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
          <label htmlFor="save-tags">Tags</label>
          <input id="save-tags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="attack.t1059" />
          <span>Query</span>
          <pre className="code small">{query}</pre>
        </div>
      )}
    </FormModal>
  );
}

function SavedHunts({ onLoad }: { onLoad: (query: string) => void }) {
  const hunts = useResource<SavedHunt[]>('/api/v1/hunts', { refreshMs: 30_000 });
  const canManage = useCan('rules:manage');
  const [deleting, setDeleting] = useState<SavedHunt | null>(null);
  const sorted = useMemo(() => [...(hunts.data ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [hunts.data]);
  const { message, error, act } = useAction(hunts.reload);
  return (
    <div>
      <ErrorBox error={hunts.error ?? error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      <ListTable rows={hunts.data ? sorted : undefined} columns={['Name', 'Query', 'Schedule', 'Last run']} actions empty="No saved hunts yet. Write a query and save it." testId="saved-hunts">
        {(h) => (
          <tr key={h.id}>
            <td>
              <strong>{h.name}</strong>
              <div className="small muted">{h.description}</div>
            </td>
            <td>
              <code className="mono small">
                <Clip text={h.query} max={90} />
              </code>
            </td>
            <td>
              {h.intervalSeconds ? (
                <>
                  every {h.intervalSeconds >= 3600 ? `${h.intervalSeconds / 3600} h` : `${Math.round(h.intervalSeconds / 60)} min`}, alert at ≥ {h.threshold} <LevelBadge level={h.level} />
                  {!h.enabled ? <span className="muted"> (paused)</span> : null}
                </>
              ) : (
                <span className="muted">by hand</span>
              )}
            </td>
            <td>
              {h.lastRunAt ? `${formatTime(h.lastRunAt)} · ${h.lastRows ?? 0} rows` : <span className="muted">never</span>}
              {h.lastError ? <div className="text-bad small">{h.lastError}</div> : null}
            </td>
            <td className="actions">
              <button type="button" className="small" onClick={() => onLoad(h.query)}>
                Open
              </button>
              <button type="button" className="small" onClick={() => void act(async () => { const r = await api.post<{ rows: number; alerted: boolean }>(`/api/v1/hunts/${encodeURIComponent(h.id)}/run`, {}); return `${h.name}: ${r.rows} rows${r.alerted ? ', alert raised' : ''}`; })}>
                Run now
              </button>
              {canManage ? (
                <>
                  <button type="button" className="small" onClick={() => void act(async () => { await api.patch(`/api/v1/hunts/${encodeURIComponent(h.id)}`, { enabled: !h.enabled }); return `${h.name} ${h.enabled ? 'paused' : 'enabled'}`; })}>
                    {h.enabled ? 'Pause' : 'Enable'}
                  </button>
                  <DeleteButton onClick={() => setDeleting(h)} />
                </>
              ) : null}
            </td>
          </tr>
        )}
      </ListTable>
      {deleting ? (
        <DeleteDialog title="Delete saved hunt" path={`/api/v1/hunts/${encodeURIComponent(deleting.id)}`} onClose={() => setDeleting(null)} onDeleted={hunts.reload}>
          <p>Delete “{deleting.name}” and its schedule?</p>
        </DeleteDialog>
      ) : null}
    </div>
  );
}
