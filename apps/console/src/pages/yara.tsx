// YARA: rule sets (upload a new version compiled and checked by the server, activate the one agents use), fleet sweeps
// of paths or process memory with per-host progress and hits, and sweep schedules.

import { useMemo, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import { useAction } from '../api/use-action.js';
import { Badge, Card, Empty, ErrorBox, Loading, Modal, Notice, Page, TabPanel, Tabs, DeleteDialog, ToolbarAction, DeleteButton } from '../components/ui.js';
import { HostChecklist } from '../components/host-checklist.js';
import { toggled } from '../lib/sets.js';
import { FormModal } from '../components/form-modal.js';
import { ListTable } from '../components/list-table.js';
import { Link, navigate, useLocation } from '../router.js';
import { formatInterval, formatTime, relativeTime } from '../lib/time.js';
import { compactNumber } from '../lib/scale.js';
import { useCan } from '../session.js';
import type { PageProps } from '../nav.js';

interface YaraProblem {
  severity: string;
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
}

interface RuleSet {
  name: string;
  description: string;
  version: number;
  digest: string;
  active: boolean;
  options: { scan_on_exec?: boolean; scan_on_write?: boolean; watch_paths?: string[]; quarantine_on_hit?: boolean; max_file_size?: number };
  files: number;
  rule_count: number;
  report: { errors: number; warnings: number; compile_ms: number; problems: YaraProblem[] };
  file_list?: { name: string; bytes: number; text?: string }[];
  updated_at: string;
  updated_by: string;
}

interface SweepHost {
  host_id: string;
  state: string;
  files: number;
  bytes: number;
  skipped: number;
  matches: number;
  regions: number;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

interface YaraSweep {
  id: string;
  state: string;
  kind: string;
  ruleset: { name: string; digest: string };
  created_at: string;
  totals: Record<string, number>;
  hosts: SweepHost[];
  /** Per-host and overall deadlines; hosts that miss one are `timed_out` with the reason in their `error`. */
  host_timeout_s?: number | null;
  deadline_at?: string | null;
  hits?: { host_id: string; rule: string; path: string | null; pid: number | null; sha256: string | null }[];
}

interface Schedule {
  id: string;
  name: string;
  kind: string;
  interval_s: number;
  next_run_at: string | null;
  enabled: boolean;
  host_ids: string[] | null;
}

export const MAX_YARA_FILE_BYTES = 16 * 1024 * 1024;

export default function YaraPage({ params }: PageProps) {
  const location = useLocation();
  const tab = params.id ? 'sweeps' : (location.search.get('tab') ?? 'rulesets');
  return (
    <Page title="YARA">
      <Tabs
        label="YARA views"
        active={tab}
        onChange={(next) => navigate(next === 'rulesets' ? '/yara' : `/yara?tab=${next}`)}
        tabs={[
          { id: 'rulesets', label: 'Rule sets' },
          { id: 'sweeps', label: 'Sweeps' },
          { id: 'schedules', label: 'Schedules' },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'rulesets' ? <RuleSets /> : null}
        {tab === 'sweeps' ? <Sweeps selected={params.id} /> : null}
        {tab === 'schedules' ? <Schedules /> : null}
      </TabPanel>
    </Page>
  );
}

function RuleSets() {
  const sets = useResource<RuleSet[]>('/api/v1/yara/rulesets', { refreshMs: 30_000 });
  const canManage = useCan('rules:manage');
  const [uploading, setUploading] = useState<string | null>(null);
  const [viewing, setViewing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<RuleSet | null>(null);
  const { message, error, act, setMessage } = useAction(sets.reload);
  return (
    <>
      {canManage ? <ToolbarAction label="Upload rule set…" onClick={() => setUploading('')} /> : null}
      <ErrorBox error={sets.error ?? error} />
      {message ? <Notice tone="success">{message}</Notice> : null}
      <ListTable rows={sets.data} columns={['Rule set', 'Version', { label: 'Rules', className: 'num' }, 'Scans', 'Compile']} actions empty="No YARA rule sets. Agents scan nothing until one is active." testId="yara-rulesets">
        {(r) => (
          <tr key={r.name}>
            <td>
              <button type="button" className="link-button" onClick={() => setViewing(r.name)}>
                {r.name}
              </button>{' '}
              {r.active ? <Badge tone="state-online">active</Badge> : null}
              <div className="small muted">{r.description}</div>
            </td>
            <td className="small">
              v{r.version} · {relativeTime(r.updated_at)} by {r.updated_by}
            </td>
            <td className="num">{r.rule_count}</td>
            <td className="small">{[r.options.scan_on_exec ? 'on exec' : '', r.options.scan_on_write ? `on write in ${(r.options.watch_paths ?? []).join(', ')}` : '', r.options.quarantine_on_hit ? 'quarantines hits' : ''].filter(Boolean).join(' · ') || 'sweeps only'}</td>
            <td className={`small${r.report.errors ? ' text-bad' : r.report.warnings ? ' text-warn' : ''}`}>
              {r.report.errors} errors, {r.report.warnings} warnings
            </td>
            <td className="actions">
              {canManage ? (
                <>
                  {!r.active ? (
                    <button type="button" className="small" onClick={() => void act(async () => { await api.post(`/api/v1/yara/rulesets/${encodeURIComponent(r.name)}/activate`, {}); return `${r.name} is active: agents fetch it at their next heartbeat`; })}>
                      Activate
                    </button>
                  ) : null}
                  <button type="button" className="small" onClick={() => setUploading(r.name)}>
                    New version…
                  </button>
                  <DeleteButton onClick={() => setDeleting(r)} />
                </>
              ) : null}
            </td>
          </tr>
        )}
      </ListTable>
      {uploading !== null ? <UploadRuleSet name={uploading} onClose={() => setUploading(null)} onDone={(text) => { setMessage(text); sets.reload(); }} /> : null}
      {viewing ? <ViewRuleSet name={viewing} onClose={() => setViewing(null)} /> : null}
      {deleting ? (
        <DeleteDialog title={`Delete rule set ${deleting.name}`} path={`/api/v1/yara/rulesets/${encodeURIComponent(deleting.name)}`} onClose={() => setDeleting(null)} onDeleted={sets.reload}>
          <p>{deleting.active ? 'This is the active set: agents stop scanning at their next heartbeat.' : 'The set and all its versions are deleted.'}</p>
        </DeleteDialog>
      ) : null}
    </>
  );
}

function ProblemLines({ problems }: { problems: readonly YaraProblem[] }) {
  return (
    <ul className="problems" data-testid="yara-problems">
      {problems.slice(0, 100).map((p, i) => (
        <li key={i} className={p.severity === 'error' ? 'text-bad' : 'text-warn'}>
          <code className="mono">
            {p.file}:{p.line}:{p.column}
          </code>{' '}
          {p.severity} {p.code}: {p.message}
        </li>
      ))}
    </ul>
  );
}

function UploadRuleSet({ name: initialName, onClose, onDone }: { name: string; onClose: () => void; onDone: (message: string) => void }) {
  const [name, setName] = useState(initialName);
  const [description, setDescription] = useState('');
  const [files, setFiles] = useState<{ name: string; text: string }[]>([]);
  const [pasted, setPasted] = useState('');
  const [scanOnExec, setScanOnExec] = useState(false);
  const [activate, setActivate] = useState(false);
  const [report, setReport] = useState<{ ok: boolean; rule_count: number; problems: YaraProblem[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const all = pasted.trim() ? [...files, { name: 'pasted.yar', text: pasted }] : files;
  const validate = async () => {
    setError(null);
    try {
      setReport(await api.post('/api/v1/yara/validate', { files: all }));
    } catch (reason) {
      setError(reason);
    }
  };
  return (
    <FormModal
      title={initialName ? `New version of ${initialName}` : 'Upload YARA rule set'}
      onClose={onClose}
      errorState={[error, setError]}
      extraButtons={
        <button type="button" onClick={() => void validate()} disabled={!all.length}>
          Validate
        </button>
      }
      submitLabel="Upload"
      submitDisabled={!all.length || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)}
      onSubmit={async () => {
        const stored = await api.put<RuleSet>(`/api/v1/yara/rulesets/${encodeURIComponent(name)}`, { files: all, ...(description ? { description } : {}), options: { scan_on_exec: scanOnExec }, activate });
        onDone(`${stored.name} v${stored.version}: ${stored.rule_count} rules${stored.active ? ', active' : ''}`);
      }}
    >
      <div className="form-grid">
        <label htmlFor="yara-name">Name</label>
        <input id="yara-name" value={name} onChange={(e) => setName(e.target.value.trim())} readOnly={Boolean(initialName)} placeholder="signature-base" />
        <label htmlFor="yara-description">Description</label>
        <input id="yara-description" value={description} maxLength={2000} onChange={(e) => setDescription(e.target.value)} />
        <label htmlFor="yara-files">Rule files (.yar, .yara)</label>
        <input
          id="yara-files"
          type="file"
          multiple
          accept=".yar,.yara"
          onChange={async (e) => {
            const chosen = [...(e.target.files ?? [])];
            const tooBig = chosen.find((f) => f.size > MAX_YARA_FILE_BYTES);
            if (tooBig) {
              setError(new Error(`${tooBig.name} is larger than 16 MiB`));
              return;
            }
            setFiles(await Promise.all(chosen.map(async (f) => ({ name: f.name, text: await f.text() }))));
            setReport(null);
          }}
        />
        <label htmlFor="yara-paste">or paste rules</label>
        <textarea id="yara-paste" rows={6} value={pasted} onChange={(e) => { setPasted(e.target.value); setReport(null); }} spellCheck={false} placeholder={'rule example { strings: $a = "evil" condition: $a }'} />
        <label htmlFor="yara-exec">Scan every executed file</label>
        <input id="yara-exec" type="checkbox" checked={scanOnExec} onChange={(e) => setScanOnExec(e.target.checked)} />
        <label htmlFor="yara-activate">Activate (agents use it)</label>
        <input id="yara-activate" type="checkbox" checked={activate} onChange={(e) => setActivate(e.target.checked)} />
      </div>
      {report ? (
        <Notice tone={report.ok ? 'success' : 'warning'}>
          {report.ok ? `Compiles: ${report.rule_count} rules.` : 'Does not compile.'}
        </Notice>
      ) : null}
      {report?.problems.length ? <ProblemLines problems={report.problems} /> : null}
    </FormModal>
  );
}

function ViewRuleSet({ name, onClose }: { name: string; onClose: () => void }) {
  const set = useResource<RuleSet>(`/api/v1/yara/rulesets/${encodeURIComponent(name)}?text=true`);
  return (
    <Modal title={`Rule set ${name}`} onClose={onClose} footer={<button type="button" onClick={onClose}>Close</button>}>
      <ErrorBox error={set.error} />
      {set.data ? (
        <>
          <p className="small muted">
            v{set.data.version} · digest <code className="mono">{set.data.digest.slice(0, 16)}…</code> · {set.data.rule_count} rules in {set.data.files} files
          </p>
          {set.data.report.problems.length ? <ProblemLines problems={set.data.report.problems} /> : null}
          {(set.data.file_list ?? []).map((f) => (
            <details key={f.name}>
              <summary>
                {f.name} <span className="muted small">{compactNumber(f.bytes)} B</span>
              </summary>
              <pre className="code small">{f.text ?? ''}</pre>
            </details>
          ))}
        </>
      ) : (
        <Loading what="rule set" />
      )}
    </Modal>
  );
}

function Sweeps({ selected }: { selected?: string | undefined }) {
  const sweeps = useResource<YaraSweep[]>('/api/v1/yara/sweeps?limit=100', { refreshMs: 5_000 });
  const canStart = useCan('response:collect');
  const [starting, setStarting] = useState(false);
  const { nameOf } = useHosts();
  return (
    <>
      {canStart ? <ToolbarAction label="Start sweep…" onClick={() => setStarting(true)} /> : null}
      <ErrorBox error={sweeps.error} />
      <ListTable rows={sweeps.data} columns={['Started', 'Kind', 'Rule set', 'State', 'Hosts', { label: 'Matches', className: 'num' }]} empty="No YARA sweeps yet." testId="yara-sweeps">
        {(s) => (
          <tr key={s.id} aria-current={selected === s.id ? 'true' : undefined}>
            <td>
              <Link to={`/yara/sweeps/${encodeURIComponent(s.id)}`}>{formatTime(s.created_at)}</Link>
            </td>
            <td>{s.kind}</td>
            <td>{s.ruleset.name}</td>
            <td>
              <Badge tone={s.state === 'done' ? 'state-online' : s.state === 'failed' || s.state === 'cancelled' || s.state === 'timed_out' ? 'state-offline' : 'sweep-running'}>{s.state}</Badge>
            </td>
            <td className="small">{s.hosts.map((h) => `${nameOf(h.host_id)} ${h.state}`).join(' · ')}</td>
            <td className={`num${s.hosts.some((h) => h.matches) ? ' text-bad' : ''}`}>{s.hosts.reduce((sum, h) => sum + h.matches, 0)}</td>
          </tr>
        )}
      </ListTable>
      {selected ? <SweepDetail id={selected} /> : null}
      {starting ? <StartSweep onClose={() => setStarting(false)} onStarted={(id) => { sweeps.reload(); navigate(`/yara/sweeps/${encodeURIComponent(id)}`); }} /> : null}
    </>
  );
}

function SweepDetail({ id }: { id: string }) {
  const sweep = useResource<YaraSweep>(`/api/v1/yara/sweeps/${encodeURIComponent(id)}`, { refreshMs: 3_000 });
  const { nameOf } = useHosts();
  const canCancel = useCan('response:collect');
  const [error, setError] = useState<unknown>(null);
  const s = sweep.data;
  return (
    <Card title="Sweep progress and hits">
      <ErrorBox error={sweep.error ?? error} />
      {s ? (
        <>
          <div className="toolbar">
            <span>
              {s.kind} sweep with {s.ruleset.name} · <Badge tone="sweep-running">{s.state}</Badge>
              {s.deadline_at ? <span className="small"> · deadline {formatTime(s.deadline_at)}{s.host_timeout_s ? `, ${s.host_timeout_s} s per host` : ''}</span> : null}
            </span>
            {canCancel && !['done', 'failed', 'cancelled', 'timed_out'].includes(s.state) ? (
              <button type="button" className="small danger" onClick={async () => { setError(null); try { await api.post(`/api/v1/yara/sweeps/${encodeURIComponent(s.id)}/cancel`, {}); sweep.reload(); } catch (reason) { setError(reason); } }}>
                Cancel sweep
              </button>
            ) : null}
          </div>
          <table className="table" data-testid="yara-sweep-hosts">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">State</th>
                <th scope="col" className="num">{s.kind === 'memory' ? 'Regions' : 'Files'}</th>
                <th scope="col" className="num">Bytes</th>
                <th scope="col" className="num">Matches</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {s.hosts.map((h) => (
                <tr key={h.host_id}>
                  <td><Link to={`/hosts/${encodeURIComponent(h.host_id)}`}>{nameOf(h.host_id)}</Link></td>
                  <td>{h.state === 'timed_out' ? 'timed out' : h.state}{h.error ? <div className="text-bad small">{h.error}</div> : null}</td>
                  <td className="num">{compactNumber(s.kind === 'memory' ? h.regions : h.files)}</td>
                  <td className="num">{compactNumber(h.bytes)}</td>
                  <td className={`num${h.matches ? ' text-bad' : ''}`}>{h.matches}</td>
                  <td>{h.finished_at ? formatTime(h.finished_at) : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Hits</h3>
          {s.hits?.length ? (
            <table className="table" data-testid="yara-hits">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Path or process</th>
                  <th scope="col">SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {s.hits.map((h, i) => (
                  <tr key={i}>
                    <td>{nameOf(h.host_id)}</td>
                    <td><code className="mono">{h.rule}</code></td>
                    <td className="mono-wrap">{h.path ?? (h.pid !== null ? `pid ${h.pid}` : '–')}</td>
                    <td className="small mono-wrap">{h.sha256 ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No hits.</Empty>
          )}
        </>
      ) : (
        <Loading what="sweep" />
      )}
    </Card>
  );
}

function sweepBody(kind: string, paths: string, hostIds: readonly string[], budget: number) {
  return {
    kind,
    ...(kind === 'paths' ? { paths: paths.split(/\n+/).map((p) => p.trim()).filter(Boolean) } : {}),
    ...(hostIds.length ? { host_ids: [...hostIds] } : {}),
    cpu_budget: budget,
  };
}

interface SweepFormProps {
  kind: string;
  setKind: (v: string) => void;
  paths: string;
  setPaths: (v: string) => void;
  hosts: Set<string>;
  setHosts: (v: Set<string>) => void;
  budget: number;
  setBudget: (v: number) => void;
}

/** The state of one sweep form (shared by "start now" and "schedule"): the form's props and the request body. */
function useSweepForm(): { form: SweepFormProps; body: () => ReturnType<typeof sweepBody> } {
  const [kind, setKind] = useState('paths');
  const [paths, setPaths] = useState('/tmp');
  const [hosts, setHosts] = useState<Set<string>>(new Set());
  const [budget, setBudget] = useState(0.25);
  return { form: { kind, setKind, paths, setPaths, hosts, setHosts, budget, setBudget }, body: () => sweepBody(kind, paths, [...hosts], budget) };
}

function SweepForm({ kind, setKind, paths, setPaths, hosts, setHosts, budget, setBudget }: SweepFormProps) {
  const all = useHosts();
  const live = useMemo(() => (all.data ?? []).filter((h) => h.state !== 'revoked'), [all.data]);
  return (
    <div className="form-grid">
      <label htmlFor="sweep-kind">Scan</label>
      <select id="sweep-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
        <option value="paths">files under paths</option>
        <option value="memory">process memory</option>
      </select>
      {kind === 'paths' ? (
        <>
          <label htmlFor="sweep-paths">Paths (one per line)</label>
          <textarea id="sweep-paths" rows={3} value={paths} onChange={(e) => setPaths(e.target.value)} placeholder={'/tmp\n/home'} />
        </>
      ) : null}
      <label htmlFor="sweep-budget">CPU budget (share of one core)</label>
      <input id="sweep-budget" type="number" min={0.05} max={4} step={0.05} value={budget} onChange={(e) => setBudget(Number(e.target.value) || 0.25)} />
      <span>Hosts</span>
      <div>
        <p className="small muted">{hosts.size ? `${hosts.size} chosen` : 'every enrolled host'}</p>
        <HostChecklist hosts={live} chosen={hosts} onToggle={(id) => setHosts(toggled(hosts, id))} />
      </div>
    </div>
  );
}

function StartSweep({ onClose, onStarted }: { onClose: () => void; onStarted: (id: string) => void }) {
  const sweep = useSweepForm();
  return (
    <FormModal
      title="Start a YARA sweep"
      onClose={onClose}
      submitLabel="Start sweep"
      onSubmit={async () => {
        const started = await api.post<{ id: string }>('/api/v1/yara/sweeps', sweep.body());
        onStarted(started.id);
      }}
    >
      <p className="small muted">The active rule set is used; agents pick the sweep up at their next heartbeat.</p>
      <SweepForm {...sweep.form} />
    </FormModal>
  );
}

function Schedules() {
  const schedules = useResource<Schedule[]>('/api/v1/yara/schedules', { refreshMs: 30_000 });
  const canManage = useCan('response:collect');
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const { nameOf } = useHosts();
  return (
    <>
      {canManage ? <ToolbarAction label="Schedule a sweep…" onClick={() => setCreating(true)} /> : null}
      <ErrorBox error={schedules.error} />
      <ListTable rows={schedules.data} columns={['Name', 'Kind', 'Every', 'Next run', 'Hosts']} actions={canManage} empty="No scheduled sweeps." testId="yara-schedules">
        {(s) => (
          <tr key={s.id}>
            <td>{s.name}{!s.enabled ? <span className="muted"> (paused)</span> : null}</td>
            <td>{s.kind}</td>
            <td>{formatInterval(s.interval_s)}</td>
            <td>{s.next_run_at ? formatTime(s.next_run_at) : '–'}</td>
            <td className="small">{s.host_ids?.length ? s.host_ids.map(nameOf).join(', ') : 'every host'}</td>
            {canManage ? (
              <td>
                <DeleteButton onClick={() => setDeleting(s)} />
              </td>
            ) : null}
          </tr>
        )}
      </ListTable>
      {creating ? <CreateSchedule onClose={() => { setCreating(false); schedules.reload(); }} /> : null}
      {deleting ? (
        <DeleteDialog title={`Delete schedule ${deleting.name}`} path={`/api/v1/yara/schedules/${encodeURIComponent(deleting.id)}`} onClose={() => setDeleting(null)} onDeleted={schedules.reload}>
          <p>Future runs stop; sweeps already started continue.</p>
        </DeleteDialog>
      ) : null}
    </>
  );
}

function CreateSchedule({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [hours, setHours] = useState(24);
  const sweep = useSweepForm();
  return (
    <FormModal
      title="Schedule a YARA sweep"
      onClose={onClose}
      submitLabel="Schedule"
      submitDisabled={!name.trim()}
      onSubmit={async () => {
        await api.post('/api/v1/yara/schedules', { name: name.trim(), interval_s: Math.max(60, Math.round(hours * 3600)), ...sweep.body() });
      }}
    >
      <div className="form-grid">
        <label htmlFor="schedule-name">Name</label>
        <input id="schedule-name" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="schedule-hours">Every (hours)</label>
        <input id="schedule-hours" type="number" min={0.02} step="any" value={hours} onChange={(e) => setHours(Number(e.target.value) || 24)} />
      </div>
      <p className="small muted">It starts a sweep now and then on every interval.</p>
      <SweepForm {...sweep.form} />
    </FormModal>
  );
}
