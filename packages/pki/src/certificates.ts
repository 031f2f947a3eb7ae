// Issues, reads and checks the leaf certificates of Vigil's CA: the server's HTTPS certificate and per-agent mTLS client certificates.
// Must never generate or hold an agent's private key: agents send only their public key, and server keys go straight back to the caller.

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { VigilError } from '@vigil/common';
import type { CertificateAuthority } from './ca.js';
import { importKeyPair, importP256PublicKey } from './internal/crypto.js';
import { checkCommonName, loadCaSigner, signLeaf, validityWindow } from './internal/issue.js';
import { readCertificate } from './internal/pem.js';
import { x509 } from './internal/x509.js';
import { generateKeyPair } from './keys.js';
import { normalizeSerial, randomSerial } from './serial.js';

export interface IssueServerCertificateOptions {
  commonName: string;
  /** DNS subjectAltNames, e.g. `localhost`, `vigil.example.com`, `*.example.com`. */
  dnsNames: string[];
  /** IP subjectAltNames, IPv4 or IPv6 (no zone id, no prefix length). */
  ipAddresses: string[];
  /** Default 825. */
  validityDays?: number;
}

export interface ServerCertificate {
  certPem: string;
  /** PKCS8 PEM of the freshly generated server key. Secret; the caller stores it. */
  keyPem: string;
  /** Canonical form, see normalizeSerial. */
  serialNumber: string;
}

export interface IssueClientCertificateOptions {
  /** SPKI PEM of the agent's EC P-256 public key. */
  publicKeyPem: string;
  /** The agent id; the server reads it back from the peer certificate's CN. */
  commonName: string;
  /** Default 365. */
  validityDays?: number;
}

export interface ClientCertificate {
  certPem: string;
  /** Canonical form, see normalizeSerial. */
  serialNumber: string;
  /** As encoded in the certificate (whole seconds). */
  notAfter: Date;
}

export interface ParsedCertificate {
  /** Canonical form, see normalizeSerial. */
  serialNumber: string;
  /** First CN of the subject, or '' when there is none. */
  subjectCommonName: string;
  /** First CN of the issuer, or '' when there is none. */
  issuerCommonName: string;
  notBefore: Date;
  notAfter: Date;
  /** Same value as certificateFingerprint. */
  fingerprintSha256: string;
}

const DNS_LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);

function sanDnsName(name: unknown): string {
  const lower = typeof name === 'string' ? name.trim().toLowerCase().replace(/\.$/, '') : '';
  if (lower.length > 253 || !DNS_NAME.test(lower)) throw new VigilError('invalid_input', `"${String(name).slice(0, 80)}" is not a valid DNS name`);
  return lower;
}

/** Returns the address in a form @peculiar/x509 encodes correctly (IPv6 always compressed hex, never dotted). */
function sanIpAddress(address: unknown): string {
  const text = typeof address === 'string' ? address.trim() : '';
  const version = isIP(text);
  if (version === 4) return text;
  if (version === 6 && !text.includes('%')) return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  throw new VigilError('invalid_input', `"${String(address).slice(0, 80)}" is not an IPv4 or IPv6 address`);
}

function stringList(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new VigilError('invalid_input', `${what} must be an array of strings`);
  return value;
}

/**
 * Issues the server's TLS certificate with a new P-256 key: SAN (DNS and IP), extKeyUsage serverAuth,
 * keyUsage digitalSignature, authorityKeyIdentifier. Throws VigilError('invalid_input') for bad options or a bad CA.
 */
export async function issueServerCertificate(ca: CertificateAuthority, opts: IssueServerCertificateOptions): Promise<ServerCertificate> {
  const commonName = checkCommonName(opts.commonName, 'server commonName');
  const dnsNames = [...new Set(stringList(opts.dnsNames, 'dnsNames').map(sanDnsName))];
  const ipAddresses = [...new Set(stringList(opts.ipAddresses, 'ipAddresses').map(sanIpAddress))];
  if (dnsNames.length + ipAddresses.length === 0) {
    throw new VigilError('invalid_input', 'a server certificate needs at least one DNS name or IP address');
  }
  const validity = validityWindow(opts.validityDays, 825);
  const signer = await loadCaSigner(ca);
  const { privateKeyPem, publicKeyPem } = generateKeyPair();
  const { publicKey } = await importKeyPair(privateKeyPem, publicKeyPem);
  const serialNumber = randomSerial();
  const cert = await signLeaf(signer, {
    serialNumber,
    commonName,
    publicKey,
    validity,
    extendedKeyUsage: x509.ExtendedKeyUsage.serverAuth,
    extraExtensions: [
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: privateKeyPem, serialNumber };
}

/**
 * Issues an agent's mTLS client certificate (extKeyUsage clientAuth) for the agent's own public key.
 * Throws VigilError('invalid_input') unless publicKeyPem is an EC P-256 SPKI PEM, and for bad options or a bad CA.
 */
export async function issueClientCertificate(ca: CertificateAuthority, opts: IssueClientCertificateOptions): Promise<ClientCertificate> {
  const commonName = checkCommonName(opts.commonName, 'client commonName');
  const validity = validityWindow(opts.validityDays, 365);
  const publicKey = await importP256PublicKey(opts.publicKeyPem);
  const signer = await loadCaSigner(ca);
  const serialNumber = randomSerial();
  const cert = await signLeaf(signer, {
    serialNumber,
    commonName,
    publicKey,
    validity,
    extendedKeyUsage: x509.ExtendedKeyUsage.clientAuth,
  });
  return { certPem: cert.toString('pem'), serialNumber, notAfter: cert.notAfter };
}

/** Reads the fields Vigil stores about a certificate. Throws VigilError('invalid_input') on bad PEM. */
export function parseCertificate(pem: string): ParsedCertificate {
  const { cert, der } = readCertificate(pem);
  return {
    serialNumber: normalizeSerial(cert.serialNumber),
    subjectCommonName: cert.subjectName.getField('CN')[0] ?? '',
    issuerCommonName: cert.issuerName.getField('CN')[0] ?? '',
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
  };
}

function validAt(cert: x509.X509Certificate, at: Date): boolean {
  return cert.notBefore.getTime() <= at.getTime() && at.getTime() <= cert.notAfter.getTime();
}

/**
 * True when `caCertPem` is a CA certificate, `certPem` names it as issuer and carries a valid signature by its key,
 * and both certificates are within their validity window at `at` (default now). Bad PEM throws VigilError('invalid_input');
 * every other mismatch (wrong CA, other key type, expired) returns false.
 */
export async function verifyIssuedBy(certPem: string, caCertPem: string, at: Date = new Date()): Promise<boolean> {
  const { cert } = readCertificate(certPem);
  const { cert: caCert } = readCertificate(caCertPem, 'CA certificate');
  if (!caCert.getExtension(x509.BasicConstraintsExtension)?.ca) return false;
  if (!validAt(cert, at) || !validAt(caCert, at)) return false;
  if (cert.issuer !== caCert.subject) return false;
  try {
    return await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
