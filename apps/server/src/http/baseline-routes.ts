// REST routes for behaviour profiles and anomalies: status and settings, hosts with their learning state and role,
// a host's learned profile, host roles (clustering), findings, feedback "expected" and suppressions (docs/anomaly.md).
// Every change is written to the audit log; responses are documented with schemas and examples (OpenAPI).

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { BaselineService, BaselineSettings } from '../baseline/baseline-service.js';

export interface BaselineRouteDeps {
  controlPlane: ControlPlane;
  baseline: BaselineService;
}

const exampleTime = '2026-11-22T10:00:00.000Z';
const exampleHostId = '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f';
const exampleFindingId = '7b1e2c3d-4a5b-4c6d-8e7f-901a2b3c4d5e';
const exampleAlertId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const isoDate = { type: 'string', format: 'date-time' };
const nullable = (schema: Record<string, unknown>) => ({ ...schema, nullable: true });
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } };
const profilerName = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9-]*$' };

const settingsSchema = {
  type: 'object',
  required: ['enabled', 'threshold', 'learningDays', 'burnInDays', 'halfLifeDays', 'disabled'],
  properties: {
    enabled: { type: 'boolean', description: 'Profile accepted events and raise anomaly alerts' },
    threshold: { type: 'number', minimum: 0, maximum: 1, description: 'Findings at or above this score become alerts' },
    learningDays: { type: 'number', minimum: 0, maximum: 365, description: 'Days after a host\'s first event during which it is only learned' },
    burnInDays: { type: 'number', minimum: 0, maximum: 365, description: 'Days after the first event before new behaviour counts towards novelty rates' },
    halfLifeDays: { type: 'number', minimum: 1, maximum: 3650, description: 'Half-life of what profiles remember' },
    disabled: { type: 'array', items: profilerName, description: 'Profilers that learn but raise no alerts' },
  },
};
const exampleSettings = { enabled: true, threshold: 0.8, learningDays: 7, burnInDays: 2, halfLifeDays: 30, disabled: [] };

const statusSchema = {
  type: 'object',
  required: ['settings', 'profilers', 'hosts', 'hostsLearning', 'findings', 'expected', 'suppressions', 'eventsProfiled', 'findingsRaised', 'findingsSuppressed', 'profilerErrors', 'clusteredAt', 'roles', 'lastFlushAt'],
  properties: {
    settings: settingsSchema,
    profilers: { type: 'array', items: { type: 'object', required: ['name', 'categories', 'enabled'], properties: { name: { type: 'string' }, categories: { type: 'array', items: { type: 'string' } }, enabled: { type: 'boolean' } } } },
    hosts: { type: 'integer' },
    hostsLearning: { type: 'integer' },
    findings: { type: 'integer', description: 'Findings stored (at most 200,000, oldest dropped first)' },
    expected: { type: 'integer', description: 'Findings an analyst marked expected' },
    suppressions: { type: 'integer' },
    eventsProfiled: { type: 'integer', description: 'Since the server started' },
    findingsRaised: { type: 'integer', description: 'Since the server started' },
    findingsSuppressed: { type: 'integer', description: 'Since the server started: findings a suppression covered' },
    profilerErrors: { type: 'integer' },
    clusteredAt: nullable(isoDate),
    roles: { type: 'integer' },
    lastFlushAt: nullable(isoDate),
  },
};
const exampleStatus = {
  settings: exampleSettings,
  profilers: [{ name: 'parent-child', categories: ['process'], enabled: true }, { name: 'logins', categories: ['authentication'], enabled: true }],
  hosts: 40, hostsLearning: 2, findings: 118, expected: 9, suppressions: 9, eventsProfiled: 1250000, findingsRaised: 31, findingsSuppressed: 4, profilerErrors: 0, clusteredAt: exampleTime, roles: 4, lastFlushAt: exampleTime,
};

