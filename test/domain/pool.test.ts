import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointsToUnits, sumUnits } from '../../domain/amounts';
import { computePoolDistribution, splitByWeights } from '../../domain/pool';
import { E18, makeContract } from './fixtures';

const amounts = (split: { id: string; amount: bigint }[]) => Object.fromEntries(split.map((s) => [s.id, s.amount]));

describe('splitByWeights', () => {
  it('splits 100 points over equal weights, the left-over unit to the lowest id', () => {
    const split = splitByWeights(100n * E18, [
      { id: 'c', weight: 1 },
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
    ]);
    expect(split).toEqual([
      { id: 'c', amount: 33_333333333333333333n },
      { id: 'a', amount: 33_333333333333333334n },
      { id: 'b', amount: 33_333333333333333333n },
    ]);
    expect(split.reduce((sum, s) => sum + s.amount, 0n)).toBe(100n * E18);
  });

  it('hands left-over units to the largest remainders first', () => {
    // Quotas of 10 over 0.5 : 0.3 : 0.2 → 5, 3, 2; of 7 → 3.5, 2.1, 1.4: floors 3, 2, 1, one left → largest remainder 0.5.
    expect(amounts(splitByWeights(7n, [{ id: 'x', weight: 0.5 }, { id: 'y', weight: 0.3 }, { id: 'z', weight: 0.2 }]))).toEqual({ x: 4n, y: 2n, z: 1n });
    expect(amounts(splitByWeights(10n, [{ id: 'x', weight: 0.5 }, { id: 'y', weight: 0.3 }, { id: 'z', weight: 0.2 }]))).toEqual({ x: 5n, y: 3n, z: 2n });
  });

  it('treats decimal weights exactly (0.1 : 0.2 is exactly 1 : 2)', () => {
    expect(amounts(splitByWeights(3n, [{ id: 'a', weight: 0.1 }, { id: 'b', weight: 0.2 }]))).toEqual({ a: 1n, b: 2n });
    expect(amounts(splitByWeights(3n, [{ id: 'a', weight: 1e-300 }, { id: 'b', weight: 2e-300 }]))).toEqual({ a: 1n, b: 2n });
    expect(amounts(splitByWeights(2n, [{ id: 'a', weight: 1e300 }, { id: 'b', weight: 1e-300 }]))).toEqual({ a: 2n, b: 0n });
  });

  it('gives zero weights nothing', () => {
    expect(amounts(splitByWeights(5n, [{ id: 'a', weight: 0 }, { id: 'b', weight: 3 }, { id: 'c', weight: 0 }]))).toEqual({ a: 0n, b: 5n, c: 0n });
  });

  it.each([
    ['no weights', 1n, []],
    ['all-zero weights', 1n, [{ id: 'a', weight: 0 }]],
    ['a negative weight', 1n, [{ id: 'a', weight: 1 }, { id: 'b', weight: -1 }]],
    ['a NaN weight', 1n, [{ id: 'a', weight: Number.NaN }]],
    ['an infinite weight', 1n, [{ id: 'a', weight: Number.POSITIVE_INFINITY }]],
    ['a repeated id', 1n, [{ id: 'a', weight: 1 }, { id: 'a', weight: 2 }]],
    ['a negative total', -1n, [{ id: 'a', weight: 1 }]],
  ])('rejects %s', (_case, total, weights) => {
    expect(() => splitByWeights(total, weights)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  const weightsArb = fc
    .uniqueArray(fc.stringMatching(/^[a-z]{1,3}$/), { minLength: 1, maxLength: 12 })
    .chain((ids) =>
      fc.tuple(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: ids.length, maxLength: ids.length }),
        fc.integer({ min: 0, max: 6 }),
      ).map(([numerators, decimals]) => ({ ids, numerators, decimals })),
    )
    .filter(({ numerators }) => numerators.some((n) => n > 0));

  /** Weights k / 10^decimals, whose exact ratios are those of the integers k. */
  const toWeights = ({ ids, numerators, decimals }: { ids: string[]; numerators: number[]; decimals: number }) =>
    ids.map((id, i) => ({ id, weight: (numerators[i] ?? 0) / 10 ** decimals }));

  const totalArb = fc.bigInt({ min: 0n, max: 10n ** 30n });

  it('sums to the total exactly and keeps each amount within one unit of its exact quota', () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, w) => {
        const split = splitByWeights(total, toWeights(w));
        expect(split.reduce((sum, s) => sum + s.amount, 0n)).toBe(total);
        const K = w.numerators.reduce((a, b) => a + BigInt(b), 0n);
        split.forEach((s, i) => {
          const k = BigInt(w.numerators[i] ?? 0);
          // |amount − total·k/K| < 1  ⇔  |amount·K − total·k| < K
          const deviation = s.amount * K - total * k;
          expect(deviation > -K && deviation < K).toBe(true);
          if (k === 0n) expect(s.amount).toBe(0n);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('is monotone in weight: a larger weight never gets less, equal weights differ by at most one unit', () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, w) => {
        const weights = toWeights(w);
        const split = splitByWeights(total, weights);
        for (let i = 0; i < split.length; i++) {
          for (let j = 0; j < split.length; j++) {
            const [wi, wj] = [w.numerators[i] ?? 0, w.numerators[j] ?? 0];
            const [ai, aj] = [split[i]?.amount ?? 0n, split[j]?.amount ?? 0n];
            if (wi > wj) expect(ai >= aj).toBe(true);
            if (wi === wj) expect(ai - aj <= 1n && aj - ai <= 1n).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order the weights are listed in', () => {
    fc.assert(
      fc.property(totalArb, weightsArb, (total, w) => {
        const weights = toWeights(w);
        expect(amounts(splitByWeights(total, [...weights].reverse()))).toEqual(amounts(splitByWeights(total, weights)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('computePoolDistribution', () => {
  const parties = [
    { participantId: 'orch', roles: ['orchestrator' as const] },
    { participantId: 'm-a', roles: ['data-provider' as const] },
    { participantId: 'm-b', roles: ['data-provider' as const] },
    { participantId: 'm-c', roles: ['data-consumer' as const] },
  ];

  it('pays each weighted member its share from the orchestrator', () => {
    const distribution = computePoolDistribution(
      makeContract({
        parties,
        rewardPool: { numPoints: 100, weights: [{ participantId: 'm-b', weight: 1 }, { participantId: 'm-a', weight: 1 }, { participantId: 'm-c', weight: 1 }] },
      }),
    );
    expect(distribution.lines).toEqual([
      { payerId: 'orch', recipientId: 'm-a', amount: '33333333333333333334' },
      { payerId: 'orch', recipientId: 'm-b', amount: '33333333333333333333' },
      { payerId: 'orch', recipientId: 'm-c', amount: '33333333333333333333' },
    ]);
    expect(distribution.totalDue).toBe(pointsToUnits(100).toString());
    expect(distribution.parts.every((p) => p.reason === 'pool' && p.nodeId === null && p.depth === 0)).toBe(true);
  });

  it("drops the orchestrator's own share as a self-payment", () => {
    const distribution = computePoolDistribution(
      makeContract({
        parties,
        rewardPool: { numPoints: 10, weights: [{ participantId: 'orch', weight: 1 }, { participantId: 'm-a', weight: 1 }] },
      }),
    );
    expect(distribution.lines).toEqual([{ payerId: 'orch', recipientId: 'm-a', amount: pointsToUnits(5).toString() }]);
    expect(sumUnits(distribution.parts.map((p) => p.amount))).toBe(5n * E18);
    expect(distribution.totalDue).toBe(pointsToUnits(5).toString());
  });

  it('refuses a contract without a pool', () => {
    expect(() => computePoolDistribution(makeContract({ rewardPool: null }))).toThrow(expect.objectContaining({ code: 'NO_REWARD_POOL' }));
  });
});
