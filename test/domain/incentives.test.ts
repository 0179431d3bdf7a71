import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPpm, factorToPpm, fromUnits, pointsToUnits, sumUnits } from '../../domain/amounts';
import { DvctError } from '../../domain/errors';
import {
  computeAwardParts,
  computeExchangeDistribution,
  type DistributionInput,
  distributionFromParts,
  expectedPerRecipient,
  type LineageSlice,
} from '../../domain/incentives';
import type { ExchangeMetrics } from '../../domain/incidents';
import type { AwardPart, UpstreamShare } from '../../domain/types';
import { E18, makeContract, makeReport } from './fixtures';

type Graph = Record<string, [owner: string | null, parents: string[]]>;

function lineage(graph: Graph): LineageSlice {
  return {
    nodes: Object.fromEntries(Object.entries(graph).map(([id, [ownerId, parentIds]]) => [id, { ownerId, parentIds }])),
  };
}

/** The consumed node C is owned by the provider, the output node OUT by the consumer. */
function input(options: {
  graph?: Graph;
  upstream?: UpstreamShare | null;
  aiProvider?: boolean;
  factors?: { dataProvider: number; aiProvider: number };
  numPoints?: number;
}): DistributionInput {
  const graph: Graph = { C: ['prov', []], OUT: ['cons', ['C']], ...options.graph };
  const args: DistributionInput = {
    contract: makeContract({
      upstream: options.upstream ?? null,
      incentiveForDataProvider: { numPoints: options.numPoints ?? 5, factor: 1, factorCheck: false },
    }),
    report: makeReport({ dataConsumerIsAIProvider: options.aiProvider ?? false }),
    consumedNodeId: 'C',
    outputNodeId: 'OUT',
    metrics: { dataProvider: { numPoints: 0, factor: 1 }, aiProvider: null },
    lineage: lineage(graph),
  };
  return { ...args, metrics: metricsWith(args, options.factors ?? { dataProvider: 1, aiProvider: 1 }) };
}

/** The contract's points with the given factors, an AI award when the report says so. */
function metricsWith(args: DistributionInput, factors: { dataProvider: number; aiProvider: number }): ExchangeMetrics {
  const ai = args.contract.extraIncentiveForAIProvider;
  return {
    dataProvider: { numPoints: args.contract.incentiveForDataProvider.numPoints, factor: factors.dataProvider },
    aiProvider: ai && args.report.dataConsumerIsAIProvider ? { numPoints: ai.numPoints, factor: factors.aiProvider } : null,
  };
}

const units = (points: string) => pointsToUnits(points).toString();

function perRecipient(parts: readonly AwardPart[]): Record<string, bigint> {
  const totals: Record<string, bigint> = {};
  for (const p of parts) totals[p.recipientId] = (totals[p.recipientId] ?? 0n) + fromUnits(p.amount);
  return totals;
}

describe('the design document example', () => {
  it('pays 5 points from the consumer to the provider and 10 from the orchestrator to the AI provider', () => {
    const distribution = computeExchangeDistribution(input({ aiProvider: true }));
    expect(distribution.lines).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('5') },
      { payerId: 'orch', recipientId: 'cons', amount: units('10') },
    ]);
    expect(distribution.parts).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('5'), reason: 'data-provider', nodeId: 'C', depth: 0 },
      { payerId: 'orch', recipientId: 'cons', amount: units('10'), reason: 'ai-provider', nodeId: 'OUT', depth: 0 },
    ]);
    expect(distribution.totalDue).toBe(units('15'));
    expect(expectedPerRecipient(distribution)).toEqual({ cons: units('10'), prov: units('5') });
  });

  it('pays no AI award when the consumer is not an AI provider, or the contract has none', () => {
    expect(computeExchangeDistribution(input({ aiProvider: false })).lines).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('5') },
    ]);
    const noExtra = { ...input({ aiProvider: true }) };
    noExtra.contract = { ...noExtra.contract, extraIncentiveForAIProvider: null };
    expect(computeExchangeDistribution(noExtra).totalDue).toBe(units('5'));
  });
});

