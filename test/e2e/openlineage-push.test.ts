import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, waitForExchange, type Stack } from '../support/stack';

/** With OPENLINEAGE_URL set, an exchange run ends by pushing its RunEvent to the receiver. */
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
  });
});
