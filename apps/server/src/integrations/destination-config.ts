// Turns API input (snake_case JSON) into validated destination records and records into API views.
// Never puts a secret (webhook secret, Authorization value) into a view: views only say whether one is set.

import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { destinationKinds, eventCategoryNames, type AlertLevel, type DestinationFilters, type DestinationKind, type DestinationSettings } from '@vigil/integrations';
import { DEFAULT_BATCH_SIZE, defaultRetryPolicy, type DestinationRecord, type DestinationStatus, type DestinationStream, type NewDestination, type RetryPolicy } from './integrations-db.js';

export interface SettingsInput {
  host?: string;
  port?: number;
  transport?: 'udp' | 'tcp' | 'tls';
  format?: 'rfc5424' | 'cef' | 'leef';
  ca_pem?: string;
  server_name?: string;
  facility?: number;
  hostname?: string;
  max_message_bytes?: number;
  url?: string;
  secret?: string;
  authorization?: string;
  timeout_ms?: number;
}

export interface FiltersInput {
  min_level?: AlertLevel;
  tags_any?: string[];
  categories?: string[];
}

export interface RetryInput {
  max_attempts?: number;
  max_age_s?: number;
  initial_backoff_ms?: number;
  max_backoff_ms?: number;
}

export interface DestinationInput {
  name?: string;
  kind?: DestinationKind;
  stream?: DestinationStream;
  enabled?: boolean;
  settings?: SettingsInput;
  filters?: FiltersInput;
  retry?: RetryInput;
  batch_size?: number;
}

const invalid = (path: string, message: string) => new VigilError('invalid_input', message, { location: { path } });

function required<T>(value: T | undefined, path: string): T {
  if (value === undefined || value === '') throw invalid(path, `${path} is required for this kind of destination`);
  return value;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('settings.url', 'settings.url is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid('settings.url', 'settings.url must be http or https');
  return url;
}

function checkCa(pem: string | undefined): string | undefined {
  if (pem === undefined || pem === '') return undefined;
  try {
    new X509Certificate(pem);
  } catch {
    throw invalid('settings.ca_pem', 'settings.ca_pem is not a PEM certificate');
  }
  return pem;
}

function settingsFrom(kind: DestinationKind, input: SettingsInput): DestinationSettings {
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, V>));
  const ca = checkCa(input.ca_pem);
  switch (kind) {
    case 'syslog': {
      const host = required(input.host, 'settings.host');
      if (!isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) throw invalid('settings.host', 'settings.host must be an IP address or a DNS name');
      return {
        kind,
        host,
        port: required(input.port, 'settings.port'),
        transport: input.transport ?? 'udp',
        format: input.format ?? 'rfc5424',
        ...optional('caPem', ca),
        ...optional('serverName', input.server_name),
        ...optional('facility', input.facility),
        ...optional('hostname', input.hostname),
        ...optional('maxMessageBytes', input.max_message_bytes),
        ...optional('timeoutMs', input.timeout_ms),
      };
    }
    case 'webhook':
      return { kind, url: checkUrl(required(input.url, 'settings.url')), secret: required(input.secret, 'settings.secret'), ...optional('caPem', ca), ...optional('timeoutMs', input.timeout_ms) };
    case 'http-ndjson':
      return { kind, url: checkUrl(required(input.url, 'settings.url')), ...optional('authorization', input.authorization), ...optional('caPem', ca), ...optional('timeoutMs', input.timeout_ms) };
  }
}

function filtersFrom(input: FiltersInput): DestinationFilters {
  for (const [i, category] of (input.categories ?? []).entries()) {
    if (!eventCategoryNames.includes(category)) throw invalid(`filters.categories[${i}]`, `unknown event category ${JSON.stringify(category)}; known: ${eventCategoryNames.join(', ')}`);
  }
  return {
    ...(input.min_level ? { minLevel: input.min_level } : {}),
    ...(input.tags_any?.length ? { tagsAnyOf: input.tags_any } : {}),
    ...(input.categories?.length ? { categories: input.categories } : {}),
  };
}

function retryFrom(input: RetryInput, base: RetryPolicy): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: input.max_attempts ?? base.maxAttempts,
    maxAgeSeconds: input.max_age_s ?? base.maxAgeSeconds,
    initialBackoffMs: input.initial_backoff_ms ?? base.initialBackoffMs,
    maxBackoffMs: input.max_backoff_ms ?? base.maxBackoffMs,
  };
  if (policy.maxBackoffMs < policy.initialBackoffMs) throw invalid('retry.max_backoff_ms', 'retry.max_backoff_ms must be at least retry.initial_backoff_ms');
  return policy;
}

