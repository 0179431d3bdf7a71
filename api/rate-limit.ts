import type { MiddlewareHandler } from 'hono';
import { DvctError } from '../domain/errors';
import { TokenBuckets, type BucketSettings } from '../lib/token-bucket';
import type { AppEnv } from './context';

/**
 * Per-key rate limit, after authentication (so the bucket is the key's, never a guess from the
 * address): 429 RATE_LIMITED with Retry-After. The buckets live in this API process; with several
 * API processes behind a balancer each keeps its own, so a key gets up to that many times the rate.
 * `perMinute: 0` switches the limit off.
 */
export function rateLimit(settings: BucketSettings, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  if (settings.perMinute === 0) return (_c, next) => next();
  const buckets = new TokenBuckets(settings);
  return async (c, next) => {
    const take = buckets.take(c.get('keyId'), now());
    if (!take.ok) {
      c.header('retry-after', String(take.retryAfterSeconds));
      throw new DvctError('RATE_LIMITED', `This key sent more than ${settings.perMinute} requests a minute (bursts up to ${settings.burst}); retry in ${take.retryAfterSeconds} s.`, {
        retryAfterSeconds: take.retryAfterSeconds,
      });
    }
    return next();
  };
}
