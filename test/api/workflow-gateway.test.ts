import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectWorkflowGateway, type WorkflowGateway } from '../../api/workflow-gateway';
import { DvctReviewStatus } from '../../domain/search-attributes';
import { incidentWorkflowId } from '../../lib/ids';
import { finishSignal, inputQuery, raisedQuery } from './gateway/stand-in-workflows';

/**
 * The real gateway against the suite's Temporal server, with stand-in runs on a task queue of its
 * own: how an incident is raised (Signal into an open exchange run, else a run of its own) and how
 * a review Update's answers and refusals become the API's results and error codes.
 */
let gateway: WorkflowGateway;
let client: Client;
let connection: Connection;
let workerConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `gateway-test-${randomUUID()}`;
const unique = () => randomUUID().slice(0, 8);

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  gateway = await connectWorkflowGateway({ address, namespace, taskQueue, uiUrl: 'http://ui.test' });
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace });
  workerConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: workerConnection,
    namespace,
    taskQueue,
    workflowsPath: new URL('./gateway/stand-in-workflows.ts', import.meta.url).pathname,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await workerConnection?.close();
  await connection?.close();
  await gateway?.close();
});

/** A stand-in incident run of its own (its exchange run never existed), waiting for a review. */
async function incidentRun() {
  const incidentId = `inc-${unique()}`;
  await gateway.raiseIncident({ exchangeWorkflowId: `exchange-none-${unique()}`, incidentId, exchangeId: 'ex-1', source: 'detection', meta: { contractId: 'uc-1', participants: ['p'] } });
  return { incidentId, handle: client.workflow.getHandle(incidentWorkflowId(incidentId)) };
}

describe('raising an incident', () => {
  it('signals the exchange\'s run while it is open; the child run id comes back without a run id', async () => {
    const exchangeRunId = `exchange-gw-${unique()}`;
    const exchange = await client.workflow.start('standInExchangeWorkflow', { taskQueue, workflowId: exchangeRunId });
    const incidentId = `inc-${unique()}`;
    const raised = await gateway.raiseIncident({ exchangeWorkflowId: exchangeRunId, incidentId, exchangeId: 'ex-1', source: 'dispute', meta: { contractId: 'uc-1', participants: ['p'] } });
    expect(raised).toEqual({ workflowId: incidentWorkflowId(incidentId), runId: null, uiUrl: `http://ui.test/namespaces/default/workflows/${incidentWorkflowId(incidentId)}` });
    expect(await exchange.query(raisedQuery)).toEqual([{ incidentId, source: 'dispute' }]);
    await exchange.signal(finishSignal);
  });

  it('starts a run of its own once the exchange\'s run is over, once however often it is raised', async () => {
    const exchangeRunId = `exchange-gw-${unique()}`;
    const exchange = await client.workflow.start('standInExchangeWorkflow', { taskQueue, workflowId: exchangeRunId });
    await exchange.signal(finishSignal);
    await exchange.result();

    const incidentId = `inc-${unique()}`;
    const args = { exchangeWorkflowId: exchangeRunId, incidentId, exchangeId: 'ex-2', source: 'reconciliation' as const, meta: { contractId: 'uc-1', participants: ['p', 'c'] } };
    const first = await gateway.raiseIncident(args);
    expect(first.workflowId).toBe(incidentWorkflowId(incidentId));
    expect(first.runId).toEqual(expect.any(String));
    expect((await gateway.raiseIncident(args)).runId).toBe(first.runId);

    const handle = client.workflow.getHandle(first.workflowId);
    expect(await handle.query(inputQuery)).toEqual({ incidentId, exchangeId: 'ex-2', source: 'reconciliation', standalone: true });
    const described = await handle.describe();
    expect(described.type).toBe('incidentWorkflow');
    expect(described.typedSearchAttributes.get(DvctReviewStatus)).toBe('open');
    await handle.signal(finishSignal);
  });
});

describe('submitting a review', () => {
  it('answers what the run decided; the same decision again is the same Update', async () => {
    const { incidentId, handle } = await incidentRun();
    const input = { decision: 'approve-correction' as const, comment: 'The contract says factor 1', reviewerId: 'org-rev' };
    const decided = await gateway.submitReview(incidentId, input);
    expect(decided).toMatchObject({ decision: 'approve-correction', comment: 'The contract says factor 1', decidedBy: 'org-rev', decidedAt: expect.any(String) });
    expect(await gateway.submitReview(incidentId, input)).toEqual(decided);
    await expect(gateway.submitReview(incidentId, { ...input, comment: 'Later' })).rejects.toMatchObject({ code: 'REVIEW_NOT_AWAITED', message: 'The incident was decided already' });
    await handle.signal(finishSignal);
  });

  it('turns the validator\'s refusals into the API\'s codes', async () => {
    const { incidentId, handle } = await incidentRun();
    await expect(gateway.submitReview(incidentId, { decision: 'adjust', comment: 'no metrics' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'correctedMetrics is required with decision adjust',
    });
    await expect(gateway.submitReview(incidentId, { decision: 'reject', comment: 'refuse' })).rejects.toMatchObject({ code: 'CONFLICT', message: 'refused for another reason' });
    await handle.signal(finishSignal);
  });

  it('answers NOT_FOUND when the incident has no run, or its run is over', async () => {
    await expect(gateway.submitReview(`inc-none-${unique()}`, { decision: 'reject', comment: 'c' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { incidentId, handle } = await incidentRun();
    await handle.signal(finishSignal);
    await handle.result();
    await expect(gateway.submitReview(incidentId, { decision: 'reject', comment: 'c' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
