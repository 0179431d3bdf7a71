import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLogs, type Address } from 'viem';
import { abi as ledgerAbi } from '../../contracts/artifacts/PointsLedger';
import { abi as tokenAbi } from '../../contracts/artifacts/IncentiveToken';
import { chainKey } from '../../chain/ids';
import { startChainFixture, type ChainFixture, type Wallet } from '../chain/fixture';
import { contractCalls } from './calls';
import { ONE, revertOf, uniqueId } from './helpers';

/** PointsLedger and IncentiveToken on a real anvil, called directly (no TS Ledger layer). */
const STATUS = { None: 0, Allocated: 1, Released: 2, Revoked: 3 } as const;
const HOLD = 3_600n;

let f: ChainFixture;
let call: ReturnType<typeof contractCalls>;
let operator: Wallet;
let payerA: Wallet;
let payerB: Wallet;
let recipients: Wallet[];

const anchors = (id: string) => [
  { nodeId: chainKey(`${id}/input`), contentHash: chainKey(`${id}/input-content`) },
  { nodeId: chainKey(`${id}/output`), contentHash: chainKey(`${id}/output-content`) },
];

async function fund(payer: Wallet, amount: bigint) {
  await call.token(operator, 'mint', [payer.account.address, amount]);
  await call.token(payer, 'approve', [f.deployment.ledger, amount]);
  await call.ledger(payer, 'deposit', [amount]);
}

async function timeTravel(seconds: bigint) {
  await f.testClient.increaseTime({ seconds: Number(seconds) });
  await f.testClient.mine({ blocks: 1 });
}

