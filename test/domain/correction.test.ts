import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointsToUnits } from '../../domain/amounts';
import {
  automaticReview,
  contractMetrics,
  correctedMetrics,
  findDiscrepancies,
  metricDifferences,
  planCorrection,
  planRollback,
  reportedMetrics,
  standingPerPair,
} from '../../domain/correction';
import { DEFAULT_REVIEW_POLICY, type HeldLine } from '../../domain/incidents';
import type { AllocationLine } from '../../domain/types';
import { makeContract, makeReport } from './fixtures';

const u = (points: number | string) => pointsToUnits(points).toString();
const held = (payerId: string, recipientId: string, points: number, status: HeldLine['status'] = 'allocated', round = 'initial'): HeldLine => ({
  round,
  payerId,
  recipientId,
  amount: u(points),
  status,
});
const due = (payerId: string, recipientId: string, points: number): AllocationLine => ({ payerId, recipientId, amount: u(points) });

/** The holdings after applying a plan: revoked lines marked, new lines allocated in round `inc`. */
function apply(lines: HeldLine[], plan: ReturnType<typeof planCorrection>): HeldLine[] {
  const revoked = new Set(plan.revoke);
  return [
    ...lines.map((l) => (revoked.has(l) ? { ...l, status: 'revoked' as const } : l)),
    ...plan.allocate.map((a) => ({ ...a, round: 'inc', status: 'allocated' as const })),
  ];
}

describe('the design document example: an AI provider 10 points short', () => {
  const holdings = [held('cons', 'prov', 5), held('orch', 'cons', 40)];
  const contract = [due('cons', 'prov', 5), due('orch', 'cons', 50)];

  it('is found per participant, with what it holds and what is due', () => {
    expect(findDiscrepancies(holdings, contract)).toEqual([{ payerId: 'orch', recipientId: 'cons', held: u(40), due: u(50) }]);
  });

  it('needs no rollback and re-distributes only the 10 additional points', () => {
    expect(planRollback(holdings, contract)).toEqual([]);
    expect(planCorrection(holdings, contract)).toEqual({ revoke: [], allocate: [due('orch', 'cons', 10)], unrecoverable: [] });
  });
});

