import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { certificateFingerprint, createCertificateAuthority, formatFingerprint, parseFingerprint } from './index.js';

const isInvalidInput = (error: unknown): boolean => error instanceof VigilError && error.code === 'invalid_input';
const ca = await createCertificateAuthority({ commonName: 'Fingerprint Test CA' });

test('certificateFingerprint is the sha256 of the DER as 64 lowercase hex digits', () => {
  const fingerprint = certificateFingerprint(ca.certPem);
  assert.match(fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(fingerprint, new X509Certificate(ca.certPem).fingerprint256.replace(/:/g, '').toLowerCase());
});

test('fingerprint formats round-trip', () => {
  const hex = certificateFingerprint(ca.certPem);
  const formatted = formatFingerprint(hex);
  assert.match(formatted, /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/);
  assert.equal(formatted, new X509Certificate(ca.certPem).fingerprint256);
  assert.equal(parseFingerprint(formatted), hex);
  assert.equal(parseFingerprint(hex), hex);
  assert.equal(parseFingerprint(hex.toUpperCase()), hex);
  assert.equal(parseFingerprint(formatted.toLowerCase()), hex);
  assert.equal(parseFingerprint(`sha256:${hex}`), hex);
  assert.equal(parseFingerprint(`SHA256:${formatted}`), hex);
  assert.equal(parseFingerprint(`  ${formatted}\n`), hex);
  assert.equal(formatFingerprint(formatted), formatted);
  assert.equal(formatFingerprint(`sha256:${hex}`), formatted);
});

test('parseFingerprint refuses anything but a full SHA-256 value', () => {
  const hex = certificateFingerprint(ca.certPem);
  for (const bad of ['', hex.slice(2), `${hex}00`, hex.replace(/^../, 'zz'), `sha1:${hex}`, formatFingerprint(hex).replace(/:/g, '-'), 'AB:CD', `${formatFingerprint(hex)}:`]) {
    assert.throws(() => parseFingerprint(bad), isInvalidInput, bad);
  }
  assert.throws(() => formatFingerprint('abc'), isInvalidInput);
});

test('certificateFingerprint refuses bad PEM with invalid_input', () => {
  assert.throws(() => certificateFingerprint('not a certificate'), isInvalidInput);
  assert.throws(() => certificateFingerprint('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), isInvalidInput);
});
