import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { VigilError } from '@vigil/common';
import {
  certificateFingerprint,
  createCertificateAuthority,
  generateKeyPair,
  issueClientCertificate,
  issueServerCertificate,
  parseCertificate,
  verifyIssuedBy,
} from './index.js';
import { x509 } from './internal/x509.js';

const isInvalidInput = (error: unknown): boolean => error instanceof VigilError && error.code === 'invalid_input';
const DAY_MS = 86_400_000;

const ca = await createCertificateAuthority({ commonName: 'Vigil Test CA' });
const otherCa = await createCertificateAuthority({ commonName: 'Other CA' });

test('generateKeyPair returns an EC P-256 PKCS8/SPKI PEM pair', () => {
  const { privateKeyPem, publicKeyPem } = generateKeyPair();
  assert.match(privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
  const key = createPublicKey(publicKeyPem);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }), publicKeyPem);
});

test('the CA is a self-signed P-256 root with critical CA:true pathlen 0 and keyCertSign|cRLSign', () => {
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.ca, true);
  assert.equal(cert.subject, 'CN=Vigil Test CA');
  assert.equal(cert.issuer, 'CN=Vigil Test CA');
  assert.ok(cert.verify(cert.publicKey));
  assert.ok(cert.checkPrivateKey(createPrivateKey(ca.keyPem)));
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const peculiar = new x509.X509Certificate(ca.certPem);
  const constraints = peculiar.getExtension(x509.BasicConstraintsExtension);
  assert.deepEqual([constraints?.critical, constraints?.ca, constraints?.pathLength], [true, true, 0]);
  const usage = peculiar.getExtension(x509.KeyUsagesExtension);
  assert.deepEqual([usage?.critical, usage?.usages], [true, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign]);
  assert.match(peculiar.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '', /^[0-9a-f]{40}$/);
  const parsed = parseCertificate(ca.certPem);
  assert.ok(Math.abs(parsed.notAfter.getTime() - Date.now() - 3650 * DAY_MS) < 60_000);
});

test('a server certificate carries DNS and IPv4/IPv6 SANs, serverAuth and the CA key id', async () => {
  const server = await issueServerCertificate(ca, {
    commonName: 'vigil-server',
    dnsNames: ['localhost', 'Vigil.Example.org'],
    ipAddresses: ['127.0.0.1', '::1', '2001:db8::7'],
  });
  const cert = new X509Certificate(server.certPem);
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkHost('vigil.example.org'), 'vigil.example.org');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkIP('::1'), '::1');
  assert.equal(cert.checkIP('2001:db8:0:0:0:0:0:7'), '2001:db8:0:0:0:0:0:7');
  assert.equal(cert.checkIP('10.0.0.1'), undefined);
  assert.ok(cert.checkPrivateKey(createPrivateKey(server.keyPem)));
  assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  const peculiar = new x509.X509Certificate(server.certPem);
  const usage = peculiar.getExtension(x509.KeyUsagesExtension);
  assert.deepEqual([usage?.critical, usage?.usages], [true, x509.KeyUsageFlags.digitalSignature]);
  const caKeyId = new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  assert.ok(caKeyId);
  assert.equal(peculiar.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
  const parsed = parseCertificate(server.certPem);
  assert.equal(parsed.serialNumber, server.serialNumber);
  assert.equal(parsed.subjectCommonName, 'vigil-server');
  assert.equal(parsed.issuerCommonName, 'Vigil Test CA');
  assert.ok(Math.abs(parsed.notAfter.getTime() - Date.now() - 825 * DAY_MS) < 60_000);
  assert.ok(parsed.notBefore.getTime() <= Date.now());
  assert.equal(await verifyIssuedBy(server.certPem, ca.certPem), true);
});

test('a client certificate binds the agent public key and id, with clientAuth', async () => {
  const agent = generateKeyPair();
  const issued = await issueClientCertificate(ca, { publicKeyPem: agent.publicKeyPem, commonName: 'agent-7f3a', validityDays: 30 });
  const cert = new X509Certificate(issued.certPem);
  assert.equal(cert.subject, 'CN=agent-7f3a');
  assert.ok(cert.checkPrivateKey(createPrivateKey(agent.privateKeyPem)));
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.ca, false);
  const parsed = parseCertificate(issued.certPem);
  assert.equal(parsed.serialNumber, issued.serialNumber);
  assert.equal(parsed.subjectCommonName, 'agent-7f3a');
  assert.equal(parsed.notAfter.getTime(), issued.notAfter.getTime());
  assert.equal(parsed.fingerprintSha256, certificateFingerprint(issued.certPem));
  assert.ok(Math.abs(issued.notAfter.getTime() - Date.now() - 30 * DAY_MS) < 60_000);
});

