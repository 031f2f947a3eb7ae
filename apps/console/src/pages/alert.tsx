// One alert: triage (status, assignee), comments, what matched, and its storyline: the attack chain graph around the acting
// process (files, connections, DNS), the events in the window and the related alerts with ATT&CK tags.

import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import { alertStatuses, type Alert, type AlertComment, type AlertStatus, type HuntEvent, type Storyline } from '../api/types.js';
import { Card, Empty, ErrorBox, LevelBadge, Loading, Mono, Notice, Page, StatusBadge } from '../components/ui.js';
import { ProcessGraph } from '../graph/process-graph.js';
import { VirtualTable, cellText } from '../components/virtual-table.js';
import { EventDetails } from '../components/event-details.js';
import { buildGraph } from '../lib/graph-model.js';
import { eventSummary } from '../lib/event-summary.js';
import { formatTime } from '../lib/time.js';
import { Link } from '../router.js';
import { useCan, useSession } from '../session.js';
import type { PageProps } from '../nav.js';

export default function AlertPage({ params }: PageProps) {
  const id = params.id ?? '';
  const alert = useResource<Alert>(`/api/v1/alerts/${encodeURIComponent(id)}`);
  const story = useResource<Storyline>(`/api/v1/alerts/${encodeURIComponent(id)}/storyline?window_s=3600`);
  const { nameOf } = useHosts();
  const a = alert.data;
  const [open, setOpen] = useState<HuntEvent | null>(null);
  const processKey = a?.processKey ?? null;
  const graph = useMemo(() => {
    const tree = story.data?.tree;
    if (!tree) return [];
    const highlight = new Set((story.data?.alertEvents ?? []).map((e) => String(e['process.entity_id'] ?? '')).concat(processKey ? [processKey] : []));
    return buildGraph([...tree.ancestors].reverse().concat(tree.nodes), story.data?.events ?? [], highlight);
  }, [story.data, processKey]);

  return (
    <Page
      title={a ? a.ruleTitle : 'Alert'}
      subtitle={
        a ? (
          <>
            <LevelBadge level={a.level} /> <StatusBadge status={a.status} /> on {a.hostId ? <Link to={`/hosts/${encodeURIComponent(a.hostId)}`}>{nameOf(a.hostId)}</Link> : 'no enrolled host'} · first {formatTime(a.firstSeen)} · last {formatTime(a.lastSeen)} · {a.count}×
          </>
        ) : undefined
      }
    >
      <ErrorBox error={alert.error} />
      {!a && alert.loading ? <Loading what="alert" /> : null}
      {a ? (
        <div className="grid-2">
          <Triage alert={a} onSaved={alert.reload} />
          <Card title="What matched">
            <dl className="kv compact">
              <div className="kv-row"><dt>Rule</dt><dd>{a.kind === 'sigma' || a.kind === 'correlation' ? <Link to={`/rules/${encodeURIComponent(a.ruleId)}`}>{a.ruleId}</Link> : <Mono>{a.ruleId}</Mono>}</dd></div>
              <div className="kv-row"><dt>Kind</dt><dd>{a.kind}</dd></div>
              {a.fields.map((f, i) => (
                <div className="kv-row" key={`${f.field}-${i}`}>
                  <dt>{f.field}</dt>
                  <dd>{cellText(f.value)}</dd>
                </div>
              ))}
              {a.group ? <div className="kv-row"><dt>Group</dt><dd>{JSON.stringify(a.group)}</dd></div> : null}
              <div className="kv-row"><dt>ATT&amp;CK</dt><dd>{a.tags.join(' ') || '–'}</dd></div>
              {a.processKey && a.hostId ? (
                <div className="kv-row"><dt>Process</dt><dd><Link to={`/hosts/${encodeURIComponent(a.hostId)}/processes/${encodeURIComponent(a.processKey)}`}>open process tree</Link></dd></div>
              ) : null}
            </dl>
          </Card>
        </div>
      ) : null}
      <Card title="Attack chain">
        <ErrorBox error={story.error} />
        {!story.data && story.loading ? <Loading what="storyline" /> : null}
        {story.data && !story.data.tree ? <Notice tone="info">The alert's events carry no process entity id, so there is no process tree to draw.</Notice> : null}
        {graph.length ? <ProcessGraph nodes={graph} /> : null}
        {story.data?.tags.length ? <p className="small">ATT&amp;CK in this storyline: {story.data.tags.join(' ')}</p> : null}
      </Card>
      {story.data ? (
        <div className="grid-2">
          <Card title={`Related alerts (${story.data.relatedAlerts.length})`}>
            {story.data.relatedAlerts.length ? (
              <ul className="plain">
                {story.data.relatedAlerts.map((r) => (
                  <li key={r.id}>
                    <LevelBadge level={r.level} /> <Link to={`/alerts/${encodeURIComponent(r.id)}`}>{r.ruleTitle}</Link> <span className="small muted">{formatTime(r.firstSeen)}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>No other alerts on this host in the window.</Empty>
            )}
          </Card>
          <Card title={`Events in the window (${story.data.events.length || story.data.alertEvents.length})`}>
            <VirtualTable
              label="Storyline events"
              height={300}
              columns={[
                { name: 'time', width: 180 },
                { name: 'event', width: 140 },
                { name: 'what', width: 420 },
              ]}
              rows={(story.data.events.length ? story.data.events : story.data.alertEvents).map((e) => ({ time: formatTime(String(e['@timestamp'])), event: `${String(e['event.category'])}/${String(e['event.action'])}`, what: eventSummary(e), __event: e }))}
              onOpen={(row) => setOpen(row.__event as HuntEvent)}
            />
          </Card>
        </div>
      ) : null}
      {open ? <EventDetails event={open} onClose={() => setOpen(null)} /> : null}
    </Page>
  );
}

function Triage({ alert, onSaved }: { alert: Alert; onSaved: () => void }) {
  const canManage = useCan('alerts:manage');
  const { state } = useSession();
  const me = state.status === 'ready' ? state.info.name : '';
  const [status, setStatus] = useState<AlertStatus>(alert.status);
  const [assignee, setAssignee] = useState(alert.assignee ?? '');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setStatus(alert.status);
    setAssignee(alert.assignee ?? '');
  }, [alert.status, alert.assignee]);
  const save = async (body: { status?: AlertStatus; assignee?: string | null }) => {
    setError(null);
    setSaved(false);
    try {
      await api.patch(`/api/v1/alerts/${encodeURIComponent(alert.id)}`, body);
      setSaved(true);
      onSaved();
    } catch (reason) {
      setError(reason);
    }
  };
  return (
    <Card title="Triage">
      {canManage ? (
        <form
          className="form-grid"
          onSubmit={(event) => {
            event.preventDefault();
            void save({ status, assignee: assignee.trim() || null });
          }}
        >
          <label htmlFor="triage-status">Status</label>
          <select id="triage-status" value={status} onChange={(e) => setStatus(e.target.value as AlertStatus)}>
            {alertStatuses.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
          <label htmlFor="triage-assignee">Assignee</label>
          <div className="row">
            <input id="triage-assignee" value={assignee} maxLength={64} onChange={(e) => setAssignee(e.target.value)} placeholder="nobody" />
            <button type="button" onClick={() => setAssignee(me)}>
              Me
            </button>
          </div>
          <span />
          <div className="row">
            <button type="submit" className="primary">
              Save triage
            </button>
            {saved ? <span role="status" className="text-good">Saved</span> : null}
          </div>
        </form>
      ) : (
        <dl className="kv compact">
          <div className="kv-row"><dt>Status</dt><dd><StatusBadge status={alert.status} /></dd></div>
          <div className="kv-row"><dt>Assignee</dt><dd>{alert.assignee ?? '–'}</dd></div>
        </dl>
      )}
      <p className="small muted">Updated {formatTime(alert.updatedAt)}.</p>
      <ErrorBox error={error} />
      <Comments alertId={alert.id} />
    </Card>
  );
}

function Comments({ alertId }: { alertId: string }) {
  const canManage = useCan('alerts:manage');
  const path = `/api/v1/alerts/${encodeURIComponent(alertId)}/comments`;
  const comments = useResource<AlertComment[]>(path, { refreshMs: 30_000 });
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(path, { text });
      setText('');
      comments.reload();
    } catch (reason) {
      setError(reason);
    }
    setBusy(false);
  };
  const list = comments.data ?? [];
  return (
    <section aria-labelledby="comments-title">
      <h3 id="comments-title">Comments{comments.data ? ` (${list.length})` : ''}</h3>
      <ErrorBox error={comments.error} />
      {comments.data && !list.length ? <Empty>No comments yet.</Empty> : null}
      {list.length ? (
        <ol className="plain comments" data-testid="comments">
          {list.map((c) => (
            <li key={c.id} data-testid="comment">
              <div className="small muted">
                <strong>{c.author}</strong>
                {c.authorKind === 'api_token' ? ' (API token)' : ''} · <time dateTime={c.createdAt}>{formatTime(c.createdAt)}</time>
              </div>
              <p className="comment-text">{c.text}</p>
            </li>
          ))}
        </ol>
      ) : null}
      {canManage ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label htmlFor="comment-text">Add a comment</label>
          <textarea id="comment-text" rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} placeholder="What you found, what you did" />
          <div className="row">
            <button type="submit" className="primary" disabled={busy || !text.trim()}>
              Add comment
            </button>
          </div>
        </form>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}
