import type { Address, Chain, Hex, PublicClient, Transport } from 'viem';
import { abi as ledgerAbi } from '../contracts/artifacts/PointsLedger';

/** Who pays whom within one exchange: the on-chain key of an allocation. */
export interface AllocationKey {
  payer: Address;
  recipient: Address;
}

export type AllocationStatus = 'none' | 'allocated' | 'released' | 'revoked';

export interface AllocationState extends AllocationKey {
  amount: bigint;
  /** Unix seconds; 0 when never allocated. */
  releaseAt: number;
  status: AllocationStatus;
}

/** Order of PointsLedger.Status. */
const STATUSES: readonly AllocationStatus[] = ['none', 'allocated', 'released', 'revoked'];

/** All lines read at one block, so a concurrent release cannot show half the picture. */
export async function readAllocationStates(
  publicClient: PublicClient<Transport, Chain>,
  ledger: Address,
  exchangeKey: Hex,
  keys: readonly AllocationKey[],
): Promise<AllocationState[]> {
  if (keys.length === 0) return [];
  const blockNumber = await publicClient.getBlockNumber({ cacheTime: 0 });
  return Promise.all(
    keys.map(async ({ payer, recipient }) => {
      const [amount, releaseAt, status] = await publicClient.readContract({
        address: ledger,
        abi: ledgerAbi,
        functionName: 'allocationOf',
        args: [exchangeKey, payer, recipient],
        blockNumber,
      });
      const named = STATUSES[status];
      if (!named) throw new Error(`The ledger returned an unknown allocation status ${status}`);
      return { payer, recipient, amount, releaseAt: Number(releaseAt), status: named };
    }),
  );
}
