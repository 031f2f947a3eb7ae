// Inbound API for third-party platforms (SIEM, SOAR, threat-intel feeds): push alerts and indicators, follow the IOC
// sweeps they start. Every push is idempotent by (source, external id); nothing here waits for a sweep to run.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { sigmaLevels, type SigmaLevel } from '@vigil/detect';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { AlertRecord, DetectionDb } from '../detection/detection-db.js';
import type { IndicatorInput, IndicatorRecord, IntelDb, SweepRecord } from '../intel/intel-db.js';
import { sweepStates, type SweepState } from '../intel/intel-db.js';
import { canonicalIndicatorValue, indicatorTypes, type IndicatorType } from '../intel/indicators.js';
import type { Sweeper } from '../intel/sweeper.js';

export interface InboundRouteDeps {
  controlPlane: ControlPlane;
  detectionDb: DetectionDb;
  intel: IntelDb;
  sweeper: Sweeper;
}

export const MAX_INDICATORS_PER_PUSH = 10_000;

const isoDate = { type: 'string', format: 'date-time' };
const sourceName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:@/-]*$', description: 'Name of the pushing platform, for example `misp` or `splunk-soar`' };
const externalId = { type: 'string', minLength: 1, maxLength: 200, description: "The platform's own id; a repeated push with the same source and id changes nothing new" };
const indicatorType = { type: 'string', enum: [...indicatorTypes] };
const nullableString = { type: 'string', nullable: true };
const nullableDate = { type: 'string', format: 'date-time', nullable: true };
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } };

/** Answer of POST /api/v1/inbound/alerts: 201 for a new alert, 200 for a repeated push (same shape). */
function inboundAlertAnswer(description: string, created: boolean) {
  return {
    description,
    type: 'object',
    required: ['id', 'created', 'sweep_id', 'alert'],
    additionalProperties: true,
    properties: {
      id: { type: 'string', format: 'uuid' },
      created: { type: 'boolean' },
      sweep_id: { ...nullableString, description: 'IOC sweep over the observables, null without observables' },
      alert: { type: 'object', additionalProperties: true, required: ['id', 'kind'], properties: { id: { type: 'string' }, kind: { type: 'string', enum: ['sigma', 'correlation', 'hunt', 'external'] } } },
    },
    examples: [
      {
        id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
        created,
        sweep_id: exampleSweepId,
        alert: { id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', kind: 'external', ruleId: 'external:splunk-soar', ruleTitle: 'Known ransomware dropper downloaded', level: 'high' },
      },
    ],
  };
}

const observableSchema = {
  type: 'object',
  required: ['type', 'value'],
  additionalProperties: false,
  properties: { type: indicatorType, value: { type: 'string', minLength: 1, maxLength: 4096 } },
};

const indicatorView = (i: IndicatorRecord, created?: boolean) => ({
  id: i.id,
  type: i.type,
  value: i.value,
  source: i.source,
  external_id: i.externalId,
  confidence: i.confidence,
  expires_at: i.expiresAt,
  description: i.description,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
  ...(created === undefined ? {} : { created }),
});

const indicatorViewSchema = {
  type: 'object',
  required: ['id', 'type', 'value', 'source'],
  additionalProperties: true,
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: indicatorType,
    value: { type: 'string' },
    source: { type: 'string' },
    external_id: nullableString,
    confidence: { type: 'integer', nullable: true },
    expires_at: nullableString,
    description: nullableString,
    created_at: isoDate,
    updated_at: isoDate,
    created: { type: 'boolean', description: 'Whether this push stored the indicator for the first time' },
  },
};

const sweepSummarySchema = {
  type: 'object',
  required: ['id', 'state', 'trigger', 'created_at', 'indicator_count', 'matched_count'],
  additionalProperties: true,
  properties: {
    id: { type: 'string', format: 'uuid' },
    state: { type: 'string', enum: [...sweepStates] },
    trigger: { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: ['indicators', 'alert'] }, ref: { ...nullableString, description: 'The alert id for an alert-triggered sweep' } } },
    requested_by: { type: 'string' },
    created_at: isoDate,
    started_at: nullableDate,
    finished_at: nullableDate,
    error: nullableString,
    indicator_count: { type: 'integer' },
    matched_count: { type: 'integer', description: 'Indicators seen in at least one event' },
  },
};

