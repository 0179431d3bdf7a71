import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionIncidentId, incidentWorkflowId } from '../../domain/workflow-ids';
import { deposit, registerMember, startStack, waitForExchange, workflowBundle, type Stack } from '../support/stack';

const HISTORIES = fileURLToPath(new URL('./histories', import.meta.url));
// Binary protobuf rather than the SDK's JSON helpers: npm installs two copies of protobufjs 8 under
// @temporalio/common and @temporalio/proto here, and the JSON helpers fail across the two.
const History = temporal.api.history.v1.History;

/**
 * Determinism guard: histories recorded from real runs (committed under ./histories) must replay
 * on today's workflow code. A change that would break open runs fails here, before a worker
 * meets it in production — then it needs `patched()` or a new workflow type.
 * `RECORD_HISTORIES=1 npx vitest run test/workflows/replay.test.ts` records fresh ones (or
 * `RECORD_HISTORIES=incident,…` only those named). exchange.history.pb predates incidents: it stays,
 * proving runs started before them still replay.
 */
describe('workflow histories replay on the current code', () => {
  let stack: Stack;
  const fresh: { name: string; workflowId: string; history: Awaited<ReturnType<ReturnType<Stack['client']['workflow']['getHandle']>['fetchHistory']>> }[] = [];

  beforeAll(async () => {
    stack = await startStack();
    const c = await registerMember(stack, { id: 'replay-c', roles: ['data-consumer', 'ai-provider'], initialPoints: 50 });
    const o = await registerMember(stack, { id: 'replay-o', roles: ['orchestrator'], initialPoints: 50 });
    await registerMember(stack, { id: 'replay-p', roles: ['data-provider'] });
    await deposit(stack, c, 50);
    await deposit(stack, o, 50);
    const contract = {
      id: 'uc-replay',
      title: 'Replay',
      orchestratorId: 'replay-o',
      parties: [
        { participantId: 'replay-o', roles: ['orchestrator'] },
        { participantId: 'replay-p', roles: ['data-provider'] },
        { participantId: 'replay-c', roles: ['data-consumer', 'ai-provider'] },
      ],
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: null,
      incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
      extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
      upstream: { share: 0.1, depth: 2 },
      rewardPool: { numPoints: 9, weights: [{ participantId: 'replay-p', weight: 2 }, { participantId: 'replay-c', weight: 1 }] },
      verificationWindowSeconds: 1,
    };
    expect((await stack.request('POST', '/v1/contracts', { key: stack.operatorKey, body: contract })).status).toBe(201);

    const ex = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: {
        dvctId: 'conn', usecaseContractId: 'uc-replay', contractId: 'dc', dataId: 'replay-data', dataProviderId: 'replay-p',
        dataConsumerId: 'replay-c', dataConsumerIsAIProvider: true, prevDataId: ['replay-root-a', 'replay-root-b'],
      },
    });
    await waitForExchange(stack, ex.body.exchangeId, c.apiKey, (x) => x.status === 'completed');
    const st = await stack.request('POST', '/v1/contracts/uc-replay/settlements', { key: o.apiKey, body: { round: 'r' } });
    await waitForExchange(stack, st.body.settlementId, o.apiKey, (x) => x.status === 'completed');
    // An AI award reported at factor 0.5 instead of 1: detection, an automatic incident, a correction.
    const short = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: {
        dvctId: 'conn', usecaseContractId: 'uc-replay', contractId: 'dc', dataId: 'replay-data-short', dataProviderId: 'replay-p',
        dataConsumerId: 'replay-c', dataConsumerIsAIProvider: true, extraIncentiveForAIProvider: { numPoints: 10, factor: 0.5, factorCheck: false },
      },
    });
    await waitForExchange(stack, short.body.exchangeId, c.apiKey, (x) => x.status === 'completed');

    for (const [name, workflowId] of [
      ['exchange', ex.body.workflowId],
      ['prevroot', `prevroot-${ex.body.exchangeId}`],
      ['settlement', st.body.workflowId],
      ['onboarding', 'participant-replay-c'],
      ['exchange-with-incident', short.body.workflowId],
      ['incident', incidentWorkflowId(detectionIncidentId(short.body.exchangeId))],
    ] as const) {
      const handle = stack.client.workflow.getHandle(workflowId);
      const description: WorkflowExecutionDescription = await handle.describe();
      expect(description.status.name, workflowId).toBe('COMPLETED');
      fresh.push({ name, workflowId, history: await handle.fetchHistory() });
    }
    // RECORD_HISTORIES=1 records all; a comma-separated list records those only (older ones stay, to prove compatibility).
    const record = process.env.RECORD_HISTORIES;
    if (record) {
      mkdirSync(HISTORIES, { recursive: true });
      for (const h of fresh) {
        if (record === '1' || record.split(',').includes(h.name)) writeFileSync(`${HISTORIES}/${h.name}.history.pb`, History.encode(h.history).finish());
      }
    }
  });

  afterAll(() => stack?.close());

  it('replays the histories of runs just made', async () => {
    for (const h of fresh) {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, h.history, h.workflowId);
    }
  });

  it('replays every committed history', async () => {
    const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.history.pb'));
    expect(files.sort()).toEqual([
      'exchange-with-incident.history.pb',
      'exchange.history.pb',
      'incident.history.pb',
      'onboarding.history.pb',
      'prevroot.history.pb',
      'settlement.history.pb',
    ]);
    for (const file of files) {
      const history = History.decode(readFileSync(`${HISTORIES}/${file}`));
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
    }
  });
});
