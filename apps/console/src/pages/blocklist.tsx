// The exec blocklist: executables (by sha256), path globs and command-line patterns agents stop at exec, and which
// version each host enforces.

import { useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import type { Blocklist, BlocklistHosts } from '../api/response.js';
import { useSubmit } from '../api/use-action.js';
import { Badge, Card, ErrorBox, Page, DeleteDialog, DeleteButton } from '../components/ui.js';
import { ListTable } from '../components/list-table.js';
import { Link } from '../router.js';
import { formatTime, relativeTime } from '../lib/time.js';
import { useCan } from '../session.js';

export default function BlocklistPage() {
  const list = useResource<Blocklist>('/api/v1/blocklist', { refreshMs: 10_000 });
  const hosts = useResource<BlocklistHosts>('/api/v1/blocklist/hosts', { refreshMs: 10_000 });
  const { nameOf } = useHosts();
  const canManage = useCan('policies:manage');
  const [kind, setKind] = useState<'sha256' | 'path' | 'cmdline'>('sha256');
  const [value, setValue] = useState('');
  const [description, setDescription] = useState('');
  const { error, onSubmit } = useSubmit(async () => {
    await api.post('/api/v1/blocklist/entries', { kind, value: value.trim(), ...(description ? { description } : {}) });
    setValue('');
    setDescription('');
    list.reload();
  });
  const [removing, setRemoving] = useState<Blocklist['entries'][number] | null>(null);
  return (
    <Page title="Blocklist" subtitle={list.data ? `version ${list.data.version} · changed ${relativeTime(list.data.updated_at)} by ${list.data.updated_by}` : undefined}>
      <ErrorBox error={list.error ?? hosts.error ?? error} />
      <div className="grid-2">
        <Card title="Blocked at exec">
          <ListTable rows={list.data?.entries} columns={['Kind', 'Value', 'Added']} actions={canManage} empty="Nothing is blocked." testId="blocklist-table">
            {(e) => (
              <tr key={e.id}>
                <td>{e.kind}</td>
                <td>
                  <code className="mono-wrap">{e.value}</code>
                  <div className="small muted">{e.description}</div>
                </td>
                <td className="small">
                  {formatTime(e.created_at)} by {e.created_by}
                </td>
                {canManage ? (
                  <td>
                    <DeleteButton onClick={() => setRemoving(e)}>Remove</DeleteButton>
                  </td>
                ) : null}
              </tr>
            )}
          </ListTable>
          {canManage ? (
            <form className="form-grid" onSubmit={onSubmit}>
              <label htmlFor="block-kind">Block by</label>
              <select id="block-kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
                <option value="sha256">sha256 of the file</option>
                <option value="path">path glob</option>
                <option value="cmdline">command-line pattern</option>
              </select>
              <label htmlFor="block-value">Value</label>
              <input id="block-value" value={value} maxLength={4096} onChange={(e) => setValue(e.target.value)} placeholder={kind === 'sha256' ? '64 hex characters' : kind === 'path' ? '/tmp/**/xmrig' : 'curl .*\\| *sh'} required />
              <label htmlFor="block-description">Description</label>
              <input id="block-description" value={description} maxLength={1024} onChange={(e) => setDescription(e.target.value)} />
              <span />
              <div>
                <button type="submit" className="primary">
                  Add to blocklist
                </button>
              </div>
            </form>
          ) : null}
        </Card>
        <Card title="Enforcement on hosts">
          <ListTable rows={hosts.data?.hosts} columns={['Host', 'Version', 'State', { label: 'Blocked', className: 'num' }, 'Seen']} empty="No agent has fetched the blocklist yet." testId="blocklist-hosts">
            {(h) => (
              <tr key={h.agent_id}>
                <td>
                  <Link to={`/hosts/${encodeURIComponent(h.agent_id)}`}>{nameOf(h.agent_id)}</Link>
                </td>
                <td>
                  {h.applied_version} {h.current ? <Badge tone="state-online">current</Badge> : <Badge tone="warn">behind</Badge>}
                </td>
                <td>
                  {h.state}
                  {h.error ? <div className="text-bad small">{h.error}</div> : null}
                </td>
                <td className="num">{h.blocked}</td>
                <td>{relativeTime(h.seen_at)}</td>
              </tr>
            )}
          </ListTable>
        </Card>
      </div>
      {removing ? (
        <DeleteDialog title="Remove from the blocklist" confirmLabel="Remove" path={`/api/v1/blocklist/entries/${encodeURIComponent(removing.id)}`} onClose={() => setRemoving(null)} onDeleted={list.reload}>
          <p>
            Agents stop blocking <code className="mono">{removing.value}</code> within a second.
          </p>
        </DeleteDialog>
      ) : null}
    </Page>
  );
}
