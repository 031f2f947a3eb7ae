// Per-caller rate limits of the API listener: a token bucket per API token, per session, and per source address for
// unauthenticated routes (login has its own, stricter bucket). Never limits the agent listener; never does I/O.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigilError } from '@vigil/common';

export interface RateLimitSettings {
  /** Sustained requests per minute per token, session or (unauthenticated routes) source address. */
  perMinute: number;
  /** Requests that may be sent at once after a quiet period. */
  burst: number;
  /** Login attempts per minute per source address (also the login burst). */
  loginPerMinute: number;
}

export const LOGIN_ROUTE = '/api/v1/auth/login';

/**
 * Reads `VIGIL_API_RATE_PER_MIN` (default 600), `VIGIL_API_RATE_BURST` (default the smaller of 100 and the rate) and
 * `VIGIL_LOGIN_RATE_PER_MIN` (default 10); a value that is not a positive whole number is an `invalid_config` error.
 */
export function rateLimitSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const perMinute = positiveInteger(env.VIGIL_API_RATE_PER_MIN, 600, 'VIGIL_API_RATE_PER_MIN');
  return {
    perMinute,
    burst: positiveInteger(env.VIGIL_API_RATE_BURST, Math.min(100, perMinute), 'VIGIL_API_RATE_BURST'),
    loginPerMinute: positiveInteger(env.VIGIL_LOGIN_RATE_PER_MIN, 10, 'VIGIL_LOGIN_RATE_PER_MIN'),
  };
}

function positiveInteger(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new VigilError('invalid_config', `${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return value;
}

export interface RateDecision {
  allowed: boolean;
  /** The sustained rate, requests per minute. */
  limit: number;
  /** Requests the caller may send right now without being refused. */
  remaining: number;
  /** Whole seconds until the next request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export interface TokenBucketLimiter {
  /** Takes one token from `key`'s bucket when it has one. `nowMs` is a monotonic clock in milliseconds. */
  take(key: string, nowMs: number): RateDecision;
  /** Buckets currently tracked. */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Buckets start full (`burst` tokens) and refill continuously at `perMinute`. At most `maxKeys` buckets are kept:
 * past that, full buckets (callers idle long enough to have refilled) are dropped first, then the oldest.
 */
export function createTokenBucketLimiter(options: { perMinute: number; burst: number; maxKeys?: number }): TokenBucketLimiter {
  const { perMinute, burst } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, nowMs: number): void {
    if (nowMs > bucket.updatedMs) bucket.tokens = Math.min(burst, bucket.tokens + (nowMs - bucket.updatedMs) * perMs);
    bucket.updatedMs = Math.max(bucket.updatedMs, nowMs);
  }

  function evict(nowMs: number): void {
    for (const [key, bucket] of buckets) {
      refill(bucket, nowMs);
      if (bucket.tokens >= burst) buckets.delete(key);
    }
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  }

  return {
    take(key, nowMs) {
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) evict(nowMs);
        buckets.set(key, (bucket = { tokens: burst, updatedMs: nowMs }));
      } else {
        refill(bucket, nowMs);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, limit: perMinute, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
      }
      return { allowed: false, limit: perMinute, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
    size: () => buckets.size,
  };
}

/**
 * The API listener's onRequest hook; registered after the access hook so `request.principal` is known. Sets
 * `X-RateLimit-Limit` and `X-RateLimit-Remaining` on every answer; a refusal is a `rate_limited` error (429) with
 * `Retry-After`. Unknown routes (404) are not counted.
 */
export function rateLimitHook(settings: RateLimitSettings, clock: () => number = () => performance.now()) {
  const callers = createTokenBucketLimiter({ perMinute: settings.perMinute, burst: settings.burst });
  const logins = createTokenBucketLimiter({ perMinute: settings.loginPerMinute, burst: settings.loginPerMinute });
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const route = request.routeOptions.url;
    if (!route) return;
    const principal = request.principal;
    const isLogin = route === LOGIN_ROUTE && request.method === 'POST';
    const who = principal ? `${principal.kind === 'api_token' ? 'API token' : 'session of'} ${principal.name}` : `address ${request.ip}`;
    const decision = isLogin
      ? logins.take(`address:${request.ip}`, clock())
      : callers.take(principal ? `${principal.kind}:${principal.id}` : `address:${request.ip}`, clock());
    void reply.header('x-ratelimit-limit', String(decision.limit));
    void reply.header('x-ratelimit-remaining', String(decision.remaining));
    if (decision.allowed) return;
    void reply.header('retry-after', String(decision.retryAfterSeconds));
    throw new VigilError('rate_limited', `${isLogin ? 'too many login attempts from' : 'rate limit exceeded for'} ${isLogin ? `address ${request.ip}` : who}: retry in ${decision.retryAfterSeconds} s`, {
      details: [{ message: `limit ${decision.limit} requests per minute${isLogin ? '' : `, burst ${settings.burst}`}; retry after ${decision.retryAfterSeconds} s` }],
    });
  };
}
