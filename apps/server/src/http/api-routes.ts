// REST routes of the API listener: login, enrollment tokens, enrollment, hosts, events, users, audit.
// Every route declares its permission; request shapes are JSON schemas, so bad input is refused before handlers run.

import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { categories } from '@vigil/schema';
import { issueClientCertificate } from '@vigil/pki';
import type { EnrollResponse, IsolationReport } from '@vigil/protocol';
import { TIMELINE_POSITION_KEY, type EventStore, type TimelinePosition } from '@vigil/store';
import { roles, type AgentRecord, type ControlPlane } from '../control-plane/sqlite.js';
import type { ServerConfig } from '../config.js';
import type { ServerPki } from '../server-pki.js';
import { SESSION_COOKIE } from './access.js';
import { errorResponse } from './errors.js';

export interface ApiDeps {
  config: ServerConfig;
  controlPlane: ControlPlane;
  store: EventStore;
  pki: ServerPki;
  agentEndpoint: () => string;
  /** The task-signing key offered in the enrollment answer (agents pin it; docs/response.md). */
  taskKey?: () => unknown;
}

const isoDate = { type: 'string', format: 'date-time' };
const categoryNames = categories.map((c) => c.name);

// ---- OpenAPI documentation of the answers (schemas with examples; answers are never reshaped by them) ----
const exampleUuid = '3f2b8c1a-9d4e-4f6a-8b7c-1d2e3f4a5b6c';
const exampleHostId = '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f';
const exampleTime = '2026-03-01T10:00:00.000Z';
const okSchema = { description: 'Done', type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } }, examples: [{ ok: true }] };
const nullable = (schema: Record<string, unknown>) => ({ ...schema, nullable: true });
const hostViewSchema = {
  type: 'object',
  required: ['id', 'hostname', 'state', 'enrolled_at'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    hostname: { type: 'string' },
    state: { type: 'string', enum: ['online', 'offline', 'revoked'] },
    enrolled_at: isoDate,
    last_seen: nullable(isoDate),
    address: nullable({ type: 'string' }),
    revoked_at: nullable(isoDate),
    version: nullable({ type: 'string' }),
    os: nullable({ type: 'object', additionalProperties: true }),
    uptime_s: nullable({ type: 'number' }),
    counters: nullable({ type: 'object', additionalProperties: true }),
    sources: nullable({ type: 'array', items: { type: 'object', additionalProperties: true } }),
    isolation: nullable({
      type: 'object',
      description: "Network isolation as the agent checked it at its last heartbeat (null until an agent reports it); see IsolationReport in packages/protocol",
      required: ['state', 'since', 'checked_at'],
      properties: { state: { type: 'string', enum: ['isolated', 'released', 'unverified'] }, since: nullable(isoDate), checked_at: isoDate, problem: { type: 'string' } },
    }),
  },
};
const exampleHost = {
  id: exampleHostId, hostname: 'web-01', state: 'online', enrolled_at: exampleTime, last_seen: exampleTime, address: '10.0.0.12', revoked_at: null,
  version: '0.1.0', os: { name: 'Ubuntu', version: '24.04' }, uptime_s: 86400, counters: { events_sent: 1200 }, sources: [{ name: 'auditd', state: 'running' }],
  isolation: { state: 'released', since: null, checked_at: exampleTime },
};
const tokenRecordSchema = {
  type: 'object',
  required: ['id', 'description', 'createdBy', 'createdAt', 'expiresAt', 'maxUses', 'uses'],
  additionalProperties: true,
  properties: { id: { type: 'string' }, description: { type: 'string' }, createdBy: { type: 'string' }, createdAt: isoDate, expiresAt: isoDate, maxUses: { type: 'integer' }, uses: { type: 'integer' }, revokedAt: nullable(isoDate) },
};
const userSchema = { type: 'object', required: ['id', 'username', 'role', 'createdAt'], additionalProperties: true, properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string', enum: roles }, createdAt: isoDate } };
const exampleUser = { id: exampleUuid, username: 'analyst1', role: 'analyst', createdAt: exampleTime };
const eventSchema = { type: 'object', additionalProperties: true, description: 'A stored event: flat object with dotted field names (see docs/schema.md)' };
const exampleEvent = {
  '@timestamp': exampleTime, 'event.id': exampleUuid, 'event.sequence': 41, 'event.category': 'process', 'event.action': 'start', 'host.id': exampleHostId,
  'process.pid': 4242, 'process.executable': '/usr/bin/curl', 'process.name': 'curl', 'process.command_line': 'curl -s https://example.com', 'user.name': 'www-data',
};

function encodeCursor(position: TimelinePosition): string {
  return Buffer.from(JSON.stringify([position.time, position.sequence])).toString('base64url');
}

function decodeCursor(cursor: string): TimelinePosition {
  try {
    const [time, sequence] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,6}Z$/.test(time) && Number.isSafeInteger(sequence)) return { time, sequence: sequence as number };
  } catch {
    // reported below
  }
  throw new VigilError('invalid_input', 'cursor is not a next_cursor of this API', { location: { path: 'cursor' } });
}

