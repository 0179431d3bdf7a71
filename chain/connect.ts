import type { Config } from '../config/config';
import type { Logger } from '../lib/logger';
import { createChainClients, loadSignerKey, type ChainClients } from './clients';
import { readDeployment } from './deployment';
import { Ledger } from './ledger';

/** What a worker or script needs to talk to the chain: the configured signer and the deployed contracts. */
export async function connectLedger(config: Config, log?: Logger): Promise<{ clients: ChainClients; ledger: Ledger }> {
  const contracts = readDeployment(config.chain);
  const clients = await createChainClients({
    rpcUrl: config.chain.rpcUrl,
    signerKey: loadSignerKey(config.chain),
    pollingIntervalMs: config.chain.pollingIntervalMs,
    finalityMs: config.chain.finalityMs,
    batchWindowMs: config.chain.batchWindowMs,
  });
  if (contracts.chainId !== undefined && contracts.chainId !== clients.chain.id) {
    throw new Error(
      `${config.chain.deploymentFile} records chain ${contracts.chainId} but ${config.chain.rpcUrl} is chain ${clients.chain.id}: ` +
        'point CHAIN_RPC_URL at the chain the contracts are on, or deploy again',
    );
  }
  return { clients, ledger: new Ledger(clients, contracts, log) };
}
