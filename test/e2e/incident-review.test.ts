import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectionIncidentId, incidentWorkflowId } from '../../domain/workflow-ids';
import { reviewSignal, reviewUpdate } from '../../workflows/definitions';
import { expectBooksBalance, expectLedgerInvariant, expectWalletGains, walletBalances } from '../support/books';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, units, waitForExchange, type Member, type Stack } from '../support/stack';

/**
 * The design document's error-handling example on the real components: an AI provider gets 10
 * points less than the contract says (its connector reported factor 0.8 instead of 1 on a
 * 50-point award). Detection finds it right after the allocation, and the incident is decided
 * automatically, by a reviewer through the API, by an Update or a Signal sent by a client (as the
 * Web UI would), or by the contract's default at the review deadline.
 */
describe('incidents: detection, review and correction of the AI provider 10 points short', () => {
  let stack: Stack;
  let o: Member, p: Member, c: Member, r: Member;
  let seq = 0;
  const reported: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    o = await registerMember(stack, { id: 'inc-o', roles: ['orchestrator'], initialPoints: 1000 });
    p = await registerMember(stack, { id: 'inc-p', roles: ['data-provider'] });
    c = await registerMember(stack, { id: 'inc-c', roles: ['data-consumer', 'ai-provider'], initialPoints: 100 });
    r = await registerMember(stack, { id: 'inc-r', roles: ['reviewer'] });
    await deposit(stack, o, 800);
    await deposit(stack, c, 80);
    const parties = { 'inc-p': ['data-provider'], 'inc-c': ['data-consumer', 'ai-provider'] };
    const terms = { extraIncentiveForAIProvider: { numPoints: 50, factor: 1, factorCheck: false }, verificationWindowSeconds: 3 };
    for (const [id, review] of [
      ['uc-inc-auto', undefined],
      ['uc-inc-manual', { mode: 'manual', deadlineSeconds: 600, onDeadline: 'reject' }],
      ['uc-inc-deadline', { mode: 'manual', deadlineSeconds: 3, onDeadline: 'approve-correction' }],
    ] as const) {
      const body = contractBody(id, 'inc-o', parties, { ...terms, ...(review ? { review } : {}) });
      const res = await stack.request('POST', '/v1/contracts', { key: o.apiKey, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });

  afterAll(() => stack?.close());

  // After every path: the ledger holds exactly the deposits and what is still held.
  afterEach(() => expectLedgerInvariant(stack, [o.wallet, c.wallet], reported));

  /** The consumer's connector reports an exchange with the AI provider's factor miscalculated as 0.8. */
  async function reportShort(contractId: string): Promise<string> {
    seq += 1;
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: {
        dvctId: 'connector-inc-c',
        usecaseContractId: contractId,
        contractId: `dc-${seq}`,
        dataId: `inc-data-${seq}`,
        dataProviderId: 'inc-p',
        dataConsumerId: 'inc-c',
        dataConsumerIsAIProvider: true,
        extraIncentiveForAIProvider: { numPoints: 50, factor: 0.8, factorCheck: false },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    reported.push(res.body.exchangeId);
    return res.body.exchangeId;
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

  const steps = async (incidentId: string) => (await stack.db.store.listIncidentEvents(incidentId)).map((e) => e.step);

  it('automatic review: detected, nothing to roll back, 10 additional points re-distributed, everyone told, the input refused next time', async () => {
    const exchangeId = await reportShort('uc-inc-auto');
    const done = await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect(done.status).toBe('completed');

    const incidentId = detectionIncidentId(exchangeId);
    const incident = await stack.db.store.getIncident(incidentId);
    expect(incident).toMatchObject({
      status: 'resolved',
      source: 'detection',
      rule: 'allocation-matches-contract',
      findings: [{ payerId: 'inc-o', recipientId: 'inc-c', held: units(40), due: units(50) }],
      decision: { decision: 'approve-correction', decidedBy: 'automatic' },
      suggestedValidationRule: 'reported-terms-match-contract',
    });
    expect(incident!.cause).toContain('extraIncentiveForAIProvider.factor: reported 0.8, contract 1');
    expect(await steps(incidentId)).toEqual(['detection', 'rollback', 'review', 'correction', 'redistribution', 'notification', 'resolution']);
    const events = await stack.db.store.listIncidentEvents(incidentId);
    expect(events.find((e) => e.step === 'rollback')!.txHashes).toEqual([]);
    expect(events.find((e) => e.step === 'redistribution')!.txHashes).toHaveLength(1);

    // Exactly 10 more points, in the incident's own round, and all of it released.
    const allocations = await stack.db.store.getAllocations(exchangeId);
    expect(allocations.map((a) => [a.round, a.payerId, a.recipientId, a.amount, a.status])).toEqual([
      ['initial', 'inc-c', 'inc-p', units(5), 'released'],
      ['initial', 'inc-o', 'inc-c', units(40), 'released'],
      [incidentId, 'inc-o', 'inc-c', units(10), 'released'],
    ]);
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });

    // Every participant is told the error, its cause and the correction.
    for (const member of [o, p, c]) {
      const feed = await stack.request('GET', `/v1/participants/${member.id}/notifications`, { key: member.apiKey });
      expect(feed.body.notifications.map((n: any) => n.kind)).toContain('incident-resolved');
    }

    // Feedback: the orchestrator adds the rule the incident names, and the same input is refused.
    const rule = await stack.request('POST', '/v1/contracts/uc-inc-auto/validation-rules', { key: o.apiKey, body: { rule: 'reported-terms-match-contract', incidentId } });
    expect(rule.status, JSON.stringify(rule.body)).toBe(200);
    expect((await steps(incidentId)).at(-1)).toBe('feedback');
    const refusedId = await reportShort('uc-inc-auto');
    const refused = await waitForExchange(stack, refusedId, o.apiKey, (x) => x.status !== 'running');
    expect(refused.status).toBe('rejected');
    expect(refused.error.code).toBe('INCENTIVE_TERMS_MISMATCH');
  });

  it('manual review approved through the API by a reviewer; the waiting run is found with one search-attribute filter', async () => {
    const exchangeId = await reportShort('uc-inc-manual');
    const incidentId = detectionIncidentId(exchangeId);
    await incidentReaches(incidentId, 'awaiting-review');

    const query = `DvctReviewStatus = "awaiting-review" AND WorkflowId = "${incidentWorkflowId(incidentId)}"`;
    let found = 0;
    for (let i = 0; i < 50 && found === 0; i++) {
      found = (await stack.client.workflow.count(query)).count;
      if (found === 0) await new Promise((res) => setTimeout(res, 200));
    }
    expect(found).toBe(1);

    const decision = { decision: 'approve-correction', comment: 'The contract says factor 1' };
    expect((await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: p.apiKey, body: decision })).status).toBe(403);
    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: r.apiKey, body: decision });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);

    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'resolved', decision: { decision: 'approve-correction', decidedBy: 'inc-r' } });
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });
    // A decision nobody is waiting for any more is refused with a name.
    const late = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: r.apiKey, body: decision });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('REVIEW_NOT_AWAITED');
  });

  it('manual review adjusted through a Temporal Update sent by a client; the validator refuses a decision that does not hold', async () => {
    const exchangeId = await reportShort('uc-inc-manual');
    const incidentId = detectionIncidentId(exchangeId);
    await incidentReaches(incidentId, 'awaiting-review');
    const handle = stack.client.workflow.getHandle(incidentWorkflowId(incidentId));

    const invalid = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'adjust', comment: 'no metrics' }] }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((invalid as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'VALIDATION_FAILED', message: expect.stringContaining('correctedMetrics is required') });

    const decided = await handle.executeUpdate(reviewUpdate, {
      args: [{ decision: 'adjust', correctedMetrics: { extraIncentiveForAIProvider: { factor: 0.9 } }, comment: 'Only 90% of the model was delivered', reviewerId: 'operator' }],
    });
    expect(decided).toMatchObject({ decision: 'adjust', decidedBy: 'operator' });
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 45 });
  });

  it('manual review rejected through a Signal (the Web UI\'s way): nothing changes, the incident is dismissed', async () => {
    const exchangeId = await reportShort('uc-inc-manual');
    const incidentId = detectionIncidentId(exchangeId);
    await incidentReaches(incidentId, 'awaiting-review');
    await stack.client.workflow.getHandle(incidentWorkflowId(incidentId)).signal(reviewSignal, { decision: 'reject', comment: 'Factor 0.8 was agreed for this batch' });

    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'dismissed', decision: { decision: 'reject', decidedBy: 'temporal-ui' } });
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 40 });

    // The reject stands: a later dispute finds the 40 points due, not the contract's 50, and it is for a person to say otherwise.
    const wallets = await walletBalances(stack, [p, c]);
    const disputed = await stack.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key: c.apiKey, body: { expectedPoints: 50, reason: 'The contract says factor 1' } });
    expect(disputed.status, JSON.stringify(disputed.body)).toBe(202);
    const dispute = await incidentReaches(disputed.body.incidentId, 'awaiting-review');
    expect(dispute.findings).toEqual([]);
    expect(dispute.cause).toContain(`decided (reject) by incident ${incidentId}`);
    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: r.apiKey, body: { decision: 'approve-correction', comment: 'What was decided stands' } });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    await stack.client.workflow.getHandle(incidentWorkflowId(disputed.body.incidentId)).result();
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 40 });
    await expectWalletGains(stack, [p, c], wallets, {});
  });

  it('review deadline reached: escalated to the orchestrator, then the contract\'s default (approve-correction) applies', async () => {
    const exchangeId = await reportShort('uc-inc-deadline');
    const incidentId = detectionIncidentId(exchangeId);
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);

    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'resolved', decision: { decision: 'approve-correction', decidedBy: 'deadline' } });
    expect(await steps(incidentId)).toEqual(['detection', 'rollback', 'review', 'escalation', 'review', 'correction', 'redistribution', 'notification', 'resolution']);
    const feed = await stack.request('GET', '/v1/participants/inc-o/notifications', { key: o.apiKey });
    expect(feed.body.notifications.map((n: any) => n.kind)).toContain('incident-escalated');
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });
  });
});
