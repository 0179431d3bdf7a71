import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exchange } from '../../db/entities';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { exchange, link, node } from './fixtures';

/**
 * The store reads behind a provider's report. The graph: prov owns r1 and r2; r1 → a → b → c,
 * r2 → b (so b is reached from r1 at depth 2 and from r2 at depth 1), plus a loop c → a.
 */
let db: TestDatabase;
const E18 = 10n ** 18n;

beforeAll(async () => {
  db = await createTestDatabase();
  for (const id of ['r1', 'r2']) await db.store.upsertNode(node(id, { ownerId: 'prov' }));
  for (const id of ['a', 'b', 'c']) await db.store.upsertNode(node(id, { ownerId: 'cons', kind: 'chain-data' }));
  for (const [parent, child] of [['r1', 'a'], ['a', 'b'], ['r2', 'b'], ['b', 'c'], ['c', 'a']] as const) await db.store.linkNodes(link(parent, child));
});
afterAll(async () => {
  await db?.close();
});

describe('downstream', () => {
  it('reaches every descendant once, at the fewest levels, naming the start node it came from', async () => {
    const { nodes, truncated } = await db.store.downstream(['r1', 'r2'], 10);
    const byId = Object.fromEntries(nodes.map((n) => [n.nodeId, [n.depth, n.sourceNodeId]]));
    expect(byId).toEqual({ r1: [0, 'r1'], r2: [0, 'r2'], a: [1, 'r1'], b: [1, 'r2'], c: [2, 'r2'] });
    expect(truncated).toBe(false);
  });

  it('stops at the depth, and says so only when something was left out', async () => {
    const shallow = await db.store.downstream(['r1'], 1);
    expect(shallow.nodes.map((n) => n.nodeId)).toEqual(['r1', 'a']);
    expect(shallow.truncated).toBe(true);
    const exact = await db.store.downstream(['c'], 1);
    // c → a, and a's child b is one level further: cut off.
    expect(exact.nodes.map((n) => n.nodeId)).toEqual(['c', 'a']);
    expect((await db.store.downstream(['r2'], 3)).truncated).toBe(false);
  });

  it('stops at maxNodes', async () => {
    const bounded = await db.store.downstream(['r1'], 10, { maxNodes: 2 });
    expect(bounded.nodes).toHaveLength(2);
    expect(bounded.truncated).toBe(true);
  });

  it('answers nothing for no start nodes', async () => {
    expect(await db.store.downstream([], 5)).toEqual({ nodes: [], truncated: false });
  });
});

describe('nodesOwnedBy', () => {
  it('lists the participant\'s nodes', async () => {
    expect((await db.store.nodesOwnedBy('prov')).map((n) => n.nodeId).sort()).toEqual(['r1', 'r2']);
    expect(await db.store.nodesOwnedBy('nobody')).toEqual([]);
  });
});

describe('exchangesConsuming', () => {
  beforeAll(async () => {
    const when = ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'];
    for (const [i, consumed] of (['a', 'b', 'zz'] as const).entries()) {
      await db.store.insertExchangeIfAbsent(exchange(`use-${consumed}`, { workflowId: `exchange-use-${consumed}` }));
      await db.store.updateExchange(`use-${consumed}`, { consumedNodeId: consumed });
      await db.orm.em.fork().nativeUpdate(Exchange, { id: `use-${consumed}` }, { createdAt: new Date(when[i]!) });
    }
    await db.store.insertExchangeIfAbsent(exchange('settle-a', { kind: 'settlement', workflowId: 'settlement-a', report: null }));
    await db.store.updateExchange('settle-a', { consumedNodeId: 'a' });
  });

  it('finds the exchanges that consumed the nodes, oldest first, settlements left out', async () => {
    expect((await db.store.exchangesConsuming(['a', 'b', 'c'], {})).map((e) => e.id)).toEqual(['use-a', 'use-b']);
  });

  it('keeps to the period: from inclusive, to exclusive', async () => {
    const period = { from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') };
    expect((await db.store.exchangesConsuming(['a', 'b', 'zz'], period)).map((e) => e.id)).toEqual(['use-b']);
    expect((await db.store.exchangesConsuming(['a', 'b', 'zz'], { from: period.to })).map((e) => e.id)).toEqual(['use-zz']);
    expect(await db.store.exchangesConsuming([], {})).toEqual([]);
  });
});

describe('receivedBy', () => {
  beforeAll(async () => {
    await db.store.insertExchangeIfAbsent(exchange('paid', { workflowId: 'exchange-paid' }));
    await db.store.recordDistribution({
      exchangeId: 'paid',
      parts: [
        { payerId: 'cons', recipientId: 'prov', amount: (5n * E18).toString(), reason: 'data-provider', nodeId: 'r1', depth: 0, contractId: 'c-1' },
        { payerId: 'orch', recipientId: 'prov', amount: (2n * E18).toString(), reason: 'upstream', nodeId: 'r1', depth: 1, contractId: 'c-1' },
        { payerId: 'orch', recipientId: 'cons', amount: (8n * E18).toString(), reason: 'ai-provider', nodeId: 'a', depth: 0, contractId: 'c-1' },
      ],
      lines: [
        { payerId: 'cons', recipientId: 'prov', amount: (5n * E18).toString() },
        { payerId: 'orch', recipientId: 'cons', amount: (8n * E18).toString() },
        { payerId: 'orch', recipientId: 'prov', amount: (2n * E18).toString() },
      ],
      allocationTxHash: '0xpaid',
      releaseAt: new Date('2030-01-01T00:00:00Z'),
    });
    await db.store.markAllocationsReleased('paid', [{ round: 'initial', payerId: 'cons', recipientId: 'prov' }], '0xrelease');
  });

  it('gives the participant\'s lines with their status and the award parts behind them', async () => {
    const { lines, awards } = await db.store.receivedBy('prov', {});
    expect(lines.map((l) => [l.payerId, l.amount, l.status])).toEqual(
      expect.arrayContaining([
        ['cons', (5n * E18).toString(), 'released'],
        ['orch', (2n * E18).toString(), 'allocated'],
      ]),
    );
    expect(lines).toHaveLength(2);
    expect(awards).toEqual([
      { exchangeId: 'paid', payerId: 'cons', amount: (5n * E18).toString(), reason: 'data-provider', nodeId: 'r1', depth: 0 },
      { exchangeId: 'paid', payerId: 'orch', amount: (2n * E18).toString(), reason: 'upstream', nodeId: 'r1', depth: 1 },
    ]);
  });

  it('keeps to the period by allocation time', async () => {
    expect(await db.store.receivedBy('prov', { to: new Date('2020-01-01T00:00:00Z') })).toEqual({ lines: [], awards: [] });
    expect((await db.store.receivedBy('prov', { from: new Date('2020-01-01T00:00:00Z') })).lines).toHaveLength(2);
  });
});
