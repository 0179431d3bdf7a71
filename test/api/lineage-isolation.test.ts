import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange } from '../db/fixtures';
import { createHarness, expectProblemShape, type Harness, type Member } from './harness';

/**
 * Who sees which lineage. The hole this closes: anyone can name any dataId as a parent in a
 * report, so if seeing a node let you walk everything connected to it, a connector could link its
 * own node under a competitor's output and read the competitor's whole graph.
 *
 *   v-root ──ex-v0──▶ v-raw ──ex-v──▶ v-out ──ex-x──▶ x-data ──ex-x──▶ x-out
 *   (org-v0)          (org-v1)        (org-v2)        (org-xp)          (org-x)
 *
 * org-x reported ex-x naming the victim's v-out as the parent of its input.
 */
let h: Harness;
let m: Record<'v0' | 'v1' | 'v2' | 'x' | 'xp' | 's', Member>;

async function node(nodeId: string, ownerId: string, createdByExchangeId: string, consumer: string) {
  await h.db.store.upsertNode({
    nodeId,
    dataId: `data-${nodeId}`,
    kind: 'chain-data',
    ownerId,
    placeholder: false,
    dvctId: 'dvct-test',
    usecaseContractId: `uc-${createdByExchangeId}`,
    dataProviderId: ownerId,
    dataConsumerId: consumer,
    createdByExchangeId,
  });
}

async function link(parent: string, child: string, exchangeId: string) {
  await h.db.store.linkNodes({ parentNodeId: parent, childNodeId: child, exchangeId, usecaseContractId: `uc-${exchangeId}`, contractId: 'dc-1' });
}

beforeAll(async () => {
  h = await createHarness();
  m = {
    v0: await h.register('org-v0', ['data-provider']),
    v1: await h.register('org-v1', ['data-provider', 'data-consumer']),
    v2: await h.register('org-v2', ['data-consumer', 'data-provider']),
    x: await h.register('org-x', ['data-consumer']),
    xp: await h.register('org-xp', ['data-provider']),
    s: await h.register('org-s', ['data-consumer', 'data-provider']),
  };
  const exchanges = [
    ['ex-v0', 'org-v0', 'org-v1'],
    ['ex-v', 'org-v1', 'org-v2'],
    ['ex-x', 'org-xp', 'org-x'],
  ] as const;
  for (const [id, providerId, consumerId] of exchanges) {
    await h.db.store.insertExchangeIfAbsent(exchange(id, { usecaseContractId: `uc-${id}`, providerId, consumerId }));
  }
  await node('v-root', 'org-v0', 'ex-v0', 'org-v1');
  await node('v-raw', 'org-v1', 'ex-v0', 'org-v1');
  await node('v-out', 'org-v2', 'ex-v', 'org-v2');
  await node('x-data', 'org-xp', 'ex-x', 'org-x');
  await node('x-out', 'org-x', 'ex-x', 'org-x');
  await link('v-root', 'v-raw', 'ex-v0');
  await link('v-raw', 'v-out', 'ex-v');
  await link('v-out', 'x-data', 'ex-x');
  await link('x-data', 'x-out', 'ex-x');
  // The prevRoot loops: each exchange told every ancestor of its consumed node.
  for (const [ancestor, exchangeId, via, depth] of [
    ['v-root', 'ex-v', 'v-raw', 1],
    ['v-out', 'ex-x', 'x-data', 1],
    ['v-raw', 'ex-x', 'v-out', 2],
    ['v-root', 'ex-x', 'v-raw', 3],
  ] as const) {
    await h.db.store.recordPropagation({ ancestorNodeId: ancestor, exchangeId, viaNodeId: via, depth });
  }
});
afterAll(() => h?.close());

const get = (member: Member, path: string) => h.request('GET', path, { key: member.apiKey });
const ids = (res: { body: { nodes: { nodeId: string }[] } }) => res.body.nodes.map((n) => n.nodeId).sort();

