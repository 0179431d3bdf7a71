import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentStatus } from '../../domain/incidents';
import { incidentWorkflowId } from '../../lib/ids';
import { exchange } from '../db/fixtures';
import { allocatedExchange, createHarness, expectProblemShape, FIVE_POINTS, registerSampleContract, type Harness, type SampleParties } from './harness';

/** GET /v1/incidents and /v1/incidents/{id}, and the incidents an exchange shows. */
let h: Harness;
let the: SampleParties;
let outsider: { apiKey: string };

const TEN_POINTS = '10000000000000000000';

async function incident(id: string, exchangeId: string, status: IncidentStatus = 'open'): Promise<void> {
  await h.db.store.openIncident({ id, exchangeId, source: 'detection', workflowId: incidentWorkflowId(id), dispute: null });
  if (status !== 'open') await h.db.store.updateIncident(id, { status });
  // Distinct instants, so newest-first order is the order of creation.
  await new Promise((r) => setTimeout(r, 3));
}

const ids = (body: { incidents: { id: string }[] }) => body.incidents.map((i) => i.id);

beforeAll(async () => {
  h = await createHarness();
  the = await registerSampleContract(h);
  outsider = await h.register('org-out', ['data-provider']);

  await allocatedExchange(h, 'ex-inc-1');
  await allocatedExchange(h, 'ex-inc-2');
  // An exchange the provider has no part in.
  await h.db.store.insertExchangeIfAbsent(exchange('ex-inc-other', { usecaseContractId: 'uc-other', consumerId: 'org-x', providerId: 'org-out' }));
  await incident('inc-1', 'ex-inc-1', 'resolved');
  await incident('inc-2', 'ex-inc-2', 'awaiting-review');
  await incident('inc-3', 'ex-inc-other');
  await incident('inc-4', 'ex-inc-1', 'awaiting-review');
});
afterAll(() => h?.close());

