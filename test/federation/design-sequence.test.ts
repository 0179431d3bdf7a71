import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DvctActivities } from '../../activities';
import { nodeIdFor, peerRequestIdFor } from '../../lib/ids';
import { PEER_HEADERS, signPeerRequest } from '../../lib/peer-signature';
import { expectProblemShape } from '../api/harness';
import { eventually, startDesignFederation, type DesignFederation, type Instance } from '../support/federation';
import { units, waitForExchange, type Member } from '../support/stack';

/**
 * The design document's sequence across three DVCT instances, P1, P2, C1 and C2 distinct:
 * dvct-p1 serves provider P1, dvct-p2 serves provider P2 (whose chain data DP2 is made from P1's
 * raw data DP1), dvct-c serves the consumers C1, C2 and the orchestrator. Each exchange runs on its
 * consumer's instance; every prevRoot update whose parent is homed elsewhere crosses to that
 * instance over signed HTTP.
 */

/**
 * Holds dvct-c's first attempt to hand over the update whose child is `childNodeId`, so a test can
 * take a peer away while the climb is in flight. Every later attempt goes straight through.
 */
const hold = (() => {
  let release!: () => void;
  let reached!: () => void;
  const state = {
    childNodeId: nodeIdFor('fed-c1-derived'),
    released: new Promise<void>((r) => (release = r)),
    reached: new Promise<void>((r) => (reached = r)),
    release: () => release(),
  };
  const wrap = (real: DvctActivities): DvctActivities => ({
    ...real,
    async sendPrevRootUpdate(args) {
      if (args.childNodeId === state.childNodeId) {
        reached();
        await state.released;
      }
      return real.sendPrevRootUpdate(args);
    },
  });
  return { ...state, wrap };
})();

