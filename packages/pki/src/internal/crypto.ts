// Bridges node:crypto keys to the WebCrypto keys @peculiar/x509 signs with, and checks that every key is ECDSA P-256.
// Must never write, log or put private key material into an error message.

import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { x509 } from './x509.js';
import { VigilError } from '@vigil/common';

export type CryptoKey = webcrypto.CryptoKey;
export const subtleCrypto = webcrypto;

export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

const PUBLIC_KEY_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/;

/** Describes a key's type for error messages, e.g. `ec secp384r1` or `rsa`. */
function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve}` : String(key.asymmetricKeyType);
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * Imports an SPKI PEM public key that must be EC P-256 (what `generateKeyPair` produces).
 * Throws VigilError('invalid_input') for anything else, including private keys and certificates.
 */
export async function importP256PublicKey(publicKeyPem: unknown): Promise<CryptoKey> {
  if (typeof publicKeyPem !== 'string') throw new VigilError('invalid_input', 'publicKeyPem must be a PEM string');
  const pem = publicKeyPem.trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new VigilError('invalid_input', 'publicKeyPem holds a private key; send only the public key ("-----BEGIN PUBLIC KEY-----")');
  }
  if (!PUBLIC_KEY_PEM.test(pem)) {
    throw new VigilError('invalid_input', 'publicKeyPem must be one SPKI PEM block ("-----BEGIN PUBLIC KEY-----")');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  } catch (error) {
    throw new VigilError('invalid_input', 'publicKeyPem is not a readable SPKI public key', { cause: error });
  }
  if (!isP256(key)) {
    throw new VigilError('invalid_input', `publicKeyPem must be an EC P-256 (prime256v1) key, got ${describeKey(key)}`);
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return subtleCrypto.subtle.importKey('spki', der, EC_P256, true, ['verify']);
}

/**
 * Imports a CA's PKCS8 PEM private key for signing, after checking it is EC P-256 and belongs to `caCert`.
 * Throws VigilError('invalid_input') otherwise. The returned key is not extractable.
 */
export async function importCaSigningKey(keyPem: unknown, caCert: x509.X509Certificate): Promise<CryptoKey> {
  if (typeof keyPem !== 'string') throw new VigilError('invalid_input', 'CA keyPem must be a PEM string');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (error) {
    throw new VigilError('invalid_input', 'CA keyPem is not a readable unencrypted PEM private key', { cause: error });
  }
  if (!isP256(key)) throw new VigilError('invalid_input', `CA key must be EC P-256 (prime256v1), got ${describeKey(key)}`);
  const publicDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!publicDer.equals(Buffer.from(caCert.publicKey.rawData))) {
    throw new VigilError('invalid_input', 'CA keyPem does not belong to CA certPem');
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return subtleCrypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign']);
}

/** Imports a freshly generated key pair for self-signing; only `generateKeyPair` output is passed here. */
export async function importKeyPair(privateKeyPem: string, publicKeyPem: string): Promise<webcrypto.CryptoKeyPair> {
  const pkcs8 = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return {
    privateKey: await subtleCrypto.subtle.importKey('pkcs8', pkcs8, EC_P256, false, ['sign']),
    publicKey: await subtleCrypto.subtle.importKey('spki', spki, EC_P256, true, ['verify']),
  };
}
