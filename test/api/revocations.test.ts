import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revocationWorkflowId } from '../../lib/ids';
import { allocatedExchange as recorded, createHarness, expectProblemShape, registerSampleContract, type Harness, type SampleParties } from './harness';

/** POST /v1/exchanges/{id}/revocations: who may revoke what, answered before any run starts. */
let h: Harness;
let the: SampleParties;

const allocatedExchange = (id: string) => recorded(h, id);

function revoke(key: string, exchangeId: string, body: unknown) {
  return h.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key, body });
}

function startsOf(exchangeId: string) {
  return h.gateway.starts.filter((s) => s.kind === 'revocation' && s.input.exchangeId === exchangeId);
}

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
});
afterAll(() => h?.close());

describe('POST /v1/exchanges/{id}/revocations', () => {
  it('starts one revocation run per exchange, payer and recipient; a repeat answers the same run', async () => {
    const ex = await allocatedExchange('ex-rev-1');
    const body = { recipientId: 'org-p1', payerId: 'org-c1', reason: '  Shared outside the use case  ' };
    const first = await revoke(h.operatorKey, ex, body);
    expect(first.status).toBe(202);
    const workflowId = revocationWorkflowId(`${ex}-org-c1-org-p1`);
    expect(workflowId).toBe(`revocation-${ex}-org-c1-org-p1`);
    expect(first.body).toEqual({
      revocationId: `${ex}-org-c1-org-p1`,
      workflowId,
      runId: expect.any(String),
      temporalUiUrl: expect.stringContaining(workflowId),
      statusUrl: `/v1/exchanges/${ex}`,
    });
    expect(startsOf(ex)[0]).toMatchObject({
      workflowId,
      input: { revocationId: `${ex}-org-c1-org-p1`, exchangeId: ex, recipientId: 'org-p1', payerIds: ['org-c1'], reason: 'Shared outside the use case', requestedBy: 'operator' },
      meta: { contractId: 'uc-1' },
    });

    // Once revoked, the same request still names the same line, so the same run.
    await h.db.store.markAllocationRevoked({ exchangeId: ex, payerId: 'org-c1', recipientId: 'org-p1', txHash: null, reason: 'x', cause: 'revocation' });
    const again = await revoke(h.operatorKey, ex, body);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ workflowId, runId: first.body.runId });
  });

  it('without payerId takes every unreleased line of the recipient; the orchestrator may ask', async () => {
    const ex = await allocatedExchange('ex-rev-2');
    await h.db.store.markAllocationsReleased(ex, [{ round: 'initial', payerId: 'org-c1', recipientId: 'org-p1' }], `0x${'b'.repeat(64)}`);
    const res = await revoke(the.orchestrator.apiKey, ex, { recipientId: 'org-p1', reason: 'Breach of clause 4' });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe(`revocation-${ex}-org-orch-org-p1`);
    expect(startsOf(ex)[0]?.input).toMatchObject({ payerIds: ['org-orch'], requestedBy: 'org-orch' });

    const both = await allocatedExchange('ex-rev-3');
    const all = await revoke(h.operatorKey, both, { recipientId: 'org-p1', reason: 'Breach of clause 4' });
    expect(all.body.workflowId).toBe(`revocation-${both}-org-c1+org-orch-org-p1`);
    expect(startsOf(both)[0]?.input).toMatchObject({ payerIds: ['org-c1', 'org-orch'] });
  });

  it('names a payer once when its lines to the recipient span rounds (a correction added to the first allocation)', async () => {
    const ex = await allocatedExchange('ex-rev-rounds');
    await h.db.store.recordDistribution({
      exchangeId: ex,
      round: 'inc-1',
      parts: [],
      lines: [{ payerId: 'org-orch', recipientId: 'org-c1', amount: '1' }],
      allocationTxHash: null,
      releaseAt: new Date(Date.now() + 60_000),
    });
    const res = await revoke(h.operatorKey, ex, { recipientId: 'org-c1', reason: 'Breach of clause 4' });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe(`revocation-${ex}-org-orch-org-c1`);
    expect(startsOf(ex)[0]?.input).toMatchObject({ payerIds: ['org-orch'] });
  });

  it('refuses a released line with 409 ALLOCATION_RELEASED, and no run starts', async () => {
    const ex = await allocatedExchange('ex-rev-4');
    await h.db.store.markAllocationsReleased(ex, [{ round: 'initial', payerId: 'org-orch', recipientId: 'org-c1' }], `0x${'c'.repeat(64)}`);
    expectProblemShape(await revoke(h.operatorKey, ex, { recipientId: 'org-c1', payerId: 'org-orch', reason: 'late' }), 409, 'ALLOCATION_RELEASED');
    expectProblemShape(await revoke(h.operatorKey, ex, { recipientId: 'org-c1', reason: 'late' }), 409, 'ALLOCATION_RELEASED');
    expect(startsOf(ex)).toHaveLength(0);
  });

  it('answers 422 NO_SUCH_ALLOCATION for a recipient or payer without a line, 404 for an unknown exchange', async () => {
    const ex = await allocatedExchange('ex-rev-5');
    expectProblemShape(await revoke(h.operatorKey, ex, { recipientId: 'org-x', reason: 'r' }), 422, 'NO_SUCH_ALLOCATION');
    expectProblemShape(await revoke(h.operatorKey, ex, { recipientId: 'org-p1', payerId: 'org-p1', reason: 'r' }), 422, 'NO_SUCH_ALLOCATION');
    expectProblemShape(await revoke(h.operatorKey, 'ex-missing', { recipientId: 'org-p1', reason: 'r' }), 404, 'NOT_FOUND');
    expect(startsOf(ex)).toHaveLength(0);
  });

  it('lets only the operator and the orchestrator revoke: other parties 403, strangers 404, no key 401', async () => {
    const ex = await allocatedExchange('ex-rev-6');
    const body = { recipientId: 'org-p1', payerId: 'org-c1', reason: 'r' };
    expectProblemShape(await revoke(the.provider.apiKey, ex, body), 403, 'FORBIDDEN');
    expectProblemShape(await revoke(the.consumer.apiKey, ex, body), 403, 'FORBIDDEN');
    expectProblemShape(await revoke(the.stranger.apiKey, ex, body), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('POST', `/v1/exchanges/${ex}/revocations`, { body }), 401, 'UNAUTHENTICATED');
    expect(startsOf(ex)).toHaveLength(0);
  });

  it('validates the body: reason 1..500 characters, recipientId required, no unknown fields', async () => {
    const ex = await allocatedExchange('ex-rev-7');
    const fieldsOf = async (body: unknown) => {
      const res = await revoke(h.operatorKey, ex, body);
      expectProblemShape(res, 400, 'VALIDATION_FAILED');
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await fieldsOf({ recipientId: 'org-p1' })).toEqual(['reason']);
    expect(await fieldsOf({ recipientId: 'org-p1', reason: '   ' })).toEqual(['reason']);
    expect(await fieldsOf({ recipientId: 'org-p1', reason: 'x'.repeat(501) })).toEqual(['reason']);
    expect(await fieldsOf({ reason: 'r' })).toEqual(['recipientId']);
    expect(await fieldsOf({ recipientId: 'org-p1', reason: 'r', amount: 1 })).toEqual(['amount']);
    expect((await revoke(h.operatorKey, ex, { recipientId: 'org-p1', payerId: 'org-c1', reason: 'x'.repeat(500) })).status).toBe(202);
  });
});
