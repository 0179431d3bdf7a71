import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointsToUnits } from '../../domain/amounts';
import { planCorrection, standingLines, standingPerPair } from '../../domain/correction';
import { dueNow, type DueAmendment } from '../../domain/due';
import type { HeldLine } from '../../domain/incidents';
import type { AllocationLine } from '../../domain/types';

const u = (points: number) => pointsToUnits(points).toString();
const line = (payerId: string, recipientId: string, points: number): AllocationLine => ({ payerId, recipientId, amount: u(points) });
const held = (payerId: string, recipientId: string, points: number, status: HeldLine['status'], round = 'initial'): HeldLine => ({
  round,
  payerId,
  recipientId,
  amount: u(points),
  status,
});
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const amount = (lines: readonly AllocationLine[], payerId: string, recipientId: string) =>
  BigInt(lines.find((l) => l.payerId === payerId && l.recipientId === recipientId)?.amount ?? '0');

describe('what is due after people acted on an exchange', () => {
  const contract = [line('cons', 'prov', 5), line('orch', 'cons', 50)];

  it('is the contract\'s distribution while nobody has amended it', () => {
    expect(dueNow(contract, [], [])).toEqual({ lines: contract, totalDue: u(55), departures: [] });
  });

  it('a recipient whose held line was revoked on purpose is due nothing more: a dispute finds nothing to pay back', () => {
    const holdings = [held('cons', 'prov', 5, 'allocated'), held('orch', 'cons', 50, 'revoked')];
    const withdrawal: DueAmendment = { kind: 'withdrawal', at: at(1), payerId: 'orch', recipientId: 'cons', cause: 'revocation', reason: 'shared outside the use case' };
    const due = dueNow(contract, holdings, [withdrawal]);
    expect(due.lines).toEqual([line('cons', 'prov', 5)]);
    expect(due.departures).toEqual([{ payerId: 'orch', recipientId: 'cons', due: '0', contract: u(50), why: expect.stringContaining('shared outside the use case') }]);
    expect(planCorrection(holdings, due.lines)).toEqual({ revoke: [], allocate: [], unrecoverable: [] });
  });

  it('what was already paid out before a revocation stays due (it cannot be taken back)', () => {
    const holdings = [held('orch', 'cons', 40, 'released'), held('orch', 'cons', 10, 'revoked', 'inc-1')];
    const due = dueNow(contract, holdings, [{ kind: 'withdrawal', at: at(1), payerId: 'orch', recipientId: 'cons', cause: 'cancellation', reason: 'the run was cancelled' }]);
    expect(amount(due.lines, 'orch', 'cons')).toBe(BigInt(u(40)));
  });

  it('a reviewer\'s later decision overrides a revocation; a later revocation overrides a decision', () => {
    const withdrawal: DueAmendment = { kind: 'withdrawal', at: at(1), payerId: 'orch', recipientId: 'cons', cause: 'revocation', reason: 'r' };
    const adjust: DueAmendment = { kind: 'decision', at: at(2), incidentId: 'inc-2', decision: 'adjust', lines: [line('cons', 'prov', 5), line('orch', 'cons', 45)] };
    expect(amount(dueNow(contract, [], [withdrawal, adjust]).lines, 'orch', 'cons')).toBe(BigInt(u(45)));
    expect(amount(dueNow(contract, [], [{ ...withdrawal, at: at(3) }, adjust]).lines, 'orch', 'cons')).toBe(0n);
  });

  const payers = ['a', 'b'] as const;
  const recipients = ['b', 'c', 'd'] as const;
  const pairArb = fc.record({ payerId: fc.constantFrom(...payers), recipientId: fc.constantFrom(...recipients) });
  const linesArb = fc.array(fc.record({ pair: pairArb, points: fc.integer({ min: 1, max: 500 }) }), { maxLength: 6 }).map((xs) => xs.map((x) => line(x.pair.payerId, x.pair.recipientId, x.points)));
  const heldArb = fc
    .array(fc.record({ pair: pairArb, points: fc.integer({ min: 1, max: 500 }), status: fc.constantFrom<HeldLine['status']>('allocated', 'released', 'revoked'), round: fc.constantFrom('initial', 'inc-1') }), {
      maxLength: 8,
    })
    .map((xs) => xs.map((x) => held(x.pair.payerId, x.pair.recipientId, x.points, x.status, x.round)));
  const amendmentArb: fc.Arbitrary<DueAmendment> = fc.oneof(
    fc.record({ second: fc.integer({ min: 0, max: 59 }), lines: linesArb, decision: fc.constantFrom('approve-correction', 'adjust', 'reject' as const) }).map(
      (d): DueAmendment => ({ kind: 'decision', at: at(d.second), incidentId: `inc-${d.second}`, decision: d.decision, lines: d.lines }),
    ),
    fc.record({ second: fc.integer({ min: 0, max: 59 }), pair: pairArb, cause: fc.constantFrom('revocation', 'cancellation' as const) }).map(
      (w): DueAmendment => ({ kind: 'withdrawal', at: at(w.second), payerId: w.pair.payerId, recipientId: w.pair.recipientId, cause: w.cause, reason: 'r' }),
    ),
  );
  // Distinct instants: what happened first is then never in doubt.
  const historyArb = fc.uniqueArray(amendmentArb, { selector: (a) => a.at, maxLength: 5 });

  it('the latest decision is the yardstick, whatever came before it', () => {
    fc.assert(
      fc.property(linesArb, heldArb, historyArb, linesArb, (contractLines, holdings, history, decided) => {
        const last: DueAmendment = { kind: 'decision', at: at(60), incidentId: 'inc-last', decision: 'reject', lines: decided };
        const due = dueNow(contractLines, holdings, [...history, last]);
        expect(due.lines).toEqual(dueNow(decided, [], []).lines);
      }),
    );
  });

  it('after a deliberate revocation with no later decision, no correction ever allocates more to that pair', () => {
    fc.assert(
      fc.property(linesArb, heldArb, historyArb, pairArb, (contractLines, holdings, history, pair) => {
        // The revocation took back every line of the pair that was still held.
        const after = holdings.map((l) => (l.payerId === pair.payerId && l.recipientId === pair.recipientId && l.status === 'allocated' ? { ...l, status: 'revoked' as const } : l));
        const withdrawal: DueAmendment = { kind: 'withdrawal', at: at(60), payerId: pair.payerId, recipientId: pair.recipientId, cause: 'revocation', reason: 'r' };
        const due = dueNow(contractLines, after, [...history, withdrawal]);
        const plan = planCorrection(after, due.lines);
        expect(plan.allocate.filter((l) => l.payerId === pair.payerId && l.recipientId === pair.recipientId)).toEqual([]);
        expect(plan.revoke.filter((l) => l.payerId === pair.payerId && l.recipientId === pair.recipientId)).toEqual([]);
      }),
    );
  });

  it('is the same whatever order the records come in, and its departures are exactly the pairs that differ from the contract', () => {
    fc.assert(
      fc.property(linesArb, heldArb, historyArb, (contractLines, holdings, history) => {
        const due = dueNow(contractLines, holdings, history);
        expect(dueNow(contractLines, holdings, [...history].reverse())).toEqual(due);
        expect(BigInt(due.totalDue)).toBe(due.lines.reduce((s, l) => s + BigInt(l.amount), 0n));
        expect(due.lines.every((l) => BigInt(l.amount) > 0n)).toBe(true);
        const signed = dueNow(contractLines, [], []).lines;
        for (const payerId of payers) {
          for (const recipientId of recipients) {
            const departs = due.departures.find((d) => d.payerId === payerId && d.recipientId === recipientId);
            expect(departs !== undefined).toBe(amount(due.lines, payerId, recipientId) !== amount(signed, payerId, recipientId));
          }
        }
      }),
    );
  });

  it('a reject keeps the holdings as found: moving to them changes nothing', () => {
    fc.assert(
      fc.property(heldArb, (holdings) => {
        const kept = standingLines(holdings);
        expect(planCorrection(holdings, kept)).toEqual({ revoke: [], allocate: [], unrecoverable: [] });
        expect(kept.reduce((s, l) => s + BigInt(l.amount), 0n)).toBe([...standingPerPair(holdings).values()].reduce((s, a) => s + a, 0n));
      }),
    );
  });
});
