import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_NOTIFICATION } from '../../activities/notifications';
import { deposit, registerMember, startStack, units, waitForExchange, type Member, type Stack } from '../support/stack';
import { contractBody } from '../support/contract-body';

/**
 * Token revocation on the real components: during the verification window the orchestrator takes
 * back the provider's points (it broke the contract's terms); the payer gets them back in its
 * deposit, the provider nothing at release, the AI provider its points, and everyone is told why.
 */
describe('revocation of an unreleased allocation, end to end', () => {
  let stack: Stack;
  let o: Member, p: Member, c: Member, x: Member;
  let receiver: Server;
  const webhookEvents: { event: string; body: { kind: string; data: Record<string, unknown> } }[] = [];
  const REASON = 'Data re-shared outside the use case (clause 4.2)';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        webhookEvents.push({ event: String(req.headers['x-dvct-event']), body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));

    stack = await startStack();
    o = await registerMember(stack, { id: 'rev-o', roles: ['orchestrator'], initialPoints: 100 });
    p = await registerMember(stack, { id: 'rev-p', roles: ['data-provider'], webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
    c = await registerMember(stack, { id: 'rev-c', roles: ['data-consumer', 'ai-provider'], initialPoints: 100 });
    x = await registerMember(stack, { id: 'rev-x', roles: ['data-consumer'] });
    await deposit(stack, o, 50);
    await deposit(stack, c, 50);
    const contract = contractBody('uc-rev', 'rev-o', { 'rev-p': ['data-provider'], 'rev-c': ['data-consumer', 'ai-provider'] }, {
      extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
      // Long enough to revoke in, even on a busy machine.
      verificationWindowSeconds: 15,
    });
    expect((await stack.request('POST', '/v1/contracts', { key: o.apiKey, body: contract })).status).toBe(201);
  });

  afterAll(async () => {
    await stack?.close();
    receiver?.close();
  });

  let exchangeId: string;

  it('revokes during the window: points back to the payer, nothing to the recipient, the rest released, everyone told', async () => {
    const reported = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { dvctId: 'connector-rev', usecaseContractId: 'uc-rev', contractId: 'dc-rev', dataId: 'rev-data', dataProviderId: 'rev-p', dataConsumerId: 'rev-c', dataConsumerIsAIProvider: true },
    });
    expect(reported.status).toBe(202);
    exchangeId = reported.body.exchangeId;
    const held = await waitForExchange(stack, exchangeId, o.apiKey, (b) => b.stage === 'verification-window' && b.allocations.length === 2);
    expect(held.allocations.map((a: any) => [a.payerId, a.recipientId, a.amountUnits, a.status])).toEqual([
      ['rev-c', 'rev-p', units(5), 'allocated'],
      ['rev-o', 'rev-c', units(10), 'allocated'],
    ]);

    const body = { recipientId: 'rev-p', payerId: 'rev-c', reason: REASON };
    const res = await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: o.apiKey, body });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ revocationId: `${exchangeId}-rev-c-rev-p`, workflowId: `revocation-${exchangeId}-rev-c-rev-p`, statusUrl: `/v1/exchanges/${exchangeId}` });
    const result = await stack.client.workflow.getHandle(res.body.workflowId).result();
    expect(result).toMatchObject({ revoked: [{ payerId: 'rev-c', txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), amount: units(5) }], notified: 3 });

    // A repeated request is the same revocation: same run, one Revoked event on chain.
    const again = await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: stack.operatorKey, body: { ...body, reason: 'again' } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ workflowId: res.body.workflowId, runId: res.body.runId });
    const revokedEvents = (await stack.ledger.getExchangeEvents(exchangeId)).filter((e) => e.kind === 'Revoked');
    expect(revokedEvents).toHaveLength(1);
    expect(revokedEvents[0]).toMatchObject({ payer: c.wallet, recipient: p.wallet, amount: BigInt(units(5)), reason: REASON });
    expect(await stack.ledger.depositOf(c.wallet)).toBe(BigInt(units(50)));

    // The window ends: the exchange completes, releasing only what is still allocated.
    const done = await waitForExchange(stack, exchangeId, o.apiKey, (b) => b.status !== 'running', 60_000);
    expect(done.status).toBe('completed');
    expect(done.allocations).toMatchObject([
      { payerId: 'rev-c', recipientId: 'rev-p', status: 'revoked', revokeTxHash: result.revoked[0].txHash, revokeReason: REASON, releaseTxHash: null },
      { payerId: 'rev-o', recipientId: 'rev-c', status: 'released', releaseTxHash: expect.stringMatching(/^0x/) },
    ]);
    expect(await stack.ledger.tokenBalanceOf(p.wallet)).toBe(0n);
    expect(await stack.ledger.tokenBalanceOf(c.wallet)).toBe(BigInt(units(100 - 50 + 10)));
    expect(await stack.ledger.depositOf(c.wallet)).toBe(BigInt(units(50)));
    expect(await stack.ledger.depositOf(o.wallet)).toBe(BigInt(units(40)));
    // Ledger invariant: it holds exactly the payers' deposits plus what is allocated and not released.
    const unreleased = (await stack.db.store.getAllocations(exchangeId)).filter((a) => a.status === 'allocated').reduce((s, a) => s + BigInt(a.amount), 0n);
    expect(await stack.ledger.ledgerTokenBalance()).toBe((await stack.ledger.depositOf(c.wallet)) + (await stack.ledger.depositOf(o.wallet)) + unreleased);

    // Everyone concerned — provider, consumer (the payer), orchestrator — is told, with the reason.
    const told = await stack.db.store.listNotifications({ subjectId: res.body.revocationId });
    expect(told.map((n) => n.participantId).sort()).toEqual(['rev-c', 'rev-o', 'rev-p']);
    for (const n of told) {
      expect(n.kind).toBe(REVOCATION_NOTIFICATION);
      expect(n.payload).toMatchObject({ exchangeId, recipientId: 'rev-p', reason: REASON, revoked: [{ payerId: 'rev-c', recipientId: 'rev-p', amount: units(5) }] });
    }
    expect(told.find((n) => n.participantId === 'rev-p')).toMatchObject({ deliveryStatus: 'delivered', attempts: 1 });
    const hook = webhookEvents.find((e) => e.event === REVOCATION_NOTIFICATION);
    expect(hook?.body).toMatchObject({ kind: REVOCATION_NOTIFICATION, data: { reason: REASON, recipientId: 'rev-p', role: 'data-provider' } });
  });

  it('shows the revocation in the recipient\'s feed, newest first, and only to it and the operator', async () => {
    const feed = await stack.request('GET', '/v1/participants/rev-p/notifications', { key: p.apiKey });
    expect(feed.status).toBe(200);
    expect(feed.body.notifications.map((n: any) => [n.kind, n.subjectId])).toEqual([
      [REVOCATION_NOTIFICATION, `${exchangeId}-rev-c-rev-p`],
      ['distribution-allocated', exchangeId],
    ]);
    expect(feed.body.notifications[0]).toMatchObject({ payload: { reason: REASON }, deliveryStatus: 'delivered' });
    expect((await stack.request('GET', '/v1/participants/rev-p/notifications', { key: x.apiKey })).status).toBe(404); // another organisation's feed is outside its scope
  });

  it('refuses a released allocation with 409 ALLOCATION_RELEASED, and strangers and other parties', async () => {
    const released = await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: o.apiKey, body: { recipientId: 'rev-c', reason: 'too late' } });
    expect(released.status).toBe(409);
    expect(released.body.code).toBe('ALLOCATION_RELEASED');
    const body = { recipientId: 'rev-c', reason: 'not mine to revoke' };
    expect((await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: x.apiKey, body })).status).toBe(404);
    expect((await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: p.apiKey, body })).status).toBe(403);
  });

  it('fails the run with ALLOCATION_RELEASED when the line was released after the API looked; the record stays released', async () => {
    // As if the API had checked just before the release: the run meets a line the chain already paid out.
    const run = await stack.gateway.startRevocation(
      { revocationId: `${exchangeId}-race`, exchangeId, recipientId: 'rev-c', payerIds: ['rev-o'], reason: 'raced', requestedBy: 'operator', requestedAt: new Date().toISOString() },
      { contractId: 'uc-rev' },
    );
    const err = await stack.client.workflow.getHandle(run.workflowId).result().catch((e: unknown) => e);
    expect((err as { cause?: { type?: string; nonRetryable?: boolean } }).cause).toMatchObject({ type: 'ALLOCATION_RELEASED', nonRetryable: true });
    const [, line] = await stack.db.store.getAllocations(exchangeId);
    expect(line).toMatchObject({ recipientId: 'rev-c', status: 'released', revokeTxHash: null, revokeReason: null });
    expect(await stack.db.store.listNotifications({ subjectId: `${exchangeId}-race` })).toEqual([]);
  });
});
