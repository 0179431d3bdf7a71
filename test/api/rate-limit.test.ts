import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { TokenBuckets } from '../../lib/token-bucket';
import { createHarness, expectProblemShape, type Harness } from './harness';

describe('token buckets', () => {
  it('never let more than burst + rate × elapsed through, and always say when to come back (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (perMinute, burst, gaps) => {
          const buckets = new TokenBuckets({ perMinute, burst });
          let now = 1_000_000;
          let passed = 0;
          for (const gap of gaps) {
            now += gap;
            const take = buckets.take('k', now);
            if (take.ok) passed++;
            else expect(take.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          }
          const elapsed = now - 1_000_000;
          expect(passed).toBeLessThanOrEqual(burst + Math.floor((elapsed * perMinute) / 60_000) + 1);
        },
      ),
    );
  });

  it('refill: after waiting the Retry-After a request passes again; keys do not share a bucket', () => {
    const buckets = new TokenBuckets({ perMinute: 60, burst: 2 });
    expect(buckets.take('a', 0).ok).toBe(true);
    expect(buckets.take('a', 0).ok).toBe(true);
    const refused = buckets.take('a', 0);
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take('b', 0).ok).toBe(true);
    expect(buckets.take('a', 1_000).ok).toBe(true);
  });
});

describe('the API\'s per-key rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h?.close());

  it('answers 429 RATE_LIMITED with Retry-After once a key has spent its burst, per key', async () => {
    const alice = await h.register('org-rl-a', ['data-consumer']);
    const bob = await h.register('org-rl-b', ['data-consumer']);
    const app = createApp({ config: { ...h.config, rateLimit: { perMinute: 6, burst: 3 } }, store: h.db.store, workflows: h.gateway, chain: h.chain, log: pino({ level: 'silent' }) });
    const get = async (key: string) => {
      const res = await app.request('/v1/me', { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    for (let i = 0; i < 3; i++) expect((await get(alice.apiKey)).status).toBe(200);
    const limited = await get(alice.apiKey);
    expectProblemShape({ ...limited, body: JSON.parse(limited.text) }, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(limited.text).detail).toMatch(/more than 6 requests a minute/);
    expect((await get(bob.apiKey)).status).toBe(200);
    // Without a valid key there is no bucket to spend: 401, before any limit.
    expect((await get('dvct_000000000000_nope')).status).toBe(401);
  });
});