describe('GET /v1/incidents/{id}', () => {
  it('shows the incident with findings in points and units, the decision, the feedback rule and the whole timeline', async () => {
    await h.db.store.openIncident({
      id: 'inc-full',
      exchangeId: 'ex-inc-2',
      source: 'dispute',
      workflowId: incidentWorkflowId('inc-full'),
      dispute: { participantId: 'org-c1', expectedPoints: '15', reason: 'The AI award is short' },
    });
    const decision = { decision: 'approve-correction' as const, comment: 'Automatic correction', decidedBy: 'automatic', decidedAt: '2026-11-21T10:00:00.000Z' };
    await h.db.store.updateIncident('inc-full', {
      status: 'resolved',
      rule: 'allocation-matches-contract',
      cause: 'extraIncentiveForAIProvider.factor: reported 0.5, contract 1',
      findings: [{ payerId: 'org-orch', recipientId: 'org-c1', held: FIVE_POINTS, due: TEN_POINTS }],
      decision,
      suggestedValidationRule: 'reported-terms-match-contract',
      closedAt: new Date('2026-11-21T10:01:00.000Z'),
    });
    await h.db.store.appendIncidentEvent({ incidentId: 'inc-full', key: 'detected', step: 'detection', summary: 'org-c1 is 5 points short', details: { short: '5' }, txHashes: [] });
    await h.db.store.appendIncidentEvent({ incidentId: 'inc-full', key: 'redistributed', step: 'redistribution', summary: '5 more points', details: null, txHashes: ['0xabc'] });

    const res = await h.request('GET', '/v1/incidents/inc-full', { key: the.provider.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: 'inc-full',
      exchangeId: 'ex-inc-2',
      exchangeUrl: '/v1/exchanges/ex-inc-2',
      source: 'dispute',
      status: 'resolved',
      rule: 'allocation-matches-contract',
      cause: 'extraIncentiveForAIProvider.factor: reported 0.5, contract 1',
      url: '/v1/incidents/inc-full',
      workflowId: 'incident-inc-full',
      temporalUiUrl: 'http://temporal.test/workflows/incident-inc-full',
      reviewDeadline: null,
      openedAt: expect.any(String),
      updatedAt: expect.any(String),
      closedAt: '2026-11-21T10:01:00.000Z',
      findings: [{ payerId: 'org-orch', recipientId: 'org-c1', held: '5', heldUnits: FIVE_POINTS, due: '10', dueUnits: TEN_POINTS }],
      dispute: { participantId: 'org-c1', expectedPoints: '15', expectedUnits: '15000000000000000000', reason: 'The AI award is short' },
      decision,
      suggestedValidationRule: 'reported-terms-match-contract',
      timeline: [
        { seq: 1, step: 'detection', summary: 'org-c1 is 5 points short', details: { short: '5' }, txHashes: [], at: expect.any(String) },
        { seq: 2, step: 'redistribution', summary: '5 more points', details: null, txHashes: ['0xabc'], at: expect.any(String) },
      ],
    });
  });

  it('is visible to the operator, reviewers and the parties of its exchange; 404 to anyone else', async () => {
    for (const key of [h.operatorKey, the.reviewer.apiKey, the.provider.apiKey]) expect((await h.request('GET', '/v1/incidents/inc-1', { key })).status).toBe(200);
    expectProblemShape(await h.request('GET', '/v1/incidents/inc-1', { key: outsider.apiKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/incidents/inc-3', { key: the.provider.apiKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/incidents/inc-none', { key: h.operatorKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/incidents/inc-1'), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /v1/incidents', () => {
  it('lists every incident, newest first, for the operator and reviewers', async () => {
    for (const key of [h.operatorKey, the.reviewer.apiKey]) {
      const res = await h.request('GET', '/v1/incidents?exchangeId=ex-inc-1', { key });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ incidents: [{ id: 'inc-4', exchangeId: 'ex-inc-1', status: 'awaiting-review', url: '/v1/incidents/inc-4' }, { id: 'inc-1' }], hasMore: false });
    }
    expect(ids((await h.request('GET', '/v1/incidents?status=awaiting-review', { key: the.reviewer.apiKey })).body)).toEqual(['inc-4', 'inc-2']);
    expect(ids((await h.request('GET', '/v1/incidents?exchangeId=ex-inc-other', { key: h.operatorKey })).body)).toEqual(['inc-3']);
  });

  it('lists for any other participant only the incidents of exchanges it is a party to', async () => {
    const mine = await h.request('GET', '/v1/incidents?limit=200', { key: the.provider.apiKey });
    expect(ids(mine.body).filter((id) => id !== 'inc-full')).toEqual(['inc-4', 'inc-2', 'inc-1']);
    expect(ids((await h.request('GET', '/v1/incidents?status=resolved&exchangeId=ex-inc-1', { key: the.provider.apiKey })).body)).toEqual(['inc-1']);
    expect(ids((await h.request('GET', '/v1/incidents?exchangeId=ex-inc-other', { key: the.provider.apiKey })).body)).toEqual([]);
    expect(ids((await h.request('GET', '/v1/incidents', { key: outsider.apiKey })).body)).toEqual(['inc-3']);
    expect(ids((await h.request('GET', '/v1/incidents', { key: the.stranger.apiKey })).body)).toEqual(['inc-3']);
  });

  it('pages with limit and before', async () => {
    const first = await h.request('GET', '/v1/incidents?exchangeId=ex-inc-1&limit=1', { key: h.operatorKey });
    expect(first.body).toMatchObject({ incidents: [{ id: 'inc-4' }], hasMore: true });
    const before = encodeURIComponent(first.body.incidents[0].openedAt);
    const next = await h.request('GET', `/v1/incidents?exchangeId=ex-inc-1&limit=1&before=${before}`, { key: h.operatorKey });
    expect(next.body).toMatchObject({ incidents: [{ id: 'inc-1' }], hasMore: false });
  });

  it('names each invalid query parameter', async () => {
    const res = await h.request('GET', '/v1/incidents?status=lost&limit=0&before=yesterday', { key: h.operatorKey });
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['before', 'limit', 'status']);
    expectProblemShape(await h.request('GET', '/v1/incidents?limit=201', { key: h.operatorKey }), 400, 'VALIDATION_FAILED');
  });
});

describe('an exchange\'s incidents and rounds', () => {
  it('are shown with the exchange: each incident with its status and link, each line with its round', async () => {
    await h.db.store.recordDistribution({
      exchangeId: 'ex-inc-1',
      round: 'inc-1',
      parts: [],
      lines: [{ payerId: 'org-orch', recipientId: 'org-c1', amount: FIVE_POINTS }],
      allocationTxHash: null,
      releaseAt: new Date('2030-01-01T00:00:00Z'),
    });
    await h.db.store.updateExchange('ex-inc-1', { status: 'cancelled', stage: 'cancelled' });
    const res = await h.request('GET', '/v1/exchanges/ex-inc-1', { key: the.provider.apiKey });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    expect(res.body.incidents).toEqual([
      { id: 'inc-4', status: 'awaiting-review', url: '/v1/incidents/inc-4' },
      { id: 'inc-1', status: 'resolved', url: '/v1/incidents/inc-1' },
    ]);
    expect(res.body.allocations.map((a: { round: string; payerId: string; recipientId: string }) => [a.round, a.payerId, a.recipientId])).toEqual([
      ['initial', 'org-c1', 'org-p1'],
      ['initial', 'org-orch', 'org-c1'],
      ['initial', 'org-orch', 'org-p1'],
      ['inc-1', 'org-orch', 'org-c1'],
    ]);
  });
});
