/**
 * Token buckets, one per key: each holds up to `burst` tokens and refills `perMinute` tokens a
 * minute; a request takes one. Pure arithmetic over the times it is given, so tests need no clock.
 */
export interface BucketSettings {
  perMinute: number;
  burst: number;
}

export type Take = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets untouched this long are full again and can be forgotten. */
const IDLE_MS = 10 * 60_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private takes = 0;

  constructor(private readonly settings: BucketSettings) {}

  take(key: string, nowMs: number): Take {
    const { perMinute, burst } = this.settings;
    const ratePerMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: nowMs };
    const tokens = Math.min(burst, bucket.tokens + Math.max(0, nowMs - bucket.at) * ratePerMs);
    if (++this.takes % 1_000 === 0) this.forgetIdle(nowMs);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
      return { ok: true, remaining: Math.floor(tokens - 1) };
    }
    this.buckets.set(key, { tokens, at: nowMs });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / ratePerMs / 1_000)) };
  }

  private forgetIdle(nowMs: number): void {
    for (const [key, bucket] of this.buckets) if (nowMs - bucket.at > IDLE_MS) this.buckets.delete(key);
  }
}
