// Audit log: who did what and when (logins, enrollments, revocations, rule, alert and hunt changes), newest first,
// filtered by text, actor and outcome.

import { useMemo, useState } from 'react';
import { useResource } from '../api/use-resource.js';
import type { AuditEntry } from '../api/types.js';
import { Badge, Empty, ErrorBox, Loading, Page } from '../components/ui.js';
import { formatTime } from '../lib/time.js';

export default function AuditPage() {
  const [limit, setLimit] = useState(500);
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState('');
  const log = useResource<AuditEntry[]>(`/api/v1/audit?limit=${limit}`, { refreshMs: 30_000 });
  const shown = useMemo(() => {
    const needle = text.toLowerCase();
    return (log.data ?? []).filter((e) => (!outcome || e.outcome === outcome) && (!needle || `${e.actor} ${e.action} ${e.target ?? ''} ${e.detail ?? ''}`.toLowerCase().includes(needle)));
  }, [log.data, text, outcome]);
  return (
    <Page title="Audit log" subtitle={log.data ? `${shown.length} of the newest ${log.data.length} entries` : undefined}>
      <div className="toolbar" role="search">
        <label className="inline-field grow">
          <span className="sr-only">Search the audit log</span>
          <input type="search" data-search aria-keyshortcuts="/" placeholder="Search actor, action, target or detail  ( / )" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <label className="inline-field">
          Outcome{' '}
          <select value={outcome} onChange={(e) => setOutcome(e.target.value)}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
          </select>
        </label>
        <label className="inline-field">
          Entries{' '}
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {[200, 500, 2000, 5000].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={log.error} />
      {!log.data && log.loading ? <Loading what="audit log" /> : null}
      {log.data && !shown.length ? <Empty>No entry matches.</Empty> : null}
      {shown.length ? (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.id}>
                <td className="nowrap">{formatTime(e.time)}</td>
                <td>{e.actor}</td>
                <td>
                  <code className="mono">{e.action}</code>
                </td>
                <td className="small">{e.target ?? '–'}</td>
                <td>
                  <Badge tone={e.outcome === 'success' ? 'state-online' : 'state-revoked'}>{e.outcome}</Badge>
                </td>
                <td className="small mono-wrap">{e.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
