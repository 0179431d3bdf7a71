import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionIncidentId } from '../../domain/workflow-ids';
import { nodeIdFor } from '../../lib/ids';
import { signPeerRequest } from '../../lib/peer-signature';
import { eventually, startDesignFederation, type DesignFederation, type Instance } from '../support/federation';
import { waitForExchange, type Member } from '../support/stack';

/**
 * Lineage that follows @nodeUrl across three instances with the same visibility as on one, and
 * exchanges verified against the chain by members that did not run them — including after rows
 * were altered in one instance's database. dvct-p1 serves P1, dvct-p2 serves P2, dvct-c serves
 * C1, C2 and the orchestrator O.
 *
 *   seed ──A──▶ p1-raw ──A──▶ c1-chain          A: C1 uses P1's raw data (on dvct-c), its AI award
 *   (P1's data's origin)  │                         reported short: an incident corrects it
 *                         └──B──▶ p2-chain ──C──▶ c2-final
 *                                                B: P2 makes its chain data from it (on dvct-p2)
 *                                                C: C2 uses P2's data, naming no parent (on dvct-c)
 *
 * dvct-c knows nothing above p2-chain; dvct-p2 knows p1-raw is its parent; dvct-p1 holds seed.
 */
describe('equal data position: lineage across instances and independent verification', () => {
  let fed: DesignFederation;
  let p1i: Instance, p2i: Instance, ci: Instance;
  let p1: Member, p2: Member, c1: Member, c2: Member, o: Member;
  const key = (instance: Instance, m: Member) => fed.key(instance, m);
  const x: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
  const n = (dataId: string) => nodeIdFor(`fedv-${dataId}`);

  const report = (over: Record<string, unknown>) => ({
    dvctId: 'connector-test',
    usecaseContractId: 'uc-fedv',
    contractId: 'dc-1',
    dataConsumerIsAIProvider: false,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    ...over,
  });

  async function play(instance: Instance, as: Member, body: Record<string, unknown>): Promise<string> {
    const res = await instance.stack.request('POST', '/v1/exchanges', { key: key(instance, as), body: report(body) });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await waitForExchange(instance.stack, res.body.exchangeId, key(instance, as), (b) => b.status === 'completed', 60_000);
    return res.body.exchangeId;
  }

  beforeAll(async () => {
    fed = await startDesignFederation('fedv', 'uc-fedv');
    ({ p1i, p2i, ci, p1, p2, c1, c2, o } = fed);
    x.A = await play(ci, c1, {
      dataId: 'fedv-p1-raw',
      dataProviderId: 'fedv-p1',
      dataConsumerId: 'fedv-c1',
      prevDataId: 'fedv-seed',
      outputDataId: 'fedv-c1-chain',
      dataConsumerIsAIProvider: true,
      // The design's error-handling example: the AI provider's factor reported 0.8 instead of the contract's 1.
      extraIncentiveForAIProvider: { numPoints: 10, factor: 0.8, factorCheck: false },
    });
    x.B = await play(p2i, p2, { dataId: 'fedv-p1-raw', dataProviderId: 'fedv-p1', dataConsumerId: 'fedv-p2', outputDataId: 'fedv-p2-chain' });
    x.C = await play(ci, c2, { dataId: 'fedv-p2-chain', dataProviderId: 'fedv-p2', dataConsumerId: 'fedv-c2', outputDataId: 'fedv-c2-final', outputDataType: 'final-data' });
    await eventually(async () => {
      // C's update climbed through dvct-p2 to P1's data on dvct-p1; A's incident is resolved.
      expect(await p1i.stack.db.store.exchangesReachingNodesOf('fedv-p1')).toEqual(Object.values(x).sort());
      expect((await ci.stack.db.store.getIncident(detectionIncidentId(x.A)))?.status).toBe('resolved');
    }, 60_000);
  }, 180_000);

  afterAll(async () => {
    await fed?.federation.close();
  });

  const lineage = (instance: Instance, as: Member | string, start: string, query: string) =>
    instance.stack.request('GET', `/v1/nodes/${n(start)}/lineage?${query}`, { key: typeof as === 'string' ? as : key(instance, as) });
  const dataIds = (body: any) => body.nodes.map((node: any) => node.dataId.replace('fedv-', '')).sort();
  const links = (body: any) => body.edges.map((e: any) => `${body.nodes.find((m: any) => m.nodeId === e.from).dataId}>${body.nodes.find((m: any) => m.nodeId === e.to).dataId}`.replaceAll('fedv-', '')).sort();

  describe('lineage across instances, visible as on one instance', () => {
    it('the orchestrator, a party to every exchange, walks back from dvct-c through dvct-p2 to dvct-p1', async () => {
      const local = await ci.stack.db.store.lineage(n('c2-final'), { direction: 'backward', depth: 3 });
      expect(local.nodes.map((m) => m.dataId).sort()).toEqual(['fedv-c2-final', 'fedv-p2-chain']);

      const res = await lineage(ci, o, 'c2-final', 'direction=backward&depth=3');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ partial: false, unreachable: [] });
      expect(links(res.body)).toEqual(['p1-raw>p2-chain', 'p2-chain>c2-final', 'seed>p1-raw']);
      // Each node's @nodeUrl names its home; the depth is honoured across instances.
      expect(res.body.nodes.find((m: any) => m.nodeId === n('p1-raw'))['@nodeUrl']).toBe(`${p1i.url}/v1/nodes/${n('p1-raw')}`);
      expect(res.body.nodes.find((m: any) => m.nodeId === n('p2-chain'))['@nodeUrl']).toBe(`${p2i.url}/v1/nodes/${n('p2-chain')}`);
      const shallow = await lineage(ci, o, 'c2-final', 'direction=backward&depth=2');
      expect(dataIds(shallow.body)).toEqual(['c2-final', 'p1-raw', 'p2-chain']);
    });

    it('C2 does not see across instances what it would not see on one: the link P2 made from P1\'s data, and what lies above', async () => {
      // dvct-p2 holds p1-raw → p2-chain (exchange B, C2 no party to it) and dvct-p1 holds seed → p1-raw:
      // on one instance C2 sees only the link of its own exchange, and so it does here.
      const res = await lineage(ci, c2, 'c2-final', 'direction=backward&depth=3');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ partial: false, unreachable: [] });
      expect(dataIds(res.body)).toEqual(['c2-final', 'p2-chain']);
      expect(links(res.body)).toEqual(['p2-chain>c2-final']);
      // C1, a party to A only, walking back from its own output sees A's links and nothing of B or C.
      const c1View = await lineage(ci, c1, 'c1-chain', 'direction=both&depth=3');
      expect(links(c1View.body)).toEqual(['p1-raw>c1-chain', 'seed>p1-raw']);
    });

    it('P1 follows its data forward from dvct-p1: where it went on dvct-c and dvct-p2, and on to C2 (whose update reached P1\'s data through dvct-p2)', async () => {
      const res = await lineage(p1i, p1, 'p1-raw', 'direction=forward');
      expect(res.status).toBe(200);
      expect(res.body.partial).toBe(false);
      expect(links(res.body)).toEqual(['p1-raw>c1-chain', 'p1-raw>p2-chain', 'p2-chain>c2-final']);
      // P2 forward from its own data: C's use of it, not A's use of P1's data.
      const p2View = await lineage(p2i, p2, 'p2-chain', 'direction=both&depth=3');
      expect(links(p2View.body)).toEqual(['p1-raw>p2-chain', 'p2-chain>c2-final']);
    });

    it('a key restricted to one exchange keeps of the peers\' answers only that exchange\'s links', async () => {
      const created = await ci.stack.request('POST', `/v1/participants/${o.id}/keys`, {
        key: key(ci, o),
        body: { label: 'C only', grants: [{ role: 'orchestrator', permission: 'lineage:read', scope: `exchange:${x.C}` }] },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const res = await lineage(ci, created.body.apiKey, 'c2-final', 'direction=backward&depth=3');
      expect(res.status).toBe(200);
      expect(links(res.body)).toEqual(['p2-chain>c2-final']);
    });

    it('a peer answers an instance only for the organisations it serves, and only what they may see there', async () => {
      const signer = privateKeyToAccount(ci.signerKey);
      const ask = async (organisation: string | null) => {
        const query = new URLSearchParams({ direction: 'backward', depth: '3', ...(organisation ? { organisation } : {}) });
        const path = `/v1/peer/nodes/${n('p2-chain')}/lineage?${query}`;
        const headers = await signPeerRequest(signer, { method: 'GET', path, body: null, from: 'dvct-c', to: 'dvct-p2', timestamp: Math.floor(Date.now() / 1000) });
        const res = await fetch(`${p2i.url}${path}`, { headers });
        return { status: res.status, body: (await res.json()) as any };
      };
      const forC2 = await ask('fedv-c2');
      expect(forC2.status).toBe(200);
      expect(forC2.body.nodes.map((m: any) => m.nodeId)).toEqual([n('p2-chain')]);
      expect(forC2.body.edges).toEqual([]);
      expect((await ask('fedv-o')).body.edges.map((e: any) => [e.from, e.to])).toEqual([[n('p1-raw'), n('p2-chain')]]);
      // dvct-c speaking for P1, which dvct-p1 serves, or for nobody: refused in the one error format.
      const forP1 = await ask('fedv-p1');
      expect(forP1.status).toBe(403);
      expect(forP1.body).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('dvct-c does not serve fedv-p1') });
      expect((await ask(null)).status).toBe(400);
    });

    it('a peer down: lineage is partial, naming the node and its home; the operator\'s walk stays on its instance', async () => {
      const operator = await lineage(ci, ci.stack.operatorKey, 'c2-final', 'direction=backward&depth=3');
      expect(operator.body.partial).toBe(true);
      expect(operator.body.unreachable).toEqual([expect.objectContaining({ nodeId: n('p2-chain'), instanceId: 'dvct-p2', reason: expect.stringContaining('operator') })]);

      await p1i.stop();
      try {
        const res = await lineage(ci, o, 'c2-final', 'direction=backward&depth=3');
        expect(res.status).toBe(200);
        expect(res.body.partial).toBe(true);
        expect(res.body.unreachable).toEqual([{ nodeId: n('p1-raw'), instanceId: 'dvct-p1', '@nodeUrl': `${p1i.url}/v1/nodes/${n('p1-raw')}`, reason: expect.stringContaining('dvct-p1') }]);
        // What dvct-p2 knew is still there.
        expect(dataIds(res.body)).toEqual(['c2-final', 'p1-raw', 'p2-chain']);
      } finally {
        await p1i.start();
      }
    });
  });

  describe('independent verification', () => {
    const round = () => `${x.A}/${detectionIncidentId(x.A)}`;
    const verification = (instance: Instance, as: Member | string, exchangeId: string) =>
      instance.stack.request('GET', `/v1/exchanges/${exchangeId}/verification`, { key: typeof as === 'string' ? as : key(instance, as) });
    const summary = (body: any) => body.items.map((i: any) => [i.item, i.subject === i.id || i.item === 'node' ? i.id : `${i.subject} ${i.id}`, i.instanceId, i.match]);

    it('from a member that did not run it: each round\'s record and allocations, the anchored nodes, and the member\'s own copies', async () => {
      const res = await verification(p1i, p1, x.A);
      expect(res.status).toBe(200);
      expect(res.body.verified).toBe(true);
      const items = summary(res.body);
      expect(items.filter((i: any) => i[0] !== 'allocation')).toEqual([
        ['record', x.A, 'dvct-c', true],
        ['node', n('p1-raw'), 'dvct-c', true],
        ['node', n('c1-chain'), 'dvct-c', true],
        // dvct-p1's own copies: P1's node itself, and what the update taught it of C1's.
        ['node', n('p1-raw'), 'dvct-p1', true],
        ['node', n('c1-chain'), 'dvct-p1', true],
        ['record', round(), 'dvct-c', true],
      ]);
      // The correction round's allocations are checked under its own subject.
      expect(res.body.items.filter((i: any) => i.item === 'allocation' && i.subject === round()).length).toBeGreaterThan(0);
      expect(res.body.items.filter((i: any) => i.item === 'allocation' && i.subject === x.A).length).toBeGreaterThan(0);
      // Not a party: as if it did not exist.
      expect((await verification(p1i, p1, x.C)).status).toBe(404);
    });

    it('detects a report altered in dvct-c\'s database, verified from dvct-p2, and the script says so', async () => {
      expect((await verification(p2i, p2, x.C)).body.verified).toBe(true);
      const conn = ci.stack.db.orm.em.fork().getConnection();
      const row = await conn.execute<{ report: unknown }[]>('select report from exchange where id = ?', [x.C]);
      const stored = typeof row[0]!.report === 'string' ? JSON.parse(row[0]!.report as string) : row[0]!.report;
      stored.incentiveForDataProvider.numPoints = 500;
      await conn.execute('update exchange set report = ? where id = ?', [JSON.stringify(stored), x.C]);

      const after = await verification(p2i, p2, x.C);
      expect(after.status).toBe(200);
      expect(after.body.verified).toBe(false);
      expect(after.body.items.filter((i: any) => !i.match)).toEqual([expect.objectContaining({ item: 'record', id: x.C, instanceId: 'dvct-c', reason: expect.stringContaining('dvct-c') })]);
      // The other exchanges, untouched, still verify.
      expect((await verification(p2i, p2, x.B)).body.verified).toBe(true);
    });

    it('detects a correction round altered in dvct-c\'s database, from dvct-p1, item by item; npm run verify prints one line per item', async () => {
      const conn = ci.stack.db.orm.em.fork().getConnection();
      const incidentId = detectionIncidentId(x.A);
      const row = await conn.execute<{ decision: unknown }[]>('select decision from incident where id = ?', [incidentId]);
      const decision = typeof row[0]!.decision === 'string' ? JSON.parse(row[0]!.decision as string) : row[0]!.decision;
      await conn.execute('update incident set decision = ? where id = ?', [JSON.stringify({ ...decision, decidedBy: 'someone-else' }), incidentId]);

      const after = await verification(p1i, p1, x.A);
      expect(after.body.verified).toBe(false);
      expect(after.body.items.filter((i: any) => !i.match)).toEqual([expect.objectContaining({ item: 'record', id: round(), subject: round(), instanceId: 'dvct-c' })]);

      const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/verify.ts', '--exchange', x.A, '--api', p1i.url, '--key', key(p1i, p1)]).catch((err) => err);
      expect(run.code).toBe(1);
      const lines: string[] = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toContain('NOT VERIFIED');
      expect(lines).toHaveLength(1 + after.body.items.length);
      expect(lines.filter((l) => l.includes('MISMATCH'))).toEqual([expect.stringMatching(new RegExp(`^ {2}MISMATCH record {5}${round()} {2}\\[dvct-c\\]`))]);
      process.stdout.write(`npm run verify -- --exchange ${x.A} --api ${p1i.url} --key …\n${run.stdout}`);
    });

    it('detects the verifying member\'s own copy altered: P1\'s node on dvct-p1 given another owner', async () => {
      const conn = p1i.stack.db.orm.em.fork().getConnection();
      await conn.execute('update node set owner_id = ? where node_id = ?', ['fedv-c2', n('p1-raw')]);
      const res = await verification(p1i, p1, x.B);
      expect(res.body.items.filter((i: any) => !i.match)).toEqual([
        expect.objectContaining({ item: 'node', id: n('p1-raw'), instanceId: 'dvct-p1', reason: expect.stringContaining('owner fedv-c2, anchored fedv-p1') }),
      ]);
    });

    it('a member down: verification says unreachable, never an error', async () => {
      await ci.stop();
      const res = await verification(p1i, p1i.stack.operatorKey, x.C);
      expect(res.status).toBe(200);
      expect(res.body.verified).toBe(false);
      expect(res.body.items).toEqual([expect.objectContaining({ item: 'record', instanceId: 'dvct-c', match: false, reason: expect.stringMatching(/^unreachable/) })]);
    });
  });
});