describe('equal data position: three instances play the design sequence', () => {
  let fed: DesignFederation;
  let p1i: Instance, p2i: Instance, ci: Instance;
  let p1: Member, p2: Member, c1: Member, c2: Member;
  const key = (instance: Instance, member: Member) => fed.key(instance, member);
  const exchanges: Record<'c1UsesDp1' | 'p2MakesDp2' | 'c2UsesDp1AndDp2', string> = { c1UsesDp1: '', p2MakesDp2: '', c2UsesDp1AndDp2: '' };

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

  /** Every link an instance holds, as `parent>child` of dataIds, in the order made. */
  async function linksOn(instance: Instance): Promise<string[]> {
    const rows = await instance.stack.db.orm.em
      .fork()
      .getConnection()
      .execute<{ p: string; c: string }[]>('select pn.data_id as p, cn.data_id as c from node_link l join node pn on pn.node_id = l.parent_node_id join node cn on cn.node_id = l.child_node_id order by l.id');
    return rows.map((r) => `${r.p}>${r.c}`);
  }

  async function runsOn(instance: Instance, query = ''): Promise<number> {
    const { count } = await instance.stack.client.workflow.count(`WorkflowType = 'prevRootUpdateWorkflow' AND TaskQueue = '${instance.stack.taskQueue}'${query}`);
    return count;
  }

  beforeAll(async () => {
    fed = await startDesignFederation('fed', 'uc-fed', { wrapActivities: { 'dvct-c': hold.wrap } });
    ({ p1i, p2i, ci, p1, p2, c1, c2 } = fed);
  });

  afterAll(async () => {
    hold.release();
    await fed?.federation.close();
  });

  it('serves the directory: who serves whom and where their nodes live', async () => {
    const res = await ci.stack.request('GET', '/v1/directory', { key: key(ci, c2) });
    expect(res.status).toBe(200);
    expect(res.body.self).toBe('dvct-c');
    expect(res.body.instances.map((i: any) => [i.instanceId, i.participants, i.nodesUrl])).toEqual([
      ['dvct-p1', ['fed-p1'], `${p1i.url}/v1/nodes/`],
      ['dvct-p2', ['fed-p2'], `${p2i.url}/v1/nodes/`],
      ['dvct-c', ['fed-c1', 'fed-c2', 'fed-o'], `${ci.url}/v1/nodes/`],
    ]);
  });

  it('C1 uses DP1 on dvct-c; dvct-p1, which never heard of it, creates the node (alt: is not exist)', async () => {
    const res = await ci.stack.request('POST', '/v1/exchanges', {
      key: key(ci, c1),
      body: report({ dataId: 'fed-p1-raw', dataProviderId: 'fed-p1', dataConsumerId: 'fed-c1', dataConsumerIsAIProvider: true, outputDataId: 'fed-c1-chain', extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false } }),
    });
    expect(res.status).toBe(202);
    exchanges.c1UsesDp1 = res.body.exchangeId;
    const done = await waitForExchange(ci.stack, res.body.exchangeId, key(ci, c1), (b) => b.status === 'completed');
    expect(done.distribution.lines).toEqual([
      { payerId: 'fed-c1', recipientId: 'fed-p1', amount: '5', amountUnits: units(5) },
      { payerId: 'fed-o', recipientId: 'fed-c1', amount: '8', amountUnits: units(8) },
      { payerId: 'fed-o', recipientId: 'fed-p1', amount: '2', amountUnits: units(2) },
    ]);
    expect(done.propagation.pending).toEqual([]);
    expect(done.propagation.delivered).toMatchObject([{ peerInstanceId: 'dvct-p1', parentNodeId: nodeIdFor('fed-p1-raw'), childNodeId: nodeIdFor('fed-c1-chain'), depth: 0 }]);
    // The consumed node's @nodeUrl on dvct-c points to its home.
    expect(done.nodes.output.prevNode).toEqual([{ nodeId: nodeIdFor('fed-p1-raw'), '@nodeUrl': `${p1i.url}/v1/nodes/${nodeIdFor('fed-p1-raw')}` }]);

    await eventually(async () => {
      const raw = await nodeOn(p1i, nodeIdFor('fed-p1-raw'), p1);
      expect(raw.status).toBe(200);
      expect(raw.body.childNode).toEqual([{ nodeId: nodeIdFor('fed-c1-chain'), '@nodeUrl': `${ci.url}/v1/nodes/${nodeIdFor('fed-c1-chain')}` }]);
    });
    expect(await p1i.stack.db.store.getNode(nodeIdFor('fed-p1-raw'))).toMatchObject({ ownerId: 'fed-p1', homeInstanceId: null, placeholder: false });
    expect(await p1i.stack.db.store.getNode(nodeIdFor('fed-c1-chain'))).toMatchObject({ homeInstanceId: 'dvct-c' });
  });

  it('P2 makes its chain data DP2 from DP1 on dvct-p2; dvct-p1\'s node exists without prevRoot and is updated', async () => {
    const res = await p2i.stack.request('POST', '/v1/exchanges', {
      key: key(p2i, p2),
      body: report({ dataId: 'fed-p1-raw', dataProviderId: 'fed-p1', dataConsumerId: 'fed-p2', outputDataId: 'fed-p2-chain', outputDataType: 'chain-data' }),
    });
    expect(res.status).toBe(202);
    exchanges.p2MakesDp2 = res.body.exchangeId;
    const done = await waitForExchange(p2i.stack, res.body.exchangeId, key(p2i, p2), (b) => b.status === 'completed');
    expect(done.distribution.lines).toEqual([{ payerId: 'fed-p2', recipientId: 'fed-p1', amount: '5', amountUnits: units(5) }]);
    expect(done.propagation.delivered).toMatchObject([{ peerInstanceId: 'dvct-p1', parentNodeId: nodeIdFor('fed-p1-raw'), childNodeId: nodeIdFor('fed-p2-chain') }]);
    await eventually(async () => {
      const raw = await nodeOn(p1i, nodeIdFor('fed-p1-raw'), p1);
      expect(raw.body.prevNode).toEqual([]);
      expect(raw.body.childNode.map((n: any) => n.nodeId)).toEqual([nodeIdFor('fed-c1-chain'), nodeIdFor('fed-p2-chain')]);
    });
  });

  it('C2 uses DP1 and DP2 in one exchange on dvct-c: dvct-p2 (exists, has prevRoot) carries it on to dvct-p1, reached by two paths and applied once', async () => {
    // One report has one consumed dataId: C2 uses DP2, and DP1 is named as what DP2 was made from.
    const res = await ci.stack.request('POST', '/v1/exchanges', {
      key: key(ci, c2),
      body: report({ dataId: 'fed-p2-chain', dataProviderId: 'fed-p2', dataConsumerId: 'fed-c2', prevDataId: 'fed-p1-raw', outputDataId: 'fed-c2-final', outputDataType: 'final-data' }),
    });
    expect(res.status).toBe(202);
    exchanges.c2UsesDp1AndDp2 = res.body.exchangeId;
    const done = await waitForExchange(ci.stack, res.body.exchangeId, key(ci, c2), (b) => b.status === 'completed');
    // The design's distribution for C2: P2 as provider; P1's share of the use of its data upstream.
    expect(done.distribution.lines).toEqual([
      { payerId: 'fed-c2', recipientId: 'fed-p1', amount: '1', amountUnits: units(1) },
      { payerId: 'fed-c2', recipientId: 'fed-p2', amount: '4', amountUnits: units(4) },
    ]);
    // Both providers' instances hear of it from dvct-c: DP2 ← the output, DP1 ← DP2.
    expect(done.propagation.delivered.map((u: any) => [u.peerInstanceId, u.parentNodeId, u.childNodeId]).sort()).toEqual(
      [
        ['dvct-p1', nodeIdFor('fed-p1-raw'), nodeIdFor('fed-p2-chain')],
        ['dvct-p2', nodeIdFor('fed-p2-chain'), nodeIdFor('fed-c2-final')],
      ].sort(),
    );

    const requestId = peerRequestIdFor(exchanges.c2UsesDp1AndDp2, nodeIdFor('fed-p1-raw'), nodeIdFor('fed-p2-chain'));
    await eventually(async () => {
      // dvct-p2: its chain data existed with a prevRoot — updated, and the update sent on to DP1's home too.
      const chain = await nodeOn(p2i, nodeIdFor('fed-p2-chain'), p2);
      expect(chain.body.prevNode.map((n: any) => n.nodeId)).toEqual([nodeIdFor('fed-p1-raw')]);
      expect(chain.body.childNode).toEqual([{ nodeId: nodeIdFor('fed-c2-final'), '@nodeUrl': `${ci.url}/v1/nodes/${nodeIdFor('fed-c2-final')}` }]);
      expect((await p2i.stack.db.store.peerUpdatesOf(exchanges.c2UsesDp1AndDp2)).map((u) => [u.requestId, u.status])).toEqual([[requestId, 'delivered']]);
      expect(await p1i.stack.db.store.exchangesReachingNodesOf('fed-p1')).toEqual(Object.values(exchanges).sort());
    });
    // Sent by dvct-c and by dvct-p2, one request: one run on dvct-p1, one link.
    expect(await runsOn(p1i, ` AND WorkflowId = 'peer-prevroot-${requestId}'`)).toBe(1);
    expect(await runsOn(p1i)).toBe(3);
    expect(await linksOn(p1i)).toEqual(['fed-p1-raw>fed-c1-chain', 'fed-p1-raw>fed-p2-chain']);
    expect(await linksOn(p2i)).toEqual(['fed-p1-raw>fed-p2-chain', 'fed-p2-chain>fed-c2-final']);
  });

  it('a peer taken away while a climb through it is in flight: the sender shows it pending, and once back every link is there once', async () => {
    // C1 uses DP2 and names no parent: only dvct-p2 knows DP2 comes from DP1, so DP1's home hears of it through dvct-p2.
    const res = await ci.stack.request('POST', '/v1/exchanges', {
      key: key(ci, c1),
      body: report({ dataId: 'fed-p2-chain', dataProviderId: 'fed-p2', dataConsumerId: 'fed-c1', outputDataId: 'fed-c1-derived' }),
    });
    expect(res.status).toBe(202);
    const exchangeId: string = res.body.exchangeId;
    const [runsBefore, linksBefore] = [await Promise.all([p1i, p2i, ci].map((i) => runsOn(i))), await Promise.all([p1i, p2i, ci].map(linksOn))];

    // The climb has begun on dvct-c and is about to hand DP2's update over: now dvct-p2 goes down.
    await Promise.race([hold.reached, new Promise((_, fail) => setTimeout(() => fail(new Error('the climb never reached the hand-over')), 30_000))]);
    expect((await ci.stack.request('GET', `/v1/exchanges/${exchangeId}`, { key: key(ci, c1) })).body.stage).toBe('updating-prevroots');
    await p2i.stop();
    hold.release();

    const waiting = await waitForExchange(ci.stack, exchangeId, key(ci, c1), (b) => b.propagation.pending[0]?.attempts >= 2);
    expect(waiting.status).toBe('running');
    expect(waiting.stage).toBe('updating-prevroots');
    expect(waiting.propagation.pending).toEqual([
      expect.objectContaining({ peerInstanceId: 'dvct-p2', parentNodeId: nodeIdFor('fed-p2-chain'), childNodeId: nodeIdFor('fed-c1-derived'), lastError: expect.stringContaining('dvct-p2') }),
    ]);
    // The sending run says what it is handing over, where an operator watches it (the Web UI's current details).
    const metadata = await ci.stack.client.workflow.getHandle(`prevroot-${exchangeId}`).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(`${nodeIdFor('fed-p2-chain')} ← ${nodeIdFor('fed-c1-derived')} (to its home instance)`);
    // The further ancestor waits for the peer in between.
    expect(await p1i.stack.db.store.exchangesReachingNodesOf('fed-p1')).not.toContain(exchangeId);

    await p2i.start();
    const done = await waitForExchange(ci.stack, exchangeId, key(ci, c1), (b) => b.status === 'completed', 60_000);
    expect(done.propagation.pending).toEqual([]);
    expect(done.propagation.delivered).toHaveLength(1);
    await eventually(async () => {
      expect(await p1i.stack.db.store.exchangesReachingNodesOf('fed-p1')).toContain(exchangeId);
      expect(await runsOn(p1i)).toBe(runsBefore[0]! + 1);
    });
    // One run per instance for this exchange, whatever the retries: dvct-c's own, dvct-p2's, dvct-p1's.
    expect(await Promise.all([p1i, p2i, ci].map((i) => runsOn(i)))).toEqual([runsBefore[0]! + 1, runsBefore[1]! + 1, runsBefore[2]! + 1]);
    expect(await runsOn(p2i, ` AND WorkflowId = 'peer-prevroot-${peerRequestIdFor(exchangeId, nodeIdFor('fed-p2-chain'), nodeIdFor('fed-c1-derived'))}'`)).toBe(1);
    // Every link once on every instance: the new one where its nodes live, nothing else added or doubled.
    expect(await linksOn(p1i)).toEqual(linksBefore[0]);
    expect(await linksOn(p2i)).toEqual([...linksBefore[1]!, 'fed-p2-chain>fed-c1-derived']);
    expect(await linksOn(ci)).toEqual([...linksBefore[2]!, 'fed-p2-chain>fed-c1-derived']);
    for (const instance of [p1i, p2i, ci]) {
      const links = await linksOn(instance);
      expect(new Set(links).size).toBe(links.length);
    }
    // dvct-p2 recorded its hand-over to dvct-p1 once, delivered.
    expect((await p2i.stack.db.store.peerUpdatesOf(exchangeId)).map((u) => [u.peerInstanceId, u.parentNodeId, u.status])).toEqual([['dvct-p1', nodeIdFor('fed-p1-raw'), 'delivered']]);
  });

  describe('refuses peer requests that are not what they claim, 401 in the one error format', () => {
    const path = '/v1/peer/prevroot-updates';
    const body = { requestId: `pr-${'0'.repeat(32)}` };
    const now = () => Math.floor(Date.now() / 1000);

    async function send(instance: Instance, headers: Record<string, string>, sent: unknown = body, at = path) {
      const res = await fetch(`${instance.url}${at}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(sent) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : null };
    }
    const signedBy = (signerKey: `0x${string}`, over: { to?: string; timestamp?: number; body?: unknown; path?: string } = {}) =>
      signPeerRequest(privateKeyToAccount(signerKey), { method: 'POST', path: over.path ?? path, body: over.body ?? body, from: 'dvct-c', to: over.to ?? 'dvct-p1', timestamp: over.timestamp ?? now() });

    it('unsigned, or with an API key', async () => {
      const unsigned = await send(p1i, {});
      expectProblemShape(unsigned, 401, 'UNAUTHENTICATED');
      const withKey = await p1i.stack.request('POST', path, { key: key(p1i, p1), body });
      expect(withKey.status).toBe(401);
    });

    it('signed by a key that is not the named instance\'s signer', async () => {
      const res = await send(p1i, await signedBy(generatePrivateKey()));
      expectProblemShape(res, 401, 'UNAUTHENTICATED');
      expect(res.body.detail).toContain('not the sending instance\'s signer');
    });

    it('signed by dvct-c for dvct-p2, delivered to dvct-p1 (misaddressed)', async () => {
      const res = await send(p1i, await signedBy(ci.signerKey, { to: 'dvct-p2' }));
      expectProblemShape(res, 401, 'UNAUTHENTICATED');
      expect(res.body.detail).toContain('to this instance');
    });

    it('with a stale timestamp', async () => {
      const res = await send(p1i, await signedBy(ci.signerKey, { timestamp: now() - 600 }));
      expectProblemShape(res, 401, 'UNAUTHENTICATED');
      expect(res.body.detail).toContain('more than 5 minutes');
    });

    it('a signed request replayed with an altered body, at another URL, or to another member', async () => {
      const headers = await signedBy(ci.signerKey);
      expect(headers[PEER_HEADERS.instance]).toBe('dvct-c');
      const altered = await send(p1i, headers, { ...body, requestId: `pr-${'1'.repeat(32)}` });
      expectProblemShape(altered, 401, 'UNAUTHENTICATED');
      const elsewhere = await send(p1i, headers, body, `${path}?then=again`);
      expectProblemShape(elsewhere, 401, 'UNAUTHENTICATED');
      const toAnother = await send(p2i, headers);
      expectProblemShape(toAnother, 401, 'UNAUTHENTICATED');
      // The same headers over the body they were made for pass the signature check (then fail validation: not a whole update).
      const genuine = await send(p1i, headers);
      expect(genuine.status).toBe(400);
    });
  });
});
