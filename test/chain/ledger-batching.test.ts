import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { createChainClients } from '../../chain/clients';
import { chainKey } from '../../chain/ids';
import { Ledger, type AllocateInput } from '../../chain/ledger';
import { DvctError } from '../../domain/errors';
import { createLogger } from '../../lib/logger';
import { devKey, startChainFixture, type ChainFixture, type Wallet } from './fixture';

/**
 * Allocations and releases of exchanges that arrive together share one transaction
 * (CHAIN_BATCH_WINDOW_MS), on a real anvil: each exchange is still recorded, debited, revocable
 * and released on its own, and a batch one exchange spoils still allocates the others.
 */
const ONE = 10n ** 18n;
const HOLD = 600;

let f: ChainFixture;
let batched: Ledger;
let payer: Wallet;
let recipients: Address[];
let counter = 0;

function exchange(recipient: Address, amount: bigint, from: Address = payer.account.address): AllocateInput {
  counter += 1;
  const exchangeId = `ex-batch-${counter}`;
  return {
    exchangeId,
    recordHash: chainKey(`${exchangeId}/record`),
    holdSeconds: HOLD,
    lines: [{ payer: from, recipient, amount }],
    nodes: [{ nodeId: `${exchangeId}/out`, contentHash: chainKey(`${exchangeId}/out/content`) }],
  };
}

beforeAll(async () => {
  f = await startChainFixture();
  // The same operator signer as the fixture's ledger, with a batching window (the worker's setting).
  const clients = await createChainClients({ rpcUrl: f.anvil.rpcUrl, signerKey: devKey(0), pollingIntervalMs: 50, batchWindowMs: 150 });
  batched = new Ledger(clients, f.deployment, createLogger('chain-test', 'silent'));
  payer = f.wallet(1);
  recipients = [7, 8, 9].map((i) => f.wallet(i).account.address);
  await f.ledger.mint(payer.account.address, 1_000n * ONE);
  await f.ledger.depositFrom(payer, 100n * ONE);
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('batched allocation', () => {
  it('allocates exchanges that arrive together in one transaction, each recorded and debited on its own', async () => {
    const inputs = recipients.map((r, i) => exchange(r, BigInt(i + 1) * ONE));
    const depositBefore = await f.ledger.depositOf(payer.account.address);

    const results = await Promise.all(inputs.map((input) => batched.allocate(input)));

    expect(new Set(results.map((r) => r.txHash)).size).toBe(1);
    expect(results.every((r) => !r.alreadyAllocated && r.releaseAt === results[0]!.releaseAt)).toBe(true);
    expect(await f.ledger.depositOf(payer.account.address)).toBe(depositBefore - 6n * ONE);
    for (const [i, input] of inputs.entries()) {
      const events = await f.ledger.getExchangeEvents(input.exchangeId);
      expect(events.map((e) => e.kind)).toEqual(['ExchangeRecorded', 'NodeAnchored', 'Allocated']);
      expect(events.every((e) => e.txHash === results[0]!.txHash)).toBe(true);
      expect(await f.ledger.readAllocations(input.exchangeId, input.lines)).toEqual([
        { payer: payer.account.address, recipient: recipients[i], amount: BigInt(i + 1) * ONE, releaseAt: results[0]!.releaseAt, status: 'allocated' },
      ]);
    }

    // A retried activity finds its exchange done, with the batch's transaction.
    expect(await batched.allocate(inputs[1]!)).toEqual({ txHash: results[0]!.txHash, alreadyAllocated: true, releaseAt: results[0]!.releaseAt });

    // Each line stays revocable on its own: revoking one leaves its batch-mates held.
    await batched.revoke(inputs[0]!.exchangeId, payer.account.address, recipients[0]!, 'violated the contract terms');
    expect((await f.ledger.readAllocations(inputs[0]!.exchangeId, inputs[0]!.lines))[0]!.status).toBe('revoked');
    expect((await f.ledger.readAllocations(inputs[2]!.exchangeId, inputs[2]!.lines))[0]!.status).toBe('allocated');
    expect(await f.ledger.depositOf(payer.account.address)).toBe(depositBefore - 5n * ONE);
  });

  it('an exchange whose payer cannot cover it fails alone; the rest of its batch is allocated', async () => {
    const poor = f.wallet(5);
    await f.ledger.mint(poor.account.address, ONE);
    await f.ledger.depositFrom(poor, ONE);
    const good = [exchange(recipients[0]!, ONE), exchange(recipients[1]!, ONE)];
    const short = exchange(recipients[2]!, 2n * ONE, poor.account.address);

    const [a, b, c] = await Promise.allSettled([batched.allocate(good[0]!), batched.allocate(short), batched.allocate(good[1]!)]);

    expect(a.status).toBe('fulfilled');
    expect(c.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(DvctError);
    expect(((b as PromiseRejectedResult).reason as DvctError).code).toBe('INSUFFICIENT_DEPOSIT');
    expect((await f.ledger.readAllocations(short.exchangeId, short.lines))[0]!.status).toBe('none');
    expect(await f.ledger.getExchangeEvents(short.exchangeId)).toEqual([]);
    expect(await f.ledger.depositOf(poor.account.address)).toBe(ONE);
    for (const input of good) expect((await f.ledger.readAllocations(input.exchangeId, input.lines))[0]!.status).toBe('allocated');
  });
});

describe('batched release', () => {
  it('releases exchanges that arrive together in one transaction, and each recipient is paid exactly once', async () => {
    const inputs = recipients.map((r) => exchange(r, 2n * ONE));
    await Promise.all(inputs.map((input) => batched.allocate(input)));
    await f.testClient.increaseTime({ seconds: HOLD });
    await f.testClient.mine({ blocks: 1 });
    const before = await Promise.all(recipients.map((r) => f.ledger.tokenBalanceOf(r)));

    const released = await Promise.all(inputs.map((input) => batched.release(input.exchangeId, input.lines)));

    expect(new Set(released.map((r) => r.txHash)).size).toBe(1);
    expect(released[0]!.txHash).not.toBeNull();
    const after = await Promise.all(recipients.map((r) => f.ledger.tokenBalanceOf(r)));
    after.forEach((balance, i) => expect(balance).toBe(before[i]! + 2n * ONE));

    // Again (a retried activity): nothing is sent, nobody is paid twice.
    const again = await Promise.all(inputs.map((input) => batched.release(input.exchangeId, input.lines)));
    expect(again.every((r) => r.txHash === null && r.released.length === 0 && r.alreadyReleased.length === 1)).toBe(true);
    expect(await Promise.all(recipients.map((r) => f.ledger.tokenBalanceOf(r)))).toEqual(after);
  });
});
