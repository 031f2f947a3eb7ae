// Rules: search and filter the loaded rules, enable or disable them, install or remove rule packs (Sigma YAML files
// from disk) and read the problems of the last load, each located by file, line and column.

import { useEffect, useState } from 'react';
import { api, query } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import type { Problem, Rule, RulePack } from '../api/types.js';
import { Card, Empty, ErrorBox, LevelBadge, Loading, Notice, Page, TabPanel, Clip, Badge, DeleteDialog, DeleteButton, UrlTabs } from '../components/ui.js';
import { ListTable } from '../components/list-table.js';
import { FilterSelect, SearchField, useSearchText, type FilterOption } from '../components/filters.js';
import { Link, navigate, setSearchParam, useLocation } from '../router.js';
import { formatTime } from '../lib/time.js';
import { useCan } from '../session.js';

export const BUILTIN_PACK = 'vigil-linux';

const enabledStates: readonly FilterOption[] = [
  { value: 'true', label: 'enabled' },
  { value: 'false', label: 'disabled' },
];

export default function RulesPage() {
  const location = useLocation();
  const tab = location.search.get('tab') ?? 'rules';
  const canManage = useCan('rules:manage');
  return (
    <Page
      title="Rules"
      actions={
        canManage ? (
          <button type="button" className="primary" onClick={() => navigate('/rules/new')}>
            New rule
          </button>
        ) : null
      }
    >
      <UrlTabs
        label="Rule views"
        active={tab}
        fallback="rules"
        tabs={[
          { id: 'rules', label: 'Rules' },
          { id: 'packs', label: 'Packs' },
          { id: 'problems', label: 'Load problems' },
        ]}
      />
      <TabPanel id={tab}>
        {tab === 'rules' ? <RuleList /> : null}
        {tab === 'packs' ? <Packs /> : null}
        {tab === 'problems' ? <LoadProblems /> : null}
      </TabPanel>
    </Page>
  );
}

function RuleList() {
  const location = useLocation();
  const [text, setText] = useSearchText();
  const [debounced, setDebounced] = useState(text);
  const pack = location.search.get('pack') ?? '';
  const enabled = location.search.get('enabled') ?? '';
  const canManage = useCan('rules:manage');
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(text), 200);
    return () => clearTimeout(timer);
  }, [text]);
  const rules = useResource<{ total: number; rules: Rule[] }>(`/api/v1/rules${query({ q: debounced || undefined, pack: pack || undefined, enabled: enabled || undefined, limit: 5000 })}`);
  const packs = useResource<RulePack[]>('/api/v1/rule-packs');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const toggle = async (rule: Rule) => {
    setBusy(rule.id);
    setError(null);
    try {
      await api.patch(`/api/v1/rules/${encodeURIComponent(rule.id)}`, { enabled: !rule.enabled });
      rules.reload();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <div className="toolbar" role="search">
        <SearchField
          label="Search rules"
          placeholder="Search title, id, tag or file  ( / )"
          value={text}
          onChange={setText}
        />
        <FilterSelect label="Pack" value={pack} onChange={(value) => setSearchParam('pack', value)} options={(packs.data ?? []).map((p) => p.name)} />
        <FilterSelect label="State" value={enabled} onChange={(value) => setSearchParam('enabled', value)} options={enabledStates} />
      </div>
      <ErrorBox error={rules.error ?? error} />
      {!rules.data && rules.loading ? <Loading what="rules" /> : null}
      {rules.data ? <p className="muted">{rules.data.total} rules</p> : null}
      <ListTable rows={rules.data?.rules} columns={['Enabled', 'Rule', 'Level', 'Pack', 'Logsource', 'ATT&CK']} empty="No rule matches." testId="rules-table">
        {(r) => (
          <tr key={r.id} data-rule-id={r.id} className={r.enabled ? undefined : 'row-muted'}>
            <td>
              {canManage ? (
                <button type="button" className={`switch${r.enabled ? ' on' : ''}`} role="switch" aria-checked={r.enabled} aria-label={`${r.enabled ? 'Disable' : 'Enable'} ${r.title}`} disabled={busy === r.id} onClick={() => void toggle(r)}>
                  <span aria-hidden="true">{r.enabled ? 'on' : 'off'}</span>
                </button>
              ) : (
                <Badge tone={r.enabled ? 'state-online' : 'state-offline'}>{r.enabled ? 'on' : 'off'}</Badge>
              )}
            </td>
            <td>
              <Link to={`/rules/${encodeURIComponent(r.id)}`}>
                <Clip text={r.title} max={80} />
              </Link>
              {!r.supported ? <Badge tone="warn" title="The logsource is not collected by Vigil yet">unsupported</Badge> : null}
              <div className="small muted">{r.file}</div>
            </td>
            <td><LevelBadge level={r.level} /></td>
            <td className="nowrap">{r.pack}</td>
            <td className="small">{Object.values(r.logsource ?? {}).join(' / ')}</td>
            <td className="small">{r.tags.filter((t) => /^attack\.t\d/.test(t)).join(' ')}</td>
          </tr>
        )}
      </ListTable>
    </>
  );
}

