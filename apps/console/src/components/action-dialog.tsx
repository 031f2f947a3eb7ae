// Runs a response action on hosts: pick the action (only those the role may run), fill its arguments (a form from
// the action's JSON Schema), give a reason; destructive actions ask again with the server's confirmation token; then
// the created tasks are followed live until they finish.

import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, api } from '../api/client.js';
import { terminalStates, useActions, type ConfirmationAnswer, type CreateTasksAnswer, type ResponseAction, type Task } from '../api/response.js';
import { useHosts } from '../api/hosts.js';
import { argsFromForm, formFields } from '../lib/schema-args.js';
import { ErrorBox, Modal, Notice } from './ui.js';
import { TaskStateBadge, taskSummary } from './tasks.js';
import { useCan, useSession } from '../session.js';

export function ActionDialog({ hostIds, action: fixed, initialArgs, onClose, onDone }: { hostIds: readonly string[]; action?: string; initialArgs?: Record<string, string>; onClose: () => void; onDone?: () => void }) {
  const actions = useActions();
  const { can } = useSession();
  const { nameOf } = useHosts();
  const runnable = useMemo(() => (actions.data ?? []).filter((a) => can(a.permission)).sort((a, b) => a.name.localeCompare(b.name)), [actions.data, can]);
  const [name, setName] = useState(fixed ?? '');
  const action: ResponseAction | undefined = runnable.find((a) => a.name === name) ?? (fixed ? undefined : runnable[0]);
  const [values, setValues] = useState<Record<string, string | boolean>>(initialArgs ?? {});
  const [reason, setReason] = useState('');
  const [approval, setApproval] = useState(false);
  const [confirm, setConfirm] = useState<ConfirmationAnswer | null>(null);
  const [created, setCreated] = useState<Task[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const canApprove = useCan('approvals:grant');
  const fields = formFields(action?.args);
  const built = argsFromForm(action?.args, values);

  // Follow the created tasks until every one has finished (polled once a second by batch).
  const doneRef = useRef(onDone);
  doneRef.current = onDone;
  const batch = created?.[0]?.batch_id;
  const finished = created ? created.every((t) => terminalStates.has(t.state)) : true;
  useEffect(() => {
    if (!batch || finished) return;
    const timer = setInterval(() => {
      void api
        .get<Task[]>(`/api/v1/response/tasks?batch_id=${encodeURIComponent(batch)}&limit=1000`)
        .then((tasks) => {
          setCreated(tasks);
          if (tasks.every((t) => terminalStates.has(t.state))) doneRef.current?.();
        })
        .catch(setError);
    }, 1000);
    return () => clearInterval(timer);
  }, [batch, finished]);

  const submit = async (token?: string) => {
    if (!action) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<CreateTasksAnswer | ConfirmationAnswer>('/api/v1/response/tasks', {
        action: action.name,
        args: built.args,
        hosts: hostIds,
        reason,
        ...(approval ? { require_approval: true } : {}),
        ...(token ? { confirmation_token: token } : {}),
      });
      if (answer.status === 'confirmation_required') setConfirm(answer);
      else {
        setConfirm(null);
        setCreated(answer.tasks);
        onDone?.();
      }
    } catch (reason_) {
      setError(reason_);
    } finally {
      setBusy(false);
    }
  };

  const hostsText = hostIds.map(nameOf).join(', ');
  const title = confirm && !created ? `Confirm ${action?.title ?? ''}` : fixed ? (action?.title ?? fixed) : 'Run a response action';
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        created ? (
          <button type="button" onClick={onClose}>
            Close
          </button>
        ) : confirm ? (
          <>
            <button type="button" onClick={() => setConfirm(null)} disabled={busy}>
              Back
            </button>
            <button type="button" className="danger" onClick={() => void submit(confirm.confirmation_token)} disabled={busy}>
              {busy ? 'Working…' : `Yes, ${action?.title.toLowerCase() ?? 'run it'}`}
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className={action?.destructive ? 'danger' : 'primary'} disabled={busy || !action || !reason.trim() || built.problems.length > 0 || !hostIds.length} onClick={() => void submit()}>
              {busy ? 'Working…' : action?.destructive ? 'Continue…' : `Run on ${hostIds.length} host${hostIds.length === 1 ? '' : 's'}`}
            </button>
          </>
        )
      }
    >
      {actions.error ? <ErrorBox error={actions.error} /> : null}
      {created ? (
        <ul className="plain" data-testid="task-progress" aria-live="polite" aria-label="Task progress">
          {created.map((t) => (
            <li key={t.id} data-task-id={t.id} data-state={t.state}>
              <TaskStateBadge state={t.state} /> {nameOf(t.host_id)} · <code className="mono">{t.action}</code> {taskSummary(t)}
              {t.progress?.fraction !== undefined && !terminalStates.has(t.state) ? <progress max={1} value={t.progress.fraction} /> : null}
            </li>
          ))}
        </ul>
      ) : confirm ? (
        <Notice tone="warning">
          <p>{confirm.message}</p>
          <p>
            Hosts: {confirm.hosts.map(nameOf).join(', ')} · arguments <code className="mono">{JSON.stringify(confirm.args)}</code>
          </p>
        </Notice>
      ) : (
        <div className="form-grid">
          <span>Hosts</span>
          <span data-testid="action-hosts">{hostsText || 'none chosen'}</span>
          {fixed ? null : (
            <>
              <label htmlFor="action-name">Action</label>
              <select id="action-name" value={action?.name ?? ''} onChange={(e) => { setName(e.target.value); setValues({}); }}>
                {runnable.map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.title} ({a.name}){a.destructive ? ' — destructive' : ''}
                  </option>
                ))}
              </select>
            </>
          )}
          {action ? (
            <>
              <span />
              <span className="small muted">
                {action.description}
                {action.reversed_by ? ` Undo with ${action.reversed_by}.` : ''}
                <span className="action-verification" data-testid="action-verification">
                  Verified by: {action.verification}
                </span>
              </span>
            </>
          ) : fixed && actions.data ? (
            <>
              <span />
              <span className="text-bad">Your role may not run {fixed}.</span>
            </>
          ) : null}
          {fields.map((f) => {
            const id = `arg-${f.name}`;
            const value = values[f.name] ?? f.initial;
            const set = (v: string | boolean) => setValues((current) => ({ ...current, [f.name]: v }));
            return [
              <label key={`${id}-label`} htmlFor={id}>
                {f.name}
                {f.required ? ' *' : ''}
              </label>,
              <div key={id}>
                {f.kind === 'checkbox' ? (
                  <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />
                ) : f.kind === 'select' ? (
                  <select id={id} value={String(value)} onChange={(e) => set(e.target.value)}>
                    {f.required ? null : <option value="">(default)</option>}
                    {f.options.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                ) : f.kind === 'list' || f.kind === 'json' ? (
                  <textarea id={id} rows={3} value={String(value)} onChange={(e) => set(e.target.value)} placeholder={f.kind === 'list' ? 'one per line' : 'JSON'} />
                ) : (
                  <input id={id} type={f.kind === 'number' ? 'number' : 'text'} value={String(value)} onChange={(e) => set(e.target.value)} />
                )}
                {f.description ? <div className="small muted">{f.description}</div> : null}
              </div>,
            ];
          })}
          <label htmlFor="action-reason">Reason *</label>
          <input id="action-reason" value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} placeholder="Why (recorded in the audit log and signed into the task)" />
          <label htmlFor="action-approval">Hold for a second person</label>
          <div>
            <input id="action-approval" type="checkbox" checked={approval} onChange={(e) => setApproval(e.target.checked)} />
            {approval && !canApprove ? <span className="small muted"> someone with approvals:grant must approve it</span> : null}
          </div>
          {built.problems.length ? (
            <>
              <span />
              <span className="text-bad small">{built.problems.map((p) => `${p.field}: ${p.message}`).join(' · ')}</span>
            </>
          ) : null}
        </div>
      )}
      <ErrorBox error={error instanceof ApiError ? error : error} />
    </Modal>
  );
}
