import { expect } from 'vitest';
import type { Address } from 'viem';
import { pointsToUnits } from '../../domain/amounts';
import { chainSubjectOf } from '../../domain/workflow-ids';
import type { Stack } from './stack';

/**
 * The books of one exchange balance: every allocation the database records, in every round, is
 * on chain with the same status and amount, and what stands per (payer, recipient) — allocated or
 * released, all rounds — is exactly `standing` (points; pairs left out stand at zero).
 */
export async function expectBooksBalance(stack: Stack, exchangeId: string, standing: Record<string, number | string>): Promise<void> {
  const rows = await stack.db.store.getAllocations(exchangeId);
  const wallets = new Map((await stack.db.store.getParticipants([...new Set(rows.flatMap((r) => [r.payerId, r.recipientId]))])).map((p) => [p.id, p.walletAddress as Address]));
  const totals = new Map<string, bigint>();
  for (const row of rows) {
    const [state] = await stack.ledger.readAllocations(chainSubjectOf(exchangeId, row.round), [
      { payer: wallets.get(row.payerId)!, recipient: wallets.get(row.recipientId)! },
    ]);
    expect({ round: row.round, pair: `${row.payerId}>${row.recipientId}`, status: state!.status, amount: state!.amount.toString() }).toEqual({
      round: row.round,
      pair: `${row.payerId}>${row.recipientId}`,
      status: row.status,
      amount: row.amount,
    });
    if (row.status !== 'revoked') totals.set(`${row.payerId}>${row.recipientId}`, (totals.get(`${row.payerId}>${row.recipientId}`) ?? 0n) + BigInt(row.amount));
  }
  const expected = Object.fromEntries(Object.entries(standing).map(([pair, points]) => [pair, pointsToUnits(points).toString()]));
  const actual = Object.fromEntries([...totals].filter(([, amount]) => amount > 0n).map(([pair, amount]) => [pair, amount.toString()]));
  expect(actual).toEqual(expected);
}

/**
 * The ledger's invariant, seen from the DVCT's books: the ledger holds exactly the payers'
 * deposits plus every allocation still held (in any round of the given exchanges). Nothing created,
 * nothing lost, whatever the path through detection, rollback and correction.
 */
export async function expectLedgerInvariant(stack: Stack, payerWallets: readonly Address[], exchangeIds: readonly string[]): Promise<void> {
  const deposits = await Promise.all(payerWallets.map((w) => stack.ledger.depositOf(w)));
  let held = 0n;
  for (const id of exchangeIds) {
    for (const row of await stack.db.store.getAllocations(id)) if (row.status === 'allocated') held += BigInt(row.amount);
  }
  const ledgerBalance = await stack.ledger.tokenBalanceOf(stack.deployment.ledger);
  expect(ledgerBalance).toBe(deposits.reduce((a, b) => a + b, 0n) + held);
}

/** The token balances of these wallets now, to compare with after a release. */
export async function walletBalances(stack: Stack, members: readonly { id: string; wallet: Address }[]): Promise<Map<string, bigint>> {
  return new Map(await Promise.all(members.map(async (m) => [m.id, await stack.ledger.tokenBalanceOf(m.wallet)] as const)));
}

/**
 * What the release paid out reached the recipients' wallets: since `before`, each wallet gained
 * exactly `gains` (points; members left out gained nothing) — not only what the ledger says it
 * released, but what the ERC-20 token moved.
 */
export async function expectWalletGains(
  stack: Stack,
  members: readonly { id: string; wallet: Address }[],
  before: Map<string, bigint>,
  gains: Record<string, number | string>,
): Promise<void> {
  const after = await walletBalances(stack, members);
  const actual = Object.fromEntries(members.map((m) => [m.id, (after.get(m.id)! - before.get(m.id)!).toString()]));
  const expected = Object.fromEntries(members.map((m) => [m.id, pointsToUnits(gains[m.id] ?? 0).toString()]));
  expect(actual).toEqual(expected);
}
