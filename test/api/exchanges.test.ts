import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeIdFor, exchangeWorkflowId, nodeIdFor } from '../../lib/ids';
import type { ExchangeReport } from '../../domain/types';
import type { ExchangeProgress } from '../../workflows/definitions';
import { createHarness, expectProblemShape, sampleContract, seedReport, type Harness } from './harness';

let h: Harness;
let consumer: { apiKey: string };
let provider: { apiKey: string };
let stranger: { apiKey: string };
let orchestrator: { apiKey: string };
let upstream: { apiKey: string };

beforeAll(async () => {
  h = await createHarness();
  consumer = await h.register('org-c1', ['data-consumer']);
  provider = await h.register('org-p1', ['data-provider']);
  stranger = await h.register('org-x', ['data-consumer']);
  orchestrator = await h.register('org-orch', ['orchestrator']);
  upstream = await h.register('org-up', ['data-provider']);
  const contract = await h.request('POST', '/v1/contracts', { key: h.operatorKey, body: sampleContract() });
  expect(contract.status).toBe(201);
});
afterAll(() => h?.close());

function post(key: string, body: unknown, headers: Record<string, string> = {}) {
  return h.request('POST', '/v1/exchanges', { key, body, headers });
}

describe('POST /v1/exchanges', () => {
  it('accepts the seed\'s input, and a repeat answers the same ids without a second run', async () => {
    const report = seedReport({ dataId: 'data-dup' });
    const first = await post(consumer.apiKey, report);
    expect(first.status).toBe(202);
    const normalised = { ...report, prevDataIds: ['data-0'] } as unknown as ExchangeReport;
    delete (normalised as { prevDataId?: unknown }).prevDataId;
    const exchangeId = exchangeIdFor(normalised);
    expect(first.body).toEqual({
      exchangeId,
      workflowId: exchangeWorkflowId(exchangeId),
      runId: expect.any(String),
      status: 'running',
      statusUrl: `/v1/exchanges/${exchangeId}`,
      temporalUiUrl: expect.stringContaining(exchangeWorkflowId(exchangeId)),
      duplicate: false,
    });

    // The same exchange with prevDataId as a list: the same business key.
    const second = await post(consumer.apiKey, { ...report, prevDataId: ['data-0'] });
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ exchangeId, workflowId: first.body.workflowId, runId: first.body.runId, duplicate: true });

    const starts = h.gateway.starts.filter((s) => s.kind === 'exchange' && s.input.exchangeId === exchangeId);
    expect(starts).toHaveLength(2);
    expect(new Set(starts.map((s) => s.workflowId))).toEqual(new Set([exchangeWorkflowId(exchangeId)]));
    // Both starts carry the first acceptance's input, so Temporal sees one request.
    expect(starts[1]?.input).toEqual(starts[0]?.input);
    expect(starts[0]).toMatchObject({
      input: { exchangeId, report: { dataId: 'data-dup', prevDataIds: ['data-0'] }, prevRootMaxDepth: h.config.prevRootMaxDepth },
      meta: { contractId: 'uc-1', participants: ['org-p1', 'org-c1'] },
    });

    const stored = await h.db.store.getExchange(exchangeId);
    expect(stored).toMatchObject({ status: 'running', stage: 'received', runId: first.body.runId, consumerId: 'org-c1', providerId: 'org-p1' });
  });

  it('keeps one exchange when the same report arrives ten times at once', async () => {
    const replies = await Promise.all(Array.from({ length: 10 }, () => post(consumer.apiKey, seedReport({ dataId: 'data-race' }))));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(replies.map((r) => r.body.exchangeId)).size).toBe(1);
    expect(new Set(replies.map((r) => r.body.runId)).size).toBe(1);
    expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
  });

  it('refuses an Idempotency-Key reused for another body with 409, and replays it for the same body', async () => {
    const key = { 'Idempotency-Key': 'connector-c1/42' };
    const first = await post(consumer.apiKey, seedReport({ dataId: 'data-idem-1' }), key);
    expect(first.status).toBe(202);
    const replay = await post(consumer.apiKey, seedReport({ dataId: 'data-idem-1' }), key);
    expect(replay.body).toMatchObject({ exchangeId: first.body.exchangeId, duplicate: true });
    const reused = await post(consumer.apiKey, seedReport({ dataId: 'data-idem-2' }), key);
    expectProblemShape(reused, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(h.gateway.starts.some((s) => s.kind === 'exchange' && s.input.report.dataId === 'data-idem-2')).toBe(false);
  });

  it('lets a connector report only for its own organisation (403); the operator may report for anyone', async () => {
    const forged = await post(stranger.apiKey, seedReport({ dataId: 'data-forged' }));
    expectProblemShape(forged, 403, 'FORBIDDEN');
    const asProvider = await post(provider.apiKey, seedReport({ dataId: 'data-forged' }));
    expectProblemShape(asProvider, 403, 'FORBIDDEN');
    expect((await post(h.operatorKey, seedReport({ dataId: 'data-by-operator' }))).status).toBe(202);
  });

  it('checks nothing but the shape: an unknown contract is accepted and left to the workflow', async () => {
    const res = await post(consumer.apiKey, seedReport({ dataId: 'data-nocontract', usecaseContractId: 'uc-unknown' }));
    expect(res.status).toBe(202);
  });
});