describe('planCorrection', () => {
  it('revokes an over-allocation and allocates what is due in its place', () => {
    const line = held('cons', 'prov', 50);
    expect(planCorrection([line], [due('cons', 'prov', 25)])).toEqual({ revoke: [line], allocate: [due('cons', 'prov', 25)], unrecoverable: [] });
  });

  it('revokes a line nothing is due for', () => {
    const line = held('orch', 'cons', 10);
    expect(planCorrection([line], [])).toEqual({ revoke: [line], allocate: [], unrecoverable: [] });
  });

  it('re-allocates a line revoked outside the DVCT', () => {
    expect(planCorrection([held('cons', 'prov', 5, 'revoked')], [due('cons', 'prov', 5)]).allocate).toEqual([due('cons', 'prov', 5)]);
  });

  it('reports an over-payment already released instead of pretending to take it back', () => {
    const plan = planCorrection([held('cons', 'prov', 50, 'released')], [due('cons', 'prov', 30)]);
    expect(plan).toEqual({ revoke: [], allocate: [], unrecoverable: [due('cons', 'prov', 20)] });
  });

  it('counts every round: a correction already made leaves nothing to do', () => {
    const lines = [held('orch', 'cons', 40), held('orch', 'cons', 10, 'allocated', 'inc-1')];
    expect(planCorrection(lines, [due('orch', 'cons', 50)])).toEqual({ revoke: [], allocate: [], unrecoverable: [] });
  });

  const pairs = ['a>b', 'a>c', 'b>c', 'c>a'] as const;
  const holdingArb = fc.array(
    fc.record({
      pair: fc.constantFrom(...pairs),
      points: fc.integer({ min: 1, max: 1000 }),
      status: fc.constantFrom<HeldLine['status']>('allocated', 'released', 'revoked'),
      round: fc.constantFrom('initial', 'inc-0'),
    }),
    { maxLength: 8 },
  );
  const targetArb = fc.dictionary(fc.constantFrom(...pairs), fc.integer({ min: 0, max: 1000 }));
  const toHeld = (h: { pair: string; points: number; status: HeldLine['status']; round: string }) => {
    const [payerId, recipientId] = h.pair.split('>') as [string, string];
    return held(payerId, recipientId, h.points, h.status, h.round);
  };
  const toTarget = (t: Record<string, number>) =>
    Object.entries(t).map(([pair, points]) => {
      const [payerId, recipientId] = pair.split('>') as [string, string];
      return due(payerId, recipientId, points);
    });

  it('after applying the plan every pair holds exactly its due, or its due plus a reported unrecoverable over-payment', () => {
    fc.assert(
      fc.property(holdingArb, targetArb, (h, t) => {
        const lines = h.map(toHeld);
        const target = toTarget(t);
        const plan = planCorrection(lines, target);
        const after = standingPerPair(apply(lines, plan));
        const unrecoverable = new Map(plan.unrecoverable.map((x) => [`${x.payerId}\n${x.recipientId}`, BigInt(x.amount)]));
        for (const pair of pairs) {
          const [payerId, recipientId] = pair.split('>') as [string, string];
          const key = `${payerId}\n${recipientId}`;
          const owed = BigInt(target.find((x) => x.payerId === payerId && x.recipientId === recipientId)?.amount ?? '0');
          expect(after.get(key) ?? 0n).toBe(owed + (unrecoverable.get(key) ?? 0n));
        }
      }),
    );
  });

  it('never revokes a released or revoked line, never allocates a zero or negative amount, and is a fixed point', () => {
    fc.assert(
      fc.property(holdingArb, targetArb, (h, t) => {
        const lines = h.map(toHeld);
        const target = toTarget(t);
        const plan = planCorrection(lines, target);
        expect(plan.revoke.every((l) => l.status === 'allocated')).toBe(true);
        expect(plan.allocate.every((l) => BigInt(l.amount) > 0n)).toBe(true);
        const again = planCorrection(apply(lines, plan), target);
        expect(again.revoke).toEqual([]);
        expect(again.allocate).toEqual([]);
      }),
    );
  });

  it('leaves pairs that are right untouched', () => {
    fc.assert(
      fc.property(holdingArb, (h) => {
        const lines = h.map(toHeld);
        const standing = standingPerPair(lines);
        const target = [...standing].map(([key, amount]) => {
          const [payerId, recipientId] = key.split('\n') as [string, string];
          return { payerId, recipientId, amount: amount.toString() };
        });
        expect(planCorrection(lines, target)).toEqual({ revoke: [], allocate: [], unrecoverable: [] });
        expect(findDiscrepancies(lines, target)).toEqual([]);
      }),
    );
  });
});

describe('findDiscrepancies', () => {
  it('ignores differences within the tolerance', () => {
    expect(findDiscrepancies([held('a', 'b', 10)], [due('a', 'b', 10.5)], 1)).toEqual([]);
    expect(findDiscrepancies([held('a', 'b', 10)], [due('a', 'b', 11.5)], 1)).toHaveLength(1);
  });
});

describe('metrics', () => {
  const contract = makeContract({ extraIncentiveForAIProvider: { numPoints: 50, factor: 1, factorCheck: false } });

  it('reported metrics follow the report where it gives terms, the contract elsewhere', () => {
    const report = makeReport({ extraIncentiveForAIProvider: { numPoints: 50, factor: 0.8, factorCheck: false } });
    expect(reportedMetrics(contract, report)).toEqual({ dataProvider: { numPoints: 5, factor: 1 }, aiProvider: { numPoints: 50, factor: 0.8 } });
    expect(metricDifferences(reportedMetrics(contract, report), contractMetrics(contract, report))).toEqual([
      'extraIncentiveForAIProvider.factor: reported 0.8, contract 1',
    ]);
  });

  it('a checked factor comes from the quality service, whatever the report says', () => {
    const checked = makeContract({ incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: true } });
    const report = makeReport({ incentiveForDataProvider: { numPoints: 5, factor: 0.1, factorCheck: true } });
    expect(reportedMetrics(checked, report, { dataProvider: 0.6 }).dataProvider).toEqual({ numPoints: 5, factor: 0.6 });
  });

  it('no AI award unless the report says the consumer is an AI provider', () => {
    expect(contractMetrics(contract, makeReport({ dataConsumerIsAIProvider: false })).aiProvider).toBeNull();
  });

  it('a reviewer corrects some metrics and keeps the contract for the rest', () => {
    const signed = contractMetrics(contract, makeReport());
    expect(correctedMetrics(signed, { extraIncentiveForAIProvider: { factor: 0.9 } })).toEqual({
      dataProvider: { numPoints: 5, factor: 1 },
      aiProvider: { numPoints: 50, factor: 0.9 },
    });
  });
});

