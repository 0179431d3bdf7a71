import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, createWalletClient, http, type Address } from 'viem';
import { abi as ledgerAbi } from '../../contracts/artifacts/PointsLedger';
import { createChainClients } from '../../chain/clients';
import { chainKey } from '../../chain/ids';
import { Ledger, type AllocateInput } from '../../chain/ledger';
import { AllocationStillHeldError } from '../../chain/revert';
import { DvctError } from '../../domain/errors';
import { createLogger } from '../../lib/logger';
import { findFreePort } from '../../scripts/services/ports';
import { devKey, startChainFixture, type ChainFixture, type Wallet } from './fixture';

/** The TS Ledger against a real anvil: idempotent writes, conflict detection, error mapping. */
const ONE = 10n ** 18n;
const HOLD = 3_600;

let f: ChainFixture;
let payer: Wallet;
let orchestrator: Wallet;
let provider: Address;
let aiProvider: Address;
let counter = 0;

function exchange(lines: AllocateInput['lines'], holdSeconds = HOLD): AllocateInput {
  counter += 1;
  const exchangeId = `ex-client-${counter}`;
  return {
    exchangeId,
    recordHash: chainKey(`${exchangeId}/record`),
    holdSeconds,
    lines,
    nodes: [
      { nodeId: `${exchangeId}/in`, contentHash: chainKey(`${exchangeId}/in/content`) },
      { nodeId: `${exchangeId}/out`, contentHash: chainKey(`${exchangeId}/out/content`) },
    ],
  };
}

async function expectDvctError(call: Promise<unknown>, code: string): Promise<DvctError> {
  const err = await call.then(
    () => expect.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DvctError);
  expect((err as DvctError).code).toBe(code);
  return err as DvctError;
}

async function timeTravel(seconds: number) {
  await f.testClient.increaseTime({ seconds });
  await f.testClient.mine({ blocks: 1 });
}

