import type { Account, Chain, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from 'viem';
import { DvctError } from '../domain/errors';
import { runExclusive } from './signer-queue';

/** A transaction that was mined but reverted (state changed between estimation and inclusion). */
export class MinedRevertError extends DvctError {
  constructor(readonly txHash: Hex) {
    super('CHAIN_REVERTED', `Transaction ${txHash} was mined but reverted`, { txHash });
  }
}

/** A receipt later than this fails the write; the caller's retry then reads the chain before resending. */
const RECEIPT_TIMEOUT_MS = 120_000;

/**
 * Sends one transaction of `wallet` and waits for its receipt. Sends of one signer are serialised
 * in this process (each picks the next nonce from the node's pending count once the previous one
 * is broadcast); the receipts are awaited side by side, so writes pipeline instead of each waiting
 * for the one before it to be mined. `send` is where viem estimates gas, so a revert surfaces
 * there, decoded, before anything is broadcast; a revert at mining (state changed between
 * estimation and inclusion) is MinedRevertError, and the caller's retry reads the chain first.
 */
export function submitTransaction(
  publicClient: PublicClient<Transport, Chain>,
  wallet: WalletClient<Transport, Chain, Account>,
  send: () => Promise<Hex>,
): Promise<TransactionReceipt> {
  const signer = `${publicClient.chain.id}:${wallet.account.address.toLowerCase()}`;
  return runExclusive(signer, send).then(async (hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS });
    if (receipt.status !== 'success') throw new MinedRevertError(hash);
    return receipt;
  });
}
