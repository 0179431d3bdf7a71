import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount, buildProviderReport, type ProviderReportInput, type ReportLine, type ReportUse } from '../../domain/provider-report';

const E18 = 10n ** 18n;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const pts = (n: bigint) => (n * E18).toString();

function use(exchangeId: string, over: Partial<ReportUse> = {}): ReportUse {
  return {
    exchangeId,
    at: at(0),
    usecaseContractId: 'uc-skills',
    contractId: 'dc-1',
    consumerId: 'org-c1',
    status: 'completed',
    dataId: 'p1-raw',
    nodeId: 'node-raw',
    depth: 0,
    sourceDataId: 'p1-raw',
    ...over,
  };
}

function line(exchangeId: string, points: bigint, status: ReportLine['status'], createdAt: number, updatedAt = createdAt): ReportLine {
  return { exchangeId, amount: pts(points), status, createdAt: at(createdAt), updatedAt: at(updatedAt) };
}

function report(over: Partial<ProviderReportInput> = {}) {
  return buildProviderReport({ participantId: 'org-p1', period: { from: null, to: null }, uses: [], lines: [], awards: [], truncated: false, ...over });
}

/** P1 in the design document's sequence: ex-1 (C1 uses P1's raw data: 5 direct + 2 upstream), ex-2 (C2 uses it: 5), ex-3 (C2 uses C1's chain data made from it: 1 upstream). */
const sequence: Partial<ProviderReportInput> = {
  uses: [
    use('ex-1', { at: at(0) }),
    use('ex-2', { at: at(10), consumerId: 'org-c2' }),
    use('ex-3', { at: at(11), consumerId: 'org-c2', dataId: 'c1-chain', nodeId: 'node-chain', depth: 1 }),
  ],
  lines: [
    line('ex-1', 5n, 'released', 1, 4),
    line('ex-1', 2n, 'released', 1, 4),
    line('ex-2', 5n, 'released', 12, 15),
    line('ex-3', 1n, 'allocated', 13),
  ],
  awards: [
    { exchangeId: 'ex-1', amount: pts(5n), reason: 'data-provider' },
    { exchangeId: 'ex-1', amount: pts(2n), reason: 'upstream' },
    { exchangeId: 'ex-2', amount: pts(5n), reason: 'data-provider' },
    { exchangeId: 'ex-3', amount: pts(1n), reason: 'upstream' },
  ],
};

describe('buildProviderReport on the design document sequence', () => {
  const r = report(sequence);

  it('totals earned, pending, released and revoked points', () => {
    expect(r.totals).toEqual({ earned: amount(13n * E18), pending: amount(1n * E18), released: amount(12n * E18), revoked: amount(0n) });
    expect(r.totals.earned.points).toBe('13');
  });

  it('counts direct and indirect uses by use case and depth, with what each earned', () => {
    expect(r.usage).toEqual({
      uses: 3,
      direct: 2,
      indirect: 1,
      byUseCase: [
        {
          usecaseContractId: 'uc-skills',
          uses: 3,
          earned: amount(13n * E18),
          byDepth: [
            { depth: 0, uses: 2, earned: amount(12n * E18) },
            { depth: 1, uses: 1, earned: amount(1n * E18) },
          ],
        },
      ],
    });
  });

  it('lists the uses newest first, each with its points', () => {
    expect(r.uses.map((u) => [u.exchangeId, u.depth, u.earned.points])).toEqual([
      ['ex-3', 1, '1'],
      ['ex-2', 0, '5'],
      ['ex-1', 0, '7'],
    ]);
    expect(r.uses[0]).toMatchObject({ dataId: 'c1-chain', sourceDataId: 'p1-raw', consumerId: 'org-c2', at: at(11).toISOString() });
  });

  it('says why the points were awarded', () => {
    expect(r.awardedByReason).toEqual([
      { reason: 'data-provider', ...amount(10n * E18) },
      { reason: 'upstream', ...amount(3n * E18) },
    ]);
  });

  it('draws points over time: running totals after each allocation and release, one point per instant', () => {
    expect(r.timeline.map((p) => [p.at, p.earned.points, p.released.points])).toEqual([
      [at(1).toISOString(), '7', '0'],
      [at(4).toISOString(), '7', '7'],
      [at(12).toISOString(), '12', '7'],
      [at(13).toISOString(), '13', '7'],
      [at(15).toISOString(), '13', '12'],
    ]);
  });
});

