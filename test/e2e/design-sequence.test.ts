import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { designSequenceContract } from '../support/contract-body';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIdFor } from '../../lib/ids';
import { verifySignature } from '../../lib/webhook-signature';
import { deposit, registerMember, startStack, units, waitForExchange, type Member, type Stack } from '../support/stack';

/**
 * The design document's sequence on the real components (Temporal, anvil, the database):
 * provider P1 → consumer/AI provider C1 producing chain data; then C2 consuming P1's raw data and
 * C1's output into final data. Points are checked on chain, in the API and in the notifications.
 */
describe('the design document sequence, end to end', () => {
  let stack: Stack;
  let o: Member, p1: Member, c1: Member, c2: Member;
  let receiver: Server;
  const deliveries: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  const contract = designSequenceContract('uc-skills', 'org', 2);


  const report = (over: Record<string, unknown>) => ({
    dvctId: 'connector-test',
    usecaseContractId: 'uc-skills',
    usecaseContractTitle: 'Skills analytics',
    contractId: 'dc-1',
    dataConsumerIsAIProvider: false,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    ...over,
  });

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

    stack = await startStack();
    o = await registerMember(stack, { id: 'org-o', roles: ['orchestrator'], initialPoints: 100 });
    p1 = await registerMember(stack, { id: 'org-p1', roles: ['data-provider'], webhookUrl: hook });
    c1 = await registerMember(stack, { id: 'org-c1', roles: ['data-consumer', 'ai-provider', 'data-provider'], initialPoints: 100 });
    c2 = await registerMember(stack, { id: 'org-c2', roles: ['data-consumer'], initialPoints: 100 });
    await deposit(stack, o, 50);
    await deposit(stack, c1, 50);
    await deposit(stack, c2, 50);
    const created = await stack.request('POST', '/v1/contracts', { key: stack.operatorKey, body: contract });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await stack?.close();
    receiver?.close();
  });

  it('C1 uses P1 raw data as an AI provider: nodes, links, points and release', async () => {
    const res = await stack.request('POST', '/v1/exchanges', {
      key: c1.apiKey,
      body: report({ dataId: 'p1-raw', dataProviderId: 'org-p1', dataConsumerId: 'org-c1', dataConsumerIsAIProvider: true, outputDataId: 'c1-chain', extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false } }),
    });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe(`exchange-${res.body.exchangeId}`);
    expect(res.body.temporalUiUrl).toContain(encodeURIComponent(res.body.workflowId));

    const done = await waitForExchange(stack, res.body.exchangeId, c1.apiKey, (b) => b.status === 'completed');
    // 5 to P1 from C1; 10 from O to C1 of which 20 % flows up to P1 (owner of C1's input).
    expect(done.distribution.lines).toEqual([
      { payerId: 'org-c1', recipientId: 'org-p1', amount: '5', amountUnits: units(5) },
      { payerId: 'org-o', recipientId: 'org-c1', amount: '8', amountUnits: units(8) },
      { payerId: 'org-o', recipientId: 'org-p1', amount: '2', amountUnits: units(2) },
    ]);
    expect(done.detection.ok).toBe(true);
    expect(done.allocations.every((a: any) => a.status === 'released' && /^0x[0-9a-f]{64}$/.test(a.allocationTxHash))).toBe(true);

    const consumed = await stack.request('GET', `/v1/nodes/${done.nodes.consumed.nodeId}`, { key: p1.apiKey });
    expect(consumed.body.dataId).toBe('p1-raw');
    expect(consumed.body.childNode).toEqual([{ nodeId: done.nodes.output.nodeId, '@nodeUrl': `http://dvct.test/v1/nodes/${done.nodes.output.nodeId}` }]);
    expect(done.nodes.output.prevNode.map((n: any) => n.nodeId)).toEqual([done.nodes.consumed.nodeId]);
  });

  it('C2 uses P1 raw data and C1 output: final data with two parents, upstream share to P1', async () => {
    const direct = await stack.request('POST', '/v1/exchanges', {
      key: c2.apiKey,
      body: report({ dataId: 'p1-raw', dataProviderId: 'org-p1', dataConsumerId: 'org-c2', outputDataId: 'c2-final', outputDataType: 'final-data' }),
    });
    const indirect = await stack.request('POST', '/v1/exchanges', {
      key: c2.apiKey,
      body: report({ dataId: 'c1-chain', dataProviderId: 'org-c1', dataConsumerId: 'org-c2', prevDataId: 'p1-raw', outputDataId: 'c2-final', outputDataType: 'final-data' }),
    });
    expect([direct.status, indirect.status]).toEqual([202, 202]);
    await waitForExchange(stack, direct.body.exchangeId, c2.apiKey, (b) => b.status === 'completed');
    const second = await waitForExchange(stack, indirect.body.exchangeId, c2.apiKey, (b) => b.status === 'completed');
    // C2 pays 5 for C1's chain data; 20 % of it flows to P1, whose raw data C1's output came from.
    expect(second.distribution.lines).toEqual([
      { payerId: 'org-c2', recipientId: 'org-c1', amount: '4', amountUnits: units(4) },
      { payerId: 'org-c2', recipientId: 'org-p1', amount: '1', amountUnits: units(1) },
    ]);

    const final = await stack.request('GET', `/v1/nodes/${second.nodes.output.nodeId}`, { key: c2.apiKey });
    expect(final.body.prevNode.map((n: any) => n.nodeId).sort()).toEqual([second.nodes.consumed.nodeId, nodeIdFor('p1-raw')].sort());
    const raw = await stack.request('GET', `/v1/nodes/${nodeIdFor('p1-raw')}`, { key: p1.apiKey });
    expect(raw.body.childNode).toHaveLength(2); // C1's chain data and C2's final data

    const lineage = await stack.request('GET', `/v1/nodes/${second.nodes.output.nodeId}/lineage?direction=backward`, { key: c2.apiKey });
    expect(lineage.status).toBe(200);
    expect(lineage.body.nodes.map((n: any) => n.dataId).sort()).toEqual(['c1-chain', 'c2-final', 'p1-raw']);
  });

  it('every participant holds exactly its points, on chain and in the API', async () => {
    // P1: 5 + 2 (exchange 1) + 5 (direct) + 1 (upstream) = 13; C1: 8 + 4 = 12.
    const expected: Record<string, { wallet: bigint; member: Member }> = {
      'org-p1': { wallet: 13n, member: p1 },
      'org-c1': { wallet: 100n - 50n + 12n, member: c1 },
      'org-c2': { wallet: 100n - 50n, member: c2 },
      'org-o': { wallet: 100n - 50n, member: o },
    };
    for (const [id, e] of Object.entries(expected)) {
      const onChain = await stack.ledger.tokenBalanceOf(e.member.wallet);
      expect(onChain, id).toBe(e.wallet * 10n ** 18n);
      const api = await stack.request('GET', `/v1/participants/${id}/balance`, { key: e.member.apiKey });
      expect(api.body.walletUnits, id).toBe((e.wallet * 10n ** 18n).toString());
      expect(api.body.allocatedUnits, id).toBe('0');
    }
    // Deposits left: O paid 10, C1 paid 5, C2 paid 10.
    expect(await stack.ledger.depositOf(o.wallet)).toBe(40n * 10n ** 18n);
    expect(await stack.ledger.depositOf(c1.wallet)).toBe(45n * 10n ** 18n);
    expect(await stack.ledger.depositOf(c2.wallet)).toBe(40n * 10n ** 18n);
    // The ledger holds exactly the deposits once everything is released.
    expect(await stack.ledger.ledgerTokenBalance()).toBe(125n * 10n ** 18n);
  });

  it('notified P1 by a signed webhook for each exchange it earned from', async () => {
    const forP1 = deliveries.filter((d) => JSON.parse(d.body).participantId === 'org-p1');
    expect(forP1).toHaveLength(3);
    for (const d of forP1) {
      const check = verifySignature(p1.webhookSecret, d.body, d.headers['x-dvct-signature'] as string, Math.floor(Date.now() / 1000));
      expect(check.ok).toBe(true);
    }
    const feed = await stack.db.store.listNotifications({ participantId: 'org-p1' });
    expect(feed.every((n) => n.deliveryStatus === 'delivered')).toBe(true);
  });
});
