// NDJSON exporter: conformance against a local HTTPS receiver that parses every line, plus the body and headers.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createCertificateAuthority, issueServerCertificate } from '@vigil/pki';
import { runExporterConformance } from '../conformance.case.test.js';
import { startHttpReceiver } from '../testing/receivers.js';
import { alertRecord, eventRecord } from '../testing/samples.js';
import { createHttpNdjsonExporter, ndjsonBody } from './http-ndjson-exporter.js';

let tlsIdentity: { keyPem: string; certPem: string };
let caPem: string;
before(async () => {
  const ca = await createCertificateAuthority({ commonName: 'NDJSON test CA' });
  const server = await issueServerCertificate(ca, { commonName: 'ndjson receiver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  tlsIdentity = { keyPem: server.keyPem, certPem: server.certPem };
  caPem = ca.certPem;
});

runExporterConformance({
  name: 'http-ndjson over HTTPS',
  async create() {
    const receiver = await startHttpReceiver({ tlsIdentity });
    const exporter = createHttpNdjsonExporter({ kind: 'http-ndjson', url: receiver.url, caPem, timeoutMs: 2000 });
    let stopped = false;
    return {
      exporter,
      received: () =>
        receiver.requests.flatMap((request) => {
          const text = request.body.toString('utf8');
          assert.ok(text.endsWith('\n'));
          return text
            .slice(0, -1)
            .split('\n')
            .map((line) => {
              const row = JSON.parse(line) as Record<string, string>;
              return row['vigil.record'] === 'alert' ? { id: row.id!, text: row.ruleTitle! } : { id: row['event.id']!, text: row['process.command_line']! };
            });
        }),
      stopReceiver: async () => {
        stopped = true;
        await receiver.stop();
      },
      dispose: async () => {
        await exporter.close();
        if (!stopped) await receiver.stop();
      },
    };
  },
});

test('the body is one raw event per line, unchanged, with the content type and authorization header', async () => {
  const receiver = await startHttpReceiver({ tlsIdentity });
  const exporter = createHttpNdjsonExporter({ kind: 'http-ndjson', url: receiver.url, caPem, authorization: 'Splunk abc' });
  try {
    const records = [eventRecord({ 'process.command_line': 'a\nb "c"' }), eventRecord()];
    await exporter.send(records);
    const request = receiver.requests[0]!;
    assert.equal(request.headers['content-type'], 'application/x-ndjson');
    assert.equal(request.headers.authorization, 'Splunk abc');
    const lines = request.body.toString('utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.slice(0, 2).map((l) => JSON.parse(l)), records.map((r) => (r.type === 'event' ? r.event : null)));
    assert.equal(ndjsonBody([alertRecord({ id: 'a1' })]).startsWith('{"vigil.record":"alert","id":"a1"'), true);
  } finally {
    await exporter.close();
    await receiver.stop();
  }
});
