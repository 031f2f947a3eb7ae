// One rule: its YAML, editing with validation (problems located by line and column; pick one to jump there), a test
// against stored events (retro-hunt over a time range), enable/disable and delete. /rules/new starts a new rule.

import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client.js';
import { useResource } from '../api/use-resource.js';
import { useHosts } from '../api/hosts.js';
import type { Problem, RuleDetail } from '../api/types.js';
import { Card, ConfirmDialog, ErrorBox, LevelBadge, Loading, Notice, Page, Badge, Empty } from '../components/ui.js';
import { Link, navigate } from '../router.js';
import { offsetOf } from '../lib/hunt-error.js';
import { formatTime } from '../lib/time.js';
import { useCan } from '../session.js';
import { BUILTIN_PACK, ProblemList } from './rules.js';
import type { PageProps } from '../nav.js';

const template = `title: New rule
id: ${typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : '00000000-0000-4000-8000-000000000000'}
status: experimental
description: What this detects and why it matters.
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        CommandLine|contains: 'something suspicious'
    condition: selection
level: medium
`;

interface RetroMatch {
  ruleId: string;
  ruleTitle: string;
  eventId: string;
  hostId: string;
  time: string;
  category: string;
}

export default function RulePage({ params }: PageProps) {
  const id = params.id;
  const isNew = !id;
  const rule = useResource<RuleDetail>(id ? `/api/v1/rules/${encodeURIComponent(id)}` : null);
  const canManage = useCan('rules:manage');
  const canHunt = useCan('events:read');
  const { nameOf } = useHosts();
  const [text, setText] = useState(isNew ? template : '');
  const [pack, setPack] = useState('custom');
  const [file, setFile] = useState('');
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [valid, setValid] = useState<boolean | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [matches, setMatches] = useState<RetroMatch[] | null>(null);
  const [days, setDays] = useState(1);
  const [deleting, setDeleting] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);
  const r = rule.data;
  const builtin = r?.pack === BUILTIN_PACK;

  useEffect(() => {
    if (!r) return;
    setText(r.text);
    setPack(r.pack === BUILTIN_PACK ? 'custom' : r.pack);
    setFile(r.file);
  }, [r]);

  const clear = () => {
    setError(null);
    setMessage(null);
  };
  const validate = async () => {
    clear();
    try {
      const answer = await api.post<{ valid: boolean; problems: Problem[] }>('/api/v1/rules/validate', { text });
      setProblems(answer.problems);
      setValid(answer.valid);
    } catch (reason) {
      setError(reason);
    }
  };
  const save = async () => {
    clear();
    try {
      const answer = await api.post<{ pack: string; file: string; rules: { id: string; title: string }[]; problems: Problem[] }>('/api/v1/rules', { text, pack, ...(file ? { file } : {}) });
      setProblems(answer.problems);
      setValid(true);
      setMessage(`Saved as ${answer.pack}/${answer.file}; ${answer.rules.length} rule(s) loaded.`);
      const first = answer.rules[0];
      if (first && first.id !== id) navigate(`/rules/${encodeURIComponent(first.id)}`, { replace: true });
      else rule.reload();
    } catch (reason) {
      setError(reason);
      setValid(false);
    }
  };
  const test = async () => {
    clear();
    setMatches(null);
    try {
      const answer = await api.post<{ matches: RetroMatch[]; problems: Problem[] }>('/api/v1/rules/retro-hunt', { text, start: new Date(Date.now() - days * 86_400_000).toISOString(), limit: 1000 });
      setMatches(answer.matches);
      if (answer.problems.length) setProblems(answer.problems);
    } catch (reason) {
      setError(reason);
    }
  };
  const toggle = async () => {
    if (!r) return;
    clear();
    try {
      await api.patch(`/api/v1/rules/${encodeURIComponent(r.id)}`, { enabled: !r.enabled });
      rule.reload();
    } catch (reason) {
      setError(reason);
    }
  };
  const jump = (problem: Problem) => {
    const element = editor.current;
    if (!element) return;
    const offset = offsetOf(text, problem.line, problem.column);
    element.focus();
    element.setSelectionRange(offset, offset + 1);
  };

  return (
    <Page
      title={isNew ? 'New rule' : r ? r.title : 'Rule'}
      subtitle={
        r ? (
          <>
            <LevelBadge level={r.level} /> <Badge tone={r.enabled ? 'state-online' : 'state-offline'}>{r.enabled ? 'enabled' : 'disabled'}</Badge> {r.pack}/{r.file} · {r.kind}
            {!r.supported ? ' · logsource not collected' : ''}
          </>
        ) : undefined
      }
      actions={
        r && canManage ? (
          <>
            <button type="button" onClick={() => void toggle()}>
              {r.enabled ? 'Disable' : 'Enable'}
            </button>
            {!builtin ? (
              <button type="button" className="danger" onClick={() => setDeleting(true)}>
                Delete…
              </button>
            ) : null}
          </>
        ) : null
      }
    >
      <ErrorBox error={rule.error} />
      {id && !r && rule.loading ? <Loading what="rule" /> : null}
      {r?.description ? <p>{r.description}</p> : null}
      {builtin && canManage ? <Notice tone="info">This rule ships with Vigil ({BUILTIN_PACK}); saving stores your version in another pack. Disable the original to replace it.</Notice> : null}
      <Card title={canManage ? 'Edit' : 'Source'}>
        <label htmlFor="rule-text" className="sr-only">
          Rule YAML
        </label>
        <textarea
          id="rule-text"
          ref={editor}
          className="code-editor"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setValid(null);
          }}
          readOnly={!canManage}
          rows={22}
          spellCheck={false}
          data-search
        />
        <div className="toolbar">
          <button type="button" onClick={() => void validate()}>
            Validate
          </button>
          {canManage ? (
            <>
              <label className="inline-field">
                Pack <input value={pack} onChange={(e) => setPack(e.target.value.trim())} size={14} />
              </label>
              <label className="inline-field">
                File <input value={file} onChange={(e) => setFile(e.target.value.trim())} size={28} placeholder="<rule id>.yml" />
              </label>
              <button type="button" className="primary" onClick={() => void save()}>
                Save
              </button>
            </>
          ) : null}
          {valid === true ? <span className="text-good" role="status">Valid</span> : valid === false ? <span className="text-bad" role="status">Not valid</span> : null}
        </div>
        <ErrorBox error={error} />
        {message ? <Notice tone="success">{message}</Notice> : null}
        {problems?.length ? <ProblemList problems={problems} onPick={jump} /> : problems ? <p className="text-good small">No problems.</p> : null}
      </Card>
      {canHunt ? (
        <Card title="Test against stored events">
          <div className="toolbar">
            <label className="inline-field">
              Events of the last{' '}
              <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
                <option value={1}>day</option>
                <option value={7}>7 days</option>
                <option value={30}>30 days</option>
              </select>
            </label>
            <button type="button" onClick={() => void test()}>
              Run test
            </button>
          </div>
          {matches ? (
            matches.length ? (
              <table className="table" data-testid="retro-matches">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Host</th>
                    <th scope="col">Category</th>
                    <th scope="col">Event</th>
                  </tr>
                </thead>
                <tbody>
                  {matches.map((m) => (
                    <tr key={`${m.ruleId}-${m.eventId}`}>
                      <td>{formatTime(m.time)}</td>
                      <td>
                        <Link to={`/hosts/${encodeURIComponent(m.hostId)}`}>{nameOf(m.hostId)}</Link>
                      </td>
                      <td>{m.category}</td>
                      <td>
                        <Link to={`/hunt?q=${encodeURIComponent(`${m.category} where event.id == "${m.eventId}"`)}`}>{m.eventId}</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No stored event matches in this range.</Empty>
            )
          ) : null}
        </Card>
      ) : null}
      {deleting && r ? (
        <ConfirmDialog
          title="Delete rule file"
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.del(`/api/v1/rules/${encodeURIComponent(r.id)}`);
            navigate('/rules');
          }}
        >
          <p>
            Delete {r.pack}/{r.file} (and any other rule in that file)?
          </p>
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}
