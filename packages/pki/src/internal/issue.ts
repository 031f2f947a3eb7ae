// Shared rules for every certificate Vigil issues: names, validity windows, the CA as a signer, and leaf extensions.
// Must never sign with a CA key that does not match the CA certificate, nor with an expired CA.

import { x509 } from './x509.js';
import { VigilError } from '@vigil/common';
import { ECDSA_SHA256, importCaSigningKey, type CryptoKey } from './crypto.js';
import { readCertificate } from './pem.js';

/** notBefore is set this far in the past so peers with slightly slow clocks accept a new certificate at once. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const MAX_VALIDITY_DAYS = 36_500;
/** ub-common-name from RFC 5280. */
const MAX_COMMON_NAME = 64;

export function checkCommonName(commonName: unknown, what: string): string {
  if (typeof commonName !== 'string' || commonName.trim() === '') throw new VigilError('invalid_input', `${what} must be a non-empty string`);
  if (commonName.length > MAX_COMMON_NAME) throw new VigilError('invalid_input', `${what} is longer than ${MAX_COMMON_NAME} characters`);
  if (/[\u0000-\u001f\u007f]/.test(commonName)) throw new VigilError('invalid_input', `${what} contains control characters`);
  return commonName;
}

export function subjectName(commonName: string): x509.JsonName {
  return [{ CN: [commonName] }];
}

/** Whole-second window [now - skew, now + days], so the dates equal what the DER encoding keeps. */
export function validityWindow(validityDays: unknown, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const days = validityDays ?? defaultDays;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw new VigilError('invalid_input', `validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}, got ${String(days)}`);
  }
  const now = Math.floor(Date.now() / 1000) * 1000;
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + days * DAY_MS) };
}

export interface CaSigner {
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
  /** Hex key identifier of the CA key, used as the issued certificates' authorityKeyIdentifier. */
  keyId: string;
}

/** Checks that `ca` is a usable, unexpired CA whose key matches its certificate. Throws VigilError('invalid_input') otherwise. */
export async function loadCaSigner(ca: { certPem: string; keyPem: string }): Promise<CaSigner> {
  if (typeof ca !== 'object' || ca === null) throw new VigilError('invalid_input', 'ca must be { certPem, keyPem }');
  const { cert } = readCertificate(ca.certPem, 'CA certPem');
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) throw new VigilError('invalid_input', 'CA certPem is not a CA certificate (basicConstraints CA:true is missing)');
  if (cert.notAfter.getTime() <= Date.now()) {
    throw new VigilError('invalid_input', `CA certificate expired on ${cert.notAfter.toISOString()}; create a new certificate authority`);
  }
  const signingKey = await importCaSigningKey(ca.keyPem, cert);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId;
  return { cert, signingKey, keyId };
}

export interface LeafParams {
  serialNumber: string;
  commonName: string;
  publicKey: CryptoKey;
  validity: { notBefore: Date; notAfter: Date };
  extendedKeyUsage: x509.ExtendedKeyUsage;
  extraExtensions?: x509.Extension[];
}

/** Signs an end-entity certificate: CA:false, keyUsage digitalSignature, one extended key usage, SKI and AKI. */
export async function signLeaf(signer: CaSigner, params: LeafParams): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: params.serialNumber,
    subject: subjectName(params.commonName),
    issuer: signer.cert.subjectName,
    notBefore: params.validity.notBefore,
    notAfter: params.validity.notAfter,
    publicKey: params.publicKey,
    signingKey: signer.signingKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([params.extendedKeyUsage]),
      await x509.SubjectKeyIdentifierExtension.create(params.publicKey),
      new x509.AuthorityKeyIdentifierExtension(signer.keyId),
      ...(params.extraExtensions ?? []),
    ],
  });
}
