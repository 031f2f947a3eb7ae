// Audit logs: the server's (logins, enrollments, revocations, rule, alert and hunt changes) and the response audit log
// (every task, delivery, result, approval and policy decision, hash-chained, with chain verification), newest first.

import { useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import type { AuditEntry } from '../api/types.js';
import type { ResponseAuditEntry } from '../api/response.js';
import { Badge, ErrorBox, Loading, Notice, Page, TabPanel, Tabs } from '../components/ui.js';
import { ListTable } from '../components/list-table.js';
import { FilterSelect, SearchField } from '../components/filters.js';
import { formatTime } from '../lib/time.js';
import { setSearchParam, useLocation } from '../router.js';
import { useSession } from '../session.js';

export default function AuditPage() {
  const location = useLocation();
  const { can, hasRoute } = useSession();
  const tab = location.search.get('tab') ?? (can('audit:read') ? 'server' : 'response');
  const responseAudit = can('response:read') && hasRoute('GET', '/api/v1/response/audit');
  return (
    <Page title="Audit log">
      <Tabs
        label="Audit logs"
        active={tab}
        onChange={(next) => setSearchParam('tab', next)}
        tabs={[
          { id: 'server', label: 'Server', hidden: !can('audit:read') },
          { id: 'response', label: 'Response actions', hidden: !responseAudit },
        ]}
      />
      <TabPanel id={tab}>{tab === 'response' && responseAudit ? <ResponseAudit /> : can('audit:read') ? <ServerAudit /> : null}</TabPanel>
    </Page>
  );
}

function ServerAudit() {
  const [limit, setLimit] = useState(500);
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState('');
  const log = useResource<AuditEntry[]>(`/api/v1/audit?limit=${limit}`, { refreshMs: 30_000 });
  const shown = useMemo(() => {
    const needle = text.toLowerCase();
    return (log.data ?? []).filter((e) => (!outcome || e.outcome === outcome) && (!needle || `${e.actor} ${e.action} ${e.target ?? ''} ${e.detail ?? ''}`.toLowerCase().includes(needle)));
  }, [log.data, text, outcome]);
  return (
    <>
      <p className="muted">{log.data ? `${shown.length} of the newest ${log.data.length} entries` : null}</p>
      <div className="toolbar" role="search">
        <SearchField label="Search the audit log" placeholder="Search actor, action, target or detail  ( / )" value={text} onChange={setText} />
        <FilterSelect label="Outcome" value={outcome} onChange={setOutcome} options={[{ value: 'success', label: 'success' }, { value: 'failure', label: 'failure' }]} />
        <FilterSelect label="Entries" value={String(limit)} onChange={(value) => setLimit(Number(value))} anyLabel={null} options={['200', '500', '2000', '5000'].map((n) => ({ value: n, label: n }))} />
      </div>
      <ErrorBox error={log.error} />
      {!log.data && log.loading ? <Loading what="audit log" /> : null}
      <ListTable rows={log.data ? shown : undefined} columns={['Time', 'Actor', 'Action', 'Target', 'Outcome', 'Detail']} empty="No entry matches." testId="audit-table">
        {(e) => (
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
        )}
      </ListTable>
    </>
  );
}

function ResponseAudit() {
  const [text, setText] = useState('');
  const log = useResource<ResponseAuditEntry[]>('/api/v1/response/audit?limit=1000', { refreshMs: 15_000 });
  const [verdict, setVerdict] = useState<{ ok: boolean; entries: number; broken: { seq?: number; problem?: string } | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const shown = useMemo(() => {
    const needle = text.toLowerCase();
    return (log.data ?? []).filter((e) => !needle || `${e.actor} ${e.event} ${e.action ?? ''} ${e.hosts.join(' ')} ${e.reason ?? ''}`.toLowerCase().includes(needle));
  }, [log.data, text]);
  return (
    <>
      <div className="toolbar" role="search">
        <SearchField label="Search the response audit log" placeholder="Search actor, event, action, host or reason  ( / )" value={text} onChange={setText} />
        <button
          type="button"
          onClick={async () => {
            setError(null);
            try {
              setVerdict(await api.get('/api/v1/response/audit/verify'));
            } catch (reason) {
              setError(reason);
            }
          }}
        >
          Verify hash chain
        </button>
      </div>
      {verdict ? (
        <Notice tone={verdict.ok ? 'success' : 'warning'}>
          {verdict.ok ? `Chain intact: ${verdict.entries} entries verified.` : `Chain broken at entry ${verdict.broken?.seq ?? '?'}: ${verdict.broken?.problem ?? ''}`}
        </Notice>
      ) : null}
      <ErrorBox error={log.error ?? error} />
      <ListTable rows={log.data ? shown : undefined} columns={['#', 'Time', 'Actor', 'Event', 'Action', 'Outcome', 'Reason / detail']} empty="No entry matches." testId="response-audit-table">
        {(e) => (
          <tr key={e.seq}>
            <td className="num">{e.seq}</td>
            <td className="nowrap">{formatTime(e.time)}</td>
            <td>{e.actor}</td>
            <td>
              <code className="mono">{e.event}</code>
            </td>
            <td>{e.action ?? '–'}</td>
            <td>
              <Badge tone={e.outcome === 'success' ? 'state-online' : e.outcome === 'pending' || e.outcome === 'dry_run' ? 'warn' : 'state-revoked'}>{e.outcome}</Badge>
            </td>
            <td className="small mono-wrap">
              {e.reason ?? ''} {e.detail ? JSON.stringify(e.detail) : ''}
            </td>
          </tr>
        )}
      </ListTable>
    </>
  );
}
