// Vigil's exporters: Syslog (RFC 5424 with JSON, CEF or LEEF payloads), signed webhooks and NDJSON over HTTP.
// Exporters only send; queues, retries and dead letters belong to the server's outbox.

import type { DestinationSettings, Exporter } from './core.js';
import { createHttpNdjsonExporter } from './http-ndjson/http-ndjson-exporter.js';
import { createSyslogExporter } from './syslog/syslog-exporter.js';
import { createWebhookExporter } from './webhook/webhook-exporter.js';

export * from './core.js';
export { createSyslogExporter, formatSyslogMessage } from './syslog/syslog-exporter.js';
export { formatRfc5424, escapeParamValue, formatStructuredData, cutUtf8, syslogSeverityOf, VIGIL_SD_ID, DEFAULT_FACILITY, DEFAULT_MAX_MESSAGE_BYTES, type Rfc5424Fields, type SdElement } from './syslog/rfc5424.js';
export { parseRfc5424, type ParsedSyslog } from './syslog/rfc5424-parse.js';
export { formatCef, escapeCefHeader, escapeCefValue, cefSeverityOf } from './syslog/cef.js';
export { formatLeef, escapeLeefHeader, cleanLeefValue, leefSeverityOf, LEEF_TIME_FORMAT } from './syslog/leef.js';
export { frameOctetCounted, createOctetCountedDecoder, MAX_FRAME_BYTES } from './syslog/framing.js';
export { createWebhookExporter, webhookBody, type WebhookBody } from './webhook/webhook-exporter.js';
export { signWebhook, verifyWebhookSignature, computeSignature, TIMESTAMP_HEADER, SIGNATURE_HEADER, DEFAULT_TOLERANCE_SECONDS, type SignatureCheck, type VerifyWebhookOptions } from './webhook/signature.js';
export { createHttpNdjsonExporter, ndjsonBody } from './http-ndjson/http-ndjson-exporter.js';

/** The exporter for a destination's settings (the one place that lists the implementations). */
export function createExporter(settings: DestinationSettings): Exporter {
  switch (settings.kind) {
    case 'syslog':
      return createSyslogExporter(settings);
    case 'webhook':
      return createWebhookExporter(settings);
    case 'http-ndjson':
      return createHttpNdjsonExporter(settings);
  }
}
