import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DvctError } from '../../domain/errors';
import { incidentWorkflowId } from '../../lib/ids';
import { allocatedExchange, createHarness, expectProblemShape, registerSampleContract, type Harness, type SampleParties } from './harness';

/** POST /v1/exchanges/{id}/review: a reviewer's decision, sent to the incident's run. */
let h: Harness;
let the: SampleParties;

const approve = { decision: 'approve-correction', comment: 'The contract says factor 1' };

function review(key: string, exchangeId: string, body: unknown) {
  return h.request('POST', `/v1/exchanges/${exchangeId}/review`, { key, body });
}

/** An allocated exchange with one incident in `status`. */
async function withIncident(exchangeId: string, incidentId: string, status: 'open' | 'awaiting-review' | 'resolved' = 'awaiting-review'): Promise<string> {
  await allocatedExchange(h, exchangeId);
  await h.db.store.openIncident({ id: incidentId, exchangeId, source: 'detection', workflowId: incidentWorkflowId(incidentId), dispute: null });
  if (status !== 'open') await h.db.store.updateIncident(incidentId, { status });
  return exchangeId;
}

function reviewsOf(incidentId: string) {
  return h.gateway.reviews.filter((r) => r.incidentId === incidentId);
}

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
});
afterAll(() => h?.close());