export function hostState(agent: AgentRecord, heartbeatSeconds: number): 'online' | 'offline' | 'revoked' {
  if (agent.revokedAt) return 'revoked';
  if (!agent.lastSeen) return 'offline';
  return Date.now() - Date.parse(agent.lastSeen) <= heartbeatSeconds * 3000 ? 'online' : 'offline';
}

function hostView(agent: AgentRecord, heartbeatSeconds: number) {
  const hb = agent.lastHeartbeat ?? {};
  return {
    id: agent.id,
    hostname: agent.hostname,
    state: hostState(agent, heartbeatSeconds),
    enrolled_at: agent.enrolledAt,
    last_seen: agent.lastSeen,
    address: agent.address,
    revoked_at: agent.revokedAt,
    version: hb.version ?? null,
    os: hb.os ?? null,
    uptime_s: hb.uptime_s ?? null,
    counters: hb.counters ?? null,
    sources: hb.sources ?? null,
    isolation: isolationReport(hb.isolation),
  };
}

/** The isolation the agent reported, when it has the documented shape (heartbeats are stored as sent). */
function isolationReport(value: unknown): IsolationReport | null {
  const v = value as Partial<IsolationReport> | null | undefined;
  if (typeof v !== 'object' || v === null || !['isolated', 'released', 'unverified'].includes(String(v.state))) return null;
  if (typeof v.checked_at !== 'string' || Number.isNaN(Date.parse(v.checked_at))) return null;
  const since = typeof v.since === 'string' && !Number.isNaN(Date.parse(v.since)) ? v.since : null;
  return { state: v.state!, since, checked_at: v.checked_at, ...(typeof v.problem === 'string' ? { problem: v.problem.slice(0, 500) } : {}) };
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { controlPlane, store, config, pki } = deps;

  app.get('/api/v1/health', { config: { permission: 'public' }, schema: { summary: 'Liveness and version', description: 'Answers while the server runs; no authentication. The CA fingerprint lets agents and clients pin the server CA.', response: { 200: { description: 'Server is up', type: 'object', required: ['status', 'ca_fingerprint', 'time'], properties: { status: { type: 'string', enum: ['ok'] }, ca_fingerprint: { type: 'string' }, time: isoDate }, examples: [{ status: 'ok', ca_fingerprint: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', time: exampleTime }] } }, tags: ['system'] } }, async () => ({
    status: 'ok',
    ca_fingerprint: pki.caFingerprint,
    time: new Date().toISOString(),
  }));

  app.post(
    '/api/v1/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        summary: 'Log in; returns a session token (also set as an HttpOnly cookie)', description: 'Exchanges a user name and password for a session token, valid for the session lifetime. Send it as a bearer token or rely on the cookie. Limited to a few attempts per minute per source address.', response: { 200: { description: 'Logged in', type: 'object', required: ['token', 'expires_at', 'user'], properties: { token: { type: 'string' }, expires_at: isoDate, user: { type: 'object', required: ['username', 'role'], properties: { username: { type: 'string' }, role: { type: 'string', enum: roles } } } }, examples: [{ token: 'vgl_ses_Q2hhbmdlTWVJbW1lZGlhdGVseQ', expires_at: exampleTime, user: { username: 'admin', role: 'admin' } }] }, 401: errorResponse(401, { code: 'unauthenticated', message: 'wrong user name or password' }) },
        tags: ['auth'],
        body: { type: 'object', required: ['username', 'password'], additionalProperties: false, properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 } }, examples: [{ username: 'admin', password: 'correct-horse-battery-staple' }] },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string };
      const session = controlPlane.login(username, password, config.sessionTtlSeconds);
      if (!session) {
        controlPlane.audit(username, 'auth.login', null, 'failure', { address: request.ip });
        throw new VigilError('unauthenticated', 'wrong user name or password');
      }
      controlPlane.audit(username, 'auth.login', null, 'success', { address: request.ip });
      void reply.header('set-cookie', `${SESSION_COOKIE}=${session.token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${config.sessionTtlSeconds}`);
      return { token: session.token, expires_at: session.expiresAt, user: { username: session.user.username, role: session.user.role } };
    },
  );

  app.post('/api/v1/auth/logout', { config: { permission: 'authenticated' }, schema: { tags: ['auth'], summary: 'End the current session', description: 'Ends the session of the calling bearer token or cookie and clears the cookie. API tokens are unaffected.', response: { 200: okSchema } } }, async (request, reply) => {
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer vgl_ses_')) controlPlane.logout(header.slice(7));
    const cookie = /vigil_session=([^;]+)/.exec(request.headers.cookie ?? '');
    if (cookie?.[1]) controlPlane.logout(cookie[1]);
    void reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`);
    return { ok: true };
  });

  app.get('/api/v1/auth/me', { config: { permission: 'authenticated' }, schema: { tags: ['auth'], summary: 'Who is calling', description: 'The principal behind the session or API token of the request.', response: { 200: { description: 'The caller', type: 'object', required: ['kind', 'id', 'name', 'role'], properties: { kind: { type: 'string', enum: ['user', 'api_token'] }, id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: roles } }, examples: [{ kind: 'user', id: exampleUuid, name: 'admin', role: 'admin' }] } } } }, async (request) => request.principal);

  app.post(
    '/api/v1/enrollment-tokens',
    {
      config: { permission: 'enrollment:manage' },
      schema: {
        tags: ['enrollment'],
        summary: 'Create an enrollment token (shown once)', description: 'Creates a token agents enroll with (vigil enroll --token). The secret is shown only in this answer; it expires and may be limited to a number of uses.', response: { 200: { description: 'The token and its secret', type: 'object', required: ['id', 'token', 'expires_at', 'max_uses', 'ca_fingerprint'], properties: { id: { type: 'string' }, token: { type: 'string' }, expires_at: isoDate, max_uses: { type: 'integer' }, ca_fingerprint: { type: 'string' } }, examples: [{ id: exampleUuid, token: 'vgl_enr_U2VjcmV0T25seVNob3duT25jZQ', expires_at: exampleTime, max_uses: 1, ca_fingerprint: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' }] } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            description: { type: 'string', maxLength: 200, default: '' },
            expires_in_s: { type: 'integer', minimum: 60, maximum: 90 * 86400, default: 86400 },
            max_uses: { type: 'integer', minimum: 0, maximum: 1000000, default: 1, description: '0 means unlimited until expiry' },
          },
          examples: [{ description: 'web servers', expires_in_s: 86400, max_uses: 10 }],
        },
      },
    },
    async (request) => {
      const body = request.body as { description: string; expires_in_s: number; max_uses: number };
      const { record, token } = controlPlane.createEnrollmentToken({ description: body.description, createdBy: request.principal!.name, ttlSeconds: body.expires_in_s, maxUses: body.max_uses });
      controlPlane.audit(request.principal!.name, 'enrollment_token.create', record.id, 'success', { max_uses: record.maxUses, expires_at: record.expiresAt });
      return { id: record.id, token, expires_at: record.expiresAt, max_uses: record.maxUses, ca_fingerprint: pki.caFingerprint };
    },
  );

  app.get('/api/v1/enrollment-tokens', { config: { permission: 'enrollment:manage' }, schema: { tags: ['enrollment'], summary: 'List enrollment tokens (without secrets)', description: 'Every enrollment token with its use count, expiry and revocation; secrets are never shown again.', response: { 200: { description: 'Enrollment tokens, newest first', type: 'array', items: tokenRecordSchema, examples: [[{ id: exampleUuid, description: 'web servers', createdBy: 'admin', createdAt: exampleTime, expiresAt: exampleTime, maxUses: 10, uses: 2, revokedAt: null }]] } } } }, async () =>
    controlPlane.listEnrollmentTokens(),
  );

  app.delete(
    '/api/v1/enrollment-tokens/:id',
    { config: { permission: 'enrollment:manage' }, schema: { tags: ['enrollment'], summary: 'Revoke an enrollment token', description: 'Revokes an active enrollment token: agents can no longer enroll with it. Agents enrolled before keep working.', response: { 200: okSchema }, params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } } } },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!controlPlane.revokeEnrollmentToken(id)) throw new VigilError('not_found', `no active enrollment token ${id}`);
      controlPlane.audit(request.principal!.name, 'enrollment_token.revoke', id, 'success');
      return { ok: true };
    },
  );

  app.post(
    '/api/v1/enroll',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['enrollment'],
        summary: 'Enroll an agent with a token; returns its client certificate', description: 'Called by `vigil enroll`: the agent sends its public key and an enrollment token and receives a client certificate for the mutual-TLS agent listener. Refused (403, enrollment_refused) when the token is unknown, revoked, expired or used up.', response: { 200: { description: 'Enrolled', type: 'object', required: ['agent_id', 'certificate_pem', 'ca_certificate_pem', 'agent_endpoint'], properties: { agent_id: { type: 'string' }, certificate_pem: { type: 'string' }, ca_certificate_pem: { type: 'string' }, agent_endpoint: { type: 'string' }, task_signing_key: { type: 'object', additionalProperties: true, description: 'The Ed25519 key tasks are signed with; the agent pins it' } }, examples: [{ agent_id: exampleHostId, certificate_pem: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n', ca_certificate_pem: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n', agent_endpoint: 'vigil.example.com:8444' }] }, 403: errorResponse(403, { code: 'enrollment_refused', message: 'enrollment token expired at 2026-03-01T10:00:00.000Z' }) },
        body: {
          type: 'object',
          required: ['token', 'hostname', 'public_key_pem'],
          additionalProperties: false,
          properties: {
            token: { type: 'string', maxLength: 200 },
            hostname: { type: 'string', minLength: 1, maxLength: 255 },
            public_key_pem: { type: 'string', maxLength: 4096 },
            os: { type: 'object', additionalProperties: { type: 'string', maxLength: 200 } },
          },
          examples: [{ token: 'vgl_enr_U2VjcmV0T25seVNob3duT25jZQ', hostname: 'web-01', public_key_pem: '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n', os: { name: 'Ubuntu', version: '24.04' } }],
        },
      },
    },
    async (request): Promise<EnrollResponse> => {
      const body = request.body as { token: string; hostname: string; public_key_pem: string };
      try {
        controlPlane.checkEnrollmentToken(body.token);
        const agentId = randomUUID();
        const issued = await issueClientCertificate(pki.ca, { publicKeyPem: body.public_key_pem, commonName: agentId });
        controlPlane.enrollAgent(body.token, { id: agentId, hostname: body.hostname, address: request.ip, serial: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
        controlPlane.audit(`agent:${agentId}`, 'agent.enroll', agentId, 'success', { hostname: body.hostname, address: request.ip, serial: issued.serialNumber });
        return { agent_id: agentId, certificate_pem: issued.certPem, ca_certificate_pem: pki.ca.certPem, agent_endpoint: deps.agentEndpoint(), ...(deps.taskKey ? { task_signing_key: deps.taskKey() } : {}) };
      } catch (error) {
        controlPlane.audit(`host:${body.hostname}`, 'agent.enroll', null, 'failure', { address: request.ip, reason: String((error as Error).message) });
        throw error;
      }
    },
  );

  app.get('/api/v1/hosts', { config: { permission: 'hosts:read' }, schema: { tags: ['hosts'], summary: 'List hosts with online/offline state', description: 'Every enrolled host with its state (online when a heartbeat arrived within three heartbeat intervals), last heartbeat details and revocation.', response: { 200: { description: 'Hosts', type: 'array', items: hostViewSchema, examples: [[exampleHost]] } } } }, async () =>
    controlPlane.listAgents().map((agent) => hostView(agent, config.heartbeatIntervalSeconds)),
  );

  const hostParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } };
  const getHost = (id: string) => {
    const agent = controlPlane.getAgent(id);
    if (!agent) throw new VigilError('not_found', `no host ${id}`);
    return agent;
  };

  app.get('/api/v1/hosts/:id', { config: { permission: 'hosts:read' }, schema: { tags: ['hosts'], summary: 'One host', description: 'One enrolled host by id.', response: { 200: { description: 'The host', ...hostViewSchema, examples: [exampleHost] } }, params: hostParams } }, async (request) =>
    hostView(getHost((request.params as { id: string }).id), config.heartbeatIntervalSeconds),
  );

  app.post(
    '/api/v1/hosts/:id/revoke',
    { config: { permission: 'hosts:manage' }, schema: { tags: ['hosts'], summary: 'Revoke a host: its certificate is refused from now on', description: 'Revokes the host and its certificates: its next batch or heartbeat is refused. Revoking twice is a conflict.', response: { 200: okSchema, 409: errorResponse(409, { code: 'conflict', message: 'host 1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f is already revoked' }) }, params: hostParams, body: { type: ['object', 'null'], properties: { reason: { type: 'string', maxLength: 500 } }, examples: [{ reason: 'decommissioned' }] } } },
    async (request) => {
      const { id } = request.params as { id: string };
      getHost(id);
      const reason = (request.body as { reason?: string } | null)?.reason ?? 'revoked by an administrator';
      if (!controlPlane.revokeAgent(id, reason)) throw new VigilError('conflict', `host ${id} is already revoked`);
      controlPlane.audit(request.principal!.name, 'agent.revoke', id, 'success', { reason });
      return { ok: true };
    },
  );

  const eventQuery = {
    type: 'object',
    additionalProperties: false,
    properties: {
      from: isoDate,
      to: isoDate,
      category: { type: 'string', enum: categoryNames },
      action: { type: 'string', maxLength: 64 },
      limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
      order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
      cursor: { type: 'string', maxLength: 200, description: 'next_cursor of the previous page (same filters and order)' },
    },
  };

  app.get(
    '/api/v1/hosts/:id/events',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Host timeline: events of a host by time range and type, page by page',
        description:
          'Stored events of one host, newest first by default (order=asc for oldest first), filtered by time range, category and action. A full page carries next_cursor: pass it as cursor (with the same filters and order) for the next page; no event is skipped or repeated.',
        params: hostParams,
        querystring: eventQuery,
        response: {
          200: {
            description: 'Events',
            type: 'object',
            required: ['events', 'count', 'next_cursor'],
            properties: { events: { type: 'array', items: eventSchema }, count: { type: 'integer' }, next_cursor: { type: ['string', 'null'] } },
            examples: [{ events: [exampleEvent], count: 1, next_cursor: null }],
          },
          400: errorResponse(400),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      getHost(id);
      const q = request.query as { from?: string; to?: string; category?: string; action?: string; limit: number; order: 'asc' | 'desc'; cursor?: string };
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const rows = await store.queryEvents({
        hostId: id,
        limit: q.limit,
        order: q.order,
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(q.category ? { categories: [q.category] } : {}),
        ...(q.action ? { actions: [q.action] } : {}),
        ...(after ? { after } : {}),
      });
      const last = rows[rows.length - 1];
      const nextCursor = last && rows.length === q.limit ? encodeCursor({ time: String(last[TIMELINE_POSITION_KEY]), sequence: Number(last['event.sequence']) }) : null;
      for (const row of rows) delete row[TIMELINE_POSITION_KEY];
      return { events: rows, count: rows.length, next_cursor: nextCursor };
    },
  );

  app.get(
    '/api/v1/events/counts',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Event counts grouped by category, action or host', description: 'Counts stored events, optionally of one host, category and time range, grouped by category, category/action, host or not at all.', response: { 200: { description: 'Counts', type: 'object', required: ['group_by', 'counts', 'total'], properties: { group_by: { type: 'string' }, counts: { type: 'array', items: { type: 'object', required: ['key', 'count'], properties: { key: { type: 'string' }, count: { type: 'integer' } } } }, total: { type: 'integer' } }, examples: [{ group_by: 'category', counts: [{ key: 'process', count: 1200 }, { key: 'network', count: 310 }], total: 1510 }] } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { host_id: { type: 'string', maxLength: 64 }, from: isoDate, to: isoDate, category: { type: 'string', enum: categoryNames }, group_by: { type: 'string', enum: ['category', 'action', 'host', 'none'], default: 'category' } },
        },
      },
    },
    async (request) => {
      const q = request.query as { host_id?: string; from?: string; to?: string; category?: string; group_by: 'category' | 'action' | 'host' | 'none' };
      const counts = await store.countEvents(
        { ...(q.host_id ? { hostId: q.host_id } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.category ? { categories: [q.category] } : {}) },
        q.group_by,
      );
      return { group_by: q.group_by, counts, total: counts.reduce((sum, row) => sum + row.count, 0) };
    },
  );

  app.post(
    '/api/v1/users',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create a console user', description: 'Creates a user who logs in with a password (at least 12 characters) and acts with the permissions of the role.', response: { 200: { description: 'The user', ...userSchema, examples: [exampleUser] }, 409: errorResponse(409, { code: 'conflict', message: 'user analyst1 exists already' }) },
        body: { type: 'object', required: ['username', 'password', 'role'], additionalProperties: false, properties: { username: { type: 'string' }, password: { type: 'string', maxLength: 1024 }, role: { type: 'string', enum: roles } }, examples: [{ username: 'analyst1', password: 'a-long-password-for-analyst1', role: 'analyst' }] },
      },
    },
    async (request) => {
      const body = request.body as { username: string; password: string; role: (typeof roles)[number] };
      const user = controlPlane.createUser(body.username, body.password, body.role);
      controlPlane.audit(request.principal!.name, 'user.create', user.username, 'success', { role: user.role });
      return user;
    },
  );

  app.get('/api/v1/users', { config: { permission: 'users:manage' }, schema: { tags: ['users'], summary: 'List users', description: 'Active console users with their roles.', response: { 200: { description: 'Users', type: 'array', items: userSchema, examples: [[exampleUser]] } } } }, async () => controlPlane.listUsers());

  app.post(
    '/api/v1/api-tokens',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create an API token scoped to a role (shown once)', description: 'Creates a bearer token for scripts and integrations, acting with the permissions of its role (every token may also read GET /metrics). The secret is shown only in this answer. Tokens are rate-limited each on their own.', response: { 200: { description: 'The token and its secret', type: 'object', required: ['id', 'token', 'expires_at', 'role'], properties: { id: { type: 'string' }, token: { type: 'string' }, expires_at: nullable(isoDate), role: { type: 'string', enum: roles } }, examples: [{ id: exampleUuid, token: 'vgl_api_U2VjcmV0T25seVNob3duT25jZQ', expires_at: null, role: 'integration' }] } },
        body: { type: 'object', required: ['name', 'role'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, role: { type: 'string', enum: roles }, expires_in_s: { type: 'integer', minimum: 60 } }, examples: [{ name: 'misp-feed', role: 'integration', expires_in_s: 31536000 }] },
      },
    },
    async (request) => {
      const body = request.body as { name: string; role: (typeof roles)[number]; expires_in_s?: number };
      const created = controlPlane.createApiToken(body.name, body.role, request.principal!.name, body.expires_in_s);
      controlPlane.audit(request.principal!.name, 'api_token.create', created.id, 'success', { name: body.name, role: body.role });
      return { id: created.id, token: created.token, expires_at: created.expiresAt, role: body.role };
    },
  );

  app.get(
    '/api/v1/audit',
    { config: { permission: 'audit:read' }, schema: { tags: ['audit'], summary: 'Audit log, newest first', description: 'Who did what and when: logins, enrollments, revocations, rule and alert changes, inbound pushes.', response: { 200: { description: 'Audit entries', type: 'array', items: { type: 'object', required: ['id', 'time', 'actor', 'action', 'outcome'], additionalProperties: true, properties: { id: { type: 'integer' }, time: isoDate, actor: { type: 'string' }, action: { type: 'string' }, target: nullable({ type: 'string' }), outcome: { type: 'string', enum: ['success', 'failure'] }, detail: nullable({ type: 'string', description: 'JSON text' }) } }, examples: [[{ id: 7, time: exampleTime, actor: 'admin', action: 'agent.revoke', target: exampleHostId, outcome: 'success', detail: '{"reason":"decommissioned"}' }]] } }, querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 } } } } },
    async (request) => controlPlane.auditLog((request.query as { limit: number }).limit),
  );

}