const hostSchema = {
  type: 'object',
  required: ['hostId', 'firstSeen', 'lastSeen', 'events', 'learning', 'learningUntil', 'role', 'roleName', 'outlierScore'],
  properties: {
    hostId: { type: 'string' }, firstSeen: isoDate, lastSeen: isoDate, events: { type: 'integer' }, learning: { type: 'boolean' }, learningUntil: isoDate,
    role: nullable({ type: 'string' }), roleName: nullable({ type: 'string' }), outlierScore: nullable({ type: 'number', description: '0..1 against the host\'s role' }),
  },
};
const exampleHost = { hostId: exampleHostId, firstSeen: '2026-11-01T00:00:00.000Z', lastSeen: exampleTime, events: 182044, learning: false, learningUntil: '2026-11-08T00:00:00.000Z', role: 'role-3', roleName: 'nginx tcp/80, nginx tcp/443, nginx', outlierScore: 0 };

const entrySchema = { type: 'object', required: ['context', 'item', 'weight', 'count', 'firstSeen', 'lastSeen'], properties: { context: { type: 'string' }, item: { type: 'string' }, weight: { type: 'number' }, count: { type: 'integer' }, firstSeen: isoDate, lastSeen: isoDate } };
const profileSchema = {
  type: 'object',
  required: ['hostId', 'at', 'profilers'],
  properties: {
    hostId: { type: 'string' },
    at: isoDate,
    profilers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['profiler', 'tables', 'features'],
        properties: {
          profiler: { type: 'string' },
          tables: { type: 'array', items: { type: 'object', required: ['table', 'entries', 'top'], properties: { table: { type: 'string' }, entries: { type: 'integer' }, top: { type: 'array', items: entrySchema } } } },
          features: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};
const exampleProfile = {
  hostId: exampleHostId,
  at: exampleTime,
  profilers: [{ profiler: 'parent-child', tables: [{ table: 'pairs', entries: 42, top: [{ context: '/usr/sbin/cron', item: '/usr/bin/dash', weight: 611.2, count: 20160, firstSeen: '2026-11-01T00:17:00.000Z', lastSeen: exampleTime }] }], features: ['exe:/usr/bin/dash', 'pc:/usr/sbin/cron>/usr/bin/dash'] }],
};

const roleSchema = { type: 'object', required: ['id', 'name', 'medoid', 'members', 'characteristic'], properties: { id: { type: 'string' }, name: { type: 'string' }, medoid: { type: 'string' }, members: { type: 'array', items: { type: 'string' } }, characteristic: { type: 'array', items: { type: 'string' } } } };
const hostRoleSchema = { type: 'object', required: ['hostId', 'role', 'meanDistance', 'outlierZ', 'outlierScore'], properties: { hostId: { type: 'string' }, role: { type: 'string' }, meanDistance: { type: 'number' }, outlierZ: { type: 'number' }, outlierScore: { type: 'number' } } };
const clusteringSchema = {
  type: 'object',
  nullable: true,
  required: ['k', 'silhouette', 'roles', 'hosts', 'computedAt'],
  properties: { k: { type: 'integer' }, silhouette: { type: 'number' }, roles: { type: 'array', items: roleSchema }, hosts: { type: 'array', items: hostRoleSchema }, computedAt: isoDate },
};
const exampleClustering = {
  k: 2, silhouette: 0.41, computedAt: exampleTime,
  roles: [
    { id: 'role-1', name: 'postgres tcp/5432, pg_dump', medoid: 'db-01', members: ['db-01', 'db-02'], characteristic: ['listen:postgres>tcp/5432', 'exe:/usr/lib/postgresql/15/bin/pg_dump'] },
    { id: 'role-2', name: 'nginx tcp/80, nginx tcp/443', medoid: 'web-03', members: ['web-01', 'web-02', 'web-03'], characteristic: ['listen:nginx>tcp/80', 'listen:nginx>tcp/443'] },
  ],
  hosts: [{ hostId: 'web-01', role: 'role-2', meanDistance: 0.31, outlierZ: 0.4, outlierScore: 0 }],
};

const findingSchema = {
  type: 'object',
  required: ['id', 'hostId', 'profiler', 'type', 'key', 'score', 'level', 'explanation', 'evidence', 'eventId', 'time', 'alertId', 'verdict', 'verdictBy', 'verdictAt', 'verdictNote', 'createdAt'],
  properties: {
    id: { type: 'string' }, hostId: { type: 'string' }, profiler: { type: 'string' }, type: { type: 'string' }, key: { type: 'string', description: 'What was new; alerts group by it and feedback suppresses by it' },
    score: { type: 'number' }, level: { type: 'string', enum: ['low', 'medium', 'high'] }, explanation: { type: 'string' }, evidence: { type: 'object', additionalProperties: true },
    eventId: { type: 'string', description: "'' for host-role findings (no single event)" }, time: isoDate, alertId: nullable({ type: 'string' }),
    verdict: { type: 'string', nullable: true, enum: ['expected', null] }, verdictBy: nullable({ type: 'string' }), verdictAt: nullable(isoDate), verdictNote: nullable({ type: 'string' }), createdAt: isoDate,
  },
};
const exampleFinding = {
  id: exampleFindingId, hostId: exampleHostId, profiler: 'parent-child', type: 'new_parent_child', key: '/usr/sbin/nginx → /tmp/x', score: 0.962, level: 'high',
  explanation: '`/tmp/x` started by `nginx` – nginx never started a child process on this host in 21 days; seen on 0 of 39 other hosts (0 of 11 in its role nginx tcp/80, nginx tcp/443)',
  evidence: { context_known: false, novel_per_day: 0.039, host_score: 0.962, hosts_with: 0, other_hosts: 39, fleet_factor: 1, observed_days: 21 },
  eventId: '5c6d7e8f-1a2b-4c3d-9e0f-112233445566', time: exampleTime, alertId: exampleAlertId, verdict: null, verdictBy: null, verdictAt: null, verdictNote: null, createdAt: exampleTime,
};
const suppressionSchema = {
  type: 'object',
  required: ['id', 'hostId', 'profiler', 'key', 'findingId', 'note', 'createdBy', 'createdAt', 'expiresAt'],
  properties: { id: { type: 'string' }, hostId: { type: 'string', description: '`*` for every host' }, profiler: { type: 'string' }, key: { type: 'string' }, findingId: nullable({ type: 'string' }), note: nullable({ type: 'string' }), createdBy: { type: 'string' }, createdAt: isoDate, expiresAt: nullable(isoDate) },
};
const exampleSuppression = { id: '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98', hostId: exampleHostId, profiler: 'parent-child', key: '/usr/sbin/nginx → /usr/bin/convert-im6.q16', findingId: exampleFindingId, note: 'image resizing of the shop', createdBy: 'alice', createdAt: exampleTime, expiresAt: null };

export function registerBaselineRoutes(app: FastifyInstance, deps: BaselineRouteDeps): void {
  const { controlPlane, baseline } = deps;
  const actor = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';

  app.get('/api/v1/baseline/status', { config: { permission: 'alerts:read' }, schema: { tags: ['anomaly'], summary: 'Behaviour profiling status', description: 'Settings, profilers, hosts learning, findings and suppressions, and counters since the server started.', response: { 200: { description: 'Status', ...statusSchema, examples: [exampleStatus] } } } }, async () => baseline.status());

  app.get('/api/v1/baseline/settings', { config: { permission: 'alerts:read' }, schema: { tags: ['anomaly'], summary: 'Anomaly detection settings', description: 'Threshold, learning period, burn-in, half-life of profiles and the profilers that raise no alerts.', response: { 200: { description: 'Settings', ...settingsSchema, examples: [exampleSettings] } } } }, async () => baseline.settings());

  app.put(
    '/api/v1/baseline/settings',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['anomaly'],
        summary: 'Change anomaly detection settings',
        description: 'Changes the given settings (the others stay); profiles are kept. A shorter learning period applies to hosts already learning. Written to the audit log.',
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: settingsSchema.properties, examples: [{ threshold: 0.85, disabled: ['command-model'] }] },
        response: { 200: { description: 'The settings now in force', ...settingsSchema, examples: [{ ...exampleSettings, threshold: 0.85, disabled: ['command-model'] }] } },
      },
    },
    async (request) => {
      const change = request.body as Partial<BaselineSettings>;
      const updated = baseline.configure(change, actor(request));
      controlPlane.audit(actor(request), 'baseline.settings', null, 'success', change as Record<string, unknown>);
      return updated;
    },
  );

  app.get('/api/v1/baseline/hosts', { config: { permission: 'hosts:read' }, schema: { tags: ['anomaly'], summary: 'Hosts with their learning state and role', description: 'Every profiled host: first and last event, events profiled, whether it is still learning (and until when), its role from the last clustering and its outlier score against that role.', response: { 200: { description: 'Hosts', type: 'array', items: hostSchema, examples: [[exampleHost]] } } } }, async () => baseline.hosts());

  app.get(
    '/api/v1/baseline/hosts/:id/profile',
    {
      config: { permission: 'hosts:read' },
      schema: {
        tags: ['anomaly'],
        summary: 'What a host normally does',
        description: 'The learned profile of one host per profiler: the heaviest (context → item) entries of each table with decayed weights, and the features used to cluster it into a role.',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { profiler: profilerName, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } } },
        response: { 200: { description: 'The profile', ...profileSchema, examples: [exampleProfile] } },
      },
    },
    async (request) => {
      const q = request.query as { profiler?: string; limit?: number };
      return baseline.profile((request.params as { id: string }).id, { ...(q.profiler ? { profiler: q.profiler } : {}), ...(q.limit ? { limit: q.limit } : {}) });
    },
  );

  app.get('/api/v1/baseline/roles', { config: { permission: 'hosts:read' }, schema: { tags: ['anomaly'], summary: 'Host roles from behaviour clustering', description: 'The last clustering of hosts into roles (k-medoids on the Jaccard distance of their behaviour), with each role\'s members and characteristic features and each host\'s outlier score; null before the first clustering.', response: { 200: { description: 'Roles', ...clusteringSchema, examples: [exampleClustering] } } } }, async () => baseline.clustering());

  app.post(
    '/api/v1/baseline/roles/recompute',
    { config: { permission: 'rules:manage' }, schema: { tags: ['anomaly'], summary: 'Cluster hosts into roles now', description: 'Recomputes the roles (normally every 30 minutes) and raises host-outlier alerts for hosts that behave unlike their role.', response: { 200: { description: 'Roles', ...clusteringSchema, nullable: false, examples: [exampleClustering] } } } },
    async (request) => {
      const result = baseline.recluster();
      controlPlane.audit(actor(request), 'baseline.roles.recompute', null, 'success', { roles: result.k });
      return result;
    },
  );

  app.get(
    '/api/v1/baseline/findings',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['anomaly'],
        summary: 'Anomaly findings, newest first',
        description: 'Findings that became alerts, with score, explanation, the facts behind the score and the analyst verdict, filtered by host, profiler, score, time and verdict.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            host_id: { type: 'string', maxLength: 200 }, profiler: profilerName, min_score: { type: 'number', minimum: 0, maximum: 1 }, since: isoDate,
            verdict: { type: 'string', enum: ['expected', 'none'] }, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
          },
        },
        response: { 200: { description: 'Findings', type: 'array', items: findingSchema, examples: [[exampleFinding]] } },
      },
    },
    async (request) => {
      const q = request.query as { host_id?: string; profiler?: string; min_score?: number; since?: string; verdict?: 'expected' | 'none'; limit?: number };
      return baseline.findings({
        ...(q.host_id ? { hostId: q.host_id } : {}), ...(q.profiler ? { profiler: q.profiler } : {}), ...(q.min_score !== undefined ? { minScore: q.min_score } : {}),
        ...(q.since ? { since: q.since } : {}), ...(q.verdict ? { verdict: q.verdict } : {}), ...(q.limit ? { limit: q.limit } : {}),
      });
    },
  );

  app.get(
    '/api/v1/baseline/findings/:id',
    { config: { permission: 'alerts:read' }, schema: { tags: ['anomaly'], summary: 'One anomaly finding with its event', description: 'One finding by its id or by the id of its alert, with the event that raised it.', params: idParams, response: { 200: { description: 'The finding', ...findingSchema, required: [...findingSchema.required, 'event'], properties: { ...findingSchema.properties, event: { type: 'object', additionalProperties: true } }, examples: [{ ...exampleFinding, event: { 'event.category': 'process', 'process.executable': '/tmp/x', 'process.parent.executable': '/usr/sbin/nginx' } }] } } } },
    async (request) => {
      const finding = baseline.finding((request.params as { id: string }).id);
      if (!finding) throw new VigilError('not_found', 'no such anomaly finding');
      return finding;
    },
  );

  app.post(
    '/api/v1/baseline/findings/:id/feedback',
    {
      config: { permission: 'alerts:manage' },
      schema: {
        tags: ['anomaly'],
        summary: 'Feedback on an anomaly: expected',
        description:
          'Marks the behaviour of a finding (given by finding id or alert id) as expected: the host\'s profile learns it, the behaviour is suppressed on the host (scope host) or on every host (scope fleet), optionally for a number of days, and its open alerts are closed as false positives. Written to the audit log.',
        params: idParams,
        body: {
          type: 'object',
          required: ['verdict'],
          additionalProperties: false,
          properties: { verdict: { type: 'string', enum: ['expected'] }, scope: { type: 'string', enum: ['host', 'fleet'], default: 'host' }, note: { type: 'string', maxLength: 1000 }, expires_in_days: { type: 'integer', minimum: 1, maximum: 3650 } },
          examples: [{ verdict: 'expected', scope: 'host', note: 'image resizing of the shop' }],
        },
        response: {
          200: {
            description: 'The finding with its verdict, the suppression and the alerts closed',
            type: 'object',
            required: ['finding', 'suppression', 'alertsClosed'],
            properties: { finding: findingSchema, suppression: suppressionSchema, alertsClosed: { type: 'array', items: { type: 'string' } } },
            examples: [{ finding: { ...exampleFinding, verdict: 'expected', verdictBy: 'alice', verdictAt: exampleTime, verdictNote: 'image resizing of the shop' }, suppression: exampleSuppression, alertsClosed: [exampleAlertId] }],
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { verdict: 'expected'; scope?: 'host' | 'fleet'; note?: string; expires_in_days?: number };
      const result = baseline.feedback(id, { verdict: body.verdict, ...(body.scope ? { scope: body.scope } : {}), ...(body.note ? { note: body.note } : {}), ...(body.expires_in_days ? { expiresInDays: body.expires_in_days } : {}) }, actor(request));
      controlPlane.audit(actor(request), 'baseline.feedback', result.finding.id, 'success', { verdict: body.verdict, scope: body.scope ?? 'host', suppression: result.suppression.id, alerts_closed: result.alertsClosed.length });
      return result;
    },
  );

  app.get('/api/v1/baseline/suppressions', { config: { permission: 'alerts:read' }, schema: { tags: ['anomaly'], summary: 'Suppressed anomaly behaviours', description: 'Behaviours marked expected: per host or fleet-wide (`*`), with who decided, why and until when.', response: { 200: { description: 'Suppressions', type: 'array', items: suppressionSchema, examples: [[exampleSuppression]] } } } }, async () => baseline.suppressions());

  app.delete(
    '/api/v1/baseline/suppressions/:id',
    { config: { permission: 'alerts:manage' }, schema: { tags: ['anomaly'], summary: 'Remove a suppression', description: 'The behaviour alerts again when it is new to a profile; what the profile already learned stays learned. Written to the audit log.', params: idParams, response: { 200: { description: 'Deleted', type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } }, examples: [{ deleted: exampleSuppression.id }] } } } },
    async (request) => {
      const { id } = request.params as { id: string };
      baseline.removeSuppression(id, actor(request));
      controlPlane.audit(actor(request), 'baseline.suppression.delete', id, 'success');
      return { deleted: id };
    },
  );
}
