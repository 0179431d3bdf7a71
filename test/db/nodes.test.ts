import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeLink, NodePropagation, Node } from '../../db/entities';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { countRows, exchange, link, node, tenTimes } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const placeholder = (nodeId: string) =>
  node(nodeId, { ownerId: null, placeholder: true, dvctId: null, usecaseContractId: null, dataProviderId: null, dataConsumerId: null, createdByExchangeId: 'ex-0' });

describe('nodes', () => {
  it('are created once, also by ten concurrent exchanges', async () => {
    const results = await tenTimes(() => db.store.upsertNode(node('n-race')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await countRows(db, Node, { nodeId: 'n-race' })).toBe(1);
    expect(await db.store.getNode('n-race')).toEqual(results.find((r) => r.created)!.node);
  });

  it('created as placeholders are filled in by the first exchange that describes them', async () => {
    const first = await db.store.upsertNode(placeholder('n-ph'));
    expect(first).toMatchObject({ created: true, node: { placeholder: true, ownerId: null } });

    const described = await db.store.upsertNode(node('n-ph', { kind: 'chain-data', ownerId: 'prov-x', dataProviderId: 'prov-x', createdByExchangeId: 'ex-9' }));
    expect(described.created).toBe(false);
    expect(described.node).toMatchObject({
      placeholder: false,
      kind: 'chain-data',
      ownerId: 'prov-x',
      dvctId: 'dvct-local',
      dataProviderId: 'prov-x',
      // Who created the node does not change: the placeholder's exchange did.
      createdByExchangeId: 'ex-0',
    });
    expect(await db.store.getNode('n-ph')).toEqual(described.node);
  });

  it('once described, keep their description: later placeholders and descriptions change nothing', async () => {
    const { node: original } = await db.store.upsertNode(node('n-kept'));
    expect((await db.store.upsertNode(placeholder('n-kept'))).node).toEqual(original);
    expect((await db.store.upsertNode(node('n-kept', { ownerId: 'someone-else' }))).node).toEqual(original);
  });

  it('are filled in once when several describers race for a placeholder', async () => {
    await db.store.upsertNode(placeholder('n-ph-race'));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => db.store.upsertNode(node('n-ph-race', { ownerId: `owner-${i}` }))));
    const owners = new Set(results.map((r) => r.node.ownerId));
    expect(owners.size).toBe(1);
    expect((await db.store.getNode('n-ph-race'))!.ownerId).toBe([...owners][0]);
  });

  it('refuse a node id and a data id that do not belong together', async () => {
    await db.store.upsertNode(node('n-pair', { dataId: 'data-pair' }));
    await expect(db.store.upsertNode(node('n-pair', { dataId: 'other-data' }))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(db.store.upsertNode(node('n-other', { dataId: 'data-pair' }))).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('links and propagation', () => {
  beforeAll(async () => {
    for (const id of ['l-a', 'l-b', 'l-c', 'l-d']) await db.store.upsertNode(node(id));
  });

  it('link a parent to a child once, also under concurrency', async () => {
    const results = await tenTimes(() => db.store.linkNodes(link('l-a', 'l-b')));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await countRows(db, NodeLink, { parentNodeId: 'l-a', childNodeId: 'l-b' })).toBe(1);
  });

  it('list parents and children in the order they were linked', async () => {
    await db.store.linkNodes(link('l-c', 'l-b'));
    await db.store.linkNodes(link('l-b', 'l-d'));
    expect(await db.store.getParentIds('l-b')).toEqual(['l-a', 'l-c']);
    expect(await db.store.getChildIds('l-b')).toEqual(['l-d']);
    expect(await db.store.getChildIds('l-d')).toEqual([]);
  });

  it('need both nodes to exist', async () => {
    await expect(db.store.linkNodes(link('l-a', 'l-missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('record that an ancestor learnt of an exchange once', async () => {
    const results = await tenTimes(() => db.store.recordPropagation({ ancestorNodeId: 'l-a', exchangeId: 'ex-p', viaNodeId: 'l-b', depth: 1 }));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await countRows(db, NodePropagation, { ancestorNodeId: 'l-a', exchangeId: 'ex-p' })).toBe(1);
    expect((await db.store.recordPropagation({ ancestorNodeId: 'l-a', exchangeId: 'ex-q', viaNodeId: 'l-b', depth: 1 })).created).toBe(true);
  });
});

describe('the node view', () => {
  const nodeUrl = (id: string) => `https://dvct.example/v1/nodes/${id}`;

  beforeAll(async () => {
    for (const n of [node('v-parent'), node('v-node', { kind: 'chain-data', ownerId: 'prov-v', dataProviderId: 'prov-v', dataConsumerId: 'cons-v' }), node('v-child-1'), node('v-child-2')]) {
      await db.store.upsertNode(n);
    }
    await db.store.linkNodes(link('v-parent', 'v-node'));
    await db.store.linkNodes(link('v-node', 'v-child-1'));
    await db.store.linkNodes(link('v-node', 'v-child-2'));
    await db.store.upsertNode(placeholder('v-placeholder'));

    const releaseAt = new Date('2030-01-01T00:00:00Z');
    await db.store.insertExchangeIfAbsent(exchange('ex-view-1'));
    await db.store.insertExchangeIfAbsent(exchange('ex-view-2'));
    await db.store.recordDistribution({
      exchangeId: 'ex-view-1',
      parts: [
        { payerId: 'cons-1', recipientId: 'prov-v', amount: '5000000000000000000', reason: 'data-provider', nodeId: 'v-node', depth: 0, contractId: 'c-1' },
        { payerId: 'cons-1', recipientId: 'prov-v', amount: '2500000000000000000', reason: 'ai-provider', nodeId: 'v-node', depth: 0, contractId: 'c-1' },
        { payerId: 'cons-1', recipientId: 'owner-of-v-parent', amount: '1000000000000000000', reason: 'upstream', nodeId: 'v-parent', depth: 1, contractId: 'c-1' },
      ],
      lines: [
        { payerId: 'cons-1', recipientId: 'owner-of-v-parent', amount: '1000000000000000000' },
        { payerId: 'cons-1', recipientId: 'prov-v', amount: '7500000000000000000' },
      ],
      allocationTxHash: '0x01',
      releaseAt,
    });
    await db.store.recordDistribution({
      exchangeId: 'ex-view-2',
      parts: [{ payerId: 'cons-2', recipientId: 'prov-v', amount: '5000000000000000000', reason: 'upstream', nodeId: 'v-node', depth: 1, contractId: 'c-2' }],
      lines: [{ payerId: 'cons-2', recipientId: 'prov-v', amount: '5000000000000000000' }],
      allocationTxHash: '0x02',
      releaseAt,
    });
  });

  it("is exactly the design document's output shape", async () => {
    expect(await db.store.getNodeView('v-node', nodeUrl)).toStrictEqual({
      nodeId: 'v-node',
      dataId: 'data:v-node',
      nodeMetadata: {
        dvctId: 'dvct-local',
        usecaseContractId: 'uc-1',
        dataProviderId: 'prov-v',
        dataConsumerId: 'cons-v',
        incentiveReceivedFrom: [
          { organizationId: 'cons-1', numPoints: 7.5, contractId: 'c-1' },
          { organizationId: 'cons-2', numPoints: 5, contractId: 'c-2' },
        ],
      },
      prevNode: [{ nodeId: 'v-parent', '@nodeUrl': 'https://dvct.example/v1/nodes/v-parent' }],
      childNode: [
        { nodeId: 'v-child-1', '@nodeUrl': 'https://dvct.example/v1/nodes/v-child-1' },
        { nodeId: 'v-child-2', '@nodeUrl': 'https://dvct.example/v1/nodes/v-child-2' },
      ],
    });
  });

  it("shows a placeholder's unknown metadata as empty strings", async () => {
    expect(await db.store.getNodeView('v-placeholder', nodeUrl)).toStrictEqual({
      nodeId: 'v-placeholder',
      dataId: 'data:v-placeholder',
      nodeMetadata: { dvctId: '', usecaseContractId: '', dataProviderId: '', dataConsumerId: '', incentiveReceivedFrom: [] },
      prevNode: [],
      childNode: [],
    });
  });

  it('is null for an unknown node', async () => {
    expect(await db.store.getNodeView('v-missing', nodeUrl)).toBeNull();
  });
});
