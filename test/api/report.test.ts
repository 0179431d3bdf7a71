import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, link, node } from '../db/fixtures';
import { createHarness, expectProblemShape, type Harness } from './harness';

let h: Harness;
let prov: string, cons: string;
const E18 = 10n ** 18n;

/** prov's data r1 was consumed by cons (ex-direct, 5 points) and cons's output from it by org-x (ex-indirect, 1 point upstream). */
beforeAll(async () => {
  h = await createHarness();
  prov = (await h.register('prov', ['data-provider'])).apiKey;
  cons = (await h.register('cons', ['data-consumer'])).apiKey;
  await h.register('org-x', ['data-consumer']);
  const { store } = h.db;
  await store.upsertNode(node('r1', { dataId: 'raw-1', ownerId: 'prov' }));
  await store.upsertNode(node('d1', { dataId: 'derived-1', ownerId: 'cons', kind: 'chain-data' }));
  // The link is ex-direct's: cons consumed r1 and made d1 from it.
  await store.linkNodes(link('r1', 'd1', { exchangeId: 'ex-direct' }));
  for (const [id, consumed, consumer, payer, points, reason] of [
    ['ex-direct', 'r1', 'cons', 'cons', 5n, 'data-provider'],
    ['ex-indirect', 'd1', 'org-x', 'org-x', 1n, 'upstream'],
  ] as const) {
    await store.insertExchangeIfAbsent(exchange(id, { workflowId: `exchange-${id}`, consumerId: consumer }));
    await store.updateExchange(id, { consumedNodeId: consumed, status: 'completed', stage: 'completed' });
    const amount = (points * E18).toString();
    await store.recordDistribution({
      exchangeId: id,
      parts: [{ payerId: payer, recipientId: 'prov', amount, reason, nodeId: 'r1', depth: reason === 'upstream' ? 1 : 0, contractId: 'c-1' }],
      lines: [{ payerId: payer, recipientId: 'prov', amount }],
      allocationTxHash: null,
      releaseAt: new Date('2030-01-01T00:00:00Z'),
    });
  }
  await store.markAllocationsReleased('ex-direct', [{ round: 'initial', payerId: 'cons', recipientId: 'prov' }], null);
});
afterAll(() => h?.close());

describe('GET /v1/participants/{id}/report', () => {
  it('answers the provider where its data was used and what it earned', async () => {
    const res = await h.request('GET', '/v1/participants/prov/report', { key: prov });
    expect(res.status).toBe(200);
    expect(res.body.totals).toMatchObject({ earned: { points: '6' }, pending: { points: '1' }, released: { points: '5' }, revoked: { points: '0' } });
    expect(res.body.usage).toMatchObject({ uses: 2, direct: 1, indirect: 1 });
    expect(res.body.uses.map((u: { exchangeId: string; depth: number; sourceDataId: string }) => [u.exchangeId, u.depth, u.sourceDataId]).sort()).toEqual([
      ['ex-direct', 0, 'raw-1'],
      ['ex-indirect', 1, 'raw-1'],
    ]);
    expect(res.body.timeline.at(-1)).toMatchObject({ earned: { points: '6' }, released: { points: '5' } });
  });

  it('is for the participant itself and the operator only: another organisation sees no such participant', async () => {
    expect((await h.request('GET', '/v1/participants/prov/report', { key: h.operatorKey })).status).toBe(200);
    expectProblemShape(await h.request('GET', '/v1/participants/prov/report', { key: cons }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/participants/prov/report'), 401, 'UNAUTHENTICATED');
    expectProblemShape(await h.request('GET', '/v1/participants/nobody/report', { key: h.operatorKey }), 404, 'NOT_FOUND');
  });

  it('keeps to the period, and refuses one that ends before it starts', async () => {
    const future = await h.request('GET', '/v1/participants/prov/report?from=2099-01-01T00:00:00Z', { key: prov });
    expect(future.body).toMatchObject({ period: { from: '2099-01-01T00:00:00.000Z', to: null }, uses: [], timeline: [] });
    const backwards = await h.request('GET', '/v1/participants/prov/report?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', { key: prov });
    expectProblemShape(backwards, 400, 'VALIDATION_FAILED');
    expect(backwards.body.errors).toEqual([{ path: 'to', message: 'must be after from' }]);
    expectProblemShape(await h.request('GET', '/v1/participants/prov/report?from=yesterday', { key: prov }), 400, 'VALIDATION_FAILED');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await h.request('GET', '/openapi.json')).body;
    expect(doc.paths['/v1/participants/{id}/report'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['from', 'id', 'to']);
  });
});
