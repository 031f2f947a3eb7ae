// Runs the exporter conformance suite for syslog over UDP, TCP and TLS with JSON, CEF and LEEF payloads, against
// real local listeners; every received message is checked against the RFC 5424 grammar.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { VigilError } from '@vigil/common';
import { createCertificateAuthority, issueServerCertificate } from '@vigil/pki';
import { runExporterConformance, type ReceivedRecord } from '../conformance.case.test.js';
import type { SyslogFormat, SyslogTransport } from '../core.js';
import { parseCef, parseLeef, startSyslogReceiver } from '../testing/receivers.js';
import { alertRecord } from '../testing/samples.js';
import { parseRfc5424 } from './rfc5424-parse.js';
import { VIGIL_SD_ID } from './rfc5424.js';
import { createSyslogExporter } from './syslog-exporter.js';

let identity: { keyPem: string; certPem: string; caPem: string };
let otherCaPem: string;
before(async () => {
  const ca = await createCertificateAuthority({ commonName: 'Syslog test CA' });
  const server = await issueServerCertificate(ca, { commonName: 'syslog receiver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  identity = { keyPem: server.keyPem, certPem: server.certPem, caPem: ca.certPem };
  otherCaPem = (await createCertificateAuthority({ commonName: 'Unrelated CA' })).certPem;
});

function decode(message: Buffer, format: SyslogFormat): ReceivedRecord {
  const parsed = parseRfc5424(message);
  const alert = parsed.msgId === 'alert';
  if (format === 'cef') {
    assert.equal(parsed.utf8Bom, false);
    const cef = parseCef(parsed.msg);
    return { id: cef.extension.externalId!, text: alert ? cef.name : cef.extension.cs4! };
  }
  if (format === 'leef') {
    const leef = parseLeef(parsed.msg);
    return { id: alert ? leef.attributes.alertId! : leef.attributes.eventId!, text: alert ? leef.attributes.ruleTitle! : leef.attributes.commandLine! };
  }
  assert.equal(parsed.utf8Bom, true);
  const sd = parsed.structuredData.find((e) => e.id === VIGIL_SD_ID)!;
  const body = JSON.parse(parsed.msg) as Record<string, unknown>;
  const id = sd.params.find(([name]) => name === (alert ? 'alert_id' : 'event_id'))![1];
  return { id, text: String(alert ? body.ruleTitle : body['process.command_line']) };
}

const combinations: [SyslogTransport, SyslogFormat][] = [
  ['udp', 'rfc5424'],
  ['tcp', 'rfc5424'],
  ['tls', 'rfc5424'],
  ['udp', 'cef'],
  ['tcp', 'cef'],
  ['tls', 'cef'],
  ['tcp', 'leef'],
];

for (const [transport, format] of combinations) {
  runExporterConformance({
    name: `syslog ${transport} ${format}`,
    async create() {
      const receiver = await startSyslogReceiver(transport, transport === 'tls' ? identity : undefined);
      const exporter = createSyslogExporter({ kind: 'syslog', host: '127.0.0.1', port: receiver.port, transport, format, ...(transport === 'tls' ? { caPem: identity.caPem } : {}), timeoutMs: 2000 });
      let stopped = false;
      return {
        exporter,
        received: () => {
          assert.deepEqual(receiver.errors, []);
          return receiver.messages.map((m) => decode(m, format));
        },
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
}

test('TLS refuses a receiver whose certificate is not from the configured CA, with unavailable', async () => {
  const receiver = await startSyslogReceiver('tls', identity);
  const exporter = createSyslogExporter({ kind: 'syslog', host: '127.0.0.1', port: receiver.port, transport: 'tls', format: 'rfc5424', caPem: otherCaPem, timeoutMs: 2000 });
  try {
    await assert.rejects(exporter.send([alertRecord()]), (error: unknown) => error instanceof VigilError && error.code === 'unavailable' && /certificate/i.test(String((error.cause as Error)?.message ?? error.message)));
    assert.equal(receiver.messages.length, 0);
  } finally {
    await exporter.close();
    await receiver.stop();
  }
});

test('TCP reconnects after the receiver dropped the connection and keeps octet-counted framing', async () => {
  const receiver = await startSyslogReceiver('tcp');
  const exporter = createSyslogExporter({ kind: 'syslog', host: '127.0.0.1', port: receiver.port, transport: 'tcp', format: 'rfc5424', timeoutMs: 2000 });
  try {
    await exporter.send([alertRecord(), alertRecord()]);
    for (let i = 0; i < 100 && receiver.messages.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const restarted = await startSyslogReceiver('tcp');
    await receiver.stop();
    const again = createSyslogExporter({ kind: 'syslog', host: '127.0.0.1', port: restarted.port, transport: 'tcp', format: 'rfc5424', timeoutMs: 2000 });
    await again.send([alertRecord()]);
    for (let i = 0; i < 100 && restarted.messages.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(receiver.messages.length, 2);
    assert.equal(restarted.messages.length, 1);
    parseRfc5424(restarted.messages[0]!);
    await again.close();
    await restarted.stop();
  } finally {
    await exporter.close();
  }
});
