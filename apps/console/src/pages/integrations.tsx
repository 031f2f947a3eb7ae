// Integrations: export destinations (syslog, webhook, NDJSON over HTTP) with their delivery status; create, test,
// pause, delete, and retry dead letters. Secrets are write-only: the server never returns them.

import { useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { levels, type Destination } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { Badge, ErrorBox, Modal, Notice, Page, DeleteDialog, DeleteButton } from '../components/ui.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { formatTime, relativeTime } from '../lib/time.js';
import { useCan } from '../session.js';

type Kind = Destination['kind'];

export default function IntegrationsPage() {
  const destinations = useResource<Destination[]>('/api/v1/integrations/destinations', { refreshMs: 10_000 });
  const canManage = useCan('integrations:manage');
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Destination | null>(null);
  const [dead, setDead] = useState<Destination | null>(null);
  const { message, error, act, setMessage } = useAction(destinations.reload);
  return (
    <Page
      title="Integrations"
      actions={
        canManage ? (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Add destination…
          </button>
        ) : null
      }
    >
      <ErrorBox error={destinations.error ?? error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      <ListTable
        rows={destinations.data}
        columns={['Destination', 'Sends', 'State', { label: 'Pending', className: 'num' }, { label: 'Sent', className: 'num' }, { label: 'Dead', className: 'num' }, 'Last success / error']}
        actions
        empty="No destinations. Alerts and events stay in Vigil until you add one."
        testId="destinations-table"
      >
        {(d) => (
          <tr key={d.id}>
            <td>
              <strong>{d.name}</strong>
              <div className="small muted">
                {d.kind} · {String(d.settings.url ?? `${String(d.settings.host ?? '')}:${String(d.settings.port ?? '')}`)}
              </div>
            </td>
            <td>
              {d.stream}
              {d.filters.min_level ? <div className="small muted">≥ {d.filters.min_level}</div> : null}
            </td>
            <td>
              <Badge tone={d.enabled ? 'state-online' : 'state-offline'}>{d.enabled ? 'enabled' : 'paused'}</Badge>
              {d.status?.consecutive_failures ? <Badge tone="warn">{d.status.consecutive_failures} failing</Badge> : null}
            </td>
            <td className="num">{d.status?.pending ?? 0}</td>
            <td className="num">{d.status?.sent ?? 0}</td>
            <td className={`num${d.status?.dead ? ' text-bad' : ''}`}>{d.status?.dead ?? 0}</td>
            <td className="small">
              {d.status?.last_success_at ? `ok ${relativeTime(d.status.last_success_at)}` : 'never delivered'}
              {d.status?.last_error ? <div className="text-bad">{d.status.last_error} ({relativeTime(d.status.last_error_at)})</div> : null}
            </td>
            <td className="actions">
              {canManage ? (
                <>
                  <button type="button" className="small" onClick={() => void act(async () => { const r = await api.post<{ delivered: boolean; error: string | null; latency_ms: number }>(`/api/v1/integrations/destinations/${d.id}/test`, {}); return r.delivered ? `${d.name}: test delivered in ${Math.round(r.latency_ms)} ms` : `${d.name}: test failed: ${r.error ?? 'unknown error'}`; })}>
                    Test
                  </button>
                  <button type="button" className="small" onClick={() => void act(async () => { await api.patch(`/api/v1/integrations/destinations/${d.id}`, { enabled: !d.enabled }); return `${d.name} ${d.enabled ? 'paused' : 'enabled'}`; })}>
                    {d.enabled ? 'Pause' : 'Enable'}
                  </button>
                  {d.status?.dead ? (
                    <button type="button" className="small" onClick={() => setDead(d)}>
                      Dead letters
                    </button>
                  ) : null}
                  <DeleteButton onClick={() => setDeleting(d)} />
                </>
              ) : null}
            </td>
          </tr>
        )}
      </ListTable>
      {creating ? <CreateDestination onClose={() => setCreating(false)} onCreated={(name) => { setMessage(`${name} created`); destinations.reload(); }} /> : null}
      {deleting ? (
        <DeleteDialog title={`Delete ${deleting.name}`} confirmLabel="Delete destination" path={`/api/v1/integrations/destinations/${deleting.id}`} onClose={() => setDeleting(null)} onDeleted={destinations.reload}>
          <p>Pending deliveries and dead letters of this destination are deleted with it.</p>
        </DeleteDialog>
      ) : null}
      {dead ? <DeadLetters destination={dead} onClose={() => { setDead(null); destinations.reload(); }} /> : null}
    </Page>
  );
}

function CreateDestination({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind>('webhook');
  const [stream, setStream] = useState<'alerts' | 'events'>('alerts');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState(514);
  const [transport, setTransport] = useState<'udp' | 'tcp' | 'tls'>('tcp');
  const [format, setFormat] = useState<'rfc5424' | 'cef' | 'leef'>('rfc5424');
  const [minLevel, setMinLevel] = useState('');
  const settings =
    kind === 'syslog' ? { host, port, transport, format } : kind === 'webhook' ? { url, ...(secret ? { secret } : {}) } : { url, ...(secret ? { authorization: secret } : {}) };
  return (
    <FormModal
      title="Add destination"
      onClose={onClose}
      submitLabel="Create"
      onSubmit={async () => {
        await api.post('/api/v1/integrations/destinations', { name, kind, stream, settings, ...(minLevel ? { filters: { min_level: minLevel } } : {}) });
        onCreated(name);
      }}
    >
      <div className="form-grid">
        <label htmlFor="dest-name">Name</label>
        <input id="dest-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} autoFocus />
        <label htmlFor="dest-kind">Kind</label>
        <select id="dest-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="webhook">webhook (signed JSON)</option>
          <option value="syslog">syslog (RFC 5424, CEF, LEEF)</option>
          <option value="http-ndjson">NDJSON over HTTP</option>
        </select>
        <label htmlFor="dest-stream">Sends</label>
        <select id="dest-stream" value={stream} onChange={(e) => setStream(e.target.value as 'alerts' | 'events')}>
          <option value="alerts">alerts</option>
          <option value="events">raw events</option>
        </select>
        {kind === 'syslog' ? (
          <>
            <label htmlFor="dest-host">Host</label>
            <input id="dest-host" value={host} onChange={(e) => setHost(e.target.value)} />
            <label htmlFor="dest-port">Port</label>
            <input id="dest-port" type="number" min={1} max={65535} value={port} onChange={(e) => setPort(Number(e.target.value))} />
            <label htmlFor="dest-transport">Transport</label>
            <select id="dest-transport" value={transport} onChange={(e) => setTransport(e.target.value as 'udp' | 'tcp' | 'tls')}>
              <option>udp</option>
              <option>tcp</option>
              <option>tls</option>
            </select>
            <label htmlFor="dest-format">Format</label>
            <select id="dest-format" value={format} onChange={(e) => setFormat(e.target.value as 'rfc5424' | 'cef' | 'leef')}>
              <option>rfc5424</option>
              <option>cef</option>
              <option>leef</option>
            </select>
          </>
        ) : (
          <>
            <label htmlFor="dest-url">URL</label>
            <input id="dest-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://soc.example.com/hooks/vigil" />
            <label htmlFor="dest-secret">{kind === 'webhook' ? 'Signing secret (16+ characters)' : 'Authorization header'}</label>
            <input id="dest-secret" type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
          </>
        )}
        {stream === 'alerts' ? (
          <>
            <label htmlFor="dest-level">Only alerts at or above</label>
            <select id="dest-level" value={minLevel} onChange={(e) => setMinLevel(e.target.value)}>
              <option value="">any level</option>
              {[...levels].reverse().map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </>
        ) : null}
      </div>
    </FormModal>
  );
}

function DeadLetters({ destination, onClose }: { destination: Destination; onClose: () => void }) {
  const letters = useResource<{ total: number; dead_letters: { id: number; created_at: string; dead_at: string; attempts: number; last_error: string | null }[] }>(`/api/v1/integrations/destinations/${destination.id}/dead-letters?limit=200`);
  const { message, error, act } = useAction(letters.reload);
  return (
    <Modal
      title={`Dead letters of ${destination.name}`}
      onClose={onClose}
      footer={
        <>
          <button
            type="button"
            onClick={() =>
              void act(async () => {
                const r = await api.post<{ requeued: number }>(`/api/v1/integrations/destinations/${destination.id}/dead-letters/retry`, {});
                return `${r.requeued} requeued`;
              })
            }
          >
            Retry all
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <ErrorBox error={letters.error ?? error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      <ListTable rows={letters.data?.dead_letters} columns={['Created', 'Gave up', { label: 'Attempts', className: 'num' }, 'Last error']}>
        {(d) => (
          <tr key={d.id}>
            <td>{formatTime(d.created_at)}</td>
            <td>{formatTime(d.dead_at)}</td>
            <td className="num">{d.attempts}</td>
            <td className="small">{d.last_error}</td>
          </tr>
        )}
      </ListTable>
    </Modal>
  );
}
