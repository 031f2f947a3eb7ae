// `vigil task run|list|show|cancel`: response tasks through the server's REST API with an API token.
// Never signs anything itself: the server validates, authorises, signs and audits; destructive actions need --yes.

import type { ParseArgsConfig } from 'node:util';
import { VigilError } from '@vigil/common';
import { apiRequest, apiTarget, type ApiTarget } from './api-client.js';

type Values = Record<string, string | boolean | string[] | undefined>;
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** The shape of a `vigil` subcommand (see main.ts). */
export interface TaskCommand {
  summary: string;
  usage: string;
  positionals: boolean;
  options: CommandOptions;
  help: Record<string, string>;
  run(values: Values, positionals: string[]): Promise<number>;
}

interface TaskView {
  id: string;
  host_id: string;
  action: string;
  state: string;
  issued_by: string;
  reason: string;
  created_at: string;
  finished_at: string | null;
  args: Record<string, unknown>;
  outcome: { ok?: boolean; summary?: string; verified?: boolean; details?: Record<string, unknown> } | null;
  error: { code: string; message: string } | null;
  refusal: { reason: string; message: string } | null;
  approval: { required: boolean; approved_by: string | null };
}

interface ActionView {
  name: string;
  destructive: boolean;
  args: { properties?: Record<string, { type?: string | string[] }> };
}

const FINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/**
 * `--arg key=value` pairs to an arguments object, typed by the action's schema: integers and numbers, booleans,
 * arrays (repeat the key or give a JSON list), objects as JSON; anything else stays text (the server checks it).
 */
