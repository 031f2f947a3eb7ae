// Routes of threat intelligence and YARA: indicator imports (STIX 2.1, MISP, CSV, lists), the indicator summary,
// feeds, YARA rule sets, fleet YARA sweeps and their schedules (API listener); and, on the agent listener, the rule set
// download and sweep progress reports. Every body is validated by its schema or checked by hand with a location.

import type { FastifyInstance } from 'fastify';
import { VigilError } from '@vigil/common';
import { indicatorFormats, indicatorTypes } from '@vigil/intel';
import type { CompileProblem } from '@vigil/yara';
import type { ControlPlane } from '../control-plane/sqlite.js';
import type { FeedFormat, FeedInput, FeedRecord } from '../intel/intel-db.js';
import { checkFeedUrl, MIN_FEED_INTERVAL_S } from '../intel/feeds.js';
import { importIndicators, parseForImport, type ImportSummary } from '../intel/intel-import.js';
import type { IntelService } from '../intel/intel-service.js';
import type { HostSweepState, RuleSetOptions, RuleSetRecord, ScheduleRecord, SweepSpec, YaraSweepRecord } from '../intel/yara-db.js';
import type { ProgressReport } from '../intel/yara-sweeps.js';
import { errorResponse } from './errors.js';

export interface IntelRouteDeps {
  controlPlane: ControlPlane;
  intel: IntelService;
}

/** Largest import or rule set upload (the JSON body; signature-base is about 7 MB). */
export const MAX_INTEL_BODY_BYTES = 64 * 1024 * 1024;

const isoDate = { type: 'string', format: 'date-time' };
const nullable = (schema: Record<string, unknown>) => ({ ...schema, nullable: true });
const sourceName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:@/-]*$' };
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } };
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } } };
const byTypeSchema = { type: 'object', additionalProperties: { type: 'integer' }, description: 'Indicators per type' };
const problemSchema = {
  type: 'object',
  required: ['severity', 'message', 'location'],
  additionalProperties: true,
  properties: { severity: { type: 'string', enum: ['error', 'warning'] }, message: { type: 'string' }, location: { type: 'object', additionalProperties: true } },
};
const conflict = (message: string) => errorResponse(409, { code: 'conflict', message });
const notFound = (message: string) => errorResponse(404, { code: 'not_found', message });
const actorOf = (request: { principal?: { name: string } }) => request.principal?.name ?? 'unknown';
const exampleTime = '2026-03-01T10:00:00.000Z';

// ---- imports ----

const importSummarySchema = {
  type: 'object',
  required: ['format', 'entries', 'indicators', 'created', 'updated', 'removed', 'by_type', 'warnings', 'warning_count', 'sweep_id', 'dry_run'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: [...indicatorFormats] },
    entries: { type: 'integer', description: 'Entries read: STIX indicator objects, MISP attributes, CSV rows or list lines' },
    indicators: { type: 'integer', description: 'Distinct indicators the document yields' },
    created: { type: 'integer' },
    updated: { type: 'integer' },
    removed: { type: 'integer', description: 'Indicators of a feed no longer listed (feeds only)' },
    by_type: byTypeSchema,
    warnings: { type: 'array', items: problemSchema, description: 'Entries skipped, with their location (at most 200)' },
    warning_count: { type: 'integer' },
    sweep_id: { ...nullable({ type: 'string' }), description: 'Retro sweep over stored events for the new indicators (GET /api/v1/sweeps/{id})' },
    dry_run: { type: 'boolean' },
  },
};
const zeroTypes = Object.fromEntries(indicatorTypes.map((t) => [t, 0]));
const exampleImport = {
  format: 'list', entries: 3, indicators: 3, created: 3, updated: 0, removed: 0, by_type: { ...zeroTypes, ip: 1, domain: 1, sha256: 1 },
  warnings: [], warning_count: 0, sweep_id: '0b8e7c1e-5d2a-4f7b-9f57-2f1f0f3c9a11', dry_run: false,
};
const summaryView = (s: ImportSummary, dryRun: boolean) => ({
  format: s.format, entries: s.entries, indicators: s.indicators, created: s.created, updated: s.updated, removed: s.removed, by_type: s.byType,
  warnings: s.warnings, warning_count: s.warningCount, sweep_id: s.sweepId, dry_run: dryRun,
});

// ---- feeds ----

const feedFormats: FeedFormat[] = ['auto', ...indicatorFormats];
const feedView = (f: FeedRecord) => ({
  id: f.id, name: f.name, source: f.source, url: f.url, format: f.format, interval_s: f.intervalSeconds, enabled: f.enabled, confidence: f.confidence, include_non_ids: f.includeNonIds,
  header_names: Object.keys(f.headers), ca_pem_set: f.caPem !== null, status: f.status, last_error: f.lastError, last_run_at: f.lastRunAt, last_success_at: f.lastSuccessAt,
  etag: f.etag, last_modified: f.lastModified, last_counts: f.lastCounts, created_at: f.createdAt, updated_at: f.updatedAt,
});
const feedSchema = {
  type: 'object',
  required: ['id', 'name', 'source', 'url', 'format', 'interval_s', 'enabled', 'status'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, source: { type: 'string', description: '`feed:<name>`: the source of the feed\'s indicators' }, url: { type: 'string' },
    format: { type: 'string', enum: feedFormats }, interval_s: { type: 'integer' }, enabled: { type: 'boolean' }, confidence: nullable({ type: 'integer' }), include_non_ids: { type: 'boolean' },
    header_names: { type: 'array', items: { type: 'string' }, description: 'Names of the extra request headers (values are never shown)' }, ca_pem_set: { type: 'boolean' },
    status: { type: 'string', enum: ['never', 'ok', 'not_modified', 'error'] }, last_error: nullable({ type: 'string' }), last_run_at: nullable(isoDate), last_success_at: nullable(isoDate),
    etag: nullable({ type: 'string' }), last_modified: nullable({ type: 'string' }), last_counts: nullable({ type: 'object', additionalProperties: true }), created_at: isoDate, updated_at: isoDate,
  },
};
const exampleFeed = {
  id: '3f2b9c1d-8e7a-4b6c-9d5e-1a2b3c4d5e6f', name: 'abuse-ch-feodo', source: 'feed:abuse-ch-feodo', url: 'https://intel.example.org/feodo/ipblocklist.csv', format: 'csv', interval_s: 3600, enabled: true,
  confidence: 80, include_non_ids: false, header_names: [], ca_pem_set: false, status: 'ok', last_error: null, last_run_at: exampleTime, last_success_at: exampleTime, etag: '"5e3a-61f0"',
  last_modified: 'Sun, 01 Mar 2026 09:00:00 GMT', last_counts: { format: 'csv', entries: 412, indicators: 412, created: 3, updated: 409, removed: 2, warnings: 0, sweep_id: '0b8e7c1e-5d2a-4f7b-9f57-2f1f0f3c9a11' },
  created_at: exampleTime, updated_at: exampleTime,
};
const feedBodyProperties = {
  name: { type: 'string', minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  url: { type: 'string', minLength: 1, maxLength: 2048, description: 'http(s):// or file:// URL, or an absolute path on the server' },
  format: { type: 'string', enum: feedFormats, default: 'auto' },
  interval_s: { type: 'integer', minimum: MIN_FEED_INTERVAL_S, maximum: 7 * 86400, default: 3600 },
  enabled: { type: 'boolean', default: true },
  confidence: nullable({ type: 'integer', minimum: 0, maximum: 100 }),
  include_non_ids: { type: 'boolean', default: false },
  headers: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 4096 }, description: 'Extra request headers, e.g. {"Authorization": "<MISP key>"}' },
  ca_pem: nullable({ type: 'string', maxLength: 65536, description: 'CA certificate (PEM) to trust for an https feed' }),
};

