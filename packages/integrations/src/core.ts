// Contracts of Vigil's exporters: what is exported (alerts and raw events), the Exporter seam and destination settings.
// Exporters never queue, retry or persist anything: durability and retries belong to the caller (the server outbox).

import { categories } from '@vigil/schema';

export type AlertLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const alertLevels: readonly AlertLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** An alert as exported; the server's AlertRecord satisfies it. */
export interface ExportAlert {
  id: string;
  ruleId: string;
  ruleTitle: string;
  level: AlertLevel;
  kind: string;
  tags: readonly string[];
  hostId: string;
  processKey: string | null;
  firstSeen: string;
  lastSeen: string;
  count: number;
  eventIds: readonly string[];
  fields: readonly { field: string; value: unknown }[];
  createdAt: string;
}

/** A stored event: Vigil's flat object with dotted keys (docs/schema.md), including `event.id` and `event.ingested`. */
export type ExportEvent = Readonly<Record<string, unknown>>;

export type ExportRecord = { type: 'alert'; alert: ExportAlert } | { type: 'event'; event: ExportEvent };

/**
 * One destination's sender. Lifecycle: created from settings, `send` any number of times, `close` once.
 * `send` is never called concurrently on one exporter; it resolves once the destination accepted every record
 * (for syslog: once written to the socket, the protocol has no acknowledgement) and keeps the records' order.
 * It throws VigilError `unavailable` when the destination refused or could not be reached (the caller retries),
 * `invalid_config` when the settings cannot work (bad CA, bad URL). After `close`, `send` throws `unavailable`.
 */
export interface Exporter {
  readonly kind: DestinationKind;
  send(records: readonly ExportRecord[]): Promise<void>;
  close(): Promise<void>;
}

export type DestinationKind = 'syslog' | 'webhook' | 'http-ndjson';
export const destinationKinds: readonly DestinationKind[] = ['syslog', 'webhook', 'http-ndjson'];

export type SyslogTransport = 'udp' | 'tcp' | 'tls';
export type SyslogFormat = 'rfc5424' | 'cef' | 'leef';

export interface SyslogSettings {
  kind: 'syslog';
  host: string;
  port: number;
  transport: SyslogTransport;
  format: SyslogFormat;
  /** PEM of the CA that issued the receiver's certificate (TLS); the system CAs when absent. */
  caPem?: string;
  /** TLS server name to verify; `host` when absent. */
  serverName?: string;
  /** Syslog facility 0..23; default 13 (log audit) is not used by most daemons, so it is easy to route. */
  facility?: number;
  /** HOSTNAME header field; the machine's host name when absent. */
  hostname?: string;
  /** Longest message in octets (header included); longer messages have their MSG cut at a character boundary. Default 8192. */
  maxMessageBytes?: number;
  /** Connect and write timeout, default 10 000 ms. */
  timeoutMs?: number;
}

export interface WebhookSettings {
  kind: 'webhook';
  /** http or https URL that receives `POST` JSON. */
  url: string;
  /** Shared secret of the HMAC-SHA256 signature. */
  secret: string;
  caPem?: string;
  timeoutMs?: number;
}

export interface HttpNdjsonSettings {
  kind: 'http-ndjson';
  url: string;
  /** Sent as the `Authorization` header when set (for example `Bearer <token>` or `Splunk <token>`). */
  authorization?: string;
  caPem?: string;
  timeoutMs?: number;
}

export type DestinationSettings = SyslogSettings | WebhookSettings | HttpNdjsonSettings;

/** Which records reach a destination. Alerts pass `minLevel` and `tagsAnyOf`; events pass `categories`. Empty or absent means all. */
export interface DestinationFilters {
  minLevel?: AlertLevel;
  tagsAnyOf?: readonly string[];
  categories?: readonly string[];
}

export const eventCategoryNames: readonly string[] = categories.map((c) => c.name);

export function alertPasses(filters: DestinationFilters, alert: Pick<ExportAlert, 'level' | 'tags'>): boolean {
  if (filters.minLevel && alertLevels.indexOf(alert.level) < alertLevels.indexOf(filters.minLevel)) return false;
  if (filters.tagsAnyOf?.length && !alert.tags.some((tag) => filters.tagsAnyOf!.includes(tag))) return false;
  return true;
}

export function eventPasses(filters: DestinationFilters, event: ExportEvent): boolean {
  if (filters.categories?.length && !filters.categories.includes(String(event['event.category']))) return false;
  return true;
}
