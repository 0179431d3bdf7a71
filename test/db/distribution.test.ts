import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Allocation, Award } from '../../db/entities';
import type { AllocationLine, AwardPart } from '../../domain/types';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { countRows, exchange, tenTimes } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const TWO_POW_64 = 2n ** 64n;
const releaseAt = new Date('2030-01-01T00:00:00.000Z');

function distributionFor(exchangeId: string, lines: AllocationLine[]) {
  const parts: (AwardPart & { contractId: string | null })[] = lines.map((l) => ({
    ...l,
    reason: 'data-provider',
    nodeId: null,
    depth: 0,
    contractId: 'c-1',
  }));
  return { exchangeId, parts, lines, allocationTxHash: `0x${exchangeId}`, releaseAt };
}

async function distribute(exchangeId: string, lines: AllocationLine[]): Promise<void> {
  await db.store.insertExchangeIfAbsent(exchange(exchangeId));
  await db.store.recordDistribution(distributionFor(exchangeId, lines));
}

describe('recording a distribution', () => {
  it('writes each part and line once, however often and concurrently it runs', async () => {
    await db.store.insertExchangeIfAbsent(exchange('ex-dist'));
    const args = distributionFor('ex-dist', [
      { payerId: 'cons', recipientId: 'prov', amount: '5000000000000000000' },
      { payerId: 'orch', recipientId: 'ai', amount: '2500000000000000000' },
    ]);
    await tenTimes(() => db.store.recordDistribution(args));
    await db.store.recordDistribution(args);
    expect(await countRows(db, Award, { exchangeId: 'ex-dist' })).toBe(2);
    expect(await countRows(db, Allocation, { exchangeId: 'ex-dist' })).toBe(2);

    expect(await db.store.getAllocations('ex-dist')).toEqual([
      expect.objectContaining({ payerId: 'cons', recipientId: 'prov', amount: '5000000000000000000', status: 'allocated', allocationTxHash: '0xex-dist', releaseAt }),
      expect.objectContaining({ payerId: 'orch', recipientId: 'ai', amount: '2500000000000000000', status: 'allocated', releaseTxHash: null, revokeTxHash: null }),
    ]);
  });

  it('refuses another distribution for the same exchange', async () => {
    await distribute('ex-other', [{ payerId: 'cons', recipientId: 'prov', amount: '1' }]);
    await expect(db.store.recordDistribution(distributionFor('ex-other', [{ payerId: 'cons', recipientId: 'prov', amount: '2' }]))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await db.store.getAllocations('ex-other'))[0]!.amount).toBe('1');
  });

  it('needs the exchange to exist', async () => {
    await expect(db.store.recordDistribution(distributionFor('ex-none', [{ payerId: 'a', recipientId: 'b', amount: '1' }]))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await db.store.getAllocations('ex-none')).toEqual([]);
  });
});

