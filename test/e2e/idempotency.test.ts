import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit, registerMember, startStack, waitForExchange, type Member, type Stack } from '../support/stack';
import { contractBody } from '../support/contract-body';

/** A repeated report is one run and one allocation; a report under a bad contract moves nothing. */
describe('exchange idempotency and rejection', () => {
  let stack: Stack;
  let p: Member, c: Member;

  const contract = (over: Record<string, unknown> = {}) =>
    contractBody('uc-dup', 'dup-o', { 'dup-p': ['data-provider'], 'dup-c': ['data-consumer'] }, {
      incentiveForDataProvider: { numPoints: 7, factor: 0.5, factorCheck: false },
      ...over,
    });

  const report = (over: Record<string, unknown> = {}) => ({
    dvctId: 'connector-c',
    usecaseContractId: 'uc-dup',
    contractId: 'dc-dup',
    dataId: 'p-data-1',
    dataProviderId: 'dup-p',
    dataConsumerId: 'dup-c',
    dataConsumerIsAIProvider: false,
    ...over,
  });

  beforeAll(async () => {
    stack = await startStack();
    await registerMember(stack, { id: 'dup-o', roles: ['orchestrator'] });
    p = await registerMember(stack, { id: 'dup-p', roles: ['data-provider'] });
    c = await registerMember(stack, { id: 'dup-c', roles: ['data-consumer'], initialPoints: 20 });
    await deposit(stack, c, 20);
    expect((await stack.request('POST', '/v1/contracts', { key: stack.operatorKey, body: contract() })).status).toBe(201);
    const expired = contract({ id: 'uc-expired', validFrom: '2025-01-01T00:00:00Z', validUntil: '2025-12-31T00:00:00Z' });
    expect((await stack.request('POST', '/v1/contracts', { key: stack.operatorKey, body: expired })).status).toBe(201);
  });

  afterAll(() => stack?.close());

  it('answers a duplicate POST with the same run and allocates once', async () => {
    const [a, b] = await Promise.all([
      stack.request('POST', '/v1/exchanges', { key: c.apiKey, body: report() }),
      stack.request('POST', '/v1/exchanges', { key: c.apiKey, body: report() }),
    ]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.exchangeId).toBe(a.body.exchangeId);
    expect(b.body.runId).toBe(a.body.runId);

    const done = await waitForExchange(stack, a.body.exchangeId, c.apiKey, (x) => x.status === 'completed');
    // 7 × 0.5 = 3.5 points, exact in base units.
    expect(done.distribution.totalDue).toBe('3.5');
    expect(done.distribution.totalDueUnits).toBe('3500000000000000000');

    // A third submission after completion still lands on the same, finished run.
    const again = await stack.request('POST', '/v1/exchanges', { key: c.apiKey, body: report() });
    expect(again.body).toMatchObject({ exchangeId: a.body.exchangeId, runId: a.body.runId, duplicate: true });

    const runs = [];
    for await (const r of stack.client.workflow.list({ query: `WorkflowId = "${a.body.workflowId}"` })) runs.push(r);
    expect(runs).toHaveLength(1);
    expect(await stack.db.store.getAllocations(a.body.exchangeId)).toHaveLength(1);
    expect(await stack.ledger.tokenBalanceOf(p.wallet)).toBe(3_500_000_000_000_000_000n);
    expect(await stack.ledger.depositOf(c.wallet)).toBe(16_500_000_000_000_000_000n);
  });

  it('refuses an Idempotency-Key reused for another report', async () => {
    const key = { 'idempotency-key': 'order-42' };
    const first = await stack.request('POST', '/v1/exchanges', { key: c.apiKey, body: report({ dataId: 'p-data-2' }), headers: key });
    expect(first.status).toBe(202);
    const other = await stack.request('POST', '/v1/exchanges', { key: c.apiKey, body: report({ dataId: 'p-data-3' }), headers: key });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await waitForExchange(stack, first.body.exchangeId, c.apiKey, (x) => x.status === 'completed');
  });

  it.each([
    ['an unknown contract', { usecaseContractId: 'uc-nowhere' }, 'CONTRACT_NOT_FOUND'],
    ['an expired contract', { usecaseContractId: 'uc-expired', dataId: 'p-data-x' }, 'CONTRACT_NOT_IN_FORCE'],
    ['terms the contract does not hold', { dataId: 'p-data-y', incentiveForDataProvider: { numPoints: 70, factor: 1, factorCheck: false } }, 'INCENTIVE_TERMS_MISMATCH'],
  ])('rejects %s and allocates nothing', async (_name, over, code) => {
    const before = await stack.ledger.depositOf(c.wallet);
    const res = await stack.request('POST', '/v1/exchanges', { key: c.apiKey, body: report(over) });
    expect(res.status).toBe(202);
    const rejected = await waitForExchange(stack, res.body.exchangeId, c.apiKey, (x) => x.status === 'rejected');
    expect(rejected.error.code).toBe(code);
    expect(rejected.allocations).toEqual([]);
    expect(await stack.ledger.depositOf(c.wallet)).toBe(before);

    // The run itself failed with the named, non-retryable error.
    const err = await stack.client.workflow.getHandle(res.body.workflowId).result().catch((e) => e);
    expect(err.cause?.type).toBe(code);
    expect(err.cause?.nonRetryable).toBe(true);
  });
});
