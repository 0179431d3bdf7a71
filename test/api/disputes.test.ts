import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeWorkflowId, incidentWorkflowId } from '../../lib/ids';
import { exchange } from '../db/fixtures';
import { allocatedExchange, createHarness, expectProblemShape, registerSampleContract, type Harness, type SampleParties } from './harness';

/** POST /v1/exchanges/{id}/disputes: a party opens an incident about what it received. */
let h: Harness;
let the: SampleParties;

function dispute(key: string, exchangeId: string, body: unknown) {
  return h.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key, body });
}

function raisesOf(exchangeId: string) {
  return h.gateway.raises.filter((r) => r.exchangeId === exchangeId);
}

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
});
afterAll(() => h?.close());

describe('POST /v1/exchanges/{id}/disputes', () => {
  it('opens one incident per party and request, raised into the exchange\'s open run', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-1');
    const body = { expectedPoints: '8.50', reason: '  We were promised 8.5 points per dataset  ' };
    const first = await dispute(the.provider.apiKey, ex, body);
    expect(first.status).toBe(202);
    const incidentId: string = first.body.incidentId;
    expect(incidentId).toMatch(/^inc-[0-9a-f]{32}$/);
    expect(first.body).toEqual({
      incidentId,
      workflowId: incidentWorkflowId(incidentId),
      temporalUiUrl: expect.stringContaining(incidentWorkflowId(incidentId)),
      statusUrl: `/v1/incidents/${incidentId}`,
      duplicate: false,
    });
    expect(await h.db.store.getIncident(incidentId)).toMatchObject({
      exchangeId: ex,
      source: 'dispute',
      status: 'open',
      workflowId: incidentWorkflowId(incidentId),
      dispute: { participantId: 'org-p1', expectedPoints: '8.5', reason: 'We were promised 8.5 points per dataset' },
    });
    expect(raisesOf(ex)).toEqual([
      {
        exchangeWorkflowId: exchangeWorkflowId(ex),
        incidentId,
        exchangeId: ex,
        source: 'dispute',
        meta: { contractId: 'uc-1', participants: ['org-c1', 'org-orch', 'org-p1'] },
        mode: 'signalled',
      },
    ]);

    // The same dispute (the same amount written otherwise) is the same incident; another reason is another one.
    const again = await dispute(the.provider.apiKey, ex, { expectedPoints: 8.5, reason: 'We were promised 8.5 points per dataset' });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ incidentId, duplicate: true });
    const other = await dispute(the.provider.apiKey, ex, { reason: 'The provider share looks wrong' });
    expect(other.body.incidentId).not.toBe(incidentId);
    expect((await h.db.store.getIncident(other.body.incidentId))?.dispute).toEqual({ participantId: 'org-p1', expectedPoints: null, reason: 'The provider share looks wrong' });
    // The same words from another party are that party's incident.
    expect((await dispute(the.consumer.apiKey, ex, { expectedPoints: 8.5, reason: 'We were promised 8.5 points per dataset' })).body.incidentId).not.toBe(incidentId);
  });

  it('runs the incident on its own once the exchange\'s run is over', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-2');
    h.gateway.closedRuns.add(exchangeWorkflowId(ex));
    const res = await dispute(the.consumer.apiKey, ex, { expectedPoints: 15, reason: 'The AI award is missing' });
    expect(res.status).toBe(202);
    expect(raisesOf(ex)).toMatchObject([{ mode: 'standalone', incidentId: res.body.incidentId }]);
    expect(res.body.temporalUiUrl).toContain(incidentWorkflowId(res.body.incidentId));
  });

  it('raises a closed incident no more: a repeat answers the same incident', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-3');
    const body = { reason: 'Too little' };
    const first = await dispute(the.provider.apiKey, ex, body);
    await h.db.store.updateIncident(first.body.incidentId, { status: 'dismissed', closedAt: new Date() });
    const again = await dispute(the.provider.apiKey, ex, body);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ incidentId: first.body.incidentId, workflowId: first.body.workflowId, duplicate: true });
    expect(raisesOf(ex)).toHaveLength(1);
  });

  it('lets every party dispute: provider, consumer, orchestrator, anyone paid in it', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-4');
    await h.db.store.recordDistribution({
      exchangeId: ex,
      round: 'inc-earlier',
      parts: [],
      lines: [{ payerId: 'org-orch', recipientId: 'org-x', amount: '1' }],
      allocationTxHash: null,
      releaseAt: new Date(),
    });
    for (const party of [the.provider, the.consumer, the.orchestrator, the.stranger]) {
      expect((await dispute(party.apiKey, ex, { reason: 'Check it' })).status).toBe(202);
    }
  });

  it('takes disputes from participants only: the operator 403, a stranger and an unknown exchange 404, no key 401', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-5');
    const body = { reason: 'r' };
    expectProblemShape(await dispute(h.operatorKey, ex, body), 403, 'FORBIDDEN');
    expectProblemShape(await dispute(the.stranger.apiKey, ex, body), 404, 'NOT_FOUND');
    expectProblemShape(await dispute(the.provider.apiKey, 'ex-missing', body), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('POST', `/v1/exchanges/${ex}/disputes`, { body }), 401, 'UNAUTHENTICATED');
    expect(raisesOf(ex)).toEqual([]);
  });

  it('answers 409 for an exchange that allocated nothing: rejected, or not allocated yet', async () => {
    await h.db.store.insertExchangeIfAbsent({ ...exchange('ex-dis-rejected', { consumerId: 'org-c1', providerId: 'org-p1' }), status: 'rejected', stage: 'rejected' });
    const rejected = await dispute(the.provider.apiKey, 'ex-dis-rejected', { reason: 'r' });
    expectProblemShape(rejected, 409, 'CONFLICT');
    expect(rejected.body.detail).toContain('ended rejected before anything was allocated');
    await h.db.store.insertExchangeIfAbsent({ ...exchange('ex-dis-early', { consumerId: 'org-c1', providerId: 'org-p1' }), stage: 'creating-nodes' });
    const early = await dispute(the.provider.apiKey, 'ex-dis-early', { reason: 'r' });
    expectProblemShape(early, 409, 'CONFLICT');
    expect(early.body.detail).toContain('has allocated nothing yet');
    expect(await h.db.store.listIncidents({ exchangeIds: ['ex-dis-rejected', 'ex-dis-early'] }, { limit: 10 })).toEqual([]);
  });

  it('validates the body: reason 1..1000 characters, expectedPoints as exact points, no unknown fields', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-6');
    const fieldsOf = async (body: unknown) => {
      const res = await dispute(the.provider.apiKey, ex, body);
      expectProblemShape(res, 400, 'VALIDATION_FAILED');
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await fieldsOf({})).toEqual(['reason']);
    expect(await fieldsOf({ reason: ' ' })).toEqual(['reason']);
    expect(await fieldsOf({ reason: 'x'.repeat(1001) })).toEqual(['reason']);
    expect(await fieldsOf({ reason: 'r', expectedPoints: -1 })).toEqual(['expectedPoints']);
    expect(await fieldsOf({ reason: 'r', expectedPoints: 'eight' })).toEqual(['expectedPoints']);
    expect(await fieldsOf({ reason: 'r', expectedPoints: '0.0000000000000000001' })).toEqual(['expectedPoints']);
    expect(await fieldsOf({ reason: 'r', amount: 1 })).toEqual(['amount']);
    expect((await dispute(the.provider.apiKey, ex, { reason: 'x'.repeat(1000), expectedPoints: '1e3' })).status).toBe(202);
  });

  it('answers 503 when Temporal is down, with the incident recorded: the same request again raises it', async () => {
    const ex = await allocatedExchange(h, 'ex-dis-7');
    h.gateway.failStarts = true;
    try {
      expectProblemShape(await dispute(the.provider.apiKey, ex, { reason: 'r' }), 503, 'DEPENDENCY_UNAVAILABLE');
    } finally {
      h.gateway.failStarts = false;
    }
    const retried = await dispute(the.provider.apiKey, ex, { reason: 'r' });
    expect(retried.status).toBe(202);
    expect(retried.body.duplicate).toBe(true);
    expect(raisesOf(ex)).toHaveLength(1);
  });
});
