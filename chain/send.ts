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
  finalityMs = 0,
): Promise<TransactionReceipt> {
  const signer = `${publicClient.chain.id}:${wallet.account.address.toLowerCase()}`;
  return runExclusive(signer, send).then(async (hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS });
    if (receipt.status !== 'success') throw new MinedRevertError(hash);
    if (finalityMs > 0) await confirmStillMined(publicClient, receipt, finalityMs);
    return receipt;
  });
}

/**
 * A receipt is not finality: a node that crashes before persisting its last blocks, or a reorg,
 * forgets the transaction. After `finalityMs` the transaction must still be in the same block;
 * otherwise ChainWriteLostError (retryable) — the step runs again, reads the chain, and sends anew.
 */
async function confirmStillMined(publicClient: PublicClient<Transport, Chain>, receipt: TransactionReceipt, finalityMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, finalityMs));
  const again = await publicClient.getTransactionReceipt({ hash: receipt.transactionHash }).catch(() => null);
  if (!again || again.blockHash !== receipt.blockHash) throw new ChainWriteLostError(receipt.transactionHash);
}

/** A mined transaction the chain no longer has (node restarted from older state, or a reorg). */
export class ChainWriteLostError extends DvctError {
  constructor(readonly txHash: Hex) {
    super('DEPENDENCY_UNAVAILABLE', `Transaction ${txHash} was mined but the chain no longer has it; the write is redone`, { txHash });
  }
}
