// Prometheus metrics of the server: the text exposition format 0.0.4, a registry of named collectors, the server's
// own collectors and the GET /metrics route. Collectors read memory or the control plane only, never the event store.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLogger, VigilError } from '@vigil/common';
import type { EventStore } from '@vigil/store';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { DetectionService } from '../detection/detection-service.js';
import type { IngestCounters } from './agent-routes.js';
import { hostState } from './api-routes.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSample {
  /** Appended to the family name: histograms use `_bucket`, `_sum` and `_count`. */
  suffix?: '_bucket' | '_sum' | '_count';
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters end in `_total`. */
  name: string;
  help: string;
  type: MetricType;
  samples: readonly MetricSample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * The families as Prometheus text (one HELP and TYPE line per family, then its samples). Throws `internal` for an
 * invalid metric or label name or a family name given twice: those are programming errors, not data.
 */
export function formatExposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    if (!metricName.test(family.name)) throw new VigilError('internal', `invalid metric name ${JSON.stringify(family.name)}`);
    if (seen.has(family.name)) throw new VigilError('internal', `metric ${family.name} is defined twice`);
    seen.add(family.name);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [name] of labels) if (!labelName.test(name) || name.startsWith('__')) throw new VigilError('internal', `invalid label name ${JSON.stringify(name)} on ${family.name}`);
      const labelText = labels.length ? `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}` : '';
      lines.push(`${family.name}${sample.suffix ?? ''}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export interface HistogramData {
  /** Upper bounds of the finite buckets, ascending. */
  bounds: readonly number[];
  /** Observations per bucket (not cumulative): one per bound, then the overflow above the last bound. */
  counts: readonly number[];
  sum: number;
  count: number;
}

/** Cumulative `_bucket` samples (with `le="+Inf"`), `_sum` and `_count` of a histogram. */
export function histogramSamples(data: HistogramData, labels: Readonly<Record<string, string>> = {}): MetricSample[] {
  const samples: MetricSample[] = [];
  let cumulative = 0;
  data.bounds.forEach((bound, index) => {
    cumulative += data.counts[index] ?? 0;
    samples.push({ suffix: '_bucket', labels: { ...labels, le: formatValue(bound) }, value: cumulative });
  });
  samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: data.count });
  samples.push({ suffix: '_sum', labels, value: data.sum });
  samples.push({ suffix: '_count', labels, value: data.count });
  return samples;
}

export interface MetricsRegistry {
  /** Adds a collector; a name registered twice is an `internal` error. */
  register(name: string, collect: () => readonly MetricFamily[]): void;
  has(name: string): boolean;
  /** Every collector's families in registration order; a collector that throws is logged and left out. */
  collect(): MetricFamily[];
}

const log = createLogger('server.metrics');

export function createMetricsRegistry(): MetricsRegistry {
  const collectors = new Map<string, () => readonly MetricFamily[]>();
  return {
    register(name, collect) {
      if (collectors.has(name)) throw new VigilError('internal', `metrics collector ${name} is registered twice`);
      collectors.set(name, collect);
    },
    has: (name) => collectors.has(name),
    collect() {
      const families: MetricFamily[] = [];
      for (const [name, collect] of collectors) {
        try {
          families.push(...collect());
        } catch (error) {
          log.error('metrics collector failed', { collector: name, error: VigilError.wrap(error).message });
        }
      }
      return families;
    },
  };
}

export const EXPORTER_FAILURES_COLLECTOR = 'exporter_failures';
const exporterFailuresHelp = 'Deliveries to an export destination that failed (each failed attempt counts).';

/** For the exporters: publishes `vigil_exporter_failures_total{exporter=...}` from their own counters. Call once. */
export function registerExporterFailures(registry: MetricsRegistry, read: () => readonly { exporter: string; failures: number }[]): void {
  registry.register(EXPORTER_FAILURES_COLLECTOR, () => [
    { name: 'vigil_exporter_failures_total', help: exporterFailuresHelp, type: 'counter', samples: read().map((row) => ({ labels: { exporter: row.exporter }, value: row.failures })) },
  ]);
}

/** Accepted events per second over the last `windowSeconds`, sampled once a second. `stop()` ends the sampling. */
export function createRateWindow(readTotal: () => number, windowSeconds = 10): { rate(): number; stop(): void } {
  const samples: number[] = [readTotal()];
  const timer = setInterval(() => {
    samples.push(readTotal());
    if (samples.length > windowSeconds + 1) samples.shift();
  }, 1000);
  timer.unref();
  return {
    rate() {
      const oldest = samples[0]!;
      const seconds = samples.length - 1;
      return seconds === 0 ? 0 : (readTotal() - oldest) / seconds;
    },
    stop: () => clearInterval(timer),
  };
}

/** Counts answered API requests by method, route template and status (unknown routes share `route="unmatched"`). */
export function createHttpMetrics(): { onResponse(request: FastifyRequest, reply: FastifyReply): Promise<void>; families(): MetricFamily[] } {
  const counts = new Map<string, { method: string; route: string; status: string; value: number }>();
  return {
    async onResponse(request, reply) {
      const route = request.routeOptions.url ?? 'unmatched';
      const status = String(reply.statusCode);
      const key = `${request.method} ${route} ${status}`;
      const entry = counts.get(key);
      if (entry) entry.value++;
      else counts.set(key, { method: request.method, route, status, value: 1 });
    },
    families: () => [
      {
        name: 'vigil_http_requests_total',
        help: 'API requests answered, by method, route template and status code.',
        type: 'counter',
        samples: [...counts.values()].map((c) => ({ labels: { method: c.method, route: c.route, status: c.status }, value: c.value })),
      },
    ],
  };
}

export interface ServerMetricsDeps {
  counters: IngestCounters;
  ingestRate: () => number;
  store: EventStore;
  detection: DetectionService;
  controlPlane: ControlPlane;
  heartbeatIntervalSeconds: number;
}

/** The server's own families: ingest, store queues, detection, agents, exporters (when none registered), process. */
export function serverFamilies(deps: ServerMetricsDeps, registry: MetricsRegistry): MetricFamily[] {
  const { counters, store, detection } = deps;
  const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: [{ value }] });
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
  const families: MetricFamily[] = [
    counter('vigil_ingest_batches_total', 'Event batches accepted from agents.', counters.batches),
    counter('vigil_ingest_events_accepted_total', 'Events stored from agent batches.', counters.accepted),
    counter('vigil_ingest_events_duplicate_total', 'Events of agent batches the store already held (resent after a lost acknowledgement).', counters.duplicates),
    counter('vigil_ingest_batches_rejected_total', 'Agent batches refused as invalid.', counters.rejectedBatches),
    gauge('vigil_ingest_events_per_second', 'Events accepted per second over the last 10 seconds.', deps.ingestRate()),
  ];
  const stats = store.stats?.() ?? {};
  families.push({
    name: 'vigil_store_queue_depth',
    help: 'Event store queue depths by queue (appends waiting, journal groups in flight, journal entries waiting to load, events journaled not yet loaded).',
    type: 'gauge',
    samples: Object.entries(stats).filter(([name]) => name !== 'load_failures').map(([queue, value]) => ({ labels: { store: store.name, queue }, value })),
  });
  if (stats.load_failures !== undefined) families.push(gauge('vigil_store_load_failures', 'Consecutive failed loads of the ingest journal into the event store.', stats.load_failures));

  const detectionMetrics = detection.metrics();
  const histogram = detectionMetrics.alertLatencyHistogram;
  families.push(
    {
      name: 'vigil_detection_alert_latency_ms',
      help: 'Milliseconds from a batch being acknowledged by the store to its alerts being stored.',
      type: 'histogram',
      samples: histogramSamples({ bounds: histogram.boundsMs, counts: histogram.counts, sum: histogram.sumMs, count: histogram.count }),
    },
    counter('vigil_detection_events_evaluated_total', 'Events evaluated by the rule engine.', detectionMetrics.eventsEvaluated),
    counter('vigil_detection_detections_total', 'Rule matches (before grouping into alerts).', detectionMetrics.detections),
    counter('vigil_alerts_created_total', 'Alerts created by detection rules.', detectionMetrics.alertsCreated),
    counter('vigil_alerts_grouped_total', 'Detections folded into an open alert of the same group.', detectionMetrics.alertsGrouped),
    gauge('vigil_rules_active', 'Detection rules enabled and loaded.', detectionMetrics.rulesActive),
    gauge('vigil_correlations_active', 'Correlation rules loaded.', detectionMetrics.correlationsActive),
    gauge('vigil_detection_queue_events', 'Events acknowledged and handed to the detection worker, not yet evaluated.', detectionMetrics.queuedEvents),
    counter('vigil_detection_backpressure_waits_total', 'Batches whose acknowledgement waited for the detection queue to drain.', detectionMetrics.backpressureWaits),
    counter('vigil_detection_recovered_events_total', 'Events acknowledged before a stop and evaluated after the restart.', detectionMetrics.recoveredEvents),
  );

  const agentStates = { online: 0, offline: 0, revoked: 0 };
  const agents = deps.controlPlane.listAgents();
  for (const agent of agents) agentStates[hostState(agent, deps.heartbeatIntervalSeconds)]++;
  families.push(
    gauge('vigil_agents_total', 'Enrolled agents (including revoked ones).', agents.length),
    { name: 'vigil_agents', help: 'Enrolled agents by state.', type: 'gauge', samples: Object.entries(agentStates).map(([state, value]) => ({ labels: { state }, value })) },
  );
  if (!registry.has(EXPORTER_FAILURES_COLLECTOR)) families.push({ name: 'vigil_exporter_failures_total', help: exporterFailuresHelp, type: 'counter', samples: [] });

  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  families.push(
    counter('process_cpu_seconds_total', 'User and system CPU time of the server process, in seconds.', (cpu.user + cpu.system) / 1e6),
    gauge('process_resident_memory_bytes', 'Resident memory of the server process.', memory.rss),
    gauge('nodejs_heap_used_bytes', 'V8 heap in use.', memory.heapUsed),
    gauge('process_start_time_seconds', 'Start time of the server process, Unix seconds.', Math.round(Date.now() / 1000 - process.uptime())),
  );
  return families;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** GET /metrics on the API listener, for scrapers with a bearer API token (permission `metrics:read`). */
export function registerMetricsRoute(app: FastifyInstance, registry: MetricsRegistry): void {
  app.get(
    '/metrics',
    {
      config: { permission: 'metrics:read' },
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics',
        description:
          'Prometheus text exposition format 0.0.4: ingest counters and rate, store queue depths, detection alert latency histogram, alerts, rules, agents by state, exporter failures, HTTP requests by route and status, process CPU and memory; threat intel and YARA (indicators and stream matches by type, feed fetches and last success, sweep states and durations, agents\' YARA scan counters). Scrape with an API token of any role as a bearer token.',
        response: {
          200: {
            description: 'Metrics in Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string', example: '# HELP vigil_ingest_batches_total Event batches accepted from agents.\n# TYPE vigil_ingest_batches_total counter\nvigil_ingest_batches_total 42\n' } } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(formatExposition(registry.collect())),
  );
}
