import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import {
  certificateFingerprint,
  createCertificateAuthority,
  generateKeyPair,
  issueClientCertificate,
  issueServerCertificate,
  normalizeSerial,
  parseCertificate,
  parseFingerprint,
} from './index.js';

const ca = await createCertificateAuthority({ commonName: 'Vigil TLS Test CA' });
const otherCa = await createCertificateAuthority({ commonName: 'Other TLS Test CA' });
const server = await issueServerCertificate(ca, { commonName: 'vigil-server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });

async function agentCredentials(issuer: typeof ca, agentId: string) {
  const keys = generateKeyPair();
  const issued = await issueClientCertificate(issuer, { publicKeyPem: keys.publicKeyPem, commonName: agentId });
  return { key: keys.privateKeyPem, cert: issued.certPem, issued };
}

/** Starts a TLS server on 127.0.0.1 that answers "hello" to every accepted connection, runs `fn`, then closes it. */
async function withServer(
  options: tls.TlsOptions,
  fn: (port: number, accepted: tls.TLSSocket[], srv: tls.Server) => Promise<void>,
): Promise<void> {
  const accepted: tls.TLSSocket[] = [];
  const srv = tls.createServer(options, (socket) => {
    accepted.push(socket);
    socket.end('hello');
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  try {
    await fn((srv.address() as AddressInfo).port, accepted, srv);
  } finally {
    srv.close();
    await once(srv, 'close');
  }
}

/** Connects, reads to the end and resolves with what the server sent; rejects on any TLS error. */
function fetchHello(options: tls.ConnectionOptions): Promise<{ data: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve({ data, authorized: socket.authorized }));
  });
}

/**
 * Connects and resolves with how the server refused the handshake: Node reports a failed chain check as
 * `authorizationError` on the socket (the event's error is then a generic reset), a missing certificate as the error itself.
 */
async function refusedByServer(srv: tls.Server, options: tls.ConnectionOptions): Promise<string> {
  const reported = once(srv, 'tlsClientError');
  const socket = tls.connect(options);
  socket.on('error', () => {});
  socket.resume();
  const [error, serverSide] = (await reported) as [Error & { code?: string }, tls.TLSSocket];
  socket.destroy();
  return String(serverSide.authorizationError ?? error.code ?? error.message);
}

test('the server certificate verifies against the CA for localhost and 127.0.0.1', { timeout: 5000 }, async () => {
  await withServer({ key: server.keyPem, cert: server.certPem }, async (port) => {
    const byName = await fetchHello({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem });
    assert.deepEqual(byName, { data: 'hello', authorized: true });
    const byIp = await fetchHello({ host: '127.0.0.1', port, ca: ca.certPem });
    assert.deepEqual(byIp, { data: 'hello', authorized: true });
    await assert.rejects(fetchHello({ host: '127.0.0.1', port, servername: 'vigil.example.org', ca: ca.certPem }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await assert.rejects(fetchHello({ host: '127.0.0.1', port, servername: 'localhost', ca: otherCa.certPem }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});

test('mTLS: a client certificate from the CA is accepted and the server sees its CN, serial and fingerprint', { timeout: 5000 }, async () => {
  const agent = await agentCredentials(ca, 'agent-0c41d2');
  const mtls = { key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true };
  await withServer(mtls, async (port, accepted) => {
    const reply = await fetchHello({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, key: agent.key, cert: agent.cert });
    assert.deepEqual(reply, { data: 'hello', authorized: true });
    const socket = accepted[0];
    assert.ok(socket);
    assert.equal(socket.authorized, true);
    const peer = socket.getPeerCertificate();
    assert.equal(peer.subject.CN, 'agent-0c41d2');
    assert.equal(peer.issuer.CN, 'Vigil TLS Test CA');
    assert.equal(peer.serialNumber.toLowerCase(), agent.issued.serialNumber);
    assert.equal(normalizeSerial(peer.serialNumber), agent.issued.serialNumber);
    assert.equal(parseCertificate(agent.cert).serialNumber, agent.issued.serialNumber);
    assert.equal(parseFingerprint(peer.fingerprint256), certificateFingerprint(agent.cert));
  });
});

test('mTLS: a client certificate from another CA is refused', { timeout: 5000 }, async () => {
  const stranger = await agentCredentials(otherCa, 'agent-stranger');
  const mtls = { key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true };
  await withServer(mtls, async (port, accepted, srv) => {
    const reason = await refusedByServer(srv, { host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, key: stranger.key, cert: stranger.cert });
    assert.equal(reason, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(accepted.length, 0);
  });
});

test('mTLS: a connection without a client certificate is refused', { timeout: 5000 }, async () => {
  const mtls = { key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true };
  await withServer(mtls, async (port, accepted, srv) => {
    const reason = await refusedByServer(srv, { host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem });
    assert.equal(reason, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    assert.equal(accepted.length, 0);
  });
});

// Guards the extKeyUsage split: the server's own certificate (serverAuth only) must not work as an agent identity.
test('mTLS: a server certificate from the CA is refused as a client certificate', { timeout: 5000 }, async () => {
  const mtls = { key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true };
  await withServer(mtls, async (port, accepted, srv) => {
    const reason = await refusedByServer(srv, { host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, key: server.keyPem, cert: server.certPem });
    assert.equal(reason, 'INVALID_PURPOSE');
    assert.equal(accepted.length, 0);
  });
});
