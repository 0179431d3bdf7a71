import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address } from 'viem';
import { abi as ledgerAbi, bytecode as ledgerBytecode } from '../../contracts/artifacts/PointsLedger';
import { abi as tokenAbi } from '../../contracts/artifacts/IncentiveToken';
import type { DepositPermit } from '../../chain/permit';
import { signDepositPermit } from '../../chain/permit';
import { submitTransaction } from '../../chain/send';
import { startChainFixture, type ChainFixture, type Wallet } from '../chain/fixture';
import { contractCalls } from './calls';
import { ONE, revertOf } from './helpers';

/**
 * A deposit permit is bound to the ledger it was signed for. Two PointsLedger deployments share
 * one token (another pool, another dataspace, or a copy deployed by an attacker): a payer's permit
 * for one funds only that one, the other refuses it, and nobody can turn it into an allowance for
 * a spender of their choosing by calling the token directly. A refused attempt spends nothing, so
 * the permit still works where it was meant to.
 */
let f: ChainFixture;
let call: ReturnType<typeof contractCalls>;
let operator: Wallet;
/** A second ledger on the same token. */
let otherLedger: Address;

async function depositWithPermitAt(ledger: Address, submitter: Wallet, permit: DepositPermit) {
  return submitTransaction(f.publicClient, submitter, () =>
    submitter.writeContract({ address: ledger, abi: ledgerAbi, functionName: 'depositWithPermit', args: [permit.owner, permit.amount, permit.deadline, permit.v, permit.r, permit.s] }),
  );
}

const depositAt = (ledger: Address, payer: Address) => f.publicClient.readContract({ address: ledger, abi: ledgerAbi, functionName: 'deposits', args: [payer] });
const allowance = (owner: Address, spender: Address) => f.publicClient.readContract({ address: f.deployment.token, abi: tokenAbi, functionName: 'allowance', args: [owner, spender] });
const nonce = (owner: Address) => f.publicClient.readContract({ address: f.deployment.token, abi: tokenAbi, functionName: 'nonces', args: [owner] });

async function permitFor(owner: Wallet, ledger: Address, amount: bigint): Promise<DepositPermit> {
  const latest = await f.publicClient.getBlock();
  return signDepositPermit({ publicClient: f.publicClient, ownerWallet: owner, token: f.deployment.token, ledger, amount, deadline: latest.timestamp + 3_600n });
}

beforeAll(async () => {
  f = await startChainFixture();
  call = contractCalls(f);
  operator = f.operator.walletClient;
  const deployed = await submitTransaction(f.publicClient, operator, () =>
    operator.deployContract({ abi: ledgerAbi, bytecode: ledgerBytecode, args: [f.deployment.token, operator.account.address] }),
  );
  otherLedger = deployed.contractAddress!;
  expect(otherLedger).not.toBe(f.deployment.ledger);
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('deposit permits are bound to their ledger', () => {
  it('a permit signed for this ledger funds neither another ledger nor a third party, and still works here', async () => {
    const payer = f.wallet(3);
    const thief = f.wallet(4);
    await call.token(operator, 'mint', [payer.account.address, 10n * ONE]);
    const permit = await permitFor(payer, f.deployment.ledger, 5n * ONE);

    // Submitted to the other ledger (by anyone, its operator included): the token checks the permit
    // against that ledger as spender, the signature does not match, no allowance exists.
    expect((await revertOf(depositWithPermitAt(otherLedger, thief, permit))).name).toBe('InvalidPermit');
    expect((await revertOf(depositWithPermitAt(otherLedger, operator, permit))).name).toBe('InvalidPermit');
    expect(await depositAt(otherLedger, payer.account.address)).toBe(0n);

    // Straight to the token with the spender changed to the thief: not the payer's signature.
    const asThief = () =>
      submitTransaction(f.publicClient, thief, () =>
        thief.writeContract({
          address: f.deployment.token,
          abi: tokenAbi,
          functionName: 'permit',
          args: [payer.account.address, thief.account.address, permit.amount, permit.deadline, permit.v, permit.r, permit.s],
        }),
      );
    expect((await revertOf(asThief())).name).toBe('ERC2612InvalidSigner');
    expect(await allowance(payer.account.address, thief.account.address)).toBe(0n);
    expect(await allowance(payer.account.address, otherLedger)).toBe(0n);
    expect(await call.balanceOf(payer.account.address)).toBe(10n * ONE);

    // Nothing was spent: the permit's nonce is still unused, and here it deposits, for the payer.
    expect(await nonce(payer.account.address)).toBe(0n);
    await depositWithPermitAt(f.deployment.ledger, thief, permit);
    expect(await call.deposits(payer.account.address)).toBe(5n * ONE);
    expect(await call.balanceOf(payer.account.address)).toBe(5n * ONE);
    expect(await depositAt(otherLedger, thief.account.address)).toBe(0n);
  });

  it('a permit signed for another ledger cannot fund this one', async () => {
    const payer = f.wallet(5);
    await call.token(operator, 'mint', [payer.account.address, 10n * ONE]);
    const elsewhere = await permitFor(payer, otherLedger, 4n * ONE);

    expect((await revertOf(call.ledger(operator, 'depositWithPermit', [elsewhere.owner, elsewhere.amount, elsewhere.deadline, elsewhere.v, elsewhere.r, elsewhere.s]))).name).toBe(
      'InvalidPermit',
    );
    expect(await call.deposits(payer.account.address)).toBe(0n);
    expect(await allowance(payer.account.address, f.deployment.ledger)).toBe(0n);

    // It was a good permit all along: the ledger it names takes it.
    await depositWithPermitAt(otherLedger, operator, elsewhere);
    expect(await depositAt(otherLedger, payer.account.address)).toBe(4n * ONE);
    expect(await call.deposits(payer.account.address)).toBe(0n);
    expect(await call.balanceOf(payer.account.address)).toBe(6n * ONE);
  });
});