// ---- YARA ----

const problemViewSchema = {
  type: 'object',
  required: ['severity', 'code', 'message', 'file'],
  additionalProperties: true,
  properties: { severity: { type: 'string', enum: ['error', 'warning'] }, code: { type: 'string' }, message: { type: 'string' }, file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' } },
};
const ruleSetOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scan_on_exec: { type: 'boolean', description: 'Scan the executable of every process start' },
    scan_on_write: { type: 'boolean', description: 'Scan files written in watch_paths' },
    watch_paths: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' }, description: 'Folders watched for written files (not recursive)' },
    quarantine_on_hit: { type: 'boolean', description: 'Quarantine a file that matches (file.quarantine on the agent)' },
    max_file_size: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024 },
  },
};
const ruleSetView = (r: RuleSetRecord) => ({
  name: r.name, description: r.description, version: r.version, digest: r.digest, active: r.active,
  options: { scan_on_exec: r.options.scanOnExec, scan_on_write: r.options.scanOnWrite, watch_paths: r.options.watchPaths, quarantine_on_hit: r.options.quarantineOnHit, max_file_size: r.options.maxFileSize },
  externals: r.externals, files: r.fileNames.length, rule_count: r.report.ruleCount,
  report: { errors: r.report.errors, warnings: r.report.warnings, compile_ms: r.report.compileMs, problems: r.report.problems },
  updated_at: r.updatedAt, updated_by: r.updatedBy,
});
const ruleSetSchema = {
  type: 'object',
  required: ['name', 'version', 'digest', 'active', 'options', 'files', 'rule_count', 'report'],
  additionalProperties: true,
  properties: {
    name: { type: 'string' }, description: { type: 'string' }, version: { type: 'integer' }, digest: { type: 'string', description: 'SHA-256 agents check before using the set' }, active: { type: 'boolean' },
    options: ruleSetOptionsSchema, externals: { type: 'object', additionalProperties: { type: 'string' } }, files: { type: 'integer' }, rule_count: { type: 'integer' },
    report: { type: 'object', required: ['errors', 'warnings', 'problems'], additionalProperties: true, properties: { errors: { type: 'integer' }, warnings: { type: 'integer' }, compile_ms: { type: 'integer' }, problems: { type: 'array', items: problemViewSchema } } },
    file_list: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { name: { type: 'string' }, bytes: { type: 'integer' }, text: { type: 'string' } } } },
    updated_at: isoDate, updated_by: { type: 'string' },
  },
};
const exampleRule = 'rule vigil_example_marker : demo {\n  meta:\n    score = 80\n  strings:\n    $m = "VIGIL-EXAMPLE-MARKER"\n  condition:\n    $m\n}\n';
const exampleRuleSet = {
  name: 'baseline', description: 'Example rule set', version: 1, digest: 'a'.repeat(64), active: true,
  options: { scan_on_exec: true, scan_on_write: true, watch_paths: ['/tmp', '/var/tmp', '/dev/shm'], quarantine_on_hit: false, max_file_size: 67108864 },
  externals: { filename: '', filepath: '', extension: '', filetype: '', owner: '' }, files: 1, rule_count: 1,
  report: { errors: 0, warnings: 0, compile_ms: 12, problems: [] }, updated_at: exampleTime, updated_by: 'admin',
};
const filesSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 5000,
  items: { type: 'object', required: ['name', 'text'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 512 }, text: { type: 'string', maxLength: 16 * 1024 * 1024 } } },
};
const externalsSchema = { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 4096 }, description: 'External variables and their defaults (default: filename, filepath, extension, filetype, owner)' };

