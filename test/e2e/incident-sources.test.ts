import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectionIncidentId, exchangeIncidentsWorkflowId, exchangeWorkflowId, incidentWorkflowId } from '../../domain/workflow-ids';
import { exchangeIdFor } from '../../lib/ids';
import { ensureReconciliationSchedule } from '../../worker/reconciliation-schedule';
import { expectBooksBalance, expectLedgerInvariant, expectWalletGains, walletBalances } from '../support/books';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, units, waitForExchange, waitForIncident, type Member, type Stack } from '../support/stack';

const EventType = temporal.api.enums.v1.EventType;

/**
 * The other ways an incident opens, and the compensations under cancellation, on the real
 * components: a participant's dispute that turns out unfounded, the reconciliation Schedule
 * finding a revoke sent straight to the contract, a dispute about a line revoked on purpose,
 * disputes after the release taken one at a time, and runs cancelled in the middle of a rollback,
 * of a re-distribution and of a correction's verification window.
 */
describe('incidents: disputes, reconciliation and cancellation', () => {
  let stack: Stack;
  let o: Member, p: Member, c: Member;
  let scheduleId: string | undefined;
  const slowRollbacks = new Map<string, { started: () => void; gate: Promise<void> }>();
  const slowRedistributions = new Map<string, { started: () => void; gate: Promise<void> }>();

  beforeAll(async () => {
    stack = await startStack({
      // Heartbeats reach the server within 0.2 s, so a cancelled activity hears of it at once.
      maxHeartbeatThrottleMs: 200,
      wrapActivities: (real) => ({
        ...real,
        // A rollback that takes its time, heartbeating like the real one and giving up when cancelled:
        // only CancellationScope.nonCancellable keeps a cancelled run from cancelling it.
        async rollbackIncident(args) {
          const slow = slowRollbacks.get(args.incidentId);
          if (slow) {
            slow.started();
            const ctx = Context.current();
            const beat = setInterval(() => ctx.heartbeat(), 100);
            try {
              await Promise.race([slow.gate, ctx.cancelled]);
            } finally {
              clearInterval(beat);
            }
          }
          return real.rollbackIncident(args);
        },
        // A re-distribution whose transaction is already on its way: it cannot be called back.
        async redistributeIncident(args) {
          const slow = slowRedistributions.get(args.incidentId);
          if (slow) {
            slow.started();
            await slow.gate;
          }
          return real.redistributeIncident(args);
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
      // The design document's example: the AI award is 50 points at factor 1.
      contractBody('uc-src-short', 'src-o', parties, { extraIncentiveForAIProvider: { numPoints: 50, factor: 1, factorCheck: false }, verificationWindowSeconds: 5 }),
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

  const incidentReaches = (incidentId: string, status: string, timeoutMs?: number) => waitForIncident(stack, incidentId, status, timeoutMs);

  /** An exchange on uc-src-queue whose provider line was revoked on chain behind the DVCT's back, then released: 5 points short after its run. */
  async function releasedShort(): Promise<string> {
    const exchangeId = await report('uc-src-queue');
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.stage === 'verification-window');
    await stack.ledger.revoke(exchangeId, c.wallet, p.wallet, 'sent straight to the contract');
    // Its run over, not only its record completed: incidents now go to the exchange's queue.
    await stack.client.workflow.getHandle(exchangeWorkflowId(exchangeId)).result();
    return exchangeId;
  }

  /** The events of a run's history, in order, with their type names. */
  async function historyOf(workflowId: string) {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).map((e) => ({ id: Number(e.eventId), type: EventType[e.eventType!] as string, event: e }));
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

  it('a run cancelled in the middle of a rollback still completes it: the rollback activity finishes after the cancel request, and the books balance', async () => {
    const depositBefore = await stack.ledger.depositOf(c.wallet);
    const orchestratorBefore = await stack.ledger.depositOf(o.wallet);
    let started!: () => void;
    let open!: () => void;
    const rollbackStarted = new Promise<void>((res) => (started = res));
    const gate = new Promise<void>((res) => (open = res));

    // The exchange id is the business key's: known before the run starts, so its rollback can be held.
    const fields = { dvctId: 'connector-src-c', usecaseContractId: 'uc-src-over', contractId: 'dc-over', dataId: 'src-data-over', dataProviderId: 'src-p', dataConsumerId: 'src-c' };
    const exchangeId = exchangeIdFor({ ...fields, dataConsumerIsAIProvider: true, prevDataIds: [] });
    const incidentId = detectionIncidentId(exchangeId);
    slowRollbacks.set(incidentId, { started, gate });
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { ...fields, dataConsumerIsAIProvider: true, incentiveForDataProvider: { numPoints: 50, factor: 1, factorCheck: false } },
    });
    expect(res.body.exchangeId).toBe(exchangeId);
    reported.push(exchangeId);

    await rollbackStarted;
    const handle = stack.client.workflow.getHandle(exchangeWorkflowId(exchangeId));
    await handle.cancel();
    // The cancellation reaches the incident run; the held rollback, heartbeating, would hear of it
    // within a heartbeat if its run let it be cancelled. Give it ample time to, then let it go on.
    const incidentRun = incidentWorkflowId(incidentId);
    for (let i = 0; i < 100 && !(await historyOf(incidentRun)).some((e) => e.type === 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    open();
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);

    // From the incident run's history: the rollback was never asked to stop, and completed after the cancel request.
    const events = await historyOf(incidentRun);
    const cancelRequested = events.find((e) => e.type === 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED')!;
    const scheduled = events.find((e) => e.type === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' && e.event.activityTaskScheduledEventAttributes?.activityType?.name === 'rollbackIncident')!;
    const closed = events.filter((e) => Number(e.event.activityTaskCompletedEventAttributes?.scheduledEventId ?? e.event.activityTaskCanceledEventAttributes?.scheduledEventId ?? 0) === scheduled.id);
    expect(closed.map((e) => e.type)).toEqual(['EVENT_TYPE_ACTIVITY_TASK_COMPLETED']);
    expect(closed[0]!.id).toBeGreaterThan(cancelRequested.id);
    expect(events.some((e) => Number(e.event.activityTaskCancelRequestedEventAttributes?.scheduledEventId ?? 0) === scheduled.id)).toBe(false);

    // The record says what happened, and only that.
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'cancelled' });
    const timeline = await stack.db.store.listIncidentEvents(incidentId);
    expect(timeline.find((e) => e.step === 'rollback')?.txHashes).toHaveLength(1);
    expect(timeline.at(-1)).toMatchObject({ step: 'cancellation', summary: expect.stringContaining('before any correction was made; its rollback had revoked 1 line(s)') });
    const exchange = await stack.db.store.getExchange(exchangeId);
    expect(exchange).toMatchObject({ status: 'cancelled', stage: 'cancelled' });
    // Both lines went back: the over-allocation by the rollback, the AI award by the run's compensation.
    const allocations = await stack.db.store.getAllocations(exchangeId);
    expect(allocations.map((a) => [a.payerId, a.recipientId, a.status, a.revokeCause])).toEqual([
      ['src-c', 'src-p', 'revoked', 'correction'],
      ['src-o', 'src-c', 'revoked', 'cancellation'],
    ]);
    await expectBooksBalance(stack, exchangeId, {});
    expect(await stack.ledger.depositOf(c.wallet)).toBe(depositBefore);
    expect(await stack.ledger.depositOf(o.wallet)).toBe(orchestratorBefore);
  });

  it('an exchange cancelled while its incident re-distributes: the allocation in flight lands before the compensations read the chain, and is revoked with the rest', async () => {
    let started!: () => void;
    let open!: () => void;
    const redistributing = new Promise<void>((res) => (started = res));
    const gate = new Promise<void>((res) => (open = res));
    const fields = { dvctId: 'connector-src-c', usecaseContractId: 'uc-src-short', contractId: 'dc-short', dataId: 'src-data-short', dataProviderId: 'src-p', dataConsumerId: 'src-c' };
    const exchangeId = exchangeIdFor({ ...fields, dataConsumerIsAIProvider: true, prevDataIds: [] });
    const incidentId = detectionIncidentId(exchangeId);
    slowRedistributions.set(incidentId, { started, gate });
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { ...fields, dataConsumerIsAIProvider: true, extraIncentiveForAIProvider: { numPoints: 50, factor: 0.8, factorCheck: false } },
    });
    expect(res.body.exchangeId).toBe(exchangeId);
    reported.push(exchangeId);

    await redistributing;
    const handle = stack.client.workflow.getHandle(exchangeWorkflowId(exchangeId));
    await handle.cancel();
    // Had the incident let go of its re-distribution, the exchange would close in moments; it must wait for it.
    const closedEarly = await Promise.race([handle.result().then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000))]);
    open();
    expect(await handle.result().catch((e: unknown) => e)).toBeInstanceOf(WorkflowFailedError);
    expect(closedEarly).toBe(false);

    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'cancelled' });
    const timeline = await stack.db.store.listIncidentEvents(incidentId);
    expect(timeline.find((e) => e.step === 'redistribution')?.txHashes).toHaveLength(1);
    expect(timeline.at(-1)).toMatchObject({ step: 'cancellation', summary: expect.stringContaining('revoked back to the payers: src-o → src-c 10 points') });
    expect(timeline.at(-1)!.txHashes).toHaveLength(1);
    const allocations = await stack.db.store.getAllocations(exchangeId);
    expect(allocations.map((a) => [a.round, a.payerId, a.recipientId, a.status, a.revokeCause])).toEqual([
      ['initial', 'src-c', 'src-p', 'revoked', 'cancellation'],
      ['initial', 'src-o', 'src-c', 'revoked', 'cancellation'],
      [incidentId, 'src-o', 'src-c', 'revoked', 'cancellation'],
    ]);
    await expectBooksBalance(stack, exchangeId, {});
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

  it('two disputes after the release are handled one after the other by the exchange\'s incident queue: the difference is paid once', async () => {
    const exchangeId = await releasedShort();
    const wallets = await walletBalances(stack, [p]);
    const first = await dispute(exchangeId, 'We received nothing');
    await incidentReaches(first, 'awaiting-review');
    const second = await dispute(exchangeId, 'Still nothing on our side');
    expect(second).not.toBe(first);

    // The first is a child of the exchange's one incident queue; the second has no run yet: it waits its turn.
    expect((await stack.client.workflow.getHandle(incidentWorkflowId(first)).describe()).parentExecution?.workflowId).toBe(exchangeIncidentsWorkflowId(exchangeId));
    await expect(stack.client.workflow.getHandle(incidentWorkflowId(second)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await stack.db.store.getIncident(second)).toMatchObject({ status: 'open', findings: [] });

    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, {
      key: stack.operatorKey,
      body: { incidentId: first, decision: 'approve-correction', comment: 'Nobody was entitled to revoke this line' },
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    const later = await incidentReaches(second, 'dismissed', 60_000);
    expect(later).toMatchObject({ findings: [], decision: { decision: 'reject', decidedBy: 'automatic' } });
    expect((await stack.client.workflow.getHandle(incidentWorkflowId(second)).describe()).parentExecution?.workflowId).toBe(exchangeIncidentsWorkflowId(exchangeId));
    // The second assessed the holdings only once the first's run was over, its correction released.
    const firstClosed = (await stack.client.workflow.getHandle(incidentWorkflowId(first)).describe()).closeTime!;
    const assessed = (await stack.db.store.listIncidentEvents(second)).find((e) => e.step === 'detection')!;
    expect(assessed.at.getTime()).toBeGreaterThanOrEqual(firstClosed.getTime());

    expect((await stack.db.store.getAllocations(exchangeId)).map((a) => [a.round, a.amount, a.status])).toEqual([
      ['initial', units(5), 'revoked'],
      [first, units(5), 'released'],
    ]);
    await expectBooksBalance(stack, exchangeId, { 'src-c>src-p': 5 });
    await expectWalletGains(stack, [p], wallets, { 'src-p': 5 });
  });

  it('a standalone incident cancelled during its correction\'s window revokes the correction and says so', async () => {
    const exchangeId = await releasedShort();
    const incidentId = await dispute(exchangeId, 'Our line is gone');
    await incidentReaches(incidentId, 'awaiting-review');
    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: stack.operatorKey, body: { decision: 'approve-correction', comment: 'Restore it' } });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    // Resolved, its correction allocated and revocable for the contract's window: the run sleeps until it can release it.
    await incidentReaches(incidentId, 'resolved');
    expect((await stack.db.store.getAllocations(exchangeId)).find((a) => a.round === incidentId)).toMatchObject({ status: 'allocated' });

    const handle = stack.client.workflow.getHandle(incidentWorkflowId(incidentId));
    await handle.cancel();
    expect(await handle.result().catch((e: unknown) => e)).toBeInstanceOf(WorkflowFailedError);

    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'cancelled', decision: { decision: 'approve-correction' } });
    const last = (await stack.db.store.listIncidentEvents(incidentId)).at(-1)!;
    expect(last).toMatchObject({ step: 'cancellation', summary: expect.stringContaining("during its correction's verification window, after it was resolved") });
    expect(last.summary).toContain('revoked back to the payers: src-c → src-p 5 points');
    expect(last.txHashes).toHaveLength(1);
    expect((await stack.db.store.getAllocations(exchangeId)).map((a) => [a.round, a.status, a.revokeCause])).toEqual([
      ['initial', 'revoked', 'outside'],
      [incidentId, 'revoked', 'cancellation'],
    ]);
    await expectBooksBalance(stack, exchangeId, {});
  });
});
