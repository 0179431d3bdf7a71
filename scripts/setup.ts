import { resolve } from 'node:path';
import type { ChainClients } from '../chain/clients';
import { ensureDeployment, type Deployment } from '../chain/deployment';
import type { Config } from '../config/config';
import { migrateToLatest, openOrm } from '../db/orm';

/**
 * What must exist before the worker and the API start: the database schema and the contracts.
 * `npm start` runs these for the embedded default; `scripts/prepare.ts` for any other deployment.
 */

export async function migrateDatabase(database: Config['database']): Promise<void> {
  const orm = await openOrm(database);
  try {
    await migrateToLatest(orm);
  } finally {
    await orm.close();
  }
}

/**
 * Deploys the token and ledger once and records them in DVCT_DEPLOYMENT_FILE (a re-run reuses a
 * live deployment). Nothing to do, and undefined, when TOKEN_ADDRESS and LEDGER_ADDRESS name them.
 */
export async function ensureContracts(chain: Config['chain'], clients: ChainClients): Promise<Deployment | undefined> {
  if (chain.tokenAddress && chain.ledgerAddress) return undefined;
  return ensureDeployment({ clients, file: resolve(chain.deploymentFile) });
}
