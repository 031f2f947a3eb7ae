// REST routes for detection: alerts (triage), rules and rule packs (upload, validate, test, enable), retro-hunts.
// Every change is written to the audit log; rule text is validated before it is stored, packs load rule by rule.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { sigmaLevels, type DetectEvent, type LoadProblem } from '@vigil/detect';
import type { ControlPlane } from '../control-plane/sqlite.js';
import { alertStatuses, type AlertStatus, type DetectionDb } from '../detection/detection-db.js';
import { BUILTIN_PACK, type DetectionService } from '../detection/detection-service.js';

export interface DetectionRouteDeps {
  controlPlane: ControlPlane;
  db: DetectionDb;
  detection: DetectionService;
}

const MAX_PACK_BYTES = 64 * 1024 * 1024;
const ruleText = { type: 'string', minLength: 1, maxLength: 1024 * 1024 };
const fileName = { type: 'string', minLength: 1, maxLength: 512, pattern: '^[^\\u0000]+$' };
const packName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' };
const isoDate = { type: 'string', format: 'date-time' };
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } };

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

  // ---- alerts ----
  app.get(
    '/api/v1/alerts',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts, newest activity first',
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

  app.get('/api/v1/alerts/summary', { config: { permission: 'alerts:read' }, schema: { tags: ['alerts'], summary: 'Alert counts by level and status' } }, async () => db.alertCounts());

  app.get('/api/v1/alerts/:id', { config: { permission: 'alerts:read' }, schema: { tags: ['alerts'], summary: 'One alert', params: idParams } }, async (request) => {
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
        summary: 'Triage an alert: status and assignee',
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { status: { type: 'string', enum: [...alertStatuses] }, assignee: { type: ['string', 'null'], maxLength: 64 } } },
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

  // ---- rules ----
  app.get(
    '/api/v1/rules',
    {
      config: { permission: 'rules:read' },
      schema: {
        tags: ['rules'],
        summary: 'List loaded rules (detection and correlation)',
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

  app.get('/api/v1/rules/load-report', { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'Problems found when the rules were last loaded' } }, async () => {
    const report = detection.lastLoad();
    return { ...report, problems: report.problems.map(problemView) };
  });

  app.get('/api/v1/rules/:id', { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'One rule with its source text', params: idParams } }, async (request) => {
    const rule = detection.rule((request.params as { id: string }).id);
    if (!rule) throw new VigilError('not_found', 'no such rule');
    return { ...rule.view, text: rule.text };
  });

  app.post(
    '/api/v1/rules/validate',
    { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'Validate rule text without storing it', body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: ruleText } } } },
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
        summary: 'Test rule text against posted sample events',
        body: { type: 'object', required: ['text', 'events'], additionalProperties: false, properties: { text: ruleText, events: { type: 'array', maxItems: 10000, items: { type: 'object' } } } },
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
        summary: 'Add or replace a rule file (refused with located errors when it does not compile)',
        body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: ruleText, file: fileName, pack: packName } },
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
      schema: { tags: ['rules'], summary: 'Enable or disable a rule', params: idParams, body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } } },
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

  app.delete('/api/v1/rules/:id', { config: { permission: 'rules:manage' }, schema: { tags: ['rules'], summary: 'Delete the rule file holding a rule', params: idParams } }, async (request) => {
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
  app.get('/api/v1/rule-packs', { config: { permission: 'rules:read' }, schema: { tags: ['rules'], summary: 'Installed rule packs with versions' } }, async () => db.listPacks());

  app.put(
    '/api/v1/rule-packs/:name',
    {
      bodyLimit: MAX_PACK_BYTES,
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['rules'],
        summary: 'Install or replace a rule pack; rules that do not compile are reported and skipped, the rest load',
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
    { config: { permission: 'rules:manage' }, schema: { tags: ['rules'], summary: 'Remove a rule pack', params: { type: 'object', required: ['name'], properties: { name: packName } } } },
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
        summary: 'Run rules (by id, by pack, or posted text) over stored events in a time range',
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

  app.get('/api/v1/metrics/detection', { config: { permission: 'alerts:read' }, schema: { tags: ['system'], summary: 'Detection engine counters and alert latency' } }, async () => detection.metrics());
}