const hostProgressSchema = {
  type: 'object',
  required: ['host_id', 'state'],
  additionalProperties: true,
  properties: {
    host_id: { type: 'string' }, state: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled', 'timed_out'] }, files: { type: 'integer' }, bytes: { type: 'integer' }, skipped: { type: 'integer' },
    matches: { type: 'integer' }, regions: { type: 'integer' }, ruleset_digest: nullable({ type: 'string' }), started_at: nullable(isoDate), finished_at: nullable(isoDate), updated_at: nullable(isoDate), error: nullable({ type: 'string' }),
  },
};
const sweepSpecProperties = {
  kind: { type: 'string', enum: ['paths', 'memory'], default: 'paths' },
  paths: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' }, description: 'Roots of a path sweep (walked recursively, symbolic links not followed)' },
  exclude: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' }, description: 'Path prefixes never entered (default /proc, /sys, /dev, /run)' },
  pids: { type: 'array', maxItems: 10000, items: { type: 'integer', minimum: 1 }, description: 'Processes of a memory sweep (default: every process)' },
  cpu_budget: { type: 'number', minimum: 0.05, maximum: 4, default: 0.25, description: 'Share of one core the agent may spend' },
  max_file_size: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024, default: 67108864 },
  one_file_system: { type: 'boolean', default: false },
  host_timeout_s: { type: 'integer', minimum: 10, maximum: 30 * 86400, default: 4 * 3600, description: 'Per-host deadline: a host that has not started within this many seconds of the sweep\'s creation, or not finished within as many of its start, is marked timed_out with the reason' },
  timeout_s: { type: 'integer', minimum: 10, maximum: 30 * 86400, default: 86400, description: 'Overall deadline, seconds after creation: hosts not finished by then are marked timed_out' },
};
/** The API view of a sweep (GET /api/v1/yara/sweeps/{id}). */
export const sweepView = (s: YaraSweepRecord, hits?: ReturnType<IntelService['yaraDb']['sweepHits']>) => ({
  id: s.id, state: s.state, kind: s.spec.kind, paths: s.spec.paths, exclude: s.spec.exclude, pids: s.spec.pids, cpu_budget: s.spec.cpuBudget, max_file_size: s.spec.maxFileSize, one_file_system: s.spec.oneFileSystem,
  host_timeout_s: s.spec.hostTimeoutS ?? null, timeout_s: s.spec.timeoutS ?? null, deadline_at: s.spec.timeoutS !== undefined ? new Date(Date.parse(s.createdAt) + s.spec.timeoutS * 1000).toISOString() : null,
  ruleset: { name: s.rulesetName, digest: s.rulesetDigest }, created_at: s.createdAt, created_by: s.createdBy, schedule_id: s.scheduleId,
  totals: s.hosts.reduce((t, h) => ({ files: t.files + h.files, bytes: t.bytes + h.bytes, matches: t.matches + h.matches, hosts_done: t.hosts_done + (h.state === 'done' ? 1 : 0), hosts_timed_out: t.hosts_timed_out + (h.state === 'timed_out' ? 1 : 0) }), { files: 0, bytes: 0, matches: 0, hosts_done: 0, hosts_timed_out: 0 }),
  hosts: s.hosts.map((h) => ({ host_id: h.hostId, state: h.state, files: h.files, bytes: h.bytes, skipped: h.skipped, matches: h.matches, regions: h.regions, ruleset_digest: h.rulesetDigest, started_at: h.startedAt, finished_at: h.finishedAt, updated_at: h.updatedAt, error: h.error })),
  ...(hits ? { hits: hits.map((h) => ({ host_id: h.hostId, time: h.time, target: h.target, path: h.path, pid: h.pid, rule: h.rule, namespace: h.namespace, sha256: h.sha256 })) } : {}),
});
const sweepSchema = {
  type: 'object',
  required: ['id', 'state', 'kind', 'ruleset', 'hosts', 'totals'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' }, state: { type: 'string', enum: ['queued', 'running', 'done', 'failed', 'cancelled', 'timed_out'] }, kind: { type: 'string', enum: ['paths', 'memory'] },
    ruleset: { type: 'object', additionalProperties: true, properties: { name: { type: 'string' }, digest: { type: 'string' } } }, created_at: isoDate,
    totals: { type: 'object', additionalProperties: { type: 'integer' } }, hosts: { type: 'array', items: hostProgressSchema },
    hits: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { host_id: { type: 'string' }, rule: { type: 'string' }, path: nullable({ type: 'string' }), pid: nullable({ type: 'integer' }), sha256: nullable({ type: 'string' }) } } },
  },
};
const exampleHost = '1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f';
const exampleSweep = {
  id: '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f', state: 'done', kind: 'paths', paths: ['/tmp', '/home'], exclude: [], pids: [], cpu_budget: 0.25, max_file_size: 67108864, one_file_system: false,
  host_timeout_s: 14400, timeout_s: 86400, deadline_at: '2026-03-02T10:00:00.000Z',
  ruleset: { name: 'baseline', digest: 'a'.repeat(64) }, created_at: exampleTime, created_by: 'admin', schedule_id: null, totals: { files: 1840, bytes: 90211234, matches: 1, hosts_done: 1, hosts_timed_out: 0 },
  hosts: [{ host_id: exampleHost, state: 'done', files: 1840, bytes: 90211234, skipped: 3, matches: 1, regions: 0, ruleset_digest: 'a'.repeat(64), started_at: exampleTime, finished_at: exampleTime, updated_at: exampleTime, error: null }],
};
const exampleHits = [{ host_id: exampleHost, time: exampleTime, target: 'file', path: '/tmp/.x/payload', pid: null, rule: 'vigil_example_marker', namespace: 'default', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }];
const scheduleView = (s: ScheduleRecord) => ({ id: s.id, name: s.name, kind: s.spec.kind, paths: s.spec.paths, pids: s.spec.pids, cpu_budget: s.spec.cpuBudget, host_ids: s.hostIds, interval_s: s.intervalSeconds, next_run_at: s.nextRunAt, enabled: s.enabled, last_sweep_id: s.lastSweepId, created_by: s.createdBy });
const scheduleSchema = { type: 'object', required: ['id', 'name', 'kind', 'interval_s', 'next_run_at', 'enabled'], additionalProperties: true, properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' }, interval_s: { type: 'integer' }, next_run_at: isoDate, enabled: { type: 'boolean' }, host_ids: nullable({ type: 'array', items: { type: 'string' } }) } };
const exampleSchedule = { id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', name: 'nightly-tmp', kind: 'paths', paths: ['/tmp', '/var/tmp'], pids: [], cpu_budget: 0.2, host_ids: null, interval_s: 86400, next_run_at: exampleTime, enabled: true, last_sweep_id: null, created_by: 'admin' };

function specFrom(body: { kind?: 'paths' | 'memory'; paths?: string[]; exclude?: string[]; pids?: number[]; cpu_budget?: number; max_file_size?: number; one_file_system?: boolean; host_timeout_s?: number; timeout_s?: number }): SweepSpec {
  return { kind: body.kind ?? 'paths', paths: body.paths ?? [], exclude: body.exclude ?? [], pids: body.pids ?? [], cpuBudget: body.cpu_budget ?? 0.25, maxFileSize: body.max_file_size ?? 64 * 1024 * 1024, oneFileSystem: body.one_file_system ?? false, hostTimeoutS: body.host_timeout_s ?? 4 * 3600, timeoutS: body.timeout_s ?? 86400 };
}

function optionsFrom(body: { scan_on_exec?: boolean; scan_on_write?: boolean; watch_paths?: string[]; quarantine_on_hit?: boolean; max_file_size?: number } | undefined): Partial<RuleSetOptions> {
  if (!body) return {};
  return {
    ...(body.scan_on_exec !== undefined ? { scanOnExec: body.scan_on_exec } : {}),
    ...(body.scan_on_write !== undefined ? { scanOnWrite: body.scan_on_write } : {}),
    ...(body.watch_paths !== undefined ? { watchPaths: body.watch_paths } : {}),
    ...(body.quarantine_on_hit !== undefined ? { quarantineOnHit: body.quarantine_on_hit } : {}),
    ...(body.max_file_size !== undefined ? { maxFileSize: body.max_file_size } : {}),
  };
}

const problemView = (p: CompileProblem) => ({ severity: p.severity, code: p.code, message: p.message, file: p.file, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.column !== undefined ? { column: p.column } : {}) });

export function registerIntelRoutes(app: FastifyInstance, deps: IntelRouteDeps): void {
  const { controlPlane, intel } = deps;

  app.post(
    '/api/v1/intel/import',
    {
      bodyLimit: MAX_INTEL_BODY_BYTES,
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['intel'],
        summary: 'Import indicators from a STIX 2.1 bundle, a MISP event, a CSV file or a plain list',
        description:
          'Parses `content` (format detected unless given), refuses the whole document when anything in it is malformed (errors listed with their line/column or JSON path; nothing is stored), stores the indicators in one transaction (a repeated import updates instead of duplicating) and queues a retro sweep over stored events for the indicators that are new. Entries Vigil cannot match (unsupported STIX comparisons, MISP attribute types) are skipped and listed as warnings. With `dry_run` nothing is stored.',
        body: {
          type: 'object',
          required: ['content'],
          additionalProperties: false,
          properties: {
            content: { type: 'string', minLength: 1, maxLength: MAX_INTEL_BODY_BYTES, description: 'The document text' },
            format: { type: 'string', enum: [...indicatorFormats], description: 'Default: detected from the content' },
            source: { ...sourceName, description: 'Source recorded on every indicator (default `import:<user>`)' },
            file_name: { type: 'string', maxLength: 300, description: 'Name shown in problem locations' },
            confidence: { type: 'integer', minimum: 0, maximum: 100, description: 'For formats that carry none' },
            include_non_ids: { type: 'boolean', default: false, description: 'MISP: also attributes without to_ids' },
            expires_at: { ...isoDate, description: 'Expiry for indicators that carry none' },
            dry_run: { type: 'boolean', default: false },
          },
          examples: [{ content: '# C2 of case 4711\n203.0.113.7\nc2.bad.example.net\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;dropper\n', format: 'list', source: 'case-4711' }],
        },
        response: { 200: { description: 'Imported (or checked, with dry_run)', ...importSummarySchema, examples: [exampleImport] } },
      },
    },
    async (request) => {
      const body = request.body as { content: string; format?: (typeof indicatorFormats)[number]; source?: string; file_name?: string; confidence?: number; include_non_ids?: boolean; expires_at?: string; dry_run?: boolean };
      const source = body.source ?? `import:${actorOf(request)}`.slice(0, 100);
      const common = {
        text: body.content,
        ...(body.format ? { format: body.format } : {}),
        source,
        file: body.file_name ?? 'upload',
        ...(body.confidence !== undefined ? { confidence: body.confidence } : {}),
        ...(body.include_non_ids ? { includeNonIds: true } : {}),
      };
      if (body.dry_run) {
        const parsed = parseForImport(common);
        const distinct = new Map(parsed.indicators.map((i) => [`${i.type}\u0000${i.value}`, i]));
        const warnings = parsed.problems.filter((p) => p.severity === 'warning');
        const byType = Object.fromEntries(indicatorTypes.map((t) => [t, [...distinct.values()].filter((i) => i.type === t).length]));
        return { format: parsed.format, entries: parsed.entries, indicators: distinct.size, created: 0, updated: 0, removed: 0, by_type: byType, warnings: warnings.slice(0, 200), warning_count: warnings.length, sweep_id: null, dry_run: true };
      }
      const summary = importIndicators(intel.db, intel.sweeper, { ...common, expiresAt: body.expires_at ? new Date(body.expires_at).toISOString() : null, actor: actorOf(request) });
      controlPlane.audit(actorOf(request), 'intel.import', source, 'success', { format: summary.format, created: summary.created, updated: summary.updated, warnings: summary.warningCount, sweep: summary.sweepId });
      return summaryView(summary, false);
    },
  );

  app.get(
    '/api/v1/intel/summary',
    {
      config: { permission: 'alerts:read' },
      schema: {
        tags: ['intel'],
        summary: 'Indicators per type and source, and stream matching counters',
        description: 'What the intel database holds (per type, per source, expired) and what the stream matcher has loaded and matched since the server started.',
        response: {
          200: {
            description: 'Summary',
            type: 'object',
            required: ['total', 'expired', 'by_type', 'by_source', 'stream', 'feeds'],
            additionalProperties: false,
            properties: {
              total: { type: 'integer' }, expired: { type: 'integer' }, by_type: byTypeSchema,
              by_source: { type: 'array', items: { type: 'object', required: ['source', 'count'], properties: { source: { type: 'string' }, count: { type: 'integer' } } } },
              stream: { type: 'object', required: ['indicators', 'events_matched', 'hits'], additionalProperties: true, properties: { indicators: { type: 'integer' }, by_type: byTypeSchema, events_matched: { type: 'integer' }, hits: { type: 'integer' }, load_ms: { type: 'integer' } } },
              feeds: { type: 'integer' },
            },
            examples: [{ total: 1204, expired: 12, by_type: { ip: 800, domain: 300, sha256: 104 }, by_source: [{ source: 'feed:abuse-ch-feodo', count: 800 }], stream: { indicators: 1192, by_type: { ip: 795, domain: 300, sha256: 97 }, events_matched: 3, hits: 3, load_ms: 41 }, feeds: 2 }],
          },
        },
      },
    },
    async () => {
      const summary = intel.db.indicatorSummary(new Date().toISOString());
      const stream = intel.stream.stats();
      return {
        total: summary.total, expired: summary.expired, by_type: summary.byType, by_source: summary.bySource,
        stream: { indicators: stream.indicators, by_type: stream.byType, events_matched: stream.eventsMatched, hits: stream.hits, load_ms: stream.loadMs }, feeds: intel.db.listFeeds().length,
      };
    },
  );

  app.delete(
    '/api/v1/intel/indicators/:id',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['intel'],
        summary: 'Delete an indicator',
        description: 'Removes the indicator: it stops matching at once. Sweep results that name it stay.',
        params: idParams,
        response: { 200: { description: 'Deleted', type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } }, examples: [{ deleted: '6a1c2f44-0b7e-4d5e-a8a8-2d6f3e9b1c20' }] }, 404: notFound('no indicator 6a1c2f44-0b7e-4d5e-a8a8-2d6f3e9b1c20') },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!intel.db.deleteIndicators([id]).length) throw new VigilError('not_found', `no indicator ${id}`);
      controlPlane.audit(actorOf(request), 'intel.indicator.delete', id, 'success', {});
      return { deleted: id };
    },
  );

  // ---- feeds ----

  app.get(
    '/api/v1/intel/feeds',
    { config: { permission: 'rules:read' }, schema: { tags: ['intel'], summary: 'List threat-intel feeds with their status', description: 'Every feed with its schedule, the status and error of its last run, and the counts of its last import. Header values are never shown.', response: { 200: { description: 'Feeds', type: 'array', items: feedSchema, examples: [[exampleFeed]] } } } },
    async () => intel.db.listFeeds().map(feedView),
  );

  app.post(
    '/api/v1/intel/feeds',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['intel'],
        summary: 'Add a feed',
        description:
          'A feed is fetched on its interval (the first run soon after it is added, when enabled) with If-None-Match / If-Modified-Since (files: size and modification time). Each new version replaces the feed\'s indicators (source `feed:<name>`): indicators no longer listed are removed, new ones are swept over stored events. A version that is malformed is refused whole and the previous one stays.',
        body: { type: 'object', required: ['name', 'url'], additionalProperties: false, properties: feedBodyProperties, examples: [{ name: 'case-4711-list', url: 'https://intel.example.org/case-4711.txt', format: 'list', interval_s: 3600, enabled: false, confidence: 70 }] },
        response: { 201: { description: 'Feed added', ...feedSchema, examples: [exampleFeed] }, 409: conflict('a feed named abuse-ch-feodo exists') },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; url: string; format?: FeedFormat; interval_s?: number; enabled?: boolean; confidence?: number | null; include_non_ids?: boolean; headers?: Record<string, string>; ca_pem?: string | null };
      checkFeedUrl(body.url);
      const input: FeedInput = {
        name: body.name, url: body.url, format: body.format ?? 'auto', intervalSeconds: body.interval_s ?? 3600, enabled: body.enabled ?? true, confidence: body.confidence ?? null,
        includeNonIds: body.include_non_ids ?? false, headers: body.headers ?? {}, caPem: body.ca_pem ?? null,
      };
      const feed = intel.db.createFeed(input);
      controlPlane.audit(actorOf(request), 'intel.feed.create', feed.id, 'success', { name: feed.name, url: feed.url });
      return reply.status(201).send(feedView(feed));
    },
  );

  app.get(
    '/api/v1/intel/feeds/:id',
    { config: { permission: 'rules:read' }, schema: { tags: ['intel'], summary: 'One feed', description: 'Settings and status of one feed.', params: idParams, response: { 200: { description: 'The feed', ...feedSchema, examples: [exampleFeed] } } } },
    async (request) => {
      const feed = intel.db.getFeed((request.params as { id: string }).id);
      if (!feed) throw new VigilError('not_found', `no feed ${(request.params as { id: string }).id}`);
      return feedView(feed);
    },
  );

  app.patch(
    '/api/v1/intel/feeds/:id',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['intel'],
        summary: 'Change a feed',
        description: 'Changes any setting; a new URL, format or include_non_ids forgets the cached ETag so the next run fetches the whole feed.',
        params: idParams,
        body: { type: 'object', minProperties: 1, additionalProperties: false, properties: feedBodyProperties, examples: [{ enabled: false }] },
        response: { 200: { description: 'The feed', ...feedSchema, examples: [{ ...exampleFeed, enabled: false }] }, 409: conflict('a feed named abuse-ch-feodo exists') },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { name?: string; url?: string; format?: FeedFormat; interval_s?: number; enabled?: boolean; confidence?: number | null; include_non_ids?: boolean; headers?: Record<string, string>; ca_pem?: string | null };
      if (body.url !== undefined) checkFeedUrl(body.url);
      const feed = intel.db.updateFeed(id, {
        ...(body.name !== undefined ? { name: body.name } : {}), ...(body.url !== undefined ? { url: body.url } : {}), ...(body.format !== undefined ? { format: body.format } : {}),
        ...(body.interval_s !== undefined ? { intervalSeconds: body.interval_s } : {}), ...(body.enabled !== undefined ? { enabled: body.enabled } : {}), ...(body.confidence !== undefined ? { confidence: body.confidence } : {}),
        ...(body.include_non_ids !== undefined ? { includeNonIds: body.include_non_ids } : {}), ...(body.headers !== undefined ? { headers: body.headers } : {}), ...(body.ca_pem !== undefined ? { caPem: body.ca_pem } : {}),
      });
      controlPlane.audit(actorOf(request), 'intel.feed.update', id, 'success', { fields: Object.keys(body) });
      return feedView(feed);
    },
  );

  app.delete(
    '/api/v1/intel/feeds/:id',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['intel'],
        summary: 'Delete a feed and its indicators',
        description: 'Removes the feed and every indicator of its source (they stop matching at once).',
        params: idParams,
        response: { 200: { description: 'Deleted', type: 'object', required: ['deleted', 'indicators_removed'], properties: { deleted: { type: 'string' }, indicators_removed: { type: 'integer' } }, examples: [{ deleted: exampleFeed.id, indicators_removed: 412 }] } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const feed = intel.db.getFeed(id);
      if (!feed) throw new VigilError('not_found', `no feed ${id}`);
      intel.db.deleteFeed(id);
      const removed = intel.db.deleteSource(feed.source).length;
      controlPlane.audit(actorOf(request), 'intel.feed.delete', id, 'success', { name: feed.name, indicators_removed: removed });
      return { deleted: id, indicators_removed: removed };
    },
  );

  app.post(
    '/api/v1/intel/feeds/:id/run',
    {
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['intel'],
        summary: 'Fetch a feed now',
        description: 'Runs the feed at once (after a run in progress) and answers with the outcome: ok with the import counts, not_modified, or error with the reason (the previous version stays).',
        params: idParams,
        response: {
          200: {
            description: 'Outcome',
            type: 'object',
            required: ['status'],
            additionalProperties: false,
            properties: { status: { type: 'string', enum: ['ok', 'not_modified', 'error'] }, error: { type: 'string' }, import: importSummarySchema, feed: feedSchema },
            examples: [{ status: 'not_modified', feed: exampleFeed }],
          },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!intel.db.getFeed(id)) throw new VigilError('not_found', `no feed ${id}`);
      const result = await intel.feeds.runNow(id);
      return { status: result.status, ...(result.error ? { error: result.error } : {}), ...(result.summary ? { import: summaryView(result.summary, false) } : {}), feed: feedView(intel.db.getFeed(id)!) };
    },
  );

  // ---- YARA rule sets ----

  app.get(
    '/api/v1/yara/rulesets',
    { config: { permission: 'rules:read' }, schema: { tags: ['yara'], summary: 'List YARA rule sets', description: 'Every stored rule set with its version, digest, options and compile report; at most one is active (the one agents receive).', response: { 200: { description: 'Rule sets', type: 'array', items: ruleSetSchema, examples: [[exampleRuleSet]] } } } },
    async () => intel.yaraDb.listRuleSets().map(ruleSetView),
  );

  app.put(
    '/api/v1/yara/rulesets/:name',
    {
      bodyLimit: MAX_INTEL_BODY_BYTES,
      config: { permission: 'rules:manage' },
      schema: {
        tags: ['yara'],
        summary: 'Upload a new version of a YARA rule set',
        description:
          'Compiles the files with YARA-X (off the event loop) with the external variables given (default filename, filepath, extension, filetype, owner, as signature-base expects). Any compile error refuses the upload with every error\'s file, line and column; warnings are kept in the report. With `activate` (or when it was active) agents fetch the new version at their next heartbeat, check its digest and compile it.',
        params: nameParams,
        body: {
          type: 'object',
          required: ['files'],
          additionalProperties: false,
          properties: { description: { type: 'string', maxLength: 2000 }, files: filesSchema, options: ruleSetOptionsSchema, externals: externalsSchema, activate: { type: 'boolean', default: false } },
          examples: [{ description: 'Example rule set', files: [{ name: 'example.yar', text: exampleRule }], options: { scan_on_exec: true, scan_on_write: true, watch_paths: ['/tmp'] }, activate: true }],
        },
        response: { 200: { description: 'Stored', ...ruleSetSchema, examples: [exampleRuleSet] } },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const body = request.body as { description?: string; files: { name: string; text: string }[]; options?: Parameters<typeof optionsFrom>[0]; externals?: Record<string, string>; activate?: boolean };
      const record = await intel.yara.putRuleSet({ name, ...(body.description !== undefined ? { description: body.description } : {}), files: body.files, options: optionsFrom(body.options), ...(body.externals ? { externals: body.externals } : {}), ...(body.activate ? { activate: true } : {}) }, actorOf(request));
      controlPlane.audit(actorOf(request), 'yara.ruleset.put', name, 'success', { version: record.version, digest: record.digest, rules: record.report.ruleCount, active: record.active });
      return ruleSetView(record);
    },
  );

  app.get(
    '/api/v1/yara/rulesets/:name',
    {
      config: { permission: 'rules:read' },
      schema: {
        tags: ['yara'],
        summary: 'One YARA rule set',
        description: 'The rule set with its file list (names and sizes; with `text=true` also their text).',
        params: nameParams,
        querystring: { type: 'object', additionalProperties: false, properties: { text: { type: 'boolean', default: false } } },
        response: { 200: { description: 'The rule set', ...ruleSetSchema, examples: [{ ...exampleRuleSet, file_list: [{ name: 'example.yar', bytes: exampleRule.length }] }] } },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const set = intel.yaraDb.getRuleSet(name);
      if (!set) throw new VigilError('not_found', `no rule set ${name}`);
      const withText = (request.query as { text?: boolean }).text === true;
      return { ...ruleSetView(set), file_list: intel.yaraDb.ruleSetFiles(name).map((f) => ({ name: f.name, bytes: Buffer.byteLength(f.text), ...(withText ? { text: f.text } : {}) })) };
    },
  );

  app.post(
    '/api/v1/yara/rulesets/:name/activate',
    {
      config: { permission: 'rules:manage' },
      schema: { tags: ['yara'], summary: 'Make a rule set the one agents use', description: 'Agents fetch it at their next heartbeat; the previously active set stops being used once they have it.', params: nameParams, response: { 200: { description: 'The rule set', ...ruleSetSchema, examples: [exampleRuleSet] } } },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      intel.yaraDb.activate(name);
      controlPlane.audit(actorOf(request), 'yara.ruleset.activate', name, 'success', {});
      return ruleSetView(intel.yaraDb.getRuleSet(name)!);
    },
  );

  app.delete(
    '/api/v1/yara/rulesets/:name',
    {
      config: { permission: 'rules:manage' },
      schema: { tags: ['yara'], summary: 'Delete a rule set', description: 'Deleting the active set leaves agents without rules: they stop scanning at their next heartbeat.', params: nameParams, response: { 200: { description: 'Deleted', type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } }, examples: [{ deleted: 'baseline' }] } } },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      if (!intel.yaraDb.deleteRuleSet(name)) throw new VigilError('not_found', `no rule set ${name}`);
      controlPlane.audit(actorOf(request), 'yara.ruleset.delete', name, 'success', {});
      return { deleted: name };
    },
  );

  app.post(
    '/api/v1/yara/validate',
    {
      bodyLimit: MAX_INTEL_BODY_BYTES,
      config: { permission: 'rules:read' },
      schema: {
        tags: ['yara'],
        summary: 'Compile YARA files without storing them',
        description: 'The compile report of the files: errors and warnings with file, line and column, and the number of rules.',
        body: { type: 'object', required: ['files'], additionalProperties: false, properties: { files: filesSchema, externals: externalsSchema }, examples: [{ files: [{ name: 'example.yar', text: exampleRule }] }] },
        response: {
          200: {
            description: 'Report',
            type: 'object',
            required: ['ok', 'rule_count', 'files', 'problems'],
            additionalProperties: false,
            properties: { ok: { type: 'boolean' }, rule_count: { type: 'integer' }, files: { type: 'integer' }, compile_ms: { type: 'integer' }, problems: { type: 'array', items: problemViewSchema } },
            examples: [{ ok: false, rule_count: 0, files: 0, compile_ms: 3, problems: [{ severity: 'error', code: 'E009', message: 'unknown identifier `nope`: this identifier has not been declared', file: 'example.yar', line: 5, column: 12 }] }],
          },
        },
      },
    },
    async (request) => {
      const body = request.body as { files: { name: string; text: string }[]; externals?: Record<string, string> };
      const report = await intel.yara.validate(body.files, body.externals);
      return { ok: report.ok, rule_count: report.ruleCount, files: report.compiledFiles.length, compile_ms: report.compileMs, problems: report.problems.map(problemView) };
    },
  );

  // ---- YARA sweeps ----

  app.post(
    '/api/v1/yara/sweeps',
    {
      config: { permission: 'response:collect' },
      schema: {
        tags: ['yara'],
        summary: 'Start a fleet YARA sweep of paths or process memory',
        description:
          'Queues a sweep with the active rule set on the given hosts (default: every enrolled host). Each agent learns of it at its next heartbeat, walks the paths (or reads the memory of the processes) within the CPU budget, reports progress and hits, and sends every match as an event (alert kind yara). Follow it with GET /api/v1/yara/sweeps/{id}.',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ...sweepSpecProperties, host_ids: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'string', minLength: 1, maxLength: 200 } } },
          examples: [{ kind: 'paths', paths: ['/tmp', '/home'], cpu_budget: 0.25 }],
        },
        response: { 202: { description: 'Sweep queued', ...sweepSchema, examples: [{ ...exampleSweep, state: 'queued' }] }, 404: notFound('no enrolled host 1f0c3a52-4b1e-4c3b-9a7d-6c1e2b3a4d5f'), 409: conflict('no active YARA rule set') },
      },
    },
    async (request, reply) => {
      const body = request.body as Parameters<typeof specFrom>[0] & { host_ids?: string[] };
      const sweep = intel.yaraSweeps.create(specFrom(body), body.host_ids ?? null, actorOf(request));
      controlPlane.audit(actorOf(request), 'yara.sweep.create', sweep.id, 'success', { kind: sweep.spec.kind, hosts: sweep.hosts.length });
      return reply.status(202).send(sweepView(sweep));
    },
  );

  app.get(
    '/api/v1/yara/sweeps',
    { config: { permission: 'alerts:read' }, schema: { tags: ['yara'], summary: 'List fleet YARA sweeps, newest first', description: 'Sweeps with their per-host progress (without hits).', querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } }, response: { 200: { description: 'Sweeps', type: 'array', items: sweepSchema, examples: [[exampleSweep]] } } } },
    async (request) => intel.yaraDb.listSweeps((request.query as { limit: number }).limit).map((s) => sweepView(s)),
  );

  app.get(
    '/api/v1/yara/sweeps/:id',
    {
      config: { permission: 'alerts:read' },
      schema: { tags: ['yara'], summary: 'One fleet YARA sweep with per-host progress and hits', description: 'State per host (queued, running, done, failed, cancelled, timed_out with the reason in error) with files, bytes and matches so far, and every hit (at most 1,000 per host) with rule, path or pid and SHA-256.', params: idParams, response: { 200: { description: 'The sweep', ...sweepSchema, examples: [{ ...exampleSweep, hits: exampleHits }] } } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const sweep = intel.yaraDb.getSweep(id);
      if (!sweep) throw new VigilError('not_found', `no YARA sweep ${id}`);
      return sweepView(sweep, intel.yaraDb.sweepHits(id));
    },
  );

  app.post(
    '/api/v1/yara/sweeps/:id/cancel',
    {
      config: { permission: 'response:collect' },
      schema: { tags: ['yara'], summary: 'Cancel a fleet YARA sweep', description: 'Hosts that have not finished stop at their next progress report.', params: idParams, response: { 200: { description: 'The sweep', ...sweepSchema, examples: [{ ...exampleSweep, state: 'cancelled' }] } } },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!intel.yaraDb.getSweep(id)) throw new VigilError('not_found', `no YARA sweep ${id}`);
      const cancelled = intel.yaraDb.cancelSweep(id);
      controlPlane.audit(actorOf(request), 'yara.sweep.cancel', id, 'success', { hosts: cancelled });
      return sweepView(intel.yaraDb.getSweep(id)!);
    },
  );

  app.get(
    '/api/v1/yara/schedules',
    { config: { permission: 'alerts:read' }, schema: { tags: ['yara'], summary: 'List scheduled YARA sweeps', description: 'Schedules that start a fleet sweep on an interval, with the next run and the last sweep.', response: { 200: { description: 'Schedules', type: 'array', items: scheduleSchema, examples: [[exampleSchedule]] } } } },
    async () => intel.yaraDb.listSchedules().map(scheduleView),
  );

  app.post(
    '/api/v1/yara/schedules',
    {
      config: { permission: 'response:collect' },
      schema: {
        tags: ['yara'],
        summary: 'Schedule a fleet YARA sweep',
        description: 'Starts a sweep now and then every interval_s seconds (hosts: the given ones, or every host enrolled at each run).',
        body: {
          type: 'object',
          required: ['name', 'interval_s'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 80 }, interval_s: { type: 'integer', minimum: 60, maximum: 30 * 86400 }, enabled: { type: 'boolean', default: true }, host_ids: { type: 'array', minItems: 1, items: { type: 'string' } }, ...sweepSpecProperties },
          examples: [{ name: 'nightly-tmp', interval_s: 86400, kind: 'paths', paths: ['/tmp', '/var/tmp'], cpu_budget: 0.2, enabled: false }],
        },
        response: { 201: { description: 'Scheduled', ...scheduleSchema, examples: [exampleSchedule] }, 409: conflict('a schedule named nightly-tmp exists') },
      },
    },
    async (request, reply) => {
      const body = request.body as Parameters<typeof specFrom>[0] & { name: string; interval_s: number; enabled?: boolean; host_ids?: string[] };
      const spec = specFrom(body);
      if (spec.kind === 'paths' && !spec.paths.length) throw new VigilError('invalid_input', 'a path sweep needs at least one path', { location: { path: 'paths' } });
      const schedule = intel.yaraDb.createSchedule({ name: body.name, spec, hostIds: body.host_ids ?? null, intervalSeconds: body.interval_s, enabled: body.enabled ?? true }, actorOf(request));
      controlPlane.audit(actorOf(request), 'yara.schedule.create', schedule.id, 'success', { name: schedule.name, interval_s: schedule.intervalSeconds });
      return reply.status(201).send(scheduleView(schedule));
    },
  );

  app.delete(
    '/api/v1/yara/schedules/:id',
    { config: { permission: 'response:collect' }, schema: { tags: ['yara'], summary: 'Delete a sweep schedule', description: 'Stops future runs; sweeps already started continue.', params: idParams, response: { 200: { description: 'Deleted', type: 'object', required: ['deleted'], properties: { deleted: { type: 'string' } }, examples: [{ deleted: exampleSchedule.id }] } } } },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!intel.yaraDb.deleteSchedule(id)) throw new VigilError('not_found', `no schedule ${id}`);
      controlPlane.audit(actorOf(request), 'yara.schedule.delete', id, 'success', {});
      return { deleted: id };
    },
  );
}