describe('automaticReview', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const finding = { payerId: 'orch', recipientId: 'cons', held: u(40), due: u(50) };

  it('approves the correction when the allocation followed metrics that differ from the contract', () => {
    expect(automaticReview({ rule: 'allocation-matches-contract', findings: [finding], cause: 'factor 0.8 vs 1' }, DEFAULT_REVIEW_POLICY, at)).toMatchObject({
      decision: 'approve-correction',
      decidedBy: 'automatic',
    });
  });

  it('rejects (no change) when nothing differs, saying why', () => {
    expect(automaticReview({ rule: null, findings: [], cause: '50 points are due and 50 are held' }, DEFAULT_REVIEW_POLICY, at)).toMatchObject({
      decision: 'reject',
      comment: expect.stringContaining('50 points are due and 50 are held'),
    });
  });

  it('asks a reviewer when the chain was changed outside the DVCT, or when the contract wants manual review', () => {
    expect(automaticReview({ rule: 'chain-matches-allocation', findings: [finding], cause: 'revoked on chain' }, DEFAULT_REVIEW_POLICY, at)).toHaveProperty('needsReviewer');
    const manual = { ...DEFAULT_REVIEW_POLICY, mode: 'manual' as const };
    expect(automaticReview({ rule: 'allocation-matches-contract', findings: [finding], cause: 'x' }, manual, at)).toHaveProperty('needsReviewer');
  });

  const manual = { ...DEFAULT_REVIEW_POLICY, mode: 'manual' as const };

  it('tells the reviewer what to decide: who, what is held against what is due, the rule and the cause', () => {
    const verdict = automaticReview({ rule: 'allocation-matches-contract', findings: [finding], cause: 'extraIncentiveForAIProvider.factor: reported 0.8, contract 1' }, manual, at);
    expect(verdict).toEqual({ needsReviewer: expect.stringContaining('orch → cons: holds 40 points, 50 due') });
    const question = (verdict as { needsReviewer: string }).needsReviewer;
    expect(question).toContain('`allocation-matches-contract`');
    expect(question).toContain('extraIncentiveForAIProvider.factor: reported 0.8, contract 1');
    expect(question).toContain('approve-correction pays what is due');
  });

  it('a dispute with nothing to correct goes to a reviewer when the contract wants manual review, or when it contests what a person decided', () => {
    const unfounded = { rule: 'participant-dispute' as const, findings: [], cause: '5 points are due and 5 are held' };
    expect(automaticReview(unfounded, DEFAULT_REVIEW_POLICY, at)).toMatchObject({ decision: 'reject', decidedBy: 'automatic' });
    expect(automaticReview(unfounded, manual, at)).toHaveProperty('needsReviewer');
    const departure = { payerId: 'orch', recipientId: 'cons', due: '0', contract: u(50), why: 'revoked on purpose (revocation: clause 4.2)' };
    const contested = automaticReview({ ...unfounded, departures: [departure] }, DEFAULT_REVIEW_POLICY, at);
    expect(contested).toEqual({ needsReviewer: expect.stringContaining('orch → cons: 0 points due instead of the contract\'s 50 — revoked on purpose (revocation: clause 4.2)') });
    // Found by the DVCT itself with nothing differing: bookkeeping, nothing to ask anyone.
    expect(automaticReview({ rule: null, findings: [], cause: 'x', departures: [departure] }, manual, at)).toMatchObject({ decision: 'reject' });
  });
});
