import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { chainKey } from '../../chain/ids';
import { startChainFixture, type ChainFixture, type Wallet } from '../chain/fixture';
import { contractCalls } from './calls';
import { revertOf } from './helpers';
import { LedgerModel, type GeneratedOp, type Op, type Target } from './ledger-model';

/**
 * Random sequences of deposits, withdrawals, allocations, revocations, releases (alone and in
 * batches of several exchanges) and time travel
 * by several payers and recipients, against the real contract on anvil. After every step the
 * chain must equal the model, every revert must be the one the model predicted, and the ledger
 * must hold exactly the deposits plus the allocations not yet released or revoked.
 */
const PAYERS = 2;
const RECIPIENTS = 3;
const EXCHANGES = 2;
const INITIAL_BALANCE = 1_000n;
// Holds and jumps are far apart, so the seconds that pass while the test runs never decide a release.
const HOLDS = [0, 1_000, 5_000];
const JUMP = 2_000;
const STATUS_NAMES = ['none', 'allocated', 'released', 'revoked'] as const;

const payerIx = fc.nat({ max: PAYERS - 1 });
const recipientIx = fc.nat({ max: RECIPIENTS - 1 });
const exchangeIx = fc.nat({ max: EXCHANGES - 1 });
const withZero = (max: bigint) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(0n) }, { weight: 12, arbitrary: fc.bigInt({ min: 1n, max }) });
const amount = withZero(600n);
const lineAmount = withZero(150n);

const target: fc.Arbitrary<Target> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ existing: fc.nat({ max: 1_000 }) }) },
  { weight: 1, arbitrary: fc.record({ exchange: exchangeIx, payer: payerIx, recipient: recipientIx }) },
);

const allocateArb = fc.record({
  kind: fc.constant('allocate' as const),
  exchange: exchangeIx,
  hold: fc.constantFrom(...HOLDS),
  lines: fc.array(fc.record({ payer: payerIx, recipient: recipientIx, amount: lineAmount }), { minLength: 0, maxLength: 3 }),
});
const releaseEntryArb = fc.record({ exchange: exchangeIx, targets: fc.array(target, { minLength: 1, maxLength: 2 }) });
const releaser = fc.oneof({ weight: 3, arbitrary: fc.constant('operator' as const) }, { weight: 1, arbitrary: recipientIx });