const sweepResultSchema = {
  type: 'object',
  required: ['indicator_id', 'type', 'value', 'count', 'hosts'],
  additionalProperties: true,
  properties: {
    indicator_id: { type: 'string' },
    type: indicatorType,
    value: { type: 'string' },
    count: { type: 'integer', description: 'Matching events' },
    hosts: { type: 'array', items: { type: 'string' }, description: 'Host ids with matching events' },
    first_seen: nullableDate,
    last_seen: nullableDate,
    first_host_id: nullableString,
    first_event_id: nullableString,
  },
};

const exampleSweepId = '0b8e7c1e-5d2a-4f7b-9f57-2f1f0f3c9a11';
const exampleSweep = {
  id: exampleSweepId,
  state: 'done',
  trigger: { kind: 'indicators', ref: null },
  requested_by: 'token:misp-feed',
  created_at: '2026-03-01T10:00:00.000Z',
  started_at: '2026-03-01T10:00:00.050Z',
  finished_at: '2026-03-01T10:00:00.400Z',
  error: null,
  indicator_count: 1,
  matched_count: 1,
};
const exampleResult = {
  indicator_id: '6a1c2f44-0b7e-4d5e-a8a8-2d6f3e9b1c20',
  type: 'sha256',
  value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  count: 4,
  hosts: ['1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f', '7d2e9b61-3c4f-4a2d-8e1b-5f6a7b8c9d0e'],
  first_seen: '2026-02-28T22:14:05.120Z',
  last_seen: '2026-03-01T08:02:11.900Z',
  first_host_id: '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f',
  first_event_id: '5c6d7e8f-1a2b-4c3d-9e0f-112233445566',
};

const sweepSummary = (s: SweepRecord) => ({
  id: s.id,
  state: s.state,
  trigger: s.trigger,
  requested_by: s.requestedBy,
  created_at: s.createdAt,
  started_at: s.startedAt,
  finished_at: s.finishedAt,
  error: s.error,
  indicator_count: s.indicatorCount,
  matched_count: s.matchedCount,
});

