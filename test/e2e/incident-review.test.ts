import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectionIncidentId, incidentWorkflowId } from '../../domain/workflow-ids';
import { reviewSignal, reviewUpdate } from '../../workflows/definitions';
import { expectBooksBalance, expectLedgerInvariant, expectWalletGains, walletBalances } from '../support/books';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, units, waitForExchange, waitForIncident, type Member, type Stack } from '../support/stack';
import { startWebhookSink, type WebhookSink } from '../support/webhooks';

/**
 * The design document's error-handling example on the real components: an AI provider gets 10
 * points less than the contract says (its connector reported factor 0.8 instead of 1 on a
 * 50-point award). Detection finds it right after the allocation, and the incident is decided
 * automatically, by a reviewer through the API, by an Update or a Signal sent by a client (as the
 * Web UI would), or by the contract's default at the review deadline. Every member has a webhook
 * on a local receiver that checks each delivery's signature as a real one would.
 */
describe('incidents: detection, review and correction of the AI provider 10 points short', () => {
  const TAMPERED_DATA = 'inc-upstream-tampered';
  let stack: Stack;
  let hooks: WebhookSink;
  let o: Member, p: Member, c: Member, r: Member, u: Member;
  let seq = 0;
  const reported: string[] = [];

  beforeAll(async () => {
    hooks = await startWebhookSink();
    stack = await startStack({
      wrapActivities: (real, st) => ({
        ...real,
        async allocatePoints(args) {
          const result = await real.allocatePoints(args);
          const exchange = await st.db.store.getExchange(args.subjectId);
          if (exchange?.report?.dataId === TAMPERED_DATA) {
            // Someone holding the operator key revokes the AI award straight on the contract.
            const wallet = async (id: string) => (await st.db.store.getParticipant(id))!.walletAddress as `0x${string}`;
            await st.ledger.revoke(args.subjectId, await wallet('inc-o'), await wallet('inc-c'), 'behind the DVCT');
          }
          return result;
        },
      }),
    });
    const member = async (m: Parameters<typeof registerMember>[1]) => {
      const registered = await registerMember(stack, { ...m, webhookUrl: hooks.urlFor(m.id) });
      hooks.trust(m.id, registered.webhookSecret);
      return registered;
    };
    o = await member({ id: 'inc-o', roles: ['orchestrator'], initialPoints: 1000 });
    p = await member({ id: 'inc-p', roles: ['data-provider'] });
    c = await member({ id: 'inc-c', roles: ['data-consumer', 'ai-provider'], initialPoints: 100 });
    r = await member({ id: 'inc-r', roles: ['reviewer'] });
    u = await member({ id: 'inc-u', roles: ['data-provider'] });
    await deposit(stack, o, 800);
    await deposit(stack, c, 80);
    const parties = { 'inc-p': ['data-provider'], 'inc-c': ['data-consumer', 'ai-provider'], 'inc-u': ['data-provider'] };
    const terms = { extraIncentiveForAIProvider: { numPoints: 50, factor: 1, factorCheck: false }, verificationWindowSeconds: 3 };
    for (const [id, extra] of [
      ['uc-inc-auto', {}],
      ['uc-inc-manual', { review: { mode: 'manual', deadlineSeconds: 600, onDeadline: 'reject' } }],
      ['uc-inc-deadline', { review: { mode: 'manual', deadlineSeconds: 3, onDeadline: 'approve-correction' } }],
      // A fifth of every award goes to the owners of the data it came from, one level up.
      ['uc-inc-upstream', { upstream: { share: 0.2, depth: 1 } }],
    ] as const) {
      const body = contractBody(id, 'inc-o', parties, { ...terms, ...extra });
      const res = await stack.request('POST', '/v1/contracts', { key: o.apiKey, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });

  afterAll(async () => {
    await stack?.close();
    await hooks?.close();
  });

  // After every path: the ledger holds exactly the deposits and what is still held.
  afterEach(() => expectLedgerInvariant(stack, [o.wallet, c.wallet], reported));

  /** The consumer's connector reports an exchange with the AI provider's factor miscalculated as 0.8. */
  async function reportShort(contractId: string, extra: Record<string, unknown> = {}): Promise<string> {
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
        ...extra,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    reported.push(res.body.exchangeId);
    return res.body.exchangeId;
  }

  const incidentReaches = (incidentId: string, status: string, timeoutMs?: number) => waitForIncident(stack, incidentId, status, timeoutMs);

  const steps = async (incidentId: string) => (await stack.db.store.listIncidentEvents(incidentId)).map((e) => e.step);
  const recipients = () => [p, c, u];
  /** The run's current details, as the Web UI shows them (the SDK's built-in metadata query). */
  const currentDetails = async (workflowId: string) =>
    ((await stack.client.workflow.getHandle(workflowId).query('__temporal_workflow_metadata')) as { currentDetails: string }).currentDetails;

  it('automatic review: detected, nothing to roll back, 10 additional points re-distributed, everyone told, the input refused next time', async () => {
    const wallets = await walletBalances(stack, recipients());
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
    expect(await steps(incidentId)).toEqual(['detection', 'rollback', 'review', 'correction', 'redistribution', 'notification', 'resolution', 'release']);
    const events = await stack.db.store.listIncidentEvents(incidentId);
    // Nothing is held above what is due, so the rollback has nothing to revoke: the correction adds the 10.
    expect(events.find((e) => e.step === 'rollback')!.txHashes).toEqual([]);
    expect(events.find((e) => e.step === 'redistribution')!.txHashes).toHaveLength(1);
    expect(events.find((e) => e.step === 'release')!.txHashes).toHaveLength(1);

    // Exactly 10 more points, in the incident's own round, and all of it released.
    const allocations = await stack.db.store.getAllocations(exchangeId);
    expect(allocations.map((a) => [a.round, a.payerId, a.recipientId, a.amount, a.status])).toEqual([
      ['initial', 'inc-c', 'inc-p', units(5), 'released'],
      ['initial', 'inc-o', 'inc-c', units(40), 'released'],
      [incidentId, 'inc-o', 'inc-c', units(10), 'released'],
    ]);
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });
    await expectWalletGains(stack, recipients(), wallets, { 'inc-p': 5, 'inc-c': 50 });

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
    const wallets = await walletBalances(stack, recipients());
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
    await expectWalletGains(stack, recipients(), wallets, { 'inc-p': 5, 'inc-c': 50 });
    // A decision nobody is waiting for any more is refused with a name.
    const late = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: r.apiKey, body: decision });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('REVIEW_NOT_AWAITED');
  });

  it('manual review approved through a Temporal Update sent by a client; the validator refuses a decision that does not hold', async () => {
    const wallets = await walletBalances(stack, recipients());
    const exchangeId = await reportShort('uc-inc-manual');
    const incidentId = detectionIncidentId(exchangeId);
    await incidentReaches(incidentId, 'awaiting-review');
    const handle = stack.client.workflow.getHandle(incidentWorkflowId(incidentId));

    const invalid = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve-correction', comment: '' }] }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((invalid as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'VALIDATION_FAILED', message: expect.stringContaining('comment') });

    const decided = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve-correction', comment: 'The contract says factor 1', reviewerId: 'operator' }] });
    expect(decided).toMatchObject({ decision: 'approve-correction', decidedBy: 'operator' });
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'resolved', decision: { decision: 'approve-correction', decidedBy: 'operator' } });
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });
    await expectWalletGains(stack, recipients(), wallets, { 'inc-p': 5, 'inc-c': 50 });
  });

  it('manual review approved through a Signal sent by a client (the Web UI\'s way), after the run\'s current details told the reviewer what to decide', async () => {
    const wallets = await walletBalances(stack, recipients());
    const exchangeId = await reportShort('uc-inc-manual');
    const incidentId = detectionIncidentId(exchangeId);
    await incidentReaches(incidentId, 'awaiting-review');
    const workflowId = incidentWorkflowId(incidentId);

    // What the Web UI shows under "current details" while the run waits: who, held against due, the rule and the cause.
    const details = await currentDetails(workflowId);
    expect(details).toContain('A reviewer must decide');
    expect(details).toContain('inc-o → inc-c: holds 40 points, 50 due');
    expect(details).toContain('`allocation-matches-contract`');
    expect(details).toContain('extraIncentiveForAIProvider.factor: reported 0.8, contract 1');
    expect(details).toContain('Deadline:');

    await stack.client.workflow.getHandle(workflowId).signal(reviewSignal, { decision: 'approve-correction', comment: 'The contract says factor 1' });
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'resolved', decision: { decision: 'approve-correction', decidedBy: 'temporal-ui' } });
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });
    await expectWalletGains(stack, recipients(), wallets, { 'inc-p': 5, 'inc-c': 50 });
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
    const wallets = await walletBalances(stack, recipients());
    const disputed = await stack.request('POST', `/v1/exchanges/${exchangeId}/disputes`, { key: c.apiKey, body: { expectedPoints: 50, reason: 'The contract says factor 1' } });
    expect(disputed.status, JSON.stringify(disputed.body)).toBe(202);
    const dispute = await incidentReaches(disputed.body.incidentId, 'awaiting-review');
    expect(dispute.findings).toEqual([]);
    expect(dispute.cause).toContain(`decided (reject) by incident ${incidentId}`);
    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: r.apiKey, body: { decision: 'approve-correction', comment: 'What was decided stands' } });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    await stack.client.workflow.getHandle(incidentWorkflowId(disputed.body.incidentId)).result();
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 40 });
    await expectWalletGains(stack, recipients(), wallets, {});
  });

  it('review deadline reached: escalated to the orchestrator, then the contract\'s default (approve-correction) applies', async () => {
    const exchangeId = await reportShort('uc-inc-deadline');
    const incidentId = detectionIncidentId(exchangeId);
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);

    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ status: 'resolved', decision: { decision: 'approve-correction', decidedBy: 'deadline' } });
    expect(await steps(incidentId)).toEqual(['detection', 'rollback', 'review', 'escalation', 'escalation', 'review', 'correction', 'redistribution', 'notification', 'resolution', 'release']);
    // The orchestrator and the reviewers (who operate reviews) are told: in their feeds and, signed, on their webhooks.
    for (const member of [o, r]) {
      const feed = await stack.request('GET', `/v1/participants/${member.id}/notifications`, { key: member.apiKey });
      const escalated = feed.body.notifications.find((n: any) => n.kind === 'incident-escalated' && n.payload.incidentId === incidentId);
      expect(escalated?.payload, member.id).toMatchObject({ fallback: 'approve-correction', findings: [{ payerId: 'inc-o', recipientId: 'inc-c' }] });
      const delivered = await hooks.waitFor((d) => d.participantId === member.id && d.event === 'incident-escalated' && d.body.data.incidentId === incidentId);
      expect(delivered.check).toMatchObject({ ok: true, duplicate: false });
    }
    expect((await stack.request('GET', '/v1/participants/inc-p/notifications', { key: p.apiKey })).body.notifications.map((n: any) => n.kind)).not.toContain('incident-escalated');
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 5, 'inc-o>inc-c': 50 });
  });

  it('everyone in the exchange is told, upstream owners of its lineage too, on signed webhooks; the timeline reads through the API with its transactions; the wallets are paid', async () => {
    // inc-u's data comes first, so the next exchange's data has a parent owned by inc-u.
    seq += 1;
    const root = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { dvctId: 'connector-inc-c', usecaseContractId: 'uc-inc-upstream', contractId: `dc-${seq}`, dataId: 'inc-upstream-root', dataProviderId: 'inc-u', dataConsumerId: 'inc-c' },
    });
    expect(root.status, JSON.stringify(root.body)).toBe(202);
    reported.push(root.body.exchangeId);
    await waitForExchange(stack, root.body.exchangeId, o.apiKey, (x) => x.status === 'completed');

    // Reported right, but the AI award's line is revoked on chain behind the DVCT's back (see wrapActivities).
    const wallets = await walletBalances(stack, recipients());
    const exchangeId = await reportShort('uc-inc-upstream', { dataId: TAMPERED_DATA, prevDataId: 'inc-upstream-root', extraIncentiveForAIProvider: { numPoints: 50, factor: 1, factorCheck: false } });
    const incidentId = detectionIncidentId(exchangeId);
    await incidentReaches(incidentId, 'awaiting-review');
    const exchange = await stack.request('GET', `/v1/exchanges/${exchangeId}`, { key: o.apiKey });
    // A fifth of each award goes up: of the provider's 5 points to inc-u, of the AI award to the owners of the output's parents.
    expect(exchange.body.distribution.lines.map((l: any) => [l.payerId, l.recipientId, l.amount])).toEqual([
      ['inc-c', 'inc-p', '4'],
      ['inc-c', 'inc-u', '1'],
      ['inc-o', 'inc-c', '40'],
      ['inc-o', 'inc-p', '5'],
      ['inc-o', 'inc-u', '5'],
    ]);
    expect(await stack.db.store.getIncident(incidentId)).toMatchObject({ rule: 'chain-matches-allocation', findings: [{ payerId: 'inc-o', recipientId: 'inc-c', held: '0', due: units(40) }] });
    const reviewed = await stack.request('POST', `/v1/exchanges/${exchangeId}/review`, { key: r.apiKey, body: { decision: 'approve-correction', comment: 'Nobody was entitled to revoke it' } });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    await waitForExchange(stack, exchangeId, o.apiKey, (x) => x.status === 'completed', 60_000);
    await expectBooksBalance(stack, exchangeId, { 'inc-c>inc-p': 4, 'inc-c>inc-u': 1, 'inc-o>inc-c': 40, 'inc-o>inc-p': 5, 'inc-o>inc-u': 5 });
    await expectWalletGains(stack, recipients(), wallets, { 'inc-p': 9, 'inc-c': 40, 'inc-u': 6 });

    // inc-u is in none of the findings, and is told all the same: it is a participant of the exchange.
    for (const member of [o, p, c, u]) {
      const delivered = await hooks.waitFor((d) => d.participantId === member.id && d.event === 'incident-resolved' && d.body.data.incidentId === incidentId);
      expect(delivered.check, member.id).toMatchObject({ ok: true, duplicate: false });
      expect(delivered.body.data).toMatchObject({ status: 'resolved', rule: 'chain-matches-allocation' });
    }

    // The timeline through the API, each step with the transactions it sent, the correction's release included.
    const view = await stack.request('GET', `/v1/incidents/${incidentId}`, { key: u.apiKey });
    expect(view.status, JSON.stringify(view.body)).toBe(200);
    const timeline: { step: string; txHashes: string[] }[] = view.body.timeline;
    expect(timeline.map((e) => e.step)).toEqual(['detection', 'rollback', 'review', 'review', 'correction', 'redistribution', 'notification', 'resolution', 'release']);
    const [correction] = (await stack.db.store.getAllocations(exchangeId)).filter((a) => a.round === incidentId);
    expect(correction).toMatchObject({ recipientId: 'inc-c', amount: units(40), status: 'released' });
    expect(timeline.find((e) => e.step === 'redistribution')!.txHashes).toEqual([correction!.allocationTxHash]);
    expect(timeline.find((e) => e.step === 'release')!.txHashes).toEqual([correction!.releaseTxHash]);
    for (const hash of timeline.flatMap((e) => e.txHashes)) {
      const receipt = await stack.clients.publicClient.getTransactionReceipt({ hash: hash as `0x${string}` });
      expect(receipt.status).toBe('success');
    }
  });
});
