// Response policies: which alerts trigger which actions on the alert's host, with dry-run, approvals and a blast
// radius that pauses a policy firing on too many hosts. List, create, edit, enable, resume and delete.

import { useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useActions, type Policy } from '../api/response.js';
import { levels } from '../api/types.js';
import { useAction } from '../api/use-action.js';
import { Badge, ErrorBox, Loading, Notice, Page, DeleteDialog, DeleteButton } from '../components/ui.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { formatTime } from '../lib/time.js';
import { useCan } from '../session.js';

type PolicyBody = Omit<Policy, 'id' | 'paused' | 'created_by' | 'created_at' | 'updated_by' | 'updated_at'>;

export function policyBody(policy: Policy): PolicyBody {
  return {
    name: policy.name,
    description: policy.description,
    enabled: policy.enabled,
    dry_run: policy.dry_run,
    match: policy.match,
    actions: policy.actions,
    blast_radius: { max_hosts: policy.blast_radius.max_hosts, window_s: policy.blast_radius.window_s },
    approval: policy.approval,
    task_ttl_s: policy.task_ttl_s,
    approval_timeout_s: policy.approval_timeout_s,
  };
}

export default function PoliciesPage() {
  const policies = useResource<Policy[]>('/api/v1/response/policies', { refreshMs: 10_000 });
  const canManage = useCan('policies:manage');
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Policy | null>(null);
  const { message, error, act, setMessage } = useAction(policies.reload);
  return (
    <Page
      title="Policies"
      actions={
        canManage ? (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New policy…
          </button>
        ) : null
      }
    >
      <ErrorBox error={policies.error ?? error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      {!policies.data && policies.loading ? <Loading what="policies" /> : null}
      <ListTable rows={policies.data} columns={['Policy', 'When', 'Then', 'Blast radius', 'State']} actions={canManage} empty="No response policies. Alerts raise no automatic action." testId="policies-table">
        {(p) => (
          <tr key={p.id}>
            <td>
              <strong>{p.name}</strong>
              <div className="small muted">{p.description}</div>
            </td>
            <td className="small">{matchText(p.match)}</td>
            <td className="small">
              {p.actions.map((a) => (
                <div key={a.action}>
                  <code className="mono">{a.action}</code> {a.args && Object.keys(a.args).length ? <span className="muted">{JSON.stringify(a.args)}</span> : null}
                </div>
              ))}
              {p.approval !== 'none' ? <div className="muted">approval: {p.approval}</div> : null}
            </td>
            <td className="small">
              {p.blast_radius.hosts_in_window ?? 0} / {p.blast_radius.max_hosts} hosts per {Math.round(p.blast_radius.window_s / 60)} min
            </td>
            <td>
              <Badge tone={p.enabled ? 'state-online' : 'state-offline'}>{p.enabled ? 'enabled' : 'disabled'}</Badge> {p.dry_run ? <Badge tone="warn">dry run</Badge> : null}{' '}
              {p.paused ? <Badge tone="state-revoked" title={p.paused.reason}>paused {formatTime(p.paused.at)}</Badge> : null}
            </td>
            {canManage ? (
              <td className="actions">
                <button type="button" className="small" onClick={() => setEditing(p)}>
                  Edit
                </button>
                <button type="button" className="small" onClick={() => void act(async () => { await api.put(`/api/v1/response/policies/${p.id}`, { ...policyBody(p), enabled: !p.enabled }); return `${p.name} ${p.enabled ? 'disabled' : 'enabled'}`; })}>
                  {p.enabled ? 'Disable' : 'Enable'}
                </button>
                {p.paused ? (
                  <button type="button" className="small" onClick={() => void act(async () => { await api.post(`/api/v1/response/policies/${p.id}/resume`, {}); return `${p.name} resumed`; })}>
                    Resume
                  </button>
                ) : null}
                <DeleteButton onClick={() => setDeleting(p)} />
              </td>
            ) : null}
          </tr>
        )}
      </ListTable>
      {editing ? <PolicyEditor policy={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={(name) => { setMessage(`${name} saved`); policies.reload(); }} /> : null}
      {deleting ? (
        <DeleteDialog title={`Delete policy ${deleting.name}`} confirmLabel="Delete policy" path={`/api/v1/response/policies/${deleting.id}`} onClose={() => setDeleting(null)} onDeleted={policies.reload}>
          <p>Alerts stop triggering its actions. Tasks it already created are kept.</p>
        </DeleteDialog>
      ) : null}
    </Page>
  );
}

function matchText(match: Policy['match']): string {
  const parts: string[] = [];
  if (match.min_level) parts.push(`level ≥ ${match.min_level}`);
  if (match.rule_names?.length) parts.push(`rule ${match.rule_names.join(' or ')}`);
  if (match.rule_ids?.length) parts.push(`rule id ${match.rule_ids.join(' or ')}`);
  if (match.tags?.length) parts.push(`tag ${match.tags.join(' or ')}`);
  if (match.host_tags?.length) parts.push(`hosts tagged ${match.host_tags.join(' or ')}`);
  if (match.host_ids?.length) parts.push(`${match.host_ids.length} hosts`);
  return parts.join(' · ') || 'every alert';
}

const lines = (text: string) => text.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

function PolicyEditor({ policy, onClose, onSaved }: { policy: Policy | null; onClose: () => void; onSaved: (name: string) => void }) {
  const actions = useActions();
  const [name, setName] = useState(policy?.name ?? '');
  const [description, setDescription] = useState(policy?.description ?? '');
  const [enabled, setEnabled] = useState(policy?.enabled ?? true);
  const [dryRun, setDryRun] = useState(policy?.dry_run ?? true);
  const [ruleNames, setRuleNames] = useState((policy?.match.rule_names ?? []).join('\n'));
  const [tags, setTags] = useState((policy?.match.tags ?? []).join(' '));
  const [minLevel, setMinLevel] = useState(policy?.match.min_level ?? 'high');
  const [hostTags, setHostTags] = useState((policy?.match.host_tags ?? []).join(' '));
  const [steps, setSteps] = useState<{ action: string; args: string }[]>((policy?.actions ?? [{ action: 'agent.ping', args: {} }]).map((a) => ({ action: a.action, args: JSON.stringify(a.args ?? {}) })));
  const [maxHosts, setMaxHosts] = useState(policy?.blast_radius.max_hosts ?? 5);
  const [windowMin, setWindowMin] = useState(Math.round((policy?.blast_radius.window_s ?? 3600) / 60));
  const [approval, setApproval] = useState<Policy['approval']>(policy?.approval ?? 'destructive');

  const save = async () => {
    const parsedSteps = steps.map((s, i) => {
      try {
        return { action: s.action, args: s.args.trim() ? (JSON.parse(s.args) as Record<string, unknown>) : {} };
      } catch {
        throw new Error(`action ${i + 1}: arguments are not valid JSON`);
      }
    });
    const body = {
      name: name.trim(),
      description,
      enabled,
      dry_run: dryRun,
      match: {
        ...(lines(ruleNames).length ? { rule_names: lines(ruleNames) } : {}),
        ...(words(tags).length ? { tags: words(tags) } : {}),
        ...(minLevel ? { min_level: minLevel } : {}),
        ...(words(hostTags).length ? { host_tags: words(hostTags) } : {}),
        ...(policy?.match.rule_ids?.length ? { rule_ids: policy.match.rule_ids } : {}),
        ...(policy?.match.host_ids?.length ? { host_ids: policy.match.host_ids } : {}),
      },
      actions: parsedSteps,
      blast_radius: { max_hosts: maxHosts, window_s: Math.max(1, windowMin) * 60 },
      approval,
      ...(policy ? { task_ttl_s: policy.task_ttl_s, approval_timeout_s: policy.approval_timeout_s } : {}),
    };
    if (policy) await api.put(`/api/v1/response/policies/${policy.id}`, body);
    else await api.post('/api/v1/response/policies', body);
    onSaved(body.name);
  };

  return (
    <FormModal title={policy ? `Edit ${policy.name}` : 'New response policy'} onClose={onClose} submitLabel="Save policy" submitDisabled={!name.trim() || !steps.length} onSubmit={save}>
      <div className="form-grid">
        <label htmlFor="policy-name">Name</label>
        <input id="policy-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder="isolate-on-reverse-shell" />
        <label htmlFor="policy-description">Description</label>
        <input id="policy-description" value={description} maxLength={2000} onChange={(e) => setDescription(e.target.value)} />
        <label htmlFor="policy-enabled">Enabled</label>
        <input id="policy-enabled" type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        <label htmlFor="policy-dry">Dry run (audit only)</label>
        <input id="policy-dry" type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
        <label htmlFor="policy-level">Alerts at or above</label>
        <select id="policy-level" value={minLevel} onChange={(e) => setMinLevel(e.target.value)}>
          <option value="">any level</option>
          {[...levels].reverse().map((l) => (
            <option key={l}>{l}</option>
          ))}
        </select>
        <label htmlFor="policy-rules">Rule titles (one per line)</label>
        <textarea id="policy-rules" rows={2} value={ruleNames} onChange={(e) => setRuleNames(e.target.value)} />
        <label htmlFor="policy-tags">Alert tags</label>
        <input id="policy-tags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="attack.execution" />
        <label htmlFor="policy-host-tags">Only hosts tagged</label>
        <input id="policy-host-tags" value={hostTags} onChange={(e) => setHostTags(e.target.value)} placeholder="prod" />
        {steps.map((step, i) => [
          <label key={`l${i}`} htmlFor={`policy-action-${i}`}>
            Action {i + 1}
          </label>,
          <div key={`s${i}`} className="row">
            <select id={`policy-action-${i}`} value={step.action} onChange={(e) => setSteps((all) => all.map((s, k) => (k === i ? { ...s, action: e.target.value } : s)))}>
              {(actions.data ?? []).map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name}
                </option>
              ))}
            </select>
            <input aria-label={`Arguments of action ${i + 1} (JSON)`} value={step.args} onChange={(e) => setSteps((all) => all.map((s, k) => (k === i ? { ...s, args: e.target.value } : s)))} placeholder='{"pid": "{{process.pid}}"}' />
            <button type="button" className="small" onClick={() => setSteps((all) => all.filter((_, k) => k !== i))} aria-label={`Remove action ${i + 1}`}>
              ×
            </button>
          </div>,
        ])}
        <span />
        <div>
          <button type="button" className="small" onClick={() => setSteps((all) => [...all, { action: actions.data?.[0]?.name ?? 'agent.ping', args: '{}' }])} disabled={steps.length >= 10}>
            Add action
          </button>
        </div>
        <label htmlFor="policy-max-hosts">At most hosts</label>
        <input id="policy-max-hosts" type="number" min={1} value={maxHosts} onChange={(e) => setMaxHosts(Math.max(1, Number(e.target.value) || 1))} />
        <label htmlFor="policy-window">per minutes</label>
        <input id="policy-window" type="number" min={1} value={windowMin} onChange={(e) => setWindowMin(Math.max(1, Number(e.target.value) || 1))} />
        <label htmlFor="policy-approval">Second person approves</label>
        <select id="policy-approval" value={approval} onChange={(e) => setApproval(e.target.value as Policy['approval'])}>
          <option value="none">never</option>
          <option value="destructive">destructive actions</option>
          <option value="always">every action</option>
        </select>
      </div>
    </FormModal>
  );
}
