// REST routes for integrations: destinations (syslog, webhook, NDJSON), test sends, delivery status and dead letters.
// Every change is audited; secrets are write-only (never in an answer, an audit detail or a log line).

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { alertLevels, destinationKinds, eventCategoryNames } from '@vigil/integrations';
import type { ControlPlane } from '../control-plane/sqlite.js';
import { destinationView, newDestinationFrom, statusView, updatedDestinationFrom, type DestinationInput } from '../integrations/destination-config.js';
import type { IntegrationService } from '../integrations/integration-service.js';
import { destinationStreams, type IntegrationsDb } from '../integrations/integrations-db.js';

export interface IntegrationRouteDeps {
  controlPlane: ControlPlane;
  db: IntegrationsDb;
  service: IntegrationService;
}

const BASE = '/api/v1/integrations/destinations';
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } };
const pem = { type: 'string', maxLength: 64 * 1024 };

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Kind-specific: syslog uses host, port, transport, format, ca_pem, server_name, facility, hostname, max_message_bytes; webhook uses url, secret, ca_pem; http-ndjson uses url, authorization, ca_pem. secret and authorization are write-only.',
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 253 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    transport: { type: 'string', enum: ['udp', 'tcp', 'tls'] },
    format: { type: 'string', enum: ['rfc5424', 'cef', 'leef'] },
    ca_pem: pem,
    server_name: { type: 'string', maxLength: 253 },
    facility: { type: 'integer', minimum: 0, maximum: 23 },
    hostname: { type: 'string', maxLength: 255 },
    max_message_bytes: { type: 'integer', minimum: 480, maximum: 65000 },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    secret: { type: 'string', minLength: 16, maxLength: 512 },
    authorization: { type: 'string', minLength: 1, maxLength: 4096 },
    timeout_ms: { type: 'integer', minimum: 100, maximum: 120000 },
  },
};

const filtersSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    min_level: { type: 'string', enum: [...alertLevels] },
    tags_any: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 200 } },
    categories: { type: 'array', maxItems: 100, items: { type: 'string', enum: [...eventCategoryNames] } },
  },
};

const retrySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    max_attempts: { type: 'integer', minimum: 1, maximum: 1000 },
    max_age_s: { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 },
    initial_backoff_ms: { type: 'integer', minimum: 10, maximum: 3600_000 },
    max_backoff_ms: { type: 'integer', minimum: 10, maximum: 24 * 3600_000 },
  },
};

const destinationProperties = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  kind: { type: 'string', enum: [...destinationKinds] },
  stream: { type: 'string', enum: [...destinationStreams], description: 'alerts (default) or events (raw event forwarding)' },
  enabled: { type: 'boolean' },
  settings: settingsSchema,
  filters: filtersSchema,
  retry: retrySchema,
  batch_size: { type: 'integer', minimum: 1, maximum: 5000 },
};

const exampleDestination = {
  id: '3f0e1c9a-5b7d-4c1e-9a55-0d2f6b8e7c11',
  name: 'soc-webhook',
  kind: 'webhook',
  stream: 'alerts',
  enabled: true,
  settings: { url: 'https://soc.example.com/hooks/vigil', secret_set: true },
  filters: { min_level: 'high', tags_any: [], categories: [] },
  retry: { max_attempts: 8, max_age_s: 86400, initial_backoff_ms: 1000, max_backoff_ms: 300000 },
  batch_size: 100,
  created_at: '2026-12-04T10:00:00.000Z',
  updated_at: '2026-12-04T10:00:00.000Z',
};

const exampleStatus = {
  destination_id: exampleDestination.id,
  name: 'soc-webhook',
  kind: 'webhook',
  stream: 'alerts',
  enabled: true,
  pending: 2,
  sent: 140,
  failed_attempts: 3,
  consecutive_failures: 1,
  dead: 0,
  last_success_at: '2026-12-04T10:05:00.000Z',
  last_error: 'https://soc.example.com/hooks/vigil answered 503',
  last_error_at: '2026-12-04T10:06:00.000Z',
  next_attempt_at: '2026-12-04T10:06:01.000Z',
  cursor: null,
};

const objectExample = (example: unknown, description = 'Answer') => ({ description, type: 'object', additionalProperties: true, examples: [example] });