describe('factors', () => {
  it('scales each award by its effective factor, exactly', () => {
    const half = computeExchangeDistribution(input({ aiProvider: true, factors: { dataProvider: 0.5, aiProvider: 0.5 } }));
    expect(half.lines).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('2.5') },
      { payerId: 'orch', recipientId: 'cons', amount: units('5') },
    ]);
    const third = computeExchangeDistribution(input({ aiProvider: true, factors: { dataProvider: 0.333333, aiProvider: 0.333333 } }));
    expect(third.lines).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('1.666665') },
      { payerId: 'orch', recipientId: 'cons', amount: units('3.33333') },
    ]);
  });

  it('rounds an award down to one base unit; a zero award leaves no line', () => {
    const tiny = computeExchangeDistribution(input({ numPoints: 3e-18, factors: { dataProvider: 0.5, aiProvider: 1 } }));
    expect(tiny.lines).toEqual([{ payerId: 'cons', recipientId: 'prov', amount: '1' }]);
    const nothing = computeExchangeDistribution(input({ factors: { dataProvider: 0, aiProvider: 1 } }));
    expect(nothing).toEqual({ lines: [], parts: [], totalDue: '0' });
  });

  it('rejects invalid effective factors and invalid contracts', () => {
    expect(() => computeExchangeDistribution(input({ factors: { dataProvider: 1.5, aiProvider: 1 } }))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('metrics.dataProvider.factor') }),
    );
    const broken = input({ upstream: { share: 0.2, depth: 0 } });
    expect(() => computeExchangeDistribution(broken)).toThrow(DvctError);
    expect(() => computeExchangeDistribution(broken)).toThrow(
      expect.objectContaining({ code: 'INVALID_INCENTIVE_TERMS', message: expect.stringContaining('upstream.depth') }),
    );
  });
});

