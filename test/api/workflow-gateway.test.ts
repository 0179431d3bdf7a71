import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectWorkflowGateway, type WorkflowGateway } from '../../api/workflow-gateway';
import { DvctParticipants } from '../../domain/search-attributes';
import { incidentWorkflowId } from '../../lib/ids';
import { finishSignal, inputQuery, raisedQuery } from './gateway/stand-in-workflows';

/**
 * The real gateway against the suite's Temporal server, with stand-in runs on a task queue of its
 * own: how an incident is raised (Signal into an open exchange run, else signal-with-start of the
 * exchange's incident queue) and how
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

/** A stand-in incident run, waiting for a review. */
async function incidentRun() {
  const incidentId = `inc-${unique()}`;
  const input = { incidentId, exchangeId: 'ex-1', source: 'detection' as const, standalone: true };
  const handle = await client.workflow.start('incidentWorkflow', { taskQueue, workflowId: incidentWorkflowId(incidentId), args: [input] });
  return { incidentId, handle };
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

  it('once the exchange\'s run is over, hands every incident to one queue run of the exchange (signal-with-start), and starts it again once it finished', async () => {
    const exchangeRunId = `exchange-gw-${unique()}`;
    const exchange = await client.workflow.start('standInExchangeWorkflow', { taskQueue, workflowId: exchangeRunId });
    await exchange.signal(finishSignal);
    await exchange.result();

    const exchangeId = `ex-${unique()}`;
    const raise = (incidentId: string) =>
      gateway.raiseIncident({ exchangeWorkflowId: exchangeRunId, incidentId, exchangeId, source: 'dispute', meta: { contractId: 'uc-1', participants: ['c', 'p'] } });
    const [a, b] = [`inc-${unique()}`, `inc-${unique()}`];
    expect(await raise(a)).toEqual({ workflowId: incidentWorkflowId(a), runId: null, uiUrl: `http://ui.test/namespaces/default/workflows/${incidentWorkflowId(a)}` });
    await raise(b);

    const queue = client.workflow.getHandle(`incidents-${exchangeId}`);
    expect(await queue.query(inputQuery)).toEqual({ exchangeId });
    expect(await queue.query(raisedQuery)).toEqual([
      { incidentId: a, source: 'dispute' },
      { incidentId: b, source: 'dispute' },
    ]);
    const described = await queue.describe();
    expect(described.type).toBe('exchangeIncidentsWorkflow');
    expect(described.typedSearchAttributes.get(DvctParticipants)).toEqual(['c', 'p']);

    await queue.signal(finishSignal);
    await queue.result();
    const c = `inc-${unique()}`;
    await raise(c);
    const again = client.workflow.getHandle(`incidents-${exchangeId}`);
    expect(await again.query(raisedQuery)).toEqual([{ incidentId: c, source: 'dispute' }]);
    expect((await again.describe()).runId).not.toBe(described.runId);
    await again.signal(finishSignal);
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
