// The webhook exporter: one signed JSON POST per batch of records (alerts and events in arrival order).
// Never sends without a signature and never reports a non-2xx answer as delivered.

import { VigilError, VIGIL_VERSION } from '@vigil/common';
import type { Exporter, ExportRecord, WebhookSettings } from '../core.js';
import { postOnce } from '../internal/http-post.js';
import { signWebhook } from './signature.js';

export interface WebhookBody {
  source: 'vigil';
  version: string;
  sent_at: string;
  records: ({ type: 'alert'; alert: unknown } | { type: 'event'; event: unknown })[];
}

export function webhookBody(records: readonly ExportRecord[], nowMs = Date.now()): string {
  const body: WebhookBody = { source: 'vigil', version: VIGIL_VERSION, sent_at: new Date(nowMs).toISOString(), records: records.map((r) => (r.type === 'alert' ? { type: 'alert', alert: r.alert } : { type: 'event', event: r.event })) };
  return JSON.stringify(body);
}

export function createWebhookExporter(settings: WebhookSettings): Exporter {
  if (!settings.secret) throw new VigilError('invalid_config', 'a webhook needs a signing secret');
  let closed = false;
  return {
    kind: 'webhook',
    async send(records) {
      if (closed) throw new VigilError('unavailable', 'the webhook exporter is closed');
      if (!records.length) return;
      const now = Date.now();
      const body = Buffer.from(webhookBody(records, now), 'utf8');
      const { timestamp, signature } = signWebhook(settings.secret, body, now);
      await postOnce({
        url: settings.url,
        body,
        headers: { 'content-type': 'application/json', 'user-agent': `vigil/${VIGIL_VERSION}`, 'x-vigil-timestamp': timestamp, 'x-vigil-signature': signature },
        ...(settings.caPem ? { caPem: settings.caPem } : {}),
        timeoutMs: settings.timeoutMs ?? 10_000,
      });
    },
    async close() {
      closed = true;
    },
  };
}
