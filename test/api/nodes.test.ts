import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange } from '../db/fixtures';
import { createHarness, expectProblemShape, type Harness } from './harness';

let h: Harness;
let key: string;

// A chain root → n1 → n2 → n3 → n4 (parent → child), plus a second parent of n2.
const CHAIN = ['n0', 'n1', 'n2', 'n3', 'n4'];

beforeAll(async () => {
  h = await createHarness();
  // The whole graph: these tests are about walking it (test/api/lineage-isolation.test.ts is about who sees what).
  key = h.operatorKey;
  for (const id of [...CHAIN, 'side']) {
    await h.db.store.upsertNode({
      nodeId: id,
      dataId: `data-${id}`,
      kind: id === 'n0' ? 'raw-data' : 'chain-data',
      ownerId: id === 'side' ? null : `org-${id}`,
      placeholder: id === 'side',
      dvctId: id === 'side' ? null : 'connector-1',
      usecaseContractId: id === 'side' ? null : 'uc-1',
      dataProviderId: id === 'side' ? null : `org-${id}`,
      dataConsumerId: id === 'side' ? null : 'org-c1',
      createdByExchangeId: `ex-${id}`,
    });
  }
  const links = [...CHAIN.slice(1).map((child, i) => [CHAIN[i]!, child] as const), ['side', 'n2'] as const];
  for (const [parent, child] of links) {
    await h.db.store.linkNodes({ parentNodeId: parent, childNodeId: child, exchangeId: `ex-${child}`, usecaseContractId: 'uc-1', contractId: 'dc-1' });
  }
});
afterAll(() => h?.close());

async function lineage(nodeId: string, query = '') {
  const res = await h.request('GET', `/v1/nodes/${nodeId}/lineage${query}`, { key });
  return res;
}

function ids(res: { body: { nodes: { nodeId: string }[] } }): string[] {
  return res.body.nodes.map((n) => n.nodeId).sort();
}

describe('GET /v1/nodes/{nodeId}', () => {
  it('answers the design document\'s output format', async () => {
    const res = await h.request('GET', '/v1/nodes/n2', { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      nodeId: 'n2',
      dataId: 'data-n2',
      nodeMetadata: { dvctId: 'connector-1', usecaseContractId: 'uc-1', dataProviderId: 'org-n2', dataConsumerId: 'org-c1', incentiveReceivedFrom: [] },
      prevNode: expect.arrayContaining([
        { nodeId: 'n1', '@nodeUrl': 'http://dvct.test/v1/nodes/n1' },
        { nodeId: 'side', '@nodeUrl': 'http://dvct.test/v1/nodes/side' },
      ]),
      childNode: [{ nodeId: 'n3', '@nodeUrl': 'http://dvct.test/v1/nodes/n3' }],
    });
    expect(res.body.prevNode).toHaveLength(2);
  });

  it('404s an unknown node, and needs a key', async () => {
    expectProblemShape(await h.request('GET', '/v1/nodes/nope', { key }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/nodes/n2'), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /v1/nodes/{nodeId}/lineage', () => {
  it('walks backward three levels by default, and says what it left out', async () => {
    const res = await lineage('n4');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ nodeId: 'n4', direction: 'backward', depth: { backward: 3 }, truncated: true });
    expect(ids(res)).toEqual(['n1', 'n2', 'n3', 'n4', 'side']);
    expect(res.body.edges).toContainEqual({
      from: 'n3',
      to: 'n4',
      exchangeId: 'ex-n4',
      contractId: 'dc-1',
      usecaseContractId: 'uc-1',
      // No exchange record behind this seeded link, so no points.
      points: null,
      pointsUnits: null,
    });
    expect(res.body.nodes.find((n: { nodeId: string }) => n.nodeId === 'side')).toEqual({
      nodeId: 'side',
      dataId: 'data-side',
      kind: 'chain-data',
      ownerId: null,
      placeholder: true,
      '@nodeUrl': 'http://dvct.test/v1/nodes/side',
    });
  });

  it('walks forward without bound by default', async () => {
    const res = await lineage('n0', '?direction=forward');
    expect(res.body).toMatchObject({ direction: 'forward', depth: { forward: null }, truncated: false });
    expect(ids(res)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(res.body.edges).toHaveLength(4);
  });

  it('walks both ways: backward 3 and forward unbounded, or both to the depth given', async () => {
    const both = await lineage('n2', '?direction=both');
    expect(both.body.depth).toEqual({ backward: 3, forward: null });
    expect(ids(both)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'side']);
    expect(both.body.truncated).toBe(false);

    const near = await lineage('n2', '?direction=both&depth=1');
    expect(near.body.depth).toEqual({ backward: 1, forward: 1 });
    expect(ids(near)).toEqual(['n1', 'n2', 'n3', 'side']);
    expect(near.body.truncated).toBe(true);
  });

  it('labels the link into an exchange\'s output with the points it allocated, not revoked; its prevDataId links get none', async () => {
    const { store } = h.db;
    const E18 = 10n ** 18n;
    // ex-n3 consumed n2 and produced n3; ex-n2 produced some other node, so its links into n2 are prevDataId links.
    await store.insertExchangeIfAbsent(exchange('ex-n3', { workflowId: 'exchange-ex-n3' }));
    await store.updateExchange('ex-n3', { consumedNodeId: 'n2', outputNodeId: 'n3' });
    await store.insertExchangeIfAbsent(exchange('ex-n2', { workflowId: 'exchange-ex-n2' }));
    await store.updateExchange('ex-n2', { consumedNodeId: 'n1', outputNodeId: 'elsewhere' });
    const lines = [
      { payerId: 'cons', recipientId: 'prov', amount: (5n * E18).toString() },
      { payerId: 'orch', recipientId: 'cons', amount: (25n * E18 / 10n).toString() },
    ];
    await store.recordDistribution({
      exchangeId: 'ex-n3',
      parts: lines.map((l) => ({ ...l, reason: 'data-provider' as const, nodeId: 'n2', depth: 0, contractId: 'dc-1' })),
      lines,
      allocationTxHash: null,
      releaseAt: new Date('2030-01-01T00:00:00Z'),
    });
    const edgeTo = async (to: string) => (await lineage('n3', '?depth=2')).body.edges.filter((e: { to: string }) => e.to === to);
    expect(await edgeTo('n3')).toEqual([expect.objectContaining({ from: 'n2', points: '7.5', pointsUnits: (75n * E18 / 10n).toString() })]);
    expect((await edgeTo('n2')).map((e: { points: unknown }) => e.points)).toEqual([null, null]);

    await store.markAllocationRevoked({ exchangeId: 'ex-n3', payerId: 'orch', recipientId: 'cons', txHash: null, reason: 'test', cause: 'revocation' });
    expect((await edgeTo('n3'))[0].points).toBe('5');
  });

  it('validates direction and depth, naming the parameter', async () => {
    for (const query of ['?depth=0', '?depth=101', '?depth=1.5', '?depth=abc', '?depth=']) {
      const res = await lineage('n2', query);
      expectProblemShape(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ path: 'depth', message: 'must be an integer from 1 to 100' }]);
    }
    const res = await lineage('n2', '?direction=sideways');
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['direction']);
  });

  it('404s an unknown start node', async () => {
    expectProblemShape(await lineage('nope'), 404, 'NOT_FOUND');
  });
});
