// Key pairs for Vigil's PKI: ECDSA P-256, returned as PEM strings.
// Must never write or log a private key; callers decide where (and whether) it is stored.

import { generateKeyPairSync } from 'node:crypto';

export interface KeyPairPem {
  /** PKCS8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted. */
  privateKeyPem: string;
  /** SPKI PEM ("-----BEGIN PUBLIC KEY-----"). */
  publicKeyPem: string;
}

/** Generates a fresh ECDSA P-256 key pair. */
export function generateKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}