test('verifyIssuedBy checks the issuer, the signature and both validity windows', async () => {
  const issued = await issueClientCertificate(ca, { publicKeyPem: generateKeyPair().publicKeyPem, commonName: 'agent-1', validityDays: 1 });
  assert.equal(await verifyIssuedBy(issued.certPem, ca.certPem), true);
  assert.equal(await verifyIssuedBy(issued.certPem, otherCa.certPem), false);
  assert.equal(await verifyIssuedBy(issued.certPem, ca.certPem, new Date(Date.now() + 2 * DAY_MS)), false);
  assert.equal(await verifyIssuedBy(issued.certPem, ca.certPem, new Date(Date.now() - DAY_MS)), false);
  const server = await issueServerCertificate(ca, { commonName: 's', dnsNames: ['localhost'], ipAddresses: [] });
  assert.equal(await verifyIssuedBy(issued.certPem, server.certPem), false, 'a leaf is not a CA');
  // Same subject name, different key: only the signature tells them apart.
  const impostor = await createCertificateAuthority({ commonName: 'Vigil Test CA' });
  assert.equal(await verifyIssuedBy(issued.certPem, impostor.certPem), false);
  await assert.rejects(verifyIssuedBy('garbage', ca.certPem), isInvalidInput);
  await assert.rejects(verifyIssuedBy(issued.certPem, 'garbage'), isInvalidInput);
});

test('issueClientCertificate accepts only an EC P-256 SPKI PEM public key', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const wrongKeys = {
    'RSA': rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'P-384': generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'secp256k1': generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'Ed25519': generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'a private key': generateKeyPair().privateKeyPem,
    'a certificate': ca.certPem,
    'garbage': 'hello',
    'a corrupt PEM': '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
    'an empty string': '',
  };
  for (const [what, publicKeyPem] of Object.entries(wrongKeys)) {
    await assert.rejects(issueClientCertificate(ca, { publicKeyPem, commonName: 'agent' }), (error: unknown) => {
      assert.ok(isInvalidInput(error), `${what}: ${String(error)}`);
      assert.match((error as Error).message, /publicKeyPem/);
      return true;
    });
  }
  await assert.rejects(issueClientCertificate(ca, { publicKeyPem: wrongKeys['P-384'], commonName: 'agent' }), /EC P-256.*secp384r1/);
  await assert.rejects(issueClientCertificate(ca, { publicKeyPem: wrongKeys['a private key'], commonName: 'agent' }), /private key/);
});

test('bad options and bad CAs give invalid_input', async () => {
  const publicKeyPem = generateKeyPair().publicKeyPem;
  await assert.rejects(createCertificateAuthority({ commonName: '' }), isInvalidInput);
  await assert.rejects(createCertificateAuthority({ commonName: 'x'.repeat(65) }), isInvalidInput);
  await assert.rejects(createCertificateAuthority({ commonName: 'ca', validityDays: 0 }), isInvalidInput);
  await assert.rejects(createCertificateAuthority({ commonName: 'ca', validityDays: 1.5 }), isInvalidInput);
  await assert.rejects(issueClientCertificate(ca, { publicKeyPem, commonName: 'a\nb' }), isInvalidInput);
  await assert.rejects(issueServerCertificate(ca, { commonName: 's', dnsNames: [], ipAddresses: [] }), isInvalidInput);
  await assert.rejects(issueServerCertificate(ca, { commonName: 's', dnsNames: ['bad name'], ipAddresses: [] }), isInvalidInput);
  await assert.rejects(issueServerCertificate(ca, { commonName: 's', dnsNames: [], ipAddresses: ['300.1.1.1'] }), isInvalidInput);
  await assert.rejects(issueServerCertificate(ca, { commonName: 's', dnsNames: [], ipAddresses: ['fe80::1%eth0'] }), isInvalidInput);
  await assert.rejects(issueServerCertificate(ca, { commonName: 's', dnsNames: [], ipAddresses: ['10.0.0.0/8'] }), isInvalidInput);
  await assert.rejects(issueClientCertificate({ certPem: ca.certPem, keyPem: otherCa.keyPem }, { publicKeyPem, commonName: 'a' }), /does not belong/);
  await assert.rejects(issueClientCertificate({ certPem: 'nope', keyPem: ca.keyPem }, { publicKeyPem, commonName: 'a' }), isInvalidInput);
  await assert.rejects(issueClientCertificate({ certPem: ca.certPem, keyPem: 'nope' }, { publicKeyPem, commonName: 'a' }), isInvalidInput);
  const leaf = await issueServerCertificate(ca, { commonName: 's', dnsNames: ['localhost'], ipAddresses: [] });
  await assert.rejects(issueClientCertificate({ certPem: leaf.certPem, keyPem: leaf.keyPem }, { publicKeyPem, commonName: 'a' }), /not a CA/);
});

test('a private key never appears in an error message', async () => {
  const agent = generateKeyPair();
  const body = agent.privateKeyPem.split('\n')[1] ?? '';
  await assert.rejects(issueClientCertificate(ca, { publicKeyPem: agent.privateKeyPem, commonName: 'a' }), (error: unknown) => {
    assert.ok(!(error as Error).message.includes(body));
    return true;
  });
  await assert.rejects(issueClientCertificate({ certPem: ca.certPem, keyPem: otherCa.keyPem }, { publicKeyPem: agent.publicKeyPem, commonName: 'a' }), (error: unknown) => {
    assert.ok(!(error as Error).message.includes(otherCa.keyPem.split('\n')[1] ?? ''));
    return true;
  });
});

test('parseCertificate refuses bad PEM with invalid_input', () => {
  for (const bad of ['', 'garbage', ca.keyPem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----']) {
    assert.throws(() => parseCertificate(bad), isInvalidInput, bad);
  }
  assert.throws(() => parseCertificate(undefined as unknown as string), isInvalidInput);
});