describe('lineage visibility', () => {
  it('does not let a connector walk into a graph it linked its own node under', async () => {
    const back = await get(m.x, '/v1/nodes/x-out/lineage?direction=backward&depth=10');
    expect(back.status).toBe(200);
    expect(ids(back)).toEqual(['v-out', 'x-data', 'x-out']);
    expect(back.body.edges.map((e: { exchangeId: string }) => e.exchangeId)).toEqual(['ex-x', 'ex-x']);
    // The victim's earlier nodes and its exchange stay out of reach, answering as if they did not exist.
    for (const path of ['/v1/nodes/v-raw', '/v1/nodes/v-root', '/v1/nodes/v-raw/lineage', '/v1/exchanges/ex-v']) {
      expectProblemShape(await get(m.x, path), 404, 'NOT_FOUND');
    }
  });

  it('shows the parent it named only as far as its own exchange goes: no metadata, no other links', async () => {
    const res = await get(m.x, '/v1/nodes/v-out');
    expect(res.status).toBe(200);
    expect(res.body.nodeMetadata).toEqual({ dvctId: '', usecaseContractId: '', dataProviderId: '', dataConsumerId: '', incentiveReceivedFrom: [] });
    expect(res.body.prevNode).toEqual([]);
    expect(res.body.childNode.map((n: { nodeId: string }) => n.nodeId)).toEqual(['x-data']);
    // Walking on from it forward stays inside what org-x sees; backward finds nothing more.
    expect(ids(await get(m.x, '/v1/nodes/v-out/lineage?direction=both'))).toEqual(['v-out', 'x-data', 'x-out']);
  });

  it('lets the owners of ancestors follow where their data went, by the prevRoot updates that reached them', async () => {
    const forward = await get(m.v0, '/v1/nodes/v-root/lineage?direction=forward');
    expect(ids(forward)).toEqual(['v-out', 'v-raw', 'v-root', 'x-data', 'x-out']);
    const out = await get(m.v2, '/v1/nodes/v-out');
    expect(out.body.nodeMetadata.dataConsumerId).toBe('org-v2');
    expect(out.body.childNode.map((n: { nodeId: string }) => n.nodeId)).toEqual(['x-data']);
    // The reporter's node shows to them, its metadata does not: they are no party of ex-x.
    const theirs = await get(m.v2, '/v1/nodes/x-data');
    expect(theirs.status).toBe(200);
    expect(theirs.body.nodeMetadata.dataConsumerId).toBe('');
  });

  it('gives parties of an exchange its nodes, and a stranger nothing', async () => {
    const provider = await get(m.v1, '/v1/nodes/v-raw/lineage?direction=both');
    // ex-v0 and ex-v as a party, ex-x because its prevRoot update reached v-raw, which org-v1 owns.
    expect(ids(provider)).toEqual(['v-out', 'v-raw', 'v-root', 'x-data', 'x-out']);
    expect((await get(m.v1, '/v1/nodes/v-raw')).body.nodeMetadata.dataProviderId).toBe('org-v1');
    for (const nodeId of ['v-root', 'v-raw', 'v-out', 'x-data', 'x-out']) {
      expectProblemShape(await get(m.s, `/v1/nodes/${nodeId}`), 404, 'NOT_FOUND');
      expectProblemShape(await get(m.s, `/v1/nodes/${nodeId}/lineage`), 404, 'NOT_FOUND');
    }
    expect(ids(await h.request('GET', '/v1/nodes/v-root/lineage?direction=forward', { key: h.operatorKey }))).toEqual(['v-out', 'v-raw', 'v-root', 'x-data', 'x-out']);
  });

  it('answers 403 when the organisation may see the node but the key has no lineage:read in effect', async () => {
    const res = await h.request('POST', '/v1/participants/org-x/keys', {
      key: m.x.apiKey,
      body: { label: 'reports only', grants: [{ role: 'connector', permission: 'exchanges:report' }] },
    });
    expect(res.status).toBe(201);
    const reportsOnly = res.body.apiKey as string;
    const denied = await h.request('GET', '/v1/nodes/x-out', { key: reportsOnly });
    expectProblemShape(denied, 403, 'FORBIDDEN');
    expect(denied.body.detail).toMatch(/No grant of this key gives lineage:read/);
    expectProblemShape(await h.request('GET', '/v1/nodes/v-raw', { key: reportsOnly }), 404, 'NOT_FOUND');
  });
});