describe('POST /v1/exchanges/{id}/review', () => {
  it('sends a reviewer\'s decision to the one incident awaiting a review and answers what its run decided', async () => {
    const ex = await withIncident('ex-rev-a', 'inc-a');
    const res = await review(the.reviewer.apiKey, ex, approve);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      incidentId: 'inc-a',
      decision: { decision: 'approve-correction', comment: 'The contract says factor 1', decidedBy: 'org-rev', decidedAt: expect.any(String) },
      incidentUrl: '/v1/incidents/inc-a',
    });
    expect(reviewsOf('inc-a')).toEqual([{ incidentId: 'inc-a', input: { decision: 'approve-correction', comment: 'The contract says factor 1', reviewerId: 'org-rev' } }]);
  });

  it('takes the operator\'s decision, and an adjustment with its metrics', async () => {
    const ex = await withIncident('ex-rev-b', 'inc-b');
    const adjust = { decision: 'adjust', correctedMetrics: { extraIncentiveForAIProvider: { factor: 0.9 } }, comment: 'Only 90% was delivered' };
    const res = await review(h.operatorKey, ex, adjust);
    expect(res.status).toBe(200);
    expect(res.body.decision).toMatchObject({ ...adjust, decidedBy: 'operator' });
    expect(reviewsOf('inc-b')[0]?.input).toEqual({ ...adjust, reviewerId: 'operator' });
  });

  it('answers 409 REVIEW_NOT_AWAITED when no incident waits for one, and sends nothing', async () => {
    await allocatedExchange(h, 'ex-rev-none');
    expectProblemShape(await review(the.reviewer.apiKey, 'ex-rev-none', approve), 409, 'REVIEW_NOT_AWAITED');
    await withIncident('ex-rev-open', 'inc-still-open', 'open');
    expectProblemShape(await review(the.reviewer.apiKey, 'ex-rev-open', approve), 409, 'REVIEW_NOT_AWAITED');
    await withIncident('ex-rev-done', 'inc-done', 'resolved');
    expectProblemShape(await review(the.reviewer.apiKey, 'ex-rev-done', { ...approve, incidentId: 'inc-done' }), 409, 'REVIEW_NOT_AWAITED');
    expect([...reviewsOf('inc-still-open'), ...reviewsOf('inc-done')]).toEqual([]);
  });

  it('goes to the named incident; one of another exchange or none at all is 404', async () => {
    const ex = await withIncident('ex-rev-c', 'inc-c1');
    await h.db.store.openIncident({ id: 'inc-c2', exchangeId: ex, source: 'dispute', workflowId: incidentWorkflowId('inc-c2'), dispute: null });
    await h.db.store.updateIncident('inc-c2', { status: 'awaiting-review' });
    const both = await review(the.reviewer.apiKey, ex, approve);
    expectProblemShape(both, 400, 'VALIDATION_FAILED');
    expect(both.body.errors).toEqual([{ path: 'incidentId', message: expect.stringContaining('inc-c1, inc-c2') }]);

    expect((await review(the.reviewer.apiKey, ex, { ...approve, incidentId: 'inc-c2' })).body.incidentId).toBe('inc-c2');
    await withIncident('ex-rev-d', 'inc-d');
    expectProblemShape(await review(the.reviewer.apiKey, ex, { ...approve, incidentId: 'inc-d' }), 404, 'NOT_FOUND');
    expectProblemShape(await review(the.reviewer.apiKey, ex, { ...approve, incidentId: 'inc-none' }), 404, 'NOT_FOUND');
    expect(reviewsOf('inc-d')).toEqual([]);
  });

  it('passes on what the incident\'s run refuses; a run that is gone no longer takes a review', async () => {
    const ex = await withIncident('ex-rev-e', 'inc-e');
    const cases: [DvctError, number, string][] = [
      [new DvctError('REVIEW_NOT_AWAITED', 'The incident is being corrected'), 409, 'REVIEW_NOT_AWAITED'],
      [new DvctError('VALIDATION_FAILED', 'correctedMetrics.extraIncentiveForAIProvider: the exchange earns no AI award'), 400, 'VALIDATION_FAILED'],
      [new DvctError('CONFLICT', 'refused'), 409, 'CONFLICT'],
      [new DvctError('NOT_FOUND', 'There is no run for incident inc-e.'), 409, 'REVIEW_NOT_AWAITED'],
      [new DvctError('DEPENDENCY_UNAVAILABLE', 'no answer in time'), 503, 'DEPENDENCY_UNAVAILABLE'],
    ];
    try {
      for (const [refusal, status, code] of cases) {
        h.gateway.reviewRefusal = refusal;
        expectProblemShape(await review(the.reviewer.apiKey, ex, approve), status, code);
      }
    } finally {
      h.gateway.reviewRefusal = null;
    }
  });

  it('lets only the operator and reviewers decide: other parties 403, strangers and unknown exchanges 404, no key 401', async () => {
    const ex = await withIncident('ex-rev-f', 'inc-f');
    expectProblemShape(await review(the.provider.apiKey, ex, approve), 403, 'FORBIDDEN');
    expectProblemShape(await review(the.stranger.apiKey, ex, approve), 404, 'NOT_FOUND');
    expectProblemShape(await review(the.reviewer.apiKey, 'ex-missing', approve), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('POST', `/v1/exchanges/${ex}/review`, { body: approve }), 401, 'UNAUTHENTICATED');
    expect(reviewsOf('inc-f')).toEqual([]);
  });

  it('validates the decision: correctedMetrics with adjust and only with adjust, valid metrics, a comment', async () => {
    const ex = await withIncident('ex-rev-g', 'inc-g');
    const fieldsOf = async (body: unknown) => {
      const res = await review(the.reviewer.apiKey, ex, body);
      expectProblemShape(res, 400, 'VALIDATION_FAILED');
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await fieldsOf({ decision: 'adjust', comment: 'c' })).toEqual(['correctedMetrics']);
    expect(await fieldsOf({ ...approve, correctedMetrics: { incentiveForDataProvider: { numPoints: 6 } } })).toEqual(['correctedMetrics']);
    expect(await fieldsOf({ decision: 'adjust', comment: 'c', correctedMetrics: {} })).toEqual(['correctedMetrics']);
    expect(await fieldsOf({ decision: 'adjust', comment: 'c', correctedMetrics: { extraIncentiveForAIProvider: {} } })).toEqual(['correctedMetrics.extraIncentiveForAIProvider']);
    expect(await fieldsOf({ decision: 'adjust', comment: 'c', correctedMetrics: { extraIncentiveForAIProvider: { factor: 1.5 } } })).toEqual([
      'correctedMetrics.extraIncentiveForAIProvider.factor',
    ]);
    expect(await fieldsOf({ decision: 'adjust', comment: 'c', correctedMetrics: { incentiveForDataProvider: { numPoints: -1 } } })).toEqual([
      'correctedMetrics.incentiveForDataProvider.numPoints',
    ]);
    expect(await fieldsOf({ decision: 'adjust', comment: 'c', correctedMetrics: { upstream: { share: 0 } } })).toEqual(['correctedMetrics.upstream']);
    expect(await fieldsOf({ decision: 'approve', comment: 'c' })).toEqual(['decision']);
    expect(await fieldsOf({ decision: 'reject' })).toEqual(['comment']);
    expect(await fieldsOf({ decision: 'reject', comment: 'x'.repeat(2001) })).toEqual(['comment']);
    expect(await fieldsOf({ ...approve, reviewer: 'me' })).toEqual(['reviewer']);
    expect(reviewsOf('inc-g')).toEqual([]);
  });
});
