// Strict reading of PEM certificates: one place decides what counts as a certificate and how a bad one is reported.
// Must never accept non-PEM encodings silently (hex, bare base64); callers rely on PEM in, PEM out.

import { x509 } from './x509.js';
import { VigilError } from '@vigil/common';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----/;

export interface ReadCertificate {
  cert: x509.X509Certificate;
  der: Uint8Array;
}

/** Reads the first CERTIFICATE block of `pem`. Throws VigilError('invalid_input') naming `what` when there is none or it does not parse. */
export function readCertificate(pem: unknown, what = 'certificate'): ReadCertificate {
  if (typeof pem !== 'string') throw new VigilError('invalid_input', `${what} must be a PEM string`);
  const body = CERTIFICATE_BLOCK.exec(pem)?.[1];
  if (body === undefined) throw new VigilError('invalid_input', `${what} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`);
  const der = new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
  try {
    const cert = new x509.X509Certificate(der);
    // Decode the lazily parsed fields now, so a malformed certificate fails here and not in a caller.
    void [cert.serialNumber, cert.subject, cert.issuer, cert.notBefore, cert.notAfter, cert.publicKey];
    return { cert, der };
  } catch (error) {
    throw new VigilError('invalid_input', `${what} is not a valid X.509 certificate`, { cause: error });
  }
}
