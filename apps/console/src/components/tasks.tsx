// Response tasks in the console: state badges, a task table, a task's details with live progress (polled until the
// task finishes) and cancel / approve / reject where the caller may.

import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { terminalStates, type Task } from '../api/response.js';
import { useHosts } from '../api/hosts.js';
import { Badge, ConfirmDialog, Empty, ErrorBox, Modal } from './ui.js';
import { formatTime, relativeTime } from '../lib/time.js';
import { useCan } from '../session.js';
import { Link } from '../router.js';

const tones: Record<string, string> = {
  awaiting_approval: 'warn',
  queued: 'sweep-queued',
  delivered: 'sweep-queued',
  running: 'sweep-running',
  succeeded: 'state-online',
  failed: 'state-revoked',
  expired: 'state-offline',
  cancelled: 'state-offline',
};

export const TaskStateBadge = ({ state }: { state: string }) => <Badge tone={tones[state] ?? 'state-offline'}>{state.replace('_', ' ')}</Badge>;

export function taskSummary(task: Task): string {
  if (task.state === 'awaiting_approval') return 'waiting for a second person';
  if (typeof task.outcome?.['summary'] === 'string') return task.outcome['summary'];
  if (task.error) return task.error.message;
  if (task.refusal) return `refused: ${task.refusal.message}`;
  if (task.progress?.message) return `${task.progress.message}${task.progress.fraction !== undefined ? ` (${Math.round(task.progress.fraction * 100)} %)` : ''}`;
  return '';
}

export function TaskTable({ tasks, onOpen, showHost = true }: { tasks: readonly Task[]; onOpen: (task: Task) => void; showHost?: boolean }) {
  const { nameOf } = useHosts();
  if (!tasks.length) return <Empty>No tasks.</Empty>;
  return (
    <table className="table" data-testid="tasks-table">
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Action</th>
          {showHost ? <th scope="col">Host</th> : null}
          <th scope="col">State</th>
          <th scope="col">Result</th>
          <th scope="col">By</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.id} data-task-id={t.id}>
            <td className="nowrap" title={formatTime(t.created_at)}>
              <button type="button" className="link-button" onClick={() => onOpen(t)}>
                {relativeTime(t.created_at)}
              </button>
            </td>
            <td>
              <code className="mono">{t.action}</code>
            </td>
            {showHost ? (
              <td>
                <Link to={`/hosts/${encodeURIComponent(t.host_id)}`}>{nameOf(t.host_id)}</Link>
              </td>
            ) : null}
            <td>
              <TaskStateBadge state={t.state} />
            </td>
            <td className="small">{taskSummary(t)}</td>
            <td className="small">{t.issued_by}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A task's details, refreshed every second until it finishes. */
export function TaskDetails({ task: initial, onClose }: { task: Task; onClose: () => void }) {
  const [task, setTask] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState(false);
  const { nameOf } = useHosts();
  const canApprove = useCan('approvals:grant');
  const canAct = useCan(permissionHint(task.action));
  useEffect(() => {
    if (terminalStates.has(task.state)) return;
    const timer = setInterval(() => {
      api
        .get<Task>(`/api/v1/response/tasks/${encodeURIComponent(task.id)}`)
        .then(setTask)
        .catch(setError);
    }, 1000);
    return () => clearInterval(timer);
  }, [task.id, task.state]);
  const decide = async (verdict: 'approve' | 'reject') => {
    setError(null);
    try {
      setTask(await api.post<Task>(`/api/v1/response/tasks/${encodeURIComponent(task.id)}/${verdict}`, {}));
    } catch (reason) {
      setError(reason);
    }
  };
  return (
    <Modal
      title={`Task ${task.action} on ${nameOf(task.host_id)}`}
      onClose={onClose}
      footer={
        <>
          {task.state === 'awaiting_approval' && canApprove ? (
            <>
              <button type="button" className="primary" onClick={() => void decide('approve')}>
                Approve
              </button>
              <button type="button" className="danger" onClick={() => void decide('reject')}>
                Reject
              </button>
            </>
          ) : null}
          {!terminalStates.has(task.state) && canAct ? (
            <button type="button" className="danger" onClick={() => setCancelling(true)}>
              Cancel task…
            </button>
          ) : null}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <dl className="kv compact" data-testid="task-details">
        <div className="kv-row"><dt>State</dt><dd><TaskStateBadge state={task.state} /> {taskSummary(task)}</dd></div>
        {task.progress?.fraction !== undefined && !terminalStates.has(task.state) ? (
          <div className="kv-row"><dt>Progress</dt><dd><progress max={1} value={task.progress.fraction} /> {task.progress.message ?? ''}</dd></div>
        ) : null}
        <div className="kv-row"><dt>Reason</dt><dd>{task.reason}</dd></div>
        <div className="kv-row"><dt>Arguments</dt><dd><code className="mono-wrap">{JSON.stringify(task.args)}</code></dd></div>
        <div className="kv-row"><dt>Issued by</dt><dd>{task.issued_by}{task.policy_id ? ' (policy)' : ''}</dd></div>
        {task.alert_id ? <div className="kv-row"><dt>Alert</dt><dd><Link to={`/alerts/${encodeURIComponent(task.alert_id)}`} onClick={onClose}>{task.alert_id}</Link></dd></div> : null}
        <div className="kv-row"><dt>Created</dt><dd>{formatTime(task.created_at)}</dd></div>
        <div className="kv-row"><dt>Delivered</dt><dd>{formatTime(task.delivered_at)}{task.deliveries > 1 ? ` (${task.deliveries} deliveries)` : ''}</dd></div>
        <div className="kv-row"><dt>Started</dt><dd>{formatTime(task.started_at)}</dd></div>
        <div className="kv-row"><dt>Finished</dt><dd>{formatTime(task.finished_at)}</dd></div>
        <div className="kv-row"><dt>Expires</dt><dd>{formatTime(task.expires_at)}</dd></div>
        {task.approval.required ? <div className="kv-row"><dt>Approval</dt><dd>{task.approval.approved_by ? `${task.approval.approved_by} at ${formatTime(task.approval.approved_at)}` : 'pending'}{task.approval.comment ? ` — ${task.approval.comment}` : ''}</dd></div> : null}
        {task.outcome ? <div className="kv-row"><dt>Outcome</dt><dd><pre className="code small">{JSON.stringify(task.outcome, null, 2)}</pre></dd></div> : null}
        {task.error ? <div className="kv-row"><dt>Error</dt><dd className="text-bad">{task.error.message} ({task.error.code})</dd></div> : null}
      </dl>
      <ErrorBox error={error} />
      {cancelling ? (
        <ConfirmDialog
          title="Cancel task"
          confirmLabel="Cancel task"
          danger
          onClose={() => setCancelling(false)}
          onConfirm={async () => {
            setTask(await api.post<Task>(`/api/v1/response/tasks/${encodeURIComponent(task.id)}/cancel`, {}));
          }}
        >
          <p>A queued task is cancelled at once; a running one is sent a signed cancellation.</p>
        </ConfirmDialog>
      ) : null}
    </Modal>
  );
}

/** The permission an action probably needs, for showing a cancel button; the server decides. */
function permissionHint(action: string): string {
  if (/^(host\.(isolate|release)|net\.|process\.(suspend|resume)|account\.|path\.)/.test(action)) return 'response:contain';
  if (/^(process\.kill|file\.(delete|quarantine|restore))/.test(action)) return 'response:remediate';
  if (/^host\.(reboot|shutdown)/.test(action)) return 'response:power';
  return 'response:collect';
}
