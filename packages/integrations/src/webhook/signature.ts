// Webhook signatures: `X-Vigil-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with `X-Vigil-Timestamp`
// in Unix seconds. Verification never compares in variable time and never accepts a timestamp outside the window.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const SIGNATURE_HEADER = 'x-vigil-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function computeSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The two headers to send with `body`, signed at `nowMs`. */
export function signWebhook(secret: string, body: string | Buffer, nowMs = Date.now()): { timestamp: string; signature: string } {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { timestamp, signature: `v1=${computeSignature(secret, timestamp, body)}` };
}

export type SignatureCheck = { valid: true } | { valid: false; reason: 'malformed' | 'stale' | 'mismatch' };

export interface VerifyWebhookOptions {
  secret: string;
  /** The raw request body exactly as received (not re-serialised JSON). */
  body: string | Buffer;
  timestamp: string | undefined;
  /** The header value; several comma-separated `v1=` entries are allowed (secret rotation). */
  signature: string | undefined;
  toleranceSeconds?: number;
  nowMs?: number;
}

export function verifyWebhookSignature(options: VerifyWebhookOptions): SignatureCheck {
  const { timestamp, signature } = options;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return { valid: false, reason: 'malformed' };
  const candidates = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3));
  if (!candidates.length || candidates.some((hex) => !/^[0-9a-f]{64}$/i.test(hex))) return { valid: false, reason: 'malformed' };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs((options.nowMs ?? Date.now()) / 1000 - Number(timestamp)) > tolerance) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(computeSignature(options.secret, timestamp, options.body), 'hex');
  const matches = candidates.some((hex) => timingSafeEqual(Buffer.from(hex, 'hex'), expected));
  return matches ? { valid: true } : { valid: false, reason: 'mismatch' };
}
