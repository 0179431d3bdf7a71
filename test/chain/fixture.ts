import {
  createTestClient,
  createWalletClient,
  http,
  toHex,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { createChainClients, type ChainClients } from '../../chain/clients';
import { ensureDeployment, type Deployment } from '../../chain/deployment';
import { Ledger } from '../../chain/ledger';
import { createLogger } from '../../lib/logger';
import { ANVIL_MNEMONIC, startAnvil, type AnvilProcess } from '../../scripts/services/anvil';

/**
 * A real anvil with freshly deployed contracts, shared by the chain and contract tests. Account 0
 * is the DVCT operator; the others are payers and recipients with their own wallets.
 */
export type Wallet = WalletClient<Transport, Chain, Account>;

export interface ChainFixture {
  anvil: AnvilProcess;
  operator: ChainClients;
  deployment: Deployment;
  ledger: Ledger;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<'anvil', Transport, Chain>;
  /** Anvil dev account `index` as a wallet (index 0 is the operator). */
  wallet(index: number): Wallet;
  stop(): Promise<void>;
}

export function devKey(index: number): Hex {
  const key = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`No private key for dev account ${index}`);
  return toHex(key);
}

export async function startChainFixture(): Promise<ChainFixture> {
  const anvil = await startAnvil({ accounts: 30 });
  try {
    const operator = await createChainClients({ rpcUrl: anvil.rpcUrl, signerKey: devKey(0), pollingIntervalMs: 50 });
    const deployment = await ensureDeployment({ clients: operator });
    const transport = http(anvil.rpcUrl);
    return {
      anvil,
      operator,
      deployment,
      ledger: new Ledger(operator, deployment, createLogger('chain-test', 'silent')),
      publicClient: operator.publicClient,
      testClient: createTestClient({ mode: 'anvil', chain: operator.chain, transport }),
      wallet: (index) =>
        createWalletClient({ chain: operator.chain, transport, account: mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index }), pollingInterval: 50 }),
      stop: () => anvil.stop(),
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}
