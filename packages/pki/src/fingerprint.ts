// SHA-256 certificate fingerprints: the pin agents and operators use to trust a server before any CA is known.
// Must never accept anything but a full 32-byte SHA-256 value; a short or truncated pin is an error, not a prefix match.

import { createHash } from 'node:crypto';
import { VigilError } from '@vigil/common';
import { readCertificate } from './internal/pem.js';

const PLAIN_HEX = /^[0-9a-f]{64}$/i;
const COLON_HEX = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/i;

/** SHA-256 of the certificate's DER encoding as 64 lowercase hex digits. Throws VigilError('invalid_input') on bad PEM. */
export function certificateFingerprint(certPem: string): string {
  const { der } = readCertificate(certPem);
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Reads a fingerprint written as 64 hex digits or as colon-separated pairs (AB:CD:...), either case,
 * optionally prefixed with `sha256:`. Returns 64 lowercase hex digits; throws VigilError('invalid_input') otherwise.
 */
export function parseFingerprint(input: string): string {
  if (typeof input !== 'string') throw new VigilError('invalid_input', 'fingerprint must be a string');
  const text = input.trim().replace(/^sha256:/i, '');
  if (PLAIN_HEX.test(text)) return text.toLowerCase();
  if (COLON_HEX.test(text)) return text.replace(/:/g, '').toLowerCase();
  throw new VigilError(
    'invalid_input',
    `"${input.slice(0, 120)}" is not a SHA-256 fingerprint: expected 64 hex digits or 32 colon-separated pairs (AB:CD:...), optionally prefixed with "sha256:"`,
  );
}

/** Display form of a fingerprint: uppercase colon-separated pairs. Accepts whatever parseFingerprint accepts. */
export function formatFingerprint(hex: string): string {
  return (parseFingerprint(hex).toUpperCase().match(/../g) ?? []).join(':');
}
