import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { inject } from 'vitest';
import { createChainClients, type ChainClients } from '../../chain/clients';
import { fundOnAnvil } from '../../scripts/services/anvil-balance';

/** Chain helpers for tests, on the suite's anvil (see global-setup.ts). */

/** Gives `address` ETH for gas. */
export function fund(address: Address): Promise<void> {
  return fundOnAnvil(inject('rpcUrl'), address);
}

/** A new random account with ETH for gas. */
export async function fundedAccount(): Promise<{ privateKey: Hex; account: PrivateKeyAccount }> {
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  await fund(account.address);
  return { privateKey, account };
}

/** Clients signing with `signerKey` (the suite's operator by default), polling fast as anvil mines at once. */
export function chainClients(signerKey: Hex = inject('signerKey')): Promise<ChainClients> {
  return createChainClients({ rpcUrl: inject('rpcUrl'), signerKey, pollingIntervalMs: 50 });
}
