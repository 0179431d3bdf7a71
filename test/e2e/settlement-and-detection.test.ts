import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { unitsToPoints } from '../../domain/amounts';
import { detectionIncidentId } from '../../domain/workflow-ids';
import { settlementIdFor } from '../../lib/ids';
import { expectBooksBalance, expectLedgerInvariant, expectWalletGains, walletBalances } from '../support/books';
import { deposit, registerMember, startStack, units, waitForExchange, type Member, type Stack } from '../support/stack';
import { contractBody } from '../support/contract-body';

/**
 * Pool settlement (largest remainder, total exact) and detection: a line revoked on chain behind
 * the DVCT's back between allocation and verification opens an incident; nothing is released until
 * a reviewer decides, and the approved correction restores the line in the incident's round.
 */
describe('pool settlement and detection', () => {
  let stack: Stack;
  let o: Member, a: Member, b: Member, c: Member;
  const tamperedSubjects = new Set<string>();

  beforeAll(async () => {
    stack = await startStack({
      wrapActivities: (real, s) => ({
        ...real,
        async allocatePoints(args) {
          const result = await real.allocatePoints(args);
          if (tamperedSubjects.has(args.subjectId)) {
            // Someone with the operator key revokes a line straight on the contract.
            const line = args.distribution.lines[0]!;
            const [payer, recipient] = await Promise.all([wallet(s, line.payerId), wallet(s, line.recipientId)]);
            await s.ledger.revoke(args.subjectId, payer, recipient, 'behind the DVCT');
          }
          return result;
        },
      }),
    });
    o = await registerMember(stack, { id: 'pool-o', roles: ['orchestrator'], initialPoints: 300 });
    a = await registerMember(stack, { id: 'pool-a', roles: ['data-provider'] });
    b = await registerMember(stack, { id: 'pool-b', roles: ['data-provider'] });
    c = await registerMember(stack, { id: 'pool-c', roles: ['data-consumer'] });
    await deposit(stack, o, 300);
    const contract = (id: string) =>
      contractBody(id, 'pool-o', { 'pool-a': ['data-provider'], 'pool-b': ['data-provider'], 'pool-c': ['data-consumer'] }, {
        rewardPool: { numPoints: 100, weights: [{ participantId: 'pool-a', weight: 1 }, { participantId: 'pool-b', weight: 1 }, { participantId: 'pool-c', weight: 1 }] },
      });
    for (const id of ['uc-pool', 'uc-pool-tampered']) {
      expect((await stack.request('POST', '/v1/contracts', { key: o.apiKey, body: contract(id) })).status).toBe(201);
    }
  });

  afterAll(() => stack?.close());

  const settled: string[] = [];
  // After every path: the ledger holds exactly the orchestrator's deposit and what is still held.
  afterEach(() => expectLedgerInvariant(stack, [o.wallet], settled));

  it('splits 100 points over three equal weights exactly, the odd unit to the lowest id', async () => {
    const res = await stack.request('POST', '/v1/contracts/uc-pool/settlements', { key: o.apiKey, body: { round: '2026-Q4' } });
    expect(res.status).toBe(202);
    settled.push(res.body.settlementId);
    const done = await waitForExchange(stack, res.body.settlementId, o.apiKey, (x) => x.status === 'completed');
    const third = 10n ** 20n / 3n;
    expect(done.distribution.lines.map((l: any) => [l.recipientId, l.amountUnits])).toEqual([
      ['pool-a', (third + 1n).toString()],
      ['pool-b', third.toString()],
      ['pool-c', third.toString()],
    ]);
    const paid = (await Promise.all([a, b, c].map((m) => stack.ledger.tokenBalanceOf(m.wallet)))).reduce((x, y) => x + y, 0n);
    expect(paid).toBe(BigInt(units(100)));

    // The same round again is the same settlement, not a second payout.
    const again = await stack.request('POST', '/v1/contracts/uc-pool/settlements', { key: o.apiKey, body: { round: '2026-Q4' } });
    expect(again.body.settlementId).toBe(res.body.settlementId);
    expect(await stack.ledger.depositOf(o.wallet)).toBe(BigInt(units(200)));
  });

  it('detects a line revoked behind its back, releases nothing while a reviewer decides, and restores the line on approval', async () => {
    // The settlement id is the business key's: mark it before the run can reach allocation.
    const settlementId = settlementIdFor('uc-pool-tampered', 'r1');
    tamperedSubjects.add(settlementId);
    settled.push(settlementId);
    const wallets = await walletBalances(stack, [a, b, c]);
    const res = await stack.request('POST', '/v1/contracts/uc-pool-tampered/settlements', { key: o.apiKey, body: { round: 'r1' } });
    expect(res.body.settlementId).toBe(settlementId);

    // The chain was changed outside the DVCT: who is right is a reviewer's call, not the automatic review's.
    const incidentId = detectionIncidentId(settlementId);
    let incident = await stack.db.store.getIncident(incidentId);
    for (let i = 0; i < 200 && incident?.status !== 'awaiting-review'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      incident = await stack.db.store.getIncident(incidentId);
    }
    const third = 10n ** 20n / 3n;
    expect(incident).toMatchObject({
      status: 'awaiting-review',
      rule: 'chain-matches-allocation',
      findings: [{ payerId: 'pool-o', recipientId: 'pool-a', held: '0', due: (third + 1n).toString() }],
    });
    const progress = await stack.request('GET', `/v1/exchanges/${settlementId}`, { key: o.apiKey });
    expect(progress.body.stage).toBe('handling-incident');
    // The other two lines stay held and revocable: nothing reached a wallet.
    const held = (await stack.db.store.getAllocations(settlementId)).filter((x) => x.recipientId !== 'pool-a');
    expect(held.every((x) => x.status === 'allocated')).toBe(true);

    const reviewed = await stack.request('POST', `/v1/exchanges/${settlementId}/review`, {
      key: stack.operatorKey,
      body: { decision: 'approve-correction', comment: 'The pool says pool-a is owed its share' },
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    const done = await waitForExchange(stack, settlementId, o.apiKey, (x) => x.status === 'completed', 60_000);
    expect(done.status).toBe('completed');
    await expectBooksBalance(stack, settlementId, {
      'pool-o>pool-a': unitsToPoints(third + 1n),
      'pool-o>pool-b': unitsToPoints(third),
      'pool-o>pool-c': unitsToPoints(third),
    });
    // pool-a's share reached its wallet once, through the correction's round; the others' through the settlement's.
    await expectWalletGains(stack, [a, b, c], wallets, {
      'pool-a': unitsToPoints(third + 1n),
      'pool-b': unitsToPoints(third),
      'pool-c': unitsToPoints(third),
    });
  });
});

async function wallet(stack: Stack, participantId: string): Promise<Address> {
  const p = await stack.db.store.getParticipant(participantId);
  return p!.walletAddress as Address;
}
