import { createChainClients, loadSignerKey } from '../chain/clients';
import { loadConfig } from '../config/config';
import { ensureContracts, migrateDatabase } from './setup';

/**
 * One-shot preparation for a deployment that is not `npm start` (docker-compose's `init` service):
 * migrates the configured database and deploys the contracts if needed. Run it before the worker
 * and the API; running it again is harmless.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await migrateDatabase(config.database);
  console.log(`database migrated (${config.database.kind})`);

  const clients = await createChainClients({ rpcUrl: config.chain.rpcUrl, signerKey: loadSignerKey(config.chain) });
  const deployment = await ensureContracts(config.chain, clients);
  console.log(
    deployment
      ? `contracts: token ${deployment.token}, ledger ${deployment.ledger} (chain ${deployment.chainId}), recorded in ${config.chain.deploymentFile}`
      : `contracts: TOKEN_ADDRESS ${config.chain.tokenAddress} and LEDGER_ADDRESS ${config.chain.ledgerAddress} as configured`,
  );
}

main().catch((err: unknown) => {
  console.error(`Preparation failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
