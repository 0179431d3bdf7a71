import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit, registerMember, startStack, waitForExchange, type Member, type Stack } from '../support/stack';
import { contractBody } from '../support/contract-body';

/** A payer short of deposit holds the exchange at allocation — nothing is lost — until it pays in. */
describe('an exchange whose payer has not deposited enough', () => {
  let stack: Stack;
  let p: Member, c: Member;

  beforeAll(async () => {
    stack = await startStack();
    await registerMember(stack, { id: 'fund-o', roles: ['orchestrator'] });
    p = await registerMember(stack, { id: 'fund-p', roles: ['data-provider'] });
    c = await registerMember(stack, { id: 'fund-c', roles: ['data-consumer'], initialPoints: 10 });
    await deposit(stack, c, 1);
    const created = await stack.request('POST', '/v1/contracts', {
      key: stack.operatorKey,
      body: contractBody('uc-funding', 'fund-o', { 'fund-p': ['data-provider'], 'fund-c': ['data-consumer'] }, {
        incentiveForDataProvider: { numPoints: 4, factor: 1, factorCheck: false },
      }),
    });
    expect(created.status).toBe(201);
  });

  afterAll(() => stack?.close());

  it('waits at allocation, retrying, and completes once the deposit arrives', async () => {
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { dvctId: 'conn', usecaseContractId: 'uc-funding', contractId: 'dc', dataId: 'fund-data', dataProviderId: 'fund-p', dataConsumerId: 'fund-c' },
    });
    expect(res.status).toBe(202);
    await waitForExchange(stack, res.body.exchangeId, c.apiKey, (x) => x.stage === 'allocating-points');

    // The run keeps retrying the allocation, and says why, where an operator looks.
    let lastFailure: string | undefined;
    for (let i = 0; i < 50 && !lastFailure; i++) {
      const description = await stack.client.workflow.getHandle(res.body.workflowId).describe();
      const pending = description.raw.pendingActivities?.[0];
      lastFailure = pending?.lastFailure?.applicationFailureInfo?.type ?? undefined;
      if (!lastFailure) await new Promise((r) => setTimeout(r, 200));
    }
    expect(lastFailure).toBe('INSUFFICIENT_DEPOSIT');
    expect((await stack.request('GET', `/v1/exchanges/${res.body.exchangeId}`, { key: c.apiKey })).body.status).toBe('running');
    expect(await stack.ledger.tokenBalanceOf(p.wallet)).toBe(0n);

    await deposit(stack, c, 5);
    const done = await waitForExchange(stack, res.body.exchangeId, c.apiKey, (x) => x.status === 'completed', 60_000);
    expect(done.distribution.totalDueUnits).toBe((4n * 10n ** 18n).toString());
    expect(await stack.ledger.tokenBalanceOf(p.wallet)).toBe(4n * 10n ** 18n);
    expect(await stack.ledger.depositOf(c.wallet)).toBe(2n * 10n ** 18n);
  });
});