export function parseArgPairs(pairs: readonly string[], schema: ActionView['args']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new VigilError('invalid_config', `--arg must be key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const declared = schema.properties?.[key]?.type;
    const type = Array.isArray(declared) ? declared.find((t) => t !== 'null') : declared;
    const parseJson = () => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw new VigilError('invalid_config', `--arg ${key}: ${JSON.stringify(raw)} is not valid JSON`);
      }
    };
    let value: unknown = raw;
    if (type === 'integer' || type === 'number') {
      value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new VigilError('invalid_config', `--arg ${key} must be a number, got ${JSON.stringify(raw)}`);
    } else if (type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new VigilError('invalid_config', `--arg ${key} must be true or false, got ${JSON.stringify(raw)}`);
      value = raw === 'true';
    } else if (type === 'object') {
      value = parseJson();
    } else if (type === 'array') {
      const items = raw.startsWith('[') ? (parseJson() as unknown[]) : [raw];
      out[key] = [...((out[key] as unknown[] | undefined) ?? []), ...items];
      continue;
    }
    out[key] = value;
  }
  return out;
}

function summaryOf(task: TaskView): string {
  if (task.refusal) return `refused (${task.refusal.reason}): ${task.refusal.message}`;
  if (task.error) return `${task.error.code}: ${task.error.message}`;
  if (task.outcome?.summary) return `${task.outcome.summary}${task.outcome.verified ? ' (verified)' : ''}`;
  if (task.state === 'awaiting_approval') return 'waiting for a second person to approve (vigil task list --state awaiting_approval)';
  return '';
}

export function formatTasks(tasks: readonly TaskView[]): string {
  const rows = tasks.map((t) => [t.id, t.host_id, t.action, t.state, summaryOf(t).replace(/\s+/g, ' ').slice(0, 100)]);
  const head = ['TASK', 'HOST', 'ACTION', 'STATE', 'RESULT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (parts: readonly string[]) => parts.map((p, i) => p.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

async function waitFinal(target: ApiTarget, ids: readonly string[], timeoutMs: number): Promise<TaskView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await Promise.all(ids.map((id) => apiRequest<TaskView>(target, 'GET', `/api/v1/response/tasks/${id}`)));
    if (tasks.every((t) => FINAL.has(t.state) || t.state === 'awaiting_approval') || Date.now() >= deadline) return tasks;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function taskCommand(defaultDataDir: string): TaskCommand {
  const options: CommandOptions = {
    host: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    arg: { type: 'string', multiple: true },
    'args-json': { type: 'string' },
    reason: { type: 'string' },
    'expires-in': { type: 'string' },
    approval: { type: 'boolean' },
    yes: { type: 'boolean' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    state: { type: 'string' },
    action: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    server: { type: 'string' },
    token: { type: 'string' },
    'ca-file': { type: 'string' },
    'data-dir': { type: 'string' },
  };
  return {
    summary: 'run response actions on hosts and follow their tasks (vigil task run agent.ping --host ID --reason "...")',
    usage: [
      'vigil task run <action> (--host ID | --tag TAG)... [--arg KEY=VALUE]... --reason TEXT [--wait] [--yes] [--approval]',
      '       vigil task list [--state S] [--host ID] [--action A] [--limit N]',
      '       vigil task show <task-id>',
      '       vigil task cancel <task-id>',
      '   (all: [--json] [--server URL] [--token TOKEN] [--ca-file FILE])',
    ].join('\n'),
    positionals: true,
    options,
    help: {
      '--host ID, --tag TAG': 'target hosts by id or by host tag (repeat)',
      '--arg KEY=VALUE': 'an action argument (repeat; typed by the action schema: numbers, true/false, lists by repeating, objects as JSON)',
      '--args-json JSON': 'all arguments as one JSON object instead',
      '--reason TEXT': 'why: recorded in the audit log and signed into the task (required)',
      '--expires-in SECONDS': 'the agent refuses to start the task after this (default 600)',
      '--approval': 'hold the task until a second person approves it',
      '--yes': 'confirm a destructive action (shutdown, reboot, delete) in one go',
      '--wait': 'wait until every task finished and print the results (exit 1 when one did not succeed)',
      '--timeout SECONDS': 'how long --wait waits (default 60)',
      '--state, --host, --action, --limit': 'filters of task list',
      '--json': 'print JSON',
      '--server URL': 'server API URL (default env VIGIL_SERVER or https://127.0.0.1:8443)',
      '--token TOKEN': 'API token of a role that may run the action (env VIGIL_API_TOKEN)',
      '--ca-file FILE': `server CA certificate (default <data-dir>/pki/ca.crt, data dir ${defaultDataDir} or env VIGIL_DATA_DIR)`,
    },
    async run(values, positionals) {
      const [sub, subject, ...extra] = positionals;
      const target = apiTarget({ server: str(values.server), token: str(values.token), caFile: str(values['ca-file']), dataDir: str(values['data-dir']) }, defaultDataDir);
      const print = (value: unknown, text: () => string) => console.log(values.json ? JSON.stringify(value, null, 2) : text());
      if (extra.length) throw new VigilError('invalid_config', `unexpected arguments: ${extra.join(' ')}`);
      switch (sub) {
        case 'run': {
          if (!subject) throw new VigilError('invalid_config', 'name the action: vigil task run <action> (GET /api/v1/response/actions lists them)');
          const reason = str(values.reason);
          if (!reason) throw new VigilError('invalid_config', '--reason is required: say why (it is audited and signed into the task)');
          const hosts = list(values.host);
          const tags = list(values.tag);
          if (!hosts.length && !tags.length) throw new VigilError('invalid_config', 'give --host ID or --tag TAG');
          const actions = await apiRequest<ActionView[]>(target, 'GET', '/api/v1/response/actions');
          const action = actions.find((a) => a.name === subject);
          if (!action) throw new VigilError('invalid_config', `unknown action ${subject}; known: ${actions.map((a) => a.name).join(', ')}`);
          let args: Record<string, unknown>;
          if (str(values['args-json'])) {
            try {
              args = JSON.parse(str(values['args-json'])!) as Record<string, unknown>;
            } catch (error) {
              throw new VigilError('invalid_config', `--args-json is not valid JSON: ${(error as Error).message}`);
            }
          } else args = parseArgPairs(list(values.arg), action.args);
          const expires = str(values['expires-in']);
          const body: Record<string, unknown> = {
            action: subject,
            args,
            ...(hosts.length ? { hosts } : {}),
            ...(tags.length ? { host_tags: tags } : {}),
            reason,
            ...(expires ? { expires_in_s: Number(expires) } : {}),
            ...(values.approval ? { require_approval: true } : {}),
          };
          let created = await apiRequest<{ status: string; tasks?: TaskView[]; confirmation_token?: string; message?: string; hosts?: string[] }>(target, 'POST', '/api/v1/response/tasks', body);
          if (created.status === 'confirmation_required') {
            if (!values.yes) {
              console.error(`vigil task: ${created.message ?? 'destructive action'}\nhosts: ${(created.hosts ?? []).join(', ')}\nnothing was run; repeat with --yes to confirm`);
              return 3;
            }
            created = await apiRequest(target, 'POST', '/api/v1/response/tasks', { ...body, confirmation_token: created.confirmation_token });
          }
          let tasks = created.tasks ?? [];
          if (values.wait) tasks = await waitFinal(target, tasks.map((t) => t.id), (Number(str(values.timeout) ?? 60) || 60) * 1000);
          print(tasks, () => formatTasks(tasks));
          return values.wait && tasks.some((t) => t.state !== 'succeeded') ? 1 : 0;
        }
        case 'list': {
          if (subject) throw new VigilError('invalid_config', 'task list takes no positional argument; use --host, --state, --action');
          const query = new URLSearchParams();
          const host = list(values.host)[0];
          if (host) query.set('host_id', host);
          if (str(values.state)) query.set('state', str(values.state)!);
          if (str(values.action)) query.set('action', str(values.action)!);
          query.set('limit', str(values.limit) ?? '50');
          const tasks = await apiRequest<TaskView[]>(target, 'GET', `/api/v1/response/tasks?${query}`);
          print(tasks, () => formatTasks(tasks));
          return 0;
        }
        case 'show': {
          if (!subject) throw new VigilError('invalid_config', 'give the task id: vigil task show <task-id>');
          const task = await apiRequest<TaskView>(target, 'GET', `/api/v1/response/tasks/${encodeURIComponent(subject)}`);
          print(task, () =>
            [
              formatTasks([task]),
              '',
              `issued by ${task.issued_by} at ${task.created_at}: ${task.reason}`,
              `arguments: ${JSON.stringify(task.args)}`,
              ...(task.approval.required ? [`approval: ${task.approval.approved_by ? `approved by ${task.approval.approved_by}` : 'pending'}`] : []),
              ...(task.outcome?.details ? [`details: ${JSON.stringify(task.outcome.details, null, 2)}`] : []),
            ].join('\n'),
          );
          return 0;
        }
        case 'cancel': {
          if (!subject) throw new VigilError('invalid_config', 'give the task id: vigil task cancel <task-id>');
          const task = await apiRequest<TaskView>(target, 'POST', `/api/v1/response/tasks/${encodeURIComponent(subject)}/cancel`);
          print(task, () => formatTasks([task]));
          return 0;
        }
        default:
          throw new VigilError('invalid_config', 'say "vigil task run <action> ...", "vigil task list", "vigil task show <id>" or "vigil task cancel <id>"');
      }
    },
  };
}