describe('releasing and revoking', () => {
  beforeAll(async () => {
    await distribute('ex-life', [
      { payerId: 'cons', recipientId: 'prov', amount: '10' },
      { payerId: 'cons', recipientId: 'ai', amount: '20' },
      { payerId: 'orch', recipientId: 'prov', amount: '30' },
    ]);
  });

  it('revokes an allocated line once; a repeat changes nothing', async () => {
    const revoke = { exchangeId: 'ex-life', payerId: 'cons', recipientId: 'ai', txHash: '0xrevoke', reason: 'AI provider was not due this', cause: 'revocation' as const };
    await db.store.markAllocationRevoked(revoke);
    await db.store.markAllocationRevoked({ ...revoke, txHash: '0xlater', reason: 'again', cause: 'correction' });
    const line = (await db.store.getAllocations('ex-life')).find((a) => a.recipientId === 'ai')!;
    // The first revocation's cause and time stand: what is due depends on why a line went back, and when.
    expect(line).toMatchObject({ status: 'revoked', revokeTxHash: '0xrevoke', revokeReason: 'AI provider was not due this', revokeCause: 'revocation', revokedAt: expect.any(Date) });
  });

  it('releases the allocated lines and leaves revoked ones revoked', async () => {
    const keys = [
      { round: 'initial', payerId: 'cons', recipientId: 'prov' },
      { round: 'initial', payerId: 'cons', recipientId: 'ai' },
    ];
    await db.store.markAllocationsReleased('ex-life', keys, '0xrelease');
    await db.store.markAllocationsReleased('ex-life', keys, '0xrelease-again');
    const byRecipient = Object.fromEntries((await db.store.getAllocations('ex-life')).map((a) => [`${a.payerId}>${a.recipientId}`, a]));
    expect(byRecipient['cons>prov']).toMatchObject({ status: 'released', releaseTxHash: '0xrelease' });
    expect(byRecipient['cons>ai']).toMatchObject({ status: 'revoked', releaseTxHash: null });
    expect(byRecipient['orch>prov']).toMatchObject({ status: 'allocated' });
  });

  it('cannot revoke what was released or never allocated', async () => {
    const revoke = { exchangeId: 'ex-life', payerId: 'cons', recipientId: 'prov', txHash: null, reason: 'too late', cause: 'revocation' as const };
    await expect(db.store.markAllocationRevoked(revoke)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(db.store.markAllocationRevoked({ ...revoke, recipientId: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('correction rounds', () => {
  const inc = 'inc-1';
  const line = (payerId: string, recipientId: string, amount: string) => ({ payerId, recipientId, amount });

  beforeAll(async () => {
    await distribute('ex-rounds', [line('orch', 'ai', '10'), line('cons', 'prov', '5')]);
  });

  it('keep an incident\'s lines beside the first ones, idempotent per round', async () => {
    const correction = { ...distributionFor('ex-rounds', [line('orch', 'ai', '10')]), round: inc, allocationTxHash: '0xcorrection' };
    await tenTimes(() => db.store.recordDistribution(correction));
    expect(await countRows(db, Allocation, { exchangeId: 'ex-rounds' })).toBe(3);
    expect(await countRows(db, Award, { exchangeId: 'ex-rounds', round: inc })).toBe(1);

    const held = await db.store.getAllocations('ex-rounds');
    expect(held.map((a) => [a.round, a.payerId, a.recipientId, a.amount, a.allocationTxHash])).toEqual([
      ['initial', 'cons', 'prov', '5', '0xex-rounds'],
      ['initial', 'orch', 'ai', '10', '0xex-rounds'],
      [inc, 'orch', 'ai', '10', '0xcorrection'],
    ]);
    // Recording the first round again is still a replay, not a conflict with the incident's round.
    await db.store.recordDistribution(distributionFor('ex-rounds', [line('orch', 'ai', '10'), line('cons', 'prov', '5')]));
  });

  it('refuse another distribution in a round that has one', async () => {
    await expect(
      db.store.recordDistribution({ ...distributionFor('ex-rounds', [line('orch', 'ai', '11')]), round: inc }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { exchangeId: 'ex-rounds', round: inc } });
  });

  it('release and revoke line by line, each in its own round', async () => {
    await db.store.markAllocationsReleased('ex-rounds', [{ round: inc, payerId: 'orch', recipientId: 'ai' }], '0xrelease-inc');
    await db.store.markAllocationRevoked({ exchangeId: 'ex-rounds', payerId: 'orch', recipientId: 'ai', txHash: null, reason: 'revoked on chain, not by the DVCT', cause: 'outside' });
    const byRound = Object.fromEntries((await db.store.getAllocations('ex-rounds')).filter((a) => a.recipientId === 'ai').map((a) => [a.round, a]));
    expect(byRound.initial).toMatchObject({ status: 'revoked', revokeTxHash: null, revokeReason: 'revoked on chain, not by the DVCT' });
    expect(byRound[inc]).toMatchObject({ status: 'released', releaseTxHash: '0xrelease-inc' });
    await expect(
      db.store.markAllocationRevoked({ exchangeId: 'ex-rounds', round: inc, payerId: 'orch', recipientId: 'ai', txHash: '0x1', reason: 'late', cause: 'correction' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      db.store.markAllocationRevoked({ exchangeId: 'ex-rounds', round: 'inc-none', payerId: 'orch', recipientId: 'ai', txHash: '0x1', reason: 'r', cause: 'correction' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('all count towards a balance', async () => {
    await distribute('ex-rounds-balance', [line('orch', 'counted', '7')]);
    await db.store.recordDistribution({ ...distributionFor('ex-rounds-balance', [line('orch', 'counted', '3')]), round: inc });
    expect(await db.store.balanceOf('counted')).toEqual({ allocated: '10', released: '0', revoked: '0' });
  });
});

describe('balances', () => {
  it('sum exactly, far beyond 2^64, per status', async () => {
    const big = [TWO_POW_64 + 1n, 10n ** 30n + 7n, 2n ** 200n];
    await distribute('ex-big-1', [{ payerId: 'p1', recipientId: 'rich', amount: big[0]!.toString() }]);
    await distribute('ex-big-2', [{ payerId: 'p2', recipientId: 'rich', amount: big[1]!.toString() }]);
    await distribute('ex-big-3', [{ payerId: 'p3', recipientId: 'rich', amount: big[2]!.toString() }]);
    await distribute('ex-big-4', [{ payerId: 'p4', recipientId: 'rich', amount: (TWO_POW_64 * 3n).toString() }]);
    await db.store.markAllocationsReleased('ex-big-2', [{ round: 'initial', payerId: 'p2', recipientId: 'rich' }], '0x2');
    await db.store.markAllocationRevoked({ exchangeId: 'ex-big-4', payerId: 'p4', recipientId: 'rich', txHash: '0x4', reason: 'wrong', cause: 'correction' });

    expect(await db.store.balanceOf('rich')).toEqual({
      allocated: (big[0]! + big[2]!).toString(),
      released: big[1]!.toString(),
      revoked: (TWO_POW_64 * 3n).toString(),
    });
    expect(await db.store.balanceOf('nobody')).toEqual({ allocated: '0', released: '0', revoked: '0' });
  });
});

describe('what the reconciliation re-checks', () => {
  it('lists exchanges allocated since the lookback that still hold a line, once each', async () => {
    const line = (recipientId: string) => ({ payerId: 'cons', recipientId, amount: '1' });
    await distribute('ex-rec-held', [line('a'), line('b')]);
    await distribute('ex-rec-settled', [line('a')]);
    await db.store.markAllocationsReleased('ex-rec-settled', [{ round: 'initial', payerId: 'cons', recipientId: 'a' }], '0xrel');
    await distribute('ex-rec-half', [line('a'), line('b')]);
    await db.store.markAllocationRevoked({ exchangeId: 'ex-rec-half', payerId: 'cons', recipientId: 'a', txHash: null, reason: 'test', cause: 'outside' });

    const listed = await db.store.listExchangesStillHolding(new Date(Date.now() - 60_000));
    expect(listed.filter((id) => id.startsWith('ex-rec-'))).toEqual(['ex-rec-half', 'ex-rec-held']);
    expect((await db.store.listExchangesStillHolding(new Date(Date.now() + 60_000))).filter((id) => id.startsWith('ex-rec-'))).toEqual([]);
  });
});
