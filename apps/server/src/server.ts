// Assembles the Vigil server: control plane, event store, PKI and the two HTTPS listeners (API and agent mTLS).
// Owns start-up order and graceful shutdown; never exits the process itself (the CLI decides that).

import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { createLogger } from '@vigil/common';
import { createDuckDbStore, type EventStore } from '@vigil/store';
import { limits } from '@vigil/protocol';
import { ControlPlane } from './control-plane/sqlite.js';
import type { ServerConfig } from './config.js';
import { loadOrCreatePki, type ServerPki } from './server-pki.js';
import { errorHandler } from './http/errors.js';
import { accessHook, createRouteTable, registerPermissionRoute } from './http/access.js';
import { registerResponseRoutes } from './http/response-routes.js';
import { registerAgentTaskRoutes } from './http/agent-task-routes.js';
import { ResponseDb } from './response/response-db.js';
import { loadOrCreateTaskSigner } from './response/signing-key.js';
import { createResponseService, type ResponseService } from './response/task-service.js';
import { createPolicyEngine, type PolicyEngine } from './response/policies.js';
import { registerApiRoutes } from './http/api-routes.js';
import { registerAgentRoutes, type IngestCounters } from './http/agent-routes.js';
import { registerDetectionRoutes } from './http/detection-routes.js';
import { registerHuntRoutes } from './http/hunt-routes.js';
import { createHuntService, type HuntService } from './hunt/hunt-service.js';
import { DetectionDb } from './detection/detection-db.js';
import { createDetectionService, type DetectionService } from './detection/detection-service.js';
import { documentErrorResponses } from './http/errors.js';
import { rateLimitHook, rateLimitSettingsFromEnv } from './http/rate-limit.js';
import { createHttpMetrics, createMetricsRegistry, createRateWindow, registerMetricsRoute, serverFamilies, type MetricsRegistry } from './http/metrics.js';
import { registerInboundRoutes } from './http/inbound-routes.js';
import { registerImportRoutes } from './http/import-routes.js';
import { ImportLedger } from './import/import-ledger.js';
import { IntelDb } from './intel/intel-db.js';
import { createSweeper, type Sweeper } from './intel/sweeper.js';
import { intelFamilies } from './intel/intel-metrics.js';
import { createIntelService, type IntelService } from './intel/intel-service.js';
import { registerIntelAgentRoutes, registerIntelRoutes } from './http/intel-routes.js';
import { registerExporterFailures } from './http/metrics.js';
import { registerIntegrationRoutes } from './http/integration-routes.js';
import { registerConsoleRoutes } from './http/console-routes.js';
import { BlocklistStore } from './response/blocklist.js';
import { registerBlocklistAgentRoutes, registerBlocklistRoutes } from './http/blocklist-routes.js';
import { EvidenceStore, evidenceSettingsFromEnv } from './response/evidence.js';
import { registerEvidenceApiRoutes, registerEvidenceUploadRoute } from './http/evidence-routes.js';
import { IntegrationsDb } from './integrations/integrations-db.js';
import { InventoryDb } from './inventory/inventory-db.js';
import { registerInventoryAgentRoutes, registerInventoryRoutes } from './http/inventory-routes.js';
import { createIntegrationService, type IntegrationService } from './integrations/integration-service.js';
import type { BaselineService } from './baseline/baseline-service.js';
import { startBaselineThread } from './baseline/baseline-thread.js';
import { createAlertEventWriter } from './detection/alert-events.js';
import { registerBaselineRoutes } from './http/baseline-routes.js';

export interface RunningServer {
  apiUrl: string;
  agentUrl: string;
  apiPort: number;
  agentPort: number;
  caFingerprint: string;
  caCertPem: string;
  /** Set when this start created the first admin user without a configured password. */
  generatedAdminPassword: string | undefined;
  controlPlane: ControlPlane;
  store: EventStore;
  detection: DetectionService;
  detectionDb: DetectionDb;
  hunts: HuntService;
  counters: IngestCounters;
  /** Prometheus collectors served at GET /metrics; exporters add theirs (see registerExporterFailures). */
  metrics: MetricsRegistry;
  intel: IntelDb;
  sweeper: Sweeper;
  /** Stream IOC matching, feeds, YARA rule sets and sweeps (docs/intel.md, docs/yara.md). */
  intelService: IntelService;
  /** Export destinations: alert outbox and raw event forwarding. */
  integrations: IntegrationService;
  integrationsDb: IntegrationsDb;
  /** Response: signed tasks to agents, their states and the response audit log (response.sqlite). */
  response: ResponseService;
  responsePolicies: PolicyEngine;
  responseDb: ResponseDb;
  /** The exec blocklist agents enforce (blocklist.sqlite). */
  blocklist: BlocklistStore;
  /** Files collected from endpoints (file.collect): <dataDir>/evidence/<sha256>, indexed in evidence.sqlite. */
  evidence: EvidenceStore;
  /** Behaviour profiles and anomaly alerts (baseline.sqlite, docs/anomaly.md). */
  baseline: BaselineService;
  /** Inventory of every host with its history (inventory.sqlite; docs/telemetry-linux.md#inventory). */
  inventory: InventoryDb;
  close(): Promise<void>;
}