describe('GET /v1/exchanges/{id}', () => {
  let exchangeId: string;
  beforeAll(async () => {
    exchangeId = (await post(consumer.apiKey, seedReport({ dataId: 'data-view' }))).body.exchangeId;
  });

  it('shows the operator, the provider, the consumer and the orchestrator; a stranger gets 404', async () => {
    for (const key of [h.operatorKey, consumer.apiKey, provider.apiKey, orchestrator.apiKey]) {
      const res = await h.request('GET', `/v1/exchanges/${exchangeId}`, { key });
      expect(res.status).toBe(200);
      expect(res.body.exchangeId).toBe(exchangeId);
    }
    const hidden = await h.request('GET', `/v1/exchanges/${exchangeId}`, { key: stranger.apiKey });
    expectProblemShape(hidden, 404, 'NOT_FOUND');
    const missing = await h.request('GET', '/v1/exchanges/ex-nothing', { key: stranger.apiKey });
    expect(missing.body.detail.replace('ex-nothing', exchangeId)).toBe(hidden.body.detail);
  });

  it('shows a running exchange from the database when the workflow does not answer', async () => {
    const res = await h.request('GET', `/v1/exchanges/${exchangeId}`, { key: consumer.apiKey });
    expect(res.body).toMatchObject({
      kind: 'exchange',
      status: 'running',
      stage: 'received',
      report: { dataId: 'data-view', prevDataIds: ['data-0'] },
      nodes: { consumed: null, output: null },
      distribution: null,
      allocations: [],
      detection: null,
      error: null,
      notifications: [],
      live: false,
    });
  });

  it('lays the live progress of a running workflow over the record', async () => {
    const units = '5000000000000000000';
    const consumed = nodeIdFor('data-view');
    await h.db.store.upsertNode({
      nodeId: consumed,
      dataId: 'data-view',
      kind: 'raw-data',
      ownerId: 'org-p1',
      placeholder: false,
      dvctId: 'connector-c1',
      usecaseContractId: 'uc-1',
      dataProviderId: 'org-p1',
      dataConsumerId: 'org-c1',
      createdByExchangeId: exchangeId,
    });
    const progress: ExchangeProgress = {
      id: exchangeId,
      stage: 'verification-window',
      stages: [],
      nodes: { consumedNodeId: consumed, outputNodeId: nodeIdFor('missing-output') },
      prevRootHops: 0,
      distribution: {
        lines: [{ payerId: 'org-c1', recipientId: 'org-p1', amount: units }],
        parts: [{ payerId: 'org-c1', recipientId: 'org-p1', amount: units, reason: 'data-provider', nodeId: consumed, depth: 0 }],
        totalDue: units,
      },
      allocation: null,
      detection: null,
      error: null,
      incidents: [],
    };
    h.gateway.progressById.set(exchangeWorkflowId(exchangeId), progress);
    try {
      const res = await h.request('GET', `/v1/exchanges/${exchangeId}`, { key: provider.apiKey });
      expect(res.body).toMatchObject({
        live: true,
        stage: 'verification-window',
        distribution: {
          lines: [{ payerId: 'org-c1', recipientId: 'org-p1', amount: '5', amountUnits: units }],
          parts: [{ reason: 'data-provider', nodeId: consumed, depth: 0, amount: '5' }],
          totalDue: '5',
          totalDueUnits: units,
        },
        nodes: { consumed: { nodeId: consumed, dataId: 'data-view', nodeMetadata: { dataProviderId: 'org-p1' } }, output: null },
      });
      expect(res.body.nodes.consumed.prevNode).toEqual([]);
    } finally {
      h.gateway.progressById.delete(exchangeWorkflowId(exchangeId));
    }
  });

  it('shows a finished exchange from the database, allocations included, to every recipient', async () => {
    const report = seedReport({ dataId: 'data-done' });
    const id = (await post(consumer.apiKey, report)).body.exchangeId as string;
    const units = '2500000000000000000';
    await h.db.store.recordDistribution({
      exchangeId: id,
      parts: [
        { payerId: 'org-c1', recipientId: 'org-p1', amount: units, reason: 'data-provider', nodeId: null, depth: 0, contractId: 'dc-1' },
        { payerId: 'org-c1', recipientId: 'org-up', amount: units, reason: 'upstream', nodeId: null, depth: 1, contractId: 'dc-1' },
      ],
      lines: [
        { payerId: 'org-c1', recipientId: 'org-p1', amount: units },
        { payerId: 'org-c1', recipientId: 'org-up', amount: units },
      ],
      allocationTxHash: `0x${'ab'.repeat(32)}`,
      releaseAt: new Date('2030-01-01T00:00:00Z'),
    });
    await h.db.store.updateExchange(id, { status: 'completed', stage: 'completed' });
    // A finished run is not asked: the record is the truth.
    h.gateway.progressById.set(exchangeWorkflowId(id), { stage: 'received' } as ExchangeProgress);

    const res = await h.request('GET', `/v1/exchanges/${id}`, { key: upstream.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', stage: 'completed', live: false });
    expect(res.body.allocations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ recipientId: 'org-up', amount: '2.5', amountUnits: units, status: 'allocated', releaseAt: '2030-01-01T00:00:00.000Z' }),
      ]),
    );
    expect(res.body.allocations).toHaveLength(2);
  });

  it('shows each participant its own notifications and the operator all of them', async () => {
    const id = (await post(consumer.apiKey, seedReport({ dataId: 'data-notified' }))).body.exchangeId as string;
    await h.db.store.createNotifications([
      { id: `${id}/org-p1`, subjectId: id, participantId: 'org-p1', kind: 'exchange-completed', payload: { exchangeId: id }, webhookUrl: null },
      { id: `${id}/org-c1`, subjectId: id, participantId: 'org-c1', kind: 'exchange-completed', payload: { exchangeId: id }, webhookUrl: null },
    ]);
    const forProvider = await h.request('GET', `/v1/exchanges/${id}`, { key: provider.apiKey });
    expect(forProvider.body.notifications.map((n: { participantId: string }) => n.participantId)).toEqual(['org-p1']);
    const forOperator = await h.request('GET', `/v1/exchanges/${id}`, { key: h.operatorKey });
    expect(forOperator.body.notifications.map((n: { participantId: string }) => n.participantId).sort()).toEqual(['org-c1', 'org-p1']);
  });
});