beforeAll(async () => {
  f = await startChainFixture();
  call = contractCalls(f);
  operator = f.operator.walletClient;
  payerA = f.wallet(1);
  payerB = f.wallet(2);
  recipients = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => f.wallet(i));
  await fund(payerA, 1_000_000n * ONE);
  await fund(payerB, 1_000_000n * ONE);
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('IncentiveToken', () => {
  it('is "DVCT Points" (DVCTP, 18 decimals) and only a minter mints, once per key with mintOnce', async () => {
    const read = (functionName: 'name' | 'symbol' | 'decimals') =>
      f.publicClient.readContract({ address: f.deployment.token, abi: tokenAbi, functionName });
    expect([await read('name'), await read('symbol'), await read('decimals')]).toEqual(['DVCT Points', 'DVCTP', 18]);

    const outsider = f.wallet(13);
    expect((await revertOf(call.token(outsider, 'mint', [outsider.account.address, ONE]))).name).toBe('AccessControlUnauthorizedAccount');

    const key = chainKey(uniqueId('grant'));
    const before = await call.balanceOf(outsider.account.address);
    await call.token(operator, 'mintOnce', [key, outsider.account.address, 5n * ONE]);
    expect((await revertOf(call.token(operator, 'mintOnce', [key, outsider.account.address, 5n * ONE]))).name).toBe('AlreadyMinted');
    expect(await call.balanceOf(outsider.account.address)).toBe(before + 5n * ONE);
  });
});

describe('deposits', () => {
  it('credits an approved deposit to the caller and refuses one without allowance', async () => {
    const payer = f.wallet(14);
    await call.token(operator, 'mint', [payer.account.address, 10n * ONE]);
    expect((await revertOf(call.ledger(payer, 'deposit', [ONE]))).name).toBe('ERC20InsufficientAllowance');

    await call.token(payer, 'approve', [f.deployment.ledger, 4n * ONE]);
    const ledgerBefore = await call.balanceOf(f.deployment.ledger);
    await call.ledger(payer, 'deposit', [4n * ONE]);
    expect(await call.deposits(payer.account.address)).toBe(4n * ONE);
    expect(await call.balanceOf(payer.account.address)).toBe(6n * ONE);
    expect(await call.balanceOf(f.deployment.ledger)).toBe(ledgerBefore + 4n * ONE);
  });

  it('credits a permit deposit to the permit owner only, for exactly the signed amount', async () => {
    const owner = f.wallet(15);
    const other = f.wallet(16);
    await call.token(operator, 'mint', [owner.account.address, 10n * ONE]);
    const deadline = (await f.publicClient.getBlock()).timestamp + 3_600n;
    const permit = await f.ledger.signDepositPermit(owner, 3n * ONE, deadline);
    const { v, r, s } = permit;

    // Redirected to another owner or amount, the signature does not verify and nothing moves.
    expect((await revertOf(call.ledger(operator, 'depositWithPermit', [other.account.address, 3n * ONE, deadline, v, r, s]))).name).toBe(
      'InvalidPermit',
    );
    expect((await revertOf(call.ledger(operator, 'depositWithPermit', [owner.account.address, 4n * ONE, deadline, v, r, s]))).name).toBe(
      'InvalidPermit',
    );

    // Submitted by the operator (gasless for the payer): the owner is credited, not the submitter.
    const operatorDeposit = await call.deposits(operator.account.address);
    await call.ledger(operator, 'depositWithPermit', [owner.account.address, 3n * ONE, deadline, v, r, s]);
    expect(await call.deposits(owner.account.address)).toBe(3n * ONE);
    expect(await call.deposits(operator.account.address)).toBe(operatorDeposit);
    expect(await call.balanceOf(owner.account.address)).toBe(7n * ONE);

    // Replayed, the permit's nonce is spent and no allowance is left.
    expect((await revertOf(call.ledger(operator, 'depositWithPermit', [owner.account.address, 3n * ONE, deadline, v, r, s]))).name).toBe(
      'InvalidPermit',
    );
  });

  it('still deposits when someone front-ran the permit, and refuses an expired one', async () => {
    const owner = f.wallet(17);
    await call.token(operator, 'mint', [owner.account.address, 10n * ONE]);
    const deadline = (await f.publicClient.getBlock()).timestamp + 3_600n;
    const { v, r, s } = await f.ledger.signDepositPermit(owner, 2n * ONE, deadline);
    await call.token(f.wallet(18), 'permit', [owner.account.address, f.deployment.ledger, 2n * ONE, deadline, v, r, s]);
    await call.ledger(operator, 'depositWithPermit', [owner.account.address, 2n * ONE, deadline, v, r, s]);
    expect(await call.deposits(owner.account.address)).toBe(2n * ONE);

    const latest = await f.publicClient.getBlock();
    const expired = await f.ledger.signDepositPermit(owner, ONE, latest.timestamp - 1n);
    expect(
      (await revertOf(call.ledger(operator, 'depositWithPermit', [owner.account.address, ONE, expired.deadline, expired.v, expired.r, expired.s])))
        .name,
    ).toBe('InvalidPermit');
  });

  it('lets a payer withdraw only its own unallocated deposit', async () => {
    const payer = f.wallet(19);
    const thief = f.wallet(20);
    await fund(payer, 5n * ONE);
    const thiefBalance = await call.balanceOf(thief.account.address);

    const refused = await revertOf(call.ledger(thief, 'withdraw', [ONE]));
    expect(refused).toEqual({ name: 'InsufficientDeposit', args: { payer: thief.account.address, needed: String(ONE), available: '0' } });
    expect(await call.deposits(payer.account.address)).toBe(5n * ONE);
    expect(await call.balanceOf(thief.account.address)).toBe(thiefBalance);

    await call.ledger(payer, 'withdraw', [2n * ONE]);
    expect(await call.deposits(payer.account.address)).toBe(3n * ONE);
    expect(await call.balanceOf(payer.account.address)).toBe(2n * ONE);
    expect((await revertOf(call.ledger(payer, 'withdraw', [4n * ONE]))).name).toBe('InsufficientDeposit');
  });
});

describe('allocate', () => {
  it('holds two recipients’ points in one slot each, debits the payer and anchors the hashes', async () => {
    const id = uniqueId('ex');
    const key = chainKey(id);
    const [r1, r2] = [recipients[0]!.account.address, recipients[1]!.account.address];
    const depositBefore = await call.deposits(payerA.account.address);
    const ledgerBefore = await call.balanceOf(f.deployment.ledger);
    const recordHash = chainKey(`${id}/record`);

    const receipt = await call.ledger(operator, 'allocate', [
      key,
      recordHash,
      HOLD,
      [
        { payer: payerA.account.address, recipient: r1, amount: 7n * ONE },
        { payer: payerA.account.address, recipient: r2, amount: 3n * ONE },
      ],
      anchors(id),
    ]);
    const block = await f.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const releaseAt = block.timestamp + HOLD;

    expect(await call.allocationOf(key, payerA.account.address, r1)).toEqual([7n * ONE, releaseAt, STATUS.Allocated]);
    expect(await call.allocationOf(key, payerA.account.address, r2)).toEqual([3n * ONE, releaseAt, STATUS.Allocated]);
    expect(await call.deposits(payerA.account.address)).toBe(depositBefore - 10n * ONE);
    // Allocated, not transferred: the points stay in the ledger until release.
    expect(await call.balanceOf(f.deployment.ledger)).toBe(ledgerBefore);
    expect(await call.balanceOf(r1)).toBe(0n);

    const events = parseEventLogs({ abi: ledgerAbi, logs: receipt.logs }).map((l) => ({ name: l.eventName, args: l.args }));
    expect(events).toEqual([
      { name: 'ExchangeRecorded', args: { exchangeId: key, recordHash } },
      { name: 'NodeAnchored', args: { exchangeId: key, ...anchors(id)[0]! } },
      { name: 'NodeAnchored', args: { exchangeId: key, ...anchors(id)[1]! } },
      { name: 'Allocated', args: { exchangeId: key, payer: payerA.account.address, recipient: r1, amount: 7n * ONE, releaseAt } },
      { name: 'Allocated', args: { exchangeId: key, payer: payerA.account.address, recipient: r2, amount: 3n * ONE, releaseAt } },
    ]);
  });

  it('refuses an (exchange, payer, recipient) that was ever allocated, even within one call or after revoke', async () => {
    const key = chainKey(uniqueId('ex'));
    const recipient = recipients[2]!.account.address;
    const line = { payer: payerA.account.address, recipient, amount: ONE };
    await call.ledger(operator, 'allocate', [key, key, HOLD, [line], []]);

    const again = await revertOf(call.ledger(operator, 'allocate', [key, key, HOLD, [{ ...line, amount: 2n * ONE }], []]));
    expect(again).toEqual({ name: 'AllocationExists', args: { exchangeId: key, payer: line.payer, recipient } });

    const otherKey = chainKey(uniqueId('ex'));
    expect((await revertOf(call.ledger(operator, 'allocate', [otherKey, otherKey, HOLD, [line, line], []]))).name).toBe('AllocationExists');
    expect((await call.allocationOf(otherKey, line.payer, recipient))[2]).toBe(STATUS.None);

    await call.ledger(operator, 'revoke', [key, line.payer, recipient, 'wrong award']);
    expect((await revertOf(call.ledger(operator, 'allocate', [key, key, HOLD, [line], []]))).name).toBe('AllocationExists');

    // The same recipient in another exchange is a new allocation.
    await call.ledger(operator, 'allocate', [otherKey, otherKey, HOLD, [line], []]);
  });

  it('refuses a line its payer cannot cover, atomically', async () => {
    const payer = f.wallet(21);
    await fund(payer, 5n * ONE);
    const key = chainKey(uniqueId('ex'));
    const lines = [
      { payer: payer.account.address, recipient: recipients[0]!.account.address, amount: 4n * ONE },
      { payer: payer.account.address, recipient: recipients[1]!.account.address, amount: 2n * ONE },
    ];
    const refused = await revertOf(call.ledger(operator, 'allocate', [key, key, HOLD, lines, []]));
    expect(refused).toEqual({ name: 'InsufficientDeposit', args: { payer: payer.account.address, needed: String(2n * ONE), available: String(ONE) } });
    expect(await call.deposits(payer.account.address)).toBe(5n * ONE);
    expect((await call.allocationOf(key, payer.account.address, recipients[0]!.account.address))[2]).toBe(STATUS.None);
  });

  it('refuses zero amounts and the zero address as recipient', async () => {
    const key = chainKey(uniqueId('ex'));
    const payer = payerA.account.address;
    const zeroAmount = [{ payer, recipient: recipients[0]!.account.address, amount: 0n }];
    const zeroRecipient = [{ payer, recipient: '0x0000000000000000000000000000000000000000' as Address, amount: ONE }];
    expect((await revertOf(call.ledger(operator, 'allocate', [key, key, HOLD, zeroAmount, []]))).name).toBe('ZeroAmount');
    expect((await revertOf(call.ledger(operator, 'allocate', [key, key, HOLD, zeroRecipient, []]))).name).toBe('ZeroRecipient');
  });

  it('records the hashes alone when there is nothing to pay', async () => {
    const key = chainKey(uniqueId('ex'));
    const receipt = await call.ledger(operator, 'allocate', [key, chainKey('record'), HOLD, [], anchors('empty')]);
    expect(parseEventLogs({ abi: ledgerAbi, logs: receipt.logs }).map((l) => l.eventName)).toEqual([
      'ExchangeRecorded',
      'NodeAnchored',
      'NodeAnchored',
    ]);
  });

  it('is the operator’s alone, batched or not, and so is revoke', async () => {
    const key = chainKey(uniqueId('ex'));
    const line = { payer: payerA.account.address, recipient: recipients[0]!.account.address, amount: ONE };
    const outsider = f.wallet(22);
    expect((await revertOf(call.ledger(outsider, 'allocate', [key, key, HOLD, [line], []]))).name).toBe('AccessControlUnauthorizedAccount');
    // Not even the payer can allocate its own deposit: only the DVCT decides who is owed what.
    expect((await revertOf(call.ledger(payerA, 'allocate', [key, key, HOLD, [line], []]))).name).toBe('AccessControlUnauthorizedAccount');
    const batch = [{ exchangeId: key, recordHash: key, holdSeconds: HOLD, lines: [line], nodes: [] }];
    expect((await revertOf(call.ledger(outsider, 'allocateBatch', [batch]))).name).toBe('AccessControlUnauthorizedAccount');
    expect((await revertOf(call.ledger(payerA, 'allocateBatch', [batch]))).name).toBe('AccessControlUnauthorizedAccount');

    await call.ledger(operator, 'allocate', [key, key, HOLD, [line], []]);
    expect((await revertOf(call.ledger(outsider, 'revoke', [key, line.payer, line.recipient, 'x']))).name).toBe('AccessControlUnauthorizedAccount');
    expect((await revertOf(call.ledger(recipients[0]!, 'revoke', [key, line.payer, line.recipient, 'x']))).name).toBe(
      'AccessControlUnauthorizedAccount',
    );
  });
});

describe('revoke and release', () => {
  it('revoke returns the points to the payer’s deposit, once', async () => {
    const key = chainKey(uniqueId('ex'));
    const recipient = recipients[3]!.account.address;
    const before = await call.deposits(payerB.account.address);
    await call.ledger(operator, 'allocate', [key, key, HOLD, [{ payer: payerB.account.address, recipient, amount: 6n * ONE }], []]);
    expect(await call.deposits(payerB.account.address)).toBe(before - 6n * ONE);

    const receipt = await call.ledger(operator, 'revoke', [key, payerB.account.address, recipient, 'AI provider over-paid']);
    expect(await call.deposits(payerB.account.address)).toBe(before);
    expect(await call.allocationOf(key, payerB.account.address, recipient)).toMatchObject([6n * ONE, expect.any(BigInt), STATUS.Revoked]);
    const [revoked] = parseEventLogs({ abi: ledgerAbi, logs: receipt.logs, eventName: 'Revoked' });
    expect(revoked?.args).toEqual({ exchangeId: key, payer: payerB.account.address, recipient, amount: 6n * ONE, reason: 'AI provider over-paid' });

    expect((await revertOf(call.ledger(operator, 'revoke', [key, payerB.account.address, recipient, 'again']))).name).toBe('AlreadyRevoked');
    expect((await revertOf(call.ledger(operator, 'release', [key, [{ payer: payerB.account.address, recipient }]]))).name).toBe('AlreadyRevoked');
    const never = chainKey(uniqueId('ex'));
    expect((await revertOf(call.ledger(operator, 'revoke', [never, payerB.account.address, recipient, 'x']))).name).toBe('NotAllocated');
  });

  it('holds until the window ends; then the recipient itself can release, and nobody can revoke', async () => {
    const key = chainKey(uniqueId('ex'));
    const me = recipients[4]!;
    const someoneElse = recipients[5]!;
    const payer = payerA.account.address;
    const lines = [
      { payer, recipient: me.account.address, amount: 2n * ONE },
      { payer, recipient: someoneElse.account.address, amount: ONE },
    ];
    const receipt = await call.ledger(operator, 'allocate', [key, key, HOLD, lines, []]);
    const releaseAt = (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp + HOLD;

    const early = await revertOf(call.ledger(me, 'release', [key, [{ payer, recipient: me.account.address }]]));
    expect(early).toEqual({ name: 'StillHeld', args: { releaseAt: String(releaseAt) } });
    expect((await revertOf(call.ledger(operator, 'release', [key, [{ payer, recipient: me.account.address }]]))).name).toBe('StillHeld');

    await timeTravel(HOLD);
    // A recipient releases its own line, never another's.
    const foreign = await revertOf(call.ledger(me, 'release', [key, [{ payer, recipient: someoneElse.account.address }]]));
    expect(foreign).toEqual({ name: 'NotOperatorOrRecipient', args: { caller: me.account.address, recipient: someoneElse.account.address } });

    const ledgerBefore = await call.balanceOf(f.deployment.ledger);
    await call.ledger(me, 'release', [key, [{ payer, recipient: me.account.address }]]);
    expect(await call.balanceOf(me.account.address)).toBe(2n * ONE);
    expect(await call.balanceOf(f.deployment.ledger)).toBe(ledgerBefore - 2n * ONE);
    expect((await call.allocationOf(key, payer, me.account.address))[2]).toBe(STATUS.Released);

    expect((await revertOf(call.ledger(me, 'release', [key, [{ payer, recipient: me.account.address }]]))).name).toBe('AlreadyReleased');
    const late = await revertOf(call.ledger(operator, 'revoke', [key, payer, me.account.address, 'too late']));
    expect(late).toEqual({ name: 'AlreadyReleased', args: { exchangeId: key, payer, recipient: me.account.address } });

    // The operator may release any line.
    await call.ledger(operator, 'release', [key, [{ payer, recipient: someoneElse.account.address }]]);
    expect(await call.balanceOf(someoneElse.account.address)).toBe(ONE);
  });
});

describe('gas', () => {
  it('allocates two recipients with two node anchors for under 100k gas', async () => {
    const measure = async (recipientCount: number, payers: Wallet[]) => {
      const key = chainKey(uniqueId('gas'));
      const lines = recipients.slice(0, recipientCount).map((r, i) => ({
        payer: payers[i % payers.length]!.account.address,
        recipient: r.account.address,
        amount: BigInt(i + 1) * 1_234_567_890_123_456_789n,
      }));
      // Lines of one payer are grouped, as the TS layer sends them.
      lines.sort((a, b) => a.payer.localeCompare(b.payer));
      const receipt = await call.ledger(operator, 'allocate', [key, chainKey(`${key}/record`), HOLD, lines, anchors(key)]);
      return receipt.gasUsed;
    };
    const report = {
      '2 recipients, 1 payer': await measure(2, [payerA]),
      '2 recipients, 2 payers': await measure(2, [payerA, payerB]),
      '5 recipients, 1 payer': await measure(5, [payerA]),
      '10 recipients, 1 payer': await measure(10, [payerA]),
      '10 recipients, 2 payers': await measure(10, [payerA, payerB]),
    };
    console.log('allocate gas with 2 node anchors:', Object.fromEntries(Object.entries(report).map(([k, v]) => [k, Number(v)])));
    expect(report['2 recipients, 1 payer']).toBeLessThan(100_000n);
    expect(report['2 recipients, 2 payers']).toBeLessThan(100_000n);
    // One slot per line and nothing per recipient: cost grows linearly, about 30k a line.
    const perLine = (report['10 recipients, 1 payer'] - report['5 recipients, 1 payer']) / 5n;
    expect(perLine).toBeLessThan(30_000n);
  });
});
