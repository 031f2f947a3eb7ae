// The exec blocklist: executables (by sha256), path globs and command-line patterns agents stop at exec, and which
// version each host enforces.

import { useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import type { Blocklist, BlocklistHosts } from '../api/response.js';
import { Badge, Card, ConfirmDialog, Empty, ErrorBox, Page } from '../components/ui.js';
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
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<Blocklist['entries'][number] | null>(null);
  return (
    <Page title="Blocklist" subtitle={list.data ? `version ${list.data.version} · changed ${relativeTime(list.data.updated_at)} by ${list.data.updated_by}` : undefined}>
      <ErrorBox error={list.error ?? hosts.error ?? error} />
      <div className="grid-2">
        <Card title="Blocked at exec">
          {list.data && !list.data.entries.length ? <Empty>Nothing is blocked.</Empty> : null}
          {list.data?.entries.length ? (
            <table className="table" data-testid="blocklist-table">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Value</th>
                  <th scope="col">Added</th>
                  {canManage ? (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {list.data.entries.map((e) => (
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
                        <button type="button" className="small danger" onClick={() => setRemoving(e)}>
                          Remove
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {canManage ? (
            <form
              className="form-grid"
              onSubmit={async (event) => {
                event.preventDefault();
                setError(null);
                try {
                  await api.post('/api/v1/blocklist/entries', { kind, value: value.trim(), ...(description ? { description } : {}) });
                  setValue('');
                  setDescription('');
                  list.reload();
                } catch (reason) {
                  setError(reason);
                }
              }}
            >
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
          {hosts.data && !hosts.data.hosts.length ? <Empty>No agent has fetched the blocklist yet.</Empty> : null}
          {hosts.data?.hosts.length ? (
            <table className="table" data-testid="blocklist-hosts">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Version</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">Blocked</th>
                  <th scope="col">Seen</th>
                </tr>
              </thead>
              <tbody>
                {hosts.data.hosts.map((h) => (
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
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
      </div>
      {removing ? (
        <ConfirmDialog
          title="Remove from the blocklist"
          confirmLabel="Remove"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.del(`/api/v1/blocklist/entries/${encodeURIComponent(removing.id)}`);
            list.reload();
          }}
        >
          <p>
            Agents stop blocking <code className="mono">{removing.value}</code> within a second.
          </p>
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}
