// The host's response panel: isolation state (the agent's checked report when current, else the tasks) with Isolate / Release, any other action the role may run, the host's
// recent tasks with live state, and its tags. Renders only what the server offers and the caller may use.

import { useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useActions, useIsolation, type Task } from '../api/response.js';
import type { Host } from '../api/types.js';
import { ActionDialog } from './action-dialog.js';
import { TaskDetails, TaskTable } from './tasks.js';
import { Badge, Card, ErrorBox } from './ui.js';
import { useCan, useSession } from '../session.js';
import { formatTime, relativeTime } from '../lib/time.js';
import { shownIsolation } from '../lib/isolation.js';

export function ResponsePanel({ host, onChange }: { host: Host; onChange: () => void }) {
  const { hasRoute, can } = useSession();
  const actions = useActions();
  const isolation = useIsolation(host.id, 3_000);
  const tasks = useResource<Task[]>(actions.available ? `/api/v1/response/tasks?host_id=${encodeURIComponent(host.id)}&limit=15` : null, { refreshMs: 3_000 });
  const canContain = useCan('response:contain');
  const runnable = (actions.data ?? []).filter((a) => can(a.permission));
  const [dialog, setDialog] = useState<{ action?: string } | null>(null);
  const [open, setOpen] = useState<Task | null>(null);
  const state = isolation.map.get(host.id);
  const shown = shownIsolation(state, host.isolation);
  const revoked = host.state === 'revoked';
  const tagsAvailable = hasRoute('GET', '/api/v1/hosts/:id/tags');

  if (!actions.available && !tagsAvailable) return null;
  const done = () => {
    isolation.reload();
    tasks.reload();
    onChange();
  };
  return (
    <Card title="Response" className="span-2">
      {actions.available ? (
        <>
          <div className="toolbar" data-testid="isolation">
            <span>
              Network:{' '}
              {shown.state === 'isolated' ? (
                <Badge tone="state-isolated">isolated</Badge>
              ) : shown.state === 'pending' && state ? (
                <Badge tone="warn">{state.task.action === 'host.isolate' ? 'isolating…' : 'releasing…'}</Badge>
              ) : shown.state === 'unverified' ? (
                <Badge tone="warn" title={shown.problem}>isolation not verified</Badge>
              ) : (
                <Badge tone="state-online">not isolated</Badge>
              )}{' '}
              {shown.verifiedAt ? (
                <span className="small muted" data-testid="isolation-verified">
                  (verified by agent at {formatTime(shown.verifiedAt)}){shown.problem ? `: ${shown.problem}` : ''}
                </span>
              ) : null}{' '}
              {state ? <span className="small muted">since {relativeTime(state.task.finished_at ?? state.task.created_at)} ({state.task.issued_by})</span> : null}
            </span>
            {canContain && !revoked ? (
              shown.state === 'isolated' || shown.state === 'unverified' || (state?.state === 'pending' && state.task.action === 'host.isolate') ? (
                <button type="button" onClick={() => setDialog({ action: 'host.release' })} disabled={state?.state === 'pending'}>
                  Release isolation…
                </button>
              ) : (
                <button type="button" className="danger" onClick={() => setDialog({ action: 'host.isolate' })} disabled={state?.state === 'pending'}>
                  Isolate host…
                </button>
              )
            ) : null}
            {runnable.length && !revoked ? (
              <button type="button" onClick={() => setDialog({})}>
                Run action…
              </button>
            ) : null}
          </div>
          <ErrorBox error={tasks.error} />
          {tasks.data ? <TaskTable tasks={tasks.data} onOpen={setOpen} showHost={false} /> : null}
        </>
      ) : null}
      {tagsAvailable ? <HostTags hostId={host.id} /> : null}
      {dialog ? <ActionDialog hostIds={[host.id]} {...(dialog.action ? { action: dialog.action } : {})} onClose={() => setDialog(null)} onDone={done} /> : null}
      {open ? <TaskDetails task={open} onClose={() => { setOpen(null); done(); }} /> : null}
    </Card>
  );
}

function HostTags({ hostId }: { hostId: string }) {
  const tags = useResource<{ tags: string[] }>(`/api/v1/hosts/${encodeURIComponent(hostId)}/tags`);
  const canManage = useCan('hosts:manage');
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    setError(null);
    try {
      await api.put(`/api/v1/hosts/${encodeURIComponent(hostId)}/tags`, { tags: [...new Set((editing ?? '').split(/[\s,]+/).filter(Boolean))] });
      setEditing(null);
      tags.reload();
    } catch (reason) {
      setError(reason);
    }
  };
  return (
    <div className="toolbar" data-testid="host-tags">
      <span>Tags:</span>
      {editing === null ? (
        <>
          {(tags.data?.tags ?? []).map((t) => (
            <Badge key={t} tone="tag">
              {t}
            </Badge>
          ))}
          {tags.data && !tags.data.tags.length ? <span className="muted">none</span> : null}
          {canManage ? (
            <button type="button" className="small" onClick={() => setEditing((tags.data?.tags ?? []).join(' '))}>
              Edit tags
            </button>
          ) : null}
        </>
      ) : (
        <>
          <label className="inline-field">
            <span className="sr-only">Tags</span>
            <input value={editing} onChange={(e) => setEditing(e.target.value)} placeholder="prod web" autoFocus />
          </label>
          <button type="button" className="small primary" onClick={() => void save()}>
            Save tags
          </button>
          <button type="button" className="small" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </>
      )}
      <ErrorBox error={tags.error ?? error} />
    </div>
  );
}
