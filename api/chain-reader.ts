import { createPublicClient, erc20Abi, http, isAddress, type Address } from 'viem';
import { readDeployment } from '../chain/deployment';
import type { Config } from '../config/config';
import { DvctError } from '../domain/errors';

/** What /health reports per component. */
export interface ComponentHealth {
  ok: boolean;
  detail: string;
}

/**
 * The API's read-only view of the chain: no signer, no writes (only the worker writes to the
 * chain). The token address comes from TOKEN_ADDRESS or the deployment file the deploy step
 * writes; it is looked up on first use, so the API may start before the contracts are deployed.
 */
export interface ChainReader {
  /** Points the address holds in its wallet, in token base units. */
  walletBalance(address: string): Promise<bigint>;
  health(): Promise<ComponentHealth>;
}

const RPC_TIMEOUT_MS = 5_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Where to read: `config.chain` fits; tests may pass just the RPC URL and a token address. */
export type ChainReaderOptions = Pick<Config['chain'], 'rpcUrl' | 'tokenAddress'> & Partial<Pick<Config['chain'], 'deploymentFile'>>;

export function createChainReader(chain: ChainReaderOptions): ChainReader {
  const client = createPublicClient({ transport: http(chain.rpcUrl, { timeout: RPC_TIMEOUT_MS, retryCount: 1 }) });
  let token: Address | null = chain.tokenAddress && isAddress(chain.tokenAddress) ? chain.tokenAddress : null;

  async function tokenAddress(): Promise<Address> {
    if (token) return token;
    if (!chain.deploymentFile) throw new DvctError('DEPENDENCY_UNAVAILABLE', 'No token address: set TOKEN_ADDRESS or deploy the contracts.');
    try {
      token = readDeployment({ tokenAddress: undefined, ledgerAddress: undefined, deploymentFile: chain.deploymentFile }).token;
    } catch (err) {
      throw new DvctError('DEPENDENCY_UNAVAILABLE', message(err));
    }
    return token;
  }

  return {
    async walletBalance(address) {
      if (!isAddress(address)) throw new DvctError('VALIDATION_FAILED', `${address} is not an EVM address.`);
      const tokenAddr = await tokenAddress();
      try {
        return await client.readContract({ address: tokenAddr, abi: erc20Abi, functionName: 'balanceOf', args: [address] });
      } catch (err) {
        throw new DvctError('DEPENDENCY_UNAVAILABLE', `The chain at ${chain.rpcUrl} did not answer balanceOf: ${message(err)}`);
      }
    },

    async health() {
      try {
        const [chainId, block] = await Promise.all([client.getChainId(), client.getBlockNumber()]);
        return { ok: true, detail: `chain ${chainId} at block ${block} (${chain.rpcUrl})` };
      } catch (err) {
        return { ok: false, detail: `${chain.rpcUrl}: ${message(err)}` };
      }
    },
  };
}
