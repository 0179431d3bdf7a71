import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settlementIdFor } from '../../lib/ids';
import { createHarness, expectProblemShape, sampleContract as contract, type Harness } from './harness';

let h: Harness;
let orchestrator: { apiKey: string };
let provider: { apiKey: string };
let stranger: { apiKey: string };

beforeAll(async () => {
  h = await createHarness();
  orchestrator = await h.register('org-orch', ['orchestrator']);
  provider = await h.register('org-p1', ['data-provider']);
  stranger = await h.register('org-x', ['data-consumer']);
  await h.register('org-c1', ['data-consumer', 'ai-provider']);
});
afterAll(() => h?.close());

describe('contracts', () => {
  it('creates (201), accepts the same content again (200) and refuses other content (409)', async () => {
    const created = await h.request('POST', '/v1/contracts', { key: orchestrator.apiKey, body: contract() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'uc-1', orchestratorId: 'org-orch', validFrom: '2025-01-01T00:00:00.000Z', verificationWindowSeconds: 60 });

    const again = await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: contract() });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);

    const other = await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: contract({ title: 'Something else' }) });
    expectProblemShape(other, 409, 'CONFLICT');
    expect((await h.db.store.getContract('uc-1'))?.title).toBe('Skills matching');
  });

  it('lets only the operator or the contract\'s own orchestrator register it', async () => {
    const byProvider = await h.request('POST', '/v1/contracts', { key: provider.apiKey, body: contract({ id: 'uc-2' }) });
    expectProblemShape(byProvider, 403, 'FORBIDDEN');
    const forSomeoneElse = await h.request('POST', '/v1/contracts', {
      key: orchestrator.apiKey,
      body: contract({ id: 'uc-3', orchestratorId: 'org-p1', parties: [{ participantId: 'org-p1', roles: ['orchestrator', 'data-provider'] }], rewardPool: null }),
    });
    expectProblemShape(forSomeoneElse, 403, 'FORBIDDEN');
    expect(await h.db.store.getContract('uc-2')).toBeNull();
  });

  it('names each problem of an invalid contract', async () => {
    const res = await h.request('POST', '/v1/contracts', {
      key: h.operatorKey,
      body: contract({ id: 'uc-bad', validFrom: 'yesterday', verificationWindowSeconds: -1, extra: true }),
    });
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['extra', 'validFrom', 'verificationWindowSeconds']);
  });

  it('shows a contract to the operator and its parties only', async () => {
    expect((await h.request('GET', '/v1/contracts/uc-1', { key: h.operatorKey })).status).toBe(200);
    expect((await h.request('GET', '/v1/contracts/uc-1', { key: provider.apiKey })).body.id).toBe('uc-1');
    expectProblemShape(await h.request('GET', '/v1/contracts/uc-1', { key: stranger.apiKey }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('GET', '/v1/contracts/uc-none', { key: h.operatorKey }), 404, 'NOT_FOUND');
  });
});

describe('pool settlements', () => {
  it('starts one settlement per contract and round, read at the exchange URL', async () => {
    const first = await h.request('POST', '/v1/contracts/uc-1/settlements', { key: orchestrator.apiKey, body: { round: '2026-Q4' } });
    expect(first.status).toBe(202);
    const settlementId = settlementIdFor('uc-1', '2026-Q4');
    expect(first.body).toMatchObject({ settlementId, statusUrl: `/v1/exchanges/${settlementId}`, duplicate: false, runId: expect.any(String) });
    const start = h.gateway.starts.at(-1);
    expect(start).toMatchObject({ kind: 'settlement', input: { settlementId, contractId: 'uc-1', round: '2026-Q4', requestedBy: 'org-orch' } });
    expect(start?.kind === 'settlement' && start.meta.participants.sort()).toEqual(['org-c1', 'org-orch', 'org-p1']);

    const again = await h.request('POST', '/v1/contracts/uc-1/settlements', { key: h.operatorKey, body: { round: '2026-Q4' } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ settlementId, workflowId: first.body.workflowId, runId: first.body.runId, duplicate: true });

    const status = await h.request('GET', first.body.statusUrl, { key: orchestrator.apiKey });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ exchangeId: settlementId, kind: 'settlement', settlementRound: '2026-Q4', report: null, status: 'running', runId: first.body.runId });
  });

  it('refuses a party that is not the orchestrator (403), strangers and unknown contracts (404), and a contract without a pool (422)', async () => {
    expectProblemShape(await h.request('POST', '/v1/contracts/uc-1/settlements', { key: provider.apiKey, body: { round: 'r1' } }), 403, 'FORBIDDEN');
    expectProblemShape(await h.request('POST', '/v1/contracts/uc-1/settlements', { key: stranger.apiKey, body: { round: 'r1' } }), 404, 'NOT_FOUND');
    expectProblemShape(await h.request('POST', '/v1/contracts/uc-none/settlements', { key: h.operatorKey, body: { round: 'r1' } }), 404, 'NOT_FOUND');

    expect((await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: contract({ id: 'uc-nopool', rewardPool: null }) })).status).toBe(201);
    expectProblemShape(await h.request('POST', '/v1/contracts/uc-nopool/settlements', { key: h.operatorKey, body: { round: 'r1' } }), 422, 'NO_REWARD_POOL');
  });

  it('validates the round', async () => {
    const res = await h.request('POST', '/v1/contracts/uc-1/settlements', { key: h.operatorKey, body: { round: ' padded ', note: 1 } });
    expectProblemShape(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['note', 'round']);
  });
});