describe('buildProviderReport', () => {
  it('moves a revoked line out of earned, at the time it was revoked', () => {
    const r = report({ uses: [use('ex-1')], lines: [line('ex-1', 5n, 'revoked', 1, 3)] });
    expect(r.totals.earned.units).toBe('0');
    expect(r.totals.revoked).toEqual(amount(5n * E18));
    expect(r.uses[0]).toMatchObject({ earned: amount(0n), revoked: amount(5n * E18) });
    expect(r.timeline.map((p) => [p.earned.points, p.revoked.points])).toEqual([['5', '0'], ['0', '5']]);
  });

  it('leaves out uses of the participant\'s data by itself', () => {
    const r = report({ uses: [use('ex-1', { consumerId: 'org-p1' }), use('ex-2')] });
    expect(r.uses.map((u) => u.exchangeId)).toEqual(['ex-2']);
    expect(r.usage.uses).toBe(1);
  });

  it('counts earnings without a use of the participant\'s data (AI provider, pool) in the totals only', () => {
    const r = report({
      lines: [line('ex-9', 8n, 'allocated', 1), line('st-1', 3n, 'released', 2, 5)],
      awards: [
        { exchangeId: 'ex-9', amount: pts(8n), reason: 'ai-provider' },
        { exchangeId: 'st-1', amount: pts(3n), reason: 'pool' },
      ],
    });
    expect(r.totals.earned.points).toBe('11');
    expect(r.usage.uses).toBe(0);
    expect(r.awardedByReason.map((a) => a.reason)).toEqual(['ai-provider', 'pool']);
  });

  it('answers an empty report for a participant nobody used', () => {
    const r = report({ period: { from: at(0), to: at(60) } });
    expect(r).toMatchObject({ period: { from: at(0).toISOString(), to: at(60).toISOString() }, uses: [], timeline: [], awardedByReason: [] });
    expect(r.totals.earned).toEqual({ points: '0', units: '0' });
  });

  it('keeps fractional points exact', () => {
    const r = report({ lines: [{ exchangeId: 'ex-1', amount: '1', status: 'allocated', createdAt: at(0), updatedAt: at(0) }, line('ex-1', 2n, 'allocated', 0)] });
    expect(r.totals.earned).toEqual({ points: '2.000000000000000001', units: '2000000000000000001' });
  });
});

describe('buildProviderReport, properties', () => {
  const lineArb = fc.record({
    exchangeId: fc.constantFrom('ex-1', 'ex-2', 'ex-3', 'ex-4'),
    amount: fc.bigInt({ min: 1n, max: 10n ** 24n }).map(String),
    status: fc.constantFrom<ReportLine['status']>('allocated', 'released', 'revoked'),
    createdAt: fc.integer({ min: 0, max: 1_000 }).map(at),
    later: fc.integer({ min: 0, max: 1_000 }),
  });
  const linesArb = fc.array(lineArb, { maxLength: 25 }).map((ls) =>
    ls.map(({ later, ...l }) => ({ ...l, updatedAt: new Date(l.createdAt.getTime() + later * 1000) })),
  );
  const usesArb = fc.array(
    fc.record({
      exchangeId: fc.constantFrom('ex-1', 'ex-2', 'ex-3', 'ex-4', 'ex-5'),
      depth: fc.integer({ min: 0, max: 4 }),
      usecaseContractId: fc.constantFrom('uc-a', 'uc-b'),
      at: fc.integer({ min: 0, max: 1_000 }).map(at),
    }),
    { maxLength: 10 },
  );

  it('conserves points: earned + revoked is everything allocated; earned = pending + released; the timeline ends at the totals', () => {
    fc.assert(
      fc.property(linesArb, (lines) => {
        const r = report({ lines });
        const all = lines.reduce((s, l) => s + BigInt(l.amount), 0n);
        expect(BigInt(r.totals.earned.units) + BigInt(r.totals.revoked.units)).toBe(all);
        expect(BigInt(r.totals.earned.units)).toBe(BigInt(r.totals.pending.units) + BigInt(r.totals.released.units));
        const last = r.timeline.at(-1);
        if (lines.length === 0) expect(last).toBeUndefined();
        else expect([last!.earned, last!.released, last!.revoked]).toEqual([r.totals.earned, r.totals.released, r.totals.revoked]);
      }),
    );
  });

  it('draws a timeline in time order where released and revoked never go down and earned never goes below zero', () => {
    fc.assert(
      fc.property(linesArb, (lines) => {
        const t = report({ lines }).timeline;
        for (let i = 1; i < t.length; i++) {
          expect(Date.parse(t[i]!.at)).toBeGreaterThan(Date.parse(t[i - 1]!.at));
          expect(BigInt(t[i]!.released.units)).toBeGreaterThanOrEqual(BigInt(t[i - 1]!.released.units));
          expect(BigInt(t[i]!.revoked.units)).toBeGreaterThanOrEqual(BigInt(t[i - 1]!.revoked.units));
        }
        for (const p of t) expect(BigInt(p.earned.units)).toBeGreaterThanOrEqual(0n);
      }),
    );
  });

  it('adds up: uses by use case and depth count every use once, and their points are the uses\' points', () => {
    fc.assert(
      fc.property(usesArb, linesArb, (partial, lines) => {
        const r = report({ uses: partial.map((u) => use(u.exchangeId, u)), lines });
        const byCase = r.usage.byUseCase;
        expect(byCase.reduce((n, c) => n + c.uses, 0)).toBe(r.usage.uses);
        expect(r.usage.direct + r.usage.indirect).toBe(r.usage.uses);
        for (const c of byCase) {
          expect(c.byDepth.reduce((n, d) => n + d.uses, 0)).toBe(c.uses);
          const fromUses = r.uses.filter((u) => u.usecaseContractId === c.usecaseContractId).reduce((s, u) => s + BigInt(u.earned.units), 0n);
          expect(BigInt(c.earned.units)).toBe(fromUses);
        }
      }),
    );
  });
});