const opArb: fc.Arbitrary<GeneratedOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deposit' as const), payer: payerIx, amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), payer: payerIx, amount }) },
  { weight: 3, arbitrary: allocateArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('allocateBatch' as const), entries: fc.array(allocateArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revoke' as const), target }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), exchange: exchangeIx, targets: releaseEntryArb.map((r) => r.targets), by: releaser }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('releaseBatch' as const), entries: fc.array(releaseEntryArb, { minLength: 1, maxLength: 3 }), by: releaser }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'timeTravel' as const, seconds: JUMP }) },
);

let f: ChainFixture;
let call: ReturnType<typeof contractCalls>;
let operator: Wallet;
let payers: Wallet[];
let recipients: Wallet[];
let snapshot: Hex;
let steps = 0;
const revertsSeen = new Map<string, number>();

beforeAll(async () => {
  f = await startChainFixture();
  call = contractCalls(f);
  operator = f.operator.walletClient;
  payers = Array.from({ length: PAYERS }, (_, i) => f.wallet(1 + i));
  recipients = Array.from({ length: RECIPIENTS }, (_, i) => f.wallet(1 + PAYERS + i));
  for (const p of payers) {
    await call.token(operator, 'mint', [p.account.address, INITIAL_BALANCE]);
    await call.token(p, 'approve', [f.deployment.ledger, 2n ** 255n]);
  }
  snapshot = await f.testClient.snapshot();
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

const exchangeKey = (i: number) => chainKey(`invariant-exchange-${i}`);
const payerAddr = (i: number) => payers[i]!.account.address;
const recipientAddr = (i: number) => recipients[i]!.account.address;

type AllocateEntry = Extract<Op, { kind: 'allocate' }>;
type ReleaseEntry = Extract<Op, { kind: 'release' }>;

function allocation(op: AllocateEntry) {
  return {
    exchangeId: exchangeKey(op.exchange),
    recordHash: exchangeKey(op.exchange),
    holdSeconds: BigInt(op.hold),
    lines: op.lines.map((l) => ({ payer: payerAddr(l.payer), recipient: recipientAddr(l.recipient), amount: l.amount })),
    nodes: [],
  };
}

function releaseOf(op: Pick<ReleaseEntry, 'exchange' | 'keys'>) {
  return { exchangeId: exchangeKey(op.exchange), keys: op.keys.map((k) => ({ payer: payerAddr(k.payer), recipient: recipientAddr(k.recipient) })) };
}

const releaserOf = (by: 'operator' | number) => (by === 'operator' ? operator : recipients[by]!);

function execute(op: Op): Promise<unknown> {
  switch (op.kind) {
    case 'deposit':
      return call.ledger(payers[op.payer]!, 'deposit', [op.amount]);
    case 'withdraw':
      return call.ledger(payers[op.payer]!, 'withdraw', [op.amount]);
    case 'allocate': {
      const a = allocation(op);
      return call.ledger(operator, 'allocate', [a.exchangeId, a.recordHash, a.holdSeconds, a.lines, a.nodes]);
    }
    case 'allocateBatch':
      return call.ledger(operator, 'allocateBatch', [op.entries.map(allocation)]);
    case 'revoke':
      return call.ledger(operator, 'revoke', [exchangeKey(op.exchange), payerAddr(op.payer), recipientAddr(op.recipient), 'model']);
    case 'release': {
      const r = releaseOf(op);
      return call.ledger(releaserOf(op.by), 'release', [r.exchangeId, r.keys]);
    }
    case 'releaseBatch':
      return call.ledger(releaserOf(op.by), 'releaseBatch', [op.entries.map(releaseOf)]);
    case 'timeTravel':
      return f.testClient.increaseTime({ seconds: op.seconds }).then(() => f.testClient.mine({ blocks: 1 }));
  }
}

async function expectChainMatches(model: LedgerModel, context: string) {
  const [ledgerBalance, deposits, payerBalances, recipientBalances] = await Promise.all([
    call.balanceOf(f.deployment.ledger),
    Promise.all(payers.map((p) => call.deposits(p.account.address))),
    Promise.all(payers.map((p) => call.balanceOf(p.account.address))),
    Promise.all(recipients.map((r) => call.balanceOf(r.account.address))),
  ]);
  const cells = [];
  for (let e = 0; e < EXCHANGES; e++)
    for (let p = 0; p < PAYERS; p++)
      for (let r = 0; r < RECIPIENTS; r++) cells.push({ e, p, r, onChain: call.allocationOf(exchangeKey(e), payerAddr(p), recipientAddr(r)) });
  const allocations = await Promise.all(cells.map((c) => c.onChain));

  expect(deposits, `deposits ${context}`).toEqual(model.deposits);
  expect(payerBalances, `payer balances ${context}`).toEqual(model.payerBalances);
  expect(recipientBalances, `recipient balances ${context}`).toEqual(model.recipientBalances);
  let outstandingOnChain = 0n;
  cells.forEach((c, i) => {
    const [amount, , status] = allocations[i]!;
    const expected = model.allocation(c.e, c.p, c.r);
    expect({ amount, status: STATUS_NAMES[status] }, `allocation ${c.e}/${c.p}/${c.r} ${context}`).toEqual({
      amount: expected.amount,
      status: expected.status,
    });
    if (STATUS_NAMES[status] === 'allocated') outstandingOnChain += amount;
  });
  const sumDeposits = deposits.reduce((a, b) => a + b, 0n);
  expect(ledgerBalance, `ledger balance vs chain state ${context}`).toBe(sumDeposits + outstandingOnChain);
  expect(ledgerBalance, `ledger balance vs model ${context}`).toBe(model.deposits.reduce((a, b) => a + b, 0n) + model.outstanding());
}

describe('PointsLedger invariant', () => {
  it('holds exactly the deposits plus the outstanding allocations after every step of random runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 40, maxLength: 80 }), async (ops) => {
        await f.testClient.revert({ id: snapshot });
        snapshot = await f.testClient.snapshot();
        const model = new LedgerModel(PAYERS, RECIPIENTS, INITIAL_BALANCE);
        for (const [i, generated] of ops.entries()) {
          const op = model.resolve(generated);
          const predicted = model.apply(op);
          const context = `after step ${i} ${JSON.stringify(op, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
          if (predicted) {
            expect((await revertOf(execute(op))).name, context).toBe(predicted);
            revertsSeen.set(predicted, (revertsSeen.get(predicted) ?? 0) + 1);
          } else {
            await execute(op);
          }
          steps += 1;
          await expectChainMatches(model, context);
        }
      }),
      { numRuns: 10 },
    );
    console.log(`invariant: ${steps} steps; reverts predicted and seen:`, Object.fromEntries(revertsSeen));
    expect(steps).toBeGreaterThanOrEqual(400);
    // The runs must exercise the refusals, not only the happy path.
    for (const name of ['AllocationExists', 'InsufficientDeposit', 'StillHeld', 'AlreadyReleased', 'AlreadyRevoked', 'NotAllocated']) {
      expect(revertsSeen.get(name) ?? 0, name).toBeGreaterThan(0);
    }
  }, 300_000);
});
