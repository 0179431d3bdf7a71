import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { settlementIdFor } from '../../lib/ids';
import { deposit, registerMember, startStack, units, waitForExchange, type Member, type Stack } from '../support/stack';
import { contractBody } from '../support/contract-body';

/**
 * Pool settlement (largest remainder, total exact) and detection: a line revoked on chain behind
 * the DVCT's back between allocation and verification is found, named, and nothing is released.
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

  it('splits 100 points over three equal weights exactly, the odd unit to the lowest id', async () => {
    const res = await stack.request('POST', '/v1/contracts/uc-pool/settlements', { key: o.apiKey, body: { round: '2026-Q4' } });
    expect(res.status).toBe(202);
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

  it('detects a line revoked behind its back, fails with DISTRIBUTION_MISMATCH and releases nothing', async () => {
    // The settlement id is the business key's: mark it before the run can reach allocation.
    tamperedSubjects.add(settlementIdFor('uc-pool-tampered', 'r1'));
    const res = await stack.request('POST', '/v1/contracts/uc-pool-tampered/settlements', { key: o.apiKey, body: { round: 'r1' } });
    expect(tamperedSubjects.has(res.body.settlementId)).toBe(true);
    const outcome = await waitForExchange(stack, res.body.settlementId, o.apiKey, (x) => x.status !== 'running');
    expect(outcome.status).toBe('mismatch-detected');
    expect(outcome.error.code).toBe('DISTRIBUTION_MISMATCH');
    expect(outcome.detection.ok).toBe(false);
    const wrong = outcome.detection.recipients.filter((r: any) => !r.ok);
    expect(wrong).toEqual([{ recipientId: 'pool-a', expected: (10n ** 20n / 3n + 1n).toString(), onChain: '0', ok: false }]);
    // The other two lines stay held and revocable: nothing reached a wallet.
    const held = await stack.db.store.getAllocations(res.body.settlementId);
    expect(held.every((x) => x.status === 'allocated')).toBe(true);
    const err = await stack.client.workflow.getHandle(res.body.workflowId).result().catch((e) => e);
    expect(err.cause?.type).toBe('DISTRIBUTION_MISMATCH');
  });
});

async function wallet(stack: Stack, participantId: string): Promise<Address> {
  const p = await stack.db.store.getParticipant(participantId);
  return p!.walletAddress as Address;
}