describe('upstream share', () => {
  it('passes share × award up a linear chain, depth 3 with share 0.2', () => {
    const graph: Graph = { C: ['prov', ['P1']], P1: ['u1', ['P2']], P2: ['u2', ['P3']], P3: ['u3', ['P4']], P4: ['u4', []] };
    const distribution = computeExchangeDistribution(input({ graph, upstream: { share: 0.2, depth: 3 } }));
    expect(distribution.parts).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('4'), reason: 'data-provider', nodeId: 'C', depth: 0 },
      { payerId: 'cons', recipientId: 'u1', amount: units('0.8'), reason: 'upstream', nodeId: 'P1', depth: 1 },
      { payerId: 'cons', recipientId: 'u2', amount: units('0.16'), reason: 'upstream', nodeId: 'P2', depth: 2 },
      // Level 3 is the last: u3 keeps all of its 0.04; u4 gets nothing.
      { payerId: 'cons', recipientId: 'u3', amount: units('0.04'), reason: 'upstream', nodeId: 'P3', depth: 3 },
    ]);
    expect(distribution.totalDue).toBe(units('5'));
  });

  it('splits a share equally among three parents, the remainder unit to the lowest nodeId', () => {
    const graph: Graph = { C: ['prov', ['Pc', 'Pa', 'Pb']], Pa: ['a', []], Pb: ['b', []], Pc: ['c', []] };
    const distribution = computeExchangeDistribution(input({ graph, upstream: { share: 0.2, depth: 1 } }));
    // 5 points × 0.2 = 10^18 units, 10^18 = 3 × 333333333333333333 + 1.
    expect(perRecipient(distribution.parts)).toEqual({
      prov: 4n * E18,
      a: 333333333333333334n,
      b: 333333333333333333n,
      c: 333333333333333333n,
    });
    expect(distribution.parts.map((p) => p.nodeId)).toEqual(['C', 'Pa', 'Pb', 'Pc']);
  });

  it('follows each path of a diamond: the top node earns once per path', () => {
    const graph: Graph = { C: ['prov', ['A', 'B']], A: ['a', ['R']], B: ['b', ['R']], R: ['r', []] };
    const distribution = computeExchangeDistribution(input({ graph, upstream: { share: 0.5, depth: 2 }, numPoints: 4 }));
    expect(distribution.parts.filter((p) => p.nodeId === 'R')).toEqual([
      { payerId: 'cons', recipientId: 'r', amount: units('0.5'), reason: 'upstream', nodeId: 'R', depth: 2 },
      { payerId: 'cons', recipientId: 'r', amount: units('0.5'), reason: 'upstream', nodeId: 'R', depth: 2 },
    ]);
    expect(distribution.lines).toEqual([
      { payerId: 'cons', recipientId: 'a', amount: units('0.5') },
      { payerId: 'cons', recipientId: 'b', amount: units('0.5') },
      { payerId: 'cons', recipientId: 'prov', amount: units('2') },
      { payerId: 'cons', recipientId: 'r', amount: units('1') },
    ]);
  });

  it('does not loop on a cycle: a node already on the path is not paid again', () => {
    const graph: Graph = { C: ['prov', ['A']], A: ['a', ['C', 'B']], B: ['b', ['A', 'B']] };
    const distribution = computeExchangeDistribution(input({ graph, upstream: { share: 0.5, depth: 20 }, numPoints: 8 }));
    expect(perRecipient(distribution.parts)).toEqual({ prov: 4n * E18, a: 2n * E18, b: 2n * E18 });
    expect(distribution.totalDue).toBe(units('8'));
  });

  it('skips parents with an unknown owner; with none left the holder keeps everything', () => {
    const someUnknown: Graph = { C: ['prov', ['X', 'Y', 'MISSING']], X: [null, []], Y: ['y', []] };
    expect(perRecipient(computeExchangeDistribution(input({ graph: someUnknown, upstream: { share: 0.5, depth: 1 } })).parts)).toEqual({
      prov: 25n * 10n ** 17n,
      y: 25n * 10n ** 17n,
    });
    const allUnknown: Graph = { C: ['prov', ['X']], X: [null, ['Z']], Z: ['z', []] };
    expect(computeExchangeDistribution(input({ graph: allUnknown, upstream: { share: 0.5, depth: 3 } })).lines).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('5') },
    ]);
  });

  it('stops at the contract depth however long the chain is', () => {
    const graph: Graph = { C: ['prov', ['N1']] };
    for (let i = 1; i <= 30; i++) graph[`N${i}`] = [`o${i}`, i < 30 ? [`N${i + 1}`] : []];
    const parts = computeExchangeDistribution(input({ graph, upstream: { share: 0.5, depth: 4 } })).parts;
    expect(Math.max(...parts.map((p) => p.depth))).toBe(4);
    expect(parts.map((p) => p.recipientId)).toEqual(['prov', 'o1', 'o2', 'o3', 'o4']);
  });

  it('passes the AI award up too, paid by the orchestrator', () => {
    const distribution = computeExchangeDistribution(input({ aiProvider: true, upstream: { share: 0.1, depth: 1 } }));
    expect(distribution.lines).toEqual([
      { payerId: 'cons', recipientId: 'prov', amount: units('5') }, // C has no parents: provider keeps all
      { payerId: 'orch', recipientId: 'cons', amount: units('9') },
      { payerId: 'orch', recipientId: 'prov', amount: units('1') },
    ]);
  });
});