interface PackAnswer {
  pack: string;
  version: string;
  files: number;
  rules_loaded: number;
  errors: number;
  warnings: number;
  problems: Problem[];
}

export const MAX_PACK_FILES = 20_000;
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

function Packs() {
  const packs = useResource<RulePack[]>('/api/v1/rule-packs');
  const canManage = useCan('rules:manage');
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [description, setDescription] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [answer, setAnswer] = useState<PackAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<RulePack | null>(null);
  const yaml = files.filter((f) => /\.ya?ml$/i.test(f.name));

  const install = async () => {
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) throw new Error('pack name: letters, digits, dot, dash and underscore, starting with a letter or digit');
      if (name === BUILTIN_PACK) throw new Error(`${BUILTIN_PACK} is shipped with Vigil; choose another name`);
      if (!yaml.length) throw new Error('choose .yml or .yaml rule files');
      if (yaml.length > MAX_PACK_FILES) throw new Error(`at most ${MAX_PACK_FILES} files per pack`);
      const tooBig = yaml.find((f) => f.size > MAX_RULE_FILE_BYTES);
      if (tooBig) throw new Error(`${tooBig.name} is larger than 1 MiB`);
      const body = await Promise.all(yaml.map(async (f) => ({ file: (f.webkitRelativePath || f.name).split('/').slice(f.webkitRelativePath ? 1 : 0).join('/') || f.name, text: await f.text() })));
      setAnswer(await api.put<PackAnswer>(`/api/v1/rule-packs/${encodeURIComponent(name)}`, { version: version || new Date().toISOString().slice(0, 10), description, files: body }));
      packs.reload();
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="grid-2">
      <Card title="Installed packs">
        <ErrorBox error={packs.error} />
        {packs.data?.length ? (
          <table className="table" data-testid="packs-table">
            <thead>
              <tr>
                <th scope="col">Pack</th>
                <th scope="col">Version</th>
                <th scope="col" className="num">Files</th>
                <th scope="col">Imported</th>
                {canManage ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {packs.data.map((p) => (
                <tr key={p.name}>
                  <td>
                    <Link to={`/rules?pack=${encodeURIComponent(p.name)}`}>{p.name}</Link>
                    <div className="small muted">{p.description}</div>
                  </td>
                  <td><code className="mono">{p.version}</code></td>
                  <td className="num">{p.files}</td>
                  <td className="small">{formatTime(p.importedAt)} by {p.importedBy}</td>
                  {canManage ? (
                    <td>
                      {p.name !== BUILTIN_PACK ? (
                        <DeleteButton onClick={() => setRemoving(p)}>Remove</DeleteButton>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : packs.data ? (
          <Empty>No packs.</Empty>
        ) : null}
      </Card>
      {canManage ? (
        <Card title="Install or replace a pack">
          <form
            className="form-grid"
            onSubmit={(event) => {
              event.preventDefault();
              void install();
            }}
          >
            <label htmlFor="pack-name">Pack name</label>
            <input id="pack-name" value={name} onChange={(e) => setName(e.target.value.trim())} placeholder="sigma-core" required />
            <label htmlFor="pack-version">Version</label>
            <input id="pack-version" value={version} maxLength={64} onChange={(e) => setVersion(e.target.value)} placeholder="today's date" />
            <label htmlFor="pack-description">Description</label>
            <input id="pack-description" value={description} maxLength={1000} onChange={(e) => setDescription(e.target.value)} />
            <label htmlFor="pack-files">Rule files (.yml)</label>
            <input id="pack-files" type="file" multiple accept=".yml,.yaml" onChange={(e) => setFiles([...(e.target.files ?? [])])} />
            <label htmlFor="pack-folder">or a folder</label>
            <input
              id="pack-folder"
              type="file"
              ref={(el) => {
                if (el) el.setAttribute('webkitdirectory', '');
              }}
              onChange={(e) => setFiles([...(e.target.files ?? [])])}
            />
            <span />
            <div>
              <p className="small muted">{yaml.length} rule files chosen. Replacing a pack replaces all of its files; rules that do not compile are reported and skipped.</p>
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Installing…' : 'Install pack'}
              </button>
            </div>
          </form>
          <ErrorBox error={error} />
          {answer ? (
            <Notice tone={answer.errors ? 'warning' : 'success'}>
              {answer.pack} {answer.version}: {answer.files} files, {answer.rules_loaded} rules loaded, {answer.errors} errors, {answer.warnings} warnings.
            </Notice>
          ) : null}
          {answer?.problems.length ? <ProblemList problems={answer.problems} /> : null}
        </Card>
      ) : null}
      {removing ? (
        <DeleteDialog title={`Remove pack ${removing.name}`} confirmLabel="Remove pack" path={`/api/v1/rule-packs/${encodeURIComponent(removing.name)}`} onClose={() => setRemoving(null)} onDeleted={packs.reload}>
          <p>All {removing.files} files of the pack are removed and its rules stop matching.</p>
        </DeleteDialog>
      ) : null}
    </div>
  );
}

export function ProblemList({ problems, onPick }: { problems: readonly Problem[]; onPick?: (problem: Problem) => void }) {
  return (
    <ul className="problems" data-testid="problems">
      {problems.map((p, i) => (
        <li key={`${p.file}:${p.line}:${p.column}:${i}`} className={p.severity === 'error' ? 'text-bad' : 'text-warn'}>
          {onPick ? (
            <button type="button" className="link-button" onClick={() => onPick(p)}>
              {p.file}:{p.line}:{p.column}
            </button>
          ) : (
            <code className="mono">
              {p.file}:{p.line}:{p.column}
            </code>
          )}{' '}
          {p.severity} {p.code}: {p.message}
        </li>
      ))}
    </ul>
  );
}

function LoadProblems() {
  const report = useResource<{ files: number; rules: number; correlations: number; errors: number; warnings: number; unsupported?: number; problems: Problem[] }>('/api/v1/rules/load-report');
  if (report.error) return <ErrorBox error={report.error} />;
  if (!report.data) return <Loading what="load report" />;
  const r = report.data;
  return (
    <>
      <p>
        {r.files} files, {r.rules} rules, {r.correlations} correlations loaded; {r.errors} errors, {r.warnings} warnings{r.unsupported !== undefined ? `, ${r.unsupported} rules for logsources Vigil does not collect` : ''}.
      </p>
      {r.problems.length ? <ProblemList problems={r.problems} /> : <Empty>No problems.</Empty>}
    </>
  );
}
