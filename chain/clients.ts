import { readFileSync } from 'node:fs';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Config } from '../config/config';

/** viem clients for one EVM node and the DVCT operator signer. */
export interface ChainClients {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
  account: PrivateKeyAccount;
  chain: Chain;
  /** How long after a receipt a write is checked again before it counts (CHAIN_FINALITY_MS). */
  finalityMs: number;
  /** How long an allocation or release waits for others to share its transaction (CHAIN_BATCH_WINDOW_MS). */
  batchWindowMs: number;
}

export interface ChainClientOptions {
  rpcUrl: string;
  signerKey: Hex;
  /** How often to poll for receipts and blocks; local chains want less than viem's 4 s default. */
  pollingIntervalMs?: number;
  /** See ChainClients.finalityMs; default 0 (a receipt is final). */
  finalityMs?: number;
  /** See ChainClients.batchWindowMs; default 0 (every write its own transaction). */
  batchWindowMs?: number;
}

/** Most JSON-RPC providers accept batches of 100 calls or more. */
const RPC_BATCH_SIZE = 50;

/** The chain id comes from the node itself, so one code path serves anvil, testnets and Polygon. */
export async function createChainClients(opts: ChainClientOptions): Promise<ChainClients> {
  const probe = createPublicClient({ transport: http(opts.rpcUrl) });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `EVM chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [opts.rpcUrl] } },
  });
  // Requests made in the same tick (receipt polls and reads of many runs in flight) travel as one
  // JSON-RPC batch: one HTTP round trip instead of dozens. Bounded, as public RPCs cap batch sizes.
  const transport = http(opts.rpcUrl, { batch: { batchSize: RPC_BATCH_SIZE, wait: 0 } });
  const account = privateKeyToAccount(opts.signerKey);
  const pollingInterval = opts.pollingIntervalMs ?? 1_000;
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval }),
    walletClient: createWalletClient({ chain, transport, account, pollingInterval }),
    account,
    chain,
    finalityMs: opts.finalityMs ?? 0,
    batchWindowMs: opts.batchWindowMs ?? 0,
  };
}

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;

/** The operator key from CHAIN_SIGNER_KEY, else from the file CHAIN_SIGNER_KEY_FILE names. */
export function loadSignerKey(chain: Pick<Config['chain'], 'signerKey' | 'signerKeyFile'>): Hex {
  if (chain.signerKey) return chain.signerKey as Hex;
  let content: string;
  try {
    content = readFileSync(chain.signerKeyFile, 'utf8').trim();
  } catch (err) {
    throw new Error(
      `No chain signer key: set CHAIN_SIGNER_KEY, or put the key in the file CHAIN_SIGNER_KEY_FILE names ` +
        `(${chain.signerKeyFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  // The message never echoes the content: it may be a key with a typo.
  if (!PRIVATE_KEY.test(content)) {
    throw new Error(`${chain.signerKeyFile} (CHAIN_SIGNER_KEY_FILE) does not hold a 0x-prefixed 32-byte hex key`);
  }
  return content as Hex;
}
