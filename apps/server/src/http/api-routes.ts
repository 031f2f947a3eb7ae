// REST routes of the API listener: login, enrollment tokens, enrollment, hosts, events, users, audit.
// Every route declares its permission; request shapes are JSON schemas, so bad input is refused before handlers run.

import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { categories } from '@vigil/schema';
import { issueClientCertificate } from '@vigil/pki';
import type { EnrollResponse } from '@vigil/protocol';
import type { EventStore } from '@vigil/store';
import { roles, type AgentRecord, type ControlPlane } from '../control-plane/sqlite.js';
import type { ServerConfig } from '../config.js';
import type { ServerPki } from '../server-pki.js';
import { SESSION_COOKIE } from './access.js';
import { consolePage } from './console-page.js';

export interface ApiDeps {
  config: ServerConfig;
  controlPlane: ControlPlane;
  store: EventStore;
  pki: ServerPki;
  agentEndpoint: () => string;
}

const errorResponse = { type: 'object', properties: { error: { type: 'object', additionalProperties: true } } };
const isoDate = { type: 'string', format: 'date-time' };
const categoryNames = categories.map((c) => c.name);

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
  };
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { controlPlane, store, config, pki } = deps;

  app.get('/', { config: { permission: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(consolePage);
  });

  app.get('/api/v1/health', { config: { permission: 'public' }, schema: { summary: 'Liveness and version', tags: ['system'] } }, async () => ({
    status: 'ok',
    ca_fingerprint: pki.caFingerprint,
    time: new Date().toISOString(),
  }));

  app.post(
    '/api/v1/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        summary: 'Log in; returns a session token (also set as an HttpOnly cookie)',
        tags: ['auth'],
        body: { type: 'object', required: ['username', 'password'], additionalProperties: false, properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 } } },
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

  app.post('/api/v1/auth/logout', { config: { permission: 'authenticated' }, schema: { tags: ['auth'], summary: 'End the current session' } }, async (request, reply) => {
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer vgl_ses_')) controlPlane.logout(header.slice(7));
    const cookie = /vigil_session=([^;]+)/.exec(request.headers.cookie ?? '');
    if (cookie?.[1]) controlPlane.logout(cookie[1]);
    void reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`);
    return { ok: true };
  });

  app.get('/api/v1/auth/me', { config: { permission: 'authenticated' }, schema: { tags: ['auth'], summary: 'Who is calling' } }, async (request) => request.principal);

  app.post(
    '/api/v1/enrollment-tokens',
    {
      config: { permission: 'enrollment:manage' },
      schema: {
        tags: ['enrollment'],
        summary: 'Create an enrollment token (shown once)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            description: { type: 'string', maxLength: 200, default: '' },
            expires_in_s: { type: 'integer', minimum: 60, maximum: 90 * 86400, default: 86400 },
            max_uses: { type: 'integer', minimum: 0, maximum: 1000000, default: 1, description: '0 means unlimited until expiry' },
          },
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

  app.get('/api/v1/enrollment-tokens', { config: { permission: 'enrollment:manage' }, schema: { tags: ['enrollment'], summary: 'List enrollment tokens (without secrets)' } }, async () =>
    controlPlane.listEnrollmentTokens(),
  );

  app.delete(
    '/api/v1/enrollment-tokens/:id',
    { config: { permission: 'enrollment:manage' }, schema: { tags: ['enrollment'], summary: 'Revoke an enrollment token', params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } } } },
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
        summary: 'Enroll an agent with a token; returns its client certificate',
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
        return { agent_id: agentId, certificate_pem: issued.certPem, ca_certificate_pem: pki.ca.certPem, agent_endpoint: deps.agentEndpoint() };
      } catch (error) {
        controlPlane.audit(`host:${body.hostname}`, 'agent.enroll', null, 'failure', { address: request.ip, reason: String((error as Error).message) });
        throw error;
      }
    },
  );

  app.get('/api/v1/hosts', { config: { permission: 'hosts:read' }, schema: { tags: ['hosts'], summary: 'List hosts with online/offline state' } }, async () =>
    controlPlane.listAgents().map((agent) => hostView(agent, config.heartbeatIntervalSeconds)),
  );

  const hostParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } };
  const getHost = (id: string) => {
    const agent = controlPlane.getAgent(id);
    if (!agent) throw new VigilError('not_found', `no host ${id}`);
    return agent;
  };

  app.get('/api/v1/hosts/:id', { config: { permission: 'hosts:read' }, schema: { tags: ['hosts'], summary: 'One host', params: hostParams } }, async (request) =>
    hostView(getHost((request.params as { id: string }).id), config.heartbeatIntervalSeconds),
  );

  app.post(
    '/api/v1/hosts/:id/revoke',
    { config: { permission: 'hosts:manage' }, schema: { tags: ['hosts'], summary: 'Revoke a host: its certificate is refused from now on', params: hostParams, body: { type: ['object', 'null'], properties: { reason: { type: 'string', maxLength: 500 } } } } },
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
    },
  };

  app.get(
    '/api/v1/hosts/:id/events',
    { config: { permission: 'events:read' }, schema: { tags: ['events'], summary: 'Events of a host by time range and type', params: hostParams, querystring: eventQuery, response: { 400: errorResponse } } },
    async (request) => {
      const { id } = request.params as { id: string };
      getHost(id);
      const q = request.query as { from?: string; to?: string; category?: string; action?: string; limit: number; order: 'asc' | 'desc' };
      const events = await store.queryEvents({
        hostId: id,
        limit: q.limit,
        order: q.order,
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(q.category ? { categories: [q.category] } : {}),
        ...(q.action ? { actions: [q.action] } : {}),
      });
      return { events, count: events.length };
    },
  );

  app.get(
    '/api/v1/events/counts',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Event counts grouped by category, action or host',
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
        summary: 'Create a console user',
        body: { type: 'object', required: ['username', 'password', 'role'], additionalProperties: false, properties: { username: { type: 'string' }, password: { type: 'string', maxLength: 1024 }, role: { type: 'string', enum: roles } } },
      },
    },
    async (request) => {
      const body = request.body as { username: string; password: string; role: (typeof roles)[number] };
      const user = controlPlane.createUser(body.username, body.password, body.role);
      controlPlane.audit(request.principal!.name, 'user.create', user.username, 'success', { role: user.role });
      return user;
    },
  );

  app.get('/api/v1/users', { config: { permission: 'users:manage' }, schema: { tags: ['users'], summary: 'List users' } }, async () => controlPlane.listUsers());

  app.post(
    '/api/v1/api-tokens',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create an API token scoped to a role (shown once)',
        body: { type: 'object', required: ['name', 'role'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, role: { type: 'string', enum: roles }, expires_in_s: { type: 'integer', minimum: 60 } } },
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
    { config: { permission: 'audit:read' }, schema: { tags: ['audit'], summary: 'Audit log, newest first', querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 } } } } },
    async (request) => controlPlane.auditLog((request.query as { limit: number }).limit),
  );

}
