// Creates Vigil's own certificate authority: a self-signed ECDSA P-256 root that issues server and agent certificates.
// Must never write the CA private key anywhere; it is returned to the caller, who decides how to store it.

import { x509 } from './internal/x509.js';
import { ECDSA_SHA256, importKeyPair } from './internal/crypto.js';
import { checkCommonName, subjectName, validityWindow } from './internal/issue.js';
import { generateKeyPair } from './keys.js';
import { randomSerial } from './serial.js';

export interface CertificateAuthority {
  /** The self-signed CA certificate (PEM). Safe to publish. */
  certPem: string;
  /** The CA private key (PKCS8 PEM). Secret. */
  keyPem: string;
}

export interface CreateCertificateAuthorityOptions {
  commonName: string;
  /** Default 3650. */
  validityDays?: number;
}

/**
 * Creates a self-signed root: basicConstraints CA:true pathLength 0 (critical),
 * keyUsage keyCertSign|cRLSign (critical), subjectKeyIdentifier.
 * Throws VigilError('invalid_input') for a bad common name or validity.
 */
export async function createCertificateAuthority(opts: CreateCertificateAuthorityOptions): Promise<CertificateAuthority> {
  const commonName = checkCommonName(opts.commonName, 'CA commonName');
  const validity = validityWindow(opts.validityDays, 3650);
  const { privateKeyPem, publicKeyPem } = generateKeyPair();
  const keys = await importKeyPair(privateKeyPem, publicKeyPem);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName(commonName),
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: privateKeyPem };
}