/** Settings of `record` in input form, secrets included: the base an update is merged onto. */
function settingsInputOf(settings: DestinationSettings): SettingsInput {
  switch (settings.kind) {
    case 'syslog':
      return { host: settings.host, port: settings.port, transport: settings.transport, format: settings.format, ca_pem: settings.caPem, server_name: settings.serverName, facility: settings.facility, hostname: settings.hostname, max_message_bytes: settings.maxMessageBytes, timeout_ms: settings.timeoutMs };
    case 'webhook':
      return { url: settings.url, secret: settings.secret, ca_pem: settings.caPem, timeout_ms: settings.timeoutMs };
    case 'http-ndjson':
      return { url: settings.url, authorization: settings.authorization, ca_pem: settings.caPem, timeout_ms: settings.timeoutMs };
  }
}

export function newDestinationFrom(input: DestinationInput): NewDestination {
  const kind = required(input.kind, 'kind');
  if (!destinationKinds.includes(kind)) throw invalid('kind', `kind must be one of ${destinationKinds.join(', ')}`);
  return {
    name: required(input.name, 'name'),
    kind,
    stream: input.stream ?? 'alerts',
    settings: settingsFrom(kind, input.settings ?? {}),
    filters: filtersFrom(input.filters ?? {}),
    retry: retryFrom(input.retry ?? {}, defaultRetryPolicy),
    batchSize: input.batch_size ?? DEFAULT_BATCH_SIZE,
    enabled: input.enabled ?? true,
  };
}

/** An update: given settings keys replace the stored ones (secrets are kept unless given), filters and retry replace per key. */
export function updatedDestinationFrom(current: DestinationRecord, input: DestinationInput): Omit<NewDestination, 'kind' | 'stream'> {
  if (input.kind !== undefined && input.kind !== current.kind) throw invalid('kind', 'the kind of a destination cannot change; create a new one');
  if (input.stream !== undefined && input.stream !== current.stream) throw invalid('stream', 'the stream of a destination cannot change; create a new one');
  const currentFilters: FiltersInput = { min_level: current.filters.minLevel, tags_any: current.filters.tagsAnyOf ? [...current.filters.tagsAnyOf] : undefined, categories: current.filters.categories ? [...current.filters.categories] : undefined };
  return {
    name: input.name ?? current.name,
    settings: settingsFrom(current.kind, { ...settingsInputOf(current.settings), ...(input.settings ?? {}) }),
    filters: filtersFrom({ ...currentFilters, ...(input.filters ?? {}) }),
    retry: retryFrom(input.retry ?? {}, current.retry),
    batchSize: input.batch_size ?? current.batchSize,
    enabled: input.enabled ?? current.enabled,
  };
}

export function destinationView(record: DestinationRecord) {
  const { secret, authorization, ...rest } = settingsInputOf(record.settings);
  const settings = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    stream: record.stream,
    enabled: record.enabled,
    settings: { ...settings, ...(record.kind === 'webhook' ? { secret_set: Boolean(secret) } : {}), ...(record.kind === 'http-ndjson' ? { authorization_set: Boolean(authorization) } : {}) },
    filters: { min_level: record.filters.minLevel ?? null, tags_any: record.filters.tagsAnyOf ?? [], categories: record.filters.categories ?? [] },
    retry: { max_attempts: record.retry.maxAttempts, max_age_s: record.retry.maxAgeSeconds, initial_backoff_ms: record.retry.initialBackoffMs, max_backoff_ms: record.retry.maxBackoffMs },
    batch_size: record.batchSize,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

export function statusView(record: DestinationRecord, status: DestinationStatus) {
  return {
    destination_id: record.id,
    name: record.name,
    kind: record.kind,
    stream: record.stream,
    enabled: record.enabled,
    pending: status.pending,
    sent: status.sent,
    failed_attempts: status.failedAttempts,
    consecutive_failures: status.consecutiveFailures,
    dead: status.dead,
    last_success_at: status.lastSuccessAt,
    last_error: status.lastError,
    last_error_at: status.lastErrorAt,
    next_attempt_at: status.nextAttemptMs > 0 ? new Date(status.nextAttemptMs).toISOString() : null,
    cursor: status.cursor ? { ingested: status.cursor.ingested, event_id: status.cursor.eventId } : null,
  };
}

