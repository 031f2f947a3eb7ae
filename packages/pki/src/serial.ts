// Certificate serial numbers in one canonical text form, so issuers, stores and TLS peers compare them by string equality.
// Must never compare raw serial strings from different sources without passing both through normalizeSerial.

import { randomBytes } from 'node:crypto';
import { VigilError } from '@vigil/common';

/**
 * Canonical serial form: lowercase hex, leading zero bytes dropped, an even number of digits.
 * This equals `tlsSocket.getPeerCertificate().serialNumber.toLowerCase()` (OpenSSL's BN_bn2hex) for any certificate,
 * and accepts uppercase, `0x` prefixes, colon-separated bytes and odd-length input (e.g. from other tools).
 * Throws VigilError('invalid_input') when the input is not hexadecimal.
 */
export function normalizeSerial(serial: string): string {
  if (typeof serial !== 'string') throw new VigilError('invalid_input', 'serial number must be a string');
  const hex = serial.trim().replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) throw new VigilError('invalid_input', `serial number "${serial.slice(0, 80)}" is not hexadecimal`);
  const digits = hex.replace(/^0+/, '');
  if (digits === '') return '00';
  return digits.length % 2 === 1 ? `0${digits}` : digits;
}

/** 16 random bytes with the top bit cleared (a positive DER INTEGER), in canonical form; may be shorter than 32 digits. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return normalizeSerial(bytes.toString('hex'));
}
