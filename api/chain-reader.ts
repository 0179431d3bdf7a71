import { createPublicClient, erc20Abi, http, isAddress, type Address, type Hex } from 'viem';
import { readDeployment } from '../chain/deployment';
import { getExchangeEvents, type LedgerEvent, type LedgerEventSource } from '../chain/events';
import { chainKey } from '../chain/ids';
import { abi as ledgerAbi } from '../contracts/artifacts/PointsLedger';
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
  /** The audit trail's newest head written on the ledger (seq 0: none yet). */
  auditAnchor(): Promise<{ seq: number; head: string }>;
  /** Everything the ledger recorded about one exchange (its chain subject id), in chain order. */
  exchangeEvents(exchangeId: string): Promise<LedgerEvent[]>;
  health(): Promise<ComponentHealth>;
}

const RPC_TIMEOUT_MS = 5_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Where to read: `config.chain` fits; tests may pass just the RPC URL and the contract addresses. */
export type ChainReaderOptions = Pick<Config['chain'], 'rpcUrl' | 'tokenAddress'> & Partial<Pick<Config['chain'], 'ledgerAddress' | 'deploymentFile'>>;

export function createChainReader(chain: ChainReaderOptions): ChainReader {
  const client = createPublicClient({ transport: http(chain.rpcUrl, { timeout: RPC_TIMEOUT_MS, retryCount: 1 }) });
  const given = (address: string | undefined): Address | null => (address && isAddress(address) ? address : null);
  const known: { token: Address | null; ledger: Address | null; fromBlock: bigint } = { token: given(chain.tokenAddress), ledger: given(chain.ledgerAddress), fromBlock: 0n };

  async function contractAddress(which: 'token' | 'ledger'): Promise<Address> {
    const address = known[which];
    if (address) return address;
    if (!chain.deploymentFile) throw new DvctError('DEPENDENCY_UNAVAILABLE', `No ${which} address: set ${which.toUpperCase()}_ADDRESS or deploy the contracts.`);
    try {
      const deployed = readDeployment({ tokenAddress: undefined, ledgerAddress: undefined, deploymentFile: chain.deploymentFile });
      Object.assign(known, { token: known.token ?? deployed.token, ledger: known.ledger ?? deployed.ledger, fromBlock: BigInt(deployed.blockNumber) });
    } catch (err) {
      throw new DvctError('DEPENDENCY_UNAVAILABLE', message(err));
    }
    return known[which]!;
  }

  return {
    async walletBalance(address) {
      if (!isAddress(address)) throw new DvctError('VALIDATION_FAILED', `${address} is not an EVM address.`);
      const tokenAddr = await contractAddress('token');
      try {
        return await client.readContract({ address: tokenAddr, abi: erc20Abi, functionName: 'balanceOf', args: [address] });
      } catch (err) {
        throw new DvctError('DEPENDENCY_UNAVAILABLE', `The chain at ${chain.rpcUrl} did not answer balanceOf: ${message(err)}`);
      }
    },

    async auditAnchor() {
      const ledger = await contractAddress('ledger');
      try {
        const [seq, head] = await Promise.all([
          client.readContract({ address: ledger, abi: ledgerAbi, functionName: 'auditSeq' }),
          client.readContract({ address: ledger, abi: ledgerAbi, functionName: 'auditHead' }) as Promise<Hex>,
        ]);
        return { seq: Number(seq), head: head.slice(2) };
      } catch (err) {
        throw new DvctError('DEPENDENCY_UNAVAILABLE', `The chain at ${chain.rpcUrl} did not answer the audit anchor: ${message(err)}`);
      }
    },

    async exchangeEvents(exchangeId) {
      const ledger = await contractAddress('ledger');
      try {
        return await getExchangeEvents({ publicClient: client as unknown as LedgerEventSource['publicClient'], ledger, fromBlock: known.fromBlock }, chainKey(exchangeId));
      } catch (err) {
        throw new DvctError('DEPENDENCY_UNAVAILABLE', `The chain at ${chain.rpcUrl} did not answer the events of ${exchangeId}: ${message(err)}`);
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
