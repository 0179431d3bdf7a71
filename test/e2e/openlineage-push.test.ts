import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEventProblems } from '../openlineage/validator';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, waitForExchange, type Stack } from '../support/stack';

/**
 * With OPENLINEAGE_URL set, an exchange run ends by pushing its RunEvent to the receiver. The event
 * pushed, and the one GET /v1/exchanges/{id}/openlineage serves, are the real ones of a run through
 * the worker, Temporal and the chain: both are validated against the RunEvent schema kept in the
 * repository and the served facet schemas.
 */
describe('OpenLineage push from the exchange run', () => {
  let stack: Stack;
  let receiver: Server;
  const received: any[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    stack = await startStack({ openLineageUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/lineage` });
  });

  afterAll(async () => {
    await stack?.close();
    receiver?.close();
  });

  it('pushes a COMPLETE RunEvent whose job is the use-case contract', async () => {
    const o = await registerMember(stack, { id: 'olp-o', roles: ['orchestrator'] });
    const p = await registerMember(stack, { id: 'olp-p', roles: ['data-provider'] });
    const c = await registerMember(stack, { id: 'olp-c', roles: ['data-consumer'], initialPoints: 20 });
    await deposit(stack, c, 10);
    expect((await stack.request('POST', '/v1/contracts', { key: o.apiKey, body: contractBody('uc-olp', 'olp-o', { 'olp-p': ['data-provider'], 'olp-c': ['data-consumer'] }) })).status).toBe(201);
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { dvctId: 'connector-olp', usecaseContractId: 'uc-olp', contractId: 'dc-olp', dataId: 'olp-data', dataProviderId: p.id, dataConsumerId: c.id },
    });
    await waitForExchange(stack, res.body.exchangeId, c.apiKey, (x) => x.status === 'completed');
    await stack.client.workflow.getHandle(res.body.workflowId).result();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ eventType: 'COMPLETE', job: { name: expect.stringContaining('uc-olp') } });
    expect(runEventProblems(received[0], stack.config.api.publicUrl)).toEqual([]);

    const served = await stack.request('GET', `/v1/exchanges/${res.body.exchangeId}/openlineage`, { key: p.apiKey });
    expect(served.status).toBe(200);
    expect(runEventProblems(served.body, stack.config.api.publicUrl)).toEqual([]);
    // The same run, described the same way: served and pushed differ at most in when they were made.
    const { eventTime: _pushedAt, ...pushed } = received[0];
    const { eventTime: _servedAt, ...answered } = served.body;
    expect(answered).toEqual(pushed);
    expect(served.body.inputs.map((d: { name: string }) => d.name)).toEqual([expect.stringContaining('olp-data')]);
  });

  it('(control) the validation refuses an event that breaks the schema or a facet', () => {
    const event = received[0];
    expect(runEventProblems({ ...event, run: { facets: event.run.facets } }, stack.config.api.publicUrl)).not.toEqual([]);
    const { status: _dropped, ...facet } = event.run.facets.dvct_exchange;
    expect(runEventProblems({ ...event, run: { ...event.run, facets: { dvct_exchange: facet } } }, stack.config.api.publicUrl)).not.toEqual([]);
  });
});