describe('self-payments', () => {
  it('drops a part whose payer is its recipient from parts, lines and totalDue', () => {
    const graph: Graph = { C: ['prov', ['MINE']], MINE: ['cons', []] };
    const args = input({ graph, upstream: { share: 0.2, depth: 1 } });
    const all = computeAwardParts(args);
    expect(all).toContainEqual({ payerId: 'cons', recipientId: 'cons', amount: units('1'), reason: 'upstream', nodeId: 'MINE', depth: 1 });
    const distribution = computeExchangeDistribution(args);
    expect(distribution.parts.some((p) => p.payerId === p.recipientId)).toBe(false);
    expect(distribution.lines).toEqual([{ payerId: 'cons', recipientId: 'prov', amount: units('4') }]);
    expect(distribution.totalDue).toBe(units('4'));
  });

  it('drops the AI award when the orchestrator is itself the consumer', () => {
    const args = input({ aiProvider: true });
    args.contract = {
      ...args.contract,
      orchestratorId: 'cons',
      parties: [
        { participantId: 'prov', roles: ['data-provider'] },
        { participantId: 'cons', roles: ['orchestrator', 'data-consumer', 'ai-provider'] },
      ],
    };
    expect(computeExchangeDistribution(args).lines).toEqual([{ payerId: 'cons', recipientId: 'prov', amount: units('5') }]);
  });
});

describe('distributionFromParts', () => {
  it('merges per (payer, recipient), sorted, leaving out zero and self parts', () => {
    const part = (payerId: string, recipientId: string, amount: string): AwardPart => ({ payerId, recipientId, amount, reason: 'upstream', nodeId: 'n', depth: 1 });
    const distribution = distributionFromParts([part('p2', 'r1', '5'), part('p1', 'r2', '1'), part('p1', 'r1', '2'), part('p2', 'r1', '3'), part('p1', 'p1', '7'), part('p1', 'r3', '0')]);
    expect(distribution.lines).toEqual([
      { payerId: 'p1', recipientId: 'r1', amount: '2' },
      { payerId: 'p1', recipientId: 'r2', amount: '1' },
      { payerId: 'p2', recipientId: 'r1', amount: '8' },
    ]);
    expect(distribution.parts).toHaveLength(4);
    expect(distribution.totalDue).toBe('11');
    expect(expectedPerRecipient(distribution)).toEqual({ r1: '10', r2: '1' });
  });
});

