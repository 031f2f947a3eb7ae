// Webhook exporter: conformance against a local HTTPS receiver that checks every signature, plus signature
// verification cases (valid, tampered body, stale or future timestamp, malformed headers, rotated secrets).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createCertificateAuthority, issueServerCertificate } from '@vigil/pki';
import { runExporterConformance } from '../conformance.case.test.js';
import { startHttpReceiver, type ReceivedRequest } from '../testing/receivers.js';
import { alertRecord } from '../testing/samples.js';
import { computeSignature, signWebhook, verifyWebhookSignature } from './signature.js';
import { createWebhookExporter, type WebhookBody } from './webhook-exporter.js';

const SECRET = 'whsec-test-0123456789';
let tlsIdentity: { keyPem: string; certPem: string };
let caPem: string;
before(async () => {
  const ca = await createCertificateAuthority({ commonName: 'Webhook test CA' });
  const server = await issueServerCertificate(ca, { commonName: 'webhook receiver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  tlsIdentity = { keyPem: server.keyPem, certPem: server.certPem };
  caPem = ca.certPem;
});

function checkedBody(request: ReceivedRequest): WebhookBody {
  const check = verifyWebhookSignature({ secret: SECRET, body: request.body, timestamp: request.headers['x-vigil-timestamp'] as string, signature: request.headers['x-vigil-signature'] as string });
  assert.deepEqual(check, { valid: true });
  assert.equal(request.headers['content-type'], 'application/json');
  return JSON.parse(request.body.toString('utf8')) as WebhookBody;
}

runExporterConformance({
  name: 'webhook over HTTPS',
  async create() {
    const receiver = await startHttpReceiver({ tlsIdentity });
    const exporter = createWebhookExporter({ kind: 'webhook', url: receiver.url, secret: SECRET, caPem, timeoutMs: 2000 });
    let stopped = false;
    return {
      exporter,
      received: () =>
        receiver.requests.flatMap((request) =>
          checkedBody(request).records.map((record) => {
            if (record.type === 'alert') {
              const alert = record.alert as { id: string; ruleTitle: string };
              return { id: alert.id, text: alert.ruleTitle };
            }
            const event = record.event as Record<string, string>;
            return { id: event['event.id']!, text: event['process.command_line']! };
          }),
        ),
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

test('a receiver answering 500 makes send fail with unavailable naming the status', async () => {
  const receiver = await startHttpReceiver({ tlsIdentity, answer: () => 500 });
  const exporter = createWebhookExporter({ kind: 'webhook', url: receiver.url, secret: SECRET, caPem });
  try {
    await assert.rejects(exporter.send([alertRecord()]), (error: { code?: string; message?: string }) => error.code === 'unavailable' && /answered 500/.test(error.message ?? ''));
    assert.equal(receiver.requests.length, 1);
  } finally {
    await receiver.stop();
  }
});

const now = Date.UTC(2026, 11, 4, 12, 0, 0);
const body = '{"records":[]}';

test('a signature made with the secret over "<timestamp>.<body>" verifies', () => {
  const { timestamp, signature } = signWebhook(SECRET, body, now);
  assert.equal(timestamp, String(now / 1000));
  assert.equal(signature, `v1=${computeSignature(SECRET, timestamp, body)}`);
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature, nowMs: now + 60_000 }), { valid: true });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body: Buffer.from(body), timestamp, signature, nowMs: now }), { valid: true });
});

test('a tampered body, timestamp or secret is a mismatch', () => {
  const { timestamp, signature } = signWebhook(SECRET, body, now);
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body: body.replace('[]', '[1]'), timestamp, signature, nowMs: now }), { valid: false, reason: 'mismatch' });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: String(Number(timestamp) + 1), signature, nowMs: now }), { valid: false, reason: 'mismatch' });
  assert.deepEqual(verifyWebhookSignature({ secret: 'other', body, timestamp, signature, nowMs: now }), { valid: false, reason: 'mismatch' });
});

test('a timestamp outside the tolerance window is stale, in the past and in the future', () => {
  const { timestamp, signature } = signWebhook(SECRET, body, now);
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature, nowMs: now + 301_000 }), { valid: false, reason: 'stale' });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature, nowMs: now - 301_000 }), { valid: false, reason: 'stale' });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature, nowMs: now + 20_000, toleranceSeconds: 10 }), { valid: false, reason: 'stale' });
});

test('missing or malformed headers are malformed; any of several v1 entries may match', () => {
  const { timestamp, signature } = signWebhook(SECRET, body, now);
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: undefined, signature, nowMs: now }), { valid: false, reason: 'malformed' });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp: '12.5', signature, nowMs: now }), { valid: false, reason: 'malformed' });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature: 'sha256=abc', nowMs: now }), { valid: false, reason: 'malformed' });
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature: 'v1=zz', nowMs: now }), { valid: false, reason: 'malformed' });
  const rotated = `v1=${computeSignature('old-secret', timestamp, body)}, ${signature}`;
  assert.deepEqual(verifyWebhookSignature({ secret: SECRET, body, timestamp, signature: rotated, nowMs: now }), { valid: true });
});
