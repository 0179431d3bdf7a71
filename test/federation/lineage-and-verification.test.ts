import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIdFor } from '../../lib/ids';
import { eventually, startDesignFederation, type DesignFederation, type Instance } from '../support/federation';
import { waitForExchange, type Member } from '../support/stack';

/**
 * Lineage that follows @nodeUrl across three instances, and an exchange verified against the chain
 * by a member that did not run it — including after a row was altered in the running instance's
 * database. dvct-p1 serves P1, dvct-c1 serves C1, dvct-c2 serves C2 and the orchestrator.
 */
describe('equal data position: lineage across instances and independent verification', () => {
  let fed: DesignFederation;
  let p1i: Instance, c1i: Instance, c2i: Instance;
  let p1: Member, c1: Member, c2: Member, o: Member;
  const key = (instance: Instance, m: Member) => fed.key(instance, m);
  const exchanges: Record<'first' | 'second', string> = { first: '', second: '' };

  const report = (over: Record<string, unknown>) => ({
    dvctId: 'connector-test',
    usecaseContractId: 'uc-fedv',
    contractId: 'dc-1',
    dataConsumerIsAIProvider: false,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    ...over,
  });

  beforeAll(async () => {
    fed = await startDesignFederation('fedv', 'uc-fedv');
    ({ p1i, c1i, c2i, p1, c1, c2, o } = fed);

    // On dvct-c1: C1 uses P1's raw data, itself derived from a seed nobody describes (learnt on dvct-c1).
    const first = await c1i.stack.request('POST', '/v1/exchanges', {
      key: key(c1i, c1),
      body: report({ dataId: 'fedv-p1-raw', dataProviderId: 'fedv-p1', dataConsumerId: 'fedv-c1', prevDataId: 'fedv-seed', outputDataId: 'fedv-c1-chain' }),
    });
    exchanges.first = first.body.exchangeId;
    await waitForExchange(c1i.stack, exchanges.first, key(c1i, c1), (b) => b.status === 'completed');
    // On dvct-c2: C2 uses C1's chain data, naming no parent: dvct-c2 knows nothing above it.
    const second = await c2i.stack.request('POST', '/v1/exchanges', {
      key: key(c2i, c2),
      body: report({ dataId: 'fedv-c1-chain', dataProviderId: 'fedv-c1', dataConsumerId: 'fedv-c2', outputDataId: 'fedv-c2-final', outputDataType: 'final-data' }),
    });
    exchanges.second = second.body.exchangeId;
    await waitForExchange(c2i.stack, exchanges.second, key(c2i, c2), (b) => b.status === 'completed');
    await eventually(async () => {
      const links = await c1i.stack.db.store.linksOf(nodeIdFor('fedv-c1-chain'));
      expect(links.some((l) => l.childNodeId === nodeIdFor('fedv-c2-final'))).toBe(true);
    });
  });

  afterAll(async () => {
    await fed?.federation.close();
  });

  const dataIds = (body: any) => body.nodes.map((n: any) => n.dataId).sort();

  it('backward from C2\'s output: dvct-c2 asks dvct-c1 for what lies above C1\'s data, then dvct-p1', async () => {
    const local = await c2i.stack.db.store.lineage(nodeIdFor('fedv-c2-final'), { direction: 'backward', depth: 3 });
    expect(local.nodes.map((n) => n.dataId).sort()).toEqual(['fedv-c1-chain', 'fedv-c2-final']);

    const res = await c2i.stack.request('GET', `/v1/nodes/${nodeIdFor('fedv-c2-final')}/lineage?direction=backward&depth=3`, { key: key(c2i, c2) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ partial: false, unreachable: [] });
    expect(dataIds(res.body)).toEqual(['fedv-c1-chain', 'fedv-c2-final', 'fedv-p1-raw', 'fedv-seed']);
    expect(res.body.edges.map((e: any) => `${e.from}>${e.to}`).sort()).toEqual(
      [`${nodeIdFor('fedv-c1-chain')}>${nodeIdFor('fedv-c2-final')}`, `${nodeIdFor('fedv-p1-raw')}>${nodeIdFor('fedv-c1-chain')}`, `${nodeIdFor('fedv-seed')}>${nodeIdFor('fedv-p1-raw')}`].sort(),
    );
    // Each node's @nodeUrl names its home; the depth is honoured across instances.
    expect(res.body.nodes.find((n: any) => n.dataId === 'fedv-p1-raw')['@nodeUrl']).toBe(`${p1i.url}/v1/nodes/${nodeIdFor('fedv-p1-raw')}`);
    const shallow = await c2i.stack.request('GET', `/v1/nodes/${nodeIdFor('fedv-c2-final')}/lineage?direction=backward&depth=2`, { key: key(c2i, c2) });
    expect(dataIds(shallow.body)).toEqual(['fedv-c1-chain', 'fedv-c2-final', 'fedv-p1-raw']);
  });

  it('forward from P1\'s raw data on dvct-p1 reaches C2\'s final data through dvct-c1', async () => {
    const res = await p1i.stack.request('GET', `/v1/nodes/${nodeIdFor('fedv-p1-raw')}/lineage?direction=forward`, { key: key(p1i, p1) });
    expect(res.status).toBe(200);
    expect(res.body.partial).toBe(false);
    expect(dataIds(res.body)).toEqual(['fedv-c1-chain', 'fedv-c2-final', 'fedv-p1-raw']);
  });

  it('verifies an untouched exchange from another member: record, nodes and allocations match the chain', async () => {
    const res = await p1i.stack.request('GET', `/v1/exchanges/${exchanges.first}/verification`, { key: key(p1i, p1) });
    expect(res.status).toBe(200);
    expect(res.body.verified).toBe(true);
    expect(res.body.items.map((i: any) => [i.item, i.instanceId, i.match])).toEqual([
      ['record', 'dvct-c1', true],
      ['node', 'dvct-c1', true],
      ['node', 'dvct-c1', true],
      ...res.body.items.filter((i: any) => i.item === 'allocation').map(() => ['allocation', 'dvct-c1', true]),
    ]);
    expect(res.body.items.filter((i: any) => i.item === 'allocation').length).toBeGreaterThan(0);
    // Not a party: as if it did not exist.
    expect((await p1i.stack.request('GET', `/v1/exchanges/${exchanges.second}/verification`, { key: key(p1i, p1) })).status).toBe(404);
  });

  it('detects a report altered in dvct-c2\'s database, verified from dvct-c1, and the script says so', async () => {
    const before = await c1i.stack.request('GET', `/v1/exchanges/${exchanges.second}/verification`, { key: key(c1i, c1) });
    expect(before.body.verified).toBe(true);

    const em = c2i.stack.db.orm.em.fork();
    const row = await em.getConnection().execute<{ report: unknown }[]>('select report from exchange where id = ?', [exchanges.second]);
    const stored = typeof row[0]!.report === 'string' ? JSON.parse(row[0]!.report as string) : row[0]!.report;
    stored.incentiveForDataProvider.numPoints = 500;
    await em.getConnection().execute('update exchange set report = ? where id = ?', [JSON.stringify(stored), exchanges.second]);

    const after = await c1i.stack.request('GET', `/v1/exchanges/${exchanges.second}/verification`, { key: key(c1i, c1) });
    expect(after.status).toBe(200);
    expect(after.body.verified).toBe(false);
    expect(after.body.items.filter((i: any) => !i.match)).toEqual([
      expect.objectContaining({ item: 'record', id: exchanges.second, instanceId: 'dvct-c2', reason: expect.stringContaining('dvct-c2') }),
    ]);
    // The other exchange, untouched, still verifies.
    expect((await c2i.stack.request('GET', `/v1/exchanges/${exchanges.first}/verification`, { key: key(c2i, o) })).body.verified).toBe(true);

    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/verify.ts', '--exchange', exchanges.second, '--api', c1i.url, '--key', key(c1i, c1)]).catch((err) => err);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('NOT VERIFIED');
    expect(run.stdout).toMatch(/MISMATCH record\s+\S+\s+\[dvct-c2\]/);
    process.stdout.write(`npm run verify -- --exchange ${exchanges.second} --api ${c1i.url} --key …\n${run.stdout}`);
  });

  it('a peer down: lineage is partial, naming the node and its home; verification says unreachable, never an error', async () => {
    await p1i.stop();
    const res = await c2i.stack.request('GET', `/v1/nodes/${nodeIdFor('fedv-c2-final')}/lineage?direction=backward&depth=3`, { key: key(c2i, c2) });
    expect(res.status).toBe(200);
    expect(res.body.partial).toBe(true);
    expect(res.body.unreachable).toEqual([
      { nodeId: nodeIdFor('fedv-p1-raw'), instanceId: 'dvct-p1', '@nodeUrl': `${p1i.url}/v1/nodes/${nodeIdFor('fedv-p1-raw')}`, reason: expect.stringContaining('dvct-p1') },
    ]);
    // What dvct-c1 knew is still there.
    expect(dataIds(res.body)).toEqual(['fedv-c1-chain', 'fedv-c2-final', 'fedv-p1-raw', 'fedv-seed']);

    await c2i.stop();
    const verification = await p1i.stack.request('GET', `/v1/exchanges/${exchanges.second}/verification`, { key: p1i.stack.operatorKey });
    expect(verification.status).toBe(200);
    expect(verification.body.verified).toBe(false);
    expect(verification.body.items).toEqual([expect.objectContaining({ item: 'record', instanceId: 'dvct-c2', match: false, reason: expect.stringMatching(/^unreachable/) })]);
  });
});
