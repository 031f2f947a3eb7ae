// Token bucket rate limiter: burst, refill, per-key isolation, retry delay, bounded memory, settings from the environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VigilError } from '@vigil/common';
import { createTokenBucketLimiter, rateLimitSettingsFromEnv } from './rate-limit.js';

test('a full bucket allows the burst at once, then refuses with the delay until the next token', () => {
  const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 3 });
  const decisions = [0, 0, 0, 0].map(() => limiter.take('token:a', 1000));
  assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true, false]);
  assert.deepEqual(decisions.map((d) => d.remaining), [2, 1, 0, 0]);
  assert.equal(decisions[3]!.retryAfterSeconds, 1);
  assert.equal(decisions[3]!.limit, 60);
});

test('tokens refill at the configured rate and never above the burst', () => {
  const limiter = createTokenBucketLimiter({ perMinute: 6, burst: 2 });
  assert.ok(limiter.take('k', 0).allowed);
  assert.ok(limiter.take('k', 0).allowed);
  const refused = limiter.take('k', 0);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 10);
  assert.equal(limiter.take('k', 9_999).allowed, false, 'one token takes 10 s at 6/min');
  assert.equal(limiter.take('k', 10_000).allowed, true);
  assert.equal(limiter.take('k', 10_000 + 3_600_000).remaining, 1, 'an idle hour refills to the burst of 2, one is taken');
});

test('each key has its own bucket', () => {
  const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 1 });
  assert.ok(limiter.take('address:10.0.0.1', 0).allowed);
  assert.equal(limiter.take('address:10.0.0.1', 0).allowed, false);
  assert.ok(limiter.take('address:10.0.0.2', 0).allowed);
  assert.ok(limiter.take('api_token:t1', 0).allowed);
});

test('the number of buckets stays bounded: refilled buckets go first, then the oldest', () => {
  const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 5, maxKeys: 3 });
  limiter.take('a', 0);
  limiter.take('b', 0);
  limiter.take('c', 0);
  limiter.take('d', 60_000);
  assert.equal(limiter.size(), 1, 'a, b and c had refilled and were dropped');
  for (const key of ['e', 'f', 'g', 'h']) limiter.take(key, 60_000);
  assert.ok(limiter.size() <= 3);
  // A dropped busy key starts again with a full bucket rather than refusing forever.
  assert.ok(limiter.take('d', 60_000).allowed);
});

test('settings come from the environment with defaults; a bad value names the variable', () => {
  assert.deepEqual(rateLimitSettingsFromEnv({}), { perMinute: 600, burst: 100, loginPerMinute: 10 });
  assert.deepEqual(rateLimitSettingsFromEnv({ VIGIL_API_RATE_PER_MIN: '5' }), { perMinute: 5, burst: 5, loginPerMinute: 10 });
  assert.deepEqual(rateLimitSettingsFromEnv({ VIGIL_API_RATE_PER_MIN: '120', VIGIL_API_RATE_BURST: '20', VIGIL_LOGIN_RATE_PER_MIN: '3' }), { perMinute: 120, burst: 20, loginPerMinute: 3 });
  assert.throws(() => rateLimitSettingsFromEnv({ VIGIL_API_RATE_PER_MIN: '0' }), (e: unknown) => e instanceof VigilError && e.code === 'invalid_config' && e.message.includes('VIGIL_API_RATE_PER_MIN'));
  assert.throws(() => rateLimitSettingsFromEnv({ VIGIL_LOGIN_RATE_PER_MIN: 'ten' }), /VIGIL_LOGIN_RATE_PER_MIN/);
});
