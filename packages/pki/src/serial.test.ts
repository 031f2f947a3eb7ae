import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { createCertificateAuthority, issueClientCertificate, generateKeyPair, normalizeSerial, parseCertificate } from './index.js';
import { x509 } from './internal/x509.js';

const isInvalidInput = (error: unknown): boolean => error instanceof VigilError && error.code === 'invalid_input';

test('normalizeSerial gives lowercase hex without leading zero bytes and an even digit count', () => {
  assert.equal(normalizeSerial('0A1B2C'), '0a1b2c');
  assert.equal(normalizeSerial('000a1b2c'), '0a1b2c');
  assert.equal(normalizeSerial('a1b2c'), '0a1b2c');
  assert.equal(normalizeSerial('0x0A:1B:2C'), '0a1b2c');
  assert.equal(normalizeSerial('00FF'), 'ff');
  assert.equal(normalizeSerial('0'), '00');
  assert.throws(() => normalizeSerial('xyz'), isInvalidInput);
  assert.throws(() => normalizeSerial(''), isInvalidInput);
});

test('issued serials are positive 16-byte values in canonical form', async () => {
  const ca = await createCertificateAuthority({ commonName: 'Serial Test CA' });
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const { serialNumber, certPem } = await issueClientCertificate(ca, { publicKeyPem: generateKeyPair().publicKeyPem, commonName: `agent-${i}` });
    assert.match(serialNumber, /^(?:[0-9a-f]{2}){1,16}$/);
    if (serialNumber.length === 32) assert.ok(parseInt(serialNumber.slice(0, 2), 16) < 0x80, serialNumber);
    assert.equal(normalizeSerial(serialNumber), serialNumber);
    assert.equal(parseCertificate(certPem).serialNumber, serialNumber);
    assert.equal(new X509Certificate(certPem).serialNumber.toLowerCase(), serialNumber);
    seen.add(serialNumber);
  }
  assert.equal(seen.size, 20);
});

// Guards the 1-in-16 and 1-in-256 cases a random serial rarely hits: a leading zero nibble and a leading zero byte.
test('serials with leading zeros read the same through @peculiar/x509, OpenSSL and normalizeSerial', async () => {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  for (const written of ['0a' + '11'.repeat(15), '00' + '0b' + '22'.repeat(14), '00' + 'ff' + '33'.repeat(14)]) {
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: written,
      name: [{ CN: ['leading zeros'] }],
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const pem = cert.toString('pem');
    const openssl = new X509Certificate(pem).serialNumber;
    assert.equal(parseCertificate(pem).serialNumber, normalizeSerial(written), written);
    assert.equal(openssl.toLowerCase(), normalizeSerial(written), written);
    assert.equal(normalizeSerial(openssl), normalizeSerial(written), written);
  }
});