describe('properties over random lineage graphs and terms', () => {
  const OWNERS = ['prov', 'cons', 'orch', 'o1', 'o2', 'o3', null] as const;
  const NODE_IDS = ['C', 'N1', 'N2', 'N3', 'N4', 'N5', 'N6', 'N7'];

  const graphArb = fc
    .tuple(
      fc.array(fc.constantFrom(...OWNERS), { minLength: NODE_IDS.length, maxLength: NODE_IDS.length }),
      fc.array(fc.subarray(NODE_IDS, { maxLength: 3 }), { minLength: NODE_IDS.length, maxLength: NODE_IDS.length }),
      fc.integer({ min: 0, max: NODE_IDS.length }),
    )
    .map(([owners, parents, size]) => {
      const graph: Graph = { OUT: ['cons', ['C']] };
      NODE_IDS.slice(0, Math.max(1, size)).forEach((id, i) => {
        graph[id] = [id === 'C' ? 'prov' : (owners[i] ?? null), parents[i] ?? []];
      });
      return graph;
    });

  const caseArb = fc.record({
    graph: graphArb,
    numPoints: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 10 ** 9 }).map((n) => n / 1e9)),
    aiPoints: fc.integer({ min: 0, max: 1000 }),
    aiProvider: fc.boolean(),
    providerPpm: fc.integer({ min: 0, max: 1_000_000 }),
    aiPpm: fc.integer({ min: 0, max: 1_000_000 }),
    upstream: fc.option(fc.record({ share: fc.integer({ min: 0, max: 999_999 }).map((n) => n / 1e6), depth: fc.integer({ min: 1, max: 5 }) })),
  });

  type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

  function toInput(c: Case): DistributionInput {
    const args = input({
      graph: c.graph,
      upstream: c.upstream,
      aiProvider: c.aiProvider,
      numPoints: c.numPoints,
      factors: { dataProvider: c.providerPpm / 1e6, aiProvider: c.aiPpm / 1e6 },
    });
    args.contract = { ...args.contract, extraIncentiveForAIProvider: { numPoints: c.aiPoints, factor: 1, factorCheck: false } };
    return { ...args, metrics: metricsWith(args, { dataProvider: c.providerPpm / 1e6, aiProvider: c.aiPpm / 1e6 }) };
  }

  function flooredAwards(c: Case): bigint {
    const provider = applyPpm(pointsToUnits(c.numPoints), factorToPpm(c.providerPpm / 1e6));
    const ai = c.aiProvider ? applyPpm(pointsToUnits(c.aiPoints), factorToPpm(c.aiPpm / 1e6)) : 0n;
    return provider + ai;
  }

  it('creates and loses nothing: Σ all parts = Σ floored awards; Σ lines = totalDue = Σ parts without self-payments', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const args = toInput(c);
        const all = computeAwardParts(args);
        expect(all.every((p) => fromUnits(p.amount) > 0n)).toBe(true);
        expect(sumUnits(all.map((p) => p.amount))).toBe(flooredAwards(c));
        const distribution = computeExchangeDistribution(args);
        const nonSelf = sumUnits(all.filter((p) => p.payerId !== p.recipientId).map((p) => p.amount));
        expect(sumUnits(distribution.lines.map((l) => l.amount))).toBe(nonSelf);
        expect(fromUnits(distribution.totalDue)).toBe(nonSelf);
        expect(sumUnits(distribution.parts.map((p) => p.amount))).toBe(nonSelf);
        expect(sumUnits(Object.values(expectedPerRecipient(distribution)))).toBe(nonSelf);
      }),
      { numRuns: 400 },
    );
  });

  it('has positive amounts only, one line per (payer, recipient), sorted, no self-payment, depth within the contract', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const args = toInput(c);
        const distribution = computeExchangeDistribution(args);
        const keys = distribution.lines.map((l) => `${l.payerId}→${l.recipientId}`);
        expect(new Set(keys).size).toBe(keys.length);
        const sorted = [...distribution.lines].sort((a, b) => (a.payerId === b.payerId ? (a.recipientId < b.recipientId ? -1 : 1) : a.payerId < b.payerId ? -1 : 1));
        expect(distribution.lines).toEqual(sorted);
        for (const line of distribution.lines) {
          expect(fromUnits(line.amount) > 0n).toBe(true);
          expect(line.payerId).not.toBe(line.recipientId);
        }
        const maxDepth = c.upstream && c.upstream.share > 0 ? c.upstream.depth : 0;
        for (const part of distribution.parts) {
          expect(fromUnits(part.amount) > 0n).toBe(true);
          expect(part.depth).toBeLessThanOrEqual(maxDepth);
          if (part.depth > 0) {
            expect(part.reason).toBe('upstream');
            expect(part.recipientId).toBe(args.lineage.nodes[part.nodeId ?? '']?.ownerId);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('is deterministic: the same input, or parents listed in another order or twice, gives the same distribution', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, seed) => {
        const args = toInput(c);
        const reordered = toInput(c);
        const entries = Object.entries(reordered.lineage.nodes).reverse();
        reordered.lineage = {
          nodes: Object.fromEntries(
            entries.map(([id, node]) => [id, { ...node, parentIds: shuffle([...node.parentIds, ...node.parentIds.slice(0, 1)], seed) }]),
          ),
        };
        const first = computeExchangeDistribution(args);
        expect(computeExchangeDistribution(toInput(c))).toEqual(first);
        expect(computeExchangeDistribution(reordered)).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });
});

/** A seeded Fisher–Yates shuffle, so a failing case replays. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = (seed % 2147483646) + 1;
  const next = () => {
    state = (state * 48271) % 2147483647; // MINSTD: products stay exact in a double
    return state;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