// ---- agent listener ----

export const yaraAgentPaths = { ruleset: '/agent/v1/yara/ruleset', progress: '/agent/v1/yara/sweeps/:id/progress' } as const;

const states: readonly HostSweepState[] = ['running', 'done', 'failed'];

/** Checks an agent's progress report field by field; throws invalid_input naming the first bad field. */
export function parseProgressReport(value: unknown): ProgressReport {
  const fail = (path: string, what: string): never => {
    throw new VigilError('invalid_input', `${path} must be ${what}`, { location: { path } });
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('$', 'an object');
  const v = value as Record<string, unknown>;
  if (!states.includes(v.state as HostSweepState)) fail('$.state', `one of ${states.join(', ')}`);
  const count = (key: string) => {
    const n = v[key] ?? 0;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`$.${key}`, 'a non-negative integer');
    return n as number;
  };
  const text = (key: string, max: number) => {
    const t = v[key] ?? null;
    if (t !== null && (typeof t !== 'string' || t.length > max)) fail(`$.${key}`, `null or a string of at most ${max} characters`);
    return t as string | null;
  };
  const hits = v.hits ?? [];
  if (!Array.isArray(hits) || hits.length > 1000) fail('$.hits', 'a list of at most 1,000 hits');
  return {
    state: v.state as HostSweepState,
    files: count('files'), bytes: count('bytes'), skipped: count('skipped'), matches: count('matches'), regions: count('regions'),
    ruleset_digest: text('ruleset_digest', 64), error: text('error', 2000),
    hits: (hits as unknown[]).map((h, i) => {
      const where = `$.hits[${i}]`;
      if (!h || typeof h !== 'object') fail(where, 'an object');
      const hit = h as Record<string, unknown>;
      if (hit.target !== 'file' && hit.target !== 'memory') fail(`${where}.target`, 'file or memory');
      if (typeof hit.rule !== 'string' || !hit.rule || hit.rule.length > 256) fail(`${where}.rule`, 'a rule name');
      if (typeof hit.time !== 'string' || !Number.isFinite(Date.parse(hit.time))) fail(`${where}.time`, 'an ISO 8601 time');
      const path = hit.path ?? null;
      if (path !== null && (typeof path !== 'string' || path.length > 4096)) fail(`${where}.path`, 'null or a path');
      const pid = hit.pid ?? null;
      if (pid !== null && (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 0)) fail(`${where}.pid`, 'null or a pid');
      const sha256 = hit.sha256 ?? null;
      if (sha256 !== null && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))) fail(`${where}.sha256`, 'null or a SHA-256 in hex');
      const namespace = typeof hit.namespace === 'string' ? hit.namespace.slice(0, 256) : 'default';
      return { time: new Date(hit.time as string).toISOString(), target: hit.target as 'file' | 'memory', path: path as string | null, pid: pid as number | null, rule: hit.rule as string, namespace, sha256: sha256 as string | null };
    }),
  };
}

function jsonBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body)) throw new VigilError('invalid_input', 'send the body as application/json');
  if (body.length > 4 * 1024 * 1024) throw new VigilError('payload_too_large', 'report larger than 4 MiB');
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch (error) {
    throw new VigilError('invalid_input', `body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Routes of the agent listener (mutual TLS; `request.agentId` is set by the listener's hook). */
export function registerIntelAgentRoutes(app: FastifyInstance, deps: { intel: IntelService }): void {
  app.post(yaraAgentPaths.ruleset, async (request) => {
    const body = jsonBody(request.body) as { digest?: unknown };
    const active = deps.intel.yara.active();
    if (!active) return { ruleset: null };
    if (typeof body.digest === 'string' && body.digest === active.digest) return { not_modified: true, digest: active.digest };
    return { ruleset: deps.intel.yara.bundle() };
  });
  app.post(yaraAgentPaths.progress, async (request) => {
    const { id } = request.params as { id: string };
    const report = parseProgressReport(jsonBody(request.body));
    return deps.intel.yaraSweeps.report(id, request.agentId!, report);
  });
}