const log = createLogger('server');

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const rateLimits = rateLimitSettingsFromEnv();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const pki: ServerPki = await loadOrCreatePki(config.dataDir, config.publicNames);
  const controlPlane = new ControlPlane(join(config.dataDir, 'control.sqlite'));
  let generatedAdminPassword: string | undefined;
  if (controlPlane.userCount() === 0) {
    const password = config.adminPassword ?? randomBytes(18).toString('base64url');
    controlPlane.createUser('admin', password, 'admin');
    controlPlane.audit('system', 'user.create', 'admin', 'success', { first_start: true });
    if (!config.adminPassword) generatedAdminPassword = password;
  }
  mkdirSync(join(config.dataDir, 'events'), { recursive: true });
  const store = createDuckDbStore({ dataDir: join(config.dataDir, 'events'), ack: config.storeAck, threads: config.storeThreads, ...(config.storeIndex ? { rowCache: config.storeRowCache } : { index: false as const }) });
  await store.open();
  const detectionDb = new DetectionDb(join(config.dataDir, 'detection.sqlite'));
  const alertEvents = createAlertEventWriter({ store });
  detectionDb.onCreated((created, contexts) => alertEvents.alertsCreated(created, contexts));
  const detection = createDetectionService({ db: detectionDb, store, realtime: config.detectionRealtime });
  const hunts = createHuntService({ file: join(config.dataDir, 'hunts.sqlite'), store, detectionDb, onAlerts: (created) => detection.publishAlerts(created) });
  const counters: IngestCounters = { batches: 0, accepted: 0, duplicates: 0, rejectedBatches: 0 };
  const intel = new IntelDb(join(config.dataDir, 'intel.sqlite'));
  const sweeper = createSweeper({ db: intel, store });
  const intelService = createIntelService({ dataDir: config.dataDir, db: intel, sweeper, detection, controlPlane });
  const integrationsDb = new IntegrationsDb(join(config.dataDir, 'integrations.sqlite'));
  const integrations = createIntegrationService({ db: integrationsDb, store });
  detection.onAlerts((created) => integrations.enqueueAlerts(created));
  const responseDb = new ResponseDb(config.dataDir);
  const response = createResponseService({ db: responseDb, signer: loadOrCreateTaskSigner(config.dataDir), controlPlane });
  const responsePolicies = createPolicyEngine({ db: responseDb, service: response, registry: response.registry, store, detectionDb, controlPlane, onAlertRaised: (alerts) => integrations.enqueueAlerts(alerts) });
  detection.onAlerts((created) => responsePolicies.onAlerts(created));
  const baseline = startBaselineThread({ dataDir: config.dataDir, detectionDb, onAlertsRaised: (created) => (integrations.enqueueAlerts(created), responsePolicies.onAlerts(created)), onFeedback: (alerts, feedback) => alertEvents.feedback(alerts, feedback) });
  detection.addBatchMatcher(baseline);
  detection.onAlerts((created) => baseline.onAlerts(created));
  const blocklist = new BlocklistStore(join(config.dataDir, 'blocklist.sqlite'));
  const evidence = new EvidenceStore(config.dataDir, evidenceSettingsFromEnv());
  const inventory = new InventoryDb(join(config.dataDir, 'inventory.sqlite'));
  const importLedger = new ImportLedger(join(config.dataDir, 'imports.sqlite'));
  const metrics = createMetricsRegistry();
  const ingestRate = createRateWindow(() => counters.accepted);
  const httpMetrics = createHttpMetrics();
  metrics.register('server', () => [
    ...serverFamilies({ counters, ingestRate: ingestRate.rate, store, detection, controlPlane, heartbeatIntervalSeconds: config.heartbeatIntervalSeconds }, metrics),
    {
      name: 'vigil_ioc_sweeps',
      help: 'IOC sweeps by state.',
      type: 'gauge',
      samples: Object.entries(intel.sweepCounts()).map(([state, value]) => ({ labels: { state }, value })),
    },
    {
      name: 'vigil_alert_events_total',
      help: 'Alert events (category alert) by outcome: written, failed (refused by the store or the validator), dropped (queue full or closed), without_context (written at stop without the process context of their event).',
      type: 'counter',
      samples: Object.entries(alertEvents.stats()).map(([outcome, value]) => ({ labels: { outcome: outcome === 'withoutContext' ? 'without_context' : outcome }, value })),
    },
    ...httpMetrics.families(),
  ]);
  metrics.register('intel', () => intelFamilies(intelService, controlPlane));

  let api: FastifyInstance | undefined;
  let agents: FastifyInstance | undefined;
  /**
   * Stops intake first (listeners), then everything else in reverse order of creation. Every step runs even when an
   * earlier one failed (so nothing stays open); the first failure is thrown at the end.
   */
  const shutdown = async (): Promise<void> => {
    const steps: [string, () => unknown][] = [
      ['response.close', () => response.close()], // answers held task polls, so the agent listener can close
      ['blocklist.wakeAll', () => blocklist.wakeAll()], // same for held blocklist polls
      ['agents.close', () => agents?.close()],
      ['api.close', () => api?.close()],
      ['ingestRate.stop', () => ingestRate.stop()],
      ['integrations.close', () => integrations.close()],
      ['integrationsDb.close', () => integrationsDb.close()],
      ['intelService.close', () => intelService.close()],
      ['sweeper.close', () => sweeper.close()],
      ['intel.close', () => intel.close()],
      ['hunts.close', () => hunts.close()],
      // Profiling first: the detection worker's checkpoints wait for the profiler's answer on each batch, and a closed
      // profiler answers the batches it still holds at once (unprofiled) instead of working through its backlog.
      ['baseline.close', () => baseline.close()],
      ['detection.close', () => detection.close()],
      ['detectionDb.close', () => detectionDb.close()],
      ['responsePolicies.close', () => responsePolicies.close()],
      ['responsePolicies.idle', () => responsePolicies.idle()],
      ['responseDb.close', () => responseDb.close()],
      ['blocklist.close', () => blocklist.close()],
      ['evidence.close', () => evidence.close()],
      ['inventory.close', () => inventory.close()],
      ['importLedger.close', () => importLedger.close()],
      ['alertEvents.close', () => alertEvents.close()],
      ['store.close', () => store.close()],
      ['controlPlane.close', () => controlPlane.close()],
    ];
    let failure: unknown;
    for (const [name, step] of steps) {
      const started = performance.now();
      try {
        await step();
      } catch (error) {
        failure ??= error;
      }
      const took = performance.now() - started;
      if (took >= 1000) log.info('a shutdown step took long', { step: name, ms: Math.round(took) });
    }
    if (failure !== undefined) throw failure;
  };
  try {
    // Batches acknowledged but not evaluated before the last stop are handed to the detection worker before any new one.
    await detection.recover(controlPlane.listAgents().map((agent) => agent.id));
    agents = Fastify({
      https: { key: pki.serverKeyPem, cert: pki.serverCertPem, ca: [pki.ca.certPem], requestCert: true, rejectUnauthorized: true },
      bodyLimit: limits.maxBatchBytes + 1024,
      logger: false,
      keepAliveTimeout: 75_000,
    });
    agents.setErrorHandler(errorHandler);
    registerAgentRoutes(agents, { controlPlane, store, detection, heartbeatIntervalSeconds: config.heartbeatIntervalSeconds, counters, taskKey: () => response.keyOffer(), heartbeatExtras: (agentId) => ({ ...intelService.heartbeat(agentId) }) });
    registerIntelAgentRoutes(agents, { intel: intelService });
    registerAgentTaskRoutes(agents, { service: response });
    registerBlocklistAgentRoutes(agents, { blocklist });
    registerInventoryAgentRoutes(agents, { inventory });
    registerEvidenceUploadRoute(agents, { evidence, taskOf: (id) => response.getTask(id), audit: (entry) => response.audit(entry) });
    await agents.listen({ host: config.listenHost, port: config.agentPort });
    const agentPort = (agents.server.address() as { port: number }).port;

    api = Fastify({ https: { key: pki.serverKeyPem, cert: pki.serverCertPem }, bodyLimit: 1024 * 1024, logger: false });
    api.setErrorHandler(errorHandler);
    // Response schemas document the API (and the contract test checks answers against them); they never reshape answers.
    api.setSerializerCompiler(() => (data) => JSON.stringify(data));
    api.addHook('onRoute', documentErrorResponses);
    const routeTable = createRouteTable();
    api.addHook('onRoute', routeTable.onRoute);
    api.setNotFoundHandler((request, reply) => void reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } }));
    await api.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Vigil API', version: '1', description: 'REST API of the Vigil EDR server. Authenticate with a session (POST /api/v1/auth/login) or an API token as a bearer token.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    api.addHook('onRequest', accessHook(controlPlane));
    api.addHook('onRequest', rateLimitHook(rateLimits));
    api.addHook('onResponse', httpMetrics.onResponse);
    const advertised = () => `${config.advertisedHost}:${agentPort}`;
    registerApiRoutes(api, { config, controlPlane, store, pki, agentEndpoint: advertised, taskKey: () => response.keyOffer() });
    registerDetectionRoutes(api, { controlPlane, db: detectionDb, detection, store, incidentWindowMs: config.incidentWindowMinutes * 60_000 });
    registerHuntRoutes(api, { controlPlane, hunts, store, detectionDb });
    registerInboundRoutes(api, { controlPlane, detectionDb, intel, sweeper });
    registerIntelRoutes(api, { controlPlane, intel: intelService });
    registerImportRoutes(api, { controlPlane, store, detection, ledger: importLedger });
    registerIntegrationRoutes(api, { controlPlane, db: integrationsDb, service: integrations });
    registerConsoleRoutes(api, { controlPlane });
    registerResponseRoutes(api, { controlPlane, db: responseDb, service: response, policies: responsePolicies });
    registerBlocklistRoutes(api, { controlPlane, blocklist });
    registerInventoryRoutes(api, { controlPlane, inventory, store });
    registerEvidenceApiRoutes(api, { evidence, controlPlane, audit: (entry) => response.audit(entry) });
    registerBaselineRoutes(api, { controlPlane, baseline });
    registerPermissionRoute(api, routeTable);
    registerExporterFailures(metrics, () => integrationsDb.listDestinations().map((d) => ({ exporter: d.name, failures: integrationsDb.state(d.id)?.failedAttempts ?? 0 })));
    integrations.start();
    registerMetricsRoute(api, metrics);
    api.get('/api/v1/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () => api!.swagger());
    api.get(
      '/api/v1/metrics/ingest',
      {
        config: { permission: 'hosts:read' },
        schema: {
          tags: ['system'],
          summary: 'Ingest counters since start',
          description: 'Agent batches accepted and rejected, events stored and duplicates dropped since the server started (also exported at GET /metrics).',
          response: {
            200: {
              description: 'Counters',
              type: 'object',
              required: ['batches', 'accepted', 'duplicates', 'rejectedBatches'],
              properties: { batches: { type: 'integer' }, accepted: { type: 'integer' }, duplicates: { type: 'integer' }, rejectedBatches: { type: 'integer' } },
              examples: [{ batches: 120, accepted: 48000, duplicates: 12, rejectedBatches: 0 }],
            },
          },
        },
      },
      async () => counters,
    );
    await api.listen({ host: config.listenHost, port: config.apiPort });
    const apiPort = (api.server.address() as { port: number }).port;
    const shownHost = config.listenHost === '0.0.0.0' || config.listenHost === '::' ? config.advertisedHost : config.listenHost;
    log.info('server started', { api: `https://${shownHost}:${apiPort}/`, agents: advertised(), ca_fingerprint: pki.caFingerprint });

    let closing: Promise<void> | undefined;
    return {
      apiUrl: `https://${shownHost}:${apiPort}`,
      agentUrl: `https://${shownHost}:${agentPort}`,
      apiPort,
      agentPort,
      caFingerprint: pki.caFingerprint,
      caCertPem: pki.ca.certPem,
      generatedAdminPassword,
      controlPlane,
      store,
      detection,
      detectionDb,
      hunts,
      counters,
      metrics,
      intel,
      sweeper,
      intelService,
      integrations,
      integrationsDb,
      response,
      responsePolicies,
      responseDb,
      blocklist,
      evidence,
      baseline,
      inventory,
      close: () =>
        (closing ??= (async () => {
          await shutdown();
          log.info('server stopped');
        })()),
    };
  } catch (error) {
    await shutdown().catch(() => undefined);
    throw error;
  }
}