export function registerInboundRoutes(app: FastifyInstance, deps: InboundRouteDeps): void {
  const { controlPlane, detectionDb, intel, sweeper } = deps;
  const actor = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';

  /** The Vigil host id named by an agent id or a host name (case-insensitive); '' when no enrolled host matches. */
  function resolveHost(host: string | undefined): string {
    if (!host) return '';
    if (controlPlane.getAgent(host)) return host;
    const lower = host.toLowerCase();
    return controlPlane.listAgents().find((agent) => agent.hostname.toLowerCase() === lower)?.id ?? '';
  }

  app.post(
    '/api/v1/inbound/indicators',
    {
      config: { permission: 'inbound:write' },
      schema: {
        tags: ['inbound'],
        summary: 'Push indicators of compromise; starts an IOC sweep over stored events',
        description:
          'Stores up to 10,000 indicators (md5, sha1, sha256, ip, cidr, domain, port, process_name, path). An indicator is identified by (source, external_id), or by (type, value, source) without an external id: pushing it again updates confidence, expiry and description and never duplicates it. Every push queues an IOC sweep over the stored events for the pushed indicators that have not expired and answers at once with the sweep id; follow it with GET /api/v1/sweeps/{id}.',
        body: {
          type: 'object',
          required: ['source', 'indicators'],
          additionalProperties: false,
          properties: {
            source: sourceName,
            indicators: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_INDICATORS_PER_PUSH,
              items: {
                type: 'object',
                required: ['type', 'value'],
                additionalProperties: false,
                properties: {
                  type: indicatorType,
                  value: { type: 'string', minLength: 1, maxLength: 4096 },
                  external_id: externalId,
                  confidence: { type: 'integer', minimum: 0, maximum: 100 },
                  expires_at: isoDate,
                  description: { type: 'string', maxLength: 2000 },
                },
              },
            },
          },
          examples: [
            {
              source: 'misp',
              indicators: [
                { type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', external_id: 'misp-attr-1001', confidence: 90, description: 'dropper' },
                { type: 'ip', value: '203.0.113.7', external_id: 'misp-attr-1002', expires_at: '2030-01-01T00:00:00Z' },
                { type: 'domain', value: 'bad.example.net' },
              ],
            },
          ],
        },
        response: {
          202: {
            description: 'Indicators stored; the sweep is queued',
            type: 'object',
            required: ['sweep_id', 'created', 'updated', 'indicators'],
            additionalProperties: true,
            properties: {
              sweep_id: { type: 'string', format: 'uuid' },
              created: { type: 'integer', description: 'Indicators stored for the first time' },
              updated: { type: 'integer', description: 'Indicators already known (updated in place)' },
              indicators: { type: 'array', items: indicatorViewSchema },
            },
            examples: [
              {
                sweep_id: exampleSweepId,
                created: 1,
                updated: 0,
                indicators: [
                  {
                    id: exampleResult.indicator_id, type: 'sha256', value: exampleResult.value, source: 'misp', external_id: 'misp-attr-1001', confidence: 90, expires_at: null,
                    description: 'dropper', created_at: '2026-03-01T10:00:00.000Z', updated_at: '2026-03-01T10:00:00.000Z', created: true,
                  },
                ],
              },
            ],
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { source: string; indicators: { type: IndicatorType; value: string; external_id?: string; confidence?: number; expires_at?: string; description?: string }[] };
      const inputs: IndicatorInput[] = body.indicators.map((item, index) => ({
        type: item.type,
        value: canonicalIndicatorValue(item.type, item.value, `indicators[${index}].value`),
        source: body.source,
        externalId: item.external_id ?? null,
        confidence: item.confidence ?? null,
        expiresAt: item.expires_at ? new Date(item.expires_at).toISOString() : null,
        description: item.description ?? null,
      }));
      const stored = intel.upsertIndicators(inputs, actor(request));
      const sweep = sweeper.request(stored.map((s) => s.indicator), { kind: 'indicators', ref: null }, actor(request));
      const created = stored.filter((s) => s.created).length;
      controlPlane.audit(actor(request), 'inbound.indicators', body.source, 'success', { created, updated: stored.length - created, sweep: sweep.id });
      return reply.status(202).send({ sweep_id: sweep.id, created, updated: stored.length - created, indicators: stored.map((s) => indicatorView(s.indicator, s.created)) });
    },
  );

  app.post(
    '/api/v1/inbound/alerts',
    {
      config: { permission: 'inbound:write' },
      schema: {
        tags: ['inbound'],
        summary: 'Push an alert from a third-party platform',
        description:
          'Stores the alert as an alert of kind `external` (listed by GET /api/v1/alerts, rule id `external:<source>`). Idempotent by (source, external_id): pushing the same alert again answers 200 with the same id and `created: false`. Observables (hashes, addresses, domains, ports, process names, paths) are stored as indicators of the source and start an IOC sweep, whose id is returned.',
        body: {
          type: 'object',
          required: ['source', 'external_id', 'title'],
          additionalProperties: false,
          properties: {
            source: sourceName,
            external_id: externalId,
            title: { type: 'string', minLength: 1, maxLength: 500 },
            severity: { type: 'string', enum: [...sigmaLevels], description: 'Default medium' },
            level: { type: 'string', enum: [...sigmaLevels], description: 'Alias of severity' },
            description: { type: 'string', maxLength: 10_000 },
            host: { type: 'string', minLength: 1, maxLength: 255, description: 'Vigil host id or host name the alert is about' },
            time: { ...isoDate, description: 'When the platform saw it; default now' },
            tags: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 100 } },
            observables: { type: 'array', maxItems: 1000, items: observableSchema },
          },
          examples: [
            {
              source: 'splunk-soar',
              external_id: 'SOAR-4711',
              title: 'Known ransomware dropper downloaded',
              severity: 'high',
              description: 'Proxy logs show the download of a known dropper.',
              host: 'web-01',
              time: '2026-03-01T09:58:00Z',
              tags: ['attack.execution'],
              observables: [{ type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }],
            },
          ],
        },
        response: {
          201: inboundAlertAnswer('Alert stored (a sweep is queued when it carries observables)', true),
          200: inboundAlertAnswer('The alert was pushed before: the stored alert, `created: false`', false),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        source: string; external_id: string; title: string; severity?: SigmaLevel; level?: SigmaLevel; description?: string; host?: string; time?: string; tags?: string[];
        observables?: { type: IndicatorType; value: string }[];
      };
      if (body.severity && body.level && body.severity !== body.level) throw new VigilError('invalid_input', 'severity and level differ; give one', { location: { path: 'level' } });
      const observables: IndicatorInput[] = (body.observables ?? []).map((o, index) => ({
        type: o.type,
        value: canonicalIndicatorValue(o.type, o.value, `observables[${index}].value`),
        source: body.source,
        externalId: null,
        confidence: null,
        expiresAt: null,
        description: `observable of alert ${body.external_id}: ${body.title}`.slice(0, 2000),
      }));
      const fields: { field: string; value: unknown }[] = [
        { field: 'external.source', value: body.source },
        { field: 'external.id', value: body.external_id },
        ...(body.description ? [{ field: 'description', value: body.description }] : []),
        ...(body.host ? [{ field: 'host', value: body.host }] : []),
        ...observables.map((o) => ({ field: `observable.${o.type}`, value: o.value })),
      ];
      const result = detectionDb.storeExternalAlert(
        {
          source: body.source,
          externalId: body.external_id,
          title: body.title,
          level: body.severity ?? body.level ?? 'medium',
          hostId: resolveHost(body.host),
          time: body.time ? new Date(body.time).toISOString() : new Date().toISOString(),
          tags: body.tags ?? [],
          fields,
        },
        (alertId) => {
          if (!observables.length) return null;
          const stored = intel.upsertIndicators(observables, actor(request));
          return sweeper.request(stored.map((s) => s.indicator), { kind: 'alert', ref: alertId }, actor(request)).id;
        },
      );
      if (result.created) controlPlane.audit(actor(request), 'inbound.alert', result.alert.id, 'success', { source: body.source, external_id: body.external_id, sweep: result.sweepId });
      const answer: { id: string; created: boolean; sweep_id: string | null; alert: AlertRecord } = { id: result.alert.id, created: result.created, sweep_id: result.sweepId, alert: result.alert };
      return reply.status(result.created ? 201 : 200).send(answer);
    },
  );

  app.get(
    '/api/v1/indicators',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['inbound'],
        summary: 'List stored indicators, most recently updated first',
        description: 'Indicators pushed through POST /api/v1/inbound/indicators or as observables of inbound alerts.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { type: indicatorType, source: { type: 'string', maxLength: 100 }, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 } },
        },
        response: {
          200: {
            description: 'Indicators',
            type: 'array',
            items: indicatorViewSchema,
            examples: [[{ id: exampleResult.indicator_id, type: 'sha256', value: exampleResult.value, source: 'misp', external_id: 'misp-attr-1001', confidence: 90, expires_at: null, description: 'dropper', created_at: '2026-03-01T10:00:00.000Z', updated_at: '2026-03-01T10:00:00.000Z' }]],
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { type?: IndicatorType; source?: string; limit: number };
      return intel.listIndicators({ ...(q.type ? { type: q.type } : {}), ...(q.source ? { source: q.source } : {}), limit: q.limit }).map((i) => indicatorView(i));
    },
  );

  app.post(
    '/api/v1/sweeps',
    {
      config: { permission: 'events:read' },
      schema: {
        tags: ['inbound'],
        summary: 'Sweep stored events for indicators (IOC sweep)',
        description:
          'An analyst sweep: the indicators (hashes, IPs or CIDRs, domains, ports, process names, paths) are stored with source `analyst:<name>` and swept over every stored event in the background. GET /api/v1/sweeps/{id} gives, per indicator, the hosts, first and last seen, counts, and the first host and event where it appeared.',
        body: {
          type: 'object',
          required: ['indicators'],
          additionalProperties: false,
          properties: { indicators: { type: 'array', minItems: 1, maxItems: MAX_INDICATORS_PER_PUSH, items: observableSchema }, description: { type: 'string', maxLength: 2000 } },
          examples: [{ indicators: [{ type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }, { type: 'cidr', value: '203.0.113.0/24' }], description: 'dropper from case 4711' }],
        },
        response: { 202: { description: 'Sweep queued', ...sweepSummarySchema, examples: [exampleSweep] } },
      },
    },
    async (request, reply) => {
      const body = request.body as { indicators: { type: IndicatorType; value: string }[]; description?: string };
      const source = `analyst:${request.principal?.name ?? 'unknown'}`.slice(0, 100);
      const inputs: IndicatorInput[] = body.indicators.map((item, index) => ({
        type: item.type,
        value: canonicalIndicatorValue(item.type, item.value, `indicators[${index}].value`),
        source,
        externalId: null,
        confidence: null,
        expiresAt: null,
        description: body.description ?? null,
      }));
      const stored = intel.upsertIndicators(inputs, request.principal?.name ?? 'unknown');
      const sweep = sweeper.request(stored.map((s) => s.indicator), { kind: 'indicators', ref: null }, request.principal?.name ?? 'unknown');
      controlPlane.audit(request.principal?.name ?? 'unknown', 'sweep.request', sweep.id, 'success', { indicators: inputs.length });
      return reply.status(202).send(sweepSummary(sweep));
    },
  );

  app.get(
    '/api/v1/sweeps',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['inbound'],
        summary: 'List IOC sweeps, newest first',
        description: 'Sweeps started by indicator pushes and by inbound alerts with observables, without their per-indicator results.',
        querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: [...sweepStates] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: { 200: { description: 'Sweeps', type: 'array', items: sweepSummarySchema, examples: [[exampleSweep]] } },
      },
    },
    async (request) => {
      const q = request.query as { state?: SweepState; limit: number };
      return intel.listSweeps({ ...(q.state ? { state: q.state } : {}), limit: q.limit }).map(sweepSummary);
    },
  );

  app.get(
    '/api/v1/sweeps/:id',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['inbound'],
        summary: 'One IOC sweep with per-indicator results',
        description:
          'State queued, running, done or failed. Once done, every swept indicator lists the matching events: count, host ids, first and last event time, and the host and event id of the first match (indicators without a match have count 0).',
        params: idParams,
        response: {
          200: {
            description: 'The sweep',
            ...sweepSummarySchema,
            required: [...sweepSummarySchema.required, 'indicators'],
            properties: { ...sweepSummarySchema.properties, indicators: { type: 'array', items: sweepResultSchema } },
            examples: [{ ...exampleSweep, indicators: [exampleResult] }],
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const sweep = intel.getSweep(id);
      if (!sweep) throw new VigilError('not_found', `no sweep ${id}`);
      return {
        ...sweepSummary(sweep),
        indicators: intel.sweepResults(id).map((r) => ({
          indicator_id: r.indicatorId,
          type: r.type,
          value: r.value,
          count: r.count,
          hosts: r.hosts,
          first_seen: r.firstSeen,
          last_seen: r.lastSeen,
          first_host_id: r.firstHostId,
          first_event_id: r.firstEventId,
        })),
      };
    },
  );
}
