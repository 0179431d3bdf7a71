import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditEntry } from '../../db/entities';
import { AUDIT_ANCHOR_WORKFLOW } from '../../workflows/definitions';
import type { AuditAnchorResult } from '../../workflows/audit-anchor';
import { WebhookReceiver } from '../../lib/webhook-receiver';
import { ensureAuditAnchorSchedule } from '../../worker/audit-anchor-schedule';
import { contractBody } from '../support/contract-body';
import { deposit, registerMember, startStack, waitForExchange, type Member, type Stack } from '../support/stack';

/**
 * Security on the real components: a participant's receiver checking DVCT's signed webhooks and
 * refusing a replay; the audit trail the API and the worker write for one exchange; its head
 * anchored on chain by the anchoring run, and the verification that finds an edited row.
 */
describe('signed webhooks, the audit trail and its anchor, end to end', () => {
  let stack: Stack;
  let o: Member, p: Member, c: Member;
  let receiver: Server;
  let hookUrl: string;
  let check: WebhookReceiver;
  const delivered: { headers: Record<string, string>; body: string; answer: number }[] = [];
  let exchangeId: string;
  let scheduleId: string | undefined;

  /** What a participant's endpoint does: 2xx for a good delivery (also a retried one), 401 for a bad signature, 409 for a replay. */
  function receive(body: string, signature: string | undefined): number {
    const result = check.check(body, signature, Math.floor(Date.now() / 1000));
    if (result.ok) return 204;
    return result.reason === 'replayed' ? 409 : 401;
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const answer = receive(body, headers['x-dvct-signature']);
        delivered.push({ headers, body, answer });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

    stack = await startStack();
    o = await registerMember(stack, { id: 'sec-o', roles: ['orchestrator'] });
    p = await registerMember(stack, { id: 'sec-p', roles: ['data-provider'], webhookUrl: hookUrl });
    check = new WebhookReceiver(p.webhookSecret);
    c = await registerMember(stack, { id: 'sec-c', roles: ['data-consumer'], initialPoints: 100 });
    await deposit(stack, c, 20);
    expect((await stack.request('POST', '/v1/contracts', { key: o.apiKey, body: contractBody('uc-sec', 'sec-o', { 'sec-p': ['data-provider'], 'sec-c': ['data-consumer'] }) })).status).toBe(201);
    const reported = await stack.request('POST', '/v1/exchanges', {
      key: c.apiKey,
      body: { dvctId: 'connector-sec', usecaseContractId: 'uc-sec', contractId: 'dc-sec', dataId: 'sec-raw', dataProviderId: 'sec-p', dataConsumerId: 'sec-c', incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false } },
    });
    expect(reported.status).toBe(202);
    exchangeId = reported.body.exchangeId;
    await waitForExchange(stack, exchangeId, c.apiKey, (b) => b.status === 'completed');
  });

  afterAll(async () => {
    if (scheduleId) await stack?.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await stack?.close();
    receiver?.close();
  });

  it('webhooks: the receiver verifies each signed delivery, and refuses the same request replayed', async () => {
    const deadline = Date.now() + 15_000;
    while (delivered.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((d) => d.answer === 204)).toBe(true);
    const first = delivered[0]!;
    expect(JSON.parse(first.body)).toMatchObject({ participantId: 'sec-p', kind: 'distribution-allocated' });

    const replay = (body: string, headers: Record<string, string>) =>
      fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-dvct-signature': headers['x-dvct-signature']!, 'x-dvct-delivery': headers['x-dvct-delivery']! }, body });
    expect((await replay(first.body, first.headers)).status).toBe(409);
    expect((await replay(first.body.replace('"sec-p"', '"sec-x"'), first.headers)).status).toBe(401);
    // A captured delivery kept past the window is refused as expired, even by a receiver that never saw it.
    const fresh = new WebhookReceiver(p.webhookSecret);
    expect(fresh.check(first.body, first.headers['x-dvct-signature'], Math.floor(Date.now() / 1000) + 301)).toEqual({ ok: false, reason: 'expired' });
  });

  it('audit trail: the API and the worker each record what they changed, once, with the run and the transactions', async () => {
    const res = await stack.request('GET', `/v1/audit?object=exchange:${exchangeId}&limit=1000`, { key: stack.operatorKey });
    const entries = res.body.entries as { action: string; actor: string; workflowId: string | null; txHash: string | null }[];
    const actions = entries.map((e) => e.action);
    expect(entries.find((e) => e.action === 'exchange.report')).toMatchObject({ actor: 'sec-c', workflowId: `exchange-${exchangeId}` });
    for (const action of ['lineage.create-nodes', 'allocation.allocate', 'exchange.detection', 'notification.record', 'allocation.release']) {
      expect(actions.filter((a) => a === action), action).toHaveLength(1);
      expect(entries.find((e) => e.action === action)).toMatchObject({ actor: 'worker', workflowId: `exchange-${exchangeId}` });
    }
    for (const action of ['allocation.allocate', 'allocation.release']) {
      expect(entries.find((e) => e.action === action)!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    }
    const minted = await stack.request('GET', '/v1/audit?action=points.mint&object=participant:sec-c', { key: stack.operatorKey });
    expect(minted.body.entries).toMatchObject([{ actor: 'worker', workflowId: 'participant-sec-c', txHash: expect.stringMatching(/^0x/) }]);
  });

  it('anchoring: the run writes the head on chain; verification checks against it and names an edited row', async () => {
    const run = () =>
      stack.client.workflow.execute(AUDIT_ANCHOR_WORKFLOW, { taskQueue: stack.taskQueue, workflowId: `audit-anchor-test-${Date.now()}`, args: [] }) as Promise<AuditAnchorResult>;
    const anchored = await run();
    expect(anchored.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const head = (await stack.db.store.auditHead())!;
    expect(anchored.seq).toBe(head.seq);
    expect(await stack.ledger.auditAnchor()).toEqual({ seq: head.seq, head: `0x${head.hash}` });
    expect(await stack.db.store.listAuditAnchors()).toMatchObject([{ seq: head.seq, head: head.hash, txHash: anchored.txHash }]);
    // Nothing new since: nothing is sent.
    expect(await run()).toEqual({ seq: head.seq, anchoredSeq: head.seq, txHash: null });

    const verify = () => stack.request('GET', '/v1/audit/verify', { key: stack.operatorKey });
    expect((await verify()).body).toMatchObject({ ok: true, checked: head.seq, anchor: { seq: head.seq, hash: head.hash } });

    const em = stack.db.orm.em.fork();
    const row = await em.findOneOrFail(AuditEntry, { action: 'allocation.allocate' });
    await em.nativeUpdate(AuditEntry, { seq: row.seq }, { txHash: `0x${'0'.repeat(64)}` });
    expect((await verify()).body).toMatchObject({ ok: false, firstBroken: { seq: row.seq, reason: 'edited' } });
    await em.nativeUpdate(AuditEntry, { seq: row.seq }, { txHash: row.txHash });
    expect((await verify()).body.ok).toBe(true);
  });

  it('the Schedule: created paused when its interval is 0, and a triggered run anchors what was added since', async () => {
    scheduleId = await ensureAuditAnchorSchedule(stack.client, { taskQueue: stack.taskQueue, intervalSeconds: 0 });
    const handle = stack.client.schedule.getHandle(scheduleId);
    expect((await handle.describe()).state.paused).toBe(true);
    // A state change after the last anchor: a new key.
    expect((await stack.request('POST', '/v1/participants/sec-p/keys', { key: p.apiKey, body: { label: 'rotating soon' } })).status).toBe(201);
    const head = (await stack.db.store.auditHead())!;
    await handle.trigger();
    const deadline = Date.now() + 30_000;
    while ((await stack.ledger.auditAnchor()).seq < head.seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await stack.ledger.auditAnchor()).toEqual({ seq: head.seq, head: `0x${head.hash}` });
  });
});
