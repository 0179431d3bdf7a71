import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectionIncidentId, exchangeWorkflowId, incidentWorkflowId } from '../../domain/workflow-ids';
import { exchangeIdFor } from '../../lib/ids';
import { ensureReconciliationSchedule } from '../../worker/reconciliation-schedule';
import { expectBooksBalance, expectLedgerInvariant, expectWalletGains, walletBalances } from '../support/books';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, units, waitForExchange, type Member, type Stack } from '../support/stack';

/**
 * The other ways an incident opens, and the compensation under cancellation, on the real
 * components: a participant's dispute that turns out unfounded, the reconciliation Schedule
 * finding a revoke sent straight to the contract, and a run cancelled in the middle of a rollback.
 */
describe('incidents: disputes, reconciliation and cancellation', () => {
  let stack: Stack;
  let o: Member, p: Member, c: Member;
  let scheduleId: string | undefined;
  const slowRollbacks = new Map<string, { started: () => void; gate: Promise<void> }>();

  beforeAll(async () => {
    stack = await startStack({
      wrapActivities: (real) => ({
        ...real,
        async rollbackIncident(args) {
          const slow = slowRollbacks.get(args.incidentId);
          if (slow) {
            slow.started();
            await slow.gate;
          }
          return real.rollbackIncident(args);
        },
      }),
    });
    o = await registerMember(stack, { id: 'src-o', roles: ['orchestrator'], initialPoints: 200 });
    p = await registerMember(stack, { id: 'src-p', roles: ['data-provider'] });
    c = await registerMember(stack, { id: 'src-c', roles: ['data-consumer', 'ai-provider'], initialPoints: 200 });
    await deposit(stack, o, 100);
    await deposit(stack, c, 150);
    const parties = { 'src-p': ['data-provider'], 'src-c': ['data-consumer', 'ai-provider'] };
    const contracts = [
      contractBody('uc-src', 'src-o', parties, { verificationWindowSeconds: 2 }),
      contractBody('uc-src-long', 'src-o', parties, { verificationWindowSeconds: 12 }),
      // 50 points at factor 0.5 are due; a connector reporting factor 1 over-allocates 25.
      contractBody('uc-src-over', 'src-o', parties, {
        incentiveForDataProvider: { numPoints: 50, factor: 0.5, factorCheck: false },
        extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
        verificationWindowSeconds: 30,
      }),
      contractBody('uc-src-queue', 'src-o', parties, { verificationWindowSeconds: 6 }),
    ];
    for (const body of contracts) expect((await stack.request('POST', '/v1/contracts', { key: o.apiKey, body })).status).toBe(201);
  });

  afterAll(async () => {
    if (scheduleId) await stack.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await stack?.close();
  });

  let seq = 0;
  const reported: string[] = [];
  // After every path: the ledger holds exactly the deposits and what is still held.
  afterEach(() => expectLedgerInvariant(stack, [o.wallet, c.wallet], reported));

  async function report(contractId: string, extra: Record<string, unknown> = {}): Promise<string> {
    seq += 1;
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { dvctId: 'connector-src-c', usecaseContractId: contractId, contractId: `dc-${seq}`, dataId: `src-data-${seq}`, dataProviderId: 'src-p', dataConsumerId: 'src-c', ...extra },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    reported.push(res.body.exchangeId);
    return res.body.exchangeId;
  }

  async function dispute(exchangeId: string, reason: string): Promise<string> {
    const res = await stack.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key: p.apiKey, body: { expectedPoints: 5, reason } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.incidentId;
  }

  async function incidentReaches(incidentId: string, status: string, timeoutMs = 45_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const incident = await stack.db.store.getIncident(incidentId);
      if (incident?.status === status) return incident;
      if (Date.now() > deadline) throw new Error(`incident ${incidentId} is ${incident?.status ?? 'missing'}, not ${status}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  it('a dispute that turns out unfounded: no change, and the participant is told why', async () => {
    const exchangeId = await report('uc-src');
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed');

    const body = { expectedPoints: 8, reason: 'We were promised 8 points per dataset' };
    // Disputes come from the exchange's parties, not from the operator.
    expect((await stack.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key: stack.operatorKey, body })).status).toBe(403);
    const disputed = await stack.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key: p.apiKey, body });
    expect(disputed.status, JSON.stringify(disputed.body)).toBe(202);
    const again = await stack.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key: p.apiKey, body });
    expect(again.body.incidentId).toBe(disputed.body.incidentId);

    // The exchange's run may still be closing (it handles the incident as its child) or be over
    // (the incident runs on its own): either way the incident ends dismissed.
    let incident = await stack.db.store.getIncident(disputed.body.incidentId);
    for (let i = 0; i < 200 && incident?.status !== 'dismissed'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      incident = await stack.db.store.getIncident(disputed.body.incidentId);
    }
    expect(incident).toMatchObject({
      status: 'dismissed',
      source: 'dispute',
      rule: 'participant-dispute',
      findings: [],
      dispute: { participantId: 'src-p', expectedPoints: '8' },
      decision: { decision: 'reject', decidedBy: 'automatic' },
    });
    await stack.client.workflow.getHandle(incidentWorkflowId(disputed.body.incidentId)).result();
    expect(incident!.cause).toContain('the contract makes 5 points due to it');

    const feed = await stack.request('GET', '/v1/participants/src-p/notifications', { key: p.apiKey });
    const told = feed.body.notifications.find((n: any) => n.kind === 'incident-dismissed');
    expect(told.payload.cause).toContain('the contract makes 5 points due to it');
    await expectBooksBalance(stack, exchangeId, { 'src-c>src-p': 5 });
  });

  it('the reconciliation Schedule finds a revoke sent straight to the contract and opens an incident; a reviewer restores the line', async () => {
    const exchangeId = await report('uc-src-long');
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.stage === 'verification-window');
    // Someone holding the operator key revokes the provider's line behind the DVCT's back.
    await stack.ledger.revoke(exchangeId, c.wallet, p.wallet, 'sent straight to the contract');

    scheduleId = await ensureReconciliationSchedule(stack.client, { taskQueue: stack.taskQueue, intervalSeconds: 0, lookbackSeconds: 3600, settleSeconds: 0 });
    await stack.client.schedule.getHandle(scheduleId).trigger();

    let incidentId: string | undefined;
    for (let i = 0; i < 150 && !incidentId; i++) {
      const [found] = (await stack.db.store.listIncidents({ exchangeId }, { limit: 10 })).filter((x) => x.source === 'reconciliation' && x.status === 'awaiting-review');
      incidentId = found?.id;
      if (!incidentId) await new Promise((res) => setTimeout(res, 200));
    }
    expect(incidentId, 'an incident awaiting review').toBeDefined();
    expect(await stack.db.store.getIncident(incidentId!)).toMatchObject({ rule: 'chain-matches-allocation', findings: [{ payerId: 'src-c', recipientId: 'src-p', held: '0', due: units(5) }] });

    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, {
      key: stack.operatorKey,
      body: { decision: 'approve-correction', comment: 'Nobody was entitled to revoke this line' },
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    const allocations = await stack.db.store.getAllocations(exchangeId);
    expect(allocations.map((a) => [a.round, a.amount, a.status])).toEqual([
      ['initial', units(5), 'revoked'],
      [incidentId, units(5), 'released'],
    ]);
    await expectBooksBalance(stack, exchangeId, { 'src-c>src-p': 5 });
  });

  it('a run cancelled in the middle of a rollback still completes its compensation', async () => {
    const depositBefore = await stack.ledger.depositOf(c.wallet);
    const orchestratorBefore = await stack.ledger.depositOf(o.wallet);
    let started!: () => void;
    let open!: () => void;
    const rollbackStarted = new Promise<void>((res) => (started = res));
    const gate = new Promise<void>((res) => (open = res));

    // The exchange id is the business key's: known before the run starts, so its rollback can be held.
    const fields = { dvctId: 'connector-src-c', usecaseContractId: 'uc-src-over', contractId: 'dc-over', dataId: 'src-data-over', dataProviderId: 'src-p', dataConsumerId: 'src-c' };
    const exchangeId = exchangeIdFor({ ...fields, dataConsumerIsAIProvider: true, prevDataIds: [] });
    slowRollbacks.set(detectionIncidentId(exchangeId), { started, gate });
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { ...fields, dataConsumerIsAIProvider: true, incentiveForDataProvider: { numPoints: 50, factor: 1, factorCheck: false } },
    });
    expect(res.body.exchangeId).toBe(exchangeId);
    reported.push(exchangeId);

    await rollbackStarted;
    const handle = stack.client.workflow.getHandle(exchangeWorkflowId(exchangeId));
    await handle.cancel();
    open();
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);

    const incidentId = detectionIncidentId(exchangeId);
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'cancelled' });
    const rollback = (await stack.db.store.listIncidentEvents(incidentId)).find((e) => e.step === 'rollback');
    expect(rollback?.txHashes).toHaveLength(1);
    const exchange = await stack.db.store.getExchange(exchangeId);
    expect(exchange).toMatchObject({ status: 'cancelled', stage: 'cancelled' });
    // Both lines went back: the over-allocation by the rollback, the AI award by the run's compensation.
    const allocations = await stack.db.store.getAllocations(exchangeId);
    expect(allocations.map((a) => [a.payerId, a.recipientId, a.status])).toEqual([
      ['src-c', 'src-p', 'revoked'],
      ['src-o', 'src-c', 'revoked'],
    ]);
    await expectBooksBalance(stack, exchangeId, {});
    expect(await stack.ledger.depositOf(c.wallet)).toBe(depositBefore);
    expect(await stack.ledger.depositOf(o.wallet)).toBe(orchestratorBefore);
  });

  it('a line the orchestrator revoked on purpose is due nothing more: a dispute about it goes to a reviewer, and approving pays nothing back', async () => {
    const wallets = await walletBalances(stack, [p]);
    const exchangeId = await report('uc-src-queue');
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.stage === 'verification-window');
    const revoked = await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: o.apiKey, body: { recipientId: 'src-p', reason: 'Output shared outside the use case' } });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(202);
    await stack.client.workflow.getHandle(revoked.body.workflowId).result();

    const incidentId = await dispute(exchangeId, 'We delivered the data');
    const incident = await incidentReaches(incidentId, 'awaiting-review');
    expect(incident.findings).toEqual([]);
    expect(incident.cause).toContain('revoked on purpose (revocation: Output shared outside the use case)');
    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: stack.operatorKey, body: { decision: 'approve-correction', comment: 'The revocation stands' } });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect((await stack.db.store.getAllocations(exchangeId)).map((a) => [a.round, a.status, a.revokeCause])).toEqual([['initial', 'revoked', 'revocation']]);
    await expectBooksBalance(stack, exchangeId, {});
    await expectWalletGains(stack, [p], wallets, {});
  });
});