export function registerIntegrationRoutes(app: FastifyInstance, deps: IntegrationRouteDeps): void {
  const { controlPlane, db, service } = deps;
  const actor = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';
  const destinationOr404 = (id: string) => {
    const destination = db.getDestination(id);
    if (!destination) throw new VigilError('not_found', 'no such destination');
    return destination;
  };

  app.get(BASE, { config: { permission: 'integrations:read' }, schema: { tags: ['integrations'], summary: 'List destinations with their delivery status', description: 'Every export destination (syslog, webhook, http-ndjson) with its settings (secrets omitted), filters, retry policy and current delivery status.', response: { 200: { description: 'Destinations', type: 'array', items: { type: 'object', additionalProperties: true }, examples: [[{ ...exampleDestination, status: exampleStatus }]] } } } }, async () =>
    db.listDestinations().map((d) => ({ ...destinationView(d), status: statusView(d, db.status(d.id)!) })),
  );

  app.post(
    BASE,
    {
      config: { permission: 'integrations:manage' },
      schema: {
        tags: ['integrations'],
        summary: 'Create a destination (syslog, webhook or http-ndjson) for alerts or raw events', description: 'Alerts reach the destination through the durable outbox; raw events (stream events) are forwarded from the event store behind a cursor that starts now. Settings are validated per kind; secret and authorization are write-only.',
        body: { type: 'object', required: ['name', 'kind', 'settings'], additionalProperties: false, properties: destinationProperties },
        response: { 201: objectExample(exampleDestination) },
      },
    },
    async (request, reply) => {
      const created = db.createDestination(newDestinationFrom(request.body as DestinationInput));
      service.reload();
      controlPlane.audit(actor(request), 'integration.create', created.id, 'success', { name: created.name, kind: created.kind, stream: created.stream });
      return reply.status(201).send(destinationView(created));
    },
  );

  app.get(`${BASE}/:id`, { config: { permission: 'integrations:read' }, schema: { tags: ['integrations'], summary: 'One destination (secrets are never returned)', description: 'Settings, filters and retry policy of one destination; secret_set and authorization_set say whether a secret is stored.', params: idParams, response: { 200: objectExample(exampleDestination) } } }, async (request) =>
    destinationView(destinationOr404((request.params as { id: string }).id)),
  );

  app.patch(
    `${BASE}/:id`,
    {
      config: { permission: 'integrations:manage' },
      schema: {
        tags: ['integrations'],
        summary: 'Update a destination; given settings keys replace stored ones, omitted secrets are kept; resets the backoff', description: 'Partial update. kind and stream cannot change. Pending deliveries stay in the outbox and are retried at once.',
        params: idParams,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: destinationProperties },
        response: { 200: objectExample(exampleDestination) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as DestinationInput;
      const updated = db.updateDestination(id, updatedDestinationFrom(destinationOr404(id), body));
      service.reload();
      controlPlane.audit(actor(request), 'integration.update', id, 'success', { fields: Object.keys(body), settings: Object.keys(body.settings ?? {}) });
      return destinationView(updated);
    },
  );

  app.delete(`${BASE}/:id`, { config: { permission: 'integrations:manage' }, schema: { tags: ['integrations'], summary: 'Delete a destination with its pending deliveries and dead letters', description: 'Removes the destination; deliveries not yet sent and its dead-letter list are dropped.', params: idParams, response: { 200: objectExample({ deleted: exampleDestination.id }) } } }, async (request) => {
    const { id } = request.params as { id: string };
    const destination = destinationOr404(id);
    db.deleteDestination(id);
    service.reload();
    controlPlane.audit(actor(request), 'integration.delete', id, 'success', { name: destination.name });
    return { deleted: id };
  });

  app.post(
    `${BASE}/:id/test`,
    {
      config: { permission: 'integrations:manage' },
      schema: { tags: ['integrations'], summary: 'Send one test message now (outside the outbox) and report the outcome', description: 'Sends one record marked vigil-test (an informational alert, or a log event for raw destinations) and answers whether the destination accepted it; nothing is queued or retried.', params: idParams, response: { 200: objectExample({ delivered: false, error: 'https://soc.example.com/hooks/vigil answered 401', latency_ms: 84 }) } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      destinationOr404(id);
      const result = await service.testDestination(id);
      controlPlane.audit(actor(request), 'integration.test', id, result.delivered ? 'success' : 'failure', result.error ? { error: result.error } : {});
      return { delivered: result.delivered, error: result.error, latency_ms: result.latencyMs };
    },
  );

  app.get(`${BASE}/:id/status`, { config: { permission: 'integrations:read' }, schema: { tags: ['integrations'], summary: 'Delivery status: pending, sent, failed attempts, dead letters, last success and error', description: 'Counters since the destination was created, the current backoff (next_attempt_at) and, for raw forwarding, the cursor (event.ingested and event.id of the last accepted event).', params: idParams, response: { 200: objectExample(exampleStatus) } } }, async (request) => {
    const destination = destinationOr404((request.params as { id: string }).id);
    return statusView(destination, db.status(destination.id)!);
  });

  app.get(
    `${BASE}/:id/dead-letters`,
    {
      config: { permission: 'integrations:read' },
      schema: {
        tags: ['integrations'],
        summary: 'Deliveries that exhausted their attempts or age, oldest first', description: 'Alert deliveries moved out of the outbox after max_attempts failed attempts or max_age_s, with the record and the last error.',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } } },
        response: { 200: objectExample({ total: 1, dead_letters: [{ id: 7, created_at: '2026-12-03T10:00:00.000Z', dead_at: '2026-12-04T10:00:00.000Z', attempts: 8, last_error: 'connect ECONNREFUSED 192.0.2.10:443', record: { type: 'alert', alert: { id: '…' } } }] }) },
      },
    },
    async (request) => {
      const destination = destinationOr404((request.params as { id: string }).id);
      const { total, items } = db.deadLetters(destination.id, (request.query as { limit?: number }).limit ?? 100);
      return { total, dead_letters: items.map((d) => ({ id: d.id, created_at: d.createdAt, dead_at: d.deadAt, attempts: d.attempts, last_error: d.lastError, record: d.record })) };
    },
  );

  app.post(
    `${BASE}/:id/dead-letters/retry`,
    {
      config: { permission: 'integrations:manage' },
      schema: {
        tags: ['integrations'],
        summary: 'Move dead letters (all, or the given ids) back to the outbox as fresh deliveries', description: 'Requeued deliveries start again with zero attempts and a new age; the destination backoff is reset.',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', maxItems: 10000, items: { type: 'integer', minimum: 1 } } } },
        response: { 200: objectExample({ requeued: 1 }) },
      },
    },
    async (request) => {
      const destination = destinationOr404((request.params as { id: string }).id);
      const ids = ((request.body ?? {}) as { ids?: number[] }).ids;
      const requeued = db.retryDeadLetters(destination.id, ids);
      service.reload();
      controlPlane.audit(actor(request), 'integration.dead_letters.retry', destination.id, 'success', { requeued, ...(ids ? { ids: ids.length } : {}) });
      return { requeued };
    },
  );
}
