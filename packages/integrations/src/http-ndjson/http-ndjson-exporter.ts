// The NDJSON exporter for SIEM collectors: one POST per batch, one JSON object per line (the raw event, or the alert).
// Never reorders records and never reports a non-2xx answer as delivered.

import { VigilError, VIGIL_VERSION } from '@vigil/common';
import type { Exporter, ExportRecord, HttpNdjsonSettings } from '../core.js';
import { postOnce } from '../internal/http-post.js';

export function ndjsonBody(records: readonly ExportRecord[]): string {
  return records.map((r) => JSON.stringify(r.type === 'alert' ? { 'vigil.record': 'alert', ...r.alert } : r.event) + '\n').join('');
}

export function createHttpNdjsonExporter(settings: HttpNdjsonSettings): Exporter {
  let closed = false;
  return {
    kind: 'http-ndjson',
    async send(records) {
      if (closed) throw new VigilError('unavailable', 'the NDJSON exporter is closed');
      if (!records.length) return;
      await postOnce({
        url: settings.url,
        body: Buffer.from(ndjsonBody(records), 'utf8'),
        headers: { 'content-type': 'application/x-ndjson', 'user-agent': `vigil/${VIGIL_VERSION}`, ...(settings.authorization ? { authorization: settings.authorization } : {}) },
        ...(settings.caPem ? { caPem: settings.caPem } : {}),
        timeoutMs: settings.timeoutMs ?? 30_000,
      });
    },
    async close() {
      closed = true;
    },
  };
}
