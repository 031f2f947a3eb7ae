// Loads or creates the server's certificate authority and HTTPS certificate under <dataDir>/pki.
// Private keys are written 0600 and never leave this folder; the CA key signs only server and agent certificates.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces, hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '@vigil/common';
import { certificateFingerprint, createCertificateAuthority, issueServerCertificate, parseCertificate, type CertificateAuthority } from '@vigil/pki';

export interface ServerPki {
  ca: CertificateAuthority;
  caFingerprint: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const log = createLogger('server.pki');

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function localNames(extra: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const names = new Set<string>(['localhost', hostname(), ...extra]);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const item of list ?? []) if (!item.internal || item.family === 'IPv4') ips.add(item.address.split('%')[0]!);
  for (const name of [...names]) if (isIP(name)) { names.delete(name); ips.add(name); }
  return { dnsNames: [...names].filter(Boolean), ipAddresses: [...ips] };
}

export async function loadOrCreatePki(dataDir: string, publicNames: readonly string[]): Promise<ServerPki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  let ca: CertificateAuthority;
  if (existsSync(caCert) && existsSync(caKey)) {
    ca = { certPem: readFileSync(caCert, 'utf8'), keyPem: readFileSync(caKey, 'utf8') };
  } else {
    ca = await createCertificateAuthority({ commonName: `Vigil CA ${hostname()}` });
    writeSecret(caKey, ca.keyPem);
    writeFileSync(caCert, ca.certPem);
    log.info('created certificate authority', { fingerprint: certificateFingerprint(ca.certPem) });
  }
  const serverCert = join(dir, 'server.crt');
  const serverKey = join(dir, 'server.key');
  const names = localNames(publicNames);
  const wanted = JSON.stringify(names);
  const namesFile = join(dir, 'server.names.json');
  const fresh =
    existsSync(serverCert) && existsSync(serverKey) && existsSync(namesFile) && readFileSync(namesFile, 'utf8') === wanted &&
    parseCertificate(readFileSync(serverCert, 'utf8')).notAfter.getTime() > Date.now() + 7 * 86400_000;
  if (!fresh) {
    const issued = await issueServerCertificate(ca, { commonName: hostname(), ...names });
    writeSecret(serverKey, issued.keyPem);
    writeFileSync(serverCert, issued.certPem);
    writeFileSync(namesFile, wanted);
    log.info('issued server certificate', names);
  }
  return {
    ca,
    caFingerprint: certificateFingerprint(ca.certPem),
    serverCertPem: readFileSync(serverCert, 'utf8'),
    serverKeyPem: readFileSync(serverKey, 'utf8'),
  };
}
