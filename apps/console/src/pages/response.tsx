// Response: the task history of every host (filters, details with live progress, cancel), new tasks on chosen hosts
// or host tags, approvals waiting for a second person, collected evidence, and the task-signing key.

import { useMemo, useState } from 'react';
import { api, query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import { taskStates, useActions, type Evidence, type Task } from '../api/response.js';
import { ConfirmDialog, Empty, ErrorBox, Loading, Notice, Page, TabPanel, UrlTabs } from '../components/ui.js';
import { HostChecklist } from '../components/host-checklist.js';
import { toggled } from '../lib/sets.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { FilterSelect, hostOptions, spacedOptions } from '../components/filters.js';
import { TaskDetails, TaskTable } from '../components/tasks.js';
import { ActionDialog } from '../components/action-dialog.js';
import { Link, setSearchParam, useLocation } from '../router.js';
import { formatTime } from '../lib/time.js';
import { compactNumber } from '../lib/scale.js';
import { useCan, useSession } from '../session.js';

export default function ResponsePage() {
  const location = useLocation();
  const tab = location.search.get('tab') ?? 'tasks';
  const { hasRoute, can } = useSession();
  return (
    <Page title="Response">
      <UrlTabs
        label="Response views"
        active={tab}
        fallback="tasks"
        tabs={[
          { id: 'tasks', label: 'Tasks' },
          { id: 'approvals', label: 'Approvals' },
          { id: 'evidence', label: 'Evidence', hidden: !hasRoute('GET', '/api/v1/evidence') },
          { id: 'key', label: 'Signing key', hidden: !hasRoute('GET', '/api/v1/response/signing-key') || !can('response:read') },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'tasks' ? <Tasks /> : null}
        {tab === 'approvals' ? <Approvals /> : null}
        {tab === 'evidence' ? <EvidenceList /> : null}
        {tab === 'key' ? <SigningKey /> : null}
      </TabPanel>
    </Page>
  );
}

function Tasks() {
  const location = useLocation();
  const state = location.search.get('state') ?? '';
  const action = location.search.get('action') ?? '';
  const host = location.search.get('host') ?? '';
  const hosts = useHosts();
  const actions = useActions();
  const tasks = useResource<Task[]>(`/api/v1/response/tasks${query({ state: state || undefined, action: action || undefined, host_id: host || undefined, limit: 500 })}`, { refreshMs: 3_000 });
  const [open, setOpen] = useState<Task | null>(null);
  const [creating, setCreating] = useState(false);
  const { can } = useSession();
  const mayRun = (actions.data ?? []).some((a) => can(a.permission));
  return (
    <>
      <div className="toolbar">
        <FilterSelect label="State" value={state} onChange={(value) => setSearchParam('state', value)} options={spacedOptions(taskStates)} />
        <FilterSelect label="Action" value={action} onChange={(value) => setSearchParam('action', value)} options={(actions.data ?? []).map((a) => ({ value: a.name, label: a.name }))} />
        <FilterSelect label="Host" value={host} onChange={(value) => setSearchParam('host', value)} options={hostOptions(hosts.data)} />
        {mayRun ? (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New task…
          </button>
        ) : null}
      </div>
      <ErrorBox error={tasks.error} />
      {!tasks.data && tasks.loading ? <Loading what="tasks" /> : null}
      {tasks.data ? <TaskTable tasks={tasks.data} onOpen={setOpen} /> : null}
      {open ? <TaskDetails task={open} onClose={() => { setOpen(null); tasks.reload(); }} /> : null}
      {creating ? <NewTask onClose={() => { setCreating(false); tasks.reload(); }} /> : null}
    </>
  );
}

function NewTask({ onClose }: { onClose: () => void }) {
  const hosts = useHosts();
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [picked, setPicked] = useState(false);
  const live = useMemo(() => (hosts.data ?? []).filter((h) => h.state !== 'revoked').sort((a, b) => a.hostname.localeCompare(b.hostname)), [hosts.data]);
  if (picked) return <ActionDialog hostIds={[...chosen]} onClose={onClose} />;
  return (
    <FormModal
      title="Choose hosts"
      onClose={onClose}
      submitLabel={`Next: choose the action for ${chosen.size} host${chosen.size === 1 ? '' : 's'}`}
      submitDisabled={!chosen.size}
      keepOpen
      onSubmit={async () => setPicked(true)}
    >
      <HostChecklist hosts={live} chosen={chosen} onToggle={(id) => setChosen((current) => toggled(current, id))} showState />
    </FormModal>
  );
}

function Approvals() {
  const approvals = useResource<Task[]>('/api/v1/response/approvals', { refreshMs: 5_000 });
  const [open, setOpen] = useState<Task | null>(null);
  const canApprove = useCan('approvals:grant');
  return (
    <>
      {!canApprove ? <Notice>Your role cannot approve tasks; you can follow them here.</Notice> : null}
      <ErrorBox error={approvals.error} />
      {approvals.data ? approvals.data.length ? <TaskTable tasks={approvals.data} onOpen={setOpen} /> : <Empty>No task waits for approval.</Empty> : <Loading what="approvals" />}
      {open ? <TaskDetails task={open} onClose={() => { setOpen(null); approvals.reload(); }} /> : null}
    </>
  );
}

function EvidenceList() {
  const evidence = useResource<{ evidence: Evidence[] }>('/api/v1/evidence?limit=500', { refreshMs: 10_000 });
  const { nameOf } = useHosts();
  const canDownload = useCan('response:collect');
  return (
    <>
      <ErrorBox error={evidence.error} />
      <ListTable rows={evidence.data?.evidence} columns={['Received', 'Host', 'Path', { label: 'Size', className: 'num' }, 'SHA-256']} actions="Download" empty="No evidence collected yet. Collect a file with the file.collect action." testId="evidence-table">
        {(e) => (
          <tr key={e.id}>
            <td className="nowrap">{formatTime(e.received_at)}</td>
            <td>
              <Link to={`/hosts/${encodeURIComponent(e.agent_id)}`}>{nameOf(e.agent_id)}</Link>
            </td>
            <td>
              <code className="mono-wrap">{e.source_path}</code>
            </td>
            <td className="num">{compactNumber(e.size)} B</td>
            <td className="small mono-wrap">{e.sha256}</td>
            <td>{canDownload ? <a href={`/api/v1/evidence/${encodeURIComponent(e.id)}/content`} download>Download</a> : null}</td>
          </tr>
        )}
      </ListTable>
    </>
  );
}

function SigningKey() {
  const key = useResource<{ key_id: string; public_key_pem: string; rotations: Record<string, unknown>[] }>('/api/v1/response/signing-key');
  const canRotate = useCan('response:keys');
  const [rotating, setRotating] = useState(false);
  return (
    <>
      <ErrorBox error={key.error} />
      {key.data ? (
        <dl className="kv">
          <div className="kv-row"><dt>Key id</dt><dd><code className="mono">{key.data.key_id}</code></dd></div>
          <div className="kv-row"><dt>Public key</dt><dd><pre className="code small">{key.data.public_key_pem}</pre></dd></div>
          <div className="kv-row"><dt>Rotations</dt><dd>{key.data.rotations.length}</dd></div>
        </dl>
      ) : null}
      {canRotate ? (
        <button type="button" className="danger" onClick={() => setRotating(true)}>
          Rotate signing key…
        </button>
      ) : null}
      {rotating ? (
        <ConfirmDialog
          title="Rotate the task-signing key"
          confirmLabel="Rotate key"
          danger
          onClose={() => setRotating(false)}
          onConfirm={async () => {
            await api.post('/api/v1/response/signing-key/rotate', {});
            key.reload();
          }}
        >
          <p>A new key signs tasks from now on; the old key signs the rotation, which agents verify before pinning the new key.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