beforeAll(async () => {
  f = await startChainFixture();
  payer = f.wallet(1);
  orchestrator = f.wallet(2);
  provider = f.wallet(3).account.address;
  aiProvider = f.wallet(4).account.address;
  for (const w of [payer, orchestrator]) {
    await f.ledger.mint(w.account.address, 1_000n * ONE);
    await f.ledger.depositFrom(w, 500n * ONE);
  }
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('Ledger.allocate', () => {
  it('sends one transaction however often it is called, and says so', async () => {
    const input = exchange([
      { payer: payer.account.address, recipient: provider, amount: 10n * ONE },
      { payer: orchestrator.account.address, recipient: aiProvider, amount: 4n * ONE },
    ]);
    const depositBefore = await f.ledger.depositOf(payer.account.address);

    // Two concurrent calls (a retried activity racing the original): both read "nothing yet", the
    // queue sends one, and the other learns from the chain's refusal that its work is done.
    const racing = await Promise.all([f.ledger.allocate(input), f.ledger.allocate(input)]);
    const first = racing.find((r) => !r.alreadyAllocated)!;
    const third = await f.ledger.allocate(input);

    expect(racing.filter((r) => r.alreadyAllocated)).toHaveLength(1);
    expect(first.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await f.publicClient.getTransactionReceipt({ hash: first.txHash! });
    const block = await f.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    expect(first.releaseAt).toBe(Number(block.timestamp) + HOLD);
    for (const again of [...racing.filter((r) => r !== first), third]) {
      expect(again).toEqual({ txHash: first.txHash, alreadyAllocated: true, releaseAt: first.releaseAt });
    }
    expect(await f.ledger.depositOf(payer.account.address)).toBe(depositBefore - 10n * ONE);

    const events = await f.ledger.getExchangeEvents(input.exchangeId);
    expect(events.map((e) => e.kind)).toEqual(['ExchangeRecorded', 'NodeAnchored', 'NodeAnchored', 'Allocated', 'Allocated']);
    expect(events[0]).toMatchObject({ exchangeKey: chainKey(input.exchangeId), recordHash: input.recordHash, txHash: first.txHash });
    expect(events[1]).toMatchObject({ nodeKey: chainKey(input.nodes[0]!.nodeId), contentHash: input.nodes[0]!.contentHash });
    expect(events[4]).toMatchObject({ payer: orchestrator.account.address, recipient: aiProvider, amount: 4n * ONE, releaseAt: first.releaseAt });

    expect(await f.ledger.readAllocations(input.exchangeId, input.lines)).toEqual([
      { payer: payer.account.address, recipient: provider, amount: 10n * ONE, releaseAt: first.releaseAt, status: 'allocated' },
      { payer: orchestrator.account.address, recipient: aiProvider, amount: 4n * ONE, releaseAt: first.releaseAt, status: 'allocated' },
    ]);
  });

  it('refuses with ALLOCATION_CONFLICT when the chain holds other amounts or other lines', async () => {
    const input = exchange([{ payer: payer.account.address, recipient: provider, amount: 5n * ONE }]);
    await f.ledger.allocate(input);

    const otherAmount = { ...input, lines: [{ ...input.lines[0]!, amount: 6n * ONE }] };
    const conflict = await expectDvctError(f.ledger.allocate(otherAmount), 'ALLOCATION_CONFLICT');
    expect(conflict.details).toMatchObject({ exchangeId: input.exchangeId, onChain: [{ amount: String(5n * ONE), status: 'allocated' }] });

    const moreLines = { ...input, lines: [...input.lines, { payer: payer.account.address, recipient: aiProvider, amount: ONE }] };
    await expectDvctError(f.ledger.allocate(moreLines), 'ALLOCATION_CONFLICT');
    expect((await f.ledger.readAllocations(input.exchangeId, moreLines.lines)).map((s) => s.status)).toEqual(['allocated', 'none']);
  });

  it('maps an uncovered line to INSUFFICIENT_DEPOSIT with the amounts, as JSON-safe details', async () => {
    const poor = f.wallet(5);
    await f.ledger.mint(poor.account.address, 2n * ONE);
    await f.ledger.depositFrom(poor, 2n * ONE);
    const err = await expectDvctError(
      f.ledger.allocate(exchange([{ payer: poor.account.address, recipient: provider, amount: 3n * ONE }])),
      'INSUFFICIENT_DEPOSIT',
    );
    expect(err.details).toMatchObject({
      operation: 'allocate',
      error: 'InsufficientDeposit',
      args: { payer: poor.account.address, needed: String(3n * ONE), available: String(2n * ONE) },
    });
    expect(() => JSON.stringify(err.details)).not.toThrow();
  });

  it('rejects malformed input before touching the chain', async () => {
    const line = { payer: payer.account.address, recipient: provider, amount: ONE };
    await expectDvctError(f.ledger.allocate(exchange([line, line])), 'VALIDATION_FAILED');
    await expectDvctError(f.ledger.allocate(exchange([{ ...line, amount: 0n }])), 'VALIDATION_FAILED');
    await expectDvctError(f.ledger.allocate(exchange([line], -1)), 'VALIDATION_FAILED');
  });

  it('records an exchange without lines once', async () => {
    const input = exchange([]);
    const first = await f.ledger.allocate(input);
    const again = await f.ledger.allocate(input);
    expect(first.alreadyAllocated).toBe(false);
    expect(again).toEqual({ txHash: first.txHash, alreadyAllocated: true, releaseAt: first.releaseAt });
    expect((await f.ledger.getExchangeEvents(input.exchangeId)).filter((e) => e.kind === 'ExchangeRecorded')).toHaveLength(1);
  });
});

describe('Ledger.release and Ledger.revoke', () => {
  it('release waits for the window (retryable), pays once, and skips revoked lines', async () => {
    const input = exchange([
      { payer: payer.account.address, recipient: provider, amount: 2n * ONE },
      { payer: orchestrator.account.address, recipient: aiProvider, amount: 3n * ONE },
    ]);
    await f.ledger.allocate(input);
    const [toProvider, toAi] = input.lines;

    const early = await f.ledger.release(input.exchangeId, input.lines).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(AllocationStillHeldError);
    expect(early).not.toBeInstanceOf(DvctError);

    const revoked = await f.ledger.revoke(input.exchangeId, toAi!.payer, toAi!.recipient, 'AI provider was over-paid');
    expect(revoked).toMatchObject({ alreadyRevoked: false, amount: 3n * ONE });
    expect(await f.ledger.revoke(input.exchangeId, toAi!.payer, toAi!.recipient, 'again')).toEqual({
      txHash: null,
      alreadyRevoked: true,
      amount: 3n * ONE,
    });

    await timeTravel(HOLD);
    const providerBefore = await f.ledger.tokenBalanceOf(provider);
    const released = await f.ledger.release(input.exchangeId, input.lines);
    expect(released.txHash).not.toBeNull();
    expect(released.released).toEqual([{ payer: toProvider!.payer, recipient: toProvider!.recipient }]);
    expect(released.revoked).toEqual([{ payer: toAi!.payer, recipient: toAi!.recipient }]);
    expect(await f.ledger.tokenBalanceOf(provider)).toBe(providerBefore + 2n * ONE);

    const again = await f.ledger.release(input.exchangeId, input.lines);
    expect(again).toEqual({ txHash: null, released: [], alreadyReleased: released.released, revoked: released.revoked });
    expect(await f.ledger.tokenBalanceOf(provider)).toBe(providerBefore + 2n * ONE);

    await expectDvctError(f.ledger.revoke(input.exchangeId, toProvider!.payer, toProvider!.recipient, 'too late'), 'ALLOCATION_RELEASED');
  });

  it('release picks up a line its recipient released in the meantime', async () => {
    const recipient = f.wallet(6);
    const input = exchange(
      [
        { payer: payer.account.address, recipient: recipient.account.address, amount: ONE },
        { payer: payer.account.address, recipient: provider, amount: ONE },
      ],
      0,
    );
    await f.ledger.allocate(input);
    const { transactionHash } = await f.publicClient.waitForTransactionReceipt({
      hash: await recipient.writeContract({
        address: f.deployment.ledger,
        abi: ledgerAbi,
        functionName: 'release',
        args: [chainKey(input.exchangeId), [{ payer: payer.account.address, recipient: recipient.account.address }]],
      }),
    });
    expect(transactionHash).toBeTruthy();
    const result = await f.ledger.release(input.exchangeId, input.lines);
    expect(result.released).toEqual([{ payer: payer.account.address, recipient: provider }]);
    expect(result.alreadyReleased).toEqual([{ payer: payer.account.address, recipient: recipient.account.address }]);
  });

  it('two concurrent revokes of one line: one transaction, the other reports alreadyRevoked', async () => {
    const input = exchange([{ payer: payer.account.address, recipient: provider, amount: ONE }]);
    await f.ledger.allocate(input);
    const depositBefore = await f.ledger.depositOf(payer.account.address);
    const results = await Promise.all([
      f.ledger.revoke(input.exchangeId, payer.account.address, provider, 'wrong award'),
      f.ledger.revoke(input.exchangeId, payer.account.address, provider, 'wrong award'),
    ]);
    expect(results.map((r) => r.alreadyRevoked).sort()).toEqual([false, true]);
    expect(results.filter((r) => r.txHash !== null)).toHaveLength(1);
    expect(await f.ledger.depositOf(payer.account.address)).toBe(depositBefore + ONE);
  });

  it('release and revoke of a line that was never allocated is NOT_FOUND', async () => {
    const key = { payer: payer.account.address, recipient: provider };
    await expectDvctError(f.ledger.release('ex-never', [key]), 'NOT_FOUND');
    await expectDvctError(f.ledger.revoke('ex-never', key.payer, key.recipient, 'x'), 'NOT_FOUND');
  });
});

describe('Ledger errors and grants', () => {
  it('a signer without OPERATOR_ROLE gets CHAIN_REVERTED naming the access error', async () => {
    const outsider = await createChainClients({ rpcUrl: f.anvil.rpcUrl, signerKey: devKey(7), pollingIntervalMs: 50 });
    const ledger = new Ledger(outsider, f.deployment, createLogger('chain-test', 'silent'));
    const err = await expectDvctError(
      ledger.allocate(exchange([{ payer: payer.account.address, recipient: provider, amount: ONE }])),
      'CHAIN_REVERTED',
    );
    expect(err.details).toMatchObject({ error: 'AccessControlUnauthorizedAccount', args: { account: outsider.account.address } });
    expect(err.retryable).toBe(false);
  });

  it('an unreachable node stays a plain, retryable error', async () => {
    const transport = http(`http://127.0.0.1:${await findFreePort()}`, { retryCount: 0 });
    const { chain, account } = f.operator;
    const unreachable = {
      ...f.operator,
      publicClient: createPublicClient({ chain, transport }),
      walletClient: createWalletClient({ chain, transport, account }),
    };
    const ledger = new Ledger(unreachable, f.deployment, createLogger('chain-test', 'silent'));
    const err = await ledger.allocate(exchange([{ payer: payer.account.address, recipient: provider, amount: ONE }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DvctError);
  });

  it('mintOnce grants once per grant id', async () => {
    const newcomer = f.wallet(8).account.address;
    const before = await f.ledger.tokenBalanceOf(newcomer);
    const first = await f.ledger.mintOnce('onboarding:newcomer', newcomer, 100n * ONE);
    const again = await f.ledger.mintOnce('onboarding:newcomer', newcomer, 100n * ONE);
    expect(first.txHash).not.toBeNull();
    expect(again).toEqual({ txHash: null });
    expect(await f.ledger.tokenBalanceOf(newcomer)).toBe(before + 100n * ONE);
  });

  it('a permit deposit submitted by the DVCT credits the payer', async () => {
    const owner = f.wallet(9);
    await f.ledger.mint(owner.account.address, 10n * ONE);
    // Deadlines are chain time, which earlier tests moved ahead of the wall clock.
    const { timestamp } = await f.publicClient.getBlock();
    const permit = await f.ledger.signDepositPermit(owner, 4n * ONE, timestamp + 600n);
    const ledgerBefore = await f.ledger.ledgerTokenBalance();
    await f.ledger.depositWithPermit(permit);
    expect(await f.ledger.depositOf(owner.account.address)).toBe(4n * ONE);
    expect(await f.ledger.ledgerTokenBalance()).toBe(ledgerBefore + 4n * ONE);
    await expectDvctError(f.ledger.depositWithPermit(permit), 'CHAIN_REVERTED');
  });
});
