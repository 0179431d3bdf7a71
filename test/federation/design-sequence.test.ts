import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIdFor } from '../../lib/ids';
import { eventually, startDesignFederation, type DesignFederation, type Instance } from '../support/federation';
import { units, waitForExchange, type Member } from '../support/stack';

/**
 * The design document's sequence across three DVCT instances: dvct-p1 serves provider P1,
 * dvct-c1 serves C1 (consumer/AI provider, and provider P2 of its chain data), dvct-c2 serves C2
 * and the orchestrator. Each exchange runs on its consumer's instance; every prevRoot update whose
 * parent is homed elsewhere crosses to that instance over signed HTTP.
 */
describe('equal data position: three instances play the design sequence', () => {
  let fed: DesignFederation;
  let p1i: Instance, c1i: Instance, c2i: Instance;
  let p1: Member, c1: Member, c2: Member;
  const key = (instance: Instance, member: Member) => fed.key(instance, member);

  const report = (over: Record<string, unknown>) => ({
    dvctId: 'connector-test',
    usecaseContractId: 'uc-fed',
    contractId: 'dc-1',
    dataConsumerIsAIProvider: false,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    ...over,
  });

  async function nodeOn(instance: Instance, nodeId: string, as: Member) {
    return instance.stack.request('GET', `/v1/nodes/${nodeId}`, { key: key(instance, as) });
  }

  async function linkCount(instance: Instance, parent: string, child: string): Promise<number> {
    const links = await instance.stack.db.store.linksOf(nodeIdFor(parent));
    return links.filter((l) => l.parentNodeId === nodeIdFor(parent) && l.childNodeId === nodeIdFor(child)).length;
  }

  beforeAll(async () => {
    fed = await startDesignFederation('fed', 'uc-fed');
    ({ p1i, c1i, c2i, p1, c1, c2 } = fed);
  });

  afterAll(async () => {
    await fed?.federation.close();
  });

  it('serves the directory: who serves whom and where their nodes live', async () => {
    const res = await c2i.stack.request('GET', '/v1/directory', { key: key(c2i, c2) });
    expect(res.status).toBe(200);
    expect(res.body.self).toBe('dvct-c2');
    expect(res.body.instances.map((i: any) => [i.instanceId, i.participants, i.nodesUrl])).toEqual([
      ['dvct-p1', ['fed-p1'], `${p1i.url}/v1/nodes/`],
      ['dvct-c1', ['fed-c1'], `${c1i.url}/v1/nodes/`],
      ['dvct-c2', ['fed-c2', 'fed-o'], `${c2i.url}/v1/nodes/`],
    ]);
  });

  it('C1 uses P1 raw data on dvct-c1; dvct-p1, which never heard of it, creates the node (alt: is not exist)', async () => {
    const res = await c1i.stack.request('POST', '/v1/exchanges', {
      key: key(c1i, c1),
      body: report({ dataId: 'fed-p1-raw', dataProviderId: 'fed-p1', dataConsumerId: 'fed-c1', dataConsumerIsAIProvider: true, outputDataId: 'fed-c1-chain', extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false } }),
    });
    expect(res.status).toBe(202);
    const done = await waitForExchange(c1i.stack, res.body.exchangeId, key(c1i, c1), (b) => b.status === 'completed');
    expect(done.distribution.lines).toEqual([
      { payerId: 'fed-c1', recipientId: 'fed-p1', amount: '5', amountUnits: units(5) },
      { payerId: 'fed-o', recipientId: 'fed-c1', amount: '8', amountUnits: units(8) },
      { payerId: 'fed-o', recipientId: 'fed-p1', amount: '2', amountUnits: units(2) },
    ]);
    expect(done.propagation.pending).toEqual([]);
    expect(done.propagation.delivered).toMatchObject([{ peerInstanceId: 'dvct-p1', parentNodeId: nodeIdFor('fed-p1-raw'), childNodeId: nodeIdFor('fed-c1-chain'), depth: 0 }]);
    // The consumed node's @nodeUrl on dvct-c1 points to its home.
    expect(done.nodes.output.prevNode).toEqual([{ nodeId: nodeIdFor('fed-p1-raw'), '@nodeUrl': `${p1i.url}/v1/nodes/${nodeIdFor('fed-p1-raw')}` }]);

    await eventually(async () => {
      const raw = await nodeOn(p1i, nodeIdFor('fed-p1-raw'), p1);
      expect(raw.status).toBe(200);
      expect(raw.body.childNode).toEqual([{ nodeId: nodeIdFor('fed-c1-chain'), '@nodeUrl': `${c1i.url}/v1/nodes/${nodeIdFor('fed-c1-chain')}` }]);
    });
    const home = await p1i.stack.db.store.getNode(nodeIdFor('fed-p1-raw'));
    expect(home).toMatchObject({ ownerId: 'fed-p1', homeInstanceId: null, placeholder: false });
    expect(await p1i.stack.db.store.getNode(nodeIdFor('fed-c1-chain'))).toMatchObject({ homeInstanceId: 'dvct-c1' });
  });

  it('C2 uses P1 raw data and C1 chain data on dvct-c2; the updates climb through dvct-c1 to dvct-p1', async () => {
    const direct = await c2i.stack.request('POST', '/v1/exchanges', {
      key: key(c2i, c2),
      body: report({ dataId: 'fed-p1-raw', dataProviderId: 'fed-p1', dataConsumerId: 'fed-c2', outputDataId: 'fed-c2-final', outputDataType: 'final-data' }),
    });
    expect(direct.status).toBe(202);
    await waitForExchange(c2i.stack, direct.body.exchangeId, key(c2i, c2), (b) => b.status === 'completed');
    const indirect = await c2i.stack.request('POST', '/v1/exchanges', {
      key: key(c2i, c2),
      body: report({ dataId: 'fed-c1-chain', dataProviderId: 'fed-c1', dataConsumerId: 'fed-c2', prevDataId: 'fed-p1-raw', outputDataId: 'fed-c2-final', outputDataType: 'final-data' }),
    });
    expect(indirect.status).toBe(202);
    const second = await waitForExchange(c2i.stack, indirect.body.exchangeId, key(c2i, c2), (b) => b.status === 'completed');
    // The same distribution as on one instance: the upstream share to P1 comes from dvct-c2's own copy of the lineage.
    expect(second.distribution.lines).toEqual([
      { payerId: 'fed-c2', recipientId: 'fed-c1', amount: '4', amountUnits: units(4) },
      { payerId: 'fed-c2', recipientId: 'fed-p1', amount: '1', amountUnits: units(1) },
    ]);
    expect(second.propagation.delivered.map((u: any) => [u.peerInstanceId, u.parentNodeId, u.childNodeId]).sort()).toEqual(
      [
        ['dvct-c1', nodeIdFor('fed-c1-chain'), nodeIdFor('fed-c2-final')],
        ['dvct-p1', nodeIdFor('fed-p1-raw'), nodeIdFor('fed-c1-chain')],
      ].sort(),
    );

    await eventually(async () => {
      // dvct-c1: its chain data existed with a prevRoot — updated, and the update sent on up.
      const chain = await nodeOn(c1i, nodeIdFor('fed-c1-chain'), c1);
      expect(chain.body.childNode).toEqual([{ nodeId: nodeIdFor('fed-c2-final'), '@nodeUrl': `${c2i.url}/v1/nodes/${nodeIdFor('fed-c2-final')}` }]);
      // dvct-p1: its raw data existed without a prevRoot — updated: C1's chain data and C2's final data.
      const raw = await nodeOn(p1i, nodeIdFor('fed-p1-raw'), p1);
      expect(raw.body.childNode.map((n: any) => n.nodeId).sort()).toEqual([nodeIdFor('fed-c1-chain'), nodeIdFor('fed-c2-final')].sort());
      const reached = await p1i.stack.db.store.exchangesReachingNodesOf('fed-p1');
      expect(reached).toHaveLength(3);
    });
    // Reached by two paths (dvct-c2 directly, and dvct-c1 carrying it on), applied once.
    expect(await linkCount(p1i, 'fed-p1-raw', 'fed-c1-chain')).toBe(1);
    // The namespace is shared with the suite's other federation files: count this instance's runs only.
    const runs = await p1i.stack.client.workflow.count(`WorkflowType = 'prevRootUpdateWorkflow' AND TaskQueue = '${p1i.stack.taskQueue}'`);
    expect(runs.count).toBe(3);
  });

  it('a peer down mid-propagation: the sender shows the update pending, and it completes once the peer is back', async () => {
    await p1i.stop();
    const res = await c1i.stack.request('POST', '/v1/exchanges', {
      key: key(c1i, c1),
      body: report({ dataId: 'fed-p1-more', dataProviderId: 'fed-p1', dataConsumerId: 'fed-c1', outputDataId: 'fed-c1-more' }),
    });
    expect(res.status).toBe(202);
    const waiting = await waitForExchange(c1i.stack, res.body.exchangeId, key(c1i, c1), (b) => b.propagation.pending[0]?.attempts >= 2);
    expect(waiting.status).toBe('running');
    expect(waiting.stage).toBe('updating-prevroots');
    expect(waiting.propagation.pending[0]).toMatchObject({ peerInstanceId: 'dvct-p1', parentNodeId: nodeIdFor('fed-p1-more'), lastError: expect.stringContaining('dvct-p1') });

    await p1i.start();
    const done = await waitForExchange(c1i.stack, res.body.exchangeId, key(c1i, c1), (b) => b.status === 'completed');
    expect(done.propagation.pending).toEqual([]);
    expect(done.propagation.delivered).toHaveLength(1);
    await eventually(async () => {
      const raw = await nodeOn(p1i, nodeIdFor('fed-p1-more'), p1);
      expect(raw.body.childNode.map((n: any) => n.nodeId)).toEqual([nodeIdFor('fed-c1-more')]);
    });
    expect(await linkCount(p1i, 'fed-p1-more', 'fed-c1-more')).toBe(1);
  });

  it('refuses unsigned, badly signed and misaddressed peer requests in the one error format', async () => {
    const body = { requestId: `pr-${'0'.repeat(32)}` };
    const unsigned = await fetch(`${p1i.url}/v1/peer/prevroot-updates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const withKey = await p1i.stack.request('POST', '/v1/peer/prevroot-updates', { key: key(p1i, p1), body });
    expect(withKey.status).toBe(401);
  });
});
